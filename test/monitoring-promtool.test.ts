/**
 * The generated alerting rules under promtool: `check rules` accepts every group, and `test rules`
 * replays synthetic series against each alert, which must fire when its promise is broken for
 * its `for` duration and stay silent at the boundary (1 of 3 etcd members down: at risk, not
 * lost; exactly the database threshold; one replica below the maximum; one ready endpoint).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ETCD_DEFAULTS, planQuorum } from "../core/src/planners/etcd";
import { type AlertRule, ETCD_DB_QUOTA_WARNING, type RuleGroup, etcdRules, ruleFile } from "../core/src/planners/alerts";
import { planMonitoring } from "../core/src/planners/monitoring";
import { type PlatformArgs, platformMonitoringInput } from "../components/src/planners/platform";
import { promtool } from "./harness/prometheus";

const PLATFORM: PlatformArgs = {
    cluster: { cloud: "local" },
    services: [
        { name: "web", image: "nginx:1.27", port: 8080, autoscaling: { minReplicas: 3, maxReplicas: 30 } },
        { name: "api", image: "nginx:1.27", port: 8080 },
        { name: "legacy", image: "nginx:1.27", port: 8080 },
    ],
    routes: [{ name: "shop", backends: [{ service: "web", capacity: 5 }, { service: "api", capacity: 3 }, { service: "legacy", capacity: 0 }] }],
    etcd: { members: 3 },
    addons: { monitoring: { stack: "external" } },
};

const plan = planMonitoring(platformMonitoringInput(PLATFORM));
// A second quorum of five in the same file: 2 down is only a warning there, 3 down is lost.
const big: RuleGroup = etcdRules({ ...planQuorum(5), name: "big", namespace: "apps", quotaBackendBytes: ETCD_DEFAULTS.quotaBackendBytes });
const groups = [...plan.ruleGroups, big];
const rule = (group: RuleGroup, alert: string): AlertRule => group.rules.find((r) => r.alert === alert)!;
const etcd = plan.ruleGroups.find((g) => g.name === "etcd-apps-etcd")!;
const hpa = plan.ruleGroups.find((g) => g.name === "autoscaling-apps")!;
const routes = plan.ruleGroups.find((g) => g.name === "routes-apps")!;
const capacity = plan.ruleGroups.find((g) => g.name === "capacity-apps")!;

/** `name{k="v", …}` in promtool's series notation. */
const series = (name: string, labels: Record<string, string>) => `${name}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(", ")}}`;

/** The alert promtool must see: the sample's labels under the rule's, annotations with $labels expanded. */
function firing(r: AlertRule, sample: Record<string, string> = {}) {
    const labels: Record<string, string> = { ...sample, ...r.labels };
    const annotations = Object.fromEntries(Object.entries(r.annotations).map(([k, v]) => [k, v.replace(/\{\{ \$labels\.([a-z_]+) \}\}/g, (_, l: string) => labels[l] ?? "")]));
    return { exp_labels: labels, exp_annotations: annotations };
}

interface Case {
    eval_time: string;
    alertname: string;
    exp_alerts: ReturnType<typeof firing>[];
}
interface TestGroup {
    name: string;
    interval: string;
    input_series: { series: string; values: string }[];
    alert_rule_test: Case[];
}

const at = (eval_time: string, r: AlertRule, ...alerts: ReturnType<typeof firing>[]): Case => ({ eval_time, alertname: r.alert, exp_alerts: alerts });
const member = (job: string, i: number) => ({ job, namespace: "apps", pod: `${job}-${i}` });

/** Every member of the other quorum up: with no series at all, its members count as down. */
const allUp = (job: string, n: number) => Array.from({ length: n }, (_, i) => ({ series: series("up", member(job, i)), values: "1x30" }));

const quorum3: TestGroup = {
    name: "etcd: 3 members, one down then two",
    interval: "1m",
    input_series: [
        { series: series("up", member("etcd", 0)), values: "1x30" },
        { series: series("up", member("etcd", 1)), values: "1x4 0x26" }, // down from 5m
        { series: series("up", member("etcd", 2)), values: "1x9 0x21" }, // down from 10m
        ...allUp("big", 5),
    ],
    alert_rule_test: [
        at("4m", rule(etcd, "EtcdMembersDown")),
        // Down since 5m; `for: 2m`: still pending at 6m, firing at 7m.
        at("6m", rule(etcd, "EtcdMembersDown")),
        at("7m", rule(etcd, "EtcdMembersDown"), firing(rule(etcd, "EtcdMembersDown"))),
        // 1 of 3 down is the boundary: the quorum (2) still stands.
        at("9m", rule(etcd, "EtcdQuorumLost")),
        // 2 of 3 down from 10m; `for: 1m`.
        at("10m", rule(etcd, "EtcdQuorumLost")),
        at("11m", rule(etcd, "EtcdQuorumLost"), firing(rule(etcd, "EtcdQuorumLost"))),
        at("11m", rule(etcd, "EtcdMembersDown"), firing(rule(etcd, "EtcdMembersDown"))),
    ],
};

const quorum5: TestGroup = {
    name: "etcd: 5 members, two down then three",
    interval: "1m",
    input_series: [
        ...[0, 1, 2].map((i) => ({ series: series("up", member("big", i)), values: "1x30" })),
        { series: series("up", member("big", 3)), values: "0x30" },
        { series: series("up", member("big", 4)), values: "1x9 0x21" },
        ...allUp("etcd", 3),
    ],
    alert_rule_test: [
        at("9m", rule(big, "EtcdMembersDown"), firing(rule(big, "EtcdMembersDown"))),
        at("9m", rule(big, "EtcdQuorumLost")),
        // 2 of 5 down (from 10m) still leaves the quorum of 3.
        at("20m", rule(big, "EtcdQuorumLost")),
    ],
};

const quorum5Lost: TestGroup = {
    name: "etcd: 5 members, three down, and a member that is not scraped at all counts as down",
    interval: "1m",
    input_series: [
        ...[0, 1].map((i) => ({ series: series("up", member("big", i)), values: "1x30" })),
        { series: series("up", member("big", 2)), values: "1x4 0x26" },
        { series: series("up", member("big", 3)), values: "0x30" },
        // member 4 has no series: its pod is gone.
        ...allUp("etcd", 3),
    ],
    alert_rule_test: [
        at("5m", rule(big, "EtcdQuorumLost")),
        at("6m", rule(big, "EtcdQuorumLost"), firing(rule(big, "EtcdQuorumLost"))),
    ],
};

const leader: TestGroup = {
    name: "etcd: no leader, frequent leader changes",
    interval: "1m",
    input_series: [
        { series: series("etcd_server_has_leader", member("etcd", 0)), values: "1x30" },
        { series: series("etcd_server_has_leader", member("etcd", 1)), values: "1x2 0x28" }, // no leader from 3m
        // Three changes in the hour: the boundary; four: frequent.
        { series: series("etcd_server_leader_changes_seen_total", member("etcd", 0)), values: "0x60 1 2 3x60" },
        { series: series("etcd_server_leader_changes_seen_total", member("etcd", 1)), values: "0x60 1 2 3 4x60" },
    ],
    alert_rule_test: [
        at("3m", rule(etcd, "EtcdNoLeader")),
        at("4m", rule(etcd, "EtcdNoLeader"), firing(rule(etcd, "EtcdNoLeader"), member("etcd", 1))),
        at("59m", rule(etcd, "EtcdFrequentLeaderChanges")),
        at("70m", rule(etcd, "EtcdFrequentLeaderChanges"), firing(rule(etcd, "EtcdFrequentLeaderChanges"), member("etcd", 1))),
    ],
};

const limit = Math.floor(ETCD_DEFAULTS.quotaBackendBytes * ETCD_DB_QUOTA_WARNING);
const database: TestGroup = {
    name: "etcd: database near the quota",
    interval: "1m",
    input_series: [
        // Exactly at the threshold for 20 minutes (silent), one byte above from 20m (fires 10m later).
        { series: series("etcd_mvcc_db_total_size_in_bytes", member("etcd", 0)), values: `${limit}x19 ${limit + 1}x30` },
        { series: series("etcd_mvcc_db_total_size_in_bytes", member("etcd", 1)), values: `${limit - 4096}x50` },
    ],
    alert_rule_test: [
        at("19m", rule(etcd, "EtcdDatabaseNearQuota")),
        at("29m", rule(etcd, "EtcdDatabaseNearQuota")),
        at("30m", rule(etcd, "EtcdDatabaseNearQuota"), firing(rule(etcd, "EtcdDatabaseNearQuota"))),
    ],
};

const hpaSel = (name: string) => ({ namespace: "apps", horizontalpodautoscaler: name });
const webRules = hpa.rules.filter((r) => r.labels.horizontalpodautoscaler === "web");
const apiRules = hpa.rules.filter((r) => r.labels.horizontalpodautoscaler === "api");
const byAlert = (rules: AlertRule[], alert: string) => rules.find((r) => r.alert === alert)!;
const autoscaling: TestGroup = {
    name: "HPA: at maxReplicas for 15 minutes, unable to scale",
    interval: "1m",
    input_series: [
        // web's maximum is 30: one below for 20 minutes (silent), at 30 from 20m.
        { series: series("kube_horizontalpodautoscaler_status_current_replicas", hpaSel("web")), values: "29x19 30x30" },
        // api's maximum is the default 10.
        { series: series("kube_horizontalpodautoscaler_status_current_replicas", hpaSel("api")), values: "10x40" },
        { series: series("kube_horizontalpodautoscaler_status_condition", { ...hpaSel("web"), condition: "ScalingActive", status: "false" }), values: "0x4 1x30" },
        { series: series("kube_horizontalpodautoscaler_status_condition", { ...hpaSel("web"), condition: "ScalingActive", status: "true" }), values: "1x4 0x30" },
        { series: series("kube_horizontalpodautoscaler_status_condition", { ...hpaSel("api"), condition: "AbleToScale", status: "false" }), values: "1x30" },
        { series: series("kube_horizontalpodautoscaler_status_condition", { ...hpaSel("web"), condition: "AbleToScale", status: "true" }), values: "1x30" },
    ],
    alert_rule_test: [
        // api sits at its maximum from 0m: pending until 15m.
        at("14m", byAlert(webRules, "HpaAtMaxReplicas")),
        at("15m", byAlert(webRules, "HpaAtMaxReplicas"), firing(byAlert(apiRules, "HpaAtMaxReplicas"), hpaSel("api"))),
        at("34m", byAlert(webRules, "HpaAtMaxReplicas"), firing(byAlert(apiRules, "HpaAtMaxReplicas"), hpaSel("api"))),
        at("35m", byAlert(webRules, "HpaAtMaxReplicas"), firing(byAlert(webRules, "HpaAtMaxReplicas"), hpaSel("web")), firing(byAlert(apiRules, "HpaAtMaxReplicas"), hpaSel("api"))),
        // ScalingActive false from 5m, `for: 10m`.
        at("14m", byAlert(webRules, "HpaScalingInactive")),
        at("15m", byAlert(webRules, "HpaScalingInactive"), firing(byAlert(webRules, "HpaScalingInactive"), { ...hpaSel("web"), condition: "ScalingActive", status: "false" })),
        at("9m", byAlert(apiRules, "HpaUnableToScale")),
        at("10m", byAlert(apiRules, "HpaUnableToScale"), firing(byAlert(apiRules, "HpaUnableToScale"), { ...hpaSel("api"), condition: "AbleToScale", status: "false" })),
    ],
};

/** One endpoint of a slice of `slice` (named like the controller names a Service's slices). */
const endpoint = (slice: string, address: string, ready = "true") => ({ namespace: "apps", endpointslice: slice, address, ready, serving: ready, terminating: "false" });
const routeRule = (service: string) => routes.rules.find((r) => r.labels.service === service)!;
const route: TestGroup = {
    name: "route: a backend with weight and no ready endpoint",
    interval: "1m",
    input_series: [
        // web loses its last ready endpoint at 5m (it turns not ready); api keeps one; legacy (weight 0) never has any.
        { series: series("kube_endpointslice_endpoints", endpoint("web-7xk2p", "10.0.0.1")), values: "1x4 stale" },
        { series: series("kube_endpointslice_endpoints", endpoint("web-7xk2p", "10.0.0.1", "false")), values: "_x5 1x25" },
        { series: series("kube_endpointslice_endpoints", endpoint("web-7xk2p", "10.0.0.2")), values: "1x2 stale" },
        { series: series("kube_endpointslice_endpoints", endpoint("api-q9b4w", "10.0.1.1")), values: "1x30" },
        // A ready endpoint of another service whose name starts like web's: not web's.
        { series: series("kube_endpointslice_endpoints", endpoint("web-admin-m2c8d", "10.0.2.1")), values: "1x30" },
    ],
    alert_rule_test: [
        at("4m", routeRule("web")),
        // No ready endpoint from 5m, `for: 2m`.
        at("6m", routeRule("web")),
        at("7m", routeRule("web"), firing(routeRule("web"))),
        at("20m", routeRule("web"), firing(routeRule("web"))),
    ],
};

const pdbSel = (ns: string, name: string) => ({ namespace: ns, poddisruptionbudget: name });
const podSel = (ns: string, pod: string) => ({ namespace: ns, pod, phase: "Pending" });
const capacityGroup: TestGroup = {
    name: "capacity: budgets that allow no disruption, pods Pending",
    interval: "1m",
    input_series: [
        { series: series("kube_poddisruptionbudget_status_pod_disruptions_allowed", pdbSel("apps", "etcd")), values: "0x90" },
        { series: series("kube_poddisruptionbudget_status_pod_disruptions_allowed", pdbSel("apps", "web")), values: "1x90" },
        // Outside the platform's namespaces: never alerted on.
        { series: series("kube_poddisruptionbudget_status_pod_disruptions_allowed", pdbSel("other", "x")), values: "0x90" },
        { series: series("kube_pod_status_phase", podSel("apps", "web-1")), values: "1x30" },
        { series: series("kube_pod_status_phase", podSel("apps", "web-2")), values: "1x9 0x20" },
        { series: series("kube_pod_status_phase", podSel("other", "y")), values: "1x30" },
    ],
    alert_rule_test: [
        at("59m", rule(capacity, "PdbNoDisruptionsAllowed")),
        at("60m", rule(capacity, "PdbNoDisruptionsAllowed"), firing(rule(capacity, "PdbNoDisruptionsAllowed"), pdbSel("apps", "etcd"))),
        at("14m", rule(capacity, "PodsPending")),
        at("15m", rule(capacity, "PodsPending"), firing(rule(capacity, "PodsPending"), { namespace: "apps", pod: "web-1" })),
    ],
};

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "paas-promtool-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
fs.writeFileSync(path.join(dir, "rules.json"), JSON.stringify(ruleFile(groups), null, 2));
const write = (file: string, tests: TestGroup[]) =>
    fs.writeFileSync(path.join(dir, file), JSON.stringify({ rule_files: ["rules.json"], evaluation_interval: "1m", tests }, null, 2));

describe("promtool", () => {
    it("checks every generated rule", () => {
        const n = groups.reduce((a, g) => a + g.rules.length, 0);
        expect(n).toBe(5 + 9 + 2 + 2 + 5);
        const r = promtool(["check", "rules", "rules.json"], dir);
        expect([r.code, r.output.trim().split("\n").map((l) => l.trim())]).toEqual([0, ["Checking rules.json", `SUCCESS: ${n} rules found`]]);
    });

    it("covers every alert of the plan with a firing case", () => {
        const covered = new Set([quorum3, quorum5, quorum5Lost, leader, database, autoscaling, route, capacityGroup]
            .flatMap((t) => t.alert_rule_test.filter((c) => c.exp_alerts.length > 0).map((c) => c.alertname)));
        expect([...covered].sort()).toEqual([...new Set(groups.flatMap((g) => g.rules.map((r) => r.alert)))].sort());
    });

    it.each([quorum3, quorum5, quorum5Lost, leader, database, autoscaling, route, capacityGroup].map((t) => [t.name, t] as const))(
        "fires and stays silent as it should: %s", (name, t) => {
            const file = `${name.replace(/[^a-z0-9]+/gi, "-")}.json`;
            write(file, [t]);
            const r = promtool(["test", "rules", file], dir);
            expect([r.code, r.output]).toEqual([0, expect.stringContaining("SUCCESS")]);
        });

    it("fails a wrong expectation (the check can fail): quorum lost with 1 of 3 down", () => {
        write("wrong.json", [{ ...quorum3, alert_rule_test: [at("9m", rule(etcd, "EtcdQuorumLost"), firing(rule(etcd, "EtcdQuorumLost")))] }]);
        const r = promtool(["test", "rules", "wrong.json"], dir);
        expect(r.code).toBe(1);
        expect(r.output).toContain("alertname: EtcdQuorumLost, time: 9m");
    });
});
