/**
 * The Knowledge Retention Score (docs/formulas.md §"KRS"):
 *
 *     KRS = α·FSS + β·AOA,   β = 1 − α
 *
 * Scale-free: FSS and AOA on 0–100 give KRS on 0–100, on [0, 1] they give [0, 1].
 * Because KRS is linear, ΔKRS = α·ΔFSS + β·ΔAOA exactly.
 *
 * @example composeKrs(32, 47, 0.3).krs   // 42.5 (the paper's ResNet-18 pre-KD student)
 * @example composeKrs(44, 18, 0.7).krs   // 36.2
 * @throws BAD_WEIGHT when α ∉ [0, 1] or β is given and α + β ≠ 1 (within 1e-9).
 */
import { errors } from '../core/errors.js';

export interface Weights {
  readonly alpha: number;
  readonly beta: number;
}

/** Check α (and β if given) and return both. */
export function resolveWeights(alpha: number, beta?: number): Weights {
  if (typeof alpha !== 'number' || !Number.isFinite(alpha) || alpha < 0 || alpha > 1) throw errors.alphaOutOfRange(alpha);
  if (beta !== undefined) {
    if (typeof beta !== 'number' || !Number.isFinite(beta) || Math.abs(alpha + beta - 1) > 1e-9) throw errors.betaMismatch(alpha, beta);
  }
  return { alpha, beta: 1 - alpha };
}

export interface Composition extends Weights {
  readonly fss: number;
  readonly aoa: number;
  readonly krs: number;
}

/** KRS from its components. */
export function composeKrs(fss: number, aoa: number, alpha: number, beta?: number): Composition {
  const w = resolveWeights(alpha, beta);
  if (!Number.isFinite(fss)) throw errors.badValue('FSS', fss, 'a finite number');
  if (!Number.isFinite(aoa)) throw errors.badValue('AOA', aoa, 'a finite number');
  return { ...w, fss, aoa, krs: w.alpha * fss + w.beta * aoa };
}
