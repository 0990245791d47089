/** The program: stack config in, platform out, outputs exported. */
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { Platform } from "../components/src/platform";
import { ConfigError } from "../core/src/validation";
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
    // Either way the kubeconfig is a secret: it holds the cluster's credentials.
    const kubeconfig = cfg.hasKubeconfig
        ? new pulumi.Config(NAMESPACE).requireSecret("kubeconfig")
        : cfg.kubeconfigFile
            ? pulumi.secret(fs.readFileSync(cfg.kubeconfigFile, "utf8"))
            : undefined;
    const platform = new Platform("paas", {
        cluster: { ...cfg.cluster, local: cfg.cloud === "local" ? { ...cfg.cluster.local, kubeconfig } : undefined },
        namespace: cfg.namespace,
        services: cfg.services,
        routes: cfg.routes,
        gateway: cfg.gateway,
        addons: cfg.addons,
        etcd: cfg.etcd,
        access: cfg.access,
        capacity: cfg.capacity,
    });
    const cluster = platform.clusterComponent();
    const etcd = platform.etcdQuorum();
    return {
        cloud: cfg.cloud,
        clusterName: cluster.clusterName,
        kubeconfig: cluster.kubeconfig,
        oidcIssuerUrl: cluster.oidcIssuerUrl,
        namespace: platform.namespace,
        renderDirectory: cluster.renderOnly ? cluster.resolvedPlan().local!.renderDirectory : undefined,
        gatewayController: platform.gatewayController,
        routeWeights: Object.fromEntries([...platform.routes()].map(([n, r]) => [n, r.weights])),
        autoscaling: Object.fromEntries([...platform.services()].map(([n, s]) => {
            const a = s.autoscalingPlan();
            return [n, { targetUtilization: a.targetUtilization, scaleUpTolerance: a.scaleUpTolerance, scaleDownTolerance: a.scaleDownTolerance }];
        })),
        warnings: platform.warnings,
        capacity: platform.capacityReport(),
        accessMatrix: platform.kubernetesAccess()?.matrix ?? {},
        accessRunAs: platform.kubernetesAccess()?.runAs ?? {},
        etcd: etcd
            ? { endpoint: etcd.clientEndpoint, members: etcd.members, quorum: etcd.quorum, faultTolerance: etcd.faultTolerance }
            : undefined,
    };
}
