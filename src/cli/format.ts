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
 * {@link table}, folded to `maxWidth` columns of text: when the whole table is wider, its
 * columns are cut into consecutive groups that fit, each printed as its own table below the
 * last with the first `keyColumns` columns (the row's name) repeated, so no line is wider than
 * `maxWidth` unless a single column is. `maxWidth` Infinity: one table (`--wide`).
 */
export function foldTable(header: readonly string[], rows: readonly (readonly string[])[], maxWidth = 100, keyColumns = 1): string {
  const width = (i: number) => Math.max(header[i]!.length, ...rows.map((r) => (r[i] ?? '').length));
  const widths = header.map((_, i) => width(i));
  const span = (cols: readonly number[]) => cols.reduce((a, i) => a + widths[i]!, 0) + 2 * (cols.length - 1);
  const all = header.map((_, i) => i);
  if (span(all) <= maxWidth || header.length <= keyColumns + 1) return table(header, rows);
  const keys = all.slice(0, keyColumns);
  const groups: number[][] = [];
  let group: number[] = [];
  for (const i of all.slice(keyColumns)) {
    if (group.length && span([...keys, ...group, i]) > maxWidth) {
      groups.push(group);
      group = [];
    }
    group.push(i);
  }
  groups.push(group);
  const pick = (cells: readonly string[], cols: readonly number[]) => cols.map((i) => cells[i] ?? '');
  return groups
    .map((g) =>
      table(
        pick(header, [...keys, ...g]),
        rows.map((r) => pick(r, [...keys, ...g])),
      ),
    )
    .join('\n\n');
}

/**
 * `text` word-wrapped to `maxWidth` columns, lines after the first indented by `indent`
 * spaces more than the first line's own indent; a word longer than a line stays whole.
 */
export function wrapText(text: string, maxWidth = 100, indent = 2): string {
  if (text.length <= maxWidth) return text;
  const lead = /^ */.exec(text)![0];
  const hang = lead + ' '.repeat(indent);
  const lines: string[] = [];
  let line = lead;
  for (const word of text.slice(lead.length).split(' ')) {
    const start = lines.length ? hang : lead;
    if (line.length > start.length && line.length + 1 + word.length > maxWidth) {
      lines.push(line);
      line = hang + word;
    } else line = line.length > start.length ? `${line} ${word}` : line + word;
  }
  lines.push(line);
  return lines.join('\n');
}

/**
 * JSON for `--json` output. JSON has no Infinity or NaN: they are written as the strings
 * "Infinity", "-Infinity" and "NaN" (an infinite mean KL must not turn into null).
 */
export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), indent);
}
