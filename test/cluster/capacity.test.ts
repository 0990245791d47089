/**
 * The capacity planner against the real scheduler: simulated nodes shaped like a stack's pools at
 * their maxima (labels, taints, zones, the allocatable of the instance table), every workload at
 * its maxReplicas, and the planner's count of pods that fit — per workload — is what schedules.
 */
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../app/config";
import { type CapacityScenario, type PoolShape, type WorkloadDemand, clusterDemands, placeWorkloads, poolShapes } from "../../components/src/planners/capacity";
import { planCluster } from "../../components/src/planners/cluster";
import { platformDemands } from "../../components/src/planners/platform";
import { Problems } from "../../core/src/validation";
import type { NodeSpec } from "../../scripts/cluster/cluster";
import { startTestCluster, type TestCluster } from "../harness/cluster";
import { stackConfig } from "../harness/stacks";

const Mi = 2 ** 20;
const NS = "capacity";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One kwok node per node of each pool at maxNodes, as the planner lays them out (`<pool>-<index>`, zones round-robin). */
function nodesOf(pools: readonly PoolShape[]): NodeSpec[] {
    return pools.flatMap((p) => Array.from({ length: p.maxNodes }, (_, k): NodeSpec => ({
        name: `${p.name}-${k}`, zone: p.zones[k % p.zones.length], region: "capacity",
        cpu: `${p.allocatable.cpu}m`, memory: `${p.allocatable.memory / Mi}Mi`, pods: p.allocatable.pods,
        labels: { ...p.labels }, taints: p.taints.map((t) => ({ ...t })),
    })));
}

/** A Deployment of `w` at maxReplicas with the scheduling constraints the planner reads. */
function deploymentOf(w: WorkloadDemand): object {
    const labels = { app: w.name };
    const spread = w.zoneSpread === "none" ? [] : ["topology.kubernetes.io/zone", "kubernetes.io/hostname"].map((topologyKey) => ({
        maxSkew: 1, topologyKey, whenUnsatisfiable: w.zoneSpread === "hard" ? "DoNotSchedule" : "ScheduleAnyway", labelSelector: { matchLabels: labels },
    }));
    return {
        apiVersion: "apps/v1", kind: "Deployment",
        metadata: { name: w.name, namespace: NS },
        spec: {
            replicas: w.maxReplicas,
            selector: { matchLabels: labels },
            template: {
                metadata: { labels },
                spec: {
                    nodeSelector: { ...w.nodeSelector },
                    priorityClassName: w.critical ? "system-cluster-critical" : undefined,
                    tolerations: w.tolerations.map((t) => ({ ...t })),
                    topologySpreadConstraints: spread,
                    affinity: w.onePerNode ? { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: labels } }] } } : undefined,
                    containers: [{ name: "app", image: "registry.example.com/app:1.0.0", resources: { requests: { cpu: `${w.cpu}m`, memory: `${w.memory / Mi}Mi` } } }],
                },
            },
        },
    };
}

/** Per workload: pods bound to a node, and pods the scheduler reported Unschedulable. */
interface Outcome { scheduled: number; pending: number }

async function scheduleAll(cluster: TestCluster, demands: readonly WorkloadDemand[]): Promise<Record<string, Outcome>> {
    cluster.kubectl(["create", "namespace", NS]);
    cluster.kubectl(["apply", "--server-side", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: demands.map(deploymentOf) }));
    const total = demands.reduce((n, w) => n + w.maxReplicas, 0);
    const end = Date.now() + 120_000;
    for (;;) {
        const pods = cluster.json(["get", "pods", "-n", NS]).items as any[];
        const unschedulable = (p: any) => p.status.conditions?.some((c: any) => c.type === "PodScheduled" && c.status === "False" && c.reason === "Unschedulable");
        const decided = pods.filter((p) => p.spec.nodeName || unschedulable(p));
        if (pods.length === total && decided.length === total) {
            const out: Record<string, Outcome> = {};
            for (const w of demands) {
                const own = pods.filter((p) => p.metadata.labels.app === w.name);
                out[w.name] = { scheduled: own.filter((p) => p.spec.nodeName).length, pending: own.filter(unschedulable).length };
            }
            return out;
        }
        if (Date.now() > end) throw new Error(`timed out waiting for the scheduler: ${pods.length}/${total} pods exist, ${decided.length} bound or Unschedulable`);
        await sleep(1000);
    }
}

const expected = (plan: CapacityScenario, demands: readonly WorkloadDemand[]): Record<string, Outcome> =>
    Object.fromEntries(demands.map((w) => [w.name, { scheduled: plan.placement[w.name].length, pending: w.maxReplicas - plan.placement[w.name].length }]));

describe("the capacity plan, by the real scheduler", () => {
    let cluster: TestCluster | undefined;
    afterEach(async () => {
        await cluster?.down();
        cluster = undefined;
    });

    it("dev stack at its maxima: the planner says every pod fits, and every pod schedules", async () => {
        const raw = Object.fromEntries(Object.entries(stackConfig("dev")).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
        const cfg = parseConfig(raw, "dev", null);
        const clusterPlan = planCluster(cfg.cluster, "c", new Problems(), "dev");
        const shapes = poolShapes(clusterPlan) as { pools: PoolShape[] };
        // With Karpenter's controller on the system pool (dev runs Karpenter).
        const demands = [...platformDemands({ cluster: cfg.cluster, services: cfg.services, etcd: cfg.etcd, addons: cfg.addons }), ...clusterDemands(clusterPlan)];
        const plan = placeWorkloads(shapes.pools, demands, "max");
        expect(plan.fits).toBe(true);
        cluster = await startTestCluster(Number(process.env.PAAS_TEST_CLUSTER_PORT_BASE ?? 17_470) + 60, { nodes: nodesOf(shapes.pools) });
        const outcome = await scheduleAll(cluster, demands);
        expect(outcome).toEqual(expected(plan, demands));
        expect(Object.values(outcome).reduce((n, o) => n + o.pending, 0)).toBe(0);
        // 85 pods on 14 nodes (4 system m6i.large, 10 spot m6i.xlarge), 2 of them Karpenter's.
        expect(Object.values(outcome).reduce((n, o) => n + o.scheduled, 0)).toBe(85);
        expect(outcome.karpenter).toEqual({ scheduled: 2, pending: 0 });
    });

    it("dev stack on managed node groups: the cluster autoscaler's pod lands on the system pool, where the planner puts it first", async () => {
        const stack = stackConfig("dev");
        const c = stack["paas:cluster"] as any;
        const managed = { ...stack, "paas:cluster": { ...c, aws: undefined, nodePools: [c.nodePools[0], { ...c.nodePools[1], minNodes: 1 }] } };
        const raw = Object.fromEntries(Object.entries(managed).filter(([, v]) => v !== undefined).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
        const cfg = parseConfig(raw, "dev", null);
        const clusterPlan = planCluster(cfg.cluster, "c", new Problems(), "dev");
        const shapes = poolShapes(clusterPlan) as { pools: PoolShape[] };
        const demands = [...platformDemands({ cluster: cfg.cluster, services: cfg.services, etcd: cfg.etcd, addons: cfg.addons }), ...clusterDemands(clusterPlan)];
        expect(demands.filter((d) => d.critical).map((d) => d.name)).toEqual(["cluster-autoscaler"]);
        const plan = placeWorkloads(shapes.pools, demands, "max");
        expect(plan.fits).toBe(true);
        expect(plan.placement["cluster-autoscaler"]).toEqual(["system-0"]);
        cluster = await startTestCluster(Number(process.env.PAAS_TEST_CLUSTER_PORT_BASE ?? 17_470) + 80, { nodes: nodesOf(shapes.pools) });
        const outcome = await scheduleAll(cluster, demands);
        expect(outcome).toEqual(expected(plan, demands));
        expect(outcome["cluster-autoscaler"]).toEqual({ scheduled: 1, pending: 0 });
    });

    it("AKS pools too small: exactly the pods the planner says do not fit stay Pending", async () => {
        // Two pools of Standard_D4s_v5 at 2 nodes; the system pool is tainted CriticalAddonsOnly (AKS, with a user pool).
        const cluster0 = planCluster({ cloud: "azure", nodePools: [
            { name: "system", machineType: "Standard_D4s_v5", minNodes: 1, maxNodes: 2 },
            { name: "apps", machineType: "Standard_D4s_v5", minNodes: 1, maxNodes: 2 },
        ] }, "c", new Problems(), "capacity");
        const { pools } = poolShapes(cluster0) as { pools: PoolShape[] };
        const base = { kind: "Deployment", minReplicas: 1, nodeSelector: {}, tolerations: [], zoneSpread: "soft" as const, onePerNode: false };
        const demands: WorkloadDemand[] = [
            // 1 core each: 3 per apps node (3710m after the reservations), none on the tainted system pool.
            { ...base, name: "web", maxReplicas: 10, cpu: 1000, memory: 1024 * Mi },
            // No pool has the label.
            { ...base, name: "gpu", maxReplicas: 2, cpu: 100, memory: 128 * Mi, nodeSelector: { accelerator: "a100" } },
            // Tolerates the system pool's taint.
            { ...base, name: "agent", maxReplicas: 2, cpu: 100, memory: 128 * Mi, tolerations: [{ key: "CriticalAddonsOnly", operator: "Exists" }] },
        ];
        const plan = placeWorkloads(pools, demands, "max");
        expect(plan.unplaced.map((u) => [u.workload, u.pods])).toEqual([["web", 4], ["gpu", 2]]);
        cluster = await startTestCluster(Number(process.env.PAAS_TEST_CLUSTER_PORT_BASE ?? 17_470) + 70, { nodes: nodesOf(pools) });
        const outcome = await scheduleAll(cluster, demands);
        expect(outcome).toEqual(expected(plan, demands));
        expect(outcome).toEqual({ web: { scheduled: 6, pending: 4 }, gpu: { scheduled: 0, pending: 2 }, agent: { scheduled: 2, pending: 0 } });
        // The scheduler said why: FailedScheduling events for the pending pods.
        const failed = cluster.json(["get", "events", "-n", NS, "--field-selector", "reason=FailedScheduling"]).items as any[];
        expect(new Set(failed.map((e) => e.involvedObject.name.replace(/-[a-z0-9]+-[a-z0-9]+$/, ""))).size).toBe(2);
    });
});
