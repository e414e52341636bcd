/**
 * `--report FILE.html` and `--charts DIR`, shared by `krs score`, `krs eval` and `krs analyze`:
 * each command adds the options with {@link addReportOptions} and, after computing its result,
 * calls {@link writeCliReport} with the report's input. The report modules (vega, resvg) are
 * loaded only when one of the options is given, so commands start as fast without them.
 */
import type { Command } from 'commander';
import { cliIo } from './io.js';
import { statSync } from 'node:fs';
import { errors, KrsError } from '../core/errors.js';
import { taskSpec } from '../tasks/registry.js';
import type { DemoReportInput, ReportInput, ScoreReportInput } from '../report/report.js';
import type { Comparison } from '../krs/compare.js';
import { fmt, fmtSigned } from '../core/number-format.js';
import type { MatrixLike } from '../report/charts/heatmap.js';
import type { RegressionPredictions } from '../report/charts/regression.js';
import type { EvalResult } from '../runtime/eval.js';

export interface ReportFlags {
  report?: string;
  charts?: string;
}

/** The --report value: a file name ending in .html (checked before any work is done). */
export function parseReportFile(value: string): string {
  if (!/\.html?$/i.test(value)) throw errors.badOutputFormat('--report', value, ['.html']);
  return value;
}

/** `--report <file.html>`, as arguments of commander's `.option(...)`. */
export const REPORT_OPTION = ['--report <file.html>', 'also write a self-contained HTML report (charts inline, no external files)', parseReportFile] as const;
/** `--charts <dir>`, likewise. */
export const CHARTS_OPTION = ['--charts <dir>', 'also write every chart of the report as SVG and PNG into dir'] as const;

/** Add `--report <file.html>` and `--charts <dir>` to a command. */
export function addReportOptions(cmd: Command): Command {
  return cmd.option(...REPORT_OPTION).option(...CHARTS_OPTION);
}

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

interface ScoreLikeFlags extends ReportFlags {
  teacher: string;
  student: string;
  teacherFeatures?: string;
  studentFeatures?: string;
  ids?: string;
  pool?: string;
  channelsLast?: boolean;
  batchSize?: number;
}

/**
 * The report input of `krs score`: the result, and the cross-layer CKA matrix of the two
 * captures' feature layers. A matrix that cannot be computed (e.g. layers with other sample
 * counts) is left out with a warning rather than failing the report.
 */
/** One paired difference as a sentence: `b − a: ΔKRS +1.23 [0.80, 1.66], p 0.0004` (the interval and p when known). */
function comparisonSentence(c: Comparison): string {
  const ci = c.ci95.krs ? ` [${fmt(c.ci95.krs[0])}, ${fmt(c.ci95.krs[1])}]` : '';
  const p = c.p.krs === null ? (c.reasons.krs ? ` (no interval: ${c.reasons.krs})` : '') : `, p ${c.p.krs < 1e-4 ? '< 0.0001' : fmt(c.p.krs, 4)}`;
  return `${c.b} − ${c.a}: ΔKRS ${fmtSigned(c.delta.krs)}${ci}${p}; ΔFSS ${fmtSigned(c.delta.fss)}, ΔAOA ${fmtSigned(c.delta.aoa)}.`;
}

/**
 * The report of several students scored against one teacher (`krs score --student a --student
 * b …`): one report comparing them — the students chart (FSS, AOA, KRS with intervals and null
 * levels), their layers side by side, and the paired differences of every pair in the order
 * given, as sentences.
 */
export function studentsReportInput(
  results: readonly ScoreReportInput['result'][],
  names: readonly string[],
  comparisons: readonly Comparison[],
): DemoReportInput {
  const r = results[0]!;
  return {
    kind: 'demo',
    title: `KRS: ${results.length} students against their teacher`,
    description: [
      `Each student scored against the teacher ${r.teacherFile ?? ''} on the same ${r.n} samples and groups; the differences below are paired (student B − student A, delete-a-group jackknife).`,
      ...comparisons.map(comparisonSentence),
    ],
    ...(r.teacherFile ? { teacher: { label: r.teacherFile } } : {}),
    students: results.map((result, i) => ({ label: names[i]!, result })),
  };
}

export async function scoreReportInput(o: ScoreLikeFlags, result: ScoreReportInput['result'], backendChoice?: string): Promise<ScoreReportInput> {
  const crossLayer = await captureMatrix(o, backendChoice).catch((e: unknown) => {
    if (e instanceof KrsError && e.code !== 'INTERRUPTED') return { warning: `cross-layer heatmap left out: ${e.message}` };
    throw e;
  });
  const regression = taskSpec(result.task).reportSections.includes('forecast') ? await capturePredictions(o) : null;
  const warnings = [...('warning' in crossLayer ? [crossLayer.warning] : []), ...(regression && 'warning' in regression ? [regression.warning] : [])];
  return {
    kind: 'score',
    result: warnings.length ? { ...result, warnings: [...(result.warnings ?? []), ...warnings] } : result,
    crossLayer: 'warning' in crossLayer ? null : crossLayer,
    regression: regression && !('warning' in regression) ? regression : null,
  };
}

/** Regression: both captures' predictions (and targets) for the report's prediction charts; a warning instead when they cannot be read. */
async function capturePredictions(o: {
  teacher: string;
  student: string;
  outputKey?: string;
  ids?: string;
}): Promise<RegressionPredictions | { warning: string }> {
  const [{ openCapture }, { regressionOfCaptures }] = await Promise.all([import('../io/node-capture.js'), import('../report/capture-regression.js')]);
  try {
    return regressionOfCaptures({ teacher: openCapture(o.teacher), student: openCapture(o.student), outputKey: o.outputKey, ids: o.ids });
  } catch (e) {
    return { warning: `prediction charts left out: ${(e as Error).message}` };
  }
}

async function captureMatrix(o: ScoreLikeFlags, backendChoice?: string): Promise<MatrixLike & { warnings: string[] }> {
  const [{ openCapture }, { crossLayerOfCaptures }, { chooseBackend }] = await Promise.all([
    import('../io/node-capture.js'),
    import('../report/capture-cross-layer.js'),
    import('./backend.js'),
  ]);
  const tPath = o.teacherFeatures ?? o.teacher;
  const sPath = o.studentFeatures ?? o.student;
  const teacher = openCapture(tPath);
  const student = openCapture(sPath);
  const backend = await chooseBackend((backendChoice ?? 'auto') as 'auto');
  try {
    const { featureLayers } = await import('../report/capture-cross-layer.js');
    const teacherLayers = networkOrder(tPath, featureLayers(teacher, o.ids ? [o.ids] : []));
    const studentLayers = networkOrder(sPath, featureLayers(student, o.ids ? [o.ids] : []));
    // The checksum passes with stop points (an interrupt acts within a chunk), before the matrix reads the layers.
    const { verifyArrays } = await import('../io/capture.js');
    await verifyArrays(teacher, [...teacherLayers, o.ids]);
    await verifyArrays(student, [...studentLayers, o.ids]);
    return await crossLayerOfCaptures({
      teacher,
      student,
      teacherLayers,
      studentLayers,
      ids: o.ids,
      pool: o.pool as never,
      channelsLast: o.channelsLast,
      backend: backend.backend,
      batchSize: o.batchSize,
    });
  } finally {
    await backend.dispose();
  }
}

/**
 * Layer names in network order as far as the capture tells: a file's own order, but for a
 * folder of .npy files (listed alphabetically) a natural sort, so `layer10` follows `layer9`.
 */
export function networkOrder(path: string, names: readonly string[]): string[] {
  let dir = false;
  try {
    dir = statSync(path).isDirectory();
  } catch {
    dir = false;
  }
  if (!dir) return [...names];
  const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
  return [...names].sort(collator.compare);
}

/**
 * The report input of `krs eval`: the score, its models and data, and the --all-pairs matrix;
 * for regression with --save-captures, the predictions and targets of the saved captures.
 */
export async function evalReportInput(r: EvalResult): Promise<ScoreReportInput> {
  const regression =
    taskSpec(r.task).reportSections.includes('forecast') && r.captures
      ? await capturePredictions({ teacher: r.captures.teacher, student: r.captures.student })
      : null;
  return {
    kind: 'score',
    result: {
      ...r,
      teacherFile: r.teacher.file,
      studentFile: r.student.file,
      ...(regression && 'warning' in regression ? { warnings: [...(r.warnings ?? []), regression.warning] } : {}),
    },
    crossLayer: r.crossLayer,
    models: { teacher: r.teacher, student: r.student, data: `${r.data.name}${r.data.studentName ? ` / ${r.data.studentName}` : ''}` },
    regression: regression && !('warning' in regression) ? regression : null,
  };
}
