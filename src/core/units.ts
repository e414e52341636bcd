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
 * and never "-0.00" (a value that rounds to zero prints unsigned). Every number krs writes for
 * people goes through here (the CLI's tables and the reports' `fmt`), with one rounding rule:
 * half away from zero on the number's shortest decimal form — the digits `String(value)` and
 * results.json show — so 89.675 prints as 89.68 and 1.005 as 1.01 although their binary forms
 * lie just below the half (docs/conventions.md §"Rounding").
 */
export function fixed(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  if (value === Infinity) return '∞';
  if (value === -Infinity) return '−∞';
  const s = roundDecimal(value, digits);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

/**
 * A finite `value` rounded to `digits` decimals, half away from zero, on its shortest decimal
 * form (exact decimal arithmetic on the digits, no binary rounding); "-" for negatives.
 */
function roundDecimal(value: number, digits: number): string {
  const { whole, fraction } = decimalDigits(Math.abs(value));
  const kept = `${whole}${fraction.padEnd(digits, '0').slice(0, digits)}`;
  const up = (fraction[digits] ?? '0') >= '5';
  const units = (BigInt(kept) + (up ? 1n : 0n)).toString().padStart(digits + 1, '0');
  const text = digits > 0 ? `${units.slice(0, -digits)}.${units.slice(-digits)}` : units;
  return value < 0 ? `-${text}` : text;
}

/** The whole and fractional digits of a non-negative finite number's shortest decimal form (exponents written out). */
function decimalDigits(abs: number): { whole: string; fraction: string } {
  const [mantissa = '0', exponent = '0'] = String(abs).split('e');
  const [w = '0', f = ''] = mantissa.split('.');
  const shift = Number(exponent);
  const digits = `${w}${f}`;
  const point = w.length + shift;
  if (point <= 0) return { whole: '0', fraction: `${'0'.repeat(-point)}${digits}` };
  if (point >= digits.length) return { whole: digits.padEnd(point, '0'), fraction: '' };
  return { whole: digits.slice(0, point), fraction: digits.slice(point) };
}
