/**
 * The seed's scaling band ("add capacity above U % CPU, remove it below L %") in HPA v2 terms.
 *
 * The HPA controller computes `ratio = utilization / target` (utilization is a whole percent of
 * the pods' CPU requests) and leaves the replica count alone while the ratio is within a
 * tolerance of 1. With per-direction tolerances (autoscaling/v2 `behavior.scaleUp.tolerance` and
 * `behavior.scaleDown.tolerance`, HPAConfigurableTolerance, on by default from Kubernetes 1.35):
 *
 *     scale up   iff ratio > 1 + upTolerance
 *     scale down iff ratio < 1 − downTolerance
 *
 * Setting `1 + up = (U + ½) / T` and `1 − down = (L − ½) / T` makes the controller scale up
 * exactly at utilization ≥ U + 1 (above U) and down exactly at ≤ L − 1 (below L), for any target
 * T inside the band. The half-percent margin absorbs the rounding of the tolerances to
 * thousandths (the Quantity is written in milli-units) and float error in the controller.
 *
 * T is the band's midpoint: the two tolerances are then (nearly) equal, so a replica count
 * reached by scaling in either direction lands equally far from both thresholds, and on clusters
 * without per-direction tolerance the midpoint is what the single cluster-wide tolerance is
 * applied around (see {@link planAutoscaling}'s fallback).
 */

/** Kubernetes' default cluster-wide HPA tolerance (kube-controller-manager flag). */
export const CLUSTER_TOLERANCE = 0.1;
/** First minor version where per-direction tolerance is on by default (HPAConfigurableTolerance beta). */
export const CONFIGURABLE_TOLERANCE_SINCE = 35;

export interface ScalingPolicy {
    type: "Pods" | "Percent";
    value: number;
    periodSeconds: number;
}

export interface AutoscalingArgs {
    /** Smallest replica count. @default 2 */
    minReplicas?: number;
    /** Largest replica count. @default 10 */
    maxReplicas?: number;
    /** Scale up when average CPU utilization (percent of requests) goes above this. @default 80 */
    scaleUpAbove?: number;
    /** Scale down when average CPU utilization goes below this. @default 30 */
    scaleDownBelow?: number;
    /** How long a lower recommendation must hold before scaling down. @default 300 */
    scaleDownStabilizationSeconds?: number;
    /** At most this percent of the replicas removed per minute. @default 10 */
    scaleDownPercentPerMinute?: number;
    /** How long a higher recommendation must hold before scaling up. @default 0 */
    scaleUpStabilizationSeconds?: number;
}

/** Every default of {@link AutoscalingArgs}; the check, the plan and the docs read these. */
export const AUTOSCALING_DEFAULTS = {
    minReplicas: 2,
    maxReplicas: 10,
    scaleUpAbove: 80,
    scaleDownBelow: 30,
    scaleDownStabilizationSeconds: 300,
    scaleDownPercentPerMinute: 10,
    scaleUpStabilizationSeconds: 0,
} as const satisfies Required<AutoscalingArgs>;

/** The args with every default applied. */
export function resolveAutoscaling(args: AutoscalingArgs | undefined): Required<AutoscalingArgs> {
    const d = AUTOSCALING_DEFAULTS;
    const a = args ?? {};
    return {
        minReplicas: a.minReplicas ?? d.minReplicas,
        maxReplicas: a.maxReplicas ?? d.maxReplicas,
        scaleUpAbove: a.scaleUpAbove ?? d.scaleUpAbove,
        scaleDownBelow: a.scaleDownBelow ?? d.scaleDownBelow,
        scaleDownStabilizationSeconds: a.scaleDownStabilizationSeconds ?? d.scaleDownStabilizationSeconds,
        scaleDownPercentPerMinute: a.scaleDownPercentPerMinute ?? d.scaleDownPercentPerMinute,
        scaleUpStabilizationSeconds: a.scaleUpStabilizationSeconds ?? d.scaleUpStabilizationSeconds,
    };
}

export interface AutoscalingPlan {
    readonly minReplicas: number;
    readonly maxReplicas: number;
    readonly band: { readonly upper: number; readonly lower: number };
    /** `averageUtilization` of the CPU metric. */
    readonly targetUtilization: number;
    /** Tolerances as Quantity strings (milli-units), undefined in fallback mode. */
    readonly scaleUpTolerance?: string;
    readonly scaleDownTolerance?: string;
    readonly scaleUp: { readonly stabilizationWindowSeconds: number; readonly selectPolicy: "Max"; readonly policies: readonly ScalingPolicy[] };
    readonly scaleDown: { readonly stabilizationWindowSeconds: number; readonly selectPolicy: "Max"; readonly policies: readonly ScalingPolicy[] };
    /** Set when the cluster lacks per-direction tolerance and the band is approximated. */
    readonly warning?: string;
}

/** Rounds a tolerance to thousandths and writes it as a Quantity ("464m"). */
function milli(x: number): { text: string; value: number } {
    const m = Math.round(x * 1000);
    return { text: `${m}m`, value: m / 1000 };
}

/** Minor version of "1.35" → 35. */
export function minorVersion(kubernetesVersion: string): number {
    return Number(kubernetesVersion.split(".")[1]);
}

/**
 * Resolves an autoscaling spec. Assumes validated input (see `checkAutoscaling`).
 * @param kubernetesVersion the cluster's minor version, which decides exact vs approximated band
 */
export function planAutoscaling(args: AutoscalingArgs, kubernetesVersion: string): AutoscalingPlan {
    const a = resolveAutoscaling(args);
    const upper = a.scaleUpAbove;
    const lower = a.scaleDownBelow;
    const minReplicas = a.minReplicas;
    const maxReplicas = a.maxReplicas;
    const scaleUp = {
        stabilizationWindowSeconds: a.scaleUpStabilizationSeconds,
        selectPolicy: "Max" as const,
        // Fast: double, or add 4 pods, every 15 s, whichever is more.
        policies: [
            { type: "Percent" as const, value: 100, periodSeconds: 15 },
            { type: "Pods" as const, value: 4, periodSeconds: 15 },
        ],
    };
    const scaleDown = {
        stabilizationWindowSeconds: a.scaleDownStabilizationSeconds,
        selectPolicy: "Max" as const,
        // Bounded: a percentage per minute, but at least one pod so small deployments still shrink.
        policies: [
            { type: "Percent" as const, value: a.scaleDownPercentPerMinute, periodSeconds: 60 },
            { type: "Pods" as const, value: 1, periodSeconds: 60 },
        ],
    };

    if (minorVersion(kubernetesVersion) >= CONFIGURABLE_TOLERANCE_SINCE) {
        const target = Math.round((upper + lower) / 2);
        return {
            minReplicas,
            maxReplicas,
            band: { upper, lower },
            targetUtilization: target,
            scaleUpTolerance: milli((upper + 0.5) / target - 1).text,
            scaleDownTolerance: milli(1 - (lower - 0.5) / target).text,
            scaleUp,
            scaleDown,
        };
    }
    // Fallback: only the cluster-wide ±10 % exists; the count holds while 0.9 ≤ u/T ≤ 1.1 (u a
    // whole percent). Keep the upper threshold exact (capacity is what matters): the smallest T with
    // U/T ≤ 1.1 holds at U and, unless 1.1·T is itself a whole percent, scales from U + 1.
    // Integer forms of the two comparisons: scale up iff 10u > 11T, down iff 10u < 9T.
    const target = Math.min(100, Math.ceil((10 * upper) / 11));
    const firstUp = Math.floor((11 * target) / 10) + 1; // smallest utilization that scales up
    const effectiveLower = Math.ceil((9 * target) / 10); // smallest utilization that does not scale down
    return {
        minReplicas,
        maxReplicas,
        band: { upper, lower },
        targetUtilization: target,
        scaleUp,
        scaleDown,
        warning:
            `Kubernetes 1.${minorVersion(kubernetesVersion)} has no per-direction HPA tolerance (needs 1.${CONFIGURABLE_TOLERANCE_SINCE}+): ` +
            (firstUp === upper + 1 ? `scale-up stays exact above ${upper}%` : `scale-up starts at ${firstUp}% instead of above ${upper}%`) +
            ` (target ${target}%), but scale-down starts below ${effectiveLower}% instead of ${lower}%`,
    };
}

/** Tolerance the controller applies in each direction for a plan. */
export function tolerances(plan: AutoscalingPlan): { up: number; down: number } {
    const q = (s: string | undefined) => (s === undefined ? CLUSTER_TOLERANCE : Number(s.replace(/m$/, "")) / 1000);
    return { up: q(plan.scaleUpTolerance), down: q(plan.scaleDownTolerance) };
}

// ---------------------------------------------------------------------------------------------
// A deterministic simulator of the HPA controller's algorithm (kube-controller-manager's
// replica calculator and behavior), used to prove the plan does what the band says.

export interface SimulatorState {
    replicas: number;
    /** (time, recommendation) pairs for the stabilization windows. */
    recommendations: { t: number; r: number }[];
    /** (time, change) pairs for the rate policies. */
    events: { t: number; delta: number }[];
}

/** The controller's raw recommendation for one sync: ceil(n · u / target) unless within tolerance. */
export function rawRecommendation(plan: AutoscalingPlan, replicas: number, utilization: number): number {
    const ratio = utilization / plan.targetUtilization;
    const tol = tolerances(plan);
    // The controller's own test: within [1 − down, 1 + up] nothing changes.
    if (1 - tol.down <= ratio && ratio <= 1 + tol.up) return replicas;
    return Math.ceil(replicas * ratio);
}

/** Largest count reachable in a direction under the rate policies (selectPolicy Max). */
function rateLimit(policies: readonly ScalingPolicy[], replicas: number, events: SimulatorState["events"], t: number, up: boolean): number {
    let best = up ? -Infinity : Infinity;
    for (const p of policies) {
        const changed = events.filter((e) => e.t > t - p.periodSeconds && (up ? e.delta > 0 : e.delta < 0)).reduce((a, e) => a + e.delta, 0);
        const periodStart = replicas - changed; // replica count at the start of the period
        if (up) {
            const allowed = p.type === "Pods" ? p.value : Math.ceil((periodStart * p.value) / 100);
            best = Math.max(best, periodStart + allowed);
        } else {
            const allowed = p.type === "Pods" ? p.value : Math.floor((periodStart * p.value) / 100);
            best = Math.min(best, periodStart - allowed);
        }
    }
    return best;
}

/** One controller sync at time `t` (seconds) with the pods' average utilization. Mutates `state`. */
export function step(plan: AutoscalingPlan, state: SimulatorState, t: number, utilization: number): number {
    const n = state.replicas;
    const raw = rawRecommendation(plan, n, utilization);
    // Like the controller: the current recommendation, bounded by those still inside each window.
    // Scale up only to what every recommendation in the up-window supports; scale down only to
    // the highest recommendation in the down-window.
    const inWindow = (w: number) => state.recommendations.filter((x) => x.t > t - w).map((x) => x.r);
    const upCandidate = Math.min(raw, ...inWindow(plan.scaleUp.stabilizationWindowSeconds));
    const downCandidate = Math.max(raw, ...inWindow(plan.scaleDown.stabilizationWindowSeconds));
    state.recommendations.push({ t, r: raw });
    let desired = n;
    if (upCandidate > n) desired = Math.min(upCandidate, rateLimit(plan.scaleUp.policies, n, state.events, t, true));
    else if (downCandidate < n) desired = Math.max(downCandidate, rateLimit(plan.scaleDown.policies, n, state.events, t, false));
    desired = Math.max(plan.minReplicas, Math.min(plan.maxReplicas, desired));
    if (desired !== n) state.events.push({ t, delta: desired - n });
    state.replicas = desired;
    const horizon = Math.max(plan.scaleUp.stabilizationWindowSeconds, plan.scaleDown.stabilizationWindowSeconds, 600);
    state.recommendations = state.recommendations.filter((x) => x.t > t - horizon);
    state.events = state.events.filter((e) => e.t > t - horizon);
    return desired;
}

/** A fresh controller state; like the real controller, the history starts with the current count. */
export function initialState(plan: AutoscalingPlan, replicas: number): SimulatorState {
    const r = Math.max(plan.minReplicas, Math.min(plan.maxReplicas, replicas));
    return { replicas: r, recommendations: [{ t: 0, r }], events: [] };
}

/** Runs a utilization trace, one sample per 15 s sync, from `initial` replicas; returns replicas after each sync. */
export function simulate(plan: AutoscalingPlan, initial: number, utilization: readonly number[], syncSeconds = 15): number[] {
    const state = initialState(plan, initial);
    return utilization.map((u, i) => step(plan, state, i * syncSeconds, u));
}
