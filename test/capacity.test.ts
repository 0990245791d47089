import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../app/config";
import {
    type PoolShape, type Taint, type WorkloadDemand, addonDemands, admissionProblem, cloudNodeShape, placeWorkloads, planCapacity, poolShapes,
} from "../components/src/planners/capacity";
import { planCluster } from "../components/src/planners/cluster";
import { INSTANCE_TYPES, aksMemoryReserve, allocatable, eksMemoryReserve, gkeMemoryReserve, tieredCpuReserve } from "../components/src/planners/instanceTypes";
import { capacityOutput, checkPlatform, platformDemands, planPlatformCapacity } from "../components/src/planners/platform";
import { Platform } from "../components/src/platform";
import { ConfigError, Problems } from "../core/src/validation";
import { settle, useMocks } from "./harness/mocks";
import { STACKS, stackConfig } from "./harness/stacks";

const Mi = 2 ** 20;
const Gi = 2 ** 30;

describe("allocatable resources of each machine type", () => {
    it("follows each cloud's reservation formula", () => {
        // 6 % + 1 % + 2 × 0.5 % + 4 × 0.25 % of a core.
        expect([1, 2, 4, 8].map(tieredCpuReserve)).toEqual([60, 70, 80, 90]);
        expect(eksMemoryReserve(29)).toBe(574 * Mi);
        // 1 GiB + 0.8 GiB + 0.8 GiB of 16 GiB; + 0.96 GiB of the next 16.
        expect(gkeMemoryReserve(16 * Gi)).toBeCloseTo(2.6 * Gi, 0);
        expect(gkeMemoryReserve(32 * Gi)).toBeCloseTo(3.56 * Gi, 0);
        expect(gkeMemoryReserve(512 * Mi)).toBe(255 * Mi);
        // 20 MiB × 250 + 50 MiB, capped at a quarter of the memory.
        expect(aksMemoryReserve(32 * Gi, 250)).toBe(5050 * Mi);
        expect(aksMemoryReserve(16 * Gi, 250)).toBe(4 * Gi);
    });

    it("gives each type of the table its node allocatable", () => {
        const table = Object.fromEntries(Object.keys(INSTANCE_TYPES).map((t) => {
            const a = allocatable(t)!;
            return [t, [a.cpu, a.memory / Mi, a.pods]];
        }));
        expect(table).toEqual({
            "m6i.large": [1930, 8192 - 574 - 100, 29],
            "m6i.xlarge": [3920, 16384 - 893 - 100, 58],
            "m6i.2xlarge": [7910, 32768 - 893 - 100, 58],
            "e2-standard-4": [3920, 16384 - 2663 - 100, 110],
            "n2-standard-8": [7910, 32768 - 3646 - 100, 110],
            "Standard_D4s_v5": [3860, 16384 - 4096 - 100, 250],
            "Standard_D8s_v5": [7820, 32768 - 5050 - 100, 250],
        });
        expect(allocatable("m7i.48xlarge")).toBeUndefined();
    });

    it("covers every machine type of the stacks and the defaults", () => {
        const types = STACKS.filter((s) => s !== "local").flatMap((s) => {
            const c = stackConfig(s) as any;
            return planCluster({ ...c["paas:cluster"], cloud: c["paas:cloud"] }, "c", new Problems(), "x").nodePools.map((p) => p.machineType);
        });
        for (const cloud of ["aws", "gcp", "azure"] as const) types.push(...planCluster({ cloud }, "c", new Problems(), "x").nodePools.map((p) => p.machineType));
        expect(types.filter((t) => allocatable(t) === undefined)).toEqual([]);
    });
});

describe("node pools as each cloud shapes them", () => {
    const pool = (over: object = {}) => ({ name: "apps", machineType: "m6i.large", minNodes: 1, maxNodes: 3, spot: false, diskSizeGb: 100, labels: { team: "a" }, system: false, karpenter: false, criticalAddonsOnly: false, ...over });

    it("labels and taints the nodes as EKS, GKE and AKS do", () => {
        expect(cloudNodeShape("aws", pool({ spot: true }))).toEqual({
            labels: { team: "a", "node.kubernetes.io/instance-type": "m6i.large", "paas.dev/node-pool": "apps", "eks.amazonaws.com/nodegroup": "apps", "eks.amazonaws.com/capacityType": "SPOT" },
            taints: [],
        });
        expect(cloudNodeShape("gcp", pool({ spot: true, machineType: "n2-standard-8" })).labels).toEqual({
            team: "a", "node.kubernetes.io/instance-type": "n2-standard-8", "paas.dev/node-pool": "apps", "cloud.google.com/gke-nodepool": "apps", "cloud.google.com/gke-spot": "true",
        });
        expect(cloudNodeShape("azure", pool({ spot: true })).taints).toEqual([{ key: "kubernetes.azure.com/scalesetpriority", value: "spot", effect: "NoSchedule" }]);
        expect(cloudNodeShape("azure", pool({ criticalAddonsOnly: true })).taints).toEqual([{ key: "CriticalAddonsOnly", value: "true", effect: "NoSchedule" }]);
    });

    it("skips a local cluster and a machine type of unknown size, saying why", () => {
        expect(poolShapes(planCluster({ cloud: "local" }, "c", new Problems(), "x"))).toEqual({
            skipped: "the local cloud targets an existing cluster (or renders manifests), whose nodes the program does not know: no capacity plan",
        });
        expect(poolShapes(planCluster({ cloud: "aws", nodePools: [{ name: "big", machineType: "m7i.48xlarge", minNodes: 1, maxNodes: 2 }] }, "c", new Problems(), "x"))).toEqual({
            skipped: "no capacity plan: the size of the machine type of pool(s) big (m7i.48xlarge) is not in the planner's table (components/src/planners/instanceTypes.ts)",
        });
    });

    it("takes the node daemons' estimate off every node, or the configured reserve", () => {
        const plan = planCluster({ cloud: "aws" }, "c", new Problems(), "x");
        const shapes = poolShapes(plan) as { pools: PoolShape[] };
        expect(shapes.pools[0].allocatable).toEqual({ cpu: 1930 - 125, memory: (8192 - 674) * Mi, pods: 26 });
        expect(shapes.pools[0].zones).toEqual(["zone-1", "zone-2", "zone-3"]);
        expect((poolShapes(plan, { cpu: "0", memory: "512Mi", pods: 0 }) as { pools: PoolShape[] }).pools[0].allocatable).toEqual({ cpu: 1930, memory: (8192 - 674 - 512) * Mi, pods: 29 });
    });
});

const shape = (name: string, over: Partial<PoolShape> = {}): PoolShape => ({
    name, machineType: "t", minNodes: 1, maxNodes: 3, zones: ["a", "b", "c"], labels: { pool: name }, taints: [], allocatable: { cpu: 2000, memory: 4 * Gi, pods: 10 }, ...over,
});
const demand = (name: string, over: Partial<WorkloadDemand> = {}): WorkloadDemand => ({
    name, kind: "Deployment", minReplicas: 1, maxReplicas: 4, cpu: 500, memory: Gi, nodeSelector: {}, tolerations: [], zoneSpread: "soft", onePerNode: false, ...over,
});

describe("placing pods (first-fit decreasing)", () => {
    it("fills the pools and reports headroom at max and at min", () => {
        const plan = planCapacity([shape("apps")], [demand("web", { maxReplicas: 10 })]);
        // 3 nodes × 2000m hold 12 pods of 500m; memory (4 GiB) holds 4 per node: 12.
        expect(plan.max.fits).toBe(true);
        expect(plan.max.pools).toEqual([{
            pool: "apps", nodes: 3,
            allocatable: { cpu: 6000, memory: 12 * Gi, pods: 30 }, requested: { cpu: 5000, memory: 10 * Gi, pods: 10 }, free: { cpu: 1000, memory: 2 * Gi, pods: 20 },
        }]);
        expect(plan.min.pools[0]).toMatchObject({ nodes: 1, free: { cpu: 1500, memory: 3 * Gi, pods: 9 } });
        // Spread over the three zones, one node each.
        expect([...plan.max.placement.web].sort()).toEqual(["apps-0", "apps-0", "apps-0", "apps-0", "apps-1", "apps-1", "apps-1", "apps-2", "apps-2", "apps-2"]);
    });

    it("reports what does not fit, with the reason", () => {
        const tainted: Taint = { key: "dedicated", value: "batch", effect: "NoSchedule" };
        const pools = [shape("apps"), shape("batch", { taints: [tainted] })];
        const s = placeWorkloads(pools, [
            demand("web", { maxReplicas: 14 }),
            demand("gpu", { nodeSelector: { accelerator: "a100" } }),
            demand("db", { maxReplicas: 5, onePerNode: true, cpu: 100, memory: Mi, tolerations: [{ key: "dedicated", operator: "Exists" }] }),
        ], "max");
        expect(s.unplaced).toEqual([
            { workload: "gpu", kind: "Deployment", pods: 4, reason: "no pool admits its pods: pool apps lacks the label accelerator=a100; pool batch lacks the label accelerator=a100" },
            { workload: "web", kind: "Deployment", pods: 2, reason: "no node of pool(s) apps has 500m CPU, 1024Mi memory and a pod slot free" },
            // web (larger) went first and left no CPU on apps; db tolerates batch's taint, one pod per node there.
            { workload: "db", kind: "Deployment", pods: 2,
                reason: "no node of pool(s) apps, batch has 100m CPU, 1Mi memory and a pod slot free that does not already run one of its pods (one per node)" },
        ]);
        expect([...s.placement.db].sort()).toEqual(["batch-0", "batch-1", "batch-2"]);
        expect(admissionProblem(pools[1], demand("x"))).toBe("has the taint dedicated=batch:NoSchedule, not tolerated");
        const one = placeWorkloads([shape("apps")], [demand("db", { maxReplicas: 4, onePerNode: true, cpu: 1, memory: 1 })], "max");
        expect(one.unplaced).toEqual([{ workload: "db", kind: "Deployment", pods: 1,
            reason: "no node of pool(s) apps has 1m CPU, 0Mi memory and a pod slot free that does not already run one of its pods (one per node)" }]);
    });

    it("keeps a hard zone spread within a skew of 1", () => {
        // Zones a and b have 1000m on apps and 500m on small each; zone c only 500m on small-2.
        const pools = [shape("apps", { maxNodes: 2, allocatable: { cpu: 1000, memory: 4 * Gi, pods: 10 } }), shape("small", { allocatable: { cpu: 500, memory: 4 * Gi, pods: 10 } })];
        const s = placeWorkloads(pools, [demand("web", { maxReplicas: 6, zoneSpread: "hard" })], "max");
        // c holds one pod, so a and b may hold two each: 5 of 6.
        const zoneOf: Record<string, string> = { "apps-0": "a", "apps-1": "b", "small-0": "a", "small-1": "b", "small-2": "c" };
        expect(["a", "b", "c"].map((z) => s.placement.web.filter((id) => zoneOf[id] === z).length)).toEqual([2, 2, 1]);
        expect(s.unplaced).toEqual([{ workload: "web", kind: "Deployment", pods: 1,
            reason: "a zone spread of maxSkew 1 (DoNotSchedule) keeps them off the nodes of pool(s) apps, small that have room" }]);
    });
});

// --- properties ---------------------------------------------------------------------------------

const taintArb = fc.record({ key: fc.constantFrom("dedicated", "spot"), value: fc.constantFrom("a", "b"), effect: fc.constantFrom("NoSchedule" as const, "NoExecute" as const) });
const poolArb = fc.record({
    nodes: fc.integer({ min: 0, max: 5 }),
    cpu: fc.integer({ min: 200, max: 4000 }),
    memory: fc.integer({ min: 256, max: 8192 }),
    pods: fc.integer({ min: 1, max: 12 }),
    zones: fc.integer({ min: 1, max: 3 }),
    label: fc.constantFrom("x", "y"),
    taints: fc.array(taintArb, { maxLength: 1 }),
});
const demandArb = fc.record({
    replicas: fc.integer({ min: 0, max: 8 }),
    cpu: fc.integer({ min: 50, max: 2000 }),
    memory: fc.integer({ min: 64, max: 4096 }),
    selector: fc.constantFrom(undefined, "x", "y", "z"),
    tolerations: fc.array(fc.record({ key: fc.constantFrom("dedicated", "spot"), operator: fc.constant("Exists" as const) }), { maxLength: 1 }),
    zoneSpread: fc.constantFrom("none" as const, "soft" as const, "hard" as const),
    onePerNode: fc.boolean(),
});
const world = fc.record({ pools: fc.array(poolArb, { minLength: 1, maxLength: 3 }), demands: fc.array(demandArb, { maxLength: 5 }) }).map(({ pools, demands }) => ({
    pools: pools.map((p, i): PoolShape => ({
        name: `p${i}`, machineType: "t", minNodes: 0, maxNodes: p.nodes, zones: ["a", "b", "c"].slice(0, p.zones), labels: { kind: p.label }, taints: p.taints,
        allocatable: { cpu: p.cpu, memory: p.memory * Mi, pods: p.pods },
    })),
    demands: demands.map((d, i): WorkloadDemand => ({
        name: `w${i}`, kind: "Deployment", minReplicas: 0, maxReplicas: d.replicas, cpu: d.cpu, memory: d.memory * Mi,
        nodeSelector: d.selector ? { kind: d.selector } : {}, tolerations: d.tolerations, zoneSpread: d.zoneSpread, onePerNode: d.onePerNode,
    })),
}));

describe("placement properties", () => {
    it("never places more than a node's allocatable, and accounts for every pod", () => {
        fc.assert(fc.property(world, ({ pools, demands }) => {
            const s = placeWorkloads(pools, demands, "max");
            const load = new Map<string, { cpu: number; memory: number; pods: number }>();
            for (const d of demands) for (const id of s.placement[d.name]) {
                const l = load.get(id) ?? { cpu: 0, memory: 0, pods: 0 };
                load.set(id, { cpu: l.cpu + d.cpu, memory: l.memory + d.memory, pods: l.pods + 1 });
                // One per node holds.
                if (d.onePerNode) expect(s.placement[d.name].filter((x) => x === id)).toHaveLength(1);
            }
            for (const [id, l] of load) {
                const a = pools.find((p) => id.startsWith(`${p.name}-`))!.allocatable;
                expect(l.cpu <= a.cpu && l.memory <= a.memory && l.pods <= a.pods).toBe(true);
            }
            for (const d of demands) {
                const missing = s.unplaced.filter((u) => u.workload === d.name).reduce((n, u) => n + u.pods, 0);
                expect(s.placement[d.name].length + missing).toBe(d.maxReplicas);
            }
            const free = s.pools.reduce((n, p) => n + p.free.cpu, 0);
            expect(free).toBe(pools.reduce((n, p) => n + p.maxNodes * p.allocatable.cpu, 0) - demands.reduce((n, d) => n + d.cpu * s.placement[d.name].length, 0));
        }), { numRuns: 300 });
    });

    it("still fits with more nodes after the last ones (first fit, no zone spread: see below)", () => {
        // Nodes added after every node the plan already filled change no earlier choice of a
        // first fit, so whatever fitted still fits. Added anywhere else, they can (next tests).
        fc.assert(fc.property(world, fc.integer({ min: 1, max: 3 }), ({ pools, demands: all }, extra) => {
            const demands = all.map((d) => ({ ...d, zoneSpread: "none" as const }));
            fc.pre(placeWorkloads(pools, demands, "max").fits);
            const more = pools.map((p, j) => (j === pools.length - 1 ? { ...p, maxNodes: p.maxNodes + extra } : p));
            expect(placeWorkloads(more, demands, "max").unplaced).toEqual([]);
        }), { numRuns: 300 });
    });

    it("is a greedy estimate, as the scheduler is greedy: a node more in an earlier pool can leave a pod out", () => {
        // The second p0 node takes a 1385m pod that fitted on a p1 node beside another; the p1
        // nodes then have no 50m left for the last pod of a one-per-node workload.
        const slots = (cpu: number, pods: number) => ({ cpu, memory: 256 * Mi, pods });
        const pools = (n: number) => [
            shape("p0", { maxNodes: n, zones: ["a"], allocatable: slots(1385, 1) }),
            shape("p1", { maxNodes: 4, zones: ["a", "b"], allocatable: slots(2820, 4) }),
        ];
        const demands = [
            demand("w0", { maxReplicas: 4, cpu: 50, memory: 64 * Mi, zoneSpread: "none", onePerNode: true }),
            demand("w1", { maxReplicas: 5, cpu: 51, memory: 64 * Mi, zoneSpread: "soft" }),
            demand("w2", { maxReplicas: 5, cpu: 1385, memory: 64 * Mi, zoneSpread: "none" }),
        ];
        expect(placeWorkloads(pools(1), demands, "max").fits).toBe(true);
        expect(placeWorkloads(pools(2), demands, "max").unplaced).toEqual([{ workload: "w0", kind: "Deployment", pods: 1,
            reason: "no node of pool(s) p0, p1 has 50m CPU, 64Mi memory and a pod slot free that does not already run one of its pods (one per node)" }]);
    });

    it("with a hard zone spread, a node in a new zone can hold fewer pods, as the scheduler does", () => {
        // Two zones of 3 slots hold 6 pods; a node of one slot in a third zone caps the others at 2.
        const one = { cpu: 200, memory: 256 * Mi, pods: 1 };
        const pools = (n: number) => [shape("p0", { maxNodes: n, zones: ["a", "b", "c"], allocatable: one }), shape("p1", { maxNodes: 4, zones: ["a", "b"], allocatable: one })];
        const web = demand("web", { maxReplicas: 6, cpu: 50, memory: 64 * Mi, zoneSpread: "hard" });
        expect(placeWorkloads(pools(2), [web], "max").fits).toBe(true);
        expect(placeWorkloads(pools(3), [web], "max").unplaced).toEqual([{ workload: "web", kind: "Deployment", pods: 1,
            reason: "a zone spread of maxSkew 1 (DoNotSchedule) keeps them off the nodes of pool(s) p0, p1 that have room" }]);
    });

    it("does not depend on the order the workloads are listed in", () => {
        fc.assert(fc.property(world, fc.func(fc.integer()), ({ pools, demands }, key) => {
            const shuffled = [...demands].sort((a, b) => key(a.name) - key(b.name));
            expect(placeWorkloads(pools, shuffled, "max")).toEqual(placeWorkloads(pools, demands, "max"));
        }), { numRuns: 200 });
    });

    it("always reports the pods whose selector or tolerations match no pool", () => {
        fc.assert(fc.property(world, ({ pools, demands }) => {
            const s = placeWorkloads(pools, demands, "max");
            for (const d of demands.filter((x) => x.maxReplicas > 0 && pools.every((p) => admissionProblem(p, x) !== undefined))) {
                expect(s.placement[d.name]).toEqual([]);
                expect(s.unplaced.find((u) => u.workload === d.name)).toMatchObject({ pods: d.maxReplicas, reason: expect.stringMatching(/^no pool admits its pods: /) });
            }
        }), { numRuns: 300 });
    });
});

describe("the platform's capacity plan", () => {
    const config = (stack: string) => {
        const raw = Object.fromEntries(Object.entries(stackConfig(stack)).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
        return parseConfig(raw, stack, null);
    };
    const platformOf = (stack: string) => {
        const c = config(stack);
        return { cluster: c.cluster, services: c.services, etcd: c.etcd, addons: c.addons, routes: c.routes };
    };

    it("places the services, the etcd members and the add-ons", () => {
        const demands = platformDemands(platformOf("dev"));
        expect(demands.map((d) => [d.kind, d.name, d.maxReplicas, d.cpu, d.memory / Mi])).toEqual([
            ["Deployment", "checkout-a", 30, 500, 512], ["Deployment", "checkout-b", 20, 250, 512], ["Deployment", "checkout-c", 10, 250, 256],
            ["Deployment", "orders", 12, 250, 256], ["Deployment", "mailer", 4, 250, 256], ["StatefulSet", "etcd", 3, 500, 1024],
            ["add-on", "metrics-server", 2, 100, 200], ["add-on", "envoy-gateway", 2, 100, 256],
        ]);
        expect(addonDemands(["certManager"]).map((d) => [d.name, d.maxReplicas, d.cpu, d.memory / Mi])).toEqual([
            ["cert-manager", 2, 50, 128], ["cert-manager-webhook", 2, 20, 64], ["cert-manager-cainjector", 2, 50, 128]]);
    });

    it("fits every example stack at its maxima, with this headroom", () => {
        const free = Object.fromEntries(STACKS.map((s) => {
            const out = capacityOutput(planPlatformCapacity(platformOf(s))) as any;
            if (out.skipped) return [s, out.skipped];
            return [s, { fits: out.max.fits, max: out.max.pools, minFits: out.min.fits }];
        }));
        expect(free).toEqual({
            local: "the local cloud targets an existing cluster (or renders manifests), whose nodes the program does not know: no capacity plan",
            // dev's spot pool is Karpenter's: at the minima it grows to what the pods need, so they fit.
            dev: { fits: true, minFits: true, max: {
                system: { nodes: 4, freeCpu: "220m", freeMemory: "21880Mi", freePods: 88 },
                // Karpenter's two controller pods (250m, 512Mi each) take system-pool room that other pods then find on the spot pool.
                spot: { nodes: 10, freeCpu: "16050m", freeMemory: "124838Mi", freePods: 481 } } },
            "aws-prod": { fits: true, minFits: true, max: {
                system: { nodes: 6, freeCpu: "330m", freeMemory: "32820Mi", freePods: 132 },
                apps: { nodes: 30, freeCpu: "214150m", freeMemory: "926226Mi", freePods: 1587 } } },
            "gcp-prod": { fits: true, minFits: true, max: {
                system: { nodes: 6, freeCpu: "1320m", freeMemory: "53902Mi", freePods: 576 },
                apps: { nodes: 30, freeCpu: "225800m", freeMemory: "859028Mi", freePods: 3128 },
                batch: { nodes: 20, freeCpu: "154200m", freeMemory: "576440Mi", freePods: 2100 } } },
            // kube-prometheus-stack's seven pods take 1350m and 4736Mi of azure-prod's apps pool.
            "azure-prod": { fits: true, minFits: true, max: {
                system: { nodes: 6, freeCpu: "22260m", freeMemory: "71928Mi", freePods: 1470 },
                apps: { nodes: 30, freeCpu: "202050m", freeMemory: "785036Mi", freePods: 7265 } } },
        });
    });

    it("refuses a platform whose maxima do not fit, unless told to warn", () => {
        const args = { ...platformOf("dev"), cluster: { ...platformOf("dev").cluster, nodePools: [{ name: "system", machineType: "m6i.large", minNodes: 1, maxNodes: 2 }] } };
        const problems = checkPlatform(args, (k) => `paas:${k}`);
        expect(problems.list.map((p) => p.path)).toEqual(["paas:cluster.nodePools"]);
        expect(problems.list[0].message).toMatch(/^cannot hold every pod at maxReplicas with every pool at maxNodes: Deployment checkout-a: \d+ pods \(no node of pool\(s\) system has 500m CPU, 512Mi memory and a pod slot free\); /);
        expect(problems.list[0].message).toMatch(/; raise maxNodes, use larger machine types or lower maxReplicas, or set paas:capacity\.onOverflow: warn to deploy anyway$/);
        expect(problems.list[0].value).toEqual({ system: 2 });
        expect(checkPlatform({ ...args, capacity: { onOverflow: "warn" } }, (k) => `paas:${k}`).list).toEqual([]);
        expect(checkPlatform({ ...args, capacity: { onOverflow: "ignore" as never, nodeReserve: { cpu: "lots", pods: -1 } } }, (k) => `paas:${k}`).list.map((p) => `${p.path} ${p.message}`)).toEqual([
            'paas:capacity.onOverflow must be one of "error", "warn"',
            'paas:capacity.nodeReserve.cpu must be a CPU quantity such as "200m"',
            "paas:capacity.nodeReserve.pods must be an integer from 0 to 250",
        ]);
    });
});

describe("the Platform component's capacity plan", () => {
    const small = {
        cluster: { cloud: "aws" as const, nodePools: [{ name: "system", machineType: "m6i.large", minNodes: 1, maxNodes: 1 }] },
        services: [{ name: "web", image: "ghcr.io/acme/web:1.0.0", cpu: "1", cpuLimit: "1", autoscaling: { minReplicas: 1, maxReplicas: 3 } }],
    };

    it("refuses an overflow before registering anything, or warns and reports it", async () => {
        await useMocks("test");
        expect(() => new Platform("p", small)).toThrow(ConfigError);
        expect(() => new Platform("p", small)).toThrow(/args\.cluster\.nodePools cannot hold every pod at maxReplicas with every pool at maxNodes: Deployment web: 2 pods \(no node of pool\(s\) system has 1000m CPU/);
        const p = new Platform("w", { ...small, capacity: { onOverflow: "warn" } });
        await settle();
        expect(p.warnings.filter((w) => w.startsWith("capacity: "))).toEqual([
            "capacity: the pools at maxNodes cannot hold every pod at maxReplicas: Deployment web: 2 pods (no node of pool(s) system has 1000m CPU, 256Mi memory and a pod slot free)"]);
        // Of the node's 1805m (and 26 pod slots), one web pod took 1000m, two replicas each of metrics-server and the Envoy Gateway
        // 100m apiece, and the cluster autoscaler of the managed node groups 100m.
        expect(p.capacityReport()).toMatchObject({ max: { fits: false, pools: { system: { nodes: 1, freeCpu: "305m", freePods: 20 } } } });
    });

    it("says why a local platform has no plan", async () => {
        await useMocks("test");
        const p = new Platform("l", { cluster: { cloud: "local", local: { renderDirectory: "rendered" } } });
        await settle();
        expect(p.capacityReport()).toEqual({ skipped: "the local cloud targets an existing cluster (or renders manifests), whose nodes the program does not know: no capacity plan" });
    });
});
