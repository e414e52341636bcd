/**
 * Reports: one self-contained HTML file for a score (`krs score`, `krs eval`), an analysis
 * (`krs analyze`) or the demo (`krs demo`), with every chart inline as SVG and the tables
 * behind them. Pure: no file system; rendering uses vega (which runs in Node and browsers).
 * Node-side file writing (HTML, SVG and PNG files) is in node-report.ts.
 *
 * @example
 *   const html = await renderReport({ kind: 'score', result, crossLayer, command: 'krs score …' });
 */

import type { AnalysisResult } from '../analysis/analyze.js';
import { diagnose } from '../krs/diagnose.js';
import { VERSION } from '../version.js';
import { analysisCharts, analysisSummary } from './analysis-report.js';
import { type AnalysisView, analysisView, type FindingItem, groupFindings } from './analysis-view.js';
import { type Cell, type Chart, type ChartTable, col, exact, uniqueIds } from './chart.js';
import { type EpochPoint, krsByEpochChart } from './charts/epochs.js';
import { type EpochErrors, type ForecastSeries, forecastChart, rmseByEpochChart } from './charts/forecast.js';
import { crossLayerHeatmap, type MatrixLike } from './charts/heatmap.js';
import { type RegressionPredictions, regressionSection } from './charts/regression.js';
import { compositionChart, layerSimilarityChart } from './charts/score.js';
import { studentLayersChart, studentsChart } from './charts/students.js';
import { documentCharts, type ReportDocument, type ReportSection } from './document.js';
import { fmt, fmtPct, fmtSig, fmtWeight } from './format.js';
import { assembleHtml } from './html.js';
import { outputDetailsTable } from './output-details.js';
import { type ReadableScore, type ReportOutput, readScore } from './reading.js';
import { renderSvg } from './render.js';
import { seriesColors } from './theme.js';

/** Provenance and presentation shared by every kind of report. */
export interface ReportMeta {
  /** The command line that produced the report, shown verbatim in the footer. */
  command?: string;
  /** krs version (default: this one). */
  version?: string;
  /** When it was made (ISO 8601); null or absent: not shown (reproducible files). */
  generatedAt?: string | null;
  /** Overrides the report's title. */
  title?: string;
}

/** A score as the report reads it: a `KrsResult` (or `ScoreCapturesResult`, `EvalResult`). */
export interface ReportScore extends ReadableScore {
  warnings?: readonly string[];
  similarity?: string;
  pool?: string;
  backend?: string;
  teacherFile?: string;
  studentFile?: string;
  ids?: string | null;
  output?: ReportOutput;
}

/** One model of an eval: its file and quality on the data set's targets. */
export interface ModelInfo {
  file: string;
  accuracy?: number | null;
  rmse?: number | null;
  mae?: number | null;
}

export interface ScoreReportInput extends ReportMeta {
  kind: 'score';
  result: ReportScore;
  /** The cross-layer CKA matrix (krs eval --all-pairs, or computed from the captures). */
  crossLayer?: MatrixLike | null;
  /** krs eval: the two models and the data set. */
  models?: { teacher: ModelInfo; student: ModelInfo; data?: string };
  /**
   * Regression and forecasting: both models' predictions (n × horizon, sample = time order)
   * and the truth when known, for the "Predictions" section (student vs teacher scatter with
   * the identity line, residuals over the samples, error by horizon step when horizon > 1).
   * Large n is decimated in the charts, which say so. `regressionOfCaptures` makes it from two
   * captures.
   */
  regression?: RegressionPredictions | null;
}

export interface AnalysisReportInput extends ReportMeta {
  kind: 'analysis';
  /** What `analyzeExperiments` returned (or a view made from one). */
  analysis: AnalysisResult | AnalysisView;
}

/** The report's view of an analysis, whichever form it came in. */
export function toAnalysisView(a: AnalysisResult | AnalysisView): AnalysisView {
  return Array.isArray((a as AnalysisView).tasks) ? (a as AnalysisView) : analysisView(a as AnalysisResult);
}

export interface DemoStudent {
  label: string;
  result: ReportScore;
  crossLayer?: MatrixLike | null;
  /** Accuracy on the test set (fraction). */
  accuracy?: number | null;
  /** A forecasting demo: test RMSE and MAE against the truth (in the target's unit). */
  rmse?: number | null;
  mae?: number | null;
  /** Scores and held-out accuracy (fraction) after every training epoch, epoch 0 being the initial weights: the `krs-by-epoch` chart. */
  epochs?: EpochPoint[];
}

/** A temperature picked among the vanilla-KD students after the last epoch. */
export interface DemoTemperatureChoice {
  temperature: number;
  /** The picked student's label as in `students` (several on a tie), first the one at `temperature`. */
  students: string[];
  /** That student's KRS (0–100) and held-out accuracy (fraction). */
  krs: number;
  accuracy: number;
  /** Every temperature tied with it, lowest first (accuracy ties). */
  tied?: number[];
}

/** The temperature KRS would pick and the one accuracy would pick (paper §4.4). */
export interface DemoTemperaturePicks {
  /** The temperatures compared. */
  candidates: number[];
  byKrs: DemoTemperatureChoice;
  byAccuracy: DemoTemperatureChoice;
}

export interface DemoReportInput extends ReportMeta {
  kind: 'demo';
  /** Paragraphs describing what was trained and how. */
  description?: string[];
  teacher?: { label: string; accuracy?: number | null; rmse?: number | null; mae?: number | null };
  students: DemoStudent[];
  /** The temperature picked by KRS and by accuracy, stated with the `krs-by-epoch` chart. */
  temperature?: DemoTemperaturePicks;
  /** An analysis of the demo's experiments (pre/post KD), if it made one. */
  analysis?: AnalysisResult | AnalysisView;
  /** A forecasting demo: the test period's truth and every model's forecasts (the `forecast-test-period` chart). */
  forecast?: ForecastSeries;
  /** A forecasting demo: every student's test error after each epoch (the `rmse-by-epoch` chart), the teacher's, and the unit. */
  epochErrors?: { students: EpochErrors[]; teacher: number | null; unit: string };
  /** What the scores are computed on, for the KRS-by-epoch chart (default `held-out digits`). */
  samples?: string;
}

export type ReportInput = ScoreReportInput | AnalysisReportInput | DemoReportInput;

const f1 = (v: number) => fmt(v, 1);
const f2 = (v: number) => fmt(v, 2);
const pct = (v: number | null | undefined) => fmtPct(v, 2);

const NOTE =
  'KRS = α·FSS + β·AOA (Alba & Villaverde, AI 2025, 6(10), 273) with the definitions of the krs README. Charts are drawn with Vega-Lite; every number drawn is in the table under its chart.';

function footer(meta: ReportMeta): ReportDocument['footer'] {
  return { command: meta.command ?? '', version: meta.version ?? VERSION, generatedAt: meta.generatedAt ?? null, note: NOTE };
}

function scoreCards(r: ReportScore) {
  // The 95 % interval, when the score has one (jackknife over groups of samples, docs/formulas.md §"Intervals").
  const ci = (k: 'fss' | 'aoa' | 'krs') => {
    const c = r.ci95?.[k];
    return c ? ` (95% CI ${f1(c[0])}–${f1(c[1])})` : '';
  };
  // Reference levels (src/krs/reference-levels.ts): teacher 100, the null level, a baseline.
  const ref = (k: 'fss' | 'aoa' | 'krs') => {
    const parts = ['teacher 100'];
    if (r.reference?.null) parts.push(`null ${f1(r.reference.null[k])}`);
    if (r.reference?.baseline) parts.push(`baseline ${f1(r.reference.baseline[k])}`);
    return ` · ${parts.join(' · ')}`;
  };
  return [
    { label: 'KRS', value: f1(r.krs), note: `α·FSS + β·AOA; 100 = identical to the teacher${ci('krs')}${ref('krs')}`, kind: 'krs' as const },
    {
      label: 'FSS',
      value: f1(r.fss),
      note: `layer similarity to the teacher, weight α = ${fmtWeight(r.alpha)}${ci('fss')}${ref('fss')}`,
      kind: 'fss' as const,
    },
    {
      label: 'AOA',
      value: f1(r.aoa),
      note: `output agreement with the teacher, weight β = ${fmtWeight(r.beta)}${ci('aoa')}${ref('aoa')}`,
      kind: 'aoa' as const,
    },
  ];
}

function formula(r: ReportScore): string {
  return `KRS = α·FSS + β·AOA = ${r.alpha} × ${f2(r.fss)} + ${fmtWeight(r.beta)} × ${f2(r.aoa)} = ${f2(r.krs)}`;
}

function scoreDocument(input: ScoreReportInput): ReportDocument {
  const r = input.result;
  const facts: [string, string][] = [
    ['task', r.task],
    ['samples', String(r.n)],
    ['α, β', `${r.alpha}, ${fmtWeight(r.beta)}`],
  ];
  if (r.similarity) facts.push(['similarity', r.similarity]);
  if (r.pool) facts.push(['pooling', r.pool]);
  if (r.output?.metric) facts.push(['output agreement', r.output.metric]);
  if (input.models) {
    if (input.models.data) facts.push(['data', input.models.data]);
    for (const side of ['teacher', 'student'] as const) {
      const m = input.models[side];
      const q =
        m.accuracy !== null && m.accuracy !== undefined
          ? `accuracy ${pct(m.accuracy)}`
          : m.rmse !== null && m.rmse !== undefined
            ? `RMSE ${fmtSig(m.rmse, 4)}`
            : '';
      facts.push([side, q ? `${m.file} (${q})` : m.file]);
    }
  } else {
    if (r.teacherFile) facts.push(['teacher', r.teacherFile]);
    if (r.studentFile) facts.push(['student', r.studentFile]);
  }
  if (r.ids) facts.push(['aligned by', r.ids]);
  const { reading, diagnostics } = readScore(r);
  const layerCharts: Chart[] = [layerSimilarityChart(r)];
  if (input.crossLayer) layerCharts.push(crossLayerHeatmap(input.crossLayer));
  const outTable = outputDetailsTable(r.output as Record<string, unknown> | undefined);
  const sections: ReportSection[] = [
    {
      id: 'components',
      title: 'Components',
      intro: 'How the two components make up KRS.',
      charts: [compositionChart(r)],
      ...(outTable ? { tables: [{ title: 'Output agreement details', table: outTable }] } : {}),
    },
    ...(input.regression ? [regressionSection(input.regression)] : []),
    {
      id: 'layers',
      title: 'Layers',
      intro: input.crossLayer
        ? 'The similarity of each scored layer pair, then every teacher layer against every student layer: where in the network the student resembles its teacher.'
        : 'The similarity of each scored layer pair.',
      charts: layerCharts,
    },
  ];
  return {
    title: input.title ?? `KRS: ${r.task} student against its teacher`,
    subtitle: [r.studentFile || input.models?.student.file, r.teacherFile || input.models?.teacher.file].every(Boolean)
      ? `student ${input.models?.student.file ?? r.studentFile} against teacher ${input.models?.teacher.file ?? r.teacherFile}, ${r.n} samples`
      : `${r.n} samples`,
    summary: { cards: scoreCards(r), formula: formula(r), facts },
    reading,
    diagnostics,
    warnings: [...new Set([...(r.warnings ?? []), ...((input.crossLayer as { warnings?: string[] } | null | undefined)?.warnings ?? [])])],
    sections: withUniqueCharts(sections),
    footer: footer(input),
  };
}

function analysisDocument(input: AnalysisReportInput): ReportDocument {
  const a = toAnalysisView(input.analysis);
  const s = analysisSummary(a);
  return {
    title: input.title ?? 'KRS across experiments',
    subtitle: s.subtitle,
    summary: { cards: s.cards, formula: s.formula, facts: s.facts, tables: s.tables },
    reading: s.reading,
    diagnostics: a.diagnostics,
    warnings: a.warnings,
    sections: withUniqueCharts(analysisCharts(a)),
    footer: footer(input),
  };
}

function demoDocument(input: DemoReportInput): ReportDocument {
  const students = input.students;
  const analysis = input.analysis ? toAnalysisView(input.analysis) : undefined;
  const best = [...students].sort((x, y) => y.result.krs - x.result.krs)[0];
  const reading = [...(input.description ?? [])];
  if (best)
    reading.push(
      `The student closest to its teacher by KRS is “${best.label}”, with KRS ${f1(best.result.krs)} (FSS ${f1(best.result.fss)}, AOA ${f1(best.result.aoa)}).`,
    );
  const models = demoModelsTable(input);
  return {
    title: input.title ?? 'krs demo: distillation on real data',
    subtitle: `${students.length} student${students.length === 1 ? '' : 's'} scored against ${input.teacher?.label ?? 'the teacher'}`,
    summary: { cards: demoCards(students, best), formula: '', facts: demoFacts(input), tables: [models] },
    reading,
    diagnostics: demoDiagnostics(students, analysis),
    warnings: [...demoWarnings(students), ...(analysis?.warnings ?? [])],
    sections: withUniqueCharts(demoSections(input, analysis)),
    footer: footer(input),
  };
}

/** One card per student: its KRS, with FSS, AOA and its task metric; the best by KRS marked. */
function demoCards(students: readonly DemoStudent[], best: DemoStudent | undefined) {
  return students.map((s) => ({
    label: s.label,
    value: f1(s.result.krs),
    note: `KRS · FSS ${f1(s.result.fss)} · AOA ${f1(s.result.aoa)}${s.accuracy != null ? ` · acc ${pct(s.accuracy)}` : ''}${s.rmse != null ? ` · RMSE ${fmtSig(s.rmse)}` : ''}`,
    kind: (s === best ? 'krs' : undefined) as 'krs' | undefined,
  }));
}

function demoFacts(input: DemoReportInput): [string, string][] {
  const facts: [string, string][] = [];
  const first = input.students[0];
  if (input.teacher) facts.push(['teacher', `${input.teacher.label}${input.teacher.accuracy != null ? ` (accuracy ${pct(input.teacher.accuracy)})` : ''}`]);
  if (first) facts.push(['task', first.result.task], ['samples', String(first.result.n)], ['α, β', `${first.result.alpha}, ${fmtWeight(first.result.beta)}`]);
  return facts;
}

/**
 * Each student's component finding, merged where the advice is the same; from the analysis,
 * only the findings about change (a component that fell, no gain), which the students' own lack.
 */
function demoDiagnostics(students: readonly DemoStudent[], analysis: AnalysisView | undefined) {
  const studentFindings: FindingItem[] = students.flatMap((s) =>
    diagnose({ fss: s.result.fss, aoa: s.result.aoa, baselineKnown: !!analysis }).findings.map((f) => ({
      who: s.label,
      code: f.code,
      severity: f.severity,
      message: f.message,
    })),
  );
  const changeFindings = (analysis?.findings ?? []).filter((f) => f.severity === 'warning');
  return [...groupFindings(studentFindings, ['student', 'students']), ...groupFindings(changeFindings)];
}

/** The same warning for several students once, naming them. */
function demoWarnings(students: readonly DemoStudent[]): string[] {
  const byWarning = new Map<string, string[]>();
  for (const s of students) for (const w of s.result.warnings ?? []) byWarning.set(w, [...(byWarning.get(w) ?? []), s.label]);
  return [...byWarning].map(([w, who]) => (who.length === students.length && students.length > 1 ? `all students: ${w}` : `${who.join(', ')}: ${w}`));
}

/** The students, then (where the demo has them) tuning by epoch, forecasts, cross-layer CKA and the analysis. */
function demoSections(input: DemoReportInput, analysis: AnalysisView | undefined): ReportSection[] {
  const students = input.students;
  // Each student's colour, once for the whole report (every chart, whatever students it draws).
  const colorOf = seriesColors(students.map((s) => s.label));
  const sections: ReportSection[] = [
    {
      id: 'students',
      title: 'Students',
      intro: 'Every student against the same teacher on the same inputs.',
      charts: [studentsChart(students), studentLayersChart(students, colorOf)],
    },
  ];
  const tuning = tuningSection(input, colorOf);
  if (tuning) sections.push(tuning);
  if (input.forecast) {
    sections.push({
      id: 'forecast',
      title: 'Forecasts over the test period',
      intro: "The truth, the teacher's forecasts and every student's, day by day.",
      charts: [forecastChart(input.forecast, colorOf)],
    });
  }
  const matrices = students.filter((s) => s.crossLayer).map((s) => ({ label: s.label, matrix: s.crossLayer! }));
  if (matrices.length) {
    sections.push({
      id: 'cross-layer',
      title: 'Cross-layer CKA',
      intro: "Every teacher layer against every student layer, one heatmap per student on one colour scale (as the paper's Figures 11–13).",
      charts: [crossLayerHeatmap(matrices, { id: 'cross-layer-cka' })],
    });
  }
  if (analysis) sections.push(...analysisCharts(analysis));
  return sections;
}

/** KRS by epoch as a tuning signal (and the temperature picks), when students were scored after every epoch. */
function tuningSection(input: DemoReportInput, colorOf: ReturnType<typeof seriesColors>): ReportSection | undefined {
  const withEpochs = input.students.filter((s) => s.epochs?.length);
  if (!withEpochs.length) return undefined;
  const t = input.temperature;
  const pick = (c: DemoTemperatureChoice) => ({ temperature: c.temperature, students: c.students });
  return {
    id: 'tuning',
    title: 'KRS as a tuning signal',
    intro: t
      ? temperatureSentence(t)
      : input.epochErrors
        ? "Every student's KRS and test error after every epoch of training (paper §4.4)."
        : "Every student's KRS and held-out accuracy after every epoch of training (paper §4.4).",
    charts: [
      krsByEpochChart(
        withEpochs.map((s) => ({ label: s.label, epochs: s.epochs! })),
        { ...(t ? { picks: { krs: pick(t.byKrs), accuracy: pick(t.byAccuracy) } } : {}), ...(input.samples ? { samples: input.samples } : {}), colorOf },
      ),
      ...(input.epochErrors ? [rmseByEpochChart(input.epochErrors.students, input.epochErrors.teacher, input.epochErrors.unit, colorOf)] : []),
    ],
  };
}

/** The models table: teacher and students with their task metric (test RMSE and MAE for forecasts, else accuracy) and scores. */
function demoModelsTable(input: DemoReportInput): { title: string; table: ChartTable } {
  const students = input.students;
  const errorsShown = students.some((s) => s.rmse != null);
  const metricCols = errorsShown ? [col('rmse', 'test RMSE', 4), col('mae', 'test MAE', 4)] : [col('accuracy', 'accuracy', 2)];
  const metricCells = (m: { accuracy?: number | null; rmse?: number | null; mae?: number | null }): Record<string, Cell> =>
    errorsShown ? { rmse: exact(m.rmse), mae: exact(m.mae) } : { accuracy: m.accuracy != null ? exact(m.accuracy * 100) : null };
  const table: ChartTable = {
    columns: [col('model', 'model'), ...metricCols, col('fss', 'FSS'), col('aoa', 'AOA'), col('krs', 'KRS')],
    rows: [
      ...(input.teacher ? [{ model: `${input.teacher.label} (teacher)`, ...metricCells(input.teacher), fss: null, aoa: null, krs: null }] : []),
      ...students.map((s) => ({ model: s.label, ...metricCells(s), fss: exact(s.result.fss), aoa: exact(s.result.aoa), krs: exact(s.result.krs) })),
    ],
  };
  return { title: errorsShown ? 'Models (test error against the truth)' : 'Models (accuracy in %)', table };
}

/** One sentence: the temperature KRS picks and the one accuracy picks, with both numbers of each. */
export function temperatureSentence(t: DemoTemperaturePicks): string {
  const k = t.byKrs;
  const a = t.byAccuracy;
  const others = (a.tied ?? []).filter((x) => x !== a.temperature);
  const tie = others.length ? `; tied with T = ${others.join(', ')}` : '';
  const end = k.temperature === a.temperature ? ': they agree.' : others.includes(k.temperature) ? ", so KRS's pick is among accuracy's." : '.';
  return (
    `Among the vanilla-KD temperatures (T = ${t.candidates.join(', ')}), KRS after the last epoch picks T = ${k.temperature} (KRS ${f2(k.krs)}, accuracy ${pct(k.accuracy)}) ` +
    `and held-out accuracy picks T = ${a.temperature} (accuracy ${pct(a.accuracy)}, KRS ${f2(a.krs)}${tie})${end}`
  );
}

/** Chart ids unique across the whole document. */
function withUniqueCharts(sections: ReportSection[]): ReportSection[] {
  const all = uniqueIds(sections.flatMap((s) => s.charts));
  let k = 0;
  return sections.map((s) => ({ ...s, charts: s.charts.map(() => all[k++]!) }));
}

/** The document of a report: summary, sections, charts and tables (no rendering). */
export function buildReport(input: ReportInput): ReportDocument {
  switch (input.kind) {
    case 'score':
      return scoreDocument(input);
    case 'analysis':
      return analysisDocument(input);
    case 'demo':
      return demoDocument(input);
  }
}

/** Every chart a report holds, in order (what `--charts DIR` writes). */
export function reportCharts(input: ReportInput): Chart[] {
  return documentCharts(buildReport(input));
}

export interface RenderOptions {
  /** Chart → SVG; default {@link renderSvg} (vega). Tests pass a stub. */
  renderChart?: (chart: Chart) => Promise<string>;
  /** SVGs already rendered, by chart id (reused instead of rendering again). */
  svgs?: ReadonlyMap<string, string>;
}

/**
 * The report as one self-contained HTML string.
 * @example const html = await renderReport({ kind: 'analysis', analysis, command: 'krs analyze runs.csv --report r.html' });
 */
export async function renderReport(input: ReportInput, options: RenderOptions = {}): Promise<string> {
  const doc = buildReport(input);
  const svgs = await renderCharts(documentCharts(doc), options);
  return assembleHtml(doc, svgs);
}

/** Render charts to SVG (sequentially: vega's def ids are reset per chart). */
export async function renderCharts(charts: readonly Chart[], options: RenderOptions = {}): Promise<Map<string, string>> {
  const render = options.renderChart ?? renderSvg;
  const out = new Map<string, string>();
  for (const c of charts) out.set(c.id, options.svgs?.get(c.id) ?? (await render(c)));
  return out;
}
