/**
 * α-sensitivity of KRS (the paper's §4.2.6, Figure 8 and Figure 14): KRS(α) = α·FSS + (1 − α)·AOA
 * over a grid α = 0, h, 2h, …, 1 (default h = 0.01, 101 points; each αₖ = k/K computed
 * directly, so the grid has no accumulated rounding).
 *
 * KRS(α) is a straight line, so its maximum over [0, 1] is at α = 1 when FSS > AOA, at α = 0
 * when AOA > FSS; when FSS = AOA it does not depend on α and the maximising α is undefined
 * (`best` null, `flat` true).
 *
 * Complexity O(K).
 *
 * @throws BAD_VALUE for non-finite components; BAD_OPTION for a step that does not divide 1
 *   into a whole number of intervals (1/step must be an integer within 1e-9) or is ≤ 0, or
 *   whose grid has more than `maxAlphaPoints` points (src/io/limits.ts; default 10 001, i.e.
 *   steps down to 1e-4) — checked before any point is computed.
 * @example alphaSweep(39, 83).best // { alpha: 0, krs: 83 }
 */
import { errors } from '../core/errors.js';
import { LIMIT_VARIABLES, type LimitOptions, resolveLimits } from '../io/limits.js';

export interface SweepPoint {
  readonly alpha: number;
  readonly krs: number;
}

export interface AlphaSweep {
  /** KRS at every grid α, in increasing α. */
  readonly points: readonly SweepPoint[];
  /** The grid α with the highest KRS (null when flat). */
  readonly best: SweepPoint | null;
  /** The grid α with the lowest KRS (null when flat). */
  readonly worst: SweepPoint | null;
  /** FSS = AOA: KRS is the same for every α. */
  readonly flat: boolean;
  /** dKRS/dα = FSS − AOA: how much KRS moves per unit of α. */
  readonly slope: number;
}

/**
 * Number of intervals for a grid step.
 * @throws BAD_OPTION unless 1/step is a whole number, or when the grid would have more than
 *   `maxAlphaPoints` points.
 */
export function gridIntervals(step: number, limits: LimitOptions = {}): number {
  const k = Math.round(1 / step);
  if (!(step > 0) || !Number.isFinite(step) || k < 1 || Math.abs(k * step - 1) > 1e-9)
    throw errors.badOption('alphaStep', step, 'a number in (0, 1] that divides 1 evenly, e.g. 0.01, 0.05, 0.1');
  const max = resolveLimits(limits).maxAlphaPoints;
  if (k + 1 > max) {
    throw errors.badOption(
      'alphaStep',
      step,
      `a step of at least ${1 / (max - 1)}: this one makes a grid of ${k + 1} points, more than the limit maxAlphaPoints = ${max} (set ${LIMIT_VARIABLES.maxAlphaPoints} to raise it)`,
    );
  }
  return k;
}

/** KRS over the α grid. See the module comment. */
export function alphaSweep(fss: number, aoa: number, options: { step?: number; limits?: LimitOptions } = {}): AlphaSweep {
  if (!Number.isFinite(fss)) throw errors.badValue('FSS', fss, 'a finite number');
  if (!Number.isFinite(aoa)) throw errors.badValue('AOA', aoa, 'a finite number');
  const K = gridIntervals(options.step ?? 0.01, options.limits);
  const points: SweepPoint[] = [];
  for (let k = 0; k <= K; k++) {
    const alpha = k / K;
    points.push({ alpha, krs: fss === aoa ? fss : alpha * fss + (1 - alpha) * aoa });
  }
  const flat = fss === aoa;
  const first = points[0]!;
  const last = points[K]!;
  return {
    points,
    best: flat ? null : fss > aoa ? last : first,
    worst: flat ? null : fss > aoa ? first : last,
    flat,
    slope: fss - aoa,
  };
}
