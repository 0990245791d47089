/**
 * The core component package (`paas:index:*`): the Kubernetes-only components, their args, enums,
 * defaults and pure planners. It depends on @pulumi/pulumi and @pulumi/kubernetes alone, so a
 * program on an existing cluster (or another language, through `pulumi package add <path>/core`)
 * needs no cloud SDK and no provider plugin but kubernetes. KubernetesPlatform is the whole
 * Kubernetes layer of a platform on a cluster you already have; the clusters, cloud identities and
 * the Platform that puts a KubernetesPlatform on a cluster it builds are in components/.
 */
export { EtcdQuorum } from "./src/etcdQuorum";
export { Gateway } from "./src/gateway";
export { KubernetesAccess } from "./src/kubernetesAccess";
export { KubernetesPlatform, type KubernetesPlatformOptions } from "./src/kubernetesPlatform";
export { Service } from "./src/service";
export { WeightedRoute } from "./src/weightedRoute";
export type { MovedChildrenOptions } from "./src/moved";

export { PERMISSIONS, POD_ACCESS_KINDS, Permission, PodAccess, SUBJECT_KINDS, SubjectKind, compileAcl, runAsExposure, type AccessMatrix, type AclRule, type AclSubject } from "./src/planners/acl";
export { BREAK_GLASS_BINDING, RBAC_DEFAULTS, checkRbac, type KubernetesAccessArgs } from "./src/planners/rbac";
export { autoscalerRules, capacityRules, etcdRules, routeRules, ruleFile, type AlertRule, type RuleGroup } from "./src/planners/alerts";
export { MONITORING_DEFAULTS, MONITORING_STACKS, MonitoringStack, planMonitoring, type MonitoringArgs, type MonitoringPlan } from "./src/planners/monitoring";
export { ADDON_CHARTS } from "./src/addons";
export {
    GATEWAY_CONTROLLERS, GatewayController, KUBERNETES_PLATFORM_DEFAULTS, PLATFORM_LIMITS, checkKubernetesPlatform, enabledAddons, planServiceWiring,
    type KubernetesAddonsArgs, type KubernetesPlatformAccessArgs, type KubernetesPlatformArgs, type PlatformEtcdArgs, type PlatformGatewayArgs, type PlatformRouteArgs,
    type PlatformRouteBackendArgs, type PlatformServiceArgs,
} from "./src/planners/kubernetesPlatform";
export { AUTOSCALING_DEFAULTS, planAutoscaling, type AutoscalingArgs, type AutoscalingPlan } from "./src/planners/autoscaling";
export {
    ETCD_CERTIFICATES, ETCD_DEFAULTS, EtcdCertificates, checkEtcd, planEtcd, planQuorum, restoreArgs, snapshotJobScript,
    type EtcdArgs, type EtcdPlan, type EtcdQuorumArgs, type QuorumPlan,
} from "./src/planners/etcd";
export { GATEWAY_DEFAULTS, type GatewayArgs } from "./src/planners/gateway";
export { PathMatchType, ROUTE_DEFAULTS, checkRoute, type HeaderMatchArgs, type RouteBackendArgs, type RouteMatchArgs, type WeightedRouteArgs } from "./src/planners/route";
export {
    SERVICE_DEFAULTS, checkService, resolveService,
    type EgressRuleArgs, type GatewayPeerArgs, type ServiceArgs, type ServiceCallArgs, type ServiceMetricsArgs,
} from "./src/planners/service";
export { capacityWeights, equalWeights } from "./src/planners/weights";
export { ConfigError, type Problem } from "./src/validation";
export { DEFAULT_KUBERNETES_VERSION, KUBERNETES_VERSION_RULE, SUPPORTED_KUBERNETES_MINORS, isSupportedKubernetesVersion } from "./src/planners/kubernetesVersion";
