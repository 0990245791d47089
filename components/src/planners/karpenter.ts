/**
 * Node autoscaling planner: Karpenter on EKS (its chart pin, the controller's IAM policy, the
 * interruption events, NodePool and EC2NodeClass objects) and the cluster-wide limits of GKE and
 * AKS node auto-provisioning. Every limit comes from the pools' maxima, so a pool that is
 * provisioned on demand can never grow past what the capacity plan placed pods on. Pure.
 */
import type { Problems } from "../../../core/src/validation";
import type { PolicyDocument } from "./iam";
import { INSTANCE_TYPES } from "./instanceTypes";

/**
 * Who provisions the EKS nodes of the pools after the first (the first is always a managed node
 * group for the system add-ons): managed node groups scaled by the cluster autoscaler, or Karpenter.
 */
export const EksNodeProvisioning = { ManagedGroups: "managedGroups", Karpenter: "karpenter" } as const;
export type EksNodeProvisioning = (typeof EksNodeProvisioning)[keyof typeof EksNodeProvisioning];
export const EKS_NODE_PROVISIONINGS: readonly EksNodeProvisioning[] = Object.values(EksNodeProvisioning);

/** How a pod gets AWS credentials: IRSA (the cluster's OIDC provider) or EKS Pod Identity (the pod identity agent). */
export const AwsWorkloadIdentity = { Irsa: "irsa", PodIdentity: "podIdentity" } as const;
export type AwsWorkloadIdentity = (typeof AwsWorkloadIdentity)[keyof typeof AwsWorkloadIdentity];
export const AWS_WORKLOAD_IDENTITIES: readonly AwsWorkloadIdentity[] = Object.values(AwsWorkloadIdentity);

export interface KarpenterArgs {
    /** How long a node stays empty or underused before Karpenter consolidates it: a Go duration of s, m, h ("90s", "1h30m"). @default 5m */
    consolidateAfter?: string;
    /** Largest share of a pool's nodes Karpenter disrupts at once (consolidation, drift, expiry), in percent from 0 to 100. @default 10 */
    disruptionBudgetPercent?: number;
    /** Lifetime after which a node is replaced (a Go duration of s, m, h), or "Never". @default 720h */
    expireAfter?: string;
    /** How the controller gets its AWS credentials. @default podIdentity */
    controllerIdentity?: AwsWorkloadIdentity;
}

export interface KarpenterPlan {
    readonly controllerIdentity: AwsWorkloadIdentity;
    readonly consolidateAfter: string;
    readonly disruptionBudgetPercent: number;
    readonly expireAfter: string;
}

/**
 * The one pin of Karpenter: the controller chart and the chart of its CRDs are released together
 * under the same version (the CRD chart upgrades the CRDs, which Helm never does from crds/).
 */
export const KARPENTER = {
    version: "1.15.2",
    chart: "oci://public.ecr.aws/karpenter/karpenter",
    crdChart: "oci://public.ecr.aws/karpenter/karpenter-crd",
    namespace: "kube-system",
    serviceAccount: "karpenter",
    /** EKS-optimized AL2023, as the managed node groups run (AL2023_x86_64_STANDARD). */
    amiAlias: "al2023@latest",
    replicas: 2,
    resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } },
} as const;

export const KARPENTER_DEFAULTS = { consolidateAfter: "5m", disruptionBudgetPercent: 10, expireAfter: "720h", controllerIdentity: "podIdentity" as AwsWorkloadIdentity } as const;

/** Karpenter's duration format (and what its CRDs accept). */
const DURATION = /^([0-9]+(s|m|h))+$/;

export function planKarpenter(args: KarpenterArgs | undefined, path: string, problems: Problems): KarpenterPlan {
    const a = args ?? {};
    const consolidateAfter = a.consolidateAfter ?? KARPENTER_DEFAULTS.consolidateAfter;
    if (!DURATION.test(consolidateAfter))
        problems.add(`${path}.consolidateAfter`, consolidateAfter, 'must be a duration of whole seconds, minutes or hours such as "30s", "5m" or "1h30m"');
    const expireAfter = a.expireAfter ?? KARPENTER_DEFAULTS.expireAfter;
    if (expireAfter !== "Never" && !DURATION.test(expireAfter))
        problems.add(`${path}.expireAfter`, expireAfter, 'must be a duration of whole seconds, minutes or hours such as "720h", or "Never"');
    const disruptionBudgetPercent = a.disruptionBudgetPercent ?? KARPENTER_DEFAULTS.disruptionBudgetPercent;
    if (!Number.isInteger(disruptionBudgetPercent) || disruptionBudgetPercent < 0 || disruptionBudgetPercent > 100)
        problems.add(`${path}.disruptionBudgetPercent`, disruptionBudgetPercent, "must be an integer from 0 to 100");
    const controllerIdentity = a.controllerIdentity ?? KARPENTER_DEFAULTS.controllerIdentity;
    if (!AWS_WORKLOAD_IDENTITIES.includes(controllerIdentity))
        problems.add(`${path}.controllerIdentity`, controllerIdentity, `must be one of ${AWS_WORKLOAD_IDENTITIES.map((m) => `"${m}"`).join(", ")}`);
    return { controllerIdentity, consolidateAfter, disruptionBudgetPercent, expireAfter };
}

/** What a pool may grow to: maxNodes nodes of its machine type. */
export interface PoolLimit {
    readonly vcpu: number;
    readonly memoryGiB: number;
}

/** maxNodes × the machine type's size, or undefined for a type outside the planner's table. */
export function poolLimit(pool: { machineType: string; maxNodes: number }): PoolLimit | undefined {
    const t = INSTANCE_TYPES[pool.machineType];
    return t ? { vcpu: pool.maxNodes * t.vcpu, memoryGiB: pool.maxNodes * t.memoryGiB } : undefined;
}

/** The same for the pools' minima (node auto-provisioning's lower bound). */
export function poolFloor(pool: { machineType: string; minNodes: number }): PoolLimit | undefined {
    return poolLimit({ machineType: pool.machineType, maxNodes: pool.minNodes });
}

/** Sum of the limits (GKE's cluster-wide resource limits): every pool's maxima, and its minima. */
export function clusterLimits(pools: readonly { machineType: string; minNodes: number; maxNodes: number }[]): { min: PoolLimit; max: PoolLimit } | undefined {
    const max = pools.map(poolLimit);
    const min = pools.map(poolFloor);
    if (max.some((l) => l === undefined)) return undefined;
    const sum = (ls: (PoolLimit | undefined)[]) => ({ vcpu: ls.reduce((a, l) => a + l!.vcpu, 0), memoryGiB: ls.reduce((a, l) => a + l!.memoryGiB, 0) });
    return { min: sum(min), max: sum(max) };
}

/** The problem of a machine type whose size is unknown when `why` needs it, or undefined. */
export function limitProblem(machineType: string, why: string): string | undefined {
    return INSTANCE_TYPES[machineType] === undefined
        ? `must be a machine type of the planner's table (${Object.keys(INSTANCE_TYPES).join(", ")}) when ${why}: the limits are maxNodes × its vCPUs and memory`
        : undefined;
}

/** Karpenter's NodePool, and the node classes of AWS (EC2NodeClass) and AKS (AKSNodeClass, node auto-provisioning). */
export const NODE_POOL = { apiVersion: "karpenter.sh/v1", kind: "NodePool" } as const;
export const EC2_NODE_CLASS = { group: "karpenter.k8s.aws", kind: "EC2NodeClass", apiVersion: "karpenter.k8s.aws/v1" } as const;
export const AKS_NODE_CLASS = { group: "karpenter.azure.com", kind: "AKSNodeClass", apiVersion: "karpenter.azure.com/v1beta1" } as const;

/** The pool of a NodePool: the pool's plan, as far as Karpenter objects need it. */
export interface KarpenterPoolInput {
    readonly name: string;
    readonly machineType: string;
    readonly maxNodes: number;
    readonly spot: boolean;
    readonly diskSizeGb: number;
    readonly labels: Readonly<Record<string, string>>;
}

export const KARPENTER_LABELS = {
    nodePool: "karpenter.sh/nodepool",
    capacityType: "karpenter.sh/capacity-type",
    instanceType: "node.kubernetes.io/instance-type",
    zone: "topology.kubernetes.io/zone",
} as const;

/** Karpenter's capacity-type values. */
export const karpenterCapacityType = (spot: boolean) => (spot ? "spot" : "on-demand");

/**
 * The NodePool of a pool: its one machine type (so maxNodes × the type's size is exactly the
 * limit the capacity plan counts), its capacity type, the cluster's zones, its labels, and a
 * disruption budget. `zones` empty: the subnets alone decide the zones.
 */
export function karpenterNodePool(pool: KarpenterPoolInput, plan: KarpenterPlan, poolLabel: string, nodeClass: { group: string; kind: string }, zones: readonly string[]) {
    const limit = poolLimit(pool)!;
    return {
        apiVersion: NODE_POOL.apiVersion,
        kind: NODE_POOL.kind,
        metadata: { name: pool.name },
        spec: {
            template: {
                metadata: { labels: { ...pool.labels, [poolLabel]: pool.name } },
                spec: {
                    nodeClassRef: { group: nodeClass.group, kind: nodeClass.kind, name: pool.name },
                    requirements: [
                        { key: KARPENTER_LABELS.instanceType, operator: "In", values: [pool.machineType] },
                        { key: KARPENTER_LABELS.capacityType, operator: "In", values: [karpenterCapacityType(pool.spot)] },
                        ...(zones.length > 0 ? [{ key: KARPENTER_LABELS.zone, operator: "In", values: [...zones] }] : []),
                    ],
                    expireAfter: plan.expireAfter,
                },
            },
            disruption: {
                consolidationPolicy: "WhenEmptyOrUnderutilized",
                consolidateAfter: plan.consolidateAfter,
                budgets: [{ nodes: `${plan.disruptionBudgetPercent}%` }],
            },
            limits: { cpu: String(limit.vcpu), memory: `${limit.memoryGiB}Gi` },
        },
    };
}

/**
 * The EC2NodeClass of a pool: the node settings of the managed groups (IMDSv2 only with hop
 * limit 1, an encrypted gp3 root volume), the pre-made instance profile (so the controller needs
 * no IAM write rights), and subnets and security group by ID.
 */
export function ec2NodeClass(pool: KarpenterPoolInput, instanceProfile: string, subnetIds: readonly string[], securityGroupId: string, tags: Readonly<Record<string, string>>) {
    return {
        apiVersion: EC2_NODE_CLASS.apiVersion,
        kind: EC2_NODE_CLASS.kind,
        metadata: { name: pool.name },
        spec: {
            amiSelectorTerms: [{ alias: KARPENTER.amiAlias }],
            instanceProfile,
            subnetSelectorTerms: subnetIds.map((id) => ({ id })),
            securityGroupSelectorTerms: [{ id: securityGroupId }],
            metadataOptions: { httpEndpoint: "enabled", httpProtocolIPv6: "disabled", httpPutResponseHopLimit: 1, httpTokens: "required" },
            blockDeviceMappings: [{
                deviceName: "/dev/xvda",
                rootVolume: true,
                ebs: { volumeSize: `${pool.diskSizeGb}Gi`, volumeType: "gp3", encrypted: true, deleteOnTermination: true },
            }],
            tags: { ...tags, "paas:node-pool": pool.name },
        },
    };
}

/** The AKSNodeClass of a pool: Azure Linux, as the agent pools run, its disk, and the cluster's node subnet. */
export function aksNodeClass(pool: KarpenterPoolInput, subnetId: string, tags: Readonly<Record<string, string>>) {
    return {
        apiVersion: AKS_NODE_CLASS.apiVersion,
        kind: AKS_NODE_CLASS.kind,
        metadata: { name: pool.name },
        spec: { imageFamily: "AzureLinux", osDiskSizeGB: pool.diskSizeGb, vnetSubnetID: subnetId, tags: { ...tags, "paas-node-pool": pool.name } },
    };
}

/** The EC2 and health events Karpenter drains nodes ahead of, by rule name suffix. */
export const INTERRUPTION_EVENTS: Readonly<Record<string, { source: string; detailType: string }>> = {
    "spot-interruption": { source: "aws.ec2", detailType: "EC2 Spot Instance Interruption Warning" },
    "rebalance": { source: "aws.ec2", detailType: "EC2 Instance Rebalance Recommendation" },
    "instance-state": { source: "aws.ec2", detailType: "EC2 Instance State-change Notification" },
    "scheduled-change": { source: "aws.health", detailType: "AWS Health Event" },
};

export function interruptionEventPattern(event: { source: string; detailType: string }): string {
    return JSON.stringify({ source: [event.source], "detail-type": [event.detailType] });
}

/** The SQS actions the interruption queue's policy refuses over plain HTTP: every one Karpenter or EventBridge uses. */
const QUEUE_ACTIONS = ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"] as const;

/** Only the interruption rules may send to the queue, and only over TLS. */
export function interruptionQueuePolicy(queueArn: string, ruleArns: readonly string[]): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "EventBridgeInterruptionRules",
                Effect: "Allow",
                Principal: { Service: "events.amazonaws.com" },
                Action: "sqs:SendMessage",
                Resource: queueArn,
                Condition: { ArnEquals: { "aws:SourceArn": [...ruleArns] } },
            },
            {
                Sid: "DenyPlainHttp",
                Effect: "Deny",
                Principal: { AWS: "*" },
                Action: ["sqs:SendMessage", ...QUEUE_ACTIONS],
                Resource: queueArn,
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
        ],
    };
}

/** What the controller policy is scoped to. */
export interface KarpenterScope {
    readonly partition: string;
    readonly region: string;
    readonly accountId: string;
    readonly clusterName: string;
    readonly nodeRoleArn: string;
    readonly instanceProfileArn: string;
    readonly queueArn: string;
    readonly subnetIds: readonly string[];
    readonly securityGroupId: string;
}

/** partition, region and account of an ARN such as the EKS cluster's. */
export function arnParts(arn: string): { partition: string; region: string; accountId: string } {
    const [, partition, , region, accountId] = arn.split(":");
    return { partition, region, accountId };
}

/**
 * The controller's policy: every action named (no wildcard action), every write scoped to the
 * cluster's own resources by ARN or by the tags Karpenter puts on what it launches
 * (kubernetes.io/cluster/<name>: owned, eks:eks-cluster-name, karpenter.sh/nodepool). Only
 * read-only actions that take no resource (Describe, pricing, instance profile listing) are on "*",
 * the EC2 ones held to the cluster's region.
 */
export function karpenterControllerPolicy(s: KarpenterScope): PolicyDocument {
    const ec2 = (resource: string) => `arn:${s.partition}:ec2:${s.region}:${s.accountId}:${resource}`;
    const launched = ["fleet/*", "instance/*", "volume/*", "network-interface/*", "launch-template/*", "spot-instances-request/*"].map(ec2);
    const owned = `aws:ResourceTag/kubernetes.io/cluster/${s.clusterName}`;
    const requestOwned = { [`aws:RequestTag/kubernetes.io/cluster/${s.clusterName}`]: "owned", "aws:RequestTag/eks:eks-cluster-name": s.clusterName };
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "LaunchFromClusterNetworkAndPublicImages",
                Effect: "Allow",
                Action: ["ec2:RunInstances", "ec2:CreateFleet"],
                Resource: [
                    `arn:${s.partition}:ec2:${s.region}::image/*`,
                    `arn:${s.partition}:ec2:${s.region}::snapshot/*`,
                    ...s.subnetIds.map((id) => ec2(`subnet/${id}`)),
                    ec2(`security-group/${s.securityGroupId}`),
                ],
            },
            {
                Sid: "LaunchWithOwnLaunchTemplates",
                Effect: "Allow",
                Action: ["ec2:RunInstances", "ec2:CreateFleet"],
                Resource: ec2("launch-template/*"),
                Condition: { StringEquals: { [owned]: "owned" }, StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" } },
            },
            {
                Sid: "CreateClusterTaggedResources",
                Effect: "Allow",
                Action: ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
                Resource: launched,
                Condition: { StringEquals: requestOwned, StringLike: { "aws:RequestTag/karpenter.sh/nodepool": "*" } },
            },
            {
                Sid: "TagOnCreate",
                Effect: "Allow",
                Action: "ec2:CreateTags",
                Resource: launched,
                Condition: {
                    StringEquals: { ...requestOwned, "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"] },
                    StringLike: { "aws:RequestTag/karpenter.sh/nodepool": "*" },
                },
            },
            {
                Sid: "TagOwnInstances",
                Effect: "Allow",
                Action: "ec2:CreateTags",
                Resource: ec2("instance/*"),
                Condition: {
                    StringEquals: { [owned]: "owned" },
                    StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" },
                    StringEqualsIfExists: { "aws:RequestTag/eks:eks-cluster-name": s.clusterName },
                    "ForAllValues:StringEquals": { "aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"] },
                },
            },
            {
                Sid: "DeleteOwnInstancesAndLaunchTemplates",
                Effect: "Allow",
                Action: ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
                Resource: [ec2("instance/*"), ec2("launch-template/*")],
                Condition: { StringEquals: { [owned]: "owned" }, StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" } },
            },
            {
                Sid: "PassNodeRoleToEc2",
                Effect: "Allow",
                Action: "iam:PassRole",
                Resource: s.nodeRoleArn,
                Condition: { StringEquals: { "iam:PassedToService": "ec2.amazonaws.com" } },
            },
            { Sid: "ReadNodeInstanceProfile", Effect: "Allow", Action: "iam:GetInstanceProfile", Resource: s.instanceProfileArn },
            // Listing takes no resource; the controller's instance-profile garbage collection lists them.
            { Sid: "ListInstanceProfiles", Effect: "Allow", Action: "iam:ListInstanceProfiles", Resource: "*" },
            {
                Sid: "DiscoverRegionalEc2",
                Effect: "Allow",
                Action: [
                    "ec2:DescribeCapacityReservations",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstanceStatus",
                    "ec2:DescribeInstanceTypeOfferings",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeInstances",
                    "ec2:DescribeLaunchTemplates",
                    "ec2:DescribePlacementGroups",
                    "ec2:DescribeSecurityGroups",
                    "ec2:DescribeSpotPriceHistory",
                    "ec2:DescribeSubnets",
                ],
                Resource: "*",
                Condition: { StringEquals: { "aws:RequestedRegion": s.region } },
            },
            { Sid: "ReadPublicAmiParameters", Effect: "Allow", Action: "ssm:GetParameter", Resource: `arn:${s.partition}:ssm:${s.region}::parameter/aws/service/*` },
            { Sid: "ReadPrices", Effect: "Allow", Action: "pricing:GetProducts", Resource: "*" },
            { Sid: "ConsumeInterruptionQueue", Effect: "Allow", Action: [...QUEUE_ACTIONS], Resource: s.queueArn },
            { Sid: "DiscoverClusterEndpoint", Effect: "Allow", Action: "eks:DescribeCluster", Resource: `arn:${s.partition}:eks:${s.region}:${s.accountId}:cluster/${s.clusterName}` },
        ],
    };
}

/** The controller chart's values: two replicas on the system pool (never on nodes it manages), requests the capacity plan counts. */
export function karpenterValues(clusterName: string, queueName: string, poolLabel: string, systemPool: string, irsaRoleArn: string | undefined) {
    return {
        replicas: KARPENTER.replicas,
        // The chart's default too: it preempts ordinary pods when the system pool is full (the capacity plan places it first).
        priorityClassName: "system-cluster-critical",
        settings: { clusterName, interruptionQueue: queueName },
        serviceAccount: {
            name: KARPENTER.serviceAccount,
            ...(irsaRoleArn ? { annotations: { "eks.amazonaws.com/role-arn": irsaRoleArn } } : {}),
        },
        // Merged with the chart's own selector (kubernetes.io/os: linux).
        nodeSelector: { [poolLabel]: systemPool },
        controller: { resources: KARPENTER.resources },
    };
}
