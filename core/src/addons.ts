/** Cluster add-ons: metrics-server, a Gateway API controller, cert-manager, kube-prometheus-stack. */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { type AddonKey, type MonitoringNamespaceArgs, hardenedValues, planAddonNamespaces } from "./planners/addons";
import { CERT_MANAGER_NAMESPACE, ENVOY_NAMESPACE } from "./planners/kubernetesPlatform";
import { MONITORING_DEFAULTS } from "./planners/monitoring";
import { MANAGED_BY } from "./planners/workload";

/** Charts, pinned. One place to bump them. */
export const ADDON_CHARTS = {
    metricsServer: { chart: "metrics-server", version: "3.13.0", repo: "https://kubernetes-sigs.github.io/metrics-server/", namespace: "kube-system" },
    envoyGateway: { chart: "oci://docker.io/envoyproxy/gateway-helm", version: "v1.5.4", namespace: ENVOY_NAMESPACE },
    certManager: { chart: "cert-manager", version: "v1.19.1", repo: "https://charts.jetstack.io", namespace: CERT_MANAGER_NAMESPACE },
    // The namespace is `addons.monitoring.namespace`; this is its default.
    monitoring: { chart: "kube-prometheus-stack", version: "81.6.2", repo: "https://prometheus-community.github.io/helm-charts", namespace: MONITORING_DEFAULTS.namespace },
} as const satisfies Record<AddonKey, { chart: string; version: string; repo?: string; namespace: string }>;

export const ENVOY_CONTROLLER_NAME = "gateway.envoyproxy.io/gatewayclass-controller";

interface Context {
    /** The add-ons to install. */
    enabled: readonly AddonKey[];
    /** Manifests are rendered, not applied: Helm releases cannot be rendered, only CRD-level objects are declared. */
    renderOnly: boolean;
    gatewayClassName: string;
    /** Namespace of the platform's services (the gateway's backends). */
    appNamespace: string;
    /** Where the monitoring add-on runs and what its Prometheus scrapes (with `monitoring.stack: kube-prometheus-stack`). */
    monitoring: MonitoringNamespaceArgs;
    opts: pulumi.CustomResourceOptions;
}

/** What the platform's objects wait for: the gateway's (controller, GatewayClass), the monitoring objects' (their CRDs). */
export interface AddonsReady {
    gateway: pulumi.Resource[];
    monitoring: pulumi.Resource[];
}

/**
 * Declares the add-ons; returns what the platform's objects must wait for. Each chart's namespace is
 * the platform's (Pod Security labels, default deny, the flows it needs), declared even when only
 * rendering, so the policy pack and scanners see it; the releases never create namespaces.
 */
export function installAddons(name: string, ctx: Context): AddonsReady {
    const ready: pulumi.Resource[] = [];
    const enabled = ctx.enabled;
    const namespaces = new Map<AddonKey, pulumi.Resource[]>();
    const chartNamespace = (key: AddonKey) => (key === "monitoring" ? ctx.monitoring.namespace : ADDON_CHARTS[key].namespace);
    for (const plan of planAddonNamespaces(enabled, ctx.appNamespace, ctx.monitoring)) {
        const owned: pulumi.Resource[] = [];
        let nsOut: pulumi.Input<string> = chartNamespace(plan.addon);
        if (plan.namespace) {
            const ns = new k8s.core.v1.Namespace(`${name}-${plan.addon}-ns`, { metadata: { name: plan.namespace.name, labels: plan.namespace.labels } }, ctx.opts);
            owned.push(ns);
            nsOut = ns.metadata.name;
        }
        for (const np of plan.networkPolicies)
            owned.push(new k8s.networking.v1.NetworkPolicy(`${name}-${plan.addon}-${np.name}`, {
                metadata: { name: np.name, namespace: nsOut, labels: { ...MANAGED_BY } },
                spec: np.spec as unknown as k8s.types.input.networking.v1.NetworkPolicySpec,
            }, ctx.opts));
        namespaces.set(plan.addon, owned);
    }
    const release = (key: AddonKey) => {
        const c = ADDON_CHARTS[key];
        return new k8s.helm.v3.Release(`${name}-${key}`, {
            name: key === "envoyGateway" ? "envoy-gateway" : c.chart.split("/").pop(),
            chart: c.chart,
            version: c.version,
            repositoryOpts: "repo" in c ? { repo: c.repo } : undefined,
            namespace: chartNamespace(key),
            createNamespace: false,
            atomic: true,
            cleanupOnFail: true,
            values: hardenedValues(key, ctx.monitoring.prometheusPodLabels),
        }, { ...ctx.opts, dependsOn: namespaces.get(key) ?? [] });
    };
    if (!ctx.renderOnly && enabled.includes("metricsServer")) release("metricsServer");
    if (!ctx.renderOnly && enabled.includes("certManager")) ready.push(release("certManager"));
    // The chart brings the Prometheus Operator's CRDs: the PrometheusRule and PodMonitors wait for it.
    const monitoring = [...(namespaces.get("monitoring") ?? []), ...(!ctx.renderOnly && enabled.includes("monitoring") ? [release("monitoring")] : [])];
    if (enabled.includes("envoyGateway")) {
        if (!ctx.renderOnly) ready.push(release("envoyGateway"));
        ready.push(new k8s.apiextensions.CustomResource(`${name}-gatewayclass`, {
            apiVersion: "gateway.networking.k8s.io/v1",
            kind: "GatewayClass",
            metadata: { name: ctx.gatewayClassName, labels: { ...MANAGED_BY } },
            spec: { controllerName: ENVOY_CONTROLLER_NAME },
        }, { ...ctx.opts, dependsOn: ready.slice() }));
    }
    return { gateway: ready, monitoring };
}
