/**
 * The paper's validation suite over a table of distillation experiments (its §4.1–4.2 and
 * §4.4), as `krs analyze` runs it:
 *
 * 1. per experiment — KRS before and after KD, ΔKRS, ΔFSS, ΔAOA, Δmetric, and the trade-off
 *    split ΔKRS = α·ΔFSS + β·ΔAOA with the dominant component and the imbalance ratio (§4.2.4);
 * 2. per task — Pearson r (two-sided p) of post-KD KRS against the post-KD task metric
 *    (§4.2.1), the paired t-test of post- against pre-KD KRS, and the mean with its t-based
 *    95% confidence interval of pre- and post-KD KRS (§4.2.9), with five-number summaries for
 *    box plots;
 * 3. per KD method — mean metric gain and mean ΔKRS, both rankings, and Kendall's τ-b between
 *    the two (§4.2.3);
 * 4. α-sensitivity — KRS(α) for α = 0, 0.01, …, 1 per experiment, its maximising α, and the
 *    preset α (§4.2.6);
 * 5. diagnostics — tuning advice from the components (§4.4; see src/krs/diagnose.ts).
 *
 * Every statistic that is undefined for the data at hand (too few experiments, zero variance,
 * one method) is reported with its fields null and a `reason`, never as a made-up number.
 * The result holds the tables behind every chart of the report: per-experiment bars, per-task
 * box plots and scatter points, method rankings and sweep curves.
 *
 * KRS values use each experiment's α: the `alpha` option if given, else the table's alpha
 * column, else the task preset. A "gains-only" row (the table gives ΔFSS and ΔAOA but not
 * the components) has ΔKRS but no KRS before or after; it is left out of the per-task
 * statistics (and listed in `excluded`) and swept as ΔKRS(α).
 *
 * "Metric gain" is Δmetric signed so that positive is better: Δmetric itself for metrics where
 * higher is better, −Δmetric for RMSE, MAE, loss and the like (see `higherIsBetter`).
 *
 * Complexity O(E·K + M²) for E experiments, K sweep points, M methods.
 *
 * @throws BAD_WEIGHT for an `alpha` option outside [0, 1]; BAD_OPTION for bad thresholds or
 *   sweep step; UNKNOWN_KEY for a `sweep` id that is not in the table.
 * @example analyzeExperiments(readExperimentsTable('runs.csv').experiments).tasks.classification.pearson
 */
import { errors } from '../core/errors.js';
import { composeKrs, resolveWeights } from '../krs/compose.js';
import { type DiagnosisThresholds, diagnose, type Finding, type Level, resolveThresholds } from '../krs/diagnose.js';
import { meanCi } from '../stats/ci.js';
import { type KendallResult, kendallTau } from '../stats/kendall.js';
import { type PearsonResult, pearson } from '../stats/pearson.js';
import { rankDescending } from '../stats/ranking.js';
import { alphaSweep, gridIntervals, type SweepPoint } from '../stats/sensitivity.js';
import { type FiveNumberSummary, fiveNumberSummary } from '../stats/summary.js';
import { type PairedTTestResult, pairedTTest } from '../stats/ttest.js';
import { TASKS, type Task, taskSpec } from '../tasks/registry.js';
import type { Experiment } from './experiments.js';
import { DEFAULT_BALANCED_RATIO, type Tradeoff, tradeoff } from './tradeoff.js';

export interface AnalyzeOptions {
  /** α for every experiment, overriding the table and the presets. */
  alpha?: number;
  /** Experiment ids to sweep over α; default all. */
  sweep?: readonly string[];
  /** Grid step of the α sweep; default 0.01 (101 points). */
  alphaStep?: number;
  /** Diagnostics thresholds; defaults in DEFAULT_THRESHOLDS (low 40, high 60, gap 25). */
  thresholds?: Partial<DiagnosisThresholds>;
  /** Trade-off: min ratio of |Δ|s for a dominant component; default 1.5. */
  balancedRatio?: number;
  /** The table's file, echoed in the result. */
  source?: string;
}

export interface ExperimentTradeoff extends Tradeoff {
  /** krsPost − krsPre (null for a gains-only row). */
  readonly observedDeltaKrs: number | null;
  /** observed − predicted: 0 up to rounding, since KRS is linear (null for a gains-only row). */
  readonly residual: number | null;
}

export interface ExperimentResult {
  readonly id: string;
  readonly task: Task;
  readonly dataset: string | null;
  readonly teacher: string | null;
  readonly student: string | null;
  readonly method: string;
  /** 1-based data row of the table. */
  readonly row: number;
  readonly alpha: number;
  readonly beta: number;
  readonly alphaSource: 'option' | 'table' | 'preset';
  readonly presetAlpha: number;
  readonly fssPre: number | null;
  readonly aoaPre: number | null;
  readonly fssPost: number | null;
  readonly aoaPost: number | null;
  readonly krsPre: number | null;
  readonly krsPost: number | null;
  /** Observed ΔKRS, or α·ΔFSS + β·ΔAOA for a gains-only row (the same number when both exist). */
  readonly deltaKrs: number;
  readonly deltaFss: number;
  readonly deltaAoa: number;
  readonly metric: string | null;
  readonly higherIsBetter: boolean;
  readonly metricPre: number | null;
  readonly metricPost: number | null;
  /** metricPost − metricPre (null unless both are known). */
  readonly deltaMetric: number | null;
  /** deltaMetric signed so that positive is an improvement. */
  readonly metricGain: number | null;
  /** The table gave only ΔFSS and ΔAOA. */
  readonly gainsOnly: boolean;
  readonly tradeoff: ExperimentTradeoff;
  readonly notes: string | null;
}

export interface DistributionResult {
  readonly n: number;
  readonly mean: number | null;
  readonly sd: number | null;
  /** [lower, upper] of the t-based 95% interval of the mean; null when undefined. */
  readonly ci95: readonly [number, number] | null;
  readonly reason: string | null;
  /** Five-number summary for a box plot; null when there are no values. */
  readonly box: FiveNumberSummary | null;
  /** The values, by experiment. */
  readonly values: readonly { id: string; krs: number }[];
}

export interface TaskResult {
  readonly task: Task;
  /** Experiments of the task with KRS before and after KD (gains-only rows excluded). */
  readonly n: number;
  /** The α values used in the task (usually one). */
  readonly alphas: readonly number[];
  /** The metric names used in the task. */
  readonly metrics: readonly string[];
  /** Pearson r of post-KD KRS with the post-KD metric, over the experiments with both. */
  readonly pearson: PearsonResult & { readonly on: 'post' };
  /** The (KRS, metric) points of the correlation, for a scatter plot. */
  readonly points: readonly { id: string; krs: number; metric: number }[];
  /** Paired two-sided t-test of post- against pre-KD KRS. */
  readonly pairedT: PairedTTestResult;
  readonly pre: DistributionResult;
  readonly post: DistributionResult;
  /** Experiments of the task left out of some statistic, and why. */
  readonly excluded: readonly { id: string; reason: string }[];
  /** Caveats about the task's statistics. */
  readonly notes: readonly string[];
}

export interface MethodResult {
  readonly method: string;
  readonly tasks: readonly Task[];
  readonly experiments: readonly string[];
  /** Experiments. */
  readonly n: number;
  /** Mean metric gain (positive = better) over the experiments that report the metric; null if none. */
  readonly meanMetricGain: number | null;
  /** Mean Δmetric as measured (negative is better for RMSE, loss…); null if none. */
  readonly meanDeltaMetric: number | null;
  /** Experiments with a metric gain. */
  readonly nMetric: number;
  /** Mean ΔKRS. */
  readonly meanDeltaKrs: number;
  /** Spread of ΔKRS: sd and 95% CI (null with a reason for a method with one experiment). */
  readonly deltaKrsSd: number | null;
  readonly deltaKrsCi95: readonly [number, number] | null;
  readonly deltaKrsReason: string | null;
  readonly rankByMetric: number | null;
  readonly rankByKrs: number;
}

export interface MethodRank {
  readonly method: string;
  readonly gain: number;
  readonly rank: number;
  readonly n: number;
}

export interface MethodsResult {
  readonly table: readonly MethodResult[];
  /** Ranked by mean metric gain, best first. */
  readonly byMetric: readonly MethodRank[];
  /** Ranked by mean ΔKRS, best first. */
  readonly byKrs: readonly MethodRank[];
  /** Kendall's τ-b between the methods' mean metric gains and mean ΔKRS. */
  readonly kendall: KendallResult;
}

export interface SweepResult {
  readonly id: string;
  readonly task: Task;
  readonly method: string;
  /** What is swept: KRS after KD, or ΔKRS for a gains-only row. */
  readonly on: 'post' | 'delta';
  /** The FSS and AOA values (or gains) the line is drawn from. */
  readonly fss: number;
  readonly aoa: number;
  /** The experiment's α (dashed rule) and the task preset's. */
  readonly alpha: number;
  readonly presetAlpha: number;
  readonly points: readonly SweepPoint[];
  /** The grid α with the highest value; null when flat (FSS = AOA). */
  readonly best: SweepPoint | null;
  readonly worst: SweepPoint | null;
  readonly flat: boolean;
  /** d(KRS)/dα = FSS − AOA. */
  readonly slope: number;
  /** The swept value at the experiment's α and at the preset α. */
  readonly atAlpha: number;
  readonly atPreset: number;
}

export interface ExperimentDiagnosis {
  readonly id: string;
  readonly task: Task;
  readonly method: string;
  readonly fssLevel: Level | null;
  readonly aoaLevel: Level | null;
  readonly findings: readonly Finding[];
}

export interface AnalysisResult {
  readonly source: string | null;
  readonly alphaOverride: number | null;
  readonly experiments: readonly ExperimentResult[];
  /** By task, in the order classification, detection, segmentation, nlp, regression (tasks that occur). */
  readonly tasks: Readonly<Partial<Record<Task, TaskResult>>>;
  readonly methods: MethodsResult;
  readonly sensitivity: { readonly step: number; readonly experiments: readonly SweepResult[] };
  readonly diagnostics: { readonly thresholds: DiagnosisThresholds; readonly experiments: readonly ExperimentDiagnosis[] };
  readonly warnings: readonly string[];
}

/** Analyse a table of experiments. See the module comment. */
export function analyzeExperiments(experiments: readonly Experiment[], options: AnalyzeOptions = {}): AnalysisResult {
  const warnings: string[] = [];
  if (options.alpha !== undefined) resolveWeights(options.alpha);
  const thresholds = resolveThresholds(options.thresholds);
  const step = options.alphaStep ?? 0.01;
  gridIntervals(step);
  const balancedRatio = options.balancedRatio ?? DEFAULT_BALANCED_RATIO;

  const rows = experiments.map((e) => experimentResult(e, options.alpha, balancedRatio));

  // Per task.
  const tasks: Partial<Record<Task, TaskResult>> = {};
  for (const task of TASKS) {
    const of = rows.filter((r) => r.task === task);
    if (of.length) tasks[task] = taskResult(task, of);
  }

  const methods = methodsResult(rows, warnings);

  // Sensitivity.
  const ids = new Set(rows.map((r) => r.id));
  for (const id of options.sweep ?? []) if (!ids.has(id)) throw errors.notFound('experiment', id, options.source ?? 'the experiments table', [...ids]);
  const sweepIds = options.sweep?.length ? new Set(options.sweep) : null;
  const sweeps = rows.filter((r) => sweepIds === null || sweepIds.has(r.id)).map((r) => sweepResult(r, step));

  // Diagnostics.
  const diag = rows.map((r): ExperimentDiagnosis => {
    const d = diagnose({ fss: r.fssPost, aoa: r.aoaPost, deltaFss: r.deltaFss, deltaAoa: r.deltaAoa, deltaKrs: r.deltaKrs }, thresholds);
    return { id: r.id, task: r.task, method: r.method, fssLevel: d.fssLevel, aoaLevel: d.aoaLevel, findings: d.findings };
  });

  return {
    source: options.source ?? null,
    alphaOverride: options.alpha ?? null,
    experiments: rows,
    tasks,
    methods,
    sensitivity: { step, experiments: sweeps },
    diagnostics: { thresholds, experiments: diag },
    warnings,
  };
}

function experimentResult(e: Experiment, alphaOption: number | undefined, balancedRatio: number): ExperimentResult {
  const presetAlpha = taskSpec(e.task).alpha;
  const alphaSource = alphaOption !== undefined ? 'option' : e.alpha !== null ? 'table' : 'preset';
  const alpha = alphaOption ?? e.alpha ?? presetAlpha;
  const { beta } = resolveWeights(alpha);
  const gainsOnly = e.fssPre === null;
  const krsPre = gainsOnly ? null : composeKrs(e.fssPre!, e.aoaPre!, alpha).krs;
  const krsPost = gainsOnly ? null : composeKrs(e.fssPost!, e.aoaPost!, alpha).krs;
  const t = tradeoff(e.deltaFss, e.deltaAoa, alpha, { balancedRatio });
  const observed = krsPre === null || krsPost === null ? null : krsPost - krsPre;
  const deltaMetric = e.metricPre !== null && e.metricPost !== null ? e.metricPost - e.metricPre : null;
  return {
    id: e.id,
    task: e.task,
    dataset: e.dataset,
    teacher: e.teacher,
    student: e.student,
    method: e.method,
    row: e.row,
    alpha,
    beta,
    alphaSource,
    presetAlpha,
    fssPre: e.fssPre,
    aoaPre: e.aoaPre,
    fssPost: e.fssPost,
    aoaPost: e.aoaPost,
    krsPre,
    krsPost,
    deltaKrs: observed ?? t.predictedDeltaKrs,
    deltaFss: e.deltaFss,
    deltaAoa: e.deltaAoa,
    metric: e.metric,
    higherIsBetter: e.higherIsBetter,
    metricPre: e.metricPre,
    metricPost: e.metricPost,
    deltaMetric,
    metricGain: deltaMetric === null ? null : e.higherIsBetter ? deltaMetric : -deltaMetric,
    gainsOnly,
    tradeoff: { ...t, observedDeltaKrs: observed, residual: observed === null ? null : observed - t.predictedDeltaKrs },
    notes: e.notes,
  };
}

function distribution(values: { id: string; krs: number }[]): DistributionResult {
  const v = values.map((x) => x.krs);
  const m = meanCi(v, 0.95);
  return { n: m.n, mean: m.mean, sd: m.sd, ci95: m.ci, reason: m.reason, box: fiveNumberSummary(v), values };
}

function taskResult(task: Task, rows: ExperimentResult[]): TaskResult {
  const excluded: { id: string; reason: string }[] = [];
  const full = rows.filter((r) => {
    if (r.gainsOnly) excluded.push({ id: r.id, reason: 'gains-only, no KRS before or after KD' });
    return !r.gainsOnly;
  });
  const withMetric = full.filter((r) => {
    if (r.metricPost === null) excluded.push({ id: r.id, reason: 'no post-KD metric, left out of the correlation' });
    return r.metricPost !== null;
  });
  const points = withMetric.map((r) => ({ id: r.id, krs: r.krsPost!, metric: r.metricPost! }));
  const p = pearson(
    points.map((x) => x.krs),
    points.map((x) => x.metric),
  );
  const directions = new Set(withMetric.map((r) => r.higherIsBetter));
  const pear = {
    ...p,
    reason:
      p.reason === null
        ? null
        : p.n < 3
          ? `needs at least 3 experiments with post-KD KRS and metric, got ${p.n}`
          : p.reason.replace('the first variable', 'post-KD KRS').replace('the second variable', 'the post-KD metric'),
    on: 'post' as const,
  };
  const notes: string[] = [];
  if (directions.size > 1) notes.push('the task mixes metrics where higher is better with metrics where lower is better; the correlation pools them as given');
  const metricNames = new Set(withMetric.map((r) => r.metric ?? '(unnamed)'));
  if (metricNames.size > 1) notes.push(`the correlation pools different metrics (${[...metricNames].join(', ')})`);
  const t = pairedTTest(
    full.map((r) => r.krsPost!),
    full.map((r) => r.krsPre!),
  );
  return {
    task,
    n: full.length,
    alphas: [...new Set(rows.map((r) => r.alpha))],
    metrics: [...new Set(rows.map((r) => r.metric).filter((m): m is string => m !== null))],
    pearson: pear,
    points,
    pairedT: t.n < 2 ? { ...t, reason: `needs at least 2 experiments with KRS before and after KD, got ${t.n}` } : t,
    pre: distribution(full.map((r) => ({ id: r.id, krs: r.krsPre! }))),
    post: distribution(full.map((r) => ({ id: r.id, krs: r.krsPost! }))),
    excluded,
    notes,
  };
}

function methodsResult(rows: ExperimentResult[], warnings: string[]): MethodsResult {
  const names: string[] = [];
  const groups = new Map<string, ExperimentResult[]>();
  for (const r of rows) {
    let g = groups.get(r.method);
    if (!g) groups.set(r.method, (g = [])), names.push(r.method);
    g.push(r);
  }
  const base = names.map((method) => {
    const g = groups.get(method)!;
    const gains = g.map((r) => r.metricGain).filter((v): v is number => v !== null);
    const deltas = g.map((r) => r.deltaMetric).filter((v): v is number => v !== null);
    const d = meanCi(g.map((r) => r.deltaKrs));
    return {
      method,
      tasks: [...new Set(g.map((r) => r.task))],
      experiments: g.map((r) => r.id),
      n: g.length,
      meanMetricGain: gains.length ? gains.reduce((a, b) => a + b, 0) / gains.length : null,
      meanDeltaMetric: deltas.length ? deltas.reduce((a, b) => a + b, 0) / deltas.length : null,
      nMetric: gains.length,
      meanDeltaKrs: d.mean!,
      deltaKrsSd: d.sd,
      deltaKrsCi95: d.ci,
      deltaKrsReason: d.reason === null ? null : g.length < 2 ? 'one experiment: no spread' : d.reason,
    };
  });
  const noMetric = base.filter((m) => m.meanMetricGain === null).map((m) => m.method);
  if (noMetric.length)
    warnings.push(
      `method${noMetric.length > 1 ? 's' : ''} ${noMetric.map((m) => `'${m}'`).join(', ')} report${noMetric.length > 1 ? '' : 's'} no metric gain (metric_pre and metric_post): left out of the ranking by metric and of Kendall's τ`,
    );
  const byMetricRank = rankDescending(base.map((m) => ({ key: m.method, score: m.meanMetricGain })));
  const byKrsRank = rankDescending(base.map((m) => ({ key: m.method, score: m.meanDeltaKrs })));
  const rankOf = (ranking: typeof byKrsRank, method: string) => ranking.ranked.find((x) => x.key === method)?.rank ?? null;
  const n = (method: string) => groups.get(method)!.length;
  const table: MethodResult[] = base.map((m) => ({ ...m, rankByMetric: rankOf(byMetricRank, m.method), rankByKrs: rankOf(byKrsRank, m.method)! }));
  const both = base.filter((m) => m.meanMetricGain !== null);
  const k = kendallTau(
    both.map((m) => m.meanMetricGain!),
    both.map((m) => m.meanDeltaKrs),
  );
  const kendall: KendallResult =
    k.reason === null
      ? k
      : {
          ...k,
          reason:
            k.n < 2
              ? `needs at least 2 methods with a metric gain, got ${k.n}`
              : k.reason.replace('the first variable', "the methods' mean metric gain").replace('the second variable', "the methods' mean ΔKRS"),
        };
  return {
    table,
    byMetric: byMetricRank.ranked.map((r) => ({ method: r.key, gain: r.score, rank: r.rank, n: n(r.key) })),
    byKrs: byKrsRank.ranked.map((r) => ({ method: r.key, gain: r.score, rank: r.rank, n: n(r.key) })),
    kendall,
  };
}

function sweepResult(r: ExperimentResult, step: number): SweepResult {
  const on = r.gainsOnly ? 'delta' : 'post';
  const fss = on === 'post' ? r.fssPost! : r.deltaFss;
  const aoa = on === 'post' ? r.aoaPost! : r.deltaAoa;
  const s = alphaSweep(fss, aoa, { step });
  return {
    id: r.id,
    task: r.task,
    method: r.method,
    on,
    fss,
    aoa,
    alpha: r.alpha,
    presetAlpha: r.presetAlpha,
    points: s.points,
    best: s.best,
    worst: s.worst,
    flat: s.flat,
    slope: s.slope,
    atAlpha: r.alpha * fss + (1 - r.alpha) * aoa,
    atPreset: r.presetAlpha * fss + (1 - r.presetAlpha) * aoa,
  };
}
