import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { audit, subjectsOf } from "../policies/audit";
import type { Subject } from "../policies/src/policy";
import { type PolicyConfigFile, evaluate, runStackPolicy } from "../policies/src/run";
import * as stack from "../policies/src/stack";
import type { Recorder } from "./harness/mocks";
import { ROOT, STACKS, runStack } from "./harness/stacks";

const prod: PolicyConfigFile = JSON.parse(fs.readFileSync(path.join(ROOT, "policies/config/prod.json"), "utf8"));
const dev: PolicyConfigFile = JSON.parse(fs.readFileSync(path.join(ROOT, "policies/config/dev.json"), "utf8"));


/** A `pulumi stack export` document (deployment version 3) of a mock run. */
export function exportOf(rec: Recorder): object {
    return {
        version: 3,
        deployment: {
            manifest: { time: "2026-11-26T00:00:00Z", magic: "", version: "v3.274.1" },
            resources: rec.resources.map((r) => ({ urn: r.urn, custom: r.custom, type: r.type, inputs: r.inputs, outputs: r.inputs, parent: r.parent || undefined })),
        },
    };
}

const k = (type: string, props: Record<string, any>, name = props.metadata?.name ?? "x"): Subject => ({ type, name, urn: `urn:pulumi:t::paas::${type}::${name}`, props });
const labels = { app: "web" };
const deployment = k("kubernetes:apps/v1:Deployment", { kind: "Deployment", metadata: { name: "web", namespace: "apps" }, spec: { template: { metadata: { labels }, spec: { containers: [{ name: "c", image: "a:1" }] } } } });
const pdb = k("kubernetes:policy/v1:PodDisruptionBudget", { kind: "PodDisruptionBudget", metadata: { name: "web", namespace: "apps" }, spec: { selector: { matchLabels: labels }, maxUnavailable: 1 } });
const hpa = k("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", { kind: "HorizontalPodAutoscaler", metadata: { name: "web", namespace: "apps" }, spec: { scaleTargetRef: { kind: "Deployment", name: "web" } } });
const deny = k("kubernetes:networking.k8s.io/v1:NetworkPolicy", { kind: "NetworkPolicy", metadata: { name: "default-deny", namespace: "apps" }, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } });
const etcdLabels = { app: "etcd" };
const etcdSet = (replicas: number) => k("kubernetes:apps/v1:StatefulSet", { kind: "StatefulSet", metadata: { name: "etcd", namespace: "apps" }, spec: { replicas, template: { metadata: { labels: etcdLabels }, spec: { containers: [{ name: "etcd", image: "quay.io/coreos/etcd:v3.6.16" }] } } } });
const etcdPdb = (spec: object) => k("kubernetes:policy/v1:PodDisruptionBudget", { kind: "PodDisruptionBudget", metadata: { name: "etcd", namespace: "apps" }, spec: { selector: { matchLabels: etcdLabels }, ...spec } });
const route = (rules: object[]) => k("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", { kind: "HTTPRoute", metadata: { name: "r", namespace: "apps" }, spec: { rules } });
const good = [deployment, pdb, hpa, deny, etcdSet(3), etcdPdb({ maxUnavailable: 1 }), route([{ backendRefs: [{ name: "a", weight: 0 }, { name: "b", weight: 3 }] }, { filters: [{ type: "RequestRedirect" }] }])];
const without = (...drop: Subject[]) => good.filter((s) => !drop.includes(s));
const msgs = (p: Parameters<typeof runStackPolicy>[0], rs: Subject[], config?: Record<string, unknown>) => runStackPolicy(p, rs, config).map((v) => v.message);

describe("stack policies", () => {
    it("pass on a complete platform", () => {
        for (const p of [stack.workloadHasPdb, stack.deploymentHasHpa, stack.namespaceDefaultDeny, stack.etcdQuorum, stack.routeLiveBackend, stack.pdbBelowHpaMinimum, stack.selectorMatchesPods])
            expect([p.name, msgs(p, good)]).toEqual([p.name, []]);
    });

    it("flag a workload without a PDB selecting its pods", () => {
        expect(msgs(stack.workloadHasPdb, without(pdb))).toEqual(['Deployment "apps/web" has no PodDisruptionBudget selecting its pods; add one (maxUnavailable: 1)']);
        const otherSelector = k(pdb.type, { ...pdb.props, spec: { selector: { matchLabels: { app: "other" } }, maxUnavailable: 1 } });
        expect(msgs(stack.workloadHasPdb, [...without(pdb), otherSelector])).toHaveLength(1);
        expect(runStackPolicy(stack.workloadHasPdb, without(pdb))[0].urn).toBe(deployment.urn);
    });

    it("flag a Deployment without an HPA, unless exempted", () => {
        expect(msgs(stack.deploymentHasHpa, without(hpa))).toEqual(['Deployment "apps/web" has no HorizontalPodAutoscaler targeting it; add one, or exempt "apps/web" in the policy config']);
        expect(msgs(stack.deploymentHasHpa, without(hpa), { exempt: ["apps/web"] })).toEqual([]);
    });

    it("flag a namespace without a default-deny policy", () => {
        expect(msgs(stack.namespaceDefaultDeny, without(deny))).toEqual([
            'namespace "apps" runs workloads (Deployment "apps/web") but has no default-deny NetworkPolicy; add one with podSelector {} and policyTypes [Ingress, Egress]']);
        const ingressOnly = k(deny.type, { ...deny.props, spec: { podSelector: {}, policyTypes: ["Ingress"] } });
        expect(msgs(stack.namespaceDefaultDeny, [...without(deny), ingressOnly])).toHaveLength(1);
    });

    it("flag an even or small etcd and a PDB that breaks quorum", () => {
        expect(msgs(stack.etcdQuorum, [etcdSet(4), etcdPdb({ maxUnavailable: 1 })])).toEqual(['StatefulSet "apps/etcd": spec.replicas is 4; an etcd cluster needs an odd size of at least 3 (2f+1)']);
        expect(msgs(stack.etcdQuorum, [etcdSet(1), etcdPdb({ maxUnavailable: 0 })])).toContain('StatefulSet "apps/etcd": spec.replicas is 1; an etcd cluster needs an odd size of at least 3 (2f+1)');
        expect(msgs(stack.etcdQuorum, [etcdSet(5), etcdPdb({ maxUnavailable: 3 })])).toEqual(['PodDisruptionBudget "apps/etcd" does not keep the etcd quorum of 3/5; set maxUnavailable: 2 (or minAvailable: 3)']);
        expect(msgs(stack.etcdQuorum, [etcdSet(5), etcdPdb({ minAvailable: 3 })])).toEqual([]);
        expect(msgs(stack.etcdQuorum, [etcdSet(3)])).toEqual(['StatefulSet "apps/etcd" has no PodDisruptionBudget; add one with maxUnavailable: 1 so evictions keep a quorum of 2']);
    });

    it("flag a route rule whose backends all weigh 0", () => {
        expect(msgs(stack.routeLiveBackend, [route([{ backendRefs: [{ name: "a", weight: 0 }] }])])).toEqual([
            'HTTPRoute "apps/r": spec.rules[0] has no backend with weight > 0, so it answers every request with an error; give a backend capacity']);
        expect(msgs(stack.routeLiveBackend, [route([{ backendRefs: [{ name: "a" }] }])])).toEqual([]); // weight defaults to 1
    });
});

describe("stack policies on selectors and budgets", () => {
    const withMin = (minReplicas?: number) => k(hpa.type, { ...hpa.props, spec: { ...hpa.props.spec, minReplicas } });
    const pdbWith = (spec: object) => k(pdb.type, { ...pdb.props, spec: { selector: { matchLabels: labels }, ...spec } });

    it("flag a PDB whose minAvailable blocks every eviction at the HPA's minimum", () => {
        expect(msgs(stack.pdbBelowHpaMinimum, [deployment, withMin(3), pdbWith({ minAvailable: 3 })])).toEqual([
            'PodDisruptionBudget "apps/web": spec.minAvailable (3) keeps 3 of the 3 pods HorizontalPodAutoscaler "apps/web" may scale Deployment "apps/web" down to, so no pod may be evicted there and node drains block; use maxUnavailable: 1']);
        // 60 % of 2 pods rounds up to 2; an omitted minReplicas is 1.
        expect(msgs(stack.pdbBelowHpaMinimum, [deployment, withMin(2), pdbWith({ minAvailable: "60%" })])).toHaveLength(1);
        expect(msgs(stack.pdbBelowHpaMinimum, [deployment, withMin(undefined), pdbWith({ minAvailable: 1 })])).toHaveLength(1);
        expect(msgs(stack.pdbBelowHpaMinimum, [deployment, withMin(3), pdbWith({ minAvailable: 2 })])).toEqual([]);
        expect(msgs(stack.pdbBelowHpaMinimum, [deployment, withMin(3), pdbWith({ minAvailable: "50%" })])).toEqual([]);
        expect(runStackPolicy(stack.pdbBelowHpaMinimum, [deployment, withMin(2), pdbWith({ minAvailable: 2 })])[0].urn).toBe(pdb.urn);
    });

    it("flag a Service, PDB or NetworkPolicy that selects no pod of its namespace", () => {
        const svc = (selector?: object, namespace = "apps") => k("kubernetes:core/v1:Service", { kind: "Service", metadata: { name: "web", namespace }, spec: { selector } });
        const netpol = (podSelector: object) => k(deny.type, { kind: "NetworkPolicy", metadata: { name: "web", namespace: "apps" }, spec: { podSelector, policyTypes: ["Ingress"] } });
        expect(msgs(stack.selectorMatchesPods, [deployment, svc({ app: "web" }), svc(undefined), netpol({ matchExpressions: [{ key: "app", operator: "In", values: ["web", "api"] }] })])).toEqual([]);
        const typo = k(pdb.type, { ...pdb.props, spec: { selector: { matchLabels: { app: "db" } }, maxUnavailable: 1 } });
        expect(msgs(stack.selectorMatchesPods, [deployment, svc({ app: "wbe" }), svc({ app: "web" }, "other"), typo, netpol({ matchLabels: { app: "web", tier: "front" } })])).toEqual([
            'Service "apps/web": spec.selector selects no pod template of the stack in namespace "apps"; match the labels of the workload it is meant for',
            'Service "other/web": spec.selector selects no pod template of the stack in namespace "other"; match the labels of the workload it is meant for',
            'PodDisruptionBudget "apps/web": spec.selector selects no pod template of the stack in namespace "apps"; match the labels of the workload it is meant for',
            'NetworkPolicy "apps/web": spec.podSelector selects no pod template of the stack in namespace "apps"; match the labels of the workload it is meant for',
        ]);
        // An empty selector selects every pod (a default deny), even with none declared.
        expect(msgs(stack.selectorMatchesPods, [netpol({}), pdbWith({ selector: {} })])).toEqual([]);
        // A CronJob's pods are selected through its job template.
        const cron = k("kubernetes:batch/v1:CronJob", { kind: "CronJob", metadata: { name: "nightly", namespace: "apps" }, spec: { jobTemplate: { spec: { template: { metadata: { labels: { job: "nightly" } } } } } } });
        expect(msgs(stack.selectorMatchesPods, [cron, netpol({ matchLabels: { job: "nightly" } })])).toEqual([]);
    });
});

describe("stack policies on Helm releases", () => {
    const release = (namespace: string, createNamespace = false) => k("kubernetes:helm.sh/v3:Release", { name: "addon", chart: "addon", namespace, createNamespace }, `addon-${namespace}`);
    const namespace = (name: string, enforce?: string) => k("kubernetes:core/v1:Namespace", { kind: "Namespace", metadata: { name, labels: enforce ? { "pod-security.kubernetes.io/enforce": enforce } : {} } });
    const denyIn = (n: string) => k(deny.type, { ...deny.props, metadata: { name: "default-deny", namespace: n } }, `deny-${n}`);

    it("pass a release into a declared, labelled, default-deny namespace, and one into kube-system", () => {
        expect(msgs(stack.helmReleaseNamespace, [release("addons"), namespace("addons", "restricted"), denyIn("addons"), release("kube-system")])).toEqual([]);
    });

    it("flag createNamespace, an undeclared namespace, a missing enforce label and a missing default deny", () => {
        expect(msgs(stack.helmReleaseNamespace, [release("addons", true)])).toEqual([
            'Helm release "addon" (namespace "addons"): createNamespace is true; declare the namespace in the stack and set createNamespace: false',
            'Helm release "addon" (namespace "addons"): the namespace is not declared by the stack; declare it with Pod Security labels and a default-deny NetworkPolicy',
            'Helm release "addon" (namespace "addons"): the namespace has no default-deny NetworkPolicy; add one with podSelector {} and policyTypes [Ingress, Egress] and allow the chart\'s flows',
        ]);
        expect(msgs(stack.helmReleaseNamespace, [release("addons"), namespace("addons"), denyIn("addons")])).toEqual([
            'Helm release "addon" (namespace "addons"): the namespace has no pod-security.kubernetes.io/enforce label; enforce restricted (or baseline where the chart needs it)',
        ]);
        expect(msgs(stack.helmReleaseNamespace, [release("kube-system", true)])).toHaveLength(1);
    });

    it("do not judge selectors in a namespace whose pods a chart installs", () => {
        const netpol = k(deny.type, { kind: "NetworkPolicy", metadata: { name: "allow-webhook", namespace: "addons" }, spec: { podSelector: { matchLabels: { app: "webhook" } }, policyTypes: ["Ingress"] } });
        expect(msgs(stack.selectorMatchesPods, [netpol])).toHaveLength(1);
        expect(msgs(stack.selectorMatchesPods, [netpol, release("addons")])).toEqual([]);
        // Rendered, the stack has the add-on's labelled namespace but no release.
        const addonNs = k("kubernetes:core/v1:Namespace", { kind: "Namespace", metadata: { name: "addons", labels: { "paas.dev/addon": "certManager" } } });
        expect(msgs(stack.selectorMatchesPods, [netpol, addonNs])).toEqual([]);
        expect(msgs(stack.selectorMatchesPods, [netpol, namespace("addons", "restricted")])).toHaveLength(1);
    });
});

const insecure: [string, (c: Record<string, any>) => Record<string, any>, string][] = [
    ["local", (c) => ({ ...c, "paas:services": c["paas:services"].map((x: any) => (x.name === "orders" ? { ...x, automountServiceAccountToken: true } : x)) }), "k8s-no-sa-token-automount"],
    ["dev", (c) => ({ ...c, "paas:cluster": { ...c["paas:cluster"], apiAccess: { authorizedNetworks: ["0.0.0.0/0"], allowAnyAddress: true } } }), "aws-eks-public-endpoint"],
    ["aws-prod", (c) => ({ ...c, "paas:cluster": { ...c["paas:cluster"], apiAccess: { privateEndpoint: false, authorizedNetworks: ["0.0.0.0/0"], allowAnyAddress: true } } }), "aws-eks-public-endpoint"],
    ["gcp-prod", (c) => ({ ...c, "paas:cluster": { ...c["paas:cluster"], apiAccess: { authorizedNetworks: ["0.0.0.0/0"], allowAnyAddress: true } } }), "gcp-gke-master-authorized-networks"],
    ["azure-prod", (c) => ({ ...c, "paas:cluster": { ...c["paas:cluster"], apiAccess: { authorizedNetworks: ["0.0.0.0/0"], allowAnyAddress: true } } }), "azure-aks-api-access"],
];

describe("the example stacks against the pack", () => {
    it.each(STACKS)("%s has no violation at prod settings", async (s) => {
        const run = await runStack(s);
        expect(evaluate(run.recorder.policySubjects(), prod)).toEqual([]);
    });

    it.each(insecure)("an insecure variant of %s is caught", async (s, change, policy) => {
        const run = await runStack(s, change);
        const violations = evaluate(run.recorder.policySubjects(), prod);
        expect(violations.map((v) => v.policy)).toEqual([policy]);
        expect(violations[0].level).toBe("mandatory");
    });

    it("dev settings keep most rules advisory", async () => {
        const run = await runStack("local", insecure[0][1]);
        expect(evaluate(run.recorder.policySubjects(), dev).map((v) => `${v.policy}:${v.level}`)).toEqual(["k8s-no-sa-token-automount:advisory"]);
    });
});

describe("offline audit command", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "paas-audit-"));
    const capture = (argv: string[]) => {
        const out: string[] = [];
        const err: string[] = [];
        const code = audit(argv, (s) => out.push(s), (s) => err.push(s));
        return { code, out: out.join("\n"), err: err.join("\n") };
    };

    it("passes a clean export and fails an insecure one, with a table", async () => {
        const clean = path.join(dir, "clean.json");
        fs.writeFileSync(clean, JSON.stringify(exportOf((await runStack("local")).recorder)));
        const ok = capture([clean, "--config", path.join(ROOT, "policies/config/prod.json")]);
        expect(ok.code).toBe(0);
        expect(ok.out).toMatch(/^no policy violations\n\n\d+ resources, 0 violations \(0 mandatory\)$/);

        const bad = path.join(dir, "bad.json");
        const run = await runStack("local", insecure[0][1]);
        fs.writeFileSync(bad, JSON.stringify(exportOf(run.recorder)));
        const res = capture([bad, "--config", path.join(ROOT, "policies/config/prod.json")]);
        expect(res.code).toBe(1);
        const lines = res.out.split("\n");
        expect(lines[0]).toMatch(/^POLICY\s+LEVEL\s+RESOURCE\s+MESSAGE$/);
        expect(lines[1]).toContain("k8s-no-sa-token-automount  mandatory  urn:pulumi:local::paas::paas:index:Service$kubernetes:apps/v1:Deployment::paas-orders-deployment");
        expect(lines[1]).toContain('Deployment "apps/orders": spec.template.spec.automountServiceAccountToken is not false');

        // Without a config file every policy runs at its own level: the break-glass role's exec is only advisory.
        const json = capture([bad, "--json"]);
        expect(json.code).toBe(1);
        const sre = "urn:pulumi:local::paas::paas:index:KubernetesAccess$kubernetes:rbac.authorization.k8s.io/v1:Role::paas-access-paas-sre";
        const podAccess = (rule: string) => ({ policy: "k8s-rbac-pod-access", level: "advisory", urn: sre, message: `Role "apps/paas-sre": ${rule}; keep it to break-glass roles, and allow "apps/paas-sre" in the policy config if it is one` });
        expect(JSON.parse(json.out).violations).toEqual([{
            policy: "k8s-no-sa-token-automount", level: "mandatory",
            urn: "urn:pulumi:local::paas::paas:index:Service$kubernetes:apps/v1:Deployment::paas-orders-deployment",
            message: 'Deployment "apps/orders": spec.template.spec.automountServiceAccountToken is not false; set it to false, or allow service account "orders" in the policy config',
        },
        podAccess("rules[0] grants create on pods, so it creates pods, which may run as any service account of the namespace and mount its secrets"),
        podAccess("rules[3] grants create, get on pods/exec, so it runs commands in the pods, with their service accounts and mounted secrets"),
        ]);
        // The same export under dev settings: advisory only, so it passes.
        expect(capture([bad, "--config", path.join(ROOT, "policies/config/dev.json")]).code).toBe(0);
    });

    it("exits 2 with a clear message on unreadable input", () => {
        expect(capture([path.join(dir, "missing.json")])).toMatchObject({ code: 2, err: `audit: cannot read stack export ${path.join(dir, "missing.json")}: ENOENT` });
        fs.writeFileSync(path.join(dir, "garbage.json"), "{not json");
        expect(capture([path.join(dir, "garbage.json")]).err).toMatch(/^audit: stack export .*garbage.json is not valid JSON: /);
        fs.writeFileSync(path.join(dir, "other.json"), JSON.stringify({ hello: 1 }));
        expect(capture([path.join(dir, "other.json")])).toMatchObject({ code: 2, err: `audit: stack export ${path.join(dir, "other.json")}: deployment is missing; expected an object with deployment.resources[] (from \`pulumi stack export\`)` });
        expect(capture([])).toMatchObject({ code: 2 });
        expect(() => subjectsOf({ version: 2, deployment: { resources: [] } })).toThrow("unsupported deployment version 2: expected 3");
    });

    it("runs as `npm run audit` with the right exit codes", async () => {
        const bad = path.join(dir, "cli-bad.json");
        fs.writeFileSync(bad, JSON.stringify(exportOf((await runStack("local", insecure[0][1])).recorder)));
        const r = spawnSync("npm", ["run", "-s", "audit", "--", bad, "--config", "policies/config/prod.json"], { cwd: ROOT, encoding: "utf8" });
        expect(r.status).toBe(1);
        expect(r.stdout).toContain("k8s-no-sa-token-automount");
        expect(execFileSync("npm", ["run", "-s", "audit", "--", "--help"], { cwd: ROOT, encoding: "utf8" })).toContain("usage: npm run audit --");
    });
});
