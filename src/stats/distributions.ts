/**
 * The distribution functions the statistics need, from @stdlib (which agree with SciPy's
 * `scipy.stats.t` and `scipy.special.ndtr` to ~1e-15 relative on the fixtures):
 *
 * - {@link tCdf}(x, ν): Student's t CDF, P(T ≤ x), ν > 0 degrees of freedom.
 * - {@link tQuantile}(p, ν): its inverse.
 * - {@link normalCdf}(x): the standard normal CDF Φ(x).
 *
 * Thin typed wrappers, so the rest of src/stats has one place to look them up.
 */
import stdlibTCdf from '@stdlib/stats-base-dists-t-cdf';
import stdlibTQuantile from '@stdlib/stats-base-dists-t-quantile';
import stdlibNormalCdf from '@stdlib/stats-base-dists-normal-cdf';

/** P(T ≤ x) for Student's t with ν degrees of freedom. ±∞ give 0 and 1. @example tCdf(-2.5, 7) // 0.0204961… */
export function tCdf(x: number, nu: number): number {
  return stdlibTCdf(x, nu);
}

/** The p-quantile of Student's t with ν degrees of freedom. @example tQuantile(0.975, 4) // 2.776445… */
export function tQuantile(p: number, nu: number): number {
  return stdlibTQuantile(p, nu);
}

/** Φ(x), the standard normal CDF. @example normalCdf(-1.96) // 0.0249979… */
export function normalCdf(x: number): number {
  return stdlibNormalCdf(x, 0, 1);
}

/** Two-sided p-value of a t statistic: 2·P(T ≤ −|t|). ±∞ give 0. */
export function twoSidedTP(t: number, nu: number): number {
  return Math.min(1, 2 * tCdf(-Math.abs(t), nu));
}

/** Two-sided p-value of a standard-normal statistic: 2·Φ(−|z|) (SciPy's `2 * ndtr(-|z|)`). */
export function twoSidedNormalP(z: number): number {
  return Math.min(1, 2 * normalCdf(-Math.abs(z)));
}
