/** The program: stack config in, platform out, outputs exported. */
import * as pulumi from "@pulumi/pulumi";
import { Platform } from "../components/src/platform";
import { ConfigError } from "../components/src/validation";
import { NAMESPACE, parseConfig } from "./config";

export function main(): Record<string, pulumi.Input<unknown>> {
    let cfg;
    try {
        cfg = parseConfig(pulumi.runtime.allConfig(), pulumi.getStack());
    } catch (e) {
        // A RunError is printed without a stack trace: the message already says what to fix.
        if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
        throw e;
    }
    const kubeconfig = cfg.hasKubeconfig ? new pulumi.Config(NAMESPACE).requireSecret("kubeconfig") : undefined;
    const platform = new Platform("paas", {
        cluster: { ...cfg.cluster, local: cfg.cloud === "local" ? { ...cfg.cluster.local, kubeconfig } : undefined },
        namespace: cfg.namespace,
        services: cfg.services,
        routes: cfg.routes,
        gateway: cfg.gateway,
        addons: cfg.addons,
        etcd: cfg.etcd,
        access: cfg.access,
    });
    const cluster = platform.cluster;
    return {
        cloud: cfg.cloud,
        clusterName: cluster.clusterName,
        kubeconfig: cluster.kubeconfig,
        oidcIssuerUrl: cluster.oidcIssuerUrl,
        namespace: platform.namespace,
        renderDirectory: cluster.renderOnly ? cluster.plan.local!.renderDirectory : undefined,
        gatewayController: platform.gatewayController,
        routeWeights: Object.fromEntries(Object.entries(platform.routes).map(([n, r]) => [n, r.weights])),
        autoscaling: Object.fromEntries(Object.entries(platform.services).map(([n, s]) => [n, {
            targetUtilization: s.autoscaling.targetUtilization,
            scaleUpTolerance: s.autoscaling.scaleUpTolerance,
            scaleDownTolerance: s.autoscaling.scaleDownTolerance,
        }])),
        warnings: platform.warnings,
        accessMatrix: platform.access?.matrix ?? {},
        etcd: platform.etcd
            ? { endpoint: platform.etcd.clientEndpoint, members: platform.etcd.plan.members, quorum: platform.etcd.plan.quorum, faultTolerance: platform.etcd.plan.faultTolerance }
            : undefined,
    };
}
