/**
 * The tables of an analysis: the same rows feed the readable summary, the Markdown file and
 * the CSV files of `krs analyze`, and the charts of a report (each table is the data behind
 * one chart or section). Cells hold raw values — numbers at full precision, null where a
 * value is undefined or unknown — and each column says how to format them for people.
 *
 * | table              | one row per                 | chart it feeds                       |
 * |--------------------|-----------------------------|--------------------------------------|
 * | experiments        | experiment                  | pre/post KRS bars                    |
 * | tradeoff           | experiment                  | ΔFSS vs ΔAOA (imbalance) bars        |
 * | tasks              | task                        | box plots, correlation, t-tests      |
 * | points             | experiment with a metric    | KRS–metric scatter (CSV only)        |
 * | methods            | KD method                   | the two rankings                     |
 * | kendall            | (one row)                   | ranking agreement                    |
 * | sensitivity        | swept experiment            | best α, value at the preset α        |
 * | sensitivity-curves | (experiment, α)             | KRS(α) curves (CSV only)             |
 * | diagnostics        | finding                     | advice list                          |
 */

import { fixed } from '../core/units.js';
import type { AnalysisResult } from './analyze.js';

/** How a column's values are shown to people (CSV always writes them raw). */
/** `auto`: 4 significant digits (for task metrics of any scale: 92.27, 0.297). */
export type ColumnFormat = 'text' | 'int' | 'num1' | 'num2' | 'num3' | 'auto' | 'p' | 'bool';

export interface Column {
  readonly key: string;
  readonly title: string;
  readonly format: ColumnFormat;
  /** Written to CSV only (e.g. the reasons that the notes already spell out). */
  readonly csvOnly?: boolean;
}

export type Cell = string | number | boolean | null;

export interface AnalysisTable {
  /** File-safe name (CSV file `<name>.csv`). */
  readonly name: string;
  readonly title: string;
  readonly columns: readonly Column[];
  readonly rows: readonly (readonly Cell[])[];
  /** Lines shown under the table (undefined statistics and their reasons, caveats). */
  readonly notes: readonly string[];
  /** Too long for a summary: written as CSV only. */
  readonly csvOnly?: boolean;
}

/**
 * One column declared once: its CSV key, its title for people, its format and how to read its
 * cell from a row's item, so a table's columns and rows cannot drift apart.
 */
interface Field<T> extends Column {
  readonly value: (item: T) => Cell;
}

const field = <T>(key: string, title: string, format: ColumnFormat, value: (item: T) => Cell, csvOnly = false): Field<T> =>
  csvOnly ? { key, title, format, value, csvOnly } : { key, title, format, value };

/** A table whose columns come from `fields` and whose rows are `items` read through them. */
function tableOf<T>(
  head: { name: string; title: string; notes?: readonly string[]; csvOnly?: boolean },
  fields: readonly Field<T>[],
  items: readonly T[],
): AnalysisTable {
  const columns: Column[] = fields.map(({ key, title, format, csvOnly }) => (csvOnly ? { key, title, format, csvOnly } : { key, title, format }));
  const table: AnalysisTable = {
    name: head.name,
    title: head.title,
    columns,
    rows: items.map((item) => fields.map((f) => f.value(item))),
    notes: head.notes ?? [],
  };
  return head.csvOnly ? { ...table, csvOnly: true } : table;
}

/** A p-value for people: 4 decimals, or 3 significant digits in exponent form below 1e-4. */
export function formatP(p: number): string {
  if (p === 0) return '0';
  return p < 1e-4 ? p.toExponential(2) : fixed(p, 4);
}

/** One cell for people: '—' for null, numbers by the column's format. */
export function formatCell(value: Cell, format: ColumnFormat): string {
  if (value === null) return '—';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string') return value;
  switch (format) {
    case 'int':
      return String(value);
    case 'num1':
      return fixed(value, 1);
    case 'num2':
      return fixed(value, 2);
    case 'num3':
      return fixed(value, 3);
    case 'auto':
      return Math.abs(value) >= 1e6 || (value !== 0 && Math.abs(value) < 1e-3) ? value.toExponential(3) : String(Number(value.toPrecision(4)));
    case 'p':
      return formatP(value);
    default:
      return String(value);
  }
}

const ci = (c: readonly [number, number] | null, i: 0 | 1): number | null => (c === null ? null : c[i]);

type Experiment = AnalysisResult['experiments'][number];
type TaskStats = NonNullable<AnalysisResult['tasks'][keyof AnalysisResult['tasks']]>;
type Method = AnalysisResult['methods']['table'][number];
type Kendall = AnalysisResult['methods']['kendall'];
type Swept = AnalysisResult['sensitivity']['experiments'][number];

const experimentFields: readonly Field<Experiment>[] = [
  field('id', 'id', 'text', (e) => e.id),
  field('task', 'task', 'text', (e) => e.task),
  field('method', 'method', 'text', (e) => e.method),
  field('dataset', 'dataset', 'text', (e) => e.dataset),
  field('teacher', 'teacher', 'text', (e) => e.teacher),
  field('student', 'student', 'text', (e) => e.student),
  field('alpha', 'α', 'num2', (e) => e.alpha),
  field('fss_pre', 'FSS pre', 'num1', (e) => e.fssPre),
  field('aoa_pre', 'AOA pre', 'num1', (e) => e.aoaPre),
  field('krs_pre', 'KRS pre', 'num1', (e) => e.krsPre),
  field('fss_post', 'FSS post', 'num1', (e) => e.fssPost),
  field('aoa_post', 'AOA post', 'num1', (e) => e.aoaPost),
  field('krs_post', 'KRS post', 'num1', (e) => e.krsPost),
  field('delta_krs', 'ΔKRS', 'num1', (e) => e.deltaKrs),
  field('metric', 'metric', 'text', (e) => e.metric),
  field('metric_pre', 'metric pre', 'auto', (e) => e.metricPre),
  field('metric_post', 'metric post', 'auto', (e) => e.metricPost),
  field('delta_metric', 'Δmetric', 'auto', (e) => e.deltaMetric),
];

const tradeoffFields: readonly Field<Experiment>[] = [
  field('id', 'id', 'text', (e) => e.id),
  field('task', 'task', 'text', (e) => e.task),
  field('method', 'method', 'text', (e) => e.method),
  field('alpha', 'α', 'num2', (e) => e.alpha),
  field('delta_fss', 'ΔFSS', 'num1', (e) => e.deltaFss),
  field('delta_aoa', 'ΔAOA', 'num1', (e) => e.deltaAoa),
  field('fss_contribution', 'α·ΔFSS', 'num2', (e) => e.tradeoff.fssContribution),
  field('aoa_contribution', 'β·ΔAOA', 'num2', (e) => e.tradeoff.aoaContribution),
  field('predicted_delta_krs', 'predicted ΔKRS', 'num2', (e) => e.tradeoff.predictedDeltaKrs),
  field('observed_delta_krs', 'observed ΔKRS', 'num2', (e) => e.tradeoff.observedDeltaKrs),
  field('dominant', 'dominant', 'text', (e) => e.tradeoff.dominant),
  field('imbalance_ratio', 'imbalance', 'num2', (e) => e.tradeoff.imbalanceRatio),
  field('conflict', 'conflict', 'bool', (e) => e.tradeoff.conflict),
];

const taskFields: readonly Field<TaskStats>[] = [
  field('task', 'task', 'text', (t) => t.task),
  field('n', 'n', 'int', (t) => t.n),
  field('alpha', 'α', 'text', (t) => t.alphas.join(' / ')),
  field('metric', 'metric', 'text', (t) => t.metrics.join(' / ') || null),
  field('pearson_n', 'n (r)', 'int', (t) => t.pearson.n),
  field('pearson_r', 'r', 'num3', (t) => t.pearson.r),
  field('pearson_p', 'p (r)', 'p', (t) => t.pearson.p),
  field('t', 't', 'num2', (t) => t.pairedT.t),
  field('df', 'df', 'int', (t) => t.pairedT.df),
  field('t_p', 'p (t)', 'p', (t) => t.pairedT.p),
  field('pre_mean', 'pre mean', 'num2', (t) => t.pre.mean),
  field('pre_ci_low', 'pre CI low', 'num2', (t) => ci(t.pre.ci95, 0)),
  field('pre_ci_high', 'pre CI high', 'num2', (t) => ci(t.pre.ci95, 1)),
  field('post_mean', 'post mean', 'num2', (t) => t.post.mean),
  field('post_ci_low', 'post CI low', 'num2', (t) => ci(t.post.ci95, 0)),
  field('post_ci_high', 'post CI high', 'num2', (t) => ci(t.post.ci95, 1)),
  field('pearson_reason', 'r undefined because', 'text', (t) => t.pearson.reason, true),
  field('t_reason', 't undefined because', 'text', (t) => t.pairedT.reason, true),
  field('pre_reason', 'pre CI undefined because', 'text', (t) => t.pre.reason, true),
  field('post_reason', 'post CI undefined because', 'text', (t) => t.post.reason, true),
];

type Point = { task: string; id: string; krs: number; metric: number };
const pointFields: readonly Field<Point>[] = [
  field('task', 'task', 'text', (p) => p.task),
  field('id', 'id', 'text', (p) => p.id),
  field('krs_post', 'KRS post', 'num2', (p) => p.krs),
  field('metric_post', 'metric post', 'auto', (p) => p.metric),
];

const methodFields: readonly Field<Method>[] = [
  field('method', 'method', 'text', (m) => m.method),
  field('tasks', 'tasks', 'text', (m) => m.tasks.join(' / ')),
  field('n', 'n', 'int', (m) => m.n),
  field('mean_metric_gain', 'mean metric gain', 'auto', (m) => m.meanMetricGain),
  field('rank_by_metric', 'rank (metric)', 'int', (m) => m.rankByMetric),
  field('mean_delta_krs', 'mean ΔKRS', 'num2', (m) => m.meanDeltaKrs),
  field('rank_by_krs', 'rank (KRS)', 'int', (m) => m.rankByKrs),
  field('delta_krs_ci_low', 'ΔKRS CI low', 'num2', (m) => ci(m.deltaKrsCi95, 0)),
  field('delta_krs_ci_high', 'ΔKRS CI high', 'num2', (m) => ci(m.deltaKrsCi95, 1)),
];

const kendallFields: readonly Field<Kendall>[] = [
  field('n', 'methods', 'int', (k) => k.n),
  field('tau', 'τ-b', 'num3', (k) => k.tau),
  field('p', 'p', 'p', (k) => k.p),
  field('method', 'p-value', 'text', (k) => k.method),
  field('reason', 'undefined because', 'text', (k) => k.reason),
];

const sensitivityFields: readonly Field<Swept>[] = [
  field('id', 'id', 'text', (s) => s.id),
  field('task', 'task', 'text', (s) => s.task),
  field('method', 'method', 'text', (s) => s.method),
  field('on', 'swept', 'text', (s) => (s.on === 'post' ? 'KRS post' : 'ΔKRS')),
  field('alpha', 'α', 'num2', (s) => s.alpha),
  field('at_alpha', 'at α', 'num2', (s) => s.atAlpha),
  field('preset_alpha', 'preset α', 'num2', (s) => s.presetAlpha),
  field('at_preset', 'at preset', 'num2', (s) => s.atPreset),
  field('best_alpha', 'best α', 'num2', (s) => s.best?.alpha ?? null),
  field('best', 'at best', 'num2', (s) => s.best?.krs ?? null),
  field('worst_alpha', 'worst α', 'num2', (s) => s.worst?.alpha ?? null),
  field('worst', 'at worst', 'num2', (s) => s.worst?.krs ?? null),
  field('slope', 'slope', 'num2', (s) => s.slope),
];

type CurvePoint = { id: string; on: string; alpha: number; krs: number };
const curveFields: readonly Field<CurvePoint>[] = [
  field('id', 'id', 'text', (p) => p.id),
  field('on', 'swept', 'text', (p) => p.on),
  field('alpha', 'α', 'num2', (p) => p.alpha),
  field('krs', 'KRS', 'num2', (p) => p.krs),
];

type Finding = { id: string; method: string; fssLevel: string | null; aoaLevel: string | null; code: string; severity: string; message: string };
const diagnosticFields: readonly Field<Finding>[] = [
  field('id', 'id', 'text', (f) => f.id),
  field('method', 'method', 'text', (f) => f.method),
  field('fss_level', 'FSS', 'text', (f) => f.fssLevel),
  field('aoa_level', 'AOA', 'text', (f) => f.aoaLevel),
  field('code', 'finding', 'text', (f) => f.code),
  field('severity', 'severity', 'text', (f) => f.severity),
  field('message', 'advice', 'text', (f) => f.message),
];

/** The notes under the per-task table: each undefined statistic with its reason, the exclusions. */
function taskNotes(tasks: readonly TaskStats[]): string[] {
  const notes: string[] = [];
  for (const t of tasks) {
    if (t.n === 0) {
      notes.push(`${t.task}: no experiment with KRS before and after KD, so no statistics (gains-only: ${t.excluded.map((x) => x.id).join(', ')})`);
      continue;
    }
    if (t.pearson.reason) notes.push(`${t.task}: Pearson r undefined — ${t.pearson.reason}`);
    if (t.pairedT.reason) notes.push(`${t.task}: paired t-test undefined — ${t.pairedT.reason}`);
    if (t.pre.reason) notes.push(`${t.task}: pre-KD 95% CI undefined — ${t.pre.reason}`);
    if (t.post.reason) notes.push(`${t.task}: post-KD 95% CI undefined — ${t.post.reason}`);
    const byReason = new Map<string, string[]>();
    for (const x of t.excluded) byReason.set(x.reason, [...(byReason.get(x.reason) ?? []), x.id]);
    for (const [reason, ids] of byReason) notes.push(`${t.task}: ${reason}: ${ids.join(', ')}`);
    for (const n of t.notes) notes.push(`${t.task}: ${n}`);
  }
  return notes;
}

function kendallNote(k: Kendall): string {
  return k.reason === null
    ? `Kendall's τ-b between the rankings: τ = ${fixed(k.tau!, 3)}, p = ${formatP(k.p!)} (${k.method}, ${k.n} methods)`
    : `Kendall's τ-b undefined — ${k.reason}`;
}

/** The experiment-level tables: KRS before and after KD, and the ΔFSS/ΔAOA trade-off. */
function experimentTables(r: AnalysisResult): AnalysisTable[] {
  const gainsOnly = r.experiments.filter((e) => e.gainsOnly).map((e) => `${e.id}: only the gains are given; ΔKRS = α·ΔFSS + β·ΔAOA`);
  return [
    tableOf({ name: 'experiments', title: 'Experiments: KRS before and after KD', notes: gainsOnly }, experimentFields, r.experiments),
    tableOf({ name: 'tradeoff', title: 'Trade-off: ΔKRS = α·ΔFSS + β·ΔAOA' }, tradeoffFields, r.experiments),
  ];
}

/** The per-task statistics and the correlation points behind them. */
function taskTables(r: AnalysisResult): AnalysisTable[] {
  const tasks = Object.values(r.tasks).filter((t): t is TaskStats => !!t);
  const points = tasks.flatMap((t) => t.points.map((p) => ({ ...p, task: t.task })));
  return [
    tableOf(
      { name: 'tasks', title: 'Per task: correlation with the task metric, paired t-test, means with 95% CIs', notes: taskNotes(tasks) },
      taskFields,
      tasks,
    ),
    tableOf({ name: 'points', title: 'Correlation points: post-KD KRS and metric', csvOnly: true }, pointFields, points),
  ];
}

/** The KD methods ranked by ΔKRS, and Kendall's τ-b between the two rankings. */
function methodTables(r: AnalysisResult): AnalysisTable[] {
  const k = r.methods.kendall;
  const ranked = [...r.methods.table].sort((a, b) => a.rankByKrs - b.rankByKrs);
  return [
    tableOf({ name: 'methods', title: 'KD methods: mean gains and rankings', notes: [kendallNote(k)] }, methodFields, ranked),
    tableOf({ name: 'kendall', title: "Kendall's τ-b between the rankings by metric gain and by ΔKRS", csvOnly: true }, kendallFields, [k]),
  ];
}

/** The α-sensitivity summary per swept experiment and its curves. */
function sensitivityTables(r: AnalysisResult): AnalysisTable[] {
  const swept = r.sensitivity.experiments;
  const flat = swept.filter((s) => s.flat).map((s) => `${s.id}: FSS = AOA, so KRS does not depend on α (no best α)`);
  const curves = swept.flatMap((s) => s.points.map((p) => ({ id: s.id, on: s.on, alpha: p.alpha, krs: p.krs })));
  return [
    tableOf({ name: 'sensitivity', title: `α-sensitivity: KRS(α) for α = 0 … 1 in steps of ${r.sensitivity.step}`, notes: flat }, sensitivityFields, swept),
    tableOf({ name: 'sensitivity-curves', title: 'α-sensitivity curves', csvOnly: true }, curveFields, curves),
  ];
}

/** One row per diagnostic finding. */
function diagnosticsTable(r: AnalysisResult): AnalysisTable {
  const t = r.diagnostics.thresholds;
  const findings = r.diagnostics.experiments.flatMap((d) =>
    d.findings.map((f) => ({ id: d.id, method: d.method, fssLevel: d.fssLevel, aoaLevel: d.aoaLevel, code: f.code, severity: f.severity, message: f.message })),
  );
  return tableOf({ name: 'diagnostics', title: `Diagnostics (low < ${t.low}, high ≥ ${t.high}, gap ≥ ${t.gap})` }, diagnosticFields, findings);
}

/** Every table of an analysis, in reading order. */
export function analysisTables(r: AnalysisResult): AnalysisTable[] {
  return [...experimentTables(r), ...taskTables(r), ...methodTables(r), ...sensitivityTables(r), diagnosticsTable(r)];
}
