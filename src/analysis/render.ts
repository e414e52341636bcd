/**
 * Writing analysis tables ({@link analysisTables}) as CSV and Markdown. Pure: they return
 * strings, and the CLI writes the files.
 *
 * - CSV (RFC 4180): a header of the columns' keys, raw values at full precision (the shortest
 *   string that round-trips), empty cells for null, `true`/`false` for booleans; fields with a
 *   comma, quote or line break are quoted, quotes doubled. Lines end in `\n`.
 * - Markdown: a `#` title, then per table a `##` heading, a pipe table with values formatted
 *   for people and `|` escaped, and its notes as a bullet list. CSV-only tables are left out.
 */
import { analysisTables, formatCell, type AnalysisTable, type Cell } from './tables.js';
import type { AnalysisResult } from './analyze.js';

function csvField(v: Cell): string {
  if (v === null) return '';
  const s = typeof v === 'string' ? v : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
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

const mdCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

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
