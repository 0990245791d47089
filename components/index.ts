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
export { PERMISSIONS, Permission, SUBJECT_KINDS, SubjectKind, compileAcl, type AccessMatrix, type AclRule, type AclSubject } from "./src/planners/acl";
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
    CAPACITY_OVERFLOWS, CapacityOverflow, GATEWAY_CONTROLLERS, GatewayController, PLATFORM_DEFAULTS, checkPlatform, planPlatformCapacity, planPlatformServices,
    type AddonsArgs, type PlatformAccessArgs, type PlatformCapacityArgs, type PlatformArgs, type PlatformEtcdArgs, type PlatformGatewayArgs, type PlatformRouteArgs,
    type PlatformRouteBackendArgs, type PlatformServiceArgs, type PlatformWorkloadIdentityArgs,
} from "./src/planners/platform";
export { autoscalerRules, capacityRules, etcdRules, routeRules, ruleFile, type AlertRule, type RuleGroup } from "./src/planners/alerts";
export { MONITORING_DEFAULTS, MONITORING_STACKS, MonitoringStack, planMonitoring, type MonitoringArgs, type MonitoringPlan } from "./src/planners/monitoring";
