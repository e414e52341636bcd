/**
 * Node-only: where the demo meets the analysis (`krs analyze`) and the HTML report.
 *
 * - analysis: the experiments table the demo wrote (experiments.csv) is read back with the
 *   same reader `krs analyze` uses and analysed by {@link analyzeExperiments} — Pearson of
 *   KRS against accuracy, paired t-test, method rankings with Kendall's τ, α-sensitivity,
 *   trade-off and diagnostics over pre = baseline, post = each KD student.
 * - report: `report.html` in the output folder, a `demo` report of the students, their scores
 *   after every epoch and the analysis (src/report), and every chart of it alone as
 *   `charts/<chart>.svg` and `.png`.
 */
import * as path from 'node:path';
import { type AnalysisResult, analyzeExperiments } from '../analysis/analyze.js';
import { readExperimentsTable } from '../analysis/node-experiments.js';
import { fixed } from '../core/units.js';
import type { AnalysisView } from '../report/analysis-view.js';
import type { Chart } from '../report/chart.js';
import { crossLayerHeatmap } from '../report/charts/heatmap.js';
import { writeCharts, writeReport } from '../report/node-report.js';
import { type AnalysisReportInput, type DemoTemperatureChoice, toAnalysisView } from '../report/report.js';
import type { DemoHooks, DemoResult, StudentResult } from './demo.js';
import type { StudyHooks, StudyResult } from './protocol/run.js';

/** The hooks `krs demo` runs; `command` is the command line shown in the report's footer. */
export function demoHooks(command?: string): DemoHooks {
  return {
    analyze: async (_rows, files) => {
      const table = readExperimentsTable(files.experimentsCsv);
      return analyzeExperiments(table.experiments, { source: files.experimentsCsv });
    },
    report: async (result) => {
      const file = path.join(result.files.out, 'report.html');
      await writeReport(demoReportInput(result, command), { report: file, charts: path.join(result.files.out, 'charts') });
      return file;
    },
  };
}

/** The report's input for a finished demo run. */
export function demoReportInput(r: DemoResult, command?: string): Parameters<typeof writeReport>[0] {
  const c = r.config;
  const label = (s: StudentResult) => `${s.id} (${s.label})`;
  // The vanilla-KD student at a temperature (FitNet distils at one of them too).
  const atT = (t: number) => r.students.filter((s) => s.method === 'kd' && s.temperature === t).map(label);
  const t = r.temperature;
  const choice = (temperature: number, krs: number, accuracy: number, tied?: number[]): DemoTemperatureChoice => ({
    temperature,
    students: (tied ?? [temperature]).flatMap(atT),
    krs,
    accuracy: accuracy / 100,
    ...(tied ? { tied } : {}),
  });
  return {
    kind: 'demo',
    command: command ?? `krs demo --seed ${r.seed}${r.quick ? ' --quick' : ''}`,
    generatedAt: null,
    description: [
      `Teacher ${r.teacher.arch} (${r.teacher.params} parameters) and students ${r.student.arch} (${r.student.params} parameters, ${fixed(r.student.fewerParams, 1)}× fewer), trained in-process with TensorFlow.js on ${r.data.train} MNIST digits and scored on ${r.data.test} held-out digits (seed ${r.seed}).`,
      `Every student starts from the same initial weights: the baseline learns from hard labels only (the pre-KD student); vanilla KD adds the teacher's softened outputs at T = ${c.temperatures.join(', ')} (soft-target weight ${c.softWeight}); FitNet first learns the teacher's ${c.hintLayer} through a linear regressor (${c.hintEpochs} epochs), then distils at T = ${c.fitnetTemperature}.`,
      `KD raised KRS above the baseline's for ${r.kdRaisedKrs.raised.length} of ${r.kdRaisedKrs.raised.length + r.kdRaisedKrs.notRaised.length} methods${r.kdRaisedKrs.notRaised.length ? ` (not for ${r.kdRaisedKrs.notRaised.join(', ')})` : ''}. Among the KD temperatures, KRS picks T = ${r.temperature.byKrs.temperature}; held-out accuracy picks T = ${r.temperature.byAccuracy.temperature}.`,
    ],
    teacher: { label: r.teacher.arch, accuracy: r.teacher.accuracy / 100 },
    students: r.students.map((s) => ({
      label: label(s),
      result: s.score,
      crossLayer: s.crossLayer,
      accuracy: s.accuracy / 100,
      epochs: s.epochs.map((e) => ({ epoch: e.epoch, phase: e.phase, accuracy: e.accuracy / 100, fss: e.fss, aoa: e.aoa, krs: e.krs })),
    })),
    temperature: {
      candidates: t.candidates,
      byKrs: choice(t.byKrs.temperature, t.byKrs.krs, t.byKrs.accuracy),
      byAccuracy: choice(t.byAccuracy.temperature, t.byAccuracy.krs, t.byAccuracy.accuracy, t.byAccuracy.tied),
    },
    ...(r.analysis ? { analysis: r.analysis as AnalysisResult } : {}),
  };
}

/**
 * The hooks `krs demo --study` runs: the experiments table analysed as `krs analyze` does, and
 * `report.html` — the analysis report of the study (correlation scatter, per-experiment bars,
 * method rankings, α sweeps) — with its charts in `charts/`.
 */
export function studyHooks(command?: string): StudyHooks {
  return {
    analyze: async (_rows, files) => {
      const table = readExperimentsTable(files.experimentsCsv);
      return analyzeExperiments(table.experiments, { source: files.experimentsCsv });
    },
    report: async (result) => {
      if (result.heatmaps.length) await writeCharts(path.join(result.files.out, 'heatmaps'), studyHeatmapCharts(result), { formats: ['svg'] });
      if (!result.analysis) return null;
      const file = path.join(result.files.out, 'report.html');
      await writeReport(studyReportInput(result, command), { report: file, charts: path.join(result.files.out, 'charts') });
      return file;
    },
  };
}

/**
 * One chart per student size: the cross-layer CKA heatmap of the teacher's layers against the
 * baseline student's and against each KD method's student of that size, side by side
 * (`heatmaps/cross-layer-<size>.svg`) — how distillation moved which layer towards which.
 */
export function studyHeatmapCharts(result: StudyResult): Chart[] {
  const sizes = [...new Set(result.heatmaps.map((h) => h.short))];
  return sizes.map((short) => {
    const matrices = result.heatmaps.filter((h) => h.short === short);
    const panels = matrices.map((h) => ({ label: `${h.arch} ${h.method}`, matrix: h }));
    return crossLayerHeatmap(panels, { id: `cross-layer-${short}`, subtitle: heatmapSubtitle(matrices) });
  });
}

/**
 * What a study heatmap's subtitle says of how its matrices were computed: the samples, and the
 * estimator with the exact route each panel took (`linear CKA, exact (feature-space route)`; the
 * routes joined by `/` when the panels differ; matrices from before the route was recorded say
 * `linear CKA` alone).
 */
export function heatmapSubtitle(matrices: readonly Pick<StudyResult['heatmaps'][number], 'estimator' | 'route' | 'n'>[]): string {
  const distinct = <T>(xs: T[]) => [...new Set(xs.filter((x) => x !== undefined && x !== null))];
  const ns = distinct(matrices.map((m) => m.n));
  const estimators = distinct(matrices.map((m) => m.estimator));
  const routes = distinct(matrices.map((m) => m.route));
  const how = estimators.length ? `, ${estimators.join('/')}${routes.length ? ` (${routes.join('/')} route)` : ''}` : '';
  return `${ns.length ? `${ns.join('/')} samples, ` : ''}linear CKA${how}`;
}

/**
 * The report's input for a finished study: the analysis of its experiments table, each
 * experiment carrying the 95 % intervals of its KRS before and after KD from the study's
 * scores (the table itself has no intervals).
 */
export function studyReportInput(result: StudyResult, command?: string): AnalysisReportInput {
  const view = toAnalysisView(result.analysis as AnalysisResult | AnalysisView);
  const byId = new Map(result.experiments.map((e) => [e.id, e]));
  return {
    kind: 'analysis',
    analysis: {
      ...view,
      experiments: view.experiments.map((e) => ({ ...e, krsPreCi: byId.get(e.id)?.krsPreCi ?? null, krsPostCi: byId.get(e.id)?.krsPostCi ?? null })),
    },
    command: command ?? `krs demo --study --seed ${result.seed}${result.quick ? ' --quick' : ''}`,
    generatedAt: null,
    title: `KRS validation study (${result.family}, ${result.dataset}): ${result.experiments.length} distillation experiments (seed ${result.seed})`,
  };
}
