/**
 * Capacity planner: places every pod of the platform on the node pools, at the replicas' and the
 * pools' maxima (and, separately, their minima), and says what is left on each pool and which
 * pods do not fit and why. Pure: plain data in, plain data out.
 *
 * Placement is first-fit decreasing: workloads sorted by size (then kind and name, so the order
 * they are listed in never matters), each pod on the first node that admits it (node selector,
 * taints), has room for its requests and a pod slot, and keeps the workload's constraints (one
 * per node; zone spread). A soft zone spread (ScheduleAnyway, what the platform's workloads use)
 * only orders the nodes — least-used zone first — as the scheduler's scoring does; a hard one
 * (DoNotSchedule, maxSkew 1) refuses a zone that would get 2 more pods than the emptiest one.
 */
import { type AddonKey, hardenedValues } from "../../../core/src/planners/addons";
import { CRITICAL_ADDONS_ONLY_TAINT, type Cloud, type ClusterPlan, type NodePoolPlan } from "./cluster";
import { type Allocatable, allocatable } from "./instanceTypes";
import { CLUSTER_AUTOSCALER } from "./clusterAutoscaler";
import { KARPENTER, KARPENTER_LABELS, karpenterCapacityType } from "./karpenter";
import { quantityValue } from "../../../core/src/planners/workload";

export const TaintEffect = { NoSchedule: "NoSchedule", PreferNoSchedule: "PreferNoSchedule", NoExecute: "NoExecute" } as const;
export type TaintEffect = (typeof TaintEffect)[keyof typeof TaintEffect];

export interface Taint {
    readonly key: string;
    readonly value?: string;
    readonly effect: TaintEffect;
}

export interface Toleration {
    readonly key?: string;
    /** @default Equal */
    readonly operator?: "Equal" | "Exists";
    readonly value?: string;
    /** @default - every effect */
    readonly effect?: TaintEffect;
}

export const ZoneSpread = { None: "none", Soft: "soft", Hard: "hard" } as const;
export type ZoneSpread = (typeof ZoneSpread)[keyof typeof ZoneSpread];

/** A node pool as the cloud shapes its nodes: labels, taints, zones and what each node leaves to pods. */
export interface PoolShape {
    readonly name: string;
    readonly machineType: string;
    readonly minNodes: number;
    readonly maxNodes: number;
    /** Zones the pool's nodes are spread over, round-robin. */
    readonly zones: readonly string[];
    readonly labels: Readonly<Record<string, string>>;
    readonly taints: readonly Taint[];
    /** Per node, after the cloud's reservations and the node daemons. */
    readonly allocatable: Allocatable;
    /**
     * Nodes come and go with the pods (Karpenter): the pool has no minimum, so at the minima it
     * grows to what the pods need, up to maxNodes, and counts only the nodes it launched. @default false
     */
    readonly elastic?: boolean;
}

/** The pods of one workload: identical replicas. */
export interface WorkloadDemand {
    /** Unique among the demands, e.g. the workload's name. */
    readonly name: string;
    /** Deployment, StatefulSet, or add-on. */
    readonly kind: string;
    readonly minReplicas: number;
    readonly maxReplicas: number;
    /** Requests of one pod: millicores and bytes. */
    readonly cpu: number;
    readonly memory: number;
    readonly nodeSelector: Readonly<Record<string, string>>;
    readonly tolerations: readonly Toleration[];
    readonly zoneSpread: ZoneSpread;
    /** Required pod anti-affinity on the hostname: at most one pod of the workload per node. */
    readonly onePerNode: boolean;
    /**
     * Runs as system-cluster-critical: the scheduler preempts ordinary pods to make room for it,
     * so it is placed before every other workload. @default false
     */
    readonly critical?: boolean;
}

export interface Resources {
    /** Millicores. */
    readonly cpu: number;
    /** Bytes. */
    readonly memory: number;
    readonly pods: number;
}

export interface PoolHeadroom {
    readonly pool: string;
    readonly nodes: number;
    /** Sum over the pool's nodes. */
    readonly allocatable: Resources;
    readonly requested: Resources;
    readonly free: Resources;
}

export interface UnplacedPods {
    readonly workload: string;
    readonly kind: string;
    /** How many of its pods do not fit. */
    readonly pods: number;
    readonly reason: string;
}

export interface CapacityScenario {
    readonly fits: boolean;
    readonly pools: readonly PoolHeadroom[];
    readonly unplaced: readonly UnplacedPods[];
    /** Where each pod went: workload → node ids (`<pool>-<index>`), for tests and the cluster tier. */
    readonly placement: Readonly<Record<string, readonly string[]>>;
}

export interface CapacityPlan {
    /** Pods at maxReplicas on every pool at maxNodes. */
    readonly max: CapacityScenario;
    /** Pods at minReplicas on every pool at minNodes. */
    readonly min: CapacityScenario;
}

interface Node {
    readonly id: string;
    readonly pool: number;
    readonly zone: string;
    cpu: number;
    memory: number;
    pods: number;
    readonly workloads: Set<string>;
}

/** Why `pool` does not admit the pods of `w` (node selector, untolerated taint), or undefined. */
export function admissionProblem(pool: Pick<PoolShape, "labels" | "taints">, w: Pick<WorkloadDemand, "nodeSelector" | "tolerations">): string | undefined {
    const missing = Object.entries(w.nodeSelector).filter(([k, v]) => pool.labels[k] !== v);
    if (missing.length > 0) return `lacks the label${missing.length > 1 ? "s" : ""} ${missing.map(([k, v]) => `${k}=${v}`).join(", ")}`;
    const blocking = pool.taints.filter((t) => t.effect !== "PreferNoSchedule" && !w.tolerations.some((o) => tolerates(o, t)));
    if (blocking.length > 0) return `has the taint${blocking.length > 1 ? "s" : ""} ${blocking.map(formatTaint).join(", ")}, not tolerated`;
    return undefined;
}

export function tolerates(o: Toleration, t: Taint): boolean {
    if (o.effect !== undefined && o.effect !== t.effect) return false;
    if ((o.operator ?? "Equal") === "Exists") return o.key === undefined || o.key === t.key;
    return o.key === t.key && (o.value ?? "") === (t.value ?? "");
}

export function formatTaint(t: Taint): string {
    return `${t.key}${t.value === undefined ? "" : `=${t.value}`}:${t.effect}`;
}

/** Sorting key: critical pods first, then the larger of CPU (in cores) and memory (in 4 GiB, a core's usual share), then kind and name. */
function bySize(a: WorkloadDemand, b: WorkloadDemand): number {
    const size = (w: WorkloadDemand) => Math.max(w.cpu / 1000, w.memory / 2 ** 32);
    return Number(b.critical ?? false) - Number(a.critical ?? false) || size(b) - size(a) || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name);
}

/** Places the pods of `workloads` at their `at` replicas on `pools` at their `at` node counts. */
export function placeWorkloads(pools: readonly PoolShape[], workloads: readonly WorkloadDemand[], at: "min" | "max"): CapacityScenario {
    const nodes: Node[] = pools.flatMap((p, i) => Array.from({ length: at === "max" || p.elastic ? p.maxNodes : p.minNodes }, (_, k): Node => ({
        id: `${p.name}-${k}`, pool: i, zone: p.zones[k % p.zones.length], ...p.allocatable, workloads: new Set(),
    })));
    const placement: Record<string, string[]> = {};
    const unplaced: UnplacedPods[] = [];
    for (const w of [...workloads].sort(bySize)) {
        const admitted = pools.map((p) => admissionProblem(p, w));
        const candidates = nodes.filter((n) => admitted[n.pool] === undefined);
        const placed: string[] = [];
        placement[w.name] = placed;
        const replicas = at === "max" ? w.maxReplicas : w.minReplicas;
        if (admitted.every((a) => a !== undefined)) {
            const why = pools.map((p, i) => `pool ${p.name} ${admitted[i]}`).join("; ");
            if (replicas > 0) unplaced.push({ workload: w.name, kind: w.kind, pods: replicas, reason: pools.length ? `no pool admits its pods: ${why}` : "there is no node pool" });
            continue;
        }
        const perZone = new Map<string, number>(candidates.map((n) => [n.zone, 0]));
        let left = 0;
        let blockedBySpread = false;
        for (let r = 0; r < replicas; r++) {
            const node = pickNode(candidates, w, perZone);
            if (node === "spread") blockedBySpread = true;
            if (!node || node === "spread") { left++; continue; }
            node.cpu -= w.cpu;
            node.memory -= w.memory;
            node.pods -= 1;
            node.workloads.add(w.name);
            perZone.set(node.zone, (perZone.get(node.zone) ?? 0) + 1);
            placed.push(node.id);
        }
        if (left > 0) unplaced.push({ workload: w.name, kind: w.kind, pods: left, reason: noRoomReason(pools, admitted, w, blockedBySpread) });
    }
    // At the minima an elastic pool has only the nodes its pods made it launch.
    const launched = nodes.filter((n) => at === "max" || !pools[n.pool].elastic || n.workloads.size > 0);
    return { fits: unplaced.length === 0, pools: headroom(pools, launched), unplaced, placement };
}

/** The node for the next pod of `w`, "spread" when only a hard zone spread keeps it off every fitting node, or undefined. */
function pickNode(candidates: readonly Node[], w: WorkloadDemand, perZone: ReadonlyMap<string, number>): Node | "spread" | undefined {
    const fits = (n: Node) => n.cpu >= w.cpu && n.memory >= w.memory && n.pods >= 1 && !(w.onePerNode && n.workloads.has(w.name));
    const emptiest = Math.min(...perZone.values());
    let best: Node | undefined;
    let spreadBlocked = false;
    for (const n of candidates) {
        if (!fits(n)) continue;
        const inZone = perZone.get(n.zone)!;
        if (w.zoneSpread === "hard" && inZone + 1 - emptiest > 1) { spreadBlocked = true; continue; }
        if (w.zoneSpread === "none") return n;
        if (!best || inZone < perZone.get(best.zone)!) best = n;
    }
    return best ?? (spreadBlocked ? "spread" : undefined);
}

function noRoomReason(pools: readonly PoolShape[], admitted: readonly (string | undefined)[], w: WorkloadDemand, spread: boolean): string {
    const names = pools.filter((_, i) => admitted[i] === undefined).map((p) => p.name).join(", ");
    if (spread) return `a zone spread of maxSkew 1 (DoNotSchedule) keeps them off the nodes of pool(s) ${names} that have room`;
    const perNode = w.onePerNode ? " that does not already run one of its pods (one per node)" : "";
    return `no node of pool(s) ${names} has ${formatCpu(w.cpu)} CPU, ${formatMemory(w.memory)} memory and a pod slot free${perNode}`;
}

function headroom(pools: readonly PoolShape[], nodes: readonly Node[]): PoolHeadroom[] {
    return pools.map((p, i) => {
        const own = nodes.filter((n) => n.pool === i);
        const total: Resources = { cpu: p.allocatable.cpu * own.length, memory: p.allocatable.memory * own.length, pods: p.allocatable.pods * own.length };
        const free: Resources = { cpu: sum(own, (n) => n.cpu), memory: sum(own, (n) => n.memory), pods: sum(own, (n) => n.pods) };
        return {
            pool: p.name,
            nodes: own.length,
            allocatable: total,
            requested: { cpu: total.cpu - free.cpu, memory: total.memory - free.memory, pods: total.pods - free.pods },
            free,
        };
    });
}

const sum = <T>(xs: readonly T[], f: (x: T) => number) => xs.reduce((a, x) => a + f(x), 0);

export function planCapacity(pools: readonly PoolShape[], workloads: readonly WorkloadDemand[]): CapacityPlan {
    return { max: placeWorkloads(pools, workloads, "max"), min: placeWorkloads(pools, workloads, "min") };
}

/** "1930m" */
export function formatCpu(millicores: number): string {
    return `${Math.round(millicores)}m`;
}

/** "7518Mi" (whole MiB, rounded down: never more than there is). */
export function formatMemory(bytes: number): string {
    return `${Math.floor(bytes / 2 ** 20)}Mi`;
}

/**
 * What the cloud's own DaemonSets take on every node, beyond the reservations: the CNI agent,
 * kube-proxy and the like (EKS: aws-node 25m and kube-proxy 100m of CPU, plus the pod identity
 * agent; GKE and AKS run a few more agents). An estimate: check `kubectl describe node` on a
 * real cluster and set `capacity.nodeReserve` when yours differs.
 */
export const NODE_DAEMONS: Readonly<Record<Exclude<Cloud, "local">, { cpu: string; memory: string; pods: number }>> = {
    aws: { cpu: "125m", memory: "0", pods: 3 },
    gcp: { cpu: "200m", memory: "200Mi", pods: 5 },
    azure: { cpu: "150m", memory: "200Mi", pods: 5 },
};

/** The label every cloud puts the zone in, and the one with the instance type. */
export const ZONE_LABEL = "topology.kubernetes.io/zone";
export const INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type";
/** The label the platform puts the pool's name in on every cloud (beside the cloud's own: eks.amazonaws.com/nodegroup, cloud.google.com/gke-nodepool, agentpool). */
export const POOL_LABEL = "paas.dev/node-pool";
/** AKS taints every spot pool with this. */
export const AKS_SPOT_TAINT: Taint = { key: "kubernetes.azure.com/scalesetpriority", value: "spot", effect: "NoSchedule" };

/** "key=value:Effect" → Taint. */
export function parseTaint(text: string): Taint {
    const [kv, effect] = text.split(":");
    const [key, value] = kv.split("=");
    return { key, value, effect: effect as TaintEffect };
}

/** The labels and taints a cloud gives the nodes of `pool` (its own labels, the pool's name, capacity type, instance type). */
export function cloudNodeShape(cloud: Exclude<Cloud, "local">, pool: NodePoolPlan): { labels: Record<string, string>; taints: Taint[] } {
    const base = { ...pool.labels, [INSTANCE_TYPE_LABEL]: pool.machineType };
    switch (cloud) {
        case "aws":
            if (pool.karpenter)
                return { labels: { ...base, [POOL_LABEL]: pool.name, [KARPENTER_LABELS.nodePool]: pool.name, [KARPENTER_LABELS.capacityType]: karpenterCapacityType(pool.spot) }, taints: [] };
            return {
                labels: { ...base, [POOL_LABEL]: pool.name, "eks.amazonaws.com/nodegroup": pool.name, "eks.amazonaws.com/capacityType": pool.spot ? "SPOT" : "ON_DEMAND" },
                taints: [],
            };
        case "gcp":
            return { labels: { ...base, [POOL_LABEL]: pool.name, "cloud.google.com/gke-nodepool": pool.name, ...(pool.spot ? { "cloud.google.com/gke-spot": "true" } : {}) }, taints: [] };
        case "azure":
            if (pool.karpenter)
                return { labels: { ...base, [POOL_LABEL]: pool.name, [KARPENTER_LABELS.nodePool]: pool.name, [KARPENTER_LABELS.capacityType]: karpenterCapacityType(pool.spot) }, taints: [] };
            return {
                labels: { ...base, [POOL_LABEL]: pool.name, agentpool: pool.name, ...(pool.spot ? { [AKS_SPOT_TAINT.key]: AKS_SPOT_TAINT.value! } : {}) },
                taints: [...(pool.criticalAddonsOnly ? [parseTaint(CRITICAL_ADDONS_ONLY_TAINT)] : []), ...(pool.spot ? [AKS_SPOT_TAINT] : [])],
            };
        default: {
            const never: never = cloud;
            throw new Error(`unknown cloud ${never}`);
        }
    }
}

/** Per-node reserve for the node daemons: `quantities` as given, else the cloud's estimate. */
export interface NodeReserveArgs {
    /** CPU the DaemonSets request on every node. @default - the cloud's estimate, see NODE_DAEMONS */
    cpu?: string;
    /** Memory the DaemonSets request on every node. @default - the cloud's estimate, see NODE_DAEMONS */
    memory?: string;
    /** Pod slots the DaemonSets take on every node. @default - the cloud's estimate, see NODE_DAEMONS */
    pods?: number;
}

/**
 * The pools of a cluster plan as the cloud shapes them, or why they cannot be known: a `local`
 * cluster's nodes are whatever the target cluster has, and a machine type outside the table has
 * no known size.
 */
export function poolShapes(plan: ClusterPlan, reserve: NodeReserveArgs = {}): { pools: PoolShape[] } | { skipped: string } {
    const cloud = plan.cloud;
    if (cloud === "local") return { skipped: "the local cloud targets an existing cluster (or renders manifests), whose nodes the program does not know: no capacity plan" };
    const unknown = plan.nodePools.filter((p) => allocatable(p.machineType) === undefined).map((p) => `${p.name} (${p.machineType})`);
    if (unknown.length > 0)
        return { skipped: `no capacity plan: the size of the machine type of pool(s) ${unknown.join(", ")} is not in the planner's table (components/src/planners/instanceTypes.ts)` };
    const d = NODE_DAEMONS[cloud];
    const daemons = { cpu: quantityValue(reserve.cpu ?? d.cpu) * 1000, memory: quantityValue(reserve.memory ?? d.memory), pods: reserve.pods ?? d.pods };
    const zoneCount = cloud === "aws" ? plan.aws?.availabilityZoneCount ?? 3 : 3;
    const zones = Array.from({ length: zoneCount }, (_, i) => `zone-${i + 1}`);
    return {
        pools: plan.nodePools.map((p) => {
            const a = allocatable(p.machineType)!;
            return {
                name: p.name,
                machineType: p.machineType,
                minNodes: p.minNodes,
                maxNodes: p.maxNodes,
                zones,
                ...cloudNodeShape(cloud, p),
                ...(p.karpenter ? { elastic: true } : {}),
                allocatable: { cpu: Math.max(0, a.cpu - daemons.cpu), memory: Math.max(0, a.memory - daemons.memory), pods: Math.max(0, a.pods - daemons.pods) },
            };
        }),
    };
}

/** One pod's requests in planner units. */
export function requests(cpu: string, memory: string): { cpu: number; memory: number } {
    return { cpu: Math.round(quantityValue(cpu) * 1000), memory: quantityValue(memory) };
}

/**
 * The pods the cluster component itself runs on the system pool, both system-cluster-critical: on
 * EKS, the cluster autoscaler (managed node groups; its chart sets no spread) or Karpenter's
 * controller, as its chart places them: one per node, spread over the zones (DoNotSchedule),
 * tolerating CriticalAddonsOnly.
 */
export function clusterDemands(plan: ClusterPlan): WorkloadDemand[] {
    if (plan.aws === undefined) return [];
    const system = plan.nodePools.find((p) => p.system)!;
    if (plan.aws.nodeProvisioning === "managedGroups") {
        const c = CLUSTER_AUTOSCALER;
        return [{
            name: "cluster-autoscaler", kind: "add-on", minReplicas: c.replicas, maxReplicas: c.replicas, ...requests(c.resources.requests.cpu, c.resources.requests.memory),
            nodeSelector: { [POOL_LABEL]: system.name }, tolerations: [], zoneSpread: "none", onePerNode: false, critical: true,
        }];
    }
    return [{
        name: "karpenter", kind: "add-on", minReplicas: KARPENTER.replicas, maxReplicas: KARPENTER.replicas,
        ...requests(KARPENTER.resources.requests.cpu, KARPENTER.resources.requests.memory),
        nodeSelector: { [POOL_LABEL]: system.name }, tolerations: [{ key: "CriticalAddonsOnly", operator: "Exists" }], zoneSpread: "hard", onePerNode: true, critical: true,
    }];
}

/**
 * The long-running pods of the enabled add-ons, from the chart values the platform sets (replicas
 * and requests). Their charts set no tolerations and no node selector.
 */
export function addonDemands(enabled: readonly AddonKey[]): WorkloadDemand[] {
    const demand = (name: string, part: any): WorkloadDemand => ({
        name, kind: "add-on", minReplicas: part.replicas, maxReplicas: part.replicas, ...requests(part.resources.requests.cpu, part.resources.requests.memory),
        nodeSelector: {}, tolerations: [], zoneSpread: "none", onePerNode: false,
    });
    return enabled.flatMap((key): WorkloadDemand[] => {
        const v = hardenedValues(key) as any;
        switch (key) {
            case "metricsServer":
                return [demand("metrics-server", { replicas: v.replicas, resources: v.resources })];
            case "certManager":
                return [["cert-manager", v], ["cert-manager-webhook", v.webhook], ["cert-manager-cainjector", v.cainjector]]
                    .map(([name, part]) => demand(name, { replicas: part.replicaCount, resources: part.resources }));
            case "envoyGateway":
                return [demand("envoy-gateway", { replicas: v.deployment.replicas, resources: v.deployment.envoyGateway.resources })];
            case "monitoring":
                return [
                    demand("prometheus", v.prometheus.prometheusSpec),
                    demand("alertmanager", v.alertmanager.alertmanagerSpec),
                    demand("prometheus-operator", { replicas: 1, resources: v.prometheusOperator.resources }),
                    demand("grafana", v.grafana),
                    demand("kube-state-metrics", v["kube-state-metrics"]),
                ];
            default: {
                const never: never = key;
                throw new Error(`unknown add-on ${never}`);
            }
        }
    });
}
