/**
 * The reusable component package (`paas:index:*`): components, their args, enums and defaults,
 * and the pure planners behind them. Consumable from TypeScript by import, and from other
 * languages with `pulumi package add <path-to>/components`.
 */
// The Kubernetes-only core (Service, WeightedRoute, Gateway, EtcdQuorum): its own package in core/.
export * from "../core";
export { AccessControl } from "./src/accessControl";
export { KubernetesCluster } from "./src/kubernetesCluster";
export { Platform } from "./src/platform";

// Args, closed sets and defaults: each lives with its planner.
export {
    ACCESS_DEFAULTS, IDENTITY_ANNOTATION, checkAccess,
    type AccessControlArgs, type AwsGrantArgs, type AzureGrantArgs, type AzureRoleArgs, type GcpGrantArgs, type WorkloadIdentityArgs,
} from "./src/planners/access";
export {
    CLOUDS, CLUSTER_DEFAULTS, Cloud, ReleaseChannel, defaultNodePools, planCluster,
    type ApiAccessArgs, type AwsClusterArgs, type AzureClusterArgs, type ClusterPlan, type GcpClusterArgs, type KubernetesClusterArgs,
    type LocalClusterArgs, type NodePoolArgs, type NodePoolPlan,
} from "./src/planners/cluster";
export {
    NODE_DAEMONS, ZoneSpread, placeWorkloads, planCapacity, poolShapes,
    type CapacityPlan, type CapacityScenario, type NodeReserveArgs, type PoolHeadroom, type PoolShape, type UnplacedPods, type WorkloadDemand,
} from "./src/planners/capacity";
export { INSTANCE_TYPES, allocatable, type Allocatable, type InstanceType } from "./src/planners/instanceTypes";
export {
    AWS_WORKLOAD_IDENTITIES, AwsWorkloadIdentity, EKS_NODE_PROVISIONINGS, EksNodeProvisioning, KARPENTER, KARPENTER_DEFAULTS, clusterLimits, karpenterControllerPolicy,
    poolLimit, type KarpenterArgs, type KarpenterPlan, type PoolLimit,
} from "./src/planners/karpenter";
export { CLUSTER_AUTOSCALER, clusterAutoscalerPolicy, clusterAutoscalerTag } from "./src/planners/clusterAutoscaler";
export { gcpAccountId, gkeNodeAccountId, gsaAccountId } from "./src/planners/iam";
export {
    CAPACITY_OVERFLOWS, CapacityOverflow, PLATFORM_DEFAULTS, checkPlatform, defaultGatewayController, kubernetesLayerArgs, planPlatformCapacity, planPlatformIdentities,
    type AddonsArgs, type PlatformAccessArgs, type PlatformCapacityArgs, type PlatformArgs, type PlatformWorkloadIdentityArgs,
} from "./src/planners/platform";
