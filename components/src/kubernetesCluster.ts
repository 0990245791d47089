/** `paas:index:KubernetesCluster`: one API over EKS, GKE, AKS and an existing (or rendered) cluster. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { createEksCluster } from "./cluster/aws";
import { createAksCluster } from "./cluster/azure";
import { createClusterAutoscalerRelease } from "./cluster/clusterAutoscaler";
import { createGkeCluster } from "./cluster/gcp";
import { createAksNodePools, createKarpenterObjects } from "./cluster/karpenter";
import { localCluster } from "./cluster/local";
import type { CloudCluster } from "./cluster/types";
import { type ClusterPlan, type KubernetesClusterArgs, planCluster } from "./planners/cluster";
import { Problems } from "../../core/src/validation";

export type { KubernetesClusterArgs } from "./planners/cluster";

/** Plans are kept beside the instances: every class property would become a schema output. */
const PLANS = new WeakMap<object, ClusterPlan>();

export class KubernetesCluster extends pulumi.ComponentResource {
    /** Name of the cluster at the cloud provider. */
    readonly clusterName: pulumi.Output<string>;
    /** Kubeconfig of the cluster; always a secret (empty when manifests are rendered). */
    readonly kubeconfig: pulumi.Output<string>;
    /** OIDC issuer of the cluster's service-account tokens, where the cloud has one. */
    readonly oidcIssuerUrl: pulumi.Output<string | undefined>;
    /** AWS: ARN of the IAM OIDC provider that IRSA roles trust. */
    readonly oidcProviderArn: pulumi.Output<string | undefined>;
    /** GCP: workload identity pool (`<project>.svc.id.goog`). */
    readonly workloadIdentityPool: pulumi.Output<string | undefined>;
    /** Azure: resource group of the cluster. */
    readonly resourceGroupName: pulumi.Output<string | undefined>;
    /** The explicit Kubernetes provider every other component deploys through. */
    readonly provider: k8s.Provider;
    /** True when manifests are rendered to a folder instead of applied. */
    readonly renderOnly: boolean;

    constructor(name: string, args: KubernetesClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        // Check everything before registering anything.
        const problems = new Problems();
        const plan = planCluster(args, "args", problems, name);
        problems.throwIfAny(`KubernetesCluster "${name}" arguments`);
        super("paas:index:KubernetesCluster", name, {}, opts);
        PLANS.set(this, plan);

        let cloud: CloudCluster;
        switch (plan.cloud) {
            case "aws":
                cloud = createEksCluster(name, plan, this);
                break;
            case "gcp":
                cloud = createGkeCluster(name, plan, this);
                break;
            case "azure":
                cloud = createAksCluster(name, plan, this);
                break;
            case "local":
                cloud = localCluster(plan, args.local?.kubeconfig);
                break;
            default: {
                const never: never = plan.cloud;
                throw new Error(`unknown cloud ${never}`);
            }
        }

        this.renderOnly = plan.cloud === "local" && args.local?.kubeconfig === undefined;
        this.provider = new k8s.Provider(`${name}-k8s`, this.renderOnly
            ? { renderYamlToDirectory: plan.local!.renderDirectory }
            : { kubeconfig: cloud.kubeconfig, enableServerSideApply: true },
        { parent: this, dependsOn: cloud.readyResources });

        if (cloud.karpenter) createKarpenterObjects(name, plan, cloud.karpenter, this.provider, this);
        if (cloud.clusterAutoscaler) createClusterAutoscalerRelease(name, plan, cloud.clusterAutoscaler, this.provider, this);
        if (cloud.aksNodeSubnetId) createAksNodePools(name, plan, cloud.aksNodeSubnetId, this.provider, this);

        this.clusterName = cloud.clusterName;
        this.kubeconfig = cloud.kubeconfig;
        this.oidcIssuerUrl = pulumi.output(cloud.oidcIssuerUrl);
        this.oidcProviderArn = pulumi.output(cloud.oidcProviderArn);
        this.workloadIdentityPool = pulumi.output(cloud.workloadIdentityPool);
        this.resourceGroupName = pulumi.output(cloud.resourceGroupName);
        this.registerOutputs({
            renderOnly: this.renderOnly,
            clusterName: this.clusterName,
            kubeconfig: this.kubeconfig,
            oidcIssuerUrl: this.oidcIssuerUrl,
            oidcProviderArn: this.oidcProviderArn,
            workloadIdentityPool: this.workloadIdentityPool,
            resourceGroupName: this.resourceGroupName,
        });
    }

    /** The resolved plan (every default applied). */
    resolvedPlan(): ClusterPlan {
        return PLANS.get(this)!;
    }
}
