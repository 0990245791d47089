/**
 * The Kubernetes cluster autoscaler for EKS managed node groups (aws.nodeProvisioning
 * managedGroups): its chart pin, its image per Kubernetes minor, its IAM policy and chart values.
 * It finds the groups by the tags EKS puts on their Auto Scaling groups
 * (k8s.io/cluster-autoscaler/enabled, k8s.io/cluster-autoscaler/<cluster>: owned) and scales each
 * between its minNodes and maxNodes. Pure.
 */
import { SUPPORTED_KUBERNETES_MINORS } from "./cluster";
import type { PolicyDocument } from "./iam";

/**
 * The one pin of the cluster autoscaler: the chart, and the autoscaler release for each supported
 * Kubernetes minor (the autoscaler is released per minor and should match the control plane).
 */
export const CLUSTER_AUTOSCALER = {
    chart: "cluster-autoscaler",
    repo: "https://kubernetes.github.io/autoscaler",
    version: "9.54.0",
    image: "registry.k8s.io/autoscaling/cluster-autoscaler",
    tagByMinor: { 33: "v1.33.0", 34: "v1.34.2", 35: "v1.35.0" } as Readonly<Record<number, string>>,
    namespace: "kube-system",
    serviceAccount: "cluster-autoscaler",
    replicas: 1,
    resources: { requests: { cpu: "100m", memory: "300Mi" }, limits: { cpu: "500m", memory: "600Mi" } },
} as const;

/** The autoscaler release matching a "1.<minor>" Kubernetes version; every supported minor has one. */
export function clusterAutoscalerTag(kubernetesVersion: string): string {
    const minor = Number(kubernetesVersion.split(".")[1]);
    const tag = CLUSTER_AUTOSCALER.tagByMinor[minor];
    if (!tag) throw new RangeError(`no cluster autoscaler release is pinned for Kubernetes ${kubernetesVersion} (supported: 1.${SUPPORTED_KUBERNETES_MINORS.min} to 1.${SUPPORTED_KUBERNETES_MINORS.max})`);
    return tag;
}

/**
 * The autoscaler's policy: it changes only the Auto Scaling groups tagged as this cluster's
 * (the managed node groups'), reads the groups, instance types and launch templates it sizes
 * nodes from (read-only calls, held to the region), and the cluster's node groups (their labels
 * and taints, to scale a group up from zero).
 */
export function clusterAutoscalerPolicy(s: { partition: string; region: string; accountId: string; clusterName: string }): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ScaleOwnNodeGroups",
                Effect: "Allow",
                Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
                Resource: `arn:${s.partition}:autoscaling:${s.region}:${s.accountId}:autoScalingGroup:*:autoScalingGroupName/*`,
                Condition: { StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${s.clusterName}`]: "owned" } },
            },
            {
                Sid: "DiscoverGroupsAndInstanceTypes",
                Effect: "Allow",
                Action: [
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeAutoScalingInstances",
                    "autoscaling:DescribeLaunchConfigurations",
                    "autoscaling:DescribeScalingActivities",
                    "autoscaling:DescribeTags",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplateVersions",
                    "ec2:GetInstanceTypesFromInstanceRequirements",
                ],
                Resource: "*",
                Condition: { StringEquals: { "aws:RequestedRegion": s.region } },
            },
            {
                Sid: "ReadOwnNodeGroups",
                Effect: "Allow",
                Action: "eks:DescribeNodegroup",
                Resource: `arn:${s.partition}:eks:${s.region}:${s.accountId}:nodegroup/${s.clusterName}/*/*`,
            },
        ],
    };
}

/** The chart's values: the autoscaler on the system pool, finding the cluster's groups by their tags, balancing similar groups. */
export function clusterAutoscalerValues(clusterName: string, region: string, kubernetesVersion: string, poolLabel: string, systemPool: string) {
    return {
        cloudProvider: "aws",
        awsRegion: region,
        autoDiscovery: { clusterName },
        image: { repository: CLUSTER_AUTOSCALER.image, tag: clusterAutoscalerTag(kubernetesVersion) },
        replicaCount: CLUSTER_AUTOSCALER.replicas,
        // Preempts ordinary pods when the system pool is full (the capacity plan places it first).
        priorityClassName: "system-cluster-critical",
        rbac: { serviceAccount: { create: true, name: CLUSTER_AUTOSCALER.serviceAccount } },
        nodeSelector: { [poolLabel]: systemPool },
        resources: CLUSTER_AUTOSCALER.resources,
        extraArgs: { "balance-similar-node-groups": true, expander: "least-waste" },
    };
}
