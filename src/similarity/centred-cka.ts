/**
 * Linear CKA (Kornblith et al., 2019), exact, from column-centred statistics.
 *
 *     CKA(X, Y) = ‖XᶜᵀYᶜ‖²_F / (‖XᶜᵀXᶜ‖_F · ‖YᶜᵀYᶜ‖_F)
 *
 * which equals HSIC(K,L)/√(HSIC(K,K)·HSIC(L,L)) for K = XXᵀ, L = YYᵀ with the biased
 * HSIC estimator. Invariant to orthogonal transforms and isotropic scaling of either side,
 * not to general invertible linear maps. In [0, 1].
 *
 * Biased CKA is inflated when a layer is wider than the sample count (it tends to 1 as
 * p/n grows); {@link linearCkaFromCentred} returns a warning then.
 */
import { errors } from '../core/errors.js';
import type { CentredStats } from './linear-stats.js';

/** Relative variance below which a layer counts as constant (float32 rounding is ~1e-14). */
const CONSTANT_TOLERANCE = 1e-18;

/**
 * Throw UNDEFINED when either side's features are constant across samples (CKA is 0/0).
 * `teacherName`/`studentName` name the layers in the message.
 */
export function assertNotConstant(c: CentredStats, teacherName: string, studentName: string): void {
  if (c.sumA <= CONSTANT_TOLERANCE * (c.n * c.meanNormX + c.sumA)) {
    throw errors.undefinedResult(`CKA of teacher layer '${teacherName}'`, `its features are constant across all ${c.n} samples`);
  }
  if (c.sumB <= CONSTANT_TOLERANCE * (c.n * c.meanNormY + c.sumB)) {
    throw errors.undefinedResult(`CKA of student layer '${studentName}'`, `its features are constant across all ${c.n} samples`);
  }
}

/** Linear CKA from centred statistics. O(p² + q² + pq). */
export function linearCkaFromCentred(c: CentredStats): number {
  const num = c.xyNorm2;
  const den = Math.sqrt(c.xxNorm2) * Math.sqrt(c.yyNorm2);
  return clampUnit(num / den);
}

/**
 * Debiased linear CKA (unbiased HSIC, Song et al. 2012), exact over the whole data set,
 * in Kornblith et al.'s feature-space form: with aᵢ = ‖xᵢᶜ‖², bᵢ = ‖yᵢᶜ‖²,
 *
 *     H(X,Y) = ‖XᶜᵀYᶜ‖²_F − n/(n−2)·Σaᵢbᵢ + (Σaᵢ)(Σbᵢ)/((n−1)(n−2))
 *     CKA₁ = H(X,Y) / √(H(X,X)·H(Y,Y))
 *
 * (H is n(n−3)·HSIC₁; the factor cancels.) Can be slightly negative for unrelated layers.
 * @throws BAD_VALUE when n < 4; UNDEFINED when H(X,X) or H(Y,Y) ≤ 0.
 */
export function debiasedCkaFromCentred(c: CentredStats, teacherName: string, studentName: string): number {
  const n = c.n;
  if (!c.moments) throw errors.internal('debiased CKA from statistics kept without the debiasing moments');
  if (n < 4) throw errors.badValue('sample count for debiased CKA', n, 'at least 4 samples');
  const k1 = n / (n - 2);
  const k2 = 1 / ((n - 1) * (n - 2));
  const hxy = c.xyNorm2 - k1 * c.sumAB + c.sumA * c.sumB * k2;
  const hxx = c.xxNorm2 - k1 * c.sumA2 + c.sumA * c.sumA * k2;
  const hyy = c.yyNorm2 - k1 * c.sumB2 + c.sumB * c.sumB * k2;
  if (!(hxx > 0)) throw errors.undefinedResult(`debiased CKA of teacher layer '${teacherName}'`, `unbiased HSIC(X,X) = ${hxx} ≤ 0`);
  if (!(hyy > 0)) throw errors.undefinedResult(`debiased CKA of student layer '${studentName}'`, `unbiased HSIC(Y,Y) = ${hyy} ≤ 0`);
  return hxy / Math.sqrt(hxx * hyy);
}

/** Clamp rounding excursions just outside [0, 1]. */
function clampUnit(v: number): number {
  return v < 0 ? 0 : Math.min(v, 1);
}
