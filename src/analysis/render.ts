/**
 * Writing analysis tables ({@link analysisTables}) as CSV and Markdown. Pure: they return
 * strings, and the CLI writes the files.
 *
 * - CSV (RFC 4180): a header of the columns' keys, raw values at full precision (the shortest
 *   string that round-trips), empty cells for null, `true`/`false` for booleans; fields with a
 *   comma, quote or line break are quoted, quotes doubled. Lines end in `\n`. Text cells that
 *   a spreadsheet would run as a formula — starting with `=`, `+`, `-`, `@`, a tab or a
 *   carriage return — get a leading `'` and are quoted (OWASP's CSV-injection advice); number
 *   cells are written as numbers, so a negative value stays a number.
 * - Markdown: a `#` title, then per table a `##` heading, a pipe table with values formatted
 *   for people, and its notes as a bullet list. CSV-only tables are left out. Text taken from
 *   the input (ids, names, notes, warnings) is escaped: `&`, `<` and `>` as HTML entities, so
 *   no tag, script or event handler survives, and `\`, `|`, `` ` ``, `[`, `]`, `*` and `_` with a
 *   backslash, so no cell breaks out of the table or turns into a link, image or code span;
 *   line breaks become spaces.
 */

import type { AnalysisResult } from './analyze.js';
import { type AnalysisTable, analysisTables, type Cell, formatCell } from './tables.js';

/**
 * One CSV field: RFC 4180 quoting, and text that a spreadsheet would evaluate (`=`, `+`,
 * `-`, `@`, tab, CR first) prefixed with `'` and quoted.
 * @example csvField('=1+1') // `"'=1+1"`
 */
export function csvField(v: Cell): string {
  if (v === null) return '';
  if (typeof v !== 'string') return String(v);
  if (/^[=+\-@\t\r]/.test(v)) return `"'${v.replace(/"/g, '""')}"`;
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** One table as CSV text. */
export function tableToCsv(t: AnalysisTable): string {
  const lines = [t.columns.map((c) => csvField(c.key)).join(',')];
  for (const row of t.rows) lines.push(row.map(csvField).join(','));
  return `${lines.join('\n')}\n`;
}

/** Every table of an analysis as CSV: file name (`<table>.csv`) → text. */
export function analysisCsv(r: AnalysisResult): Map<string, string> {
  return new Map(analysisTables(r).map((t) => [`${t.name}.csv`, tableToCsv(t)]));
}

const HTML_ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/**
 * Text for a Markdown table cell, heading or bullet: HTML special characters as entities,
 * Markdown table and inline syntax backslash-escaped, line breaks as spaces (see the module doc).
 * @example mdCell('<img src=x onerror=alert(1)>|x') // '&lt;img src=x onerror=alert(1)&gt;\\|x'
 */
export function mdCell(s: string): string {
  return s
    .replace(/[&<>]/g, (c) => HTML_ENTITIES[c]!)
    .replace(/[\\|`[\]*_]/g, (c) => `\\${c}`)
    .replace(/\r\n?|\n/g, ' ');
}

/** One table as Markdown (heading, pipe table, notes). CSV-only columns, and columns null in every row, are dropped. */
export function tableToMarkdown(t: AnalysisTable): string {
  const keep = t.columns.map((c, i) => !c.csvOnly && t.rows.some((r) => r[i] !== null));
  const cols = t.columns.filter((_, i) => keep[i]);
  const out = [`## ${t.title}`, ''];
  if (t.rows.length === 0) out.push('_(none)_');
  else {
    out.push(`| ${cols.map((c) => mdCell(c.title)).join(' | ')} |`);
    out.push(`| ${cols.map((c) => (c.format === 'text' || c.format === 'bool' ? '---' : '---:')).join(' | ')} |`);
    for (const row of t.rows)
      out.push(
        `| ${row
          .filter((_, i) => keep[i])
          .map((v, i) => mdCell(formatCell(v, cols[i]!.format)))
          .join(' | ')} |`,
      );
  }
  if (t.notes.length) out.push('', ...t.notes.map((n) => `- ${mdCell(n)}`));
  return `${out.join('\n')}\n`;
}

/** The whole analysis as a Markdown document. */
export function analysisMarkdown(r: AnalysisResult): string {
  const parts = [`# KRS analysis${r.source ? ` of ${mdCell(r.source)}` : ''}`, ''];
  parts.push(
    `${r.experiments.length} experiments, ${Object.keys(r.tasks).length} task${Object.keys(r.tasks).length === 1 ? '' : 's'}, ${r.methods.table.length} KD method${r.methods.table.length === 1 ? '' : 's'}. KRS = α·FSS + (1 − α)·AOA on the 0–100 scale${r.alphaOverride !== null ? `, α = ${r.alphaOverride} for every experiment` : ', α per experiment (table or task preset)'}.`,
    '',
  );
  for (const t of analysisTables(r)) if (!t.csvOnly) parts.push(tableToMarkdown(t));
  if (r.warnings.length) parts.push('## Warnings', '', ...r.warnings.map((w) => `- ${mdCell(w)}`), '');
  return parts.join('\n');
}
