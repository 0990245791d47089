/**
 * The core component package (`paas:index:*`): the Kubernetes-only components, their args, enums,
 * defaults and pure planners. It depends on @pulumi/pulumi and @pulumi/kubernetes alone, so a
 * program on an existing cluster (or another language, through `pulumi package add <path>/core`)
 * needs no cloud SDK and no provider plugin but kubernetes. The clusters, cloud identities and the
 * Platform that composes everything are in components/.
 */
export { EtcdQuorum } from "./src/etcdQuorum";
export { Gateway } from "./src/gateway";
export { Service } from "./src/service";
export { WeightedRoute } from "./src/weightedRoute";

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
