/**
 * The parts of an analysis (`krs analyze`, docs/cli.md §"analyze --json") that the report draws. Every number here
 * comes from the analysis result as computed in src/analysis; the report does not recompute
 * statistics, it only lays them out. {@link analysisView} makes the view from an
 * `AnalysisResult`; tests may build one by hand.
 */
import type { AnalysisResult } from '../analysis/analyze.js';

export interface ExperimentView {
  id: string;
  task: string;
  method: string;
  dataset?: string | null;
  teacher?: string | null;
  student?: string | null;
  alpha?: number | null;
  fssPre?: number | null;
  aoaPre?: number | null;
  fssPost?: number | null;
  aoaPost?: number | null;
  /** null for a gains-only row (the table gave ΔFSS and ΔAOA only). */
  krsPre: number | null;
  krsPost: number | null;
  /** 95 % intervals of KRS before and after KD (points), when the experiments were scored with them (the study). */
  krsPreCi?: readonly [number, number] | null;
  krsPostCi?: readonly [number, number] | null;
  deltaKrs: number;
  deltaFss: number;
  deltaAoa: number;
  /** The task metric (accuracy, mAP, IoU…) before and after KD, and its name. */
  metric?: string | null;
  metricPre?: number | null;
  metricPost?: number | null;
  /** The trade-off split of ΔKRS (the paper's Table 6), when the analysis made it. */
  fssContribution?: number | null;
  aoaContribution?: number | null;
  dominant?: string | null;
  imbalanceRatio?: number | null;
}

export interface MeanCiView {
  mean: number;
  ci95: readonly [number, number] | null;
}

export interface BoxView {
  n: number;
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
}

export interface TaskView {
  task: string;
  n: number;
  /** Name of the task metric. */
  metric?: string | null;
  /** α used for the task. */
  alpha?: number | null;
  /** Pearson correlation of KRS with the task metric, and which values it paired. */
  pearson: { r: number; p: number } | null;
  /** Which KRS/metric values the correlation used: after KD only (the paper's choice) or both. */
  pearsonOn?: 'post' | 'pre+post';
  pairedT: { t: number; df: number; p: number } | null;
  pre: MeanCiView | null;
  post: MeanCiView | null;
  preBox?: BoxView | null;
  postBox?: BoxView | null;
}

export interface MethodRankView {
  method: string;
  /** Mean gain (task metric or KRS) over the method's experiments. */
  gain: number;
  rank: number;
  n?: number;
}

export interface SweepView {
  /** Series name, e.g. the experiment it belongs to. */
  label: string;
  task: string;
  /** The α the experiment is scored with. */
  alpha: number;
  /** The task's preset α (drawn as a dashed rule); default `alpha`. */
  presetAlpha?: number;
  points: readonly { alpha: number; krs: number }[];
}

export interface AnalysisView {
  experiments: ExperimentView[];
  tasks: TaskView[];
  methods: {
    byMetric: MethodRankView[];
    byKrs: MethodRankView[];
    kendall: { tau: number; p: number } | null;
  } | null;
  sweeps: SweepView[];
  /** Plain-language findings and tuning advice. */
  diagnostics: string[];
  /** The findings behind `diagnostics`, one per experiment and finding. */
  findings?: FindingItem[];
  /** Which sweeps are drawn, when not all. */
  sweepNote?: string;
  warnings: string[];
  /** Source file of the experiments table. */
  source?: string;
}

/** An experiment's label on chart axes: `id · method · student · dataset`. */
export function experimentLabel(e: ExperimentView): string {
  return [e.id, e.method, e.student, e.dataset].filter((s) => s !== undefined && s !== null && s !== '').join(' · ');
}

// ---------------------------------------------------------------------------
// From the analysis result of src/analysis (what `krs analyze` computes).
// ---------------------------------------------------------------------------

/** At most this many α-sweep lines are drawn; with more, the best experiment of each task is. */
export const MAX_SWEEP_LINES = 8;

/** Level of a diagnostic finding, for ordering. */
const SEVERITY_ORDER = { warning: 0, advice: 1, info: 2 } as const;

/**
 * The report's view of an analysis result: the same numbers, arranged for the charts. Picks
 * the sweeps to draw (all when there are few; else, as the paper's Figure 8, the experiment
 * of each task with the best post-KD task metric, or KRS when there is no metric) and turns
 * the per-experiment findings into sentences.
 */
export function analysisView(a: AnalysisResult): AnalysisView {
  const experiments = a.experiments.map(experimentView);
  const tasks: TaskView[] = Object.values(a.tasks)
    .filter((t): t is NonNullable<typeof t> => !!t)
    .map(taskView);
  const k = a.methods.kendall;
  const methods = {
    byMetric: a.methods.byMetric.map((m) => ({ method: m.method, gain: m.gain, rank: m.rank, n: m.n })),
    byKrs: a.methods.byKrs.map((m) => ({ method: m.method, gain: m.gain, rank: m.rank, n: m.n })),
    kendall: k.tau !== null && k.p !== null ? { tau: k.tau, p: k.p } : null,
  };
  const post = a.sensitivity.experiments.filter((s) => s.on === 'post');
  const chosen = chosenSweeps(a, post);
  const label = (id: string) => {
    const e = experiments.find((x) => x.id === id)!;
    return `${e.task}: ${experimentLabel(e)}`;
  };
  const sweeps: SweepView[] = chosen.map((s) => ({ label: label(s.id), task: s.task, alpha: s.alpha, presetAlpha: s.presetAlpha, points: s.points }));

  const findings: FindingItem[] = a.diagnostics.experiments.flatMap((d) =>
    d.findings.map((f) => ({ who: `#${d.id} ${d.method}`, code: f.code, severity: f.severity, message: f.message, context: d.task })),
  );
  const diagnostics = groupFindings(findings);
  const warnings = viewWarnings(a);
  const sweepNote =
    chosen.length < post.length
      ? `${post.length} experiments were swept; drawn here is the best of each task by post-KD task metric (as in the paper's Figure 8); all sweeps are in the JSON output of krs analyze.`
      : undefined;
  return {
    experiments,
    tasks,
    methods,
    sweeps,
    diagnostics,
    findings,
    warnings,
    ...(sweepNote ? { sweepNote } : {}),
    ...(a.source ? { source: a.source } : {}),
  };
}

type Analysed = AnalysisResult['experiments'][number];
type TaskStats = NonNullable<AnalysisResult['tasks'][keyof AnalysisResult['tasks']]>;
type Swept = AnalysisResult['sensitivity']['experiments'][number];

function experimentView(e: Analysed): ExperimentView {
  return {
    id: e.id,
    task: e.task,
    method: e.method,
    dataset: e.dataset,
    teacher: e.teacher,
    student: e.student,
    alpha: e.alpha,
    fssPre: e.fssPre,
    aoaPre: e.aoaPre,
    fssPost: e.fssPost,
    aoaPost: e.aoaPost,
    krsPre: e.krsPre,
    krsPost: e.krsPost,
    deltaKrs: e.deltaKrs,
    deltaFss: e.deltaFss,
    deltaAoa: e.deltaAoa,
    metric: e.metric,
    metricPre: e.metricPre,
    metricPost: e.metricPost,
    fssContribution: e.tradeoff.fssContribution,
    aoaContribution: e.tradeoff.aoaContribution,
    dominant: e.tradeoff.dominant,
    imbalanceRatio: e.tradeoff.imbalanceRatio,
  };
}

function taskView(t: TaskStats): TaskView {
  return {
    task: t.task,
    n: t.n,
    metric: t.metrics.length ? t.metrics.join(', ') : null,
    alpha: t.alphas.length === 1 ? t.alphas[0]! : null,
    pearson: t.pearson.r !== null && t.pearson.p !== null ? { r: t.pearson.r, p: t.pearson.p } : null,
    pearsonOn: 'post',
    pairedT: t.pairedT.t !== null && t.pairedT.p !== null && t.pairedT.df !== null ? { t: t.pairedT.t, df: t.pairedT.df, p: t.pairedT.p } : null,
    pre: t.pre.mean !== null ? { mean: t.pre.mean, ci95: t.pre.ci95 } : null,
    post: t.post.mean !== null ? { mean: t.post.mean, ci95: t.post.ci95 } : null,
    preBox: t.pre.box,
    postBox: t.post.box,
  };
}

/**
 * The sweeps to draw: all when there are few; else, as the paper's Figure 8, the experiment of
 * each task with the best post-KD task metric (or KRS when the task has no metric).
 */
function chosenSweeps(a: AnalysisResult, post: readonly Swept[]): readonly Swept[] {
  if (post.length <= MAX_SWEEP_LINES) return post;
  const byId = new Map(a.experiments.map((e) => [e.id, e]));
  const best = new Map<string, (typeof post)[number]>();
  const key = (id: string) => {
    const e = byId.get(id)!;
    return e.metricPost !== null ? (e.higherIsBetter ? e.metricPost : -e.metricPost) : (e.krsPost ?? -Infinity);
  };
  for (const s of post) {
    const cur = best.get(s.task);
    const useMetric = post.some((x) => x.task === s.task && byId.get(x.id)!.metricPost !== null);
    const score = (id: string) => (useMetric ? key(id) : (byId.get(id)!.krsPost ?? -Infinity));
    if (!cur || score(s.id) > score(cur.id)) best.set(s.task, s);
  }
  return post.filter((s) => best.get(s.task) === s);
}

/** The analysis's warnings, each task's notes, exclusions and undefined statistics, and Kendall's τ's. */
function viewWarnings(a: AnalysisResult): string[] {
  const k = a.methods.kendall;
  const warnings = [...a.warnings];
  for (const t of Object.values(a.tasks)) {
    if (!t) continue;
    for (const n of t.notes) warnings.push(`${t.task}: ${n}`);
    for (const x of t.excluded) warnings.push(`${t.task}: experiment ${x.id} — ${x.reason}`);
    if (t.pearson.reason) warnings.push(`${t.task}: Pearson r undefined — ${t.pearson.reason}`);
    if (t.pairedT.reason) warnings.push(`${t.task}: paired t-test undefined — ${t.pairedT.reason}`);
  }
  if (k.reason) warnings.push(`Kendall's τ undefined — ${k.reason}`);
  return warnings;
}

const INFO_TEXT: Record<string, string> = {
  'well-aligned': "both components high: the student's representations and outputs are both close to the teacher's",
  moderate: 'neither component lags the other, not both high: stronger distillation may raise both',
};

/** One diagnostic finding of one experiment or student. */
export interface FindingItem {
  /** Who it is about, e.g. `#2 SKD` or a student's label. */
  who: string;
  code: string;
  severity: 'info' | 'advice' | 'warning';
  message: string;
  /** Shown after `who` when the finding stands alone, e.g. the task. */
  context?: string;
}

/**
 * Findings as sentences, one per finding code where they can be merged: warnings, then advice
 * (naming each experiment or student with the values it rests on), then the informational ones
 * counted.
 */
export function groupFindings(items: readonly FindingItem[], noun: [string, string] = ['experiment', 'experiments']): string[] {
  const groups = new Map<string, { severity: FindingItem['severity']; items: FindingItem[] }>();
  for (const f of items) {
    const g = groups.get(f.code) ?? { severity: f.severity, items: [] };
    g.items.push(f);
    groups.set(f.code, g);
  }
  const out: string[] = [];
  const sorted = [...groups.entries()].sort((x, y) => SEVERITY_ORDER[x[1].severity] - SEVERITY_ORDER[y[1].severity]);
  const cap = (t: string) => `${t[0]!.toUpperCase()}${t.slice(1)}`;
  for (const [code, g] of sorted) {
    const n = g.items.length;
    if (g.severity === 'info' && INFO_TEXT[code]) {
      out.push(n === 1 ? `${g.items[0]!.who}: ${g.items[0]!.message}.` : `${n} ${noun[1]} (${g.items.map((i) => i.who).join(', ')}): ${INFO_TEXT[code]}.`);
      continue;
    }
    // Messages read "<situation> (<values>): <advice>"; group by situation and advice.
    const parsed = g.items.map((i) => ({ i, m: /^(.*?) \(([^)]*)\): (.*)$/.exec(i.message) }));
    if (n > 1 && parsed.every((p) => p.m && p.m[1] === parsed[0]!.m![1] && p.m[3] === parsed[0]!.m![3])) {
      const [, situation, , advice] = parsed[0]!.m!;
      out.push(`${cap(situation!)} in ${n} ${noun[1]} — ${parsed.map((p) => `${p.i.who} (${p.m![2]})`).join(', ')}: ${advice}.`);
    } else {
      for (const i of g.items) out.push(`${i.who}${i.context ? ` (${i.context})` : ''}: ${i.message}.`);
    }
  }
  return out;
}
