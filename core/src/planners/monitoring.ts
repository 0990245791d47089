/**
 * Monitoring planner: the monitoring add-on's args, and the platform's monitoring plan — the alert
 * groups (./alerts.ts) with the thresholds of the etcd, autoscaling and route plans, the
 * PodMonitors that scrape the platform's own metrics, and the NetworkPolicies that let only the
 * Prometheus pods in. Pure.
 */
import type { Problems } from "../validation";
import { type RuleGroup, autoscalerRules, capacityRules, etcdRules, routeRules } from "./alerts";
import type { AutoscalingPlan } from "./autoscaling";
import { type EtcdPlan, METRICS_PORT } from "./etcd";
import { metricsPortName } from "./service";
import { DNS_1123_LABEL, labelKeyProblem, labelValueProblem, selectorLabels } from "./workload";

/** Which Prometheus Operator the platform's monitoring objects are for. */
export const MonitoringStack = { None: "none", KubePrometheusStack: "kube-prometheus-stack", External: "external" } as const;
export type MonitoringStack = (typeof MonitoringStack)[keyof typeof MonitoringStack];
export const MONITORING_STACKS: readonly MonitoringStack[] = Object.values(MonitoringStack);

export interface MonitoringArgs {
    /**
     * `kube-prometheus-stack`: the platform installs the chart (Prometheus Operator, Prometheus,
     * Alertmanager, Grafana, kube-state-metrics) into `namespace`; `external`: a Prometheus
     * Operator you run, whose Prometheus pods run in `namespace` and select the platform's objects
     * by `resourceLabels`; `none`: no monitoring objects.
     * @default none
     */
    stack?: MonitoringStack;
    /** Namespace of the Prometheus pods (created by the platform for kube-prometheus-stack). @default monitoring */
    namespace?: string;
    /** Labels of the Prometheus pods: the scrape NetworkPolicies admit exactly these pods. @default {"app.kubernetes.io/name": "prometheus"} (every Prometheus the operator runs) */
    prometheusPodLabels?: Record<string, string>;
    /** Labels put on the PrometheusRule, the PodMonitors and the dashboard ConfigMap, for an external Prometheus's selectors. @default {} */
    resourceLabels?: Record<string, string>;
}

/** Every default of {@link MonitoringArgs}; the check, the plan, the component and the docs read these. */
export const MONITORING_DEFAULTS = {
    stack: MonitoringStack.None,
    namespace: "monitoring",
    prometheusPodLabels: { "app.kubernetes.io/name": "prometheus" },
    resourceLabels: {},
    scrapeInterval: "30s",
} as const;

/** The label Grafana's dashboard sidecar looks for (kube-prometheus-stack sets its sidecar to it). */
export const GRAFANA_DASHBOARD_LABEL = { grafana_dashboard: "1" } as const;

/** Names of the monitoring objects in the workloads' namespace and the Prometheus namespace. */
export const MONITORING_OBJECTS = { prometheusRule: "paas-alerts", dashboard: "paas-dashboard" } as const;

/** The NetworkPolicy that admits Prometheus to one scrape target. */
export function scrapePolicyName(target: string): string {
    return `${target}-metrics`;
}

export interface ResolvedMonitoring {
    readonly stack: MonitoringStack;
    readonly namespace: string;
    readonly prometheusPodLabels: Readonly<Record<string, string>>;
    readonly resourceLabels: Readonly<Record<string, string>>;
}

export function resolveMonitoring(a: MonitoringArgs | undefined): ResolvedMonitoring {
    const d = MONITORING_DEFAULTS;
    return {
        stack: a?.stack ?? d.stack,
        namespace: a?.namespace ?? d.namespace,
        prometheusPodLabels: { ...(a?.prometheusPodLabels ?? d.prometheusPodLabels) },
        resourceLabels: { ...(a?.resourceLabels ?? d.resourceLabels) },
    };
}

function checkLabels(labels: Record<string, string> | undefined, path: string, problems: Problems): void {
    for (const [k, v] of Object.entries(labels ?? {})) {
        const keyProblem = labelKeyProblem(k);
        if (keyProblem) problems.add(`${path}["${k}"]`, k, keyProblem);
        const valueProblem = typeof v === "string" ? labelValueProblem(v) : "must be a string";
        if (valueProblem) problems.add(`${path}["${k}"]`, v, valueProblem);
    }
}

/** Checks `addons.monitoring`; the namespace's clashes with the platform's own are checkPlatform's. */
export function checkMonitoring(a: MonitoringArgs | undefined, path: string, problems: Problems): void {
    if (a === undefined) return;
    if (a.stack !== undefined && !MONITORING_STACKS.includes(a.stack))
        problems.add(`${path}.stack`, a.stack, `must be one of ${MONITORING_STACKS.map((s) => `"${s}"`).join(", ")}`);
    if (a.namespace !== undefined && !DNS_1123_LABEL.test(a.namespace))
        problems.add(`${path}.namespace`, a.namespace, "must be a DNS label (lowercase letters, digits, '-'; at most 63)");
    if (a.prometheusPodLabels !== undefined && Object.keys(a.prometheusPodLabels).length === 0)
        problems.add(`${path}.prometheusPodLabels`, a.prometheusPodLabels, "must name at least one label: an empty selector would admit every pod of the namespace to the metrics ports");
    checkLabels(a.prometheusPodLabels, `${path}.prometheusPodLabels`, problems);
    checkLabels(a.resourceLabels, `${path}.resourceLabels`, problems);
}

export interface MonitoredService {
    readonly name: string;
    /** The service's serving port, if any. */
    readonly port?: number;
    /** Where it serves Prometheus metrics; undefined: it is not scraped. */
    readonly metrics?: { readonly port: number; readonly path: string };
    readonly autoscaling: Pick<AutoscalingPlan, "minReplicas" | "maxReplicas" | "band">;
}

export interface MonitoredRoute {
    readonly name: string;
    /** Each backend's capacity r_i and the integer weight the route gives it. */
    readonly backends: readonly { readonly service: string; readonly capacity: number; readonly weight: number }[];
}

export interface MonitoringInput {
    readonly monitoring: ResolvedMonitoring;
    /** The workloads' namespace (services, routes, etcd). */
    readonly namespace: string;
    readonly services: readonly MonitoredService[];
    readonly routes: readonly MonitoredRoute[];
    readonly etcd?: Pick<EtcdPlan, "name" | "members" | "quorum" | "faultTolerance" | "quotaBackendBytes">;
}

/** A namespaced object's name and spec (the namespace is the workloads'). */
export interface NamedSpec {
    readonly name: string;
    readonly spec: Record<string, unknown>;
}

export interface MonitoringPlan {
    readonly ruleGroups: readonly RuleGroup[];
    /** One per scrape target: etcd's members and every service with `metrics`. */
    readonly podMonitors: readonly NamedSpec[];
    /** One per scrape target: ingress from the Prometheus pods, on the metrics port only. */
    readonly networkPolicies: readonly NamedSpec[];
    /** The ports Prometheus scrapes in the workloads' namespace, sorted (its egress there). */
    readonly scrapePorts: readonly number[];
}

/** What Prometheus may reach in the workloads' namespace: `port` on the pods of `target`. */
function scrapePolicy(m: ResolvedMonitoring, target: string, port: number): NamedSpec {
    return {
        name: scrapePolicyName(target),
        spec: {
            podSelector: { matchLabels: selectorLabels(target) },
            policyTypes: ["Ingress"],
            ingress: [{
                from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": m.namespace } }, podSelector: { matchLabels: { ...m.prometheusPodLabels } } }],
                ports: [{ protocol: "TCP", port }],
            }],
        },
    };
}

/** The pods of `target` scraped on their container port `port`; the `job` label is the target's name. */
function podMonitor(namespace: string, target: string, port: string, path: string): NamedSpec {
    return {
        name: target,
        spec: {
            selector: { matchLabels: selectorLabels(target) },
            namespaceSelector: { matchNames: [namespace] },
            // The pods' app.kubernetes.io/name is the target's name: the rules select on job="<name>".
            jobLabel: "app.kubernetes.io/name",
            podMetricsEndpoints: [{ port, path, scheme: "http", interval: MONITORING_DEFAULTS.scrapeInterval }],
        },
    };
}

/**
 * The platform's monitoring: rule groups (etcd from its quorum plan, each service's HPA from its
 * autoscaling plan, each route's weighted backends, budgets and Pending pods in the workloads'
 * namespace), a PodMonitor and a scrape NetworkPolicy per target. Assumes checked input.
 */
export function planMonitoring(input: MonitoringInput): MonitoringPlan {
    const ns = input.namespace;
    const m = input.monitoring;
    const groups: RuleGroup[] = [];
    const podMonitors: NamedSpec[] = [];
    const policies: NamedSpec[] = [];
    const ports = new Set<number>();
    if (input.etcd) {
        const e = input.etcd;
        groups.push(etcdRules({ members: e.members, quorum: e.quorum, faultTolerance: e.faultTolerance, name: e.name, namespace: ns, quotaBackendBytes: e.quotaBackendBytes }));
        // The members' metrics listener is plain HTTP on its own port; client and peer ports stay closed to Prometheus.
        podMonitors.push(podMonitor(ns, e.name, "metrics", "/metrics"));
        policies.push(scrapePolicy(m, e.name, METRICS_PORT));
        ports.add(METRICS_PORT);
    }
    if (input.services.length > 0)
        groups.push({ name: `autoscaling-${ns}`, rules: input.services.flatMap((s) => autoscalerRules({ namespace: ns, name: s.name, maxReplicas: s.autoscaling.maxReplicas, band: s.autoscaling.band })) });
    for (const s of input.services) {
        if (!s.metrics) continue;
        podMonitors.push(podMonitor(ns, s.name, metricsPortName({ port: s.port, metrics: s.metrics }), s.metrics.path));
        policies.push(scrapePolicy(m, s.name, s.metrics.port));
        ports.add(s.metrics.port);
    }
    const routeRuleList = input.routes.flatMap((r) => routeRules({ namespace: ns, route: r.name, backends: r.backends }));
    if (routeRuleList.length > 0) groups.push({ name: `routes-${ns}`, rules: routeRuleList });
    groups.push({ name: `capacity-${ns}`, rules: capacityRules([ns]) });
    return { ruleGroups: groups, podMonitors, networkPolicies: policies, scrapePorts: [...ports].sort((a, b) => a - b) };
}
