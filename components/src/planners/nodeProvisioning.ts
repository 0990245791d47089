/**
 * Who scales the nodes of each cloud, checked and resolved from the cluster args: EKS managed node
 * groups (cluster autoscaler) or Karpenter, GKE node auto-provisioning, AKS node
 * auto-provisioning. The cluster planner calls these; the limits come from the pools' maxima. Pure.
 */
import type { Problems } from "../../../core/src/validation";
import { ACCESS_DEFAULTS } from "./access";
import type { AwsClusterArgs, AzureClusterArgs, GcpClusterArgs, NodePoolArgs } from "./cluster";
import {
    AWS_WORKLOAD_IDENTITIES, type AwsWorkloadIdentity, EKS_NODE_PROVISIONINGS, type EksNodeProvisioning, type KarpenterPlan, type PoolLimit,
    clusterLimits, limitProblem, planKarpenter,
} from "./karpenter";

export const NODE_PROVISIONING_DEFAULTS = {
    aws: { nodeProvisioning: "managedGroups" as EksNodeProvisioning, workloadIdentity: ACCESS_DEFAULTS.awsWorkloadIdentity },
    gcp: { nodeAutoProvisioning: false },
    azure: { nodeAutoProvisioning: false },
} as const;

/** The smallest OS disk an AKSNodeClass takes. */
export const AKS_NODE_CLASS_MIN_DISK_GB = 30;

/** Label keys Karpenter's NodePool refuses in a template (its own domains). */
const KARPENTER_LABEL_DOMAIN = /^([^/]*\.)?karpenter\.(sh|k8s\.aws|azure\.com)\//;
/** Tag keys Karpenter's EC2NodeClass refuses: it sets them on what it launches. */
export const KARPENTER_RESERVED_TAG = /^(eks:eks-cluster-name|kubernetes\.io\/cluster.*|karpenter\.sh\/nodepool|karpenter\.sh\/nodeclaim|karpenter\.k8s\.aws\/ec2nodeclass)$/;

/** Whether Karpenter provisions the pools after the first (EKS with Karpenter, AKS node auto-provisioning). */
export function karpenterProvisions(cloud: string, aws: AwsClusterArgs | undefined, azure: AzureClusterArgs | undefined): boolean {
    if (cloud === "aws") return (aws?.nodeProvisioning ?? NODE_PROVISIONING_DEFAULTS.aws.nodeProvisioning) === "karpenter";
    if (cloud === "azure") return azure?.nodeAutoProvisioning ?? NODE_PROVISIONING_DEFAULTS.azure.nodeAutoProvisioning;
    return false;
}

/** EKS: who provisions the nodes, how workload identities get credentials, and Karpenter's settings. */
export function planEksNodeProvisioning(a: AwsClusterArgs, pools: readonly NodePoolArgs[], tags: Readonly<Record<string, string>>, path: string, defaultMachineType: string, problems: Problems):
    { nodeProvisioning: EksNodeProvisioning; workloadIdentity: AwsWorkloadIdentity; karpenter?: KarpenterPlan } {
    const d = NODE_PROVISIONING_DEFAULTS.aws;
    const nodeProvisioning = a.nodeProvisioning ?? d.nodeProvisioning;
    if (!EKS_NODE_PROVISIONINGS.includes(nodeProvisioning))
        problems.add(`${path}.aws.nodeProvisioning`, nodeProvisioning, `must be one of ${EKS_NODE_PROVISIONINGS.map((m) => `"${m}"`).join(", ")}`);
    if (a.karpenter !== undefined && nodeProvisioning !== "karpenter")
        problems.add(`${path}.aws.karpenter`, a.karpenter, `is only used with ${path}.aws.nodeProvisioning "karpenter" (it is "${nodeProvisioning}")`);
    const workloadIdentity = a.workloadIdentity ?? d.workloadIdentity;
    if (!AWS_WORKLOAD_IDENTITIES.includes(workloadIdentity))
        problems.add(`${path}.aws.workloadIdentity`, workloadIdentity, `must be one of ${AWS_WORKLOAD_IDENTITIES.map((m) => `"${m}"`).join(", ")}`);
    if (nodeProvisioning !== "karpenter") return { nodeProvisioning, workloadIdentity };
    checkKarpenterPools(pools, path, `${path}.aws.nodeProvisioning`, "karpenter", defaultMachineType, problems);
    for (const tag of Object.keys(tags))
        if (KARPENTER_RESERVED_TAG.test(tag))
            problems.add(`${path}.tags["${tag}"]`, tag, "is a tag Karpenter sets on the instances it launches, so its EC2NodeClass refuses it; remove it");
    return { nodeProvisioning, workloadIdentity, karpenter: planKarpenter(a.karpenter, `${path}.aws.karpenter`, problems) };
}

/** GKE node auto-provisioning: when on, the cluster-wide limits are the sums of the pools' minima and maxima. */
export function planGkeNodeAutoProvisioning(g: GcpClusterArgs, pools: readonly NodePoolArgs[], path: string, defaultMachineType: string, problems: Problems): { min: PoolLimit; max: PoolLimit } | undefined {
    if (!(g.nodeAutoProvisioning ?? NODE_PROVISIONING_DEFAULTS.gcp.nodeAutoProvisioning)) return undefined;
    const resolved = pools.map((p, i) => {
        const machineType = p.machineType ?? defaultMachineType;
        const problem = limitProblem(machineType, `${path}.gcp.nodeAutoProvisioning is on`);
        if (problem) problems.add(`${path}.nodePools[${i}].machineType`, p.machineType, problem);
        return { machineType, minNodes: p.minNodes, maxNodes: p.maxNodes };
    });
    return clusterLimits(resolved);
}

/**
 * AKS node auto-provisioning: the pools after the first are Karpenter's; AKS then allows only
 * fixed-size agent pools, so the first one must be; AKSNodeClass disks are 30 GiB at least.
 */
export function planAksNodeAutoProvisioning(z: AzureClusterArgs, pools: readonly NodePoolArgs[], path: string, defaults: { machineType: string; diskSizeGb: number }, problems: Problems): KarpenterPlan | undefined {
    if (!(z.nodeAutoProvisioning ?? NODE_PROVISIONING_DEFAULTS.azure.nodeAutoProvisioning)) return undefined;
    checkKarpenterPools(pools, path, `${path}.azure.nodeAutoProvisioning`, true, defaults.machineType, problems);
    const first = pools[0];
    if (first && first.maxNodes !== first.minNodes)
        problems.add(`${path}.nodePools[0].maxNodes`, first.maxNodes, `must equal minNodes (${first.minNodes}) with azure.nodeAutoProvisioning: AKS then allows only fixed-size node pools`);
    pools.slice(1).forEach((p, k) => {
        if ((p.diskSizeGb ?? defaults.diskSizeGb) < AKS_NODE_CLASS_MIN_DISK_GB)
            problems.add(`${path}.nodePools[${k + 1}].diskSizeGb`, p.diskSizeGb, `must be at least ${AKS_NODE_CLASS_MIN_DISK_GB} when node auto-provisioning provisions the pool (the AKSNodeClass minimum)`);
    });
    return planKarpenter(undefined, `${path}.azure`, problems);
}

/**
 * Karpenter pools: the first pool stays a node group of the cloud, so there must be another one;
 * Karpenter keeps no minimum, its limits need the machine type's size, and it owns its label domains.
 */
function checkKarpenterPools(pools: readonly NodePoolArgs[], path: string, key: string, value: unknown, defaultMachineType: string, problems: Problems): void {
    const setting = `${key.slice(path.length + 1)}${value === true ? "" : ` ${String(value)}`}`;
    if (pools.length < 2)
        problems.add(key, value, "needs a node pool after the first: the first pool stays a node group of the cloud for the system add-ons and Karpenter provisions the others");
    pools.slice(1).forEach((p, k) => {
        const at = `${path}.nodePools[${k + 1}]`;
        if (p.minNodes !== 0)
            problems.add(`${at}.minNodes`, p.minNodes, `must be 0 when Karpenter provisions the pool (${setting}): Karpenter keeps no minimum, nodes follow the pending pods`);
        const problem = limitProblem(p.machineType ?? defaultMachineType, "Karpenter provisions the pool");
        if (problem) problems.add(`${at}.machineType`, p.machineType, problem);
        for (const label of Object.keys(p.labels ?? {}))
            if (KARPENTER_LABEL_DOMAIN.test(label))
                problems.add(`${at}.labels["${label}"]`, label, "must not be in Karpenter's own label domains (karpenter.sh, karpenter.k8s.aws, karpenter.azure.com) when Karpenter provisions the pool: Karpenter sets those itself");
    });
}
