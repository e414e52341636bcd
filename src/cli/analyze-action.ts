/**
 * What `krs analyze TABLE` does (declared in `analyze.ts`): read and analyse the table, write
 * the report, CSV and Markdown files asked for, and print the summary or JSON.
 */
import { join } from 'node:path';
import { type AnalysisResult, analyzeExperiments } from '../analysis/analyze.js';
import { readExperimentsTable } from '../analysis/node-experiments.js';
import { analysisCsv, analysisMarkdown } from '../analysis/render.js';
import { analysisTables, formatCell } from '../analysis/tables.js';
import { errors } from '../core/errors.js';
import { ensureDir, writeFileAtomic } from '../io/node-atomic-write.js';
import type { AnalyzeCommandFlags, AnalyzeFlags } from './analyze.js';
import { foldTable, toJson, wrapText } from './format.js';
import { cliIo } from './io.js';
import { writeCliReport } from './report-options.js';

/** The action of `krs analyze`. */
export async function analyzeAction(file: string, o: AnalyzeCommandFlags): Promise<void> {
  if (o.out && o.report && o.out !== o.report) throw errors.badOption('--out', o.out, `the same file as --report (${o.report}), or only one of them`);
  o.report ??= o.out;
  const result = runAnalyze(file, o);
  await writeCliReport(o, () => ({ kind: 'analysis', analysis: result }));
  if (o.csv) writeCsv(o.csv, result);
  if (o.markdown) writeText(o.markdown, analysisMarkdown(result));
  cliIo().stdout.write(o.json ? `${toJson(result)}\n` : `${renderAnalysis(result, o.wide ? Number.POSITIVE_INFINITY : 100)}\n`);
  for (const w of result.warnings) cliIo().stderr.write(`warning: ${w}\n`);
}

/** Read the table and analyse it. */
export function runAnalyze(file: string, o: AnalyzeFlags): AnalysisResult {
  const t = readExperimentsTable(file, o.format ? { format: o.format } : {});
  const sweep = o.sweep
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (o.sweep !== undefined && (!sweep || sweep.length === 0)) throw errors.badOption('--sweep', o.sweep, 'comma-separated experiment ids');
  const r = analyzeExperiments(t.experiments, {
    source: file,
    alpha: o.alpha,
    sweep,
    alphaStep: o.alphaStep,
    thresholds: { low: o.low, high: o.high, gap: o.gap },
    balancedRatio: o.balancedRatio,
  });
  return { ...r, warnings: [...t.warnings, ...r.warnings] };
}

function writeText(path: string, text: string): void {
  writeFileAtomic(path, text, 'the markdown summary');
  cliIo().stderr.write(`wrote ${path}\n`);
}

function writeCsv(dir: string, r: AnalysisResult): void {
  ensureDir(dir, 'the CSV tables into');
  const files = analysisCsv(r);
  for (const [name, text] of files) writeFileAtomic(join(dir, name), text, 'the CSV table');
  cliIo().stderr.write(`wrote ${files.size} CSV files to ${dir}\n`);
}

/**
 * The readable summary: the tables (columns that are empty everywhere dropped), then the
 * advice. Tables wider than `maxWidth` are folded ({@link foldTable}), the experiment or task
 * name repeated; `Infinity` keeps each on one line.
 */
export function renderAnalysis(r: AnalysisResult, maxWidth = 100): string {
  const out: string[] = [];
  const nTasks = Object.keys(r.tasks).length;
  out.push(
    `krs analyze — ${r.source ?? 'experiments'}: ${r.experiments.length} experiments, ${nTasks} task${nTasks === 1 ? '' : 's'}, ${r.methods.table.length} KD method${r.methods.table.length === 1 ? '' : 's'}`,
  );
  for (const t of analysisTables(r)) {
    if (t.csvOnly) continue;
    out.push('', t.title, '');
    if (t.name === 'diagnostics') {
      for (const d of r.diagnostics.experiments) {
        for (const f of d.findings) out.push(wrapText(`  ${d.id} (${d.method}) [${f.code}] ${f.message}`, maxWidth));
      }
      continue;
    }
    const keep = t.columns.map((c, i) => !c.csvOnly && t.rows.some((row) => row[i] !== null));
    const cols = t.columns.filter((_, i) => keep[i]);
    out.push(
      foldTable(
        cols.map((c) => c.title),
        t.rows.map((row) => row.filter((_, i) => keep[i]).map((v, i) => formatCell(v, cols[i]!.format))),
        maxWidth,
      ),
    );
    for (const n of t.notes) out.push(wrapText(`  ${n}`, maxWidth));
  }
  return out.join('\n');
}
