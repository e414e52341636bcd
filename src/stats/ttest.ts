/**
 * The paired (dependent-samples) t-test, two-sided (docs/formulas.md §"Paired t-test"), as
 * `scipy.stats.ttest_rel(after, before)` computes it:
 *
 *     dᵢ = afterᵢ − beforeᵢ,   d̄ = mean(d),   s = sd(d) (n − 1 in the denominator)
 *     t = d̄ / (s/√n),   df = n − 1,   p = 2·P(T_df ≤ −|t|)
 *
 * A positive t means `after` is larger on average (for KRS: post-KD above pre-KD).
 *
 * Undefined (t and p `null`, with `reason`): fewer than 2 pairs, or all differences equal
 * (s = 0: SciPy returns ±∞ or NaN there, neither of which is a test result).
 *
 * Complexity O(n).
 *
 * @throws SHAPE_MISMATCH for arrays of different lengths; BAD_VALUE for a non-finite value.
 * @example pairedTTest([57.7, 69.8, 62.3], [42.5, 42.5, 45.9]) // { t: 5.1009…, df: 2, p: 0.03634…, … }
 */
import { assertFiniteValues, assertSameLength, isConstant, mean, sumSquaredDeviations } from './check.js';
import { twoSidedTP } from './distributions.js';

export interface PairedTTestResult {
  /** t statistic of after − before; null when undefined. */
  readonly t: number | null;
  /** Degrees of freedom n − 1; null when n < 2. */
  readonly df: number | null;
  /** Two-sided p-value; null when undefined. */
  readonly p: number | null;
  /** Pairs. */
  readonly n: number;
  /** Mean of after − before (null when n = 0). */
  readonly meanDifference: number | null;
  /** Sample standard deviation of the differences (null when n < 2). */
  readonly sdDifference: number | null;
  /** Why t or p is undefined; null when both are defined. */
  readonly reason: string | null;
}

/** Paired two-sided t-test of `after` against `before`. See the module comment. */
export function pairedTTest(after: ArrayLike<number>, before: ArrayLike<number>): PairedTTestResult {
  assertSameLength(after, before, 'pairedTTest(after, before)');
  assertFiniteValues(after, 'pairedTTest after');
  assertFiniteValues(before, 'pairedTTest before');
  const n = after.length;
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = after[i]! - before[i]!;
  const md = n > 0 ? mean(d) : null;
  if (n < 2) return { t: null, df: null, p: null, n, meanDifference: md, sdDifference: null, reason: `needs at least 2 pairs, got ${n}` };
  const df = n - 1;
  if (isConstant(d)) {
    return { t: null, df, p: null, n, meanDifference: md, sdDifference: 0, reason: `every difference equals ${d[0]} (zero variance)` };
  }
  const sd = Math.sqrt(sumSquaredDeviations(d, md!) / df);
  const t = md! / (sd / Math.sqrt(n));
  return { t, df, p: twoSidedTP(t, df), n, meanDifference: md, sdDifference: sd, reason: null };
}
