/**
 * Text formatting for reports: the number formatters (kept in `core/number-format.ts`, so the
 * CLI formats numbers alike without loading report code) and running text.
 */
export { fmt, fmtPct, fmtSig, fmtSigned, fmtWeight } from '../core/number-format.js';

/**
 * Clauses as running text: each ends with a full stop (added when it has no closing
 * punctuation), joined by a space — so notes written as separate lines never run together.
 */
export function asSentences(parts: readonly string[]): string {
  return parts
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => (/[.!?]$/.test(p) ? p : `${p}.`))
    .join(' ');
}
