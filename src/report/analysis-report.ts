/**
 * The analysis part of a report: its summary (per-task statistics and a plain-language
 * reading) and its sections of charts. Used by `krs analyze --report` and by the demo.
 */

import type { AnalysisView, TaskView } from './analysis-view.js';
import { type ChartTable, col, exact } from './chart.js';
import { boxPlotChart, deltaHeatmap, fmtP, krsVsMetricChart, prePostChart, rankingChart, sensitivityChart } from './charts/analysis.js';
import type { ReportSection, SummaryCard } from './document.js';
import { fmt } from './format.js';

const f1 = (v: number) => fmt(v, 1);
const f2 = (v: number) => fmt(v, 2);

/** A mean with its 95% interval where one exists: "82.10 [80.02, 84.18]", or the mean alone. */
export function meanCi(m: TaskView['pre']): string {
  return m ? `${f2(m.mean)}${m.ci95 ? ` [${f2(m.ci95[0])}, ${f2(m.ci95[1])}]` : ''}` : '—';
}

/** Why a task has no 95% interval of its mean KRS (fewer than two experiments), or null when it has both. */
export function noIntervalReason(t: Pick<TaskView, 'n' | 'pre' | 'post'>): string | null {
  if ((!t.pre || t.pre.ci95) && (!t.post || t.post.ci95)) return null;
  return t.n < 2
    ? `one experiment: no 95% interval (an interval of a mean needs at least two values)`
    : 'no 95% interval (the values do not vary, or too few are known)';
}
const ci = meanCi;

export interface AnalysisSummary {
  subtitle: string;
  cards: SummaryCard[];
  formula: string;
  facts: [string, string][];
  tables: { title: string; table: ChartTable }[];
  reading: string[];
}

/** α of each task, from the tasks or else the experiments. */
function alphas(a: AnalysisView): Map<string, number[]> {
  const m = new Map<string, Set<number>>();
  const add = (task: string, alpha: number | null | undefined) => {
    if (alpha === null || alpha === undefined) return;
    if (!m.has(task)) m.set(task, new Set());
    m.get(task)!.add(alpha);
  };
  for (const t of a.tasks) add(t.task, t.alpha);
  for (const e of a.experiments) if (!m.get(e.task)?.size) add(e.task, e.alpha);
  return new Map([...m].map(([k, v]) => [k, [...v]]));
}

export function analysisSummary(a: AnalysisView): AnalysisSummary {
  const methods = [...new Set(a.experiments.map((e) => e.method))];
  const subtitle = `${a.experiments.length} experiment${a.experiments.length === 1 ? '' : 's'}, ${a.tasks.length} task${a.tasks.length === 1 ? '' : 's'}, ${methods.length} KD method${methods.length === 1 ? '' : 's'}${a.source ? ` — ${a.source}` : ''}`;
  const cards: SummaryCard[] = a.tasks.slice(0, 6).map((t) => ({
    label: `${t.task} KRS`,
    value: t.pre && t.post ? `${f1(t.pre.mean)} → ${f1(t.post.mean)}` : '—',
    note: `mean before → after KD, n = ${t.n}${t.pairedT ? `, paired t p = ${fmtP(t.pairedT.p)}` : ''}`,
    kind: 'krs',
  }));
  const byAlpha = new Map<number, string[]>();
  for (const [task, as] of alphas(a)) for (const al of as) byAlpha.set(al, [...(byAlpha.get(al) ?? []), task]);
  const formula = byAlpha.size
    ? `KRS = α·FSS + β·AOA, β = 1 − α, with ${[...byAlpha].map(([al, ts]) => `α = ${al} (${ts.join(', ')})`).join('; ')}`
    : 'KRS = α·FSS + β·AOA, β = 1 − α';
  const facts: [string, string][] = [
    ['experiments', String(a.experiments.length)],
    ['tasks', a.tasks.map((t) => t.task).join(', ')],
    ['KD methods', methods.join(', ')],
  ];
  if (a.methods?.kendall) facts.push(["Kendall's τ (rankings)", `${f2(a.methods.kendall.tau)} (p = ${fmtP(a.methods.kendall.p)})`]);
  const anyCi = a.tasks.some((t) => t.pre?.ci95 || t.post?.ci95);
  const noCi = a.tasks.filter((t) => noIntervalReason(t));
  const table: ChartTable = {
    columns: [
      col('task', 'task'),
      col('n', 'n', 0),
      col('alpha', 'α', 2),
      col('pre', anyCi ? 'KRS pre, mean [95% CI]' : 'KRS pre, mean'),
      col('post', anyCi ? 'KRS post, mean [95% CI]' : 'KRS post, mean'),
      col('t', 'paired t', 2),
      col('p', 'p (t-test)'),
      col('metric', 'metric'),
      col('r', 'Pearson r', 3),
      col('pr', 'p (r)'),
    ],
    rows: a.tasks.map((t) => ({
      task: t.task,
      n: t.n,
      alpha: t.alpha ?? alphas(a).get(t.task)?.[0] ?? null,
      pre: ci(t.pre),
      post: ci(t.post),
      t: exact(t.pairedT?.t),
      p: t.pairedT ? fmtP(t.pairedT.p) : null,
      metric: t.metric ?? null,
      r: exact(t.pearson?.r),
      pr: t.pearson ? fmtP(t.pearson.p) : null,
    })),
  };
  const reading: string[] = [];
  const up = a.experiments.filter((e) => e.deltaKrs > 0).length;
  if (a.experiments.length) reading.push(`Distillation raised KRS in ${up} of ${a.experiments.length} experiments.`);
  for (const t of a.tasks) {
    const parts: string[] = [];
    const why = noIntervalReason(t);
    if (t.pre && t.post) parts.push(`mean KRS went from ${ci(t.pre)} before KD to ${ci(t.post)} after (${why ?? '95% confidence intervals in brackets'})`);
    if (t.pairedT)
      parts.push(
        `a paired t-test gives t = ${f2(t.pairedT.t)} with ${t.pairedT.df} df, p = ${fmtP(t.pairedT.p)}${t.pairedT.p < 0.05 ? ' — a significant gain' : ' — not significant at 0.05'}`,
      );
    if (t.pearson) parts.push(`KRS correlates with ${t.metric ?? 'the task metric'} at r = ${fmt(t.pearson.r, 3)} (p = ${fmtP(t.pearson.p)})`);
    if (parts.length) reading.push(`${t.task[0]!.toUpperCase()}${t.task.slice(1)} (${t.n} experiment${t.n === 1 ? '' : 's'}): ${parts.join('; ')}.`);
  }
  if (a.methods?.kendall) {
    const k = a.methods.kendall;
    reading.push(
      `Ranking the KD methods by their mean task-metric gain and by their mean KRS gain gives Kendall's τ = ${f2(k.tau)} (p = ${fmtP(k.p)})${k.tau === 1 ? ': the two orders are identical' : k.tau > 0.5 ? ': the orders largely agree' : k.tau > 0 ? ': the orders agree only partly' : ': the orders disagree'}.`,
    );
  }
  const tableTitle = noCi.length ? `Per task (${noCi.map((t) => `${t.task}: ${noIntervalReason(t)}`).join('; ')})` : 'Per task';
  return { subtitle, cards, formula, facts, tables: [{ title: tableTitle, table }], reading };
}

/** The chart sections of an analysis; sections without data are left out. */
export function analysisCharts(a: AnalysisView): ReportSection[] {
  const sections: ReportSection[] = [];
  if (a.experiments.length) {
    const charts = [prePostChart(a.experiments)];
    if (a.tasks.some((t) => t.preBox || t.postBox)) charts.push(boxPlotChart(a.tasks, a.experiments));
    sections.push({
      id: 'pre-post',
      title: 'Before and after distillation',
      intro: 'KRS of each student against its teacher before and after knowledge distillation.',
      charts,
    });
    sections.push({
      id: 'components',
      title: 'Feature and output components',
      intro: 'Which component moved: the change in feature similarity (FSS), output agreement (AOA) and KRS, experiment by experiment.',
      charts: [deltaHeatmap(a.experiments)],
    });
  }
  const validity = [];
  if (a.experiments.some((e) => e.metricPost !== null && e.metricPost !== undefined) && a.tasks.length) validity.push(krsVsMetricChart(a.tasks, a.experiments));
  if (a.methods && (a.methods.byMetric.length || a.methods.byKrs.length)) validity.push(rankingChart(a.methods));
  if (validity.length)
    sections.push({
      id: 'validity',
      title: 'Does KRS track the task metric?',
      intro: 'KRS against the conventional metric, per experiment and per KD method.',
      charts: validity,
    });
  if (a.sweeps.length) {
    sections.push({
      id: 'alpha',
      title: 'Sensitivity to α',
      intro: `How the score would change with the weight given to feature similarity.${a.sweepNote ? ` ${a.sweepNote}` : ''}`,
      charts: [sensitivityChart(a.sweeps)],
    });
  }
  return sections;
}
