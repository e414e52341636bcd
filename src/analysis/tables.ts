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
import type { AnalysisResult } from './analyze.js';
import { fixed } from '../core/units.js';

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

const col = (key: string, title: string, format: ColumnFormat, csvOnly = false): Column => (csvOnly ? { key, title, format, csvOnly } : { key, title, format });

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

/** Every table of an analysis, in reading order. */
export function analysisTables(r: AnalysisResult): AnalysisTable[] {
  const tables: AnalysisTable[] = [];

  tables.push({
    name: 'experiments',
    title: 'Experiments: KRS before and after KD',
    columns: [
      col('id', 'id', 'text'),
      col('task', 'task', 'text'),
      col('method', 'method', 'text'),
      col('dataset', 'dataset', 'text'),
      col('teacher', 'teacher', 'text'),
      col('student', 'student', 'text'),
      col('alpha', 'α', 'num2'),
      col('fss_pre', 'FSS pre', 'num1'),
      col('aoa_pre', 'AOA pre', 'num1'),
      col('krs_pre', 'KRS pre', 'num1'),
      col('fss_post', 'FSS post', 'num1'),
      col('aoa_post', 'AOA post', 'num1'),
      col('krs_post', 'KRS post', 'num1'),
      col('delta_krs', 'ΔKRS', 'num1'),
      col('metric', 'metric', 'text'),
      col('metric_pre', 'metric pre', 'auto'),
      col('metric_post', 'metric post', 'auto'),
      col('delta_metric', 'Δmetric', 'auto'),
    ],
    rows: r.experiments.map((e) => [
      e.id,
      e.task,
      e.method,
      e.dataset,
      e.teacher,
      e.student,
      e.alpha,
      e.fssPre,
      e.aoaPre,
      e.krsPre,
      e.fssPost,
      e.aoaPost,
      e.krsPost,
      e.deltaKrs,
      e.metric,
      e.metricPre,
      e.metricPost,
      e.deltaMetric,
    ]),
    notes: r.experiments.filter((e) => e.gainsOnly).map((e) => `${e.id}: only the gains are given; ΔKRS = α·ΔFSS + β·ΔAOA`),
  });

  tables.push({
    name: 'tradeoff',
    title: 'Trade-off: ΔKRS = α·ΔFSS + β·ΔAOA',
    columns: [
      col('id', 'id', 'text'),
      col('task', 'task', 'text'),
      col('method', 'method', 'text'),
      col('alpha', 'α', 'num2'),
      col('delta_fss', 'ΔFSS', 'num1'),
      col('delta_aoa', 'ΔAOA', 'num1'),
      col('fss_contribution', 'α·ΔFSS', 'num2'),
      col('aoa_contribution', 'β·ΔAOA', 'num2'),
      col('predicted_delta_krs', 'predicted ΔKRS', 'num2'),
      col('observed_delta_krs', 'observed ΔKRS', 'num2'),
      col('dominant', 'dominant', 'text'),
      col('imbalance_ratio', 'imbalance', 'num2'),
      col('conflict', 'conflict', 'bool'),
    ],
    rows: r.experiments.map((e) => [
      e.id,
      e.task,
      e.method,
      e.alpha,
      e.deltaFss,
      e.deltaAoa,
      e.tradeoff.fssContribution,
      e.tradeoff.aoaContribution,
      e.tradeoff.predictedDeltaKrs,
      e.tradeoff.observedDeltaKrs,
      e.tradeoff.dominant,
      e.tradeoff.imbalanceRatio,
      e.tradeoff.conflict,
    ]),
    notes: [],
  });

  const taskNotes: string[] = [];
  const taskRows: Cell[][] = [];
  for (const t of Object.values(r.tasks)) {
    if (!t) continue;
    taskRows.push([
      t.task,
      t.n,
      t.alphas.join(' / '),
      t.metrics.join(' / ') || null,
      t.pearson.n,
      t.pearson.r,
      t.pearson.p,
      t.pairedT.t,
      t.pairedT.df,
      t.pairedT.p,
      t.pre.mean,
      ci(t.pre.ci95, 0),
      ci(t.pre.ci95, 1),
      t.post.mean,
      ci(t.post.ci95, 0),
      ci(t.post.ci95, 1),
      t.pearson.reason,
      t.pairedT.reason,
      t.pre.reason,
      t.post.reason,
    ]);
    if (t.n === 0) {
      taskNotes.push(`${t.task}: no experiment with KRS before and after KD, so no statistics (gains-only: ${t.excluded.map((x) => x.id).join(', ')})`);
      continue;
    }
    if (t.pearson.reason) taskNotes.push(`${t.task}: Pearson r undefined — ${t.pearson.reason}`);
    if (t.pairedT.reason) taskNotes.push(`${t.task}: paired t-test undefined — ${t.pairedT.reason}`);
    if (t.pre.reason) taskNotes.push(`${t.task}: pre-KD 95% CI undefined — ${t.pre.reason}`);
    if (t.post.reason) taskNotes.push(`${t.task}: post-KD 95% CI undefined — ${t.post.reason}`);
    const byReason = new Map<string, string[]>();
    for (const x of t.excluded) byReason.set(x.reason, [...(byReason.get(x.reason) ?? []), x.id]);
    for (const [reason, ids] of byReason) taskNotes.push(`${t.task}: ${reason}: ${ids.join(', ')}`);
    for (const n of t.notes) taskNotes.push(`${t.task}: ${n}`);
  }
  tables.push({
    name: 'tasks',
    title: 'Per task: correlation with the task metric, paired t-test, means with 95% CIs',
    columns: [
      col('task', 'task', 'text'),
      col('n', 'n', 'int'),
      col('alpha', 'α', 'text'),
      col('metric', 'metric', 'text'),
      col('pearson_n', 'n (r)', 'int'),
      col('pearson_r', 'r', 'num3'),
      col('pearson_p', 'p (r)', 'p'),
      col('t', 't', 'num2'),
      col('df', 'df', 'int'),
      col('t_p', 'p (t)', 'p'),
      col('pre_mean', 'pre mean', 'num2'),
      col('pre_ci_low', 'pre CI low', 'num2'),
      col('pre_ci_high', 'pre CI high', 'num2'),
      col('post_mean', 'post mean', 'num2'),
      col('post_ci_low', 'post CI low', 'num2'),
      col('post_ci_high', 'post CI high', 'num2'),
      col('pearson_reason', 'r undefined because', 'text', true),
      col('t_reason', 't undefined because', 'text', true),
      col('pre_reason', 'pre CI undefined because', 'text', true),
      col('post_reason', 'post CI undefined because', 'text', true),
    ],
    rows: taskRows,
    notes: taskNotes,
  });

  tables.push({
    name: 'points',
    title: 'Correlation points: post-KD KRS and metric',
    columns: [col('task', 'task', 'text'), col('id', 'id', 'text'), col('krs_post', 'KRS post', 'num2'), col('metric_post', 'metric post', 'auto')],
    rows: Object.values(r.tasks).flatMap((t) => (t ? t.points.map((p) => [t.task, p.id, p.krs, p.metric]) : [])),
    notes: [],
    csvOnly: true,
  });

  const k = r.methods.kendall;
  tables.push({
    name: 'methods',
    title: 'KD methods: mean gains and rankings',
    columns: [
      col('method', 'method', 'text'),
      col('tasks', 'tasks', 'text'),
      col('n', 'n', 'int'),
      col('mean_metric_gain', 'mean metric gain', 'auto'),
      col('rank_by_metric', 'rank (metric)', 'int'),
      col('mean_delta_krs', 'mean ΔKRS', 'num2'),
      col('rank_by_krs', 'rank (KRS)', 'int'),
      col('delta_krs_ci_low', 'ΔKRS CI low', 'num2'),
      col('delta_krs_ci_high', 'ΔKRS CI high', 'num2'),
    ],
    rows: [...r.methods.table]
      .sort((a, b) => a.rankByKrs - b.rankByKrs)
      .map((m) => [
        m.method,
        m.tasks.join(' / '),
        m.n,
        m.meanMetricGain,
        m.rankByMetric,
        m.meanDeltaKrs,
        m.rankByKrs,
        ci(m.deltaKrsCi95, 0),
        ci(m.deltaKrsCi95, 1),
      ]),
    notes: [
      k.reason === null
        ? `Kendall's τ-b between the rankings: τ = ${fixed(k.tau!, 3)}, p = ${formatP(k.p!)} (${k.method}, ${k.n} methods)`
        : `Kendall's τ-b undefined — ${k.reason}`,
    ],
  });

  tables.push({
    name: 'kendall',
    title: "Kendall's τ-b between the rankings by metric gain and by ΔKRS",
    columns: [
      col('n', 'methods', 'int'),
      col('tau', 'τ-b', 'num3'),
      col('p', 'p', 'p'),
      col('method', 'p-value', 'text'),
      col('reason', 'undefined because', 'text'),
    ],
    rows: [[k.n, k.tau, k.p, k.method, k.reason]],
    notes: [],
    csvOnly: true,
  });

  tables.push({
    name: 'sensitivity',
    title: `α-sensitivity: KRS(α) for α = 0 … 1 in steps of ${r.sensitivity.step}`,
    columns: [
      col('id', 'id', 'text'),
      col('task', 'task', 'text'),
      col('method', 'method', 'text'),
      col('on', 'swept', 'text'),
      col('alpha', 'α', 'num2'),
      col('at_alpha', 'at α', 'num2'),
      col('preset_alpha', 'preset α', 'num2'),
      col('at_preset', 'at preset', 'num2'),
      col('best_alpha', 'best α', 'num2'),
      col('best', 'at best', 'num2'),
      col('worst_alpha', 'worst α', 'num2'),
      col('worst', 'at worst', 'num2'),
      col('slope', 'slope', 'num2'),
    ],
    rows: r.sensitivity.experiments.map((s) => [
      s.id,
      s.task,
      s.method,
      s.on === 'post' ? 'KRS post' : 'ΔKRS',
      s.alpha,
      s.atAlpha,
      s.presetAlpha,
      s.atPreset,
      s.best?.alpha ?? null,
      s.best?.krs ?? null,
      s.worst?.alpha ?? null,
      s.worst?.krs ?? null,
      s.slope,
    ]),
    notes: r.sensitivity.experiments.filter((s) => s.flat).map((s) => `${s.id}: FSS = AOA, so KRS does not depend on α (no best α)`),
  });

  tables.push({
    name: 'sensitivity-curves',
    title: 'α-sensitivity curves',
    columns: [col('id', 'id', 'text'), col('on', 'swept', 'text'), col('alpha', 'α', 'num2'), col('krs', 'KRS', 'num2')],
    rows: r.sensitivity.experiments.flatMap((s) => s.points.map((p) => [s.id, s.on, p.alpha, p.krs])),
    notes: [],
    csvOnly: true,
  });

  const t = r.diagnostics.thresholds;
  tables.push({
    name: 'diagnostics',
    title: `Diagnostics (low < ${t.low}, high ≥ ${t.high}, gap ≥ ${t.gap})`,
    columns: [
      col('id', 'id', 'text'),
      col('method', 'method', 'text'),
      col('fss_level', 'FSS', 'text'),
      col('aoa_level', 'AOA', 'text'),
      col('code', 'finding', 'text'),
      col('severity', 'severity', 'text'),
      col('message', 'advice', 'text'),
    ],
    rows: r.diagnostics.experiments.flatMap((d) => d.findings.map((f) => [d.id, d.method, d.fssLevel, d.aoaLevel, f.code, f.severity, f.message])),
    notes: [],
  });
  return tables;
}
