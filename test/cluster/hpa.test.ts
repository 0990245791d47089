/**
 * The 80/30 band, enforced by the real HPA controller (kube-controller-manager) reading CPU usage
 * through the real aggregation layer from a test metrics.k8s.io server. Every step the controller
 * takes is checked against the plan's arithmetic and against the project's own simulator.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initialState, planAutoscaling, step } from "../../components/src/planners/autoscaling";
import { localStackYaml, type ScratchProject, scratchProject } from "../harness/engine";
import { startTestCluster, type TestCluster } from "../harness/cluster";
import { startMetricsServer, type MetricsServer } from "../harness/metrics-server";

const SYNC = 5; // --horizontal-pod-autoscaler-sync-period of this test's controller manager
const NS = "apps";
const autoscaling = { minReplicas: 2, maxReplicas: 10, scaleDownStabilizationSeconds: 30 };
const probe = { name: "probe", image: "ghcr.io/acme/probe:1.0.0", port: 8080, cpu: "500m", autoscaling };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sample { t: number; replicas: number; utilization?: number }

describe("the HPA band, by kube-controller-manager", () => {
    let cluster: TestCluster;
    let metrics: MetricsServer;
    let p: ScratchProject;
    const t0 = Date.now();
    const now = () => (Date.now() - t0) / 1000;
    const samples: Sample[] = [];
    const setUsage = (u: number) => metrics.setUsage(u);
    const hpa = () => cluster.json(["get", "hpa", "probe", "-n", NS]);
    const observe = (): Sample => {
        const h = hpa();
        const s = { t: now(), replicas: h.status.desiredReplicas ?? h.status.currentReplicas, utilization: h.status.currentMetrics?.[0]?.resource?.current?.averageUtilization };
        samples.push(s);
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
        while (now() < end && (cluster.json(["get", "deployment", "probe", "-n", NS]).status.readyReplicas ?? 0) !== n) await sleep(500);
        expect(cluster.json(["get", "deployment", "probe", "-n", NS]).status.readyReplicas).toBe(n);
    };

    beforeAll(async () => {
        cluster = await startTestCluster(Number(process.env.PAAS_TEST_CLUSTER_PORT_BASE ?? 17_470) + 20, {
            controllerManagerFlags: [`--horizontal-pod-autoscaler-sync-period=${SYNC}s`],
        });
        metrics = await startMetricsServer(cluster);
        p = scratchProject(localStackYaml((c) => {
            for (const k of Object.keys(c)) if (k.startsWith("paas:") && k !== "paas:cloud") delete c[k];
            c["paas:cluster"] = { local: { kubeconfigFile: cluster.info.kubeconfig } };
            c["paas:addons"] = { gatewayController: "none" };
            c["paas:services"] = [probe];
        }), { timeoutMs: 300_000 });
        p.run(["stack", "init", "local"]);
        p.run(["up", "--yes", "--stack", "local"]);
        setUsage(55);
        await readyReplicas(2);
    });
    afterAll(async () => {
        p?.remove();
        await metrics?.close();
        await cluster?.down();
    });

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
        // The controller's own syncs: each one listed the pods' metrics once, at a known time and usage.
        const syncs = metrics.syncs();
        expect(syncs.length).toBeGreaterThan(20);
        const run = (pl: typeof plan) => {
            const state = initialState(pl, 2);
            const first = syncs[0].t;
            return syncs.map((x) => step(pl, state, x.t - first, x.percent));
        };
        const steps = (xs: number[]) => xs.filter((x, i) => i === 0 || x !== xs[i - 1]);
        const real = steps(samples.map((s) => s.replicas));
        expect(real).toEqual([2, 3, 7, 6]);
        expect(steps(run(plan))).toEqual(real);
        // And with the default 300 s window, the same syncs would not have scaled down yet.
        const defaults = planAutoscaling({ ...autoscaling, scaleDownStabilizationSeconds: undefined }, "1.35");
        expect(defaults.scaleDown.stabilizationWindowSeconds).toBe(300);
        expect(steps(run(defaults))).toEqual([2, 3, 7]);
    });
});
