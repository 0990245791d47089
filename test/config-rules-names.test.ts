/** Kubernetes names: kind limits, collisions with generated names, system namespaces, cron, RBAC subjects. */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { main } from "../app/main";
import { ETCD_NAME_MAX, checkEtcd, etcdObjectNames } from "../core/src/planners/etcd";
import { CRONJOB_NAME_MAX, STATEFULSET_NAME_MAX, cronScheduleProblem } from "../core/src/planners/workload";
import { Problems } from "../core/src/validation";
import { problemsOf } from "./harness/config";
import { settle, useMocks } from "./harness/mocks";

const svc = (over: object = {}) => ({ name: "web", image: "nginx:1.27", port: 8080, ...over });
const rule = (over: object) => ({ name: "r", subjects: [{ kind: "Group", name: "devs" }], resources: ["pods"], permission: "read", ...over });
const SYSTEM = "is a system namespace (default, kube-system, kube-public, kube-node-lease and every kube-*, gke-*, gmp-* belong to the cluster); use a namespace of the platform's own";

describe("derived child names fit their kind", () => {
    it("keeps the etcd name short enough for the CronJob, the StatefulSet's revision label and the peer Service", () => {
        expect([CRONJOB_NAME_MAX, STATEFULSET_NAME_MAX, ETCD_NAME_MAX]).toEqual([52, 52, 43]);
        const longest = "e".repeat(ETCD_NAME_MAX);
        const names = etcdObjectNames(longest);
        expect(names.cronJob.length).toBe(CRONJOB_NAME_MAX);
        // controller-revision-hash = <StatefulSet name>-<10 characters>, a label value of at most 63.
        expect(`${names.statefulSet}-0123456789`.length).toBeLessThanOrEqual(63);
        expect(Math.max(...names.services.map((n) => n.length))).toBeLessThanOrEqual(63);
        expect(problemsOf({ "paas:etcd": { name: longest } })).toEqual([]);
        expect(problemsOf({ "paas:etcd": { name: `${longest}e` } })).toEqual([
            `paas:etcd.name must be a DNS-1035 label of at most ${ETCD_NAME_MAX} characters (the snapshot CronJob adds "-snapshot")`]);
    });
});

describe("user names never collide with generated ones", () => {
    it.each([
        ["the default-deny NetworkPolicy", { "paas:services": [svc({ name: "default-deny" })] },
            "paas:services[0].name clashes with the platform's default-deny NetworkPolicy, which has the same name; pick another name"],
        ["etcd's peer Service", { "paas:services": [svc({ name: "etcd-peer" })], "paas:etcd": { members: 3 } },
            "paas:services[0].name clashes with an object of the etcd quorum etcd, which has the same name; pick another name"],
        ["etcd's client NetworkPolicy", { "paas:services": [svc({ name: "store-clients" })], "paas:etcd": { name: "store" } },
            "paas:services[0].name clashes with an object of the etcd quorum store, which has the same name; pick another name"],
        ["the gateway's namespace", { ...{ "paas:services": [svc()] }, "paas:routes": [{ name: "r", backends: [{ service: "web" }] }], "paas:gateway": { namespace: "apps" } },
            "paas:gateway.namespace must differ from the workloads' namespace: the platform creates each of the two"],
        ["the default gateway namespace", { "paas:services": [svc()], "paas:routes": [{ name: "r", backends: [{ service: "web" }] }], "paas:namespace": "gateway" },
            "paas:namespace must differ from the gateway's namespace: the platform creates each of the two"],
        ["an add-on's namespace", { "paas:namespace": "envoy-gateway-system" },
            "paas:namespace is the namespace of the Envoy Gateway add-on, which creates it; use another"],
        ["cert-manager's namespace", { "paas:namespace": "cert-manager", "paas:addons": { certManager: true } },
            "paas:namespace is the namespace of the cert-manager add-on, which creates it; use another"],
        ["the break-glass binding", { "paas:access": { rules: [rule({ name: "break-glass-cluster-admin" })] } },
            "paas:access.rules[0].name clashes with the break-glass ClusterRoleBinding paas-break-glass-cluster-admin; pick another name"],
    ])("refuses a clash with %s", (_what, config, message) => {
        expect(problemsOf(config)).toEqual([message]);
    });

    it("registers nothing on such a config", async () => {
        const rec = await useMocks("test", { "paas:services": [svc({ name: "default-deny" })] });
        expect(() => main()).toThrow(pulumi.RunError);
        await settle();
        expect(rec.resources).toEqual([]);
    });
});

describe("system namespaces hold none of the platform's objects", () => {
    it.each(["kube-system", "kube-public", "kube-node-lease", "default", "kube-flannel", "gke-managed-system", "gmp-system"])("%s", (ns) => {
        expect(problemsOf({ "paas:namespace": ns })).toEqual([`paas:namespace ${SYSTEM}`]);
        expect(problemsOf({ "paas:access": { rules: [rule({ namespace: ns })] } })).toEqual([`paas:access.rules[0].namespace ${SYSTEM}`]);
    });
});

describe("access rules", () => {
    it("refuse a namespace nothing creates (an error: the Role would fail at deployment)", () => {
        const elsewhere = (created: string) =>
            `must be a namespace the platform creates (${created}): a Role elsewhere fails at deployment unless that namespace already exists, which the platform cannot know; omit it for a cluster-wide rule`;
        expect(problemsOf({ "paas:access": { rules: [rule({ namespace: "team-a" }), rule({ name: "r2", namespace: "apps" }), rule({ name: "r3", namespace: "gateway" })] } })).toEqual([
            `paas:access.rules[0].namespace ${elsewhere("apps")}`,
            `paas:access.rules[2].namespace ${elsewhere("apps")}`,
        ]);
        // The gateway's namespace exists once a route does.
        expect(problemsOf({ "paas:services": [svc()], "paas:routes": [{ name: "r", backends: [{ service: "web" }] }], "paas:access": { rules: [rule({ namespace: "gateway" })] } })).toEqual([]);
    });

    it("refuse subjects the API server would, and a ServiceAccount without a namespace", () => {
        expect(problemsOf({ "paas:access": { rules: [rule({ subjects: [
            { kind: "ServiceAccount", name: "CI_Bot", namespace: "cicd" },
            { kind: "ServiceAccount", name: "ci", namespace: "CICD" },
            { kind: "User", name: " alice" },
            { kind: "ServiceAccount", name: "ci" },
        ] })] } })).toEqual([
            "paas:access.rules[0].subjects[3].namespace is required for a ServiceAccount",
            "paas:access.rules[0].subjects[0].name must be a ServiceAccount name (a DNS-1123 subdomain: lowercase letters, digits, '-' and '.')",
            "paas:access.rules[0].subjects[1].namespace must be a namespace name (a DNS label)",
            "paas:access.rules[0].subjects[2].name must not start or end with spaces nor contain control characters (the authenticator never sends such a name)",
        ]);
        expect(problemsOf({ "paas:access": { breakGlassClusterAdmins: [{ kind: "ServiceAccount", name: "ci" }] } })).toEqual([
            "paas:access.breakGlassClusterAdmins[0].namespace is required for a ServiceAccount"]);
    });

    it("never bind break-glass (or any rule) to everyone or a wildcard group", () => {
        const everyone = (i: number, subject: string, who: string) =>
            `paas:access.breakGlassClusterAdmins[${i}].name must not be ${subject}, which is ${who}; name the people or the group that need the access`;
        expect(problemsOf({ "paas:access": { breakGlassClusterAdmins: [
            { kind: "Group", name: "system:authenticated" },
            { kind: "Group", name: "system:unauthenticated" },
            { kind: "Group", name: "ops-*" },
            { kind: "Group", name: "system:serviceaccounts:apps" },
            { kind: "User", name: "system:anonymous" },
            { kind: "Group", name: "sre" },
        ] } })).toEqual([
            everyone(0, 'Group "system:authenticated"', "every authenticated user and service account"),
            everyone(1, 'Group "system:unauthenticated"', "every anonymous request"),
            "paas:access.breakGlassClusterAdmins[2].name must name one subject (no wildcards)",
            everyone(3, 'Group "system:serviceaccounts:apps"', "every service account of a namespace"),
            everyone(4, 'User "system:anonymous"', "every anonymous request"),
        ]);
        expect(problemsOf({ "paas:access": { rules: [rule({ subjects: [{ kind: "Group", name: "system:authenticated" }] })] } })).toEqual([
            'paas:access.rules[0].subjects[0].name must not be Group "system:authenticated", which is every authenticated user and service account; name the people or the group that need the access']);
    });
});

describe("storage classes and cron schedules", () => {
    it("refuses a StorageClass name the API would", () => {
        expect(problemsOf({ "paas:etcd": { storageClassName: "Fast SSD" } })).toEqual([
            "paas:etcd.storageClassName must be a StorageClass name: a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253)"]);
        expect(problemsOf({ "paas:etcd": { storageClassName: "premium-rwo" } })).toEqual([]);
    });

    it.each([
        ["0 */6 * *", 'must be a cron schedule of five fields (minute hour day-of-month month day-of-week) such as "0 */6 * * *", or a macro such as @hourly'],
        ["61 * * * *", 'must be a cron schedule: its minute field "61" is not a list of values, ranges or steps within 0-59'],
        ["0 20-4 * * *", 'must be a cron schedule: its hour field "20-4" is not a list of values, ranges or steps within 0-23'],
        ["0 0 0 * *", 'must be a cron schedule: its day-of-month field "0" is not a list of values, ranges or steps within 1-31'],
        ["0 0 * 13 *", 'must be a cron schedule: its month field "13" is not a list of values, ranges or steps within 1-12'],
        ["0 0 * * 7", 'must be a cron schedule: its day-of-week field "7" is not a list of values, ranges or steps within 0-6'],
        ["*/0 * * * *", 'must be a cron schedule: its minute field "*/0" is not a list of values, ranges or steps within 0-59'],
        ["@every 1h", "must be a macro of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, or five cron fields"],
        ["TZ=UTC 0 0 * * *", "must not set a time zone in the schedule (Kubernetes refuses TZ= and CRON_TZ=)"],
    ])("refuses the schedule %j", (schedule, message) => {
        expect(problemsOf({ "paas:etcd": { snapshotSchedule: schedule } })).toEqual([`paas:etcd.snapshotSchedule ${message}`]);
    });

    it("accepts lists, ranges, steps, names and macros", () => {
        for (const s of ["0 */6 * * *", "15,45 */2 1-15 JAN-jun MON-FRI", "5/15 0 ? * *", "@daily", "@hourly"]) expect([s, cronScheduleProblem(s)]).toEqual([s, undefined]);
    });

    it("the EtcdQuorum component checks the same", () => {
        const problems = new Problems();
        checkEtcd("etcd", { snapshotSchedule: "0 25 * * *", storageClassName: "SSD" }, "args", problems);
        expect(problems.list.map((p) => `${p.path} ${p.message}`)).toEqual([
            "args.storageClassName must be a StorageClass name: a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253)",
            'args.snapshotSchedule must be a cron schedule: its hour field "25" is not a list of values, ranges or steps within 0-23',
        ]);
    });
});
