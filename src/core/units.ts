/**
 * The unit convention of krs (docs/conventions.md), in one place:
 *
 * - a **value** is what a measure computes, in the measure's own bounds — a similarity or an
 *   agreement as a fraction (linear CKA ∈ [0, 1]; debiased CKA may dip below 0);
 * - a **score** is a value on the 0–100 scale, in **points**: FSS, AOA, KRS, every layer
 *   score and every Δ of them. Fields named `score`, `fss`, `aoa`, `krs` are always points;
 * - **rates and probabilities** (top-1 agreement, top-5 overlap, pixel agreement, per-class
 *   IoU, accuracy) are fractions in [0, 1];
 * - divergences (KL, JS) are in **nats**;
 * - percentages (`93.5 %`) appear only in text written for people.
 */

/** Points per unit of a fraction: a value of 0.875 is a score of 87.5 points. */
export const POINTS = 100;

/** A fraction (a measure's value) as a score in points. */
export function toPoints(value: number): number {
  return value * POINTS;
}

/** A score in points as a fraction. */
export function fromPoints(score: number): number {
  return score / POINTS;
}

/**
 * `value` with fixed decimals for people: '—' for null/undefined/NaN, '∞'/'−∞' for infinities,
 * and never "-0.00" (a value that rounds to zero prints unsigned).
 */
export function fixed(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  if (value === Infinity) return '∞';
  if (value === -Infinity) return '−∞';
  const s = value.toFixed(digits);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}
