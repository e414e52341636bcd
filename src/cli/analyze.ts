/**
 * `krs analyze TABLE`: the paper's validation suite over a table of distillation experiments
 * (per experiment, per task, per KD method, α-sensitivity, diagnostics). Prints a readable
 * summary, or the result as JSON with --json; --csv DIR and --markdown FILE write the tables.
 */
import type { Command } from 'commander';
import { cliIo } from './io.js';
import { ensureDir, writeFileAtomic } from '../io/node-atomic-write.js';
import { join } from 'node:path';
import { analyzeExperiments, type AnalysisResult } from '../analysis/analyze.js';
import { analysisTables, formatCell } from '../analysis/tables.js';
import { analysisCsv, analysisMarkdown } from '../analysis/render.js';
import { DEFAULT_THRESHOLDS } from '../krs/diagnose.js';
import { DEFAULT_BALANCED_RATIO } from '../analysis/tradeoff.js';
import { readExperimentsTable } from '../analysis/node-experiments.js';
import { errors } from '../core/errors.js';
import { foldTable, toJson, wrapText } from './format.js';
import { parseChoice, parseNumber } from './options.js';
import { CHARTS_OPTION, parseReportFile, REPORT_OPTION, writeCliReport } from './report-options.js';

interface AnalyzeFlags {
  json?: boolean;
  /** Print each table on one line however wide. */
  wide?: boolean;
  csv?: string;
  markdown?: string;
  format?: 'csv' | 'tsv' | 'json';
  alpha?: number;
  sweep?: string;
  alphaStep?: number;
  low?: number;
  high?: number;
  gap?: number;
  balancedRatio?: number;
}

export function registerAnalyze(program: Command): void {
  program
    .command('analyze')
    .description(
      'analyse a table of KD experiments: KRS pre/post, correlation with the task metric, paired t-tests, CIs, method rankings with Kendall τ, α-sensitivity, diagnostics',
    )
    .argument(
      '<table>',
      'experiments table, CSV (or .tsv) or JSON: id, task, dataset, teacher, student, method, fss_pre, aoa_pre, fss_post, aoa_post, metric_pre, metric_post [, metric, alpha, …]',
    )
    .option('--json', 'print the result as JSON on stdout')
    .option('--wide', 'print each table on one line however wide (default: tables wider than 100 columns are folded)')
    .option('--csv <dir>', 'write every table as <dir>/<table>.csv')
    .option('--markdown <file>', 'write the tables as a Markdown document')
    .option('--format <kind>', 'read the table as csv, tsv or json (default: by extension)', parseChoice('--format', ['csv', 'tsv', 'json'] as const))
    .option('--alpha <a>', 'α for every experiment, overriding the table and the task presets', parseNumber('--alpha'))
    .option('--sweep <ids>', 'comma-separated experiment ids to sweep over α (default: all)')
    .option('--alpha-step <h>', 'α grid step of the sensitivity sweep (default 0.01)', parseNumber('--alpha-step'))
    .option('--low <x>', `diagnostics: a component below x is low (default ${DEFAULT_THRESHOLDS.low})`, parseNumber('--low'))
    .option('--high <x>', `diagnostics: a component at or above x is high (default ${DEFAULT_THRESHOLDS.high})`, parseNumber('--high'))
    .option('--gap <x>', `diagnostics: a component x points above the other dominates (default ${DEFAULT_THRESHOLDS.gap})`, parseNumber('--gap'))
    .option(
      '--balanced-ratio <r>',
      `trade-off: |ΔFSS|/|ΔAOA| (or its inverse) below r counts as balanced (default ${DEFAULT_BALANCED_RATIO})`,
      parseNumber('--balanced-ratio'),
    )
    .option(...REPORT_OPTION)
    .option(...CHARTS_OPTION)
    .option('--out <file.html>', 'the same as --report', parseReportFile)
    .action(async (file: string, o: AnalyzeFlags & { report?: string; charts?: string; out?: string }) => {
      if (o.out && o.report && o.out !== o.report) throw errors.badOption('--out', o.out, `the same file as --report (${o.report}), or only one of them`);
      o.report ??= o.out;
      const result = runAnalyze(file, o);
      await writeCliReport(o, () => ({ kind: 'analysis', analysis: result }));
      if (o.csv) writeCsv(o.csv, result);
      if (o.markdown) writeText(o.markdown, analysisMarkdown(result));
      cliIo().stdout.write(o.json ? `${toJson(result)}\n` : `${renderAnalysis(result, o.wide ? Number.POSITIVE_INFINITY : 100)}\n`);
      for (const w of result.warnings) cliIo().stderr.write(`warning: ${w}\n`);
    });
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
