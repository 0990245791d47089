/** The reusable component package: components, their args, and the pure planners behind them. */
export { KubernetesCluster } from "./src/kubernetesCluster";
export { Platform, type PlatformArgs } from "./src/platform";
export * from "./src/planners/cluster";
export * from "./src/planners/iam";
export { ConfigError, type Problem } from "./src/validation";
