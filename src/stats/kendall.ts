/**
 * Kendall's τ-b with its two-sided p-value (docs/formulas.md §"Kendall τ-b"), as `scipy.stats.kendalltau`
 * (variant 'b', method 'auto') computes them. Hand-written: no distribution library we use
 * offers it.
 *
 * Over the n(n − 1)/2 pairs: C concordant, D discordant, Tₓ pairs tied in x, Tᵧ tied in y:
 *
 *     τ_b = (C − D) / √((N − Tₓ)(N − Tᵧ)),   N = n(n − 1)/2,   clipped to [−1, 1]
 *
 * p-value, chosen as SciPy's `method='auto'` does:
 * - **exact** when there are no ties and (n ≤ 33 or min(D, N − D) ≤ 1): the exact null
 *   distribution of the number of concordant pairs (Kendall 1970), by SciPy's recurrence on
 *   the counts of permutations with c inversions, two-sided (doubled lower tail, capped at 1);
 * - **asymptotic** otherwise: C − D is approximately normal with the tie-corrected variance
 *       v = (m(2n + 5) − Σt(t − 1)(2t + 5) − Σu(u − 1)(2u + 5))/18
 *           + 2·Tₓ·Tᵧ/m + Σt(t − 1)(t − 2)·Σu(u − 1)(u − 2)/(9m(n − 2)),   m = n(n − 1)
 *   (t over the sizes of x's tie groups, u over y's), z = (C − D)/√v, p = 2·Φ(−|z|).
 *
 * Undefined (τ and p `null`, with `reason`): fewer than 2 pairs, or every pair tied in x or
 * in y (a constant variable; SciPy returns NaN).
 *
 * Complexity O(n²) time (pairs counted directly; fine for the tens of KD methods it ranks),
 * O(n) memory; the exact p costs O(n·c).
 *
 * @throws SHAPE_MISMATCH for arrays of different lengths; BAD_VALUE for a non-finite value;
 *   BAD_OPTION for `method: 'exact'` on data with ties (as SciPy raises).
 * @example kendallTau([1, 2, 3], [10, 20, 30]) // { tau: 1, p: 0.3333…, method: 'exact', … }
 */
import { errors } from '../core/errors.js';
import { assertFiniteValues, assertSameLength } from './check.js';
import { twoSidedNormalP } from './distributions.js';

export type KendallMethod = 'auto' | 'exact' | 'asymptotic';

export interface KendallResult {
  /** τ-b in [−1, 1]; null when undefined. */
  readonly tau: number | null;
  /** Two-sided p-value; null when undefined. */
  readonly p: number | null;
  /** Pairs of observations. */
  readonly n: number;
  /** How p was computed (null when undefined). */
  readonly method: 'exact' | 'asymptotic' | null;
  /** Concordant minus discordant pairs (null when undefined). */
  readonly concordantMinusDiscordant: number | null;
  /** Why τ or p is undefined; null when both are defined. */
  readonly reason: string | null;
}

/** Sizes of the groups of equal values (only groups larger than 1). */
function tieGroups(values: ArrayLike<number>): number[] {
  const s = Float64Array.from(values).sort();
  const out: number[] = [];
  let run = 1;
  for (let i = 1; i <= s.length; i++) {
    if (i < s.length && s[i] === s[i - 1]) run++;
    else {
      if (run > 1) out.push(run);
      run = 1;
    }
  }
  return out;
}

/**
 * SciPy's `_kendall_p_exact(n, c)`, two-sided: P(|C − D| ≥ observed) under independence,
 * for n observations without ties and c concordant pairs.
 */
export function kendallExactP(n: number, c: number): number {
  const tot = (n * (n - 1)) / 2;
  c = Math.min(c, tot - c);
  if (n <= 0 || !Number.isInteger(n)) throw errors.badValue('kendallExactP n', n, 'a positive integer');
  if (c < 0 || 4 * c > n * (n - 1) || !Number.isInteger(c)) throw errors.badValue('kendallExactP c', c, `an integer with 0 ≤ 4c ≤ n(n − 1) = ${n * (n - 1)}`);
  let prob: number;
  if (n === 1 || n === 2) prob = 1;
  else if (c === 0) prob = n < 171 ? 2 / factorial(n) : 0;
  else if (c === 1) prob = n < 172 ? 2 / factorial(n - 1) : 0;
  else if (4 * c === n * (n - 1)) prob = 1;
  else {
    // new[k] = number of permutations of j elements with k inversions (k ≤ c), built for
    // j = 3…n by a running sum; for n ≥ 171 the counts are divided by j at every step so that
    // they stay finite (they are then probabilities, and the sum is the one-sided tail · 2).
    let cur = new Float64Array(c + 1);
    cur[0] = 1;
    cur[1] = 1;
    const scaled = n >= 171;
    for (let j = 3; j <= n; j++) {
      const next = new Float64Array(c + 1);
      let s = 0;
      for (let k = 0; k <= c; k++) {
        s += cur[k]!;
        next[k] = scaled ? s / j : s;
      }
      if (j <= c) {
        const snapshot = Float64Array.from(next);
        for (let k = j; k <= c; k++) next[k] = next[k]! - snapshot[k - j]!;
      }
      cur = next;
    }
    let sum = 0;
    for (let k = 0; k <= c; k++) sum += cur[k]!;
    prob = scaled ? sum : (2 * sum) / factorial(n);
  }
  return Math.min(1, Math.max(0, prob));
}

/** n! in float64 (exact up to 22!, correctly rounded-ish beyond; ∞ past 170!). */
function factorial(n: number): number {
  let f = 1;
  for (let i = 2; i <= n; i++) f *= i;
  return f;
}

/** Kendall's τ-b of two equally long samples and its two-sided p. See the module comment. */
export function kendallTau(x: ArrayLike<number>, y: ArrayLike<number>, options: { method?: KendallMethod } = {}): KendallResult {
  const method = options.method ?? 'auto';
  if (method !== 'auto' && method !== 'exact' && method !== 'asymptotic') throw errors.badOption('method', method, "'auto', 'exact' or 'asymptotic'");
  assertSameLength(x, y, 'kendallTau(x, y)');
  assertFiniteValues(x, 'kendallTau x');
  assertFiniteValues(y, 'kendallTau y');
  const n = x.length;
  const undef = (reason: string): KendallResult => ({ tau: null, p: null, n, method: null, concordantMinusDiscordant: null, reason });
  if (n < 2) return undef(`needs at least 2 pairs, got ${n}`);

  let dis = 0;
  let con = 0;
  let xtie = 0;
  let ytie = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[i]!;
    const yi = y[i]!;
    for (let j = i + 1; j < n; j++) {
      const dx = xi - x[j]!;
      const dy = yi - y[j]!;
      if (dx === 0) xtie++;
      if (dy === 0) ytie++;
      if (dx !== 0 && dy !== 0) {
        if (dx > 0 === dy > 0) con++;
        else dis++;
      }
    }
  }
  const tot = (n * (n - 1)) / 2;
  if (xtie === tot) return undef('the first variable is constant (every pair tied)');
  if (ytie === tot) return undef('the second variable is constant (every pair tied)');

  const cmd = con - dis;
  let tau = cmd / Math.sqrt(tot - xtie) / Math.sqrt(tot - ytie);
  tau = Math.max(-1, Math.min(1, tau));

  const ties = xtie !== 0 || ytie !== 0;
  if (method === 'exact' && ties) throw errors.badOption('method', 'exact', 'data without ties (the exact p-value assumes none; use auto or asymptotic)');
  const use = method === 'auto' ? (!ties && (n <= 33 || Math.min(dis, tot - dis) <= 1) ? 'exact' : 'asymptotic') : method;

  let p: number;
  if (use === 'exact') {
    p = kendallExactP(n, tot - dis);
  } else {
    const gx = tieGroups(x);
    const gy = tieGroups(y);
    const s0 = (g: number[]) => g.reduce((a, t) => a + t * (t - 1) * (t - 2), 0);
    const s1 = (g: number[]) => g.reduce((a, t) => a + t * (t - 1) * (2 * t + 5), 0);
    const m = n * (n - 1);
    const x0 = s0(gx);
    const y0 = s0(gy);
    const third = n > 2 ? (x0 * y0) / (9 * m * (n - 2)) : 0;
    const v = (m * (2 * n + 5) - s1(gx) - s1(gy)) / 18 + (2 * xtie * ytie) / m + third;
    p = twoSidedNormalP(cmd / Math.sqrt(v));
  }
  return { tau, p, n, method: use, concordantMinusDiscordant: cmd, reason: null };
}
