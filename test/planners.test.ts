import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { initialState, planAutoscaling, rawRecommendation, simulate, step as simulateStep } from "../core/src/planners/autoscaling";
import { MAX_GATEWAY_WEIGHT, capacityWeights, equalWeights } from "../core/src/planners/weights";

describe("capacityWeights (w_i = r_i / Σ r_j as integers)", () => {
    it("splits 1:2:5 capacities into exact percentages", () => {
        expect(capacityWeights([1, 2, 5])).toEqual([12, 25, 63]); // 12.5, 25, 62.5: the tie goes to the larger capacity
        expect(capacityWeights([3, 0, 1])).toEqual([75, 0, 25]);
        expect(capacityWeights([1, 1, 1])).toEqual([34, 33, 33]);
        expect(capacityWeights([200, 300, 500], 1000)).toEqual([200, 300, 500]);
        expect(equalWeights(4)).toEqual([25, 25, 25, 25]);
    });

    it("rejects what has no meaningful share", () => {
        expect(() => capacityWeights([])).toThrow("at least one backend is needed");
        expect(() => capacityWeights([0, 0])).toThrow("at least one capacity must be greater than 0");
        expect(() => capacityWeights([1, -5])).toThrow("capacity #1 must be a finite number >= 0, got -5");
        expect(() => capacityWeights([1], 0)).toThrow(`total must be an integer from 1 to ${MAX_GATEWAY_WEIGHT}, got 0`);
    });

    const capacities = fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 1, maxLength: 40 }).filter((a) => a.some((c) => c > 0));
    const totals = fc.integer({ min: 1, max: MAX_GATEWAY_WEIGHT });

    it("always sums to exactly the total", () => {
        fc.assert(fc.property(capacities, totals, (r, total) => capacityWeights(r, total).reduce((a, b) => a + b, 0) === total));
    });

    it("keeps every weight within 1 of its exact share", () => {
        fc.assert(fc.property(capacities, totals, (r, total) => {
            const sum = r.reduce((a, b) => a + b, 0);
            return capacityWeights(r, total).every((w, i) => Math.abs(w - (r[i] * total) / sum) < 1);
        }));
    });

    it("gives zero capacity zero weight and never a negative one", () => {
        fc.assert(fc.property(capacities, totals, (r, total) =>
            capacityWeights(r, total).every((w, i) => w >= 0 && (r[i] > 0 || w === 0))));
    });

    it("is monotone: more capacity never means less weight", () => {
        fc.assert(fc.property(capacities, totals, (r, total) => {
            const w = capacityWeights(r, total);
            return r.every((ri, i) => r.every((rj, j) => !(ri > rj) || w[i] >= w[j]));
        }));
    });

    it("is round-robin for equal capacities", () => {
        fc.assert(fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 100_000 }), (n, total) => {
            const w = equalWeights(n, total);
            return Math.max(...w) - Math.min(...w) <= 1;
        }));
    });
});

describe("HPA plan for the 80/30 band", () => {
    const plan = planAutoscaling({}, "1.35");

    it("targets the band's midpoint with per-direction tolerances", () => {
        expect(plan.targetUtilization).toBe(55);
        expect(plan.scaleUpTolerance).toBe("464m"); // (80.5 / 55) − 1
        expect(plan.scaleDownTolerance).toBe("464m"); // 1 − (29.5 / 55)
        expect(plan.scaleDown.stabilizationWindowSeconds).toBe(300);
        expect(plan.scaleUp.stabilizationWindowSeconds).toBe(0);
        expect(plan.warning).toBeUndefined();
    });

    it("scales exactly above 80 % and exactly below 30 %", () => {
        const n = 10;
        expect(rawRecommendation(plan, n, 80)).toBe(10);
        expect(rawRecommendation(plan, n, 81)).toBe(Math.ceil((10 * 81) / 55));
        expect(rawRecommendation(plan, n, 30)).toBe(10);
        expect(rawRecommendation(plan, n, 29)).toBe(Math.ceil((10 * 29) / 55));
    });

    it("falls back to the cluster-wide tolerance before 1.35, and says so", () => {
        const old = planAutoscaling({}, "1.32");
        // The smallest target with 80/T ≤ 1.1: 73 (74 would hold at 81 too: 81/74 ≈ 1.095).
        expect(old.targetUtilization).toBe(73);
        expect(old.scaleUpTolerance).toBeUndefined();
        expect(rawRecommendation(old, 10, 80)).toBe(10);
        expect(rawRecommendation(old, 10, 81)).toBe(Math.ceil((10 * 81) / 73));
        expect(rawRecommendation(old, 10, 66)).toBe(10);
        expect(rawRecommendation(old, 10, 65)).toBe(Math.ceil((10 * 65) / 73));
        expect(old.warning).toBe(
            "Kubernetes 1.32 has no per-direction HPA tolerance (needs 1.35+): scale-up stays exact above 80% (target 73%), but scale-down starts below 66% instead of 30%",
        );
    });

    it("before 1.35, what the warning says is what the controller's ±10 % does, for every upper threshold", () => {
        for (let upper = 2; upper <= 100; upper++) {
            const plan = planAutoscaling({ scaleUpAbove: upper, scaleDownBelow: 1, maxReplicas: 1000 }, "1.34");
            const holds = (u: number) => rawRecommendation(plan, 100, u) === 100;
            const firstUp = [...Array(300).keys()].find((u) => u > 0 && !holds(u) && rawRecommendation(plan, 100, u) > 100)!;
            const lowestHeld = [...Array(300).keys()].find((u) => holds(u))!;
            expect([upper, holds(upper)]).toEqual([upper, true]);
            const says = /scale-up (?:stays exact above (\d+)%|starts at (\d+)% instead)/.exec(plan.warning!)!;
            expect([upper, says[1] ? Number(says[1]) + 1 : Number(says[2])]).toEqual([upper, firstUp]);
            expect([upper, Number(/scale-down starts below (\d+)%/.exec(plan.warning!)![1])]).toEqual([upper, lowestHeld]);
            // Exact whenever any target can be: U/T ≤ 1.1 < (U+1)/T.
            const exactPossible = [...Array(101).keys()].some((t) => t > 0 && 10 * upper <= 11 * t && 10 * (upper + 1) > 11 * t);
            expect([upper, firstUp === upper + 1]).toEqual([upper, exactPossible]);
        }
    });
});

describe("HPA simulator properties (any band, any trace)", () => {
    const band = fc.record({ lower: fc.integer({ min: 1, max: 98 }), width: fc.integer({ min: 1, max: 99 }) })
        .map(({ lower, width }) => ({ lower, upper: Math.min(100, lower + width) }))
        .filter((b) => b.upper > b.lower);
    const sizes = fc.record({ min: fc.integer({ min: 1, max: 20 }), extra: fc.integer({ min: 0, max: 80 }) });

    it("never scales while utilization stays inside the band", () => {
        fc.assert(fc.property(band, sizes, fc.integer({ min: 1, max: 100 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 60 }),
            (b, s, start, fractions) => {
                const plan = planAutoscaling({ scaleUpAbove: b.upper, scaleDownBelow: b.lower, minReplicas: s.min, maxReplicas: s.min + s.extra }, "1.35");
                const trace = fractions.map((f) => b.lower + Math.round(f * (b.upper - b.lower)));
                const initial = Math.max(s.min, Math.min(s.min + s.extra, start));
                return simulate(plan, initial, trace).every((r) => r === initial);
            }), { numRuns: 300 });
    });

    it("scales up on the first sync above the upper threshold (unless at max)", () => {
        fc.assert(fc.property(band, sizes, fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 400 }), (b, s, start, over) => {
            const plan = planAutoscaling({ scaleUpAbove: b.upper, scaleDownBelow: b.lower, minReplicas: s.min, maxReplicas: s.min + s.extra }, "1.35");
            const initial = Math.max(s.min, Math.min(s.min + s.extra, start));
            const [after] = simulate(plan, initial, [b.upper + over]);
            return initial === plan.maxReplicas ? after === initial : after > initial;
        }), { numRuns: 500 });
    });

    it("scales down below the lower threshold once the stabilization window has passed (unless at min)", () => {
        fc.assert(fc.property(band, sizes, fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 100 }), (b, s, start, below) => {
            fc.pre(b.lower > 1);
            const u = Math.max(0, b.lower - below);
            const plan = planAutoscaling({ scaleUpAbove: b.upper, scaleDownBelow: b.lower, minReplicas: s.min, maxReplicas: s.min + s.extra }, "1.35");
            const initial = Math.max(s.min, Math.min(s.min + s.extra, start));
            const replicas = simulate(plan, initial, Array.from({ length: 22 }, () => u)); // 315 s
            const early = replicas.slice(0, 20); // the first 285 s: still stabilizing
            // The controller can only remove a pod when ceil(n·u/T) < n.
            const shrinkable = initial > plan.minReplicas && Math.ceil((initial * u) / plan.targetUtilization) < initial;
            return early.every((r) => r === initial) && (shrinkable ? replicas.at(-1)! < initial : replicas.at(-1) === initial);
        }), { numRuns: 500 });
    });

    it("keeps replicas within [min, max] for any trace", () => {
        fc.assert(fc.property(band, sizes, fc.integer({ min: 1, max: 200 }), fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 120 }),
            (b, s, start, trace) => {
                const plan = planAutoscaling({ scaleUpAbove: b.upper, scaleDownBelow: b.lower, minReplicas: s.min, maxReplicas: s.min + s.extra }, "1.35");
                return simulate(plan, start, trace).every((r) => r >= plan.minReplicas && r <= plan.maxReplicas);
            }), { numRuns: 300 });
    });

    it("demonstrates the 80/30 band on a daily load curve", () => {
        const plan = planAutoscaling({ minReplicas: 2, maxReplicas: 20 }, "1.35");
        // Total demand in "percent of one pod's request"; utilization = demand / replicas.
        const demand = [100, 100, 150, 170, 400, 700, 900, 900, 900, 600, 300, 100, 100];
        let replicas = 2;
        const timeline: string[] = [];
        const state = initialState(plan, replicas);
        let t = 0;
        for (const d of demand) {
            for (let i = 0; i < 40; i++, t += 15) {
                const u = Math.floor(d / state.replicas);
                replicas = simulateStep(plan, state, t, u);
            }
            timeline.push(`${d}:${replicas}`);
        }
        // demand:replicas every 10 minutes. Up within one sync as soon as utilization passes 80 %
        // (170 on 2 pods is 85 %); nothing while it stays in 30–80 % (600 on 13 pods is 46 %);
        // down, one pod a minute after the 5-minute window, only while below 30 %: 300 stops at
        // 10 pods (30 %) and 100 at 3 pods (33 %).
        expect(timeline).toEqual(["100:2", "100:2", "150:2", "170:4", "400:8", "700:13", "900:13", "900:13", "900:13", "600:13", "300:10", "100:4", "100:3"]);
    });
});

