/**
 * Number formatting for everything a report or the console prints (cards, sentences, tables, chart labels):
 * one function, so that every number reads the same way. A value that rounds to zero prints
 * as 0.0, never −0.0; negative numbers use the minus sign (−), not the hyphen. Rounding is the
 * CLI's ({@link fixed}): half away from zero on the shortest decimal form, so a report and the
 * console print a value alike (docs/conventions.md §"Rounding").
 *
 * @example fmt(-0.04, 1) === '0.0'; fmt(-1.25, 1) === '−1.3'; fmtSigned(0.4, 1) === '+0.4'
 */
import { fixed } from './units.js';

/** Fixed decimals, − for negatives, no negative zero; ∞/−∞ for infinities, — for null/NaN. */
export function fmt(v: number | null | undefined, digits = 2): string {
  return fixed(v, digits).replace(/^-/, '−');
}

/** As {@link fmt} with a sign: +1.2, −1.2, and 0.0 (no sign) for what rounds to zero. */
export function fmtSigned(v: number | null | undefined, digits = 2): string {
  const s = fmt(v, digits);
  return v !== null && v !== undefined && Number.isFinite(v) && v > 0 && /[1-9]/.test(s) ? `+${s}` : s;
}

/** A fraction as a percentage: fmtPct(0.9315) === '93.15%'. */
export function fmtPct(v: number | null | undefined, digits = 2): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : `${fmt(v * 100, digits)}%`;
}

/** `digits` significant digits (for quantities of any magnitude, e.g. an RMSE), as {@link fmt} does signs. */
export function fmtSig(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return fmt(v);
  if (v === 0) return '0';
  const s = v.toPrecision(digits);
  if (/e/.test(s)) return s.replace(/e\+?/, '×10^').replace(/^-/, '−').replace('^-', '^−');
  // Decimals for `digits` significant digits, one fewer when rounding carries into a new digit (9.99996 → 10.00).
  const decimals = (d: number) => Math.max(0, digits - 1 - Math.floor(Math.log10(Math.abs(d))));
  const first = fmt(v, decimals(v));
  return fmt(v, decimals(Number(first.replace('−', '-'))));
}

/** A weight (α, β) as written: at most 4 decimals, trailing zeros dropped (0.7, 0.3333). */
export function fmtWeight(v: number): string {
  return fmt(v, 4)
    .replace(/(\.\d*?)0+$/, '$1')
    .replace(/\.$/, '');
}
