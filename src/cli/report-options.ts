/**
 * `--report FILE.html` and `--charts DIR`, shared by `krs score`, `krs eval`, `krs merge` and
 * `krs analyze`: each command declares the flags ({@link REPORT_FLAGS}) and, after computing its
 * result, calls {@link writeCliReport} with the report's input (built in
 * src/report/node-report-input.ts). The report modules (vega, resvg) are loaded only when one
 * of the flags is given, so commands start as fast without them.
 */

import { errors } from '../core/errors.js';
import type { Comparison } from '../krs/compare.js';
import type { CaptureReportOptions } from '../report/node-report-input.js';
import type { DemoReportInput, ReportInput, ScoreReportInput } from '../report/report.js';
import type { EvalResult } from '../runtime/eval.js';
import { type BackendChoice, chooseBackend } from './backend.js';
import { flag } from './flag-table.js';
import { cliIo } from './io.js';

export interface ReportFlags {
  report?: string;
  charts?: string;
}

/** The --report value: a file name ending in .html (checked before any work is done). */
export function parseReportFile(value: string): string {
  if (!/\.html?$/i.test(value)) throw errors.badOutputFormat('--report', value, ['.html']);
  return value;
}

/** `--report <file.html>` and `--charts <dir>`. */
export const REPORT_FLAG = flag('--report <file.html>', 'also write a self-contained HTML report (charts inline, no external files)', {
  parse: () => parseReportFile,
});
export const CHARTS_FLAG = flag('--charts <dir>', 'also write every chart of the report as SVG and PNG into dir');
export const REPORT_FLAGS = [REPORT_FLAG, CHARTS_FLAG] as const;

/** The command line as typed (the run's arguments, see {@link cliIo}), shell-quoted where needed, for the report's footer. */
export function commandLine(argv: readonly string[] = cliIo().argv): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return ['krs', ...argv.map(quote)].join(' ');
}

/**
 * Write the report and/or the charts if asked; progress lines go to stderr.
 * `input` is a function so nothing is computed for the report unless it is wanted.
 */
export async function writeCliReport(o: ReportFlags, input: () => ReportInput | Promise<ReportInput>): Promise<void> {
  if (!o.report && !o.charts) return;
  const { writeReport } = await import('../report/node-report.js');
  const base = await input();
  const written = await writeReport(
    { ...base, command: base.command ?? commandLine(), generatedAt: base.generatedAt ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z') },
    { report: o.report, charts: o.charts },
  );
  if (written.report) cliIo().stderr.write(`report: ${written.report}\n`);
  if (o.charts) {
    const ms = written.charts.reduce((a, c) => a + c.svgMs + c.pngMs, 0);
    cliIo().stderr.write(`charts: ${written.charts.length} × (svg, png) in ${o.charts} (${Math.round(ms)} ms)\n`);
  }
}

/** The report input of `krs score` (src/report/node-report-input.ts, loaded now): the cross-layer pass on the `backend` chosen. */
export async function scoreReportInput(o: CaptureReportOptions, result: ScoreReportInput['result'], backend?: BackendChoice): Promise<ScoreReportInput> {
  const { scoreReportInput } = await import('../report/node-report-input.js');
  return scoreReportInput(o, result, () => chooseBackend(backend ?? 'auto'));
}

/** The report input of several students (src/report/node-report-input.ts, loaded now). */
export async function studentsReportInput(
  results: readonly ScoreReportInput['result'][],
  names: readonly string[],
  comparisons: readonly Comparison[],
): Promise<DemoReportInput> {
  return (await import('../report/node-report-input.js')).studentsReportInput(results, names, comparisons);
}

/** The report input of `krs eval` (src/report/node-report-input.ts, loaded now). */
export async function evalReportInput(r: EvalResult): Promise<ScoreReportInput> {
  return (await import('../report/node-report-input.js')).evalReportInput(r);
}
