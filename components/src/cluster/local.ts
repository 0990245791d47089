/** The `local` cloud: no cluster is created; an existing one is targeted, or manifests are rendered. */
import * as pulumi from "@pulumi/pulumi";
import type { ClusterPlan } from "../planners/cluster";
import type { CloudCluster } from "./types";

export function localCluster(plan: ClusterPlan, kubeconfig: pulumi.Input<string> | undefined): CloudCluster {
    return {
        clusterName: pulumi.output(plan.clusterName),
        // Render mode has no kubeconfig; the output stays a (empty) secret so its type never changes.
        kubeconfig: pulumi.secret(pulumi.output(kubeconfig ?? "")),
        readyResources: [],
    };
}
