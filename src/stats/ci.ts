/**
 * The mean with its t-based confidence interval (docs/formulas.md §"Mean and t-based confidence interval"), as
 * `scipy.stats.t.interval(confidence, n − 1, loc=mean, scale=sem)` computes it:
 *
 *     m = mean(x),   s = sd(x) (n − 1 in the denominator),   sem = s/√n
 *     [m − q·sem, m + q·sem],   q = t quantile at (1 + confidence)/2 with n − 1 df
 *
 * Undefined interval (`ci` null, with `reason`): fewer than 2 values, or all values equal
 * (sem = 0; SciPy returns NaN for a zero scale). The mean itself is defined for n ≥ 1.
 *
 * Complexity O(n).
 *
 * @throws BAD_VALUE for a non-finite value; BAD_OPTION for a confidence outside (0, 1).
 * @example meanCi([42.5, 57.7, 69.8]).ci // [22.66…, 90.00…]
 */
import { errors } from '../core/errors.js';
import { assertFiniteValues, isConstant, mean, sumSquaredDeviations } from './check.js';
import { tQuantile } from './distributions.js';

export interface MeanCiResult {
  /** Values. */
  readonly n: number;
  /** Arithmetic mean; null when n = 0. */
  readonly mean: number | null;
  /** Sample standard deviation (n − 1); null when n < 2. */
  readonly sd: number | null;
  /** Standard error of the mean sd/√n; null when n < 2. */
  readonly sem: number | null;
  /** Confidence level of `ci`. */
  readonly confidence: number;
  /** [lower, upper]; null when undefined. */
  readonly ci: readonly [number, number] | null;
  /** Why the interval (or the mean) is undefined; null when defined. */
  readonly reason: string | null;
}

/** Mean and t-based confidence interval (default 95%). See the module comment. */
export function meanCi(values: ArrayLike<number>, confidence = 0.95): MeanCiResult {
  if (typeof confidence !== 'number' || !(confidence > 0 && confidence < 1)) throw errors.badOption('confidence', confidence, 'a number in (0, 1)');
  assertFiniteValues(values, 'meanCi values');
  const n = values.length;
  if (n === 0) return { n, mean: null, sd: null, sem: null, confidence, ci: null, reason: 'no values' };
  const m = mean(values);
  if (n < 2) return { n, mean: m, sd: null, sem: null, confidence, ci: null, reason: 'needs at least 2 values for an interval, got 1' };
  if (isConstant(values)) return { n, mean: m, sd: 0, sem: 0, confidence, ci: null, reason: `every value equals ${values[0]} (zero variance)` };
  const sd = Math.sqrt(sumSquaredDeviations(values, m) / (n - 1));
  const sem = sd / Math.sqrt(n);
  const q = tQuantile((1 + confidence) / 2, n - 1);
  return { n, mean: m, sd, sem, confidence, ci: [m - q * sem, m + q * sem], reason: null };
}
