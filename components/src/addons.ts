/** Cluster add-ons: metrics-server, a Gateway API controller, cert-manager. */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { Cloud } from "./planners/cluster";
import { type AddonsArgs, ENVOY_NAMESPACE } from "./planners/platform";
import { MANAGED_BY } from "./planners/workload";

export type { AddonsArgs } from "./planners/platform";

/** Charts, pinned. One place to bump them. */
export const ADDON_CHARTS = {
    metricsServer: { chart: "metrics-server", version: "3.13.0", repo: "https://kubernetes-sigs.github.io/metrics-server/", namespace: "kube-system" },
    envoyGateway: { chart: "oci://docker.io/envoyproxy/gateway-helm", version: "v1.5.4", namespace: ENVOY_NAMESPACE },
    certManager: { chart: "cert-manager", version: "v1.19.1", repo: "https://charts.jetstack.io", namespace: "cert-manager" },
} as const;

export const ENVOY_CONTROLLER_NAME = "gateway.envoyproxy.io/gatewayclass-controller";

interface Context {
    cloud: Cloud;
    /** Manifests are rendered, not applied: Helm releases cannot be rendered, only CRD-level objects are declared. */
    renderOnly: boolean;
    gatewayClassName: string;
    opts: pulumi.CustomResourceOptions;
}

/** Declares the add-ons; returns what the gateway objects must wait for. */
export function installAddons(name: string, args: AddonsArgs, ctx: Context): pulumi.Resource[] {
    const ready: pulumi.Resource[] = [];
    const release = (key: keyof typeof ADDON_CHARTS, values: Record<string, unknown>) => {
        const c = ADDON_CHARTS[key];
        return new k8s.helm.v3.Release(`${name}-${key}`, {
            name: key === "envoyGateway" ? "envoy-gateway" : c.chart.split("/").pop(),
            chart: c.chart,
            version: c.version,
            repositoryOpts: "repo" in c ? { repo: c.repo } : undefined,
            namespace: c.namespace,
            createNamespace: true,
            atomic: true,
            cleanupOnFail: true,
            values,
        }, ctx.opts);
    };
    const metrics = args.metricsServer ?? ctx.cloud === "aws";
    if (!ctx.renderOnly && metrics) release("metricsServer", { replicas: 2, podDisruptionBudget: { enabled: true, maxUnavailable: 1 } });
    if (!ctx.renderOnly && args.certManager) {
        ready.push(release("certManager", { crds: { enabled: true }, config: { enableGatewayAPI: true }, replicaCount: 2, podDisruptionBudget: { enabled: true } }));
    }
    if (args.gatewayController === "envoy") {
        if (!ctx.renderOnly) ready.push(release("envoyGateway", { deployment: { replicas: 2 } }));
        ready.push(new k8s.apiextensions.CustomResource(`${name}-gatewayclass`, {
            apiVersion: "gateway.networking.k8s.io/v1",
            kind: "GatewayClass",
            metadata: { name: ctx.gatewayClassName, labels: { ...MANAGED_BY } },
            spec: { controllerName: ENVOY_CONTROLLER_NAME },
        }, { ...ctx.opts, dependsOn: ready.slice() }));
    }
    return ready;
}
