/**
 * Charts of a regression or forecasting score, as a forecaster reads one: the student's
 * predictions against the teacher's with the identity line (`regression-scatter`), the
 * residuals over the sample order (`regression-residuals`: student − teacher, and against the
 * truth when targets are given), and the error by horizon step when each sample forecasts
 * several steps (`regression-horizon`).
 *
 * Input: {@link RegressionPredictions}, the prediction arrays of both models (n × horizon,
 * sample-major), sample order = time order. Large n is decimated (every k-th sample, stated
 * in the chart's subtitle and caption); the statistics (RMSE by step) use every sample.
 */
import type { TopLevelSpec } from 'vega-lite';
import { type Cell, type Chart, col, exact, round } from '../chart.js';
import type { ReportSection } from '../document.js';
import { fmt, fmtSig } from '../format.js';
import { COLORS, CONFIG } from '../theme.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** A numeric array as the report takes it. */
export type Numbers = Float64Array | Float32Array | readonly number[];

/**
 * What the regression charts need: both models' predictions on the same samples, in sample
 * (time) order, row-major n × (horizon × targets). `horizon` is the number of forecast steps
 * per sample (1 for one-step predictions); the values of one step (one target or several)
 * follow each other.
 */
export interface RegressionPredictions {
  teacher: Numbers;
  student: Numbers;
  /** Forecast steps per sample (predictions of shape [n, horizon] or [n, horizon, targets]); default 1. */
  horizon?: number;
  /** The true values, same shape, when known (e.g. a capture's `targets`). */
  truth?: Numbers | null;
  /** Sample ids in the same order, for tooltips and tables. */
  ids?: readonly string[] | null;
  /** Number of samples (default: the ids' count, else values / horizon: one target per step). */
  samples?: number;
  /** Where the arrays came from, for the caption (e.g. "'predictions' of both captures, 'targets' of the teacher's"). */
  source?: string;
}

/** Points drawn at most per chart; more samples are decimated (every k-th). */
export const MAX_POINTS = 1200;

/** The checked shape of a {@link RegressionPredictions}: n samples, `horizon` steps of `width` values each. */
export interface RegressionShape {
  n: number;
  horizon: number;
  /** Values per step (targets). */
  width: number;
  hasTruth: boolean;
}

/** n, horizon and width, checking that the arrays agree. @throws Error when they do not. */
export function regressionShape(p: RegressionPredictions): RegressionShape {
  const horizon = p.horizon ?? 1;
  const len = p.teacher.length;
  if (p.student.length !== len) throw new Error(`regression report: teacher has ${len} values, student ${p.student.length}`);
  if (!Number.isInteger(horizon) || horizon < 1) throw new Error(`regression report: horizon ${horizon} is not a positive integer`);
  const n = p.samples ?? (p.ids ? p.ids.length : len / horizon);
  if (!Number.isInteger(n) || n < 1 || len % n !== 0 || (len / n) % horizon !== 0) {
    throw new Error(`regression report: ${len} values do not make ${n} samples × ${horizon} steps`);
  }
  const hasTruth = !!p.truth && p.truth.length === len;
  return { n, horizon, width: len / n / horizon, hasTruth };
}

/** Every k-th of n samples so that at most `max` are kept: k and the kept indices. */
export function decimate(n: number, max = MAX_POINTS): { stride: number; rows: number[] } {
  const stride = Math.max(1, Math.ceil(n / max));
  const rows: number[] = [];
  for (let i = 0; i < n; i += stride) rows.push(i);
  return { stride, rows };
}

const decimationNote = (n: number, stride: number, kept: number) => (stride > 1 ? `every ${stride}th of ${n} samples drawn (${kept})` : `all ${n} samples`);

/** The mean over a step's values of sample i, step s. */
function stepMean(a: Numbers, sh: RegressionShape, i: number, s: number): number {
  const base = (i * sh.horizon + s) * sh.width;
  let sum = 0;
  for (let k = 0; k < sh.width; k++) sum += a[base + k]!;
  return sum / sh.width;
}

/** RMSE of a − b by step, over every sample and value of the step. */
export function rmseByStep(a: Numbers, b: Numbers, sh: RegressionShape): number[] {
  const out: number[] = [];
  for (let s = 0; s < sh.horizon; s++) {
    let sum = 0;
    for (let i = 0; i < sh.n; i++) {
      const base = (i * sh.horizon + s) * sh.width;
      for (let k = 0; k < sh.width; k++) sum += (a[base + k]! - b[base + k]!) ** 2;
    }
    out.push(Math.sqrt(sum / (sh.n * sh.width)));
  }
  return out;
}

/** A nice common domain for both axes of the scatter. */
function commonDomain(values: number[]): [number, number] {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const pad = (hi - lo || Math.abs(hi) || 1) * 0.04;
  return [round(lo - pad, 4)!, round(hi + pad, 4)!];
}

const stepLabel = (s: number) => `step ${s + 1}`;

/** Student against teacher predictions, one dot per (sample, step), with the identity line. */
export function regressionScatterChart(p: RegressionPredictions): Chart {
  const sh = regressionShape(p);
  const { stride, rows: kept } = decimate(sh.n, Math.max(1, Math.floor(MAX_POINTS / (sh.horizon * sh.width))));
  const rows = scatterRows(p, sh, kept);
  const domain = commonDomain(rows.flatMap((r) => [r.teacher as number, r.student as number]));
  const multi = sh.horizon > 1;
  const steps = Array.from({ length: sh.horizon }, (_, s) => stepLabel(s));
  const note = decimationNote(sh.n, stride, kept.length);
  const spec = scatterSpec(rows, domain, multi, steps, note);
  return {
    id: 'regression-scatter',
    title: 'Student against teacher predictions',
    caption: `Each dot is one prediction: the teacher's on the x axis, the student's on the y axis, on the same scale; on the dashed diagonal they are equal. Dots above it are where the student predicts higher than the teacher.${stride > 1 ? ` For legibility every ${stride}th sample is drawn (${kept.length} of ${sh.n}); the table lists those drawn.` : ''}`,
    spec,
    table: {
      columns: [
        col('sample', 'sample'),
        ...(multi ? [col('step', 'horizon step')] : []),
        ...(sh.width > 1 ? [col('target', 'target', 0)] : []),
        col('teacher', 'teacher', 4),
        col('student', 'student', 4),
      ],
      rows,
    },
  };
}

/** One row per kept sample, horizon step and target: the two predictions. */
function scatterRows(p: RegressionPredictions, sh: ReturnType<typeof regressionShape>, kept: readonly number[]): Record<string, Cell>[] {
  const rows: Record<string, Cell>[] = [];
  for (const i of kept)
    for (let s = 0; s < sh.horizon; s++)
      for (let k = 0; k < sh.width; k++) {
        const j = (i * sh.horizon + s) * sh.width + k;
        rows.push({
          sample: p.ids?.[i] ?? String(i),
          step: stepLabel(s),
          ...(sh.width > 1 ? { target: k + 1 } : {}),
          teacher: exact(p.teacher[j]!),
          student: exact(p.student[j]!),
        });
      }
  return rows;
}

/** The spec of {@link regressionScatterChart}: the identity line and the dots, coloured by step when several. */
function scatterSpec(rows: Record<string, Cell>[], domain: [number, number], multi: boolean, steps: string[], note: string): TopLevelSpec {
  const x = { field: 'teacher', type: 'quantitative' as const, scale: { domain, nice: false, zero: false }, title: "teacher's prediction" };
  const y = { field: 'student', type: 'quantitative' as const, scale: { domain, nice: false, zero: false }, title: "student's prediction" };
  return {
    $schema: SCHEMA,
    config: CONFIG,
    title: {
      text: 'Student against teacher predictions',
      subtitle: `one dot per sample${multi ? ' and horizon step' : ''}; diagonal: identical predictions; ${note}`,
    },
    width: 320,
    height: 320,
    layer: [
      {
        data: { values: [{ v: domain[0] }, { v: domain[1] }] },
        mark: { type: 'line', color: COLORS.rule, strokeDash: [5, 3], strokeWidth: 1 },
        encoding: { x: { ...x, field: 'v' }, y: { ...y, field: 'v' } },
      },
      {
        data: { values: rows },
        mark: { type: 'point', filled: true, size: 14, opacity: 0.55 },
        encoding: {
          x,
          y,
          ...(multi
            ? {
                color: {
                  field: 'step',
                  type: 'ordinal' as const,
                  sort: steps,
                  scale: { domain: steps, scheme: 'viridis' },
                  legend: { title: 'horizon step', orient: 'right' as const },
                },
              }
            : { color: { value: COLORS.fss } }),
          tooltip: [
            { field: 'sample', title: 'sample' },
            ...(multi ? [{ field: 'step', title: 'step' }] : []),
            { field: 'teacher', title: 'teacher', format: '.4g' },
            { field: 'student', title: 'student', format: '.4g' },
          ],
        },
      },
    ],
  };
}

/** Residuals over the sample order: student − teacher, and student − truth, teacher − truth when targets are given. */
export function regressionResidualChart(p: RegressionPredictions): Chart {
  const sh = regressionShape(p);
  const { stride, rows: kept } = decimate(sh.n);
  const series = ['student − teacher', ...(sh.hasTruth ? ['student − truth', 'teacher − truth'] : [])];
  const colours = [COLORS.krs, COLORS.aoa, COLORS.pre];
  const rows: Record<string, Cell>[] = [];
  const table: Record<string, Cell>[] = [];
  for (const i of kept) {
    const t = stepMean(p.teacher, sh, i, 0);
    const s = stepMean(p.student, sh, i, 0);
    const y = sh.hasTruth ? stepMean(p.truth!, sh, i, 0) : null;
    const sample = p.ids?.[i] ?? String(i);
    const values = [s - t, ...(y === null ? [] : [s - y, t - y])];
    values.forEach((v, k) => {
      rows.push({ index: i, sample, series: series[k]!, residual: exact(v) });
    });
    table.push({
      index: i,
      sample,
      diff: exact(s - t),
      ...(y === null ? {} : { studentErr: exact(s - y), teacherErr: exact(t - y) }),
    });
  }
  const note = decimationNote(sh.n, stride, kept.length);
  const first = sh.horizon > 1 ? ' (first horizon step)' : '';
  const spec: TopLevelSpec = {
    $schema: SCHEMA,
    config: CONFIG,
    title: {
      text: 'Residuals over the samples',
      subtitle: `${series.join(', ')}${first}${sh.width > 1 ? ', averaged over targets' : ''}, in sample order; ${note}`,
    },
    width: 520,
    height: 220,
    layer: [
      { data: { values: [{ zero: 0 }] }, mark: { type: 'rule', color: COLORS.rule }, encoding: { y: { field: 'zero', type: 'quantitative' } } },
      {
        data: { values: rows },
        mark: { type: 'line', strokeWidth: 1.2, opacity: 0.9 },
        encoding: {
          x: { field: 'index', type: 'quantitative', title: 'sample (in capture order)', scale: { nice: false } },
          y: { field: 'residual', type: 'quantitative', title: 'residual (output units)' },
          color: seriesColour(series, colours),
          tooltip: [
            { field: 'sample', title: 'sample' },
            { field: 'series', title: 'residual' },
            { field: 'residual', title: 'value', format: '.4g' },
          ],
        },
      },
    ],
  };
  return {
    id: 'regression-residuals',
    title: 'Residuals over the samples',
    caption: `The student's prediction minus the teacher's${sh.hasTruth ? ', and each model minus the truth' : ''}${first}, sample by sample in the order of the captures (time order for a forecast): a drift, a level shift or a seasonal pattern shows where the student departs from its teacher.${sh.hasTruth ? '' : ' No targets were given, so there are no errors against the truth.'}${stride > 1 ? ` Every ${stride}th sample is drawn (${kept.length} of ${sh.n}).` : ''}`,
    spec,
    table: {
      columns: [
        col('index', 'sample #', 0),
        col('sample', 'sample id'),
        col('diff', 'student − teacher', 4),
        ...(sh.hasTruth ? [col('studentErr', 'student − truth', 4), col('teacherErr', 'teacher − truth', 4)] : []),
      ],
      rows: table,
    },
  };
}

/** RMSE by horizon step: student vs teacher, and each against the truth when given. Only for horizon > 1. */
export function regressionHorizonChart(p: RegressionPredictions): Chart {
  const sh = regressionShape(p);
  const vsTeacher = rmseByStep(p.student, p.teacher, sh);
  const studentErr = sh.hasTruth ? rmseByStep(p.student, p.truth!, sh) : null;
  const teacherErr = sh.hasTruth ? rmseByStep(p.teacher, p.truth!, sh) : null;
  const series = ['student vs teacher', ...(sh.hasTruth ? ['student vs truth', 'teacher vs truth'] : [])];
  const colours = [COLORS.krs, COLORS.aoa, COLORS.pre];
  const rows: Record<string, Cell>[] = [];
  const table: Record<string, Cell>[] = [];
  for (let s = 0; s < sh.horizon; s++) {
    const vals = [vsTeacher[s]!, ...(studentErr ? [studentErr[s]!, teacherErr![s]!] : [])];
    vals.forEach((v, k) => {
      rows.push({ step: s + 1, series: series[k]!, rmse: exact(v), text: fmtSig(v, 3) });
    });
    table.push({
      step: s + 1,
      vsTeacher: exact(vsTeacher[s]),
      ...(studentErr ? { student: exact(studentErr[s]), teacher: exact(teacherErr![s]) } : {}),
    });
  }
  const x = { field: 'step', type: 'ordinal' as const, title: 'horizon step (1 = next)', axis: { labelAngle: 0 } };
  const spec: TopLevelSpec = {
    $schema: SCHEMA,
    config: CONFIG,
    title: { text: 'Error by horizon step', subtitle: `RMSE over all ${sh.n} samples at each step of the ${sh.horizon}-step forecast` },
    width: { step: Math.max(40, Math.min(80, Math.floor(420 / sh.horizon))) },
    height: 220,
    data: { values: rows },
    layer: [
      {
        mark: { type: 'line', point: { filled: true, size: 45 }, strokeWidth: 2 },
        encoding: {
          x,
          y: { field: 'rmse', type: 'quantitative', title: 'RMSE (output units)', scale: { zero: true } },
          color: seriesColour(series, colours),
          tooltip: [
            { field: 'step', title: 'step' },
            { field: 'series', title: 'RMSE of' },
            { field: 'text', title: 'RMSE' },
          ],
        },
      },
    ],
  };
  const last = sh.horizon - 1;
  return {
    id: 'regression-horizon',
    title: 'Error by horizon step',
    caption: `How far the student is from the teacher at each forecast step (RMSE, output units)${sh.hasTruth ? ', and how far each is from the truth' : ''}: forecasts usually get worse with the horizon, and a student that imitates the teacher well at step 1 may drift at step ${sh.horizon}. Student vs teacher: ${fmtSig(vsTeacher[0]!, 3)} at step 1, ${fmtSig(vsTeacher[last]!, 3)} at step ${sh.horizon}.`,
    spec,
    table: {
      columns: [
        col('step', 'horizon step', 0),
        col('vsTeacher', 'RMSE student vs teacher', 4),
        ...(sh.hasTruth ? [col('student', 'RMSE student vs truth', 4), col('teacher', 'RMSE teacher vs truth', 4)] : []),
      ],
      rows: table,
    },
  };
}

/** The regression charts that apply: the scatter and residuals always, the horizon chart when horizon > 1. */
export function regressionCharts(p: RegressionPredictions): Chart[] {
  const sh = regressionShape(p);
  return [regressionScatterChart(p), regressionResidualChart(p), ...(sh.horizon > 1 ? [regressionHorizonChart(p)] : [])];
}

/** One sentence for the report's reading: the errors against the truth when known. */
function regressionSentence(p: RegressionPredictions): string | null {
  const sh = regressionShape(p);
  if (!sh.hasTruth) return null;
  const all = (a: Numbers) => {
    let sum = 0;
    for (let j = 0; j < a.length; j++) sum += (a[j]! - p.truth![j]!) ** 2;
    return Math.sqrt(sum / a.length);
  };
  const t = all(p.teacher);
  const s = all(p.student);
  return `Against the targets, over all ${sh.n} samples${sh.horizon > 1 ? ` and ${sh.horizon} steps` : ''}: RMSE ${fmtSig(t, 4)} for the teacher and ${fmtSig(s, 4)} for the student (${s >= t ? `${fmt(((s - t) / (t || 1)) * 100, 1)}% higher` : `${fmt(((t - s) / (t || 1)) * 100, 1)}% lower`}).`;
}

/** The regression section of a score report (per task: moves into the regression task spec). */
export function regressionSection(p: RegressionPredictions): ReportSection {
  const sh = regressionShape(p);
  return {
    id: 'predictions',
    title: 'Predictions',
    intro: `The two models' predictions side by side${p.source ? ` (${p.source})` : ''}: ${sh.n} samples${sh.horizon > 1 ? `, ${sh.horizon} forecast steps each` : ''}${sh.width > 1 ? `, ${sh.width} targets per step` : ''}.${regressionSentence(p) ? ` ${regressionSentence(p)}` : ''}`,
    charts: regressionCharts(p),
  };
}

/** The colour encoding of the named series, in their order, with the legend on top. */
function seriesColour(series: readonly string[], colours: readonly string[]) {
  return {
    field: 'series',
    type: 'nominal' as const,
    sort: [...series],
    scale: { domain: [...series], range: colours.slice(0, series.length) },
    legend: { title: null, orient: 'top' as const },
  };
}
