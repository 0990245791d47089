/**
 * Capacity-weighted routing: backend i with capacity r_i gets the share w_i = r_i / Σ r_j of the
 * traffic. Gateway API weights are integers, so the shares are scaled to `total` and rounded by
 * the largest-remainder method, which keeps the sum exactly `total` and every weight within 1 of
 * its exact share.
 */

/** Largest weight one Gateway API backendRef may carry. */
export const MAX_GATEWAY_WEIGHT = 1_000_000;
/** Default scale: weights read as percentages. */
export const DEFAULT_WEIGHT_TOTAL = 100;

/**
 * Integer weights proportional to `capacities`, summing to exactly `total`.
 * - A zero capacity always gets weight 0 (its exact share is 0 and it has no remainder).
 * - Ties in the remainders go to the larger capacity, then to the earlier backend, so the result
 *   is deterministic.
 * @throws RangeError on an empty list, a negative or non-finite capacity, or all capacities zero
 */
export function capacityWeights(capacities: readonly number[], total: number = DEFAULT_WEIGHT_TOTAL): number[] {
    if (capacities.length === 0) throw new RangeError("at least one backend is needed");
    if (!Number.isInteger(total) || total < 1 || total > MAX_GATEWAY_WEIGHT)
        throw new RangeError(`total must be an integer from 1 to ${MAX_GATEWAY_WEIGHT}, got ${total}`);
    capacities.forEach((c, i) => {
        if (!Number.isFinite(c) || c < 0) throw new RangeError(`capacity #${i} must be a finite number >= 0, got ${c}`);
    });
    // Scaled by the largest capacity first, so no sum or product overflows: 1e308 + 1e308 would
    // be Infinity, and every share NaN or 0.
    const largest = Math.max(...capacities);
    if (largest === 0) throw new RangeError("at least one capacity must be greater than 0");
    const scaled = capacities.map((c) => c / largest);
    const sum = scaled.reduce((a, b) => a + b, 0);

    const exact = scaled.map((c) => (c * total) / sum);
    const weights = exact.map(Math.floor);
    let missing = total - weights.reduce((a, b) => a + b, 0);
    const order = exact
        .map((e, i) => ({ i, rem: e - Math.floor(e) }))
        .filter((x) => x.rem > 0)
        .sort((a, b) => b.rem - a.rem || capacities[b.i] - capacities[a.i] || a.i - b.i);
    // Σ remainders == missing and each remainder < 1, so there are more candidates than units.
    for (const { i } of order) {
        if (missing === 0) break;
        weights[i] += 1;
        missing -= 1;
    }
    // Float rounding can leave the exact shares a hair off `total`; the largest backend absorbs it.
    if (missing !== 0) weights[capacities.indexOf(largest)] += missing;
    return weights;
}

/** Equal weights (round-robin) for `n` backends, summing to `total`. */
export function equalWeights(n: number, total: number = DEFAULT_WEIGHT_TOTAL): number[] {
    return capacityWeights(Array.from({ length: n }, () => 1), total);
}
