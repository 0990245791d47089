/**
 * The reusable component package (`paas:index:*`): components, their args, and the pure
 * planners behind them. Consumable from TypeScript by import, and from other languages with
 * `pulumi package add <path-to>/components`.
 */
export { AccessControl } from "./src/accessControl";
export { EtcdQuorum } from "./src/etcdQuorum";
export { Gateway } from "./src/gateway";
export { KubernetesCluster } from "./src/kubernetesCluster";
export { Platform } from "./src/platform";
export { Service } from "./src/service";
export { WeightedRoute } from "./src/weightedRoute";
