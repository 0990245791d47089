/**
 * The 80/30 band, enforced by the real HPA controller (kube-controller-manager) reading CPU usage
 * through the real aggregation layer from a test metrics.k8s.io server. Every step the controller
 * takes is checked against the plan's arithmetic and against the project's own simulator.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initialState, planAutoscaling, step } from "../../core/src/planners/autoscaling";
import { clusterStackYaml, type ScratchProject, scratchProject } from "../harness/engine";
import { startTestCluster, type TestCluster } from "../harness/cluster";
import { startMetricsServer, type MetricsServer } from "../harness/metrics-server";

const SYNC = 5; // --horizontal-pod-autoscaler-sync-period of this test's controller manager
const NS = "apps";
const autoscaling = { minReplicas: 2, maxReplicas: 10, scaleDownStabilizationSeconds: 30 };
const probe = { name: "probe", image: "ghcr.io/acme/probe:1.0.0", port: 8080, cpu: "500m", autoscaling };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sample { t: number; replicas: number; utilization?: number }

/**
 * A control plane (HPA sync every SYNC s) with the metrics test server, and one `probe` service
 * deployed by the program: what each describe below watches.
 */
function probeFixture(portOffset: number, opts: { featureGates?: string; kubernetesVersion?: string } = {}) {
    const f = {
        cluster: undefined as unknown as TestCluster,
        metrics: undefined as unknown as MetricsServer,
        p: undefined as unknown as ScratchProject,
        samples: [] as Sample[],
    };
    const t0 = Date.now();
    const now = () => (Date.now() - t0) / 1000;
    const hpa = () => f.cluster.json(["get", "hpa", "probe", "-n", NS]);
    const observe = (): Sample => {
        const h = hpa();
        const s = { t: now(), replicas: h.status.desiredReplicas ?? h.status.currentReplicas, utilization: h.status.currentMetrics?.[0]?.resource?.current?.averageUtilization };
        f.samples.push(s);
        return s;
    };
    /** Polls until `pred` holds for a sample, or `seconds` pass; returns the samples seen. */
    const watch = async (seconds: number, pred: (s: Sample) => boolean = () => false): Promise<Sample[]> => {
        const seen: Sample[] = [];
        const end = now() + seconds;
        while (now() < end) {
            const s = observe();
            seen.push(s);
            if (pred(s)) break;
            await sleep(500);
        }
        return seen;
    };
    const readyReplicas = async (n: number) => {
        const end = now() + 60;
        while (now() < end && (f.cluster.json(["get", "deployment", "probe", "-n", NS]).status.readyReplicas ?? 0) !== n) await sleep(500);
        expect(f.cluster.json(["get", "deployment", "probe", "-n", NS]).status.readyReplicas).toBe(n);
    };
    beforeAll(async () => {
        f.cluster = await startTestCluster(Number(process.env.PAAS_TEST_CLUSTER_PORT_BASE ?? 17_470) + portOffset, {
            controllerManagerFlags: [`--horizontal-pod-autoscaler-sync-period=${SYNC}s`],
            featureGates: opts.featureGates,
        });
        f.metrics = await startMetricsServer(f.cluster);
        f.p = scratchProject(clusterStackYaml(f.cluster.info.kubeconfig, { "paas:services": [probe] },
            opts.kubernetesVersion ? { kubernetesVersion: opts.kubernetesVersion } : {}), { timeoutMs: 300_000 });
        f.p.run(["stack", "init", "local"]);
        f.p.run(["up", "--yes", "--stack", "local"]);
        f.metrics.setUsage(55);
        await readyReplicas(2);
    });
    afterAll(async () => {
        f.p?.remove();
        await f.metrics?.close();
        await f.cluster?.down();
    });
    return { f, hpa, watch, readyReplicas, setUsage: (u: number) => f.metrics.setUsage(u), now };
}

/** The simulator fed the controller's own syncs (each listed the pods' metrics once). */
function simulateSyncs(pl: ReturnType<typeof planAutoscaling>, syncs: { t: number; percent: number }[]): number[] {
    const state = initialState(pl, 2);
    return syncs.map((x) => step(pl, state, x.t - syncs[0].t, x.percent));
}
const steps = (xs: number[]) => xs.filter((x, i) => i === 0 || x !== xs[i - 1]);

describe("the HPA band, by kube-controller-manager", () => {
    const { f, hpa, watch, readyReplicas, setUsage, now } = probeFixture(20);
    const samples = f.samples;
    const metrics = { podLists: () => f.metrics.podLists(), syncs: () => f.metrics.syncs() };
    const plan = planAutoscaling(autoscaling, "1.35");

    it("deploys the band as target 55 % with tolerances 464m in both directions, kept by the server", () => {
        const spec = hpa().spec;
        expect(spec.metrics[0].resource.target).toEqual({ type: "Utilization", averageUtilization: plan.targetUtilization });
        expect([spec.behavior.scaleUp.tolerance, spec.behavior.scaleDown.tolerance]).toEqual(["464m", "464m"]);
        expect(plan.targetUtilization).toBe(55);
    });

    it("at 80 % keeps the count for several syncs, reading 80 % from the served metrics", async () => {
        setUsage(80);
        const seen = await watch(4 * SYNC + 2);
        expect(seen.filter((s) => s.utilization === 80).length).toBeGreaterThan(0);
        expect([...new Set(seen.map((s) => s.replicas))]).toEqual([2]);
        expect(metrics.podLists()).toBeGreaterThan(2);
    });

    it("at 81 % scales up on the next sync, to exactly ceil(n · u / T)", async () => {
        setUsage(81);
        const start = now();
        const seen = await watch(2 * SYNC + 3, (s) => s.replicas !== 2);
        setUsage(55); // back inside the band: no further step
        const changed = seen.at(-1)!;
        expect(changed.replicas).toBe(Math.ceil((2 * 81) / plan.targetUtilization)); // 3
        expect(changed.t - start).toBeLessThanOrEqual(SYNC + 2);
        await readyReplicas(3);
        // Inside the band for longer than a scale-up period: nothing moves.
        const held = await watch(20);
        expect([...new Set(held.map((s) => s.replicas))]).toEqual([3]);
    });

    it("far above the band, scales up only as fast as the scale-up policy allows (max of +100 % and +4 pods per 15 s)", async () => {
        setUsage(200);
        const seen = await watch(2 * SYNC + 3, (s) => s.replicas !== 3);
        setUsage(55);
        expect(Math.ceil((3 * 200) / plan.targetUtilization)).toBe(11); // what the ratio alone asks for
        expect(seen.at(-1)!.replicas).toBe(7); // 3 + max(3, 4)
        await readyReplicas(7);
    });

    it("at 30 % never scales down, also past the stabilization window", async () => {
        setUsage(30);
        const seen = await watch(autoscaling.scaleDownStabilizationSeconds + 3 * SYNC);
        expect(seen.filter((s) => s.utilization === 30).length).toBeGreaterThan(0);
        expect([...new Set(seen.map((s) => s.replicas))]).toEqual([7]);
    });

    it("at 29 % scales down only after the stabilization window, by the rate policy (1 pod per minute here)", async () => {
        setUsage(29);
        const start = now();
        const seen = await watch(autoscaling.scaleDownStabilizationSeconds + 3 * SYNC, (s) => s.replicas !== 7);
        const changed = seen.at(-1)!;
        // The ratio asks for ceil(7 · 29 / 55) = 4; the policy allows max(10 % of 7 → 0, 1 pod) per 60 s.
        expect(changed.replicas).toBe(6);
        expect(changed.t - start).toBeGreaterThanOrEqual(autoscaling.scaleDownStabilizationSeconds - SYNC);
        expect(changed.t - start).toBeLessThanOrEqual(autoscaling.scaleDownStabilizationSeconds + 2 * SYNC + 2);
        const after = await watch(20);
        expect([...new Set(after.map((s) => s.replicas))]).toEqual([6]);
    });

    it("the project's simulator predicts every step the controller took", () => {
        const syncs = metrics.syncs();
        expect(syncs.length).toBeGreaterThan(20);
        const real = steps(samples.map((s) => s.replicas));
        expect(real).toEqual([2, 3, 7, 6]);
        expect(steps(simulateSyncs(plan, syncs))).toEqual(real);
        // And with the default 300 s window, the same syncs would not have scaled down yet.
        const defaults = planAutoscaling({ ...autoscaling, scaleDownStabilizationSeconds: undefined }, "1.35");
        expect(defaults.scaleDown.stabilizationWindowSeconds).toBe(300);
        expect(steps(simulateSyncs(defaults, syncs))).toEqual([2, 3, 7]);
    });
});

describe("before 1.35 semantics (HPAConfigurableTolerance off): the fallback behaves as the program warns", () => {
    const { f, hpa, watch, readyReplicas, setUsage } = probeFixture(40, { featureGates: "HPAConfigurableTolerance=false", kubernetesVersion: "1.34" });
    const plan = planAutoscaling(autoscaling, "1.34");

    it("warns, deploys target 73 % without tolerances, and the server would drop them anyway", () => {
        const warnings = JSON.parse(f.p.run(["stack", "output", "warnings", "--stack", "local", "--json"]).out);
        expect(warnings).toEqual([`probe: ${plan.warning}`]);
        expect(plan.warning).toBe("Kubernetes 1.34 has no per-direction HPA tolerance (needs 1.35+): scale-up stays exact above 80% (target 73%), but scale-down starts below 66% instead of 30%");
        const spec = hpa().spec;
        expect(spec.metrics[0].resource.target.averageUtilization).toBe(73);
        expect([spec.behavior.scaleUp.tolerance, spec.behavior.scaleDown.tolerance]).toEqual([undefined, undefined]);
        // A 1.35 plan's tolerances sent to this server: accepted, and silently dropped.
        const withTolerance = { ...hpa(), metadata: { name: "probe", namespace: NS }, status: undefined };
        withTolerance.spec.behavior.scaleUp.tolerance = "464m";
        const echoed = JSON.parse(f.cluster.kubectl(["apply", "--server-side", "--dry-run=server", "--field-manager=paas-test", "--force-conflicts", "-o", "json", "-f", "-"], JSON.stringify(withTolerance)));
        expect(echoed.spec.behavior.scaleUp.tolerance).toBeUndefined();
    });

    it("holds at 80 % and scales up at 81 %, as warned", async () => {
        setUsage(80);
        const held = await watch(3 * SYNC + 2);
        expect(held.filter((s) => s.utilization === 80).length).toBeGreaterThan(0);
        expect([...new Set(held.map((s) => s.replicas))]).toEqual([2]);
        setUsage(81);
        const seen = await watch(2 * SYNC + 3, (s) => s.replicas !== 2);
        setUsage(70);
        expect(seen.at(-1)!.replicas).toBe(Math.ceil((2 * 81) / 73)); // 3
        await readyReplicas(3);
    });

    it("holds at 66 % past the window (not 30 %: the warning's point), and scales down at 65 % after it", async () => {
        // Scaling down needs ceil(n · u / T) < n as well: at 65 % that takes 10 pods (ceil(9.04) = 10 at 66).
        for (const expected of [7, 10]) {
            await sleep(16_000); // past the scale-up policy's 15 s period
            const from = hpa().status.desiredReplicas;
            setUsage(300);
            const up = await watch(2 * SYNC + 3, (s) => s.replicas !== from);
            setUsage(70);
            expect(up.at(-1)!.replicas).toBe(expected); // 3 + max(3, 4); then 7 + 7, capped at maxReplicas
            await readyReplicas(expected);
        }
        setUsage(66);
        const held = await watch(autoscaling.scaleDownStabilizationSeconds + 2 * SYNC);
        expect(held.filter((s) => s.utilization === 66).length).toBeGreaterThan(0);
        expect([...new Set(held.map((s) => s.replicas))]).toEqual([10]);
        setUsage(65);
        const start = Date.now();
        const seen = await watch(autoscaling.scaleDownStabilizationSeconds + 3 * SYNC, (s) => s.replicas !== 10);
        expect(seen.at(-1)!.replicas).toBe(9); // ceil(10 · 65 / 73) = 9, one pod per minute at most
        expect((Date.now() - start) / 1000).toBeGreaterThanOrEqual(autoscaling.scaleDownStabilizationSeconds - SYNC);
    });

    it("and the simulator agrees with every step", () => {
        const real = steps(f.samples.map((s) => s.replicas));
        expect(real).toEqual([2, 3, 7, 10, 9]);
        expect(steps(simulateSyncs(plan, f.metrics.syncs()))).toEqual(real);
    });
});
