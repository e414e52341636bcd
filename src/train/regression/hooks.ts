/**
 * Node-only: where the regression demo meets the analysis (`krs analyze` over its
 * experiments table: Pearson of post-KD KRS with test RMSE, paired t of KRS, method rankings
 * by RMSE gain and by KRS gain) and the HTML report (`report.html`: the students, KRS and
 * test RMSE after every epoch, the test-period forecasts of every model, the analysis; each
 * chart also alone in `charts/`).
 */
import * as path from 'node:path';
import { type AnalysisResult, analyzeExperiments } from '../../analysis/analyze.js';
import { readExperimentsTable } from '../../analysis/node-experiments.js';
import { fixed } from '../../core/units.js';
import { asSentences } from '../../report/format.js';
import { writeReport } from '../../report/node-report.js';
import type { DemoReportInput } from '../../report/report.js';
import type { RegressionDemoHooks, RegressionDemoResult } from './demo.js';

export function regressionHooks(command?: string): RegressionDemoHooks {
  return {
    analyze: async (_rows, files) => {
      const table = readExperimentsTable(files.experimentsCsv);
      return analyzeExperiments(table.experiments, { source: files.experimentsCsv });
    },
    report: async (result) => {
      const file = path.join(result.files.out, 'report.html');
      await writeReport(regressionReportInput(result, command), { report: file, charts: path.join(result.files.out, 'charts') });
      return file;
    },
  };
}

const kw = (v: number) => `${fixed(v, 3)} kW`;

/** The report's input for a finished regression demo. */
export function regressionReportInput(r: RegressionDemoResult, command?: string): DemoReportInput {
  const c = r.config;
  const d = r.data;
  const label = (s: RegressionDemoResult['students'][number]) => `${s.id} (${s.label})`;
  return {
    kind: 'demo',
    title: `krs demo --task regression: forecasting ${d.target} of the UCI household power series`,
    command: command ?? `krs demo --task regression --seed ${r.seed}${r.quick ? ' --quick' : ''}`,
    generatedAt: null,
    description: [
      `Past ${d.window} days → next day of ${d.target}, standardised on the training rows; split by the forecast day: ${d.windows.train} training windows (${d.periods.train.join(' to ')}), ${d.windows.validation} validation (${d.periods.validation.join(' to ')}), ${d.windows.test} test (${d.periods.test.join(' to ')}). ${asSentences(d.notes)}`,
      `Teacher ${r.teacher.arch} (${r.teacher.params} parameters), students ${r.student.arch} (${r.student.params} parameters, ${fixed(r.student.fewerParams, 1)}× fewer), trained in-process with TensorFlow.js, every model keeping ${c.keep === 'last' ? 'its last epoch' : 'its epoch of lowest validation MSE'}. All students start from the same weights: the baseline learns the truth alone; distillation adds the teacher's forecasts with weight λ = ${c.softWeights.join(', ')}; the hint student first learns the teacher's recurrent state through a linear regressor (${c.hintEpochs} epochs), then distils at λ = ${c.hintSoftWeight}.`,
      `Test RMSE: teacher ${kw(r.teacher.test.rmse)}, persistence (tomorrow = today) ${kw(r.persistence.test.rmse)}; students ${r.students.map((s) => `${s.id} ${kw(s.test.rmse)}`).join(', ')}.`,
    ],
    teacher: { label: r.teacher.arch, rmse: r.teacher.test.rmse, mae: r.teacher.test.mae },
    students: r.students.map((s) => ({
      label: label(s),
      result: s.score,
      rmse: s.test.rmse,
      mae: s.test.mae,
      epochs: s.epochs.map((e) => ({ epoch: e.epoch, phase: e.phase, accuracy: null, fss: e.fss, aoa: e.aoa, krs: e.krs })),
    })),
    samples: `the ${d.windows.test} test days`,
    epochErrors: {
      students: r.students.map((s) => ({ label: label(s), epochs: s.epochs.map((e) => ({ epoch: e.epoch, phase: e.phase, rmse: e.testRmse })) })),
      teacher: r.teacher.test.rmse,
      unit: 'kW',
    },
    forecast: {
      days: r.testPeriod.days,
      truth: r.testPeriod.truth,
      teacher: r.testPeriod.teacher,
      students: r.students.map((s) => ({ label: s.id, values: s.forecast })),
      quantity: `${d.target} (kW)`,
    },
    ...(r.analysis ? { analysis: r.analysis as AnalysisResult } : {}),
  };
}
