/** Plain-text tables and number formats for bench/serve's report. */

/** Format a number with `digits` decimals and thousands separators ('—' for null/undefined). */
export function num(x, digits = 0) {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Milliseconds: one decimal below 100, none above. */
export const ms = (x) => (x === null || x === undefined ? '—' : num(x, x < 100 ? 1 : 0));

export const yesNo = (met) => (met === null || met === undefined ? '' : met ? 'yes' : 'NO');

/**
 * Render rows (arrays of cells) under `columns` ({title, right?}); a row that is a string is
 * printed as it is (a heading or a note). The last cell of a row with `span: true` runs on
 * across the columns after it (and does not widen its own).
 */
export function table(columns, rows) {
  const cells = rows.filter((r) => Array.isArray(r));
  const fits = (r, i) => i < r.length - (r.span ? 1 : 0);
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((r) => (fits(r, i) ? String(r[i] ?? '').length : 0))));
  const line = (r) =>
    columns
      .slice(0, r.span ? r.length : columns.length)
      .map((c, i) => {
        const s = String(r[i] ?? '');
        if (!fits(r, i)) return s;
        return c.right ? s.padStart(widths[i]) : s.padEnd(widths[i]);
      })
      .join('  ')
      .trimEnd();
  const out = [line(columns.map((c) => c.title)), line(widths.map((w) => '-'.repeat(w)))];
  for (const r of rows) out.push(Array.isArray(r) ? line(r) : r);
  return out.join('\n');
}
