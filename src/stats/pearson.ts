/**
 * Pearson's correlation coefficient with its two-sided p-value (docs/formulas.md §"Pearson correlation"), as
 * `scipy.stats.pearsonr` computes them:
 *
 *     r = Σ(xᵢ − x̄)(yᵢ − ȳ) / √(Σ(xᵢ − x̄)² · Σ(yᵢ − ȳ)²),   clipped to [−1, 1]
 *     t = r·√((n − 2)/(1 − r²)),   p = 2·P(T_{n−2} ≤ −|t|)
 *
 * (SciPy writes p with the Beta(n/2 − 1, n/2 − 1) distribution of r on [−1, 1]; it is the
 * same function.) 1 − r² is computed as the residual sum of squares of the least-squares
 * line over Σ(yᵢ − ȳ)², which keeps p accurate when |r| is within 1e-9 of 1. |r| = 1 (all points
 * on a line) gives t = ±∞ and p = 0.
 *
 * Undefined (r and p `null`, with `reason`): fewer than 3 pairs (no degrees of freedom; SciPy
 * returns p = 1 for n = 2, which carries no information), or either array constant (SciPy
 * returns NaN with a ConstantInputWarning).
 *
 * Complexity O(n).
 *
 * @throws SHAPE_MISMATCH for arrays of different lengths; BAD_VALUE for a non-finite value.
 * @example pearson([1, 2, 3, 4], [2, 4, 5, 9]) // { r: 0.9569…, p: 0.0430…, n: 4, df: 2, reason: null }
 */
import { assertFiniteValues, assertSameLength, isConstant, mean } from './check.js';
import { twoSidedTP } from './distributions.js';

export interface PearsonResult {
  /** Correlation in [−1, 1]; null when undefined. */
  readonly r: number | null;
  /** Two-sided p-value; null when undefined. */
  readonly p: number | null;
  /** Pairs used. */
  readonly n: number;
  /** Degrees of freedom n − 2 of the t statistic (null when n < 3). */
  readonly df: number | null;
  /** Why r or p is undefined; null when both are defined. */
  readonly reason: string | null;
}

/** Pearson's r of two equally long samples and its two-sided p. See the module comment. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): PearsonResult {
  assertSameLength(x, y, 'pearson(x, y)');
  assertFiniteValues(x, 'pearson x');
  assertFiniteValues(y, 'pearson y');
  const n = x.length;
  if (n < 3) return { r: null, p: null, n, df: null, reason: `needs at least 3 pairs, got ${n}` };
  if (isConstant(x)) return { r: null, p: null, n, df: n - 2, reason: 'the first variable is constant (zero variance)' };
  if (isConstant(y)) return { r: null, p: null, n, df: n - 2, reason: 'the second variable is constant (zero variance)' };
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  let r = sxy / (Math.sqrt(sxx) * Math.sqrt(syy));
  r = Math.max(-1, Math.min(1, r));
  const df = n - 2;
  // 1 − r² as the residual sum of squares of the least-squares line over Σ(y − ȳ)²: no
  // cancellation when |r| is close to 1, where (1 − r)(1 + r) would lose most digits.
  const b = sxy / sxx;
  let ssRes = 0;
  for (let i = 0; i < n; i++) {
    const e = y[i]! - my - b * (x[i]! - mx);
    ssRes += e * e;
  }
  const oneMinusR2 = Math.min(1, ssRes / syy);
  if (oneMinusR2 === 0 || r === 1 || r === -1) return { r: Math.sign(r), p: 0, n, df, reason: null };
  const t = r * Math.sqrt(df / oneMinusR2);
  return { r, p: twoSidedTP(t, df), n, df, reason: null };
}
