/**
 * The cluster autoscaler of EKS managed node groups: its role (through EKS Pod Identity, as the
 * pod identity agent always runs) with the scoped policy, and its chart on the system pool.
 */
import type * as awsTypes from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { POOL_LABEL } from "../planners/capacity";
import type { ClusterPlan } from "../planners/cluster";
import { CLUSTER_AUTOSCALER, clusterAutoscalerPolicy, clusterAutoscalerValues } from "../planners/clusterAutoscaler";
import { podIdentityTrustPolicy } from "../planners/iam";
import { arnParts } from "../planners/karpenter";

/** What the chart needs from the AWS side. */
export interface ClusterAutoscalerWiring {
    readonly region: pulumi.Output<string>;
    readonly dependencies: pulumi.Resource[];
}

export function createClusterAutoscalerAws(name: string, plan: ClusterPlan, cluster: awsTypes.eks.Cluster, tags: Record<string, string>, opts: pulumi.CustomResourceOptions): ClusterAutoscalerWiring {
    const aws = require("@pulumi/aws") as typeof awsTypes;
    const role = new aws.iam.Role(`${name}-cluster-autoscaler`, { assumeRolePolicy: JSON.stringify(podIdentityTrustPolicy()), tags }, opts);
    const policy = new aws.iam.RolePolicy(`${name}-cluster-autoscaler`, {
        role: role.name,
        policy: cluster.arn.apply((arn) => JSON.stringify(clusterAutoscalerPolicy({ ...arnParts(arn), clusterName: plan.clusterName }))),
    }, opts);
    const association = new aws.eks.PodIdentityAssociation(`${name}-cluster-autoscaler`, {
        clusterName: cluster.name,
        namespace: CLUSTER_AUTOSCALER.namespace,
        serviceAccount: CLUSTER_AUTOSCALER.serviceAccount,
        roleArn: role.arn,
        tags,
    }, opts);
    return { region: cluster.arn.apply((arn) => arnParts(arn).region), dependencies: [policy, association] };
}

export function createClusterAutoscalerRelease(name: string, plan: ClusterPlan, w: ClusterAutoscalerWiring, provider: k8s.Provider, parent: pulumi.Resource): k8s.helm.v3.Release {
    const system = plan.nodePools.find((p) => p.system)!;
    return new k8s.helm.v3.Release(`${name}-cluster-autoscaler`, {
        name: CLUSTER_AUTOSCALER.chart,
        chart: CLUSTER_AUTOSCALER.chart,
        version: CLUSTER_AUTOSCALER.version,
        repositoryOpts: { repo: CLUSTER_AUTOSCALER.repo },
        namespace: CLUSTER_AUTOSCALER.namespace,
        createNamespace: false,
        atomic: true,
        cleanupOnFail: true,
        values: w.region.apply((region) => clusterAutoscalerValues(plan.clusterName, region, plan.kubernetesVersion, POOL_LABEL, system.name)),
    }, { parent, provider, dependsOn: w.dependencies });
}
