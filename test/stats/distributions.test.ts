/**
 * Student's t CDF and quantile and the normal CDF (src/stats/distributions.ts, written from the
 * published formulas) against SciPy's `t.cdf`, `t.sf`, `t.ppf` and `norm.cdf` on a seeded grid:
 * ν from 1 to 10⁶ (fractional draws too), p from 1e-12 to 1 − 1e-12
 * (test/fixtures/stats/make_distribution_fixtures.py). Both tails are compared relatively:
 * P(T ≤ x) and P(T > x) = tCdf(−x).
 */
import { describe, expect, it } from 'vitest';
import { normalCdf, tCdf, tQuantile, twoSidedNormalP, twoSidedTP } from '../../src/stats/distributions.js';
import { lnGammaRatioHalf } from '../../src/stats/incomplete-beta.js';
import { loadJson } from '../helpers/fixtures.js';

const fx = loadJson<{
  quantiles: { p: number; df: number; q: number }[];
  cdfs: { x: number; df: number; cdf: number; sf: number }[];
  normal: { x: number; cdf: number }[];
}>('stats/distributions.json');

const TOL = 1e-12;
const rel = (a: number, b: number) => (a === b ? 0 : Math.abs(a - b) / Math.abs(b));

/** The worst relative error over cases, and where. */
function worst<T>(cases: readonly T[], error: (c: T) => number): { error: number; at: T | null } {
  let w = { error: 0, at: null as T | null };
  for (const c of cases) {
    const e = error(c);
    if (!(e <= w.error)) w = { error: e, at: c };
  }
  return w;
}

describe('Student t and normal distributions against SciPy', () => {
  it(`tCdf: both tails within ${TOL} relative of t.cdf and t.sf (${fx.cdfs.length} points, ν 1 … 1e6)`, () => {
    const lower = worst(fx.cdfs, (c) => rel(tCdf(c.x, c.df), c.cdf));
    const upper = worst(fx.cdfs, (c) => rel(tCdf(-c.x, c.df), c.sf));
    expect(lower.error, JSON.stringify(lower.at)).toBeLessThanOrEqual(TOL);
    expect(upper.error, JSON.stringify(upper.at)).toBeLessThanOrEqual(TOL);
  });

  it(`tQuantile: within ${TOL} relative of t.ppf (${fx.quantiles.length} points, p 1e-12 … 1 − 1e-12)`, () => {
    const w = worst(fx.quantiles, (c) => (c.q === 0 ? Math.abs(tQuantile(c.p, c.df)) : rel(tQuantile(c.p, c.df), c.q)));
    expect(w.error, JSON.stringify(w.at)).toBeLessThanOrEqual(TOL);
  });

  it('tQuantile inverts tCdf', () => {
    for (const df of [1, 2.5, 7, 19, 1234.5, 1e6]) {
      for (const p of [1e-12, 0.01, 0.3, 0.5 - 1e-9, 0.5, 0.8, 0.975, 1 - 1e-9]) {
        expect(rel(tCdf(tQuantile(p, df), df), p)).toBeLessThanOrEqual(1e-12);
      }
    }
  });

  it(`normalCdf: within ${TOL} relative of norm.cdf (x from −37 to 8)`, () => {
    const w = worst(fx.normal, (c) => rel(normalCdf(c.x), c.cdf));
    expect(w.error, JSON.stringify(w.at)).toBeLessThanOrEqual(TOL);
  });

  it('edges: ±∞, p of 0, ½ and 1, invalid arguments give NaN', () => {
    expect(tCdf(Number.NEGATIVE_INFINITY, 3)).toBe(0);
    expect(tCdf(Number.POSITIVE_INFINITY, 3)).toBe(1);
    expect(tCdf(0, 3)).toBe(0.5);
    expect(tQuantile(0, 3)).toBe(Number.NEGATIVE_INFINITY);
    expect(tQuantile(1, 3)).toBe(Number.POSITIVE_INFINITY);
    expect(tQuantile(0.5, 3)).toBe(0);
    for (const v of [tCdf(Number.NaN, 3), tCdf(1, 0), tCdf(1, -2), tCdf(1, Number.NaN), tCdf(1, Number.POSITIVE_INFINITY)]) expect(v).toBeNaN();
    for (const v of [tQuantile(-0.1, 3), tQuantile(1.1, 3), tQuantile(Number.NaN, 3), tQuantile(0.3, 0)]) expect(v).toBeNaN();
    expect(normalCdf(Number.NEGATIVE_INFINITY)).toBe(0);
    expect(normalCdf(Number.POSITIVE_INFINITY)).toBe(1);
    expect(twoSidedTP(Number.POSITIVE_INFINITY, 4)).toBe(0);
    expect(twoSidedTP(0, 4)).toBe(1);
    expect(twoSidedNormalP(0)).toBe(1);
    // The documented examples.
    expect(tCdf(-2.5, 7)).toBeCloseTo(0.0204961, 7);
    expect(tQuantile(0.975, 4)).toBeCloseTo(2.776445, 6);
    expect(normalCdf(-1.96)).toBeCloseTo(0.0249979, 7);
  });

  it('ln Γ(z + ½) − ln Γ(z) (the beta function of t) for small and large z', () => {
    // ln Γ(1) = 0, ln Γ(3/2) = ln(√π/2); ln Γ(1/2) = ln √π.
    expect(lnGammaRatioHalf(1)).toBeCloseTo(Math.log(Math.sqrt(Math.PI) / 2), 15);
    expect(lnGammaRatioHalf(0.5)).toBeCloseTo(-Math.log(Math.sqrt(Math.PI)), 15);
    // Γ(z + ½)/Γ(z) = √z (1 − 1/(8z) + 1/(128z²) + …) for large z.
    const z = 5e5;
    expect(lnGammaRatioHalf(z)).toBeCloseTo(0.5 * Math.log(z) + Math.log1p(-1 / (8 * z) + 1 / (128 * z * z)), 14);
  });
});
