import type * as pulumi from "@pulumi/pulumi";
import type { ClusterAutoscalerWiring } from "./clusterAutoscaler";
import type { KarpenterWiring } from "./karpenter";

/** What each cloud's builder hands back to the KubernetesCluster component. */
export interface CloudCluster {
    readonly clusterName: pulumi.Output<string>;
    /** Always a Pulumi secret. */
    readonly kubeconfig: pulumi.Output<string>;
    readonly oidcIssuerUrl?: pulumi.Output<string>;
    /** AWS only: the IAM OIDC provider IRSA roles trust. */
    readonly oidcProviderArn?: pulumi.Output<string>;
    /** GCP only: the workload identity pool (`<project>.svc.id.goog`). */
    readonly workloadIdentityPool?: pulumi.Output<string>;
    /** Azure only: resource group holding the cluster. */
    readonly resourceGroupName?: pulumi.Output<string>;
    /** Resources the Kubernetes provider waits for (node pools), so workloads have somewhere to run. */
    readonly readyResources: pulumi.Resource[];
    /** AWS with Karpenter: what its charts and NodePools are wired to. */
    readonly karpenter?: KarpenterWiring;
    /** AWS with managed node groups: what the cluster autoscaler's chart is wired to. */
    readonly clusterAutoscaler?: ClusterAutoscalerWiring;
    /** Azure with node auto-provisioning: the subnet its nodes join. */
    readonly aksNodeSubnetId?: pulumi.Output<string>;
}
