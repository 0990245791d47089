/**
 * The reusable component package (`paas:index:*`): components, their args, enums and defaults,
 * and the pure planners behind them. Consumable from TypeScript by import, and from other
 * languages with `pulumi package add <path-to>/components`.
 */
export { AccessControl } from "./src/accessControl";
export { EtcdQuorum } from "./src/etcdQuorum";
export { Gateway } from "./src/gateway";
export { KubernetesCluster } from "./src/kubernetesCluster";
export { Platform } from "./src/platform";
export { Service } from "./src/service";
export { WeightedRoute } from "./src/weightedRoute";

// Args, closed sets and defaults: each lives with its planner.
export {
    ACCESS_DEFAULTS, IDENTITY_ANNOTATION, checkAccess,
    type AccessControlArgs, type AwsGrantArgs, type AzureGrantArgs, type AzureRoleArgs, type GcpGrantArgs, type WorkloadIdentityArgs,
} from "./src/planners/access";
export { PERMISSIONS, Permission, SUBJECT_KINDS, SubjectKind, compileAcl, type AccessMatrix, type AclRule, type AclSubject } from "./src/planners/acl";
export { AUTOSCALING_DEFAULTS, planAutoscaling, type AutoscalingArgs, type AutoscalingPlan } from "./src/planners/autoscaling";
export {
    CLOUDS, CLUSTER_DEFAULTS, Cloud, ReleaseChannel, defaultNodePools, planCluster,
    type ApiAccessArgs, type AwsClusterArgs, type AzureClusterArgs, type ClusterPlan, type GcpClusterArgs, type KubernetesClusterArgs,
    type LocalClusterArgs, type NodePoolArgs, type NodePoolPlan,
} from "./src/planners/cluster";
export {
    ETCD_CERTIFICATES, ETCD_DEFAULTS, EtcdCertificates, checkEtcd, planEtcd, planQuorum, restoreArgs, snapshotJobScript,
    type EtcdArgs, type EtcdPlan, type EtcdQuorumArgs, type QuorumPlan,
} from "./src/planners/etcd";
export { GATEWAY_DEFAULTS, type GatewayArgs } from "./src/planners/gateway";
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
export { PathMatchType, ROUTE_DEFAULTS, checkRoute, type HeaderMatchArgs, type RouteBackendArgs, type RouteMatchArgs, type WeightedRouteArgs } from "./src/planners/route";
export {
    SERVICE_DEFAULTS, checkService, resolveService,
    type EgressRuleArgs, type GatewayPeerArgs, type ServiceArgs, type ServiceCallArgs, type ServiceMetricsArgs,
} from "./src/planners/service";
export { capacityWeights, equalWeights } from "./src/planners/weights";
export { ConfigError, type Problem } from "./src/validation";
