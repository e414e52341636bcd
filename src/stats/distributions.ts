/**
 * The distribution functions the statistics need, written from the published formulas
 * (checked against SciPy's `scipy.stats.t.cdf`, `t.ppf` and `norm.cdf` on a seeded grid of
 * ν ∈ [1, 10⁶] — fractional too — and p ∈ [1e-12, 1 − 1e-12]: test/fixtures/stats/distributions.json,
 * made by make_distribution_fixtures.py; agreement ≤ 1e-12 relative, see the test):
 *
 * - {@link tCdf}(x, ν): Student's t CDF, P(T ≤ x), ν > 0 degrees of freedom, from the
 *   regularised incomplete beta (Abramowitz & Stegun 26.7.1; DLMF 8.17): with r = x²/ν,
 *   P(T ≤ −|x|) = ½ I_{1/(1+r)}(ν/2, ½) and P(−|x| < T ≤ 0) = ½ I_{r/(1+r)}(½, ν/2); both tails
 *   are computed directly (src/stats/incomplete-beta.ts), so neither loses digits to 1 − ….
 * - {@link tQuantile}(p, ν): its inverse, by Newton's method on ln(tail) against ln(target) in
 *   u = ln|t|, safeguarded by a bracket (bisection whenever the Newton step leaves it). Below
 *   p = ¼ the lower tail is matched; between ¼ and ½ the central part ½ − p (exact in floating
 *   point), so quantiles near 0 keep their relative precision; above ½ by symmetry (1 − p is exact).
 * - {@link normalCdf}(x): Φ(x), by Marsaglia's series Φ(x) = ½ + φ(x)(x + x³/3 + x⁵/(3·5) + …)
 *   for |x| < 3 and Laplace's continued fraction Φ(−a) = φ(a)/(a + 1/(a + 2/(a + 3/(a + …))))
 *   beyond (Marsaglia 2004, J. Stat. Softw. 11(4); DLMF 7.9.2).
 *
 * Invalid arguments (NaN, ν ≤ 0 or not finite, p outside [0, 1]) give NaN, as @stdlib's did.
 */
import { type DD, ddDiv, incompleteBetaPair, lnBetaHalf } from './incomplete-beta.js';

/** P(T ≤ −s) and P(−s < T ≤ 0) for s ≥ 0: the lower tail and the central part. */
function tTails(s: number, nu: number): [lower: number, centre: number] {
  if (s === 0) return [0.5, 0];
  if (s === Number.POSITIVE_INFINITY) return [0, 0.5];
  const lnR = 2 * Math.log(s) - Math.log(nu);
  const r = (s / Math.sqrt(nu)) ** 2;
  // ln(1/(1+r)) and ln(r/(1+r)), accurate at both ends (r → 0 and r → ∞, where r may overflow).
  const lnZ = Number.isFinite(r) ? -Math.log1p(r) : -lnR;
  const lnW = Number.isFinite(r) ? -Math.log1p(1 / r) : 0;
  // 1/(1 + r) and r/(1 + r) as double-doubles: near 1, their distance from 1 is what counts.
  const onePlusR: DD = Number.isFinite(r) ? [1 + r, r - (1 + r - 1)] : [1, 0];
  const z = { value: Number.isFinite(r) ? ddDiv([1, 0], onePlusR) : ([Math.exp(lnZ), 0] as DD), log: lnZ };
  const w = { value: Number.isFinite(r) ? ddDiv([r, 0], onePlusR) : ([1, 0] as DD), log: lnW };
  const [iz, iw] = incompleteBetaPair(z, w, nu / 2, 0.5, lnBetaHalf(nu / 2));
  return [0.5 * iz, 0.5 * iw];
}

/** The t density at ±s: (1 + s²/ν)^{−(ν+1)/2} / (√ν B(ν/2, ½)). */
function tDensity(s: number, nu: number): number {
  const r = (s / Math.sqrt(nu)) ** 2;
  const log1pR = Number.isFinite(r) ? Math.log1p(r) : 2 * Math.log(s) - Math.log(nu);
  return Math.exp(-((nu + 1) / 2) * log1pR - 0.5 * Math.log(nu) - lnBetaHalf(nu / 2));
}

const validNu = (nu: number) => Number.isFinite(nu) && nu > 0;

/** P(T ≤ x) for Student's t with ν degrees of freedom. ±∞ give 0 and 1. @example tCdf(-2.5, 7) // 0.0204961… */
export function tCdf(x: number, nu: number): number {
  if (Number.isNaN(x) || !validNu(nu)) return Number.NaN;
  const [lower, centre] = tTails(Math.abs(x), nu);
  return x <= 0 ? lower : 0.5 + centre;
}

/** Quantiles already computed, by `p ν` (intervals ask for the same few again and again). */
const quantileCache = new Map<string, number>();
const QUANTILE_CACHE_SIZE = 256;

/** The p-quantile of Student's t with ν degrees of freedom. 0 and 1 give ∓∞. @example tQuantile(0.975, 4) // 2.776445… */
export function tQuantile(p: number, nu: number): number {
  const key = `${p} ${nu}`;
  const known = quantileCache.get(key);
  if (known !== undefined) return known;
  const q = computeTQuantile(p, nu);
  if (quantileCache.size >= QUANTILE_CACHE_SIZE) quantileCache.clear();
  quantileCache.set(key, q);
  return q;
}

function computeTQuantile(p: number, nu: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1 || !validNu(nu)) return Number.NaN;
  if (p === 0.5) return 0;
  if (p > 0.5) return -computeTQuantile(1 - p, nu);
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p < 0.25) return -solveTail((s) => tTails(s, nu)[0], p, -1, lowerTailGuess(p, nu), nu);
  const d = 0.5 - p;
  return -solveTail((s) => tTails(s, nu)[1], d, 1, d / tDensity(0, nu), nu);
}

/**
 * A starting point for s with P(T ≤ −s) = q: for ν ≤ 2 the power tail
 * P(T ≤ −s) ≈ ν^{ν/2} s^{−ν} / (ν B(ν/2, ½)); otherwise the normal tail's z (from
 * z² ≈ −2 ln q − ln 2π − 2 ln z) widened by the first Cornish–Fisher term, z (1 + (z² + 1)/(4ν)).
 */
function lowerTailGuess(q: number, nu: number): number {
  if (nu <= 2) return Math.exp(((nu / 2) * Math.log(nu) - Math.log(nu) - lnBetaHalf(nu / 2) - Math.log(q)) / nu);
  const base = -2 * Math.log(q) - Math.log(2 * Math.PI);
  const z0 = Math.sqrt(Math.max(base, 0.1));
  const z = Math.sqrt(Math.max(base - 2 * Math.log(z0), 0.1));
  return z * (1 + (z * z + 1) / (4 * nu));
}

/**
 * The s > 0 at which the tail function `tail` (monotone: `direction` +1 increasing, −1
 * decreasing in s, with derivative `direction` × the t density) equals `target`: Newton on
 * g(u) = ln tail(eᵘ) − ln target, g′(u) = direction · s f(s) / tail(s), kept inside a bracket
 * of u found by doubling steps from the guess; a step leaving the bracket bisects it.
 */
function solveTail(tail: (s: number) => number, target: number, direction: 1 | -1, guess: number, nu: number): number {
  const lnTarget = Math.log(target);
  let value = 0;
  const g = (u: number) => {
    value = tail(Math.exp(u));
    return Math.log(value) - lnTarget;
  };
  let u = Math.log(guess);
  let gu = g(u);
  let [uLo, uHi] = bracket(g, u, gu, direction);
  // Start inside the bracket (the guess is one of its ends), with `value` the tail there.
  u = 0.5 * (uLo + uHi);
  gu = g(u);
  for (let i = 0; i < 400 && gu !== 0; i++) {
    // g increases with u when the tail does: the root is above u when g·direction < 0.
    if (gu * direction < 0) uLo = u;
    else uHi = u;
    if (uHi - uLo <= 2e-16 * Math.max(1, Math.abs(u))) break;
    const s = Math.exp(u);
    const slope = (direction * s * tDensity(s, nu)) / value;
    let next = u - gu / slope;
    if (!(next >= uLo && next <= uHi)) next = 0.5 * (uLo + uHi);
    const step = Math.abs(next - u);
    u = next;
    gu = g(u);
    if (step <= 2e-16 * Math.max(1, Math.abs(u))) break;
  }
  return Math.exp(u);
}

/** [uLo, uHi] around the root of g (increasing in u when direction is +1), by steps doubling from u. */
function bracket(g: (u: number) => number, u: number, gu: number, direction: 1 | -1): [number, number] {
  // Move towards the root: up when g·direction < 0.
  const up = gu * direction < 0;
  let step = 1;
  let from = u;
  for (let i = 0; i < 64; i++) {
    const to = up ? from + step : from - step;
    const gt = g(to);
    if (gt * direction >= 0 === up || Number.isNaN(gt)) return up ? [from, to] : [to, from];
    from = to;
    step *= 2;
  }
  return up ? [from, from + step] : [from - step, from];
}

const SQRT_2PI = Math.sqrt(2 * Math.PI);

/** φ(x), the standard normal density. */
function normalDensity(x: number): number {
  return Math.exp(-0.5 * x * x) / SQRT_2PI;
}

/** Φ(x), the standard normal CDF. @example normalCdf(-1.96) // 0.0249979… */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (!Number.isFinite(x)) return x < 0 ? 0 : 1;
  const a = Math.abs(x);
  if (a < 3) {
    // Marsaglia: Φ(x) = ½ + φ(x) Σₙ x^{2n+1} / (1·3·…·(2n+1)); positive terms, no cancellation in the sum.
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let n = 1; Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= x2 / (2 * n + 1);
      sum += term;
    }
    return 0.5 + normalDensity(x) * sum;
  }
  const upper = normalDensity(a) / laplaceFraction(a); // Φ(−a)
  return x < 0 ? upper : 1 - upper;
}

/** a + 1/(a + 2/(a + 3/(a + …))) by the modified Lentz algorithm (a ≥ 3: converges in well under 200 terms). */
function laplaceFraction(a: number): number {
  let f = a;
  let c = a;
  let d = 0;
  for (let k = 1; k < 10_000; k++) {
    d = 1 / (a + k * d);
    c = a + k / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return f;
}

/** Two-sided p-value of a t statistic: 2·P(T ≤ −|t|). ±∞ give 0. */
export function twoSidedTP(t: number, nu: number): number {
  return Math.min(1, 2 * tCdf(-Math.abs(t), nu));
}

/** Two-sided p-value of a standard-normal statistic: 2·Φ(−|z|) (SciPy's `2 * ndtr(-|z|)`). */
export function twoSidedNormalP(z: number): number {
  return Math.min(1, 2 * normalCdf(-Math.abs(z)));
}
