/**
 * Input checks shared by the statistics in src/stats: caller mistakes (arrays of different
 * lengths, non-finite values) throw; statistically undefined results are returned as such
 * (fields `null` and a `reason`), never as 0 or NaN.
 */
import { errors } from '../core/errors.js';

/** @throws BAD_VALUE for a non-finite entry, naming the array and the index. */
export function assertFiniteValues(values: ArrayLike<number>, what: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw errors.badValue(`${what}[${i}]`, v, 'a finite number');
  }
}

/** @throws SHAPE_MISMATCH when the two arrays differ in length. */
export function assertSameLength(x: ArrayLike<number>, y: ArrayLike<number>, what: string): void {
  if (x.length !== y.length) throw errors.shapeMismatch(what, `two arrays of the same length`, `${x.length} and ${y.length}`);
}

/** Arithmetic mean, two-pass corrected (Σ(x − m̂)/n added back) so large offsets lose nothing. */
export function mean(values: ArrayLike<number>): number {
  const n = values.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += values[i]!;
  const m = s / n;
  let c = 0;
  for (let i = 0; i < n; i++) c += values[i]! - m;
  return m + c / n;
}

/** Σ(x − mean)², two-pass. */
export function sumSquaredDeviations(values: ArrayLike<number>, m = mean(values)): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) {
    const d = values[i]! - m;
    s += d * d;
  }
  return s;
}

/** True when every value equals the first (zero variance, exactly). */
export function isConstant(values: ArrayLike<number>): boolean {
  for (let i = 1; i < values.length; i++) if (values[i] !== values[0]) return false;
  return true;
}
