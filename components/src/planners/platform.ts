/** Platform args, their defaults, the cross-reference checks and the derived wiring of its parts. Pure. */
import { Problems } from "../../../core/src/validation";
import type { AddonKey } from "../../../core/src/planners/addons";
import { planEtcd } from "../../../core/src/planners/etcd";
import {
    type GatewayController, type KubernetesPlatformAccessArgs, type KubernetesPlatformArgs, type PlatformEtcdArgs, type PlatformGatewayArgs, type PlatformRouteArgs,
    type PlatformServiceArgs, KUBERNETES_PLATFORM_DEFAULTS, checkKubernetesPlatform, enabledAddons, monitoringInput,
} from "../../../core/src/planners/kubernetesPlatform";
import type { MonitoringArgs, MonitoringInput } from "../../../core/src/planners/monitoring";
import { resolveService } from "../../../core/src/planners/service";
import { CPU_QUANTITY, MEMORY_QUANTITY } from "../../../core/src/planners/workload";
import { type WorkloadIdentityArgs, checkWorkloadIdentities, identityBindingKeys } from "./access";
import { type CapacityPlan, type NodeReserveArgs, type WorkloadDemand, addonDemands, clusterDemands, formatCpu, formatMemory, planCapacity, poolShapes, requests } from "./capacity";
import { CLUSTER_DEFAULTS, type Cloud, type KubernetesClusterArgs, planCluster } from "./cluster";

// What the stack config parser and Platform's args take from the Kubernetes layer.
export {
    GATEWAY_CONTROLLERS, GatewayController, PLATFORM_LIMITS,
    type PlatformEtcdArgs, type PlatformGatewayArgs, type PlatformRouteArgs, type PlatformRouteBackendArgs, type PlatformServiceArgs,
} from "../../../core/src/planners/kubernetesPlatform";

/** The gateway controller a cloud gets by default: GKE's own on GCP, Envoy Gateway elsewhere. */
export function defaultGatewayController(cloud: Cloud): GatewayController {
    return cloud === "gcp" ? "gke" : "envoy";
}

export interface AddonsArgs {
    /** Gateway API implementation. @default envoy, or gke on GKE (built in) */
    gatewayController?: GatewayController;
    /** Install metrics-server, which HPAs need. @default true on AWS (EKS lacks it), false elsewhere (built in) */
    metricsServer?: boolean;
    /** Install cert-manager (with Gateway API support) to issue the gateway certificate. @default false */
    certManager?: boolean;
    /** Alerts, scrape targets and a dashboard for the platform's own promises (see MonitoringArgs). @default - none */
    monitoring?: MonitoringArgs;
}

export interface PlatformWorkloadIdentityArgs extends Omit<WorkloadIdentityArgs, "namespace" | "serviceAccount"> {
    /** The platform service whose ServiceAccount gets the cloud identity. */
    service: string;
}

export interface PlatformAccessArgs extends Omit<KubernetesPlatformAccessArgs, "identityServices" | "protectWorkloadIdentities"> {
    /** Cloud permissions of platform services. @default [] */
    workloadIdentities?: PlatformWorkloadIdentityArgs[];
    /** Refuse rules that let their subjects run pods as a service with a cloud identity. @default false */
    protectWorkloadIdentities?: boolean;
}

/** What a stack whose pods cannot all fit its node pools gets. */
export const CapacityOverflow = { Error: "error", Warn: "warn" } as const;
export type CapacityOverflow = (typeof CapacityOverflow)[keyof typeof CapacityOverflow];
export const CAPACITY_OVERFLOWS: readonly CapacityOverflow[] = Object.values(CapacityOverflow);

export interface PlatformCapacityArgs {
    /**
     * When the pods at their maxReplicas do not fit the pools at their maxNodes: refuse the
     * platform (`error`) or deploy it with a warning (`warn`). @default error
     */
    onOverflow?: CapacityOverflow;
    /** What the cloud's DaemonSets take on every node. @default - the cloud's estimate (NODE_DAEMONS in components/src/planners/capacity.ts) */
    nodeReserve?: NodeReserveArgs;
}

export interface PlatformArgs {
    /** The cluster to build (or target). */
    cluster: KubernetesClusterArgs;
    /** Namespace the platform's workloads run in; it enforces the `restricted` Pod Security Standard. @default apps */
    namespace?: string;
    /** Workloads. @default [] */
    services?: PlatformServiceArgs[];
    /** Capacity-weighted routes through the gateway. @default [] */
    routes?: PlatformRouteArgs[];
    /** The shared Gateway. @default - see PlatformGatewayArgs */
    gateway?: PlatformGatewayArgs;
    /** Cluster add-ons. @default - see AddonsArgs */
    addons?: AddonsArgs;
    /** An etcd quorum in the platform namespace. @default - none */
    etcd?: PlatformEtcdArgs;
    /** Access model: RBAC rules and workload identities of platform services. @default - none */
    access?: PlatformAccessArgs;
    /** The capacity plan's settings. @default - overflow is an error, the cloud's node reserve */
    capacity?: PlatformCapacityArgs;
    /**
     * Alias the services, routes and etcd quorum to their names from before they were prefixed
     * with the platform's name, so a stack made then keeps its resources. Set it to false on a
     * second Platform added to such a stack: two platforms cannot both claim the old names.
     * @default true
     */
    legacyChildAliases?: boolean;
}

/** Every fixed default of {@link PlatformArgs}; the check, the component and the docs read these. */
export const PLATFORM_DEFAULTS = {
    namespace: KUBERNETES_PLATFORM_DEFAULTS.namespace,
    gatewayNamespace: KUBERNETES_PLATFORM_DEFAULTS.gatewayNamespace,
    etcdName: KUBERNETES_PLATFORM_DEFAULTS.etcdName,
    legacyChildAliases: true,
    capacityOnOverflow: CapacityOverflow.Error,
} as const;

/** What the platform wires into one of its services, beyond the service's own args and the Kubernetes layer's wiring. */
export interface PlatformServiceIdentity {
    /** The service's own pod labels plus those of its workload identity. */
    readonly podLabels: Readonly<Record<string, string>>;
    /** Index in access.workloadIdentities of the identity bound to its ServiceAccount. */
    readonly identity?: number;
}

/** Plans what each service's workload identity puts on its pods (assumes `checkPlatform` found no problem). */
export function planPlatformIdentities(args: Pick<PlatformArgs, "cluster" | "services" | "access">): Map<string, PlatformServiceIdentity> {
    const identities = args.access?.workloadIdentities ?? [];
    const keys = identityBindingKeys(args.cluster.cloud, args.cluster.aws?.workloadIdentity);
    return new Map((args.services ?? []).map((s) => {
        const identity = identities.findIndex((w) => w.service === s.name);
        return [s.name, {
            podLabels: { ...(s.podLabels ?? {}), ...(identity >= 0 ? keys.podLabels : {}) },
            identity: identity >= 0 ? identity : undefined,
        }];
    }));
}

/**
 * The args of the platform's Kubernetes layer: the cloud's defaults resolved (gateway controller,
 * metrics-server, Kubernetes version), the services with a workload identity named for the
 * access rules. The services' identity annotations and labels are merged by the Platform.
 */
export function kubernetesLayerArgs(args: PlatformArgs): KubernetesPlatformArgs {
    const { workloadIdentities, ...access } = args.access ?? {};
    const { metricsServer, gatewayController, ...addons } = args.addons ?? {};
    return {
        namespace: args.namespace,
        services: args.services,
        routes: args.routes,
        gateway: args.gateway,
        addons: { ...addons, metricsServer: metricsServer ?? args.cluster.cloud === "aws", gatewayController: gatewayController ?? defaultGatewayController(args.cluster.cloud) },
        etcd: args.etcd,
        access: args.access ? { ...access, identityServices: (workloadIdentities ?? []).map((w) => w.service) } : undefined,
        kubernetesVersion: args.cluster.kubernetesVersion ?? CLUSTER_DEFAULTS.kubernetesVersion,
    };
}

/**
 * Checks the parts of a platform against each other. `at(key)` maps an args key to the path
 * reported (`paas:services` for stack config, `args.services` for the component); `name` is the
 * Platform's (its children's cloud names are checked against the clouds' limits when given).
 */
export function checkPlatform(args: PlatformArgs, at: (key: string) => string, problems = new Problems(), name?: string): Problems {
    const services = args.services ?? [];
    checkKubernetesPlatform(kubernetesLayerArgs(args), at, problems);
    // The add-ons a platform manages: what needs cert-manager needs its add-on (a local cluster has it from its CRDs).
    if (args.gateway?.certManagerClusterIssuer !== undefined && !(args.addons?.certManager ?? false))
        problems.add(`${at("gateway")}.certManagerClusterIssuer`, args.gateway.certManagerClusterIssuer, `needs cert-manager: set ${at("addons")}.certManager: true`);
    if (args.etcd?.certificates === "cert-manager" && !(args.addons?.certManager ?? false) && args.cluster.cloud !== "local")
        problems.add(`${at("etcd")}.certificates`, args.etcd.certificates, `needs cert-manager: set ${at("addons")}.certManager: true`);
    if (args.access) {
        const identities = args.access.workloadIdentities ?? [];
        const appNamespace = args.namespace ?? PLATFORM_DEFAULTS.namespace;
        checkWorkloadIdentities({
            cloud: args.cluster.cloud,
            workloadIdentities: identities.map(({ service, ...g }) => ({ ...g, namespace: appNamespace, serviceAccount: service })),
        }, at("access"), problems, { componentName: name === undefined ? undefined : `${name}-access`, serviceAccountKey: "service" });
        const byName = new Map(services.map((s) => [s.name, s]));
        const keys = identityBindingKeys(args.cluster.cloud, args.cluster.aws?.workloadIdentity);
        identities.forEach((w, j) => {
            const target = byName.get(w.service);
            const wPath = `${at("access")}.workloadIdentities[${j}]`;
            if (!target) return problems.add(`${wPath}.service`, w.service, `must name a service of ${at("services")}`);
            // What the identity needs on the ServiceAccount and the pods wins; a user value for it is an error.
            const i = services.indexOf(target);
            for (const key of keys.annotations)
                if (target.serviceAccountAnnotations?.[key] !== undefined) {
                    const value = target.serviceAccountAnnotations[key];
                    problems.add(`${at("services")}[${i}].serviceAccountAnnotations["${key}"]`, value,
                        `is set by the workload identity ${wPath}; remove it`, typeof value !== "string");
                }
            for (const [key, value] of Object.entries(keys.podLabels)) {
                const own = target.podLabels?.[key];
                if (own !== undefined && own !== value)
                    problems.add(`${at("services")}[${i}].podLabels["${key}"]`, own, `conflicts with the workload identity ${wPath}, which needs ${JSON.stringify(value)}`);
            }
            return undefined;
        });
    }
    checkCapacityArgs(args.capacity, at("capacity"), problems);
    // The plan needs valid inputs: with any other problem it would only repeat it.
    if (problems.empty) checkCapacity(args, at, problems, name);
    return problems;
}

/**
 * The add-ons the args turn on (metrics-server by default on EKS only; the Envoy Gateway when
 * it is the controller).
 */
export function platformAddons(addons: AddonsArgs | undefined, cloud: Cloud): AddonKey[] {
    return enabledAddons(kubernetesLayerArgs({ cluster: { cloud }, addons }).addons);
}

/** What the monitoring plan needs of a checked platform: each service's plans, each route's weights, the etcd plan. */
export function platformMonitoringInput(args: PlatformArgs): MonitoringInput {
    return monitoringInput(kubernetesLayerArgs(args));
}

/** Every long-running pod of the platform: its services, its etcd members and the add-ons' Deployments. */
export function platformDemands(args: PlatformArgs): WorkloadDemand[] {
    const out: WorkloadDemand[] = (args.services ?? []).map((s) => {
        const r = resolveService(s.name, { ...s, calls: [] });
        // The Deployment spreads over zones and nodes with ScheduleAnyway, and has no selector or tolerations.
        return { name: r.name, kind: "Deployment", minReplicas: r.autoscaling.minReplicas, maxReplicas: r.autoscaling.maxReplicas, ...requests(r.cpu, r.memory),
            nodeSelector: {}, tolerations: [], zoneSpread: "soft", onePerNode: false };
    });
    if (args.etcd) {
        const e = planEtcd(args.etcd, args.etcd.name ?? PLATFORM_DEFAULTS.etcdName);
        out.push({ name: e.name, kind: "StatefulSet", minReplicas: e.members, maxReplicas: e.members, ...requests(e.cpu, e.memory),
            nodeSelector: {}, tolerations: [], zoneSpread: "soft", onePerNode: true });
    }
    return [...out, ...addonDemands(platformAddons(args.addons, args.cluster.cloud))];
}

/** The capacity plan of a platform, or why there is none (a local cluster, a machine type of unknown size). */
export function planPlatformCapacity(args: PlatformArgs, name = "paas"): CapacityPlan | { skipped: string } {
    const cluster = planCluster(args.cluster, "cluster", new Problems(), args.cluster.clusterName ?? name);
    const shapes = poolShapes(cluster, args.capacity?.nodeReserve);
    return "skipped" in shapes ? shapes : planCapacity(shapes.pools, [...platformDemands(args), ...clusterDemands(cluster)]);
}

/** "checkout-a (12 of 30 pods: no node of pool(s) apps has …)" for each workload that does not fit. */
export function overflowSummary(plan: CapacityPlan): string {
    return plan.max.unplaced.map((u) => `${u.kind} ${u.workload}: ${u.pods} pod${u.pods === 1 ? "" : "s"} (${u.reason})`).join("; ");
}

function checkCapacity(args: PlatformArgs, at: (key: string) => string, problems: Problems, name?: string): void {
    const plan = planPlatformCapacity(args, name);
    if ("skipped" in plan || plan.max.fits) return;
    if ((args.capacity?.onOverflow ?? PLATFORM_DEFAULTS.capacityOnOverflow) !== "error") return;
    const maxNodes = Object.fromEntries(plan.max.pools.map((p) => [p.pool, p.nodes]));
    problems.add(`${at("cluster")}.nodePools`, maxNodes,
        `cannot hold every pod at maxReplicas with every pool at maxNodes: ${overflowSummary(plan)}; raise maxNodes, use larger machine types or lower maxReplicas, or set ${at("capacity")}.onOverflow: warn to deploy anyway`);
}

function checkCapacityArgs(c: PlatformCapacityArgs | undefined, path: string, problems: Problems): void {
    if (c?.onOverflow !== undefined && !CAPACITY_OVERFLOWS.includes(c.onOverflow))
        problems.add(`${path}.onOverflow`, c.onOverflow, `must be one of ${CAPACITY_OVERFLOWS.map((o) => `"${o}"`).join(", ")}`);
    const r = c?.nodeReserve ?? {};
    if (r.cpu !== undefined && !CPU_QUANTITY.test(r.cpu)) problems.add(`${path}.nodeReserve.cpu`, r.cpu, 'must be a CPU quantity such as "200m"');
    if (r.memory !== undefined && !MEMORY_QUANTITY.test(r.memory)) problems.add(`${path}.nodeReserve.memory`, r.memory, 'must be a memory quantity such as "256Mi"');
    if (r.pods !== undefined && (!Number.isInteger(r.pods) || r.pods < 0 || r.pods > 250)) problems.add(`${path}.nodeReserve.pods`, r.pods, "must be an integer from 0 to 250");
}

/** The `capacity` stack output: per pool, what is left at min and at max, and what does not fit. */
export function capacityOutput(plan: CapacityPlan | { skipped: string }): Record<string, unknown> {
    if ("skipped" in plan) return { skipped: plan.skipped };
    const scenario = (s: CapacityPlan["max"]) => ({
        fits: s.fits,
        pools: Object.fromEntries(s.pools.map((p) => [p.pool, {
            nodes: p.nodes,
            freeCpu: formatCpu(p.free.cpu),
            freeMemory: formatMemory(p.free.memory),
            freePods: p.free.pods,
        }])),
        unplaced: s.unplaced.map((u) => ({ ...u })),
    });
    return { max: scenario(plan.max), min: scenario(plan.min) };
}
