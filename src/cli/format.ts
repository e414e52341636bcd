/** Plain-text tables and number formatting for the CLI's readable output. */
import { fixed } from '../core/units.js';

/** Fixed decimals for the terminal (see {@link fixed}: '—' for missing, no "-0.00"). */
export const fmt = fixed;

/** A left/right-aligned text table: numbers (and cells that look like numbers) align right. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => /^[-+]?[\d.,∞—%]+$/.test(r[i] ?? '')));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/**
 * JSON for `--json` output. JSON has no Infinity or NaN: they are written as the strings
 * "Infinity", "-Infinity" and "NaN" (an infinite mean KL must not turn into null).
 */
export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), indent);
}
