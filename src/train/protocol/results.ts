/**
 * What a study produces: its students, its experiments (each KD student against the baseline
 * of its own size), the study's statistics, and the tables written from them — the
 * experiments table `krs analyze` reads and the per-experiment study table with intervals and
 * paired standard errors.
 */
import type { KrsResult } from '../../krs/metric.js';
import { type ExperimentRow, toCsv } from '../experiments.js';
import type { MethodSpec, StudentSpec, StudyFamily } from './family.js';
import { type AlphaCorrelationSweep, alphaCorrelationSweep, type CorrelationSummary, correlation, Z95 } from './statistics.js';

/** One trained student of the study. Scores 0–100, the metric in percent. */
export interface StudyStudent {
  arch: string;
  shape: string;
  params: number;
  /** Teacher parameters / student parameters. */
  fewerParams: number;
  /** `baseline`, `kd-T2`, … */
  method: string;
  kind: string;
  temperature: number | null;
  metric: number;
  fss: number;
  aoa: number;
  krs: number;
  /** 95 % jackknife intervals (points), null when undefined. */
  ci95: KrsResult['ci95'];
  seconds: number;
}

/** One experiment: a KD student against the baseline of its architecture. */
export interface StudyExperiment {
  id: string;
  arch: string;
  shape: string;
  params: number;
  method: string;
  krsPre: number;
  krsPost: number;
  krsPreCi: [number, number] | null;
  krsPostCi: [number, number] | null;
  deltaKrs: number;
  metricPre: number;
  metricPost: number;
  deltaMetric: number;
  /** Paired standard error of Δmetric (points) on the same held-out samples. */
  deltaMetricSe: number;
  /** |Δmetric| > 1.96 · its standard error. */
  metricDifferenceSignificant: boolean;
}

export interface StudySummary {
  experiments: number;
  /** Pearson r of post-KD KRS with the post-KD metric (the paper's §4.2.1). */
  krsVsMetric: CorrelationSummary;
  /** Pearson r of ΔKRS with Δmetric (does a larger KRS gain go with a larger metric gain?). */
  deltaKrsVsDeltaMetric: CorrelationSummary;
  /** Pearson r of KRS with the metric over every student, baselines included. */
  allStudents: CorrelationSummary;
  /** r(KRS_α, metric) over the post-KD students for α from 0 to 1 (step 0.01). */
  alphaSweep: AlphaCorrelationSweep;
  /** Experiments whose Δmetric exceeds 1.96 standard errors. */
  significantMetricDifferences: number;
  /** Experiments where KD raised KRS / raised the metric / moved both the same way. */
  krsRaised: number;
  metricRaised: number;
  sameDirection: number;
}

/** A student's row of the study from its scores. */
export function studentRow(student: StudentSpec, method: MethodSpec, teacherParams: number, metric: number, scored: KrsResult, seconds: number): StudyStudent {
  return {
    arch: student.name,
    shape: student.shape,
    params: student.params,
    fewerParams: teacherParams / student.params,
    method: method.method,
    kind: method.kind,
    temperature: method.temperature,
    metric,
    fss: scored.fss,
    aoa: scored.aoa,
    krs: scored.krs,
    ci95: scored.ci95,
    seconds,
  };
}

/** The experiment of a KD student (`post`) against the baseline of its size (`pre`). */
export function pairExperiment(student: StudentSpec, pre: StudyStudent, post: StudyStudent, deltaMetricSe: number): StudyExperiment {
  const d = post.metric - pre.metric;
  return {
    id: `${student.short}-${post.method}`,
    arch: student.name,
    shape: student.shape,
    params: student.params,
    method: post.method,
    krsPre: pre.krs,
    krsPost: post.krs,
    krsPreCi: pre.ci95.krs,
    krsPostCi: post.ci95.krs,
    deltaKrs: post.krs - pre.krs,
    metricPre: pre.metric,
    metricPost: post.metric,
    deltaMetric: d,
    deltaMetricSe,
    metricDifferenceSignificant: Math.abs(d) > Z95 * deltaMetricSe,
  };
}

/** The experiments table (docs/data-model.md §"Experiments table") of a study. */
export function experimentRows(
  family: StudyFamily,
  alpha: number,
  students: readonly StudyStudent[],
  experiments: readonly StudyExperiment[],
): ExperimentRow[] {
  return experiments.map((e) => {
    const pre = students.find((s) => s.arch === e.arch && s.kind === 'baseline')!;
    const post = students.find((s) => s.arch === e.arch && s.method === e.method)!;
    return {
      id: e.id,
      task: family.task,
      dataset: family.dataset,
      teacher: family.teacher.name,
      student: e.arch,
      method: e.method,
      fss_pre: pre.fss,
      aoa_pre: pre.aoa,
      fss_post: post.fss,
      aoa_post: post.aoa,
      metric_pre: pre.metric,
      metric_post: post.metric,
      metric: family.metric,
      alpha,
    };
  });
}

const STUDY_COLUMNS = [
  'id',
  'arch',
  'shape',
  'params',
  'method',
  'krs_pre',
  'krs_pre_lo',
  'krs_pre_hi',
  'krs_post',
  'krs_post_lo',
  'krs_post_hi',
  'delta_krs',
  'metric_pre',
  'metric_post',
  'delta_metric',
  'delta_metric_se',
] as const;

/** The study's per-experiment table as CSV (KRS with its interval, the metric with the paired standard error of its change). */
export function studyCsv(rows: readonly StudyExperiment[]): string {
  return toCsv(
    [...STUDY_COLUMNS],
    rows.map((e) => ({
      id: e.id,
      arch: e.arch,
      shape: e.shape,
      params: e.params,
      method: e.method,
      krs_pre: e.krsPre,
      krs_pre_lo: e.krsPreCi?.[0],
      krs_pre_hi: e.krsPreCi?.[1],
      krs_post: e.krsPost,
      krs_post_lo: e.krsPostCi?.[0],
      krs_post_hi: e.krsPostCi?.[1],
      delta_krs: e.deltaKrs,
      metric_pre: e.metricPre,
      metric_post: e.metricPost,
      delta_metric: e.deltaMetric,
      delta_metric_se: e.deltaMetricSe,
    })),
  );
}

/** The study's own statistics beside the analysis: correlations with intervals, the α sweep of r, noise and direction counts. */
export function studySummary(students: readonly StudyStudent[], experiments: readonly StudyExperiment[]): StudySummary {
  const post = experiments.map((e) => students.find((s) => s.arch === e.arch && s.method === e.method)!);
  return {
    experiments: experiments.length,
    krsVsMetric: correlation(
      experiments.map((e) => e.krsPost),
      experiments.map((e) => e.metricPost),
    ),
    deltaKrsVsDeltaMetric: correlation(
      experiments.map((e) => e.deltaKrs),
      experiments.map((e) => e.deltaMetric),
    ),
    allStudents: correlation(
      students.map((s) => s.krs),
      students.map((s) => s.metric),
    ),
    alphaSweep: alphaCorrelationSweep(
      post.map((s) => s.fss),
      post.map((s) => s.aoa),
      post.map((s) => s.metric),
    ),
    significantMetricDifferences: experiments.filter((e) => e.metricDifferenceSignificant).length,
    krsRaised: experiments.filter((e) => e.deltaKrs > 0).length,
    metricRaised: experiments.filter((e) => e.deltaMetric > 0).length,
    sameDirection: experiments.filter((e) => Math.sign(e.deltaKrs) === Math.sign(e.deltaMetric)).length,
  };
}
