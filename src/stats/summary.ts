/**
 * The five-number summary behind a box plot: min, first quartile, median, third quartile,
 * max, with quantiles by linear interpolation between order statistics (NumPy's default
 * `percentile(method='linear')`, Hyndman & Fan type 7): q(p) = x₍ₖ₎ + (h − k)(x₍ₖ₊₁₎ − x₍ₖ₎),
 * h = (n − 1)·p, k = ⌊h⌋, on the sorted values.
 *
 * Complexity O(n log n). Returns null for no values.
 *
 * @throws BAD_VALUE for a non-finite value.
 * @example fiveNumberSummary([4, 1, 3, 2]) // { min: 1, q1: 1.75, median: 2.5, q3: 3.25, max: 4, n: 4 }
 */
import { assertFiniteValues } from './check.js';

export interface FiveNumberSummary {
  readonly n: number;
  readonly min: number;
  readonly q1: number;
  readonly median: number;
  readonly q3: number;
  readonly max: number;
}

/** The p-quantile (0 ≤ p ≤ 1) of already sorted values, linear interpolation. */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const h = (sorted.length - 1) * p;
  const k = Math.floor(h);
  const lo = sorted[k]!;
  return k + 1 < sorted.length ? lo + (h - k) * (sorted[k + 1]! - lo) : lo;
}

/** Min, quartiles and max of the values; null when there are none. */
export function fiveNumberSummary(values: ArrayLike<number>): FiveNumberSummary | null {
  assertFiniteValues(values, 'fiveNumberSummary values');
  if (values.length === 0) return null;
  const s = Float64Array.from(values).sort();
  return { n: s.length, min: s[0]!, q1: quantileSorted(s, 0.25), median: quantileSorted(s, 0.5), q3: quantileSorted(s, 0.75), max: s[s.length - 1]! };
}
