import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ETCD_DEFAULTS, planQuorum } from "../core/src/planners/etcd";
import { platformDashboard } from "../core/src/planners/dashboard";
import { autoscalerRules, capacityRules, endpointSlicePattern, etcdRules, routeRules, ruleFile } from "../core/src/planners/alerts";
import { planMonitoring } from "../core/src/planners/monitoring";
import { type PlatformArgs, platformMonitoringInput } from "../components/src/planners/platform";
import { SYSTEM_NAMESPACE_RULE as SYSTEM } from "../core/src/planners/workload";
import { hardenedValues, planAddonNamespaces } from "../core/src/planners/addons";
import { problemsOf } from "./harness/config";
import { evaluate } from "../policies/src/run";
import { schemaErrors } from "./harness/schema";
import { ROOT, runStack } from "./harness/stacks";

const etcd = (members: number) => etcdRules({ ...planQuorum(members), name: "etcd", namespace: "apps", quotaBackendBytes: ETCD_DEFAULTS.quotaBackendBytes });
const PROD = JSON.parse(fs.readFileSync(path.join(ROOT, "policies/config/prod.json"), "utf8"));
const WEB = { namespace: "apps", name: "web", maxReplicas: 10, band: { upper: 80, lower: 30 } };
const byName = (rules: readonly { alert: string }[], alert: string) => rules.find((r) => r.alert === alert) as any;

describe("etcd alert rules", () => {
    it("count members against the plan's n and quorum", () => {
        const g = etcd(3);
        expect(g.name).toBe("etcd-apps-etcd");
        expect(byName(g.rules, "EtcdMembersDown").expr).toBe('(count(up{job="etcd", namespace="apps"} == 1) or vector(0)) < 3');
        expect(byName(g.rules, "EtcdQuorumLost").expr).toBe('(count(up{job="etcd", namespace="apps"} == 1) or vector(0)) < 2');
        const five = etcd(5);
        expect(byName(five.rules, "EtcdMembersDown").expr).toMatch(/< 5$/);
        expect(byName(five.rules, "EtcdQuorumLost").expr).toMatch(/< 3$/);
    });

    it("make one member down critical only where it leaves no fault tolerance", () => {
        expect(byName(etcd(3).rules, "EtcdMembersDown").labels.severity).toBe("critical");
        expect(byName(etcd(5).rules, "EtcdMembersDown").labels.severity).toBe("warning");
        expect(byName(etcd(5).rules, "EtcdQuorumLost").labels.severity).toBe("critical");
    });

    it("take the database quota from the plan", () => {
        expect(byName(etcd(3).rules, "EtcdDatabaseNearQuota").expr)
            .toBe(`max(etcd_mvcc_db_total_size_in_bytes{job="etcd", namespace="apps"}) / ${8 * 2 ** 30} > 0.8`);
    });

    it("count four leader changes in an hour as frequent (>=: increase() extrapolates three to a little more)", () => {
        expect(byName(etcd(3).rules, "EtcdFrequentLeaderChanges").expr).toBe('increase(etcd_server_leader_changes_seen_total{job="etcd", namespace="apps"}[1h]) >= 4');
    });

    it("give every rule a summary, a description and a runbook line", () => {
        for (const r of [...etcd(3).rules, ...autoscalerRules(WEB), ...capacityRules(["apps"])]) {
            for (const k of ["summary", "description", "runbook"] as const) expect(r.annotations[k].length, `${r.alert} ${k}`).toBeGreaterThan(10);
            expect(r.annotations.runbook, r.alert).not.toContain("\n");
        }
    });
});

describe("autoscaler, route and capacity rules", () => {
    it("alert on an HPA at its plan's maximum for 15 minutes", () => {
        const [atMax, inactive, unable] = autoscalerRules(WEB);
        expect(atMax.expr).toBe('kube_horizontalpodautoscaler_status_current_replicas{namespace="apps", horizontalpodautoscaler="web"} >= 10');
        expect(atMax.for).toBe("15m");
        expect(atMax.annotations.description).toBe("Above 80 % CPU the service can no longer add pods; latency rises with load.");
        expect(inactive.expr).toBe('kube_horizontalpodautoscaler_status_condition{namespace="apps", horizontalpodautoscaler="web", condition="ScalingActive", status="false"} == 1');
        expect(unable.expr).toBe('kube_horizontalpodautoscaler_status_condition{namespace="apps", horizontalpodautoscaler="web", condition="AbleToScale", status="false"} == 1');
        expect([inactive.for, unable.for]).toEqual(["10m", "10m"]);
    });

    it("watch only backends that get traffic", () => {
        const rules = routeRules({ namespace: "apps", route: "checkout", backends: [{ service: "a", weight: 56 }, { service: "b", weight: 0 }, { service: "c", weight: 44 }] });
        expect(rules.map((r) => r.labels.service)).toEqual(["a", "c"]);
        expect(rules[0].expr).toBe('(sum(kube_endpointslice_endpoints{namespace="apps", endpointslice=~"a-[a-z0-9]{5}", ready="true"}) or vector(0)) == 0');
        // Past 57 characters the controller's slice names keep only the first 58 of "<service>-".
        const long = "s".repeat(63);
        expect(endpointSlicePattern(long)).toBe(`${"s".repeat(58)}[a-z0-9]{5}`);
        expect(new RegExp(`^${endpointSlicePattern("web")}$`).test("web-7xk2p")).toBe(true);
        expect(["web-a-7xk2p", "web-7xk2", "webb-7xk2p"].filter((n) => new RegExp(`^${endpointSlicePattern("web")}$`).test(n))).toEqual([]);
    });

    it("scope budgets and pending pods to the platform's namespaces", () => {
        const [pdb, pending] = capacityRules(["apps", "etcd-system"]);
        expect(pdb.expr).toBe('kube_poddisruptionbudget_status_pod_disruptions_allowed{namespace=~"apps|etcd-system"} == 0');
        expect(pending.expr).toBe('sum by (namespace, pod) (kube_pod_status_phase{namespace=~"apps|etcd-system", phase="Pending"}) > 0');
    });
});

/** A platform with metrics on two services (one on its serving port), a route of three backends and a 5-member etcd. */
const PLATFORM: PlatformArgs = {
    cluster: { cloud: "local" },
    services: [
        { name: "web", image: "nginx:1.27", port: 8080, metrics: { port: 9100 }, autoscaling: { minReplicas: 3, maxReplicas: 30, scaleUpAbove: 70, scaleDownBelow: 20 } },
        { name: "api", image: "nginx:1.27", port: 8080, metrics: { port: 8080, path: "/stats" } },
        { name: "worker", image: "nginx:1.27" },
    ],
    routes: [{ name: "shop", backends: [{ service: "web", capacity: 5 }, { service: "api", capacity: 3 }] }],
    etcd: { members: 5, quotaBackendBytes: 2 ** 31 },
    addons: { monitoring: { stack: "external", namespace: "observability" } },
};

describe("the monitoring plan of a platform", () => {
    const input = platformMonitoringInput(PLATFORM);
    const plan = planMonitoring(input);

    it("groups the rules per promise, with the thresholds of the plans", () => {
        expect(plan.ruleGroups.map((g) => [g.name, g.rules.map((r) => r.alert)])).toEqual([
            ["etcd-apps-etcd", ["EtcdMembersDown", "EtcdQuorumLost", "EtcdNoLeader", "EtcdFrequentLeaderChanges", "EtcdDatabaseNearQuota"]],
            ["autoscaling-apps", ["HpaAtMaxReplicas", "HpaScalingInactive", "HpaUnableToScale", "HpaAtMaxReplicas", "HpaScalingInactive", "HpaUnableToScale", "HpaAtMaxReplicas", "HpaScalingInactive", "HpaUnableToScale"]],
            ["routes-apps", ["RouteBackendWithoutEndpoints", "RouteBackendWithoutEndpoints"]],
            ["capacity-apps", ["PdbNoDisruptionsAllowed", "PodsPending"]],
        ]);
        const etcdGroup = plan.ruleGroups[0].rules;
        expect(byName(etcdGroup, "EtcdMembersDown").expr).toBe('(count(up{job="etcd", namespace="apps"} == 1) or vector(0)) < 5');
        expect(byName(etcdGroup, "EtcdQuorumLost").expr).toBe('(count(up{job="etcd", namespace="apps"} == 1) or vector(0)) < 3');
        expect(byName(etcdGroup, "EtcdDatabaseNearQuota").expr).toBe('max(etcd_mvcc_db_total_size_in_bytes{job="etcd", namespace="apps"}) / 2147483648 > 0.8');
        const hpa = plan.ruleGroups[1].rules;
        expect(hpa.filter((r) => r.alert === "HpaAtMaxReplicas").map((r) => [r.labels.horizontalpodautoscaler, r.expr.split(" >= ")[1], r.annotations.description.split(" %")[0]]))
            .toEqual([["web", "30", "Above 70"], ["api", "10", "Above 80"], ["worker", "10", "Above 80"]]);
        // capacityWeights(5, 3) = 63/37: the route's own weights label the alerts.
        expect(plan.ruleGroups[2].rules.map((r) => r.annotations.summary)).toEqual([
            "Route apps/shop: backend web (weight 63) has no ready endpoint", "Route apps/shop: backend api (weight 37) has no ready endpoint"]);
    });

    it("scrapes etcd's metrics listener and each service's metrics port, and admits only the Prometheus pods there", () => {
        expect(plan.podMonitors.map((p) => [p.name, (p.spec as any).podMetricsEndpoints])).toEqual([
            ["etcd", [{ port: "metrics", path: "/metrics", scheme: "http", interval: "30s" }]],
            ["web", [{ port: "metrics", path: "/metrics", scheme: "http", interval: "30s" }]],
            ["api", [{ port: "http", path: "/stats", scheme: "http", interval: "30s" }]],
        ]);
        expect(plan.podMonitors[0].spec).toMatchObject({ selector: { matchLabels: { "app.kubernetes.io/name": "etcd", "app.kubernetes.io/instance": "etcd" } }, namespaceSelector: { matchNames: ["apps"] }, jobLabel: "app.kubernetes.io/name" });
        expect(plan.networkPolicies.map((n) => [n.name, (n.spec as any).ingress[0].ports])).toEqual([
            ["etcd-metrics", [{ protocol: "TCP", port: 2381 }]], ["web-metrics", [{ protocol: "TCP", port: 9100 }]], ["api-metrics", [{ protocol: "TCP", port: 8080 }]]]);
        expect(plan.networkPolicies[1].spec).toEqual({
            podSelector: { matchLabels: { "app.kubernetes.io/name": "web", "app.kubernetes.io/instance": "web" } },
            policyTypes: ["Ingress"],
            ingress: [{
                from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "observability" } }, podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } } }],
                ports: [{ protocol: "TCP", port: 9100 }],
            }],
        });
        expect(plan.scrapePorts).toEqual([2381, 8080, 9100]);
    });

    it("writes the rule file promtool and the PrometheusRule read, without empty fields", () => {
        const file = ruleFile(plan.ruleGroups);
        expect(file.groups.map((g) => g.name)).toEqual(plan.ruleGroups.map((g) => g.name));
        const frequent = file.groups[0].rules[3];
        expect(Object.keys(frequent)).toEqual(["alert", "expr", "labels", "annotations"]);
        expect(Object.keys(file.groups[0].rules[0])).toEqual(["alert", "expr", "for", "labels", "annotations"]);
    });

    it("draws the plans' numbers on the dashboard: weights against capacities, min/max, the band, the quorum", () => {
        const d = platformDashboard(input) as any;
        const panel = (title: string) => d.panels.find((p: any) => p.title === title);
        const consts = (title: string) => panel(title).targets.filter((t: any) => t.expr.startsWith("vector(")).map((t: any) => [t.legendFormat, t.expr]);
        expect(d.uid).toBe("paas-platform");
        expect(consts("Route shop: shares (%)")).toEqual([["web weight", "vector(63)"], ["web capacity", "vector(62.5)"], ["api weight", "vector(37)"], ["api capacity", "vector(37.5)"]]);
        expect(consts("web: replicas")).toEqual([["minReplicas", "vector(3)"], ["maxReplicas", "vector(30)"]]);
        expect(consts("web: CPU (% of requests)")).toEqual([["scale up above", "vector(70)"], ["scale down below", "vector(20)"]]);
        expect(consts("api: CPU (% of requests)")).toEqual([["scale up above", "vector(80)"], ["scale down below", "vector(30)"]]);
        expect(consts("etcd etcd: members up")).toEqual([["members", "vector(5)"], ["quorum", "vector(3)"]]);
        expect(consts("etcd etcd: database size")).toEqual([["quota", "vector(2147483648)"]]);
        expect(d.panels.map((p: any) => p.id)).toEqual(d.panels.map((_: unknown, i: number) => i + 1));
    });
});

describe("the kube-prometheus-stack namespace", () => {
    it("denies by default and lets Prometheus out to the scraped ports and the kubelets only", () => {
        const [p] = planAddonNamespaces(["monitoring"], "apps", { namespace: "monitoring", prometheusPodLabels: { "app.kubernetes.io/name": "prometheus" }, scrapePorts: [2381, 9100] });
        expect([p.addon, p.namespace?.name, p.namespace?.labels["pod-security.kubernetes.io/enforce"], p.namespace?.labels["paas.dev/addon"]]).toEqual(["monitoring", "monitoring", "baseline", "monitoring"]);
        expect(p.networkPolicies.map((n) => n.name)).toEqual(["default-deny", "allow-same-namespace", "allow-webhook-from-api-server", "allow-prometheus-scrape"]);
        expect(p.networkPolicies[3].spec).toEqual({
            podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } },
            policyTypes: ["Egress"],
            egress: [
                { to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "apps" } } }], ports: [{ protocol: "TCP", port: 2381 }, { protocol: "TCP", port: 9100 }] },
                { ports: [{ protocol: "TCP", port: 10250 }] },
            ],
        });
    });

    it("gives the chart two Prometheus replicas with a budget, selecting every rule and monitor, on the admitted pod labels", () => {
        const v = hardenedValues("monitoring", { team: "obs" }) as any;
        expect(v.prometheus.prometheusSpec).toMatchObject({ replicas: 2, ruleSelectorNilUsesHelmValues: false, podMonitorSelectorNilUsesHelmValues: false, podMetadata: { labels: { team: "obs" } } });
        expect(v.prometheus.podDisruptionBudget).toEqual({ enabled: true, maxUnavailable: 1 });
        expect(v.grafana.sidecar.dashboards).toEqual({ enabled: true, label: "grafana_dashboard", labelValue: "1" });
        expect([v.nodeExporter.enabled, v.kubeEtcd.enabled]).toEqual([false, false]);
    });
});

describe("monitoring config", () => {
    const svc = (over: object = {}) => ({ name: "web", image: "nginx:1.27", port: 8080, ...over });
    it.each([
        ["a metrics port below 1024", { "paas:services": [svc({ metrics: { port: 80 } })] },
            "paas:services[0].metrics.port must be an integer from 1024 to 65535 (non-root containers cannot bind below 1024)"],
        ["a metrics path without a slash", { "paas:services": [svc({ metrics: { port: 9100, path: "metrics" } })] },
            'paas:services[0].metrics.path must start with "/" and have no spaces'],
        ["metrics without a port", { "paas:services": [svc({ metrics: { path: "/metrics" } })] }, "paas:services[0].metrics.port is required"],
        ["an unknown stack", { "paas:addons": { monitoring: { stack: "prometheus" } } },
            'paas:addons.monitoring.stack must be one of "none", "kube-prometheus-stack", "external"'],
        ["an empty Prometheus selector", { "paas:addons": { monitoring: { stack: "external", prometheusPodLabels: {} } } },
            "paas:addons.monitoring.prometheusPodLabels must name at least one label: an empty selector would admit every pod of the namespace to the metrics ports"],
        ["a bad resource label", { "paas:addons": { monitoring: { stack: "external", resourceLabels: { release: "a b" } } } },
            'paas:addons.monitoring.resourceLabels["release"] must be a label value: empty, or 1 to 63 letters, digits, \'-\', \'_\' or \'.\', starting and ending with a letter or digit'],
        ["the workloads' namespace for the chart", { "paas:addons": { monitoring: { stack: "kube-prometheus-stack", namespace: "apps" } } },
            "paas:namespace is the namespace of the kube-prometheus-stack add-on, which creates it; use another"],
        ["a system namespace for the chart", { "paas:addons": { monitoring: { stack: "kube-prometheus-stack", namespace: "kube-system" } } },
            `paas:addons.monitoring.namespace ${SYSTEM}`],
        ["a service named like a scrape policy", { "paas:services": [svc({ metrics: { port: 9100 } }), svc({ name: "web-metrics" })], "paas:addons": { monitoring: { stack: "external" } } },
            "paas:services[1].name clashes with the scrape NetworkPolicy of the service web, which has the same name; pick another name"],
    ])("refuses %s, naming the key", (_what, config, problem) => {
        expect(problemsOf(config)).toEqual([problem]);
    });

    it("takes a valid monitoring setup, and metrics without monitoring", () => {
        expect(problemsOf({ "paas:services": [svc({ metrics: { port: 9100 } }), svc({ name: "web-metrics" })] })).toEqual([]);
        expect(problemsOf({ "paas:services": [svc({ metrics: { port: 8080, path: "/stats" } })], "paas:addons": { monitoring: { stack: "kube-prometheus-stack" } } })).toEqual([]);
    });
});

describe("the monitoring objects of a stack (azure-prod with kube-prometheus-stack)", () => {
    it("declare the chart, the rule, the monitors, the scrape policies and the dashboard, valid against the operator's schemas", async () => {
        const run = await runStack("azure-prod", (c) => ({
            ...c,
            "paas:addons": { monitoring: { stack: "kube-prometheus-stack" } },
            "paas:services": (c["paas:services"] as any[]).map((s) => (s.name === "orders" ? { ...s, metrics: { port: 9102 } } : s)),
        }));
        const r = run.recorder;
        const release = r.get("kubernetes:helm.sh/v3:Release", "paas-monitoring");
        expect([release.inputs.chart, release.inputs.version, release.inputs.namespace, release.inputs.createNamespace]).toEqual(["kube-prometheus-stack", "81.6.2", "monitoring", false]);
        expect(release.inputs.values).toEqual(hardenedValues("monitoring"));
        const ns = r.get("kubernetes:core/v1:Namespace", "paas-monitoring-ns");
        expect(ns.inputs.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("baseline");
        const scrape = r.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "paas-monitoring-allow-prometheus-scrape");
        expect(scrape.inputs.spec.egress[0]).toEqual({ to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "apps" } } }], ports: [{ protocol: "TCP", port: 9102 }] });

        const rule = r.get("kubernetes:monitoring.coreos.com/v1:PrometheusRule", "paas-alerts");
        expect([rule.inputs.metadata.name, rule.inputs.metadata.namespace]).toEqual(["paas-alerts", "apps"]);
        expect(rule.inputs.spec.groups.map((g: any) => g.name)).toEqual(["autoscaling-apps", "routes-apps", "capacity-apps"]);
        expect(r.ofType("kubernetes:monitoring.coreos.com/v1:PodMonitor").map((p) => p.inputs.metadata.name)).toEqual(["orders"]);
        const np = r.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "paas-orders-metrics-netpol");
        expect([np.inputs.metadata.name, np.inputs.spec.ingress[0].ports]).toEqual(["orders-metrics", [{ protocol: "TCP", port: 9102 }]]);
        const deployment = r.get("kubernetes:apps/v1:Deployment", "paas-orders-deployment");
        expect(deployment.inputs.spec.template.spec.containers[0].ports).toEqual([
            { name: "http", containerPort: 9090, protocol: "TCP" }, { name: "metrics", containerPort: 9102, protocol: "TCP" }]);
        const dashboard = r.get("kubernetes:core/v1:ConfigMap", "paas-dashboard");
        expect([dashboard.inputs.metadata.namespace, dashboard.inputs.metadata.labels.grafana_dashboard]).toEqual(["monitoring", "1"]);
        expect(JSON.parse(dashboard.inputs.data["paas-platform.json"]).uid).toBe("paas-platform");

        const objects = r.resources.filter((o) => o.type.startsWith("kubernetes:monitoring.coreos.com/"));
        expect(objects.length).toBe(2);
        for (const o of objects) expect([o.name, await schemaErrors(o.inputs as never)]).toEqual([o.name, ""]);
        expect(evaluate(r.policySubjects(), PROD)).toEqual([]);
    });

    it("scrape etcd's members for an external Prometheus, under the pack at prod settings (local stack)", async () => {
        const run = await runStack("local", (c) => ({
            ...c,
            "paas:addons": { ...(c["paas:addons"] as object), monitoring: { stack: "external", namespace: "observability", resourceLabels: { release: "prom" } } },
        }));
        const r = run.recorder;
        expect(r.ofType("kubernetes:helm.sh/v3:Release").map((x) => x.name)).toEqual([]);
        const monitors = r.ofType("kubernetes:monitoring.coreos.com/v1:PodMonitor");
        expect(monitors.map((m) => [m.inputs.metadata.name, m.inputs.metadata.labels])).toEqual([["etcd", { "app.kubernetes.io/managed-by": "paas", release: "prom" }]]);
        const np = r.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "paas-etcd-metrics-netpol");
        expect(np.inputs.spec.ingress).toEqual([{
            from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "observability" } }, podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } } }],
            ports: [{ protocol: "TCP", port: 2381 }],
        }]);
        const rule = r.get("kubernetes:monitoring.coreos.com/v1:PrometheusRule", "paas-alerts");
        expect(rule.inputs.spec.groups[0].rules[1].expr).toBe('(count(up{job="etcd", namespace="apps"} == 1) or vector(0)) < 2');
        for (const o of [...monitors, rule]) expect([o.name, await schemaErrors(o.inputs as never)]).toEqual([o.name, ""]);
        expect(evaluate(r.policySubjects(), PROD)).toEqual([]);
    });

    it("has a schema check that can fail", async () => {
        expect(await schemaErrors({ apiVersion: "monitoring.coreos.com/v1", kind: "PrometheusRule", metadata: { name: "x" }, spec: { groups: [{ name: "g", rules: [{ alert: "A" }] }] } } as never)).toMatch(/expr/);
        expect(await schemaErrors({ apiVersion: "monitoring.coreos.com/v1", kind: "PodMonitor", metadata: { name: "x" }, spec: { selector: {}, podMetricsEndpoints: [{ portNumber: 0 }] } } as never)).toMatch(/portNumber/);
    });
});
