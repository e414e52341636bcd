/**
 * The FSS/AOA trade-off (imbalance) of one experiment (the paper's §4.2.4, Table 6).
 *
 * KRS is linear in its components, so its change splits exactly into two contributions:
 *
 *     ΔKRS = α·ΔFSS + β·ΔAOA          (predicted; equals the observed ΔKRS up to rounding)
 *
 * Reported besides: which component moved more (`dominant`, by |Δ|), the imbalance ratio
 * max(|ΔFSS|, |ΔAOA|) / min(|ΔFSS|, |ΔAOA|), and whether the components moved in opposite
 * directions (`conflict`, one rose while the other fell).
 *
 * `dominant` is `balanced` when the ratio is below `balancedRatio` (default 1.5), `none` when
 * neither component moved. The ratio is undefined (null, with `ratioReason`) when the smaller
 * change is 0 — it would be infinite.
 *
 * Complexity O(1).
 *
 * @throws BAD_VALUE for non-finite inputs; BAD_WEIGHT for α ∉ [0, 1]; BAD_OPTION for
 *   balancedRatio < 1.
 * @example tradeoff(44, 18, 0.7).predictedDeltaKrs // 36.2 (the paper's COCO UET, Exp. 18)
 */
import { errors } from '../core/errors.js';
import { resolveWeights } from '../krs/compose.js';

/** Default: the larger change must be at least 1.5 × the smaller to count as dominant. */
export const DEFAULT_BALANCED_RATIO = 1.5;

export interface Tradeoff {
  readonly deltaFss: number;
  readonly deltaAoa: number;
  /** α·ΔFSS. */
  readonly fssContribution: number;
  /** β·ΔAOA. */
  readonly aoaContribution: number;
  /** α·ΔFSS + β·ΔAOA. */
  readonly predictedDeltaKrs: number;
  /** The component with the larger |Δ|, or `balanced` / `none`. */
  readonly dominant: 'fss' | 'aoa' | 'balanced' | 'none';
  /** max(|ΔFSS|, |ΔAOA|) / min(…); null when the smaller is 0. */
  readonly imbalanceRatio: number | null;
  /** Why the ratio is undefined; null when defined. */
  readonly ratioReason: string | null;
  /** One component rose while the other fell. */
  readonly conflict: boolean;
}

/** Split ΔKRS into the FSS and AOA contributions. See the module comment. */
export function tradeoff(deltaFss: number, deltaAoa: number, alpha: number, options: { balancedRatio?: number } = {}): Tradeoff {
  const { beta } = resolveWeights(alpha);
  if (!Number.isFinite(deltaFss)) throw errors.badValue('ΔFSS', deltaFss, 'a finite number');
  if (!Number.isFinite(deltaAoa)) throw errors.badValue('ΔAOA', deltaAoa, 'a finite number');
  const balancedRatio = options.balancedRatio ?? DEFAULT_BALANCED_RATIO;
  if (!(balancedRatio >= 1) || !Number.isFinite(balancedRatio)) throw errors.badOption('balancedRatio', balancedRatio, 'a finite number ≥ 1');
  const a = Math.abs(deltaFss);
  const b = Math.abs(deltaAoa);
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  const imbalanceRatio = lo === 0 ? null : hi / lo;
  const ratioReason = lo === 0 ? (hi === 0 ? 'neither component changed' : `${a === 0 ? 'FSS' : 'AOA'} did not change (the ratio would be infinite)`) : null;
  let dominant: Tradeoff['dominant'];
  if (hi === 0) dominant = 'none';
  else if (imbalanceRatio !== null && imbalanceRatio < balancedRatio) dominant = 'balanced';
  else dominant = a > b ? 'fss' : 'aoa';
  const fssContribution = alpha * deltaFss;
  const aoaContribution = beta * deltaAoa;
  return {
    deltaFss,
    deltaAoa,
    fssContribution,
    aoaContribution,
    predictedDeltaKrs: fssContribution + aoaContribution,
    dominant,
    imbalanceRatio,
    ratioReason,
    conflict: (deltaFss > 0 && deltaAoa < 0) || (deltaFss < 0 && deltaAoa > 0),
  };
}
