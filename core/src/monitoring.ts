/**
 * The platform's monitoring objects, wired from the monitoring plan: one PrometheusRule with every
 * alert group, a PodMonitor and a scrape NetworkPolicy per target in the workloads' namespace, and
 * the dashboard as a ConfigMap for Grafana's sidecar in the Prometheus namespace.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { DASHBOARD_FILE, platformDashboard } from "./planners/dashboard";
import { ruleFile } from "./planners/alerts";
import { GRAFANA_DASHBOARD_LABEL, MONITORING_OBJECTS, type MonitoringInput, type MonitoringPlan } from "./planners/monitoring";
import { MANAGED_BY } from "./planners/workload";

/** The Prometheus Operator's API group and version. */
export const MONITORING_API = "monitoring.coreos.com/v1";

/**
 * Declares the objects of `plan`, made by planMonitoring from `input` (children named
 * `${name}-…`); `opts.dependsOn` should hold what brings the CRDs and the Prometheus namespace.
 */
export function installMonitoring(name: string, input: MonitoringInput, plan: MonitoringPlan, opts: pulumi.CustomResourceOptions): void {
    const ns = input.namespace;
    const labels = { ...MANAGED_BY, ...input.monitoring.resourceLabels };
    new k8s.apiextensions.CustomResource(`${name}-alerts`, {
        apiVersion: MONITORING_API,
        kind: "PrometheusRule",
        metadata: { name: MONITORING_OBJECTS.prometheusRule, namespace: ns, labels },
        spec: ruleFile(plan.ruleGroups),
    }, opts);
    for (const pm of plan.podMonitors)
        new k8s.apiextensions.CustomResource(`${name}-${pm.name}-podmonitor`, {
            apiVersion: MONITORING_API,
            kind: "PodMonitor",
            metadata: { name: pm.name, namespace: ns, labels },
            spec: pm.spec,
        }, opts);
    for (const np of plan.networkPolicies)
        new k8s.networking.v1.NetworkPolicy(`${name}-${np.name}-netpol`, {
            metadata: { name: np.name, namespace: ns, labels: { ...MANAGED_BY } },
            spec: np.spec as unknown as k8s.types.input.networking.v1.NetworkPolicySpec,
        }, opts);
    new k8s.core.v1.ConfigMap(`${name}-dashboard`, {
        metadata: { name: MONITORING_OBJECTS.dashboard, namespace: input.monitoring.namespace, labels: { ...labels, ...GRAFANA_DASHBOARD_LABEL } },
        data: { [DASHBOARD_FILE]: JSON.stringify(platformDashboard(input), null, 2) },
    }, opts);
}
