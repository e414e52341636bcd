/**
 * Node-only: the regression demo (`krs demo --task regression`) — the paper's time-series
 * experiment in miniature, on the shipped UCI household power series, in-process.
 *
 * 1. "Past 24 days → next day" of `Global_active_power` (`data.ts`: gaps skipped, standardised
 *    on the training split; chronological split 70 / 10 / 20 % by the forecast day).
 * 2. Train a recurrent teacher (LSTM) on the truth (MSE), logging its validation MSE per epoch.
 * 3. Train students a few times smaller, all from the same initial weights in the same batch
 *    order: the **baseline** on the truth alone; **distillation** on the teacher's forecasts,
 *    loss (1 − λ)·MSE(s, y) + λ·MSE(s, t) for each soft-target weight λ; and **hint**
 *    (FitNet-style: the student's recurrent state learns the teacher's through a linear
 *    regressor, then distillation at `hintSoftWeight`). Each keeps its last epoch's weights
 *    (`keep: 'validation'`: its epoch of lowest validation MSE).
 * 4. After every epoch: test RMSE and MAE against the truth (kW) and FSS, AOA, KRS against the
 *    teacher (task `regression`: FSS = mean linear CKA of the recurrent states and the hidden
 *    layers, AOA = normalised MSE agreement of the forecasts).
 * 5. Write every network's test-period activations as a capture (`recurrent`, `hidden`,
 *    `predictions` and `targets` in kW, `ids`) and score the final students from those files
 *    with {@link scoreCaptures} — what `krs score --task regression` runs.
 * 6. The experiments table (pre = baseline, post = each other student; metric `rmse`, lower is
 *    better), the analysis and report hooks, and the test-period forecasts of every model.
 *
 * Deterministic per seed (wasm backend single-threaded; every draw seeded).
 */
import * as path from 'node:path';
import { createRng } from '../../core/rng.js';
import type { Tensor } from '../../core/tensor.js';
import { fixed } from '../../core/units.js';
import { ensureDir, writeFileAtomic } from '../../io/node-atomic-write.js';
import { openCapture } from '../../io/node-capture.js';
import { NpzWriter } from '../../io/node-npz-writer.js';
import { KrsMetric, type LayerPair } from '../../krs/metric.js';
import { type ScoreCapturesResult, scoreCaptures } from '../../krs/score-captures.js';
import type { MatrixBackend } from '../../linalg/backend.js';
import { VERSION } from '../../version.js';
import type { DemoEvent, DemoFiles, EpochRow } from '../demo.js';
import { demoFiles, trainInOrder, writeDemoTables } from '../demo-runner.js';
import { type ExperimentRow, toCsv } from '../experiments.js';
import { finishRun, type RunHooks, secondsSince } from '../finish-run.js';
import type { LoopProgress } from '../loop.js';
import { denseInit } from '../models.js';
import { initTf, tf } from '../tf.js';
import type { RegressionDemoConfig } from './config.js';
import { type SeriesPart, type SeriesSplit, seriesSplit } from './data.js';
import { buildRecurrent, RECURRENT_LAYERS, type RecurrentNet, recurrentInit } from './models.js';
import { type SeriesBatch, type SeriesTensors, trainSeries } from './train.js';

export type RegressionMethod = 'baseline' | 'distil' | 'hint';

export interface RegressionStudentSpec {
  /** `baseline`, `distil-0.3`, …, `hint`: the capture's name and the experiments' method. */
  id: string;
  method: RegressionMethod;
  label: string;
  /** λ, the weight of the teacher's forecasts in the loss (0 for the baseline). */
  softWeight: number;
}

/** A model's forecasts on one part of the series, in kW. */
export interface ForecastErrors {
  rmse: number;
  mae: number;
}

/** One line of the per-epoch log (scores 0–100, errors in kW, null where not applicable). */
export interface RegressionEpochRow {
  model: string;
  method: string;
  phase: 'init' | 'train' | 'distil' | 'hint';
  epoch: number;
  loss: number | null;
  /** Validation MSE (standardised units) against the truth. */
  validationMse: number | null;
  testRmse: number;
  testMae: number;
  fss: number | null;
  aoa: number | null;
  krs: number | null;
}

export interface RegressionStudentResult extends RegressionStudentSpec {
  test: ForecastErrors;
  validation: ForecastErrors;
  /** The epoch whose weights were kept (the last, or the lowest validation MSE with `keep: 'validation'`). */
  keptEpoch: number;
  fss: number;
  aoa: number;
  krs: number;
  ci95: ScoreCapturesResult['ci95'];
  /** Change against the baseline (null for the baseline). */
  delta: { krs: number; fss: number; aoa: number; rmse: number; mae: number } | null;
  capture: string;
  score: ScoreCapturesResult;
  epochs: RegressionEpochRow[];
  /** Test-period forecasts, kW, by test window. */
  forecast: number[];
  seconds: number;
}

export interface RegressionDemoResult {
  demo: 'household-power-forecast';
  version: string;
  seed: number;
  quick: boolean;
  config: RegressionDemoConfig;
  data: {
    file: string;
    target: string;
    window: number;
    windows: { train: number; validation: number; test: number };
    /** First and last forecast day of each part. */
    periods: { train: [string, string]; validation: [string, string]; test: [string, string] };
    /** The standardisation of the target (fitted on the training rows). */
    mean: number;
    std: number;
    notes: string[];
  };
  task: 'regression';
  alpha: number;
  beta: number;
  /** Forecasting tomorrow = today, for scale. */
  persistence: { test: ForecastErrors };
  teacher: {
    arch: string;
    params: number;
    test: ForecastErrors;
    validation: ForecastErrors;
    keptEpoch: number;
    capture: string;
    epochs: RegressionEpochRow[];
    seconds: number;
  };
  student: { arch: string; params: number; fewerParams: number };
  pairs: LayerPair[];
  students: RegressionStudentResult[];
  /** Test period: the forecast days, the truth and the teacher's forecasts (kW). */
  testPeriod: { days: string[]; truth: number[]; teacher: number[] };
  experiments: ExperimentRow[];
  analysis: unknown;
  files: DemoFiles;
  warnings: string[];
  seconds: number;
}

export type RegressionDemoHooks = RunHooks<DemoFiles, RegressionDemoResult>;

export interface RunRegressionDemoOptions {
  out: string;
  backend?: MatrixBackend;
  onEvent?: (e: DemoEvent) => void;
  hooks?: RegressionDemoHooks;
}

/** The students of a configuration, in order: baseline, distillation per λ, hint. */
export function regressionStudentSpecs(c: RegressionDemoConfig): RegressionStudentSpec[] {
  return [
    { id: 'baseline', method: 'baseline', label: 'truth only (MSE)', softWeight: 0 },
    ...c.softWeights.map(
      (w): RegressionStudentSpec => ({ id: `distil-${w}`, method: 'distil', label: `distillation on the teacher's forecasts, λ=${w}`, softWeight: w }),
    ),
    { id: 'hint', method: 'hint', label: `hint (recurrent state) + distillation, λ=${c.hintSoftWeight}`, softWeight: c.hintSoftWeight },
  ];
}

/** Root mean squared and mean absolute error of forecasts against the truth. */
export function forecastErrors(pred: ArrayLike<number>, truth: ArrayLike<number>): ForecastErrors {
  let se = 0;
  let ae = 0;
  for (let i = 0; i < truth.length; i++) {
    const d = pred[i]! - truth[i]!;
    se += d * d;
    ae += Math.abs(d);
  }
  return { rmse: Math.sqrt(se / truth.length), mae: ae / truth.length };
}

interface Activations {
  n: number;
  recurrent: Float32Array;
  hidden: Float32Array;
  /** Standardised forecasts [n]. */
  forecast: Float32Array;
}

/** A network's activations on one part of the series. */
function forwardPart(net: RecurrentNet, part: SeriesPart, window: number): Activations {
  const outs = tf.tidy(() => net.forward(tf.tensor3d(part.x, [part.n, window, 1])));
  const [r, h, f] = outs.map((t) => t.dataSync() as Float32Array);
  tf.dispose(outs);
  return { n: part.n, recurrent: r!.slice(), hidden: h!.slice(), forecast: f!.slice() };
}

const EPOCH_COLUMNS = ['model', 'method', 'phase', 'epoch', 'loss', 'validationMse', 'testRmse', 'testMae', 'fss', 'aoa', 'krs'] as const;

/** Run the regression demo and write results.json, experiments.csv/.json, epochs.csv, forecasts.csv and captures/ to `options.out`. */
export async function runRegressionDemo(config: RegressionDemoConfig, options: RunRegressionDemoOptions): Promise<RegressionDemoResult> {
  const t0 = performance.now();
  const emit = options.onEvent ?? (() => {});
  const capDir = path.join(options.out, 'captures');
  ensureDir(capDir, 'the demo outputs into');
  emit({ type: 'stage', message: `reading ${config.data}: past ${config.window} days → next day of ${config.target}` });
  const series = seriesOf(config);
  const { train, window } = series.split;
  await initTf();
  const data: SeriesTensors = { x: tf.tensor3d(train.x, [train.n, window, 1]), y: tf.tensor2d(train.y, [train.n, 1]), n: train.n };
  const held: tf.Tensor[] = [data.x, data.y];
  try {
    const teacher = await regressionTeacher(config, series, data, capDir, emit);
    held.push(teacher.forecasts, teacher.hints);
    const run: RegressionRun = {
      config,
      series,
      data,
      teacher,
      capDir,
      options,
      emit,
      pairs: RECURRENT_LAYERS.map((l) => ({ teacher: l, student: l })),
      init: recurrentInit(config.student, window, createRng(config.seed, 'student-init')),
    };
    const students = await trainInOrder(regressionStudentSpecs(config), emit, (spec) => trainRegressionStudent(run, spec));
    const result = regressionResult(run, students);
    return await finishRun(result, result.experiments, options.out, options.hooks, t0, (message) => emit({ type: 'stage', message }));
  } finally {
    tf.dispose(held);
  }
}

/** The split series and what every step measures on it: kW conversion, the truth, errors, validation MSE, persistence. */
interface Series {
  split: SeriesSplit;
  /** Standardised values to kW. */
  kw: (z: ArrayLike<number>) => number[];
  truthTest: number[];
  truthVal: number[];
  /** Forecasting tomorrow = the window's last day, on the test part. */
  persistence: { test: ForecastErrors };
  /** RMSE and MAE (kW) of a network's forecasts against the truth. */
  errorsOf: (a: Activations, truth: number[]) => ForecastErrors;
  /** Mean squared error (standardised) of a network's forecasts on a part. */
  mse: (net: RecurrentNet, part: SeriesPart) => number;
}

/** Split the series (refusing a part of fewer than 2 windows) and set up its measures. */
function seriesOf(config: RegressionDemoConfig): Series {
  const split = seriesSplit(config);
  const { validation, test, window } = split;
  for (const [name, part] of [
    ['training', split.train],
    ['validation', validation],
    ['test', test],
  ] as const) {
    if (part.n < 2) throw new Error(`the ${name} part of the series holds ${part.n} windows`);
  }
  const kw = (z: ArrayLike<number>) => Array.from(z, (v) => v * split.std + split.mean);
  const truthTest = kw(test.y);
  const lastDay = Array.from({ length: test.n }, (_, i) => test.x[(i + 1) * window - 1]!);
  const mse = (net: RecurrentNet, part: SeriesPart) => {
    const a = forwardPart(net, part, window);
    let s = 0;
    for (let i = 0; i < part.n; i++) s += (a.forecast[i]! - part.y[i]!) ** 2;
    return s / part.n;
  };
  return {
    split,
    kw,
    truthTest,
    truthVal: kw(validation.y),
    persistence: { test: forecastErrors(kw(lastDay), truthTest) },
    errorsOf: (a, truth) => forecastErrors(kw(a.forecast), truth),
    mse,
  };
}

/** The trained teacher: its test activations, errors and capture, its log, and its targets on the training windows. */
interface RegressionTeacher {
  activations: Activations;
  test: ForecastErrors;
  validation: ForecastErrors;
  keptEpoch: number;
  capture: string;
  epochs: RegressionEpochRow[];
  seconds: number;
  /** Forecasts [n, 1] and recurrent states [n, units] on the training windows. */
  forecasts: tf.Tensor2D;
  hints: tf.Tensor2D;
}

/** Train the teacher on the truth (MSE), logging its errors per epoch; write its capture. */
async function regressionTeacher(
  config: RegressionDemoConfig,
  series: Series,
  data: SeriesTensors,
  capDir: string,
  emit: (e: DemoEvent) => void,
): Promise<RegressionTeacher> {
  const start = performance.now();
  const { train, validation, test, window } = series.split;
  const teacher = buildRecurrent(config.teacher, window, recurrentInit(config.teacher, window, createRng(config.seed, 'teacher-init')));
  emit({ type: 'stage', message: `teacher ${config.teacher.name} (${teacher.params} parameters): ${config.teacherEpochs} epochs on ${train.n} windows` });
  const epochs: RegressionEpochRow[] = [];
  let trained: { kept: number; test: Activations; train: Activations; validation: Activations };
  try {
    const kept = await trainSeries({
      net: teacher,
      data,
      loss: (o, b) => tf.losses.meanSquaredError(b.y, o[2]!) as tf.Scalar,
      epochs: config.teacherEpochs,
      batchSize: config.batchSize,
      learningRate: config.learningRate,
      order: createRng(config.seed, 'teacher-order'),
      validate: () => series.mse(teacher, validation),
      keepBest: config.keep === 'validation',
      onBatch: (p) => emit({ type: 'batch', model: 'teacher', phase: 'train', ...p }),
      onEpoch: (epoch, loss, v) => {
        const e = series.errorsOf(forwardPart(teacher, test, window), series.truthTest);
        const row: RegressionEpochRow = { ...plainRow('teacher', 'teacher', 'train', epoch, loss, v, e), fss: null, aoa: null, krs: null };
        epochs.push(row);
        emit({ type: 'epoch', row: asEpochRow(row), epochs: config.teacherEpochs });
      },
    });
    trained = {
      kept: kept.epoch,
      test: forwardPart(teacher, test, window),
      train: forwardPart(teacher, train, window),
      validation: forwardPart(teacher, validation, window),
    };
  } finally {
    teacher.dispose();
  }
  const capture = path.join(capDir, 'teacher.npz');
  writeSeriesCapture(capture, trained.test, config.teacher.units, config.teacher.dense, series.kw(trained.test.forecast), series.truthTest, test.ids);
  return {
    activations: trained.test,
    test: series.errorsOf(trained.test, series.truthTest),
    validation: series.errorsOf(trained.validation, series.truthVal),
    keptEpoch: trained.kept,
    capture,
    epochs,
    seconds: secondsSince(start),
    forecasts: tf.tensor2d(trained.train.forecast, [train.n, 1]),
    hints: tf.tensor2d(trained.train.recurrent, [train.n, config.teacher.units]),
  };
}

/** A per-epoch row without scores. */
function plainRow(
  model: string,
  method: string,
  phase: RegressionEpochRow['phase'],
  epoch: number,
  loss: number | null,
  validationMse: number | null,
  e: ForecastErrors,
): Omit<RegressionEpochRow, 'fss' | 'aoa' | 'krs'> {
  return { model, method, phase, epoch, loss, validationMse, testRmse: e.rmse, testMae: e.mae };
}

/** Everything a student's training reads. */
interface RegressionRun {
  config: RegressionDemoConfig;
  series: Series;
  data: SeriesTensors;
  teacher: RegressionTeacher;
  capDir: string;
  options: RunRegressionDemoOptions;
  emit: (e: DemoEvent) => void;
  pairs: LayerPair[];
  /** The students' shared initial weights. */
  init: Float32Array[];
}

/** Train one student from the shared initial weights, scored after every epoch; write its capture and score it from the files. */
async function trainRegressionStudent(run: RegressionRun, spec: RegressionStudentSpec): Promise<RegressionStudentResult> {
  const start = performance.now();
  const { config, series } = run;
  const { validation, test, window } = series.split;
  const net = buildRecurrent(config.student, window, run.init);
  let trained: { rows: RegressionEpochRow[]; keptEpoch: number; test: Activations; validation: Activations };
  try {
    const { rows, keptEpoch } = await trainStudentEpochs(run, spec, net);
    trained = { rows, keptEpoch, test: forwardPart(net, test, window), validation: forwardPart(net, validation, window) };
  } finally {
    net.dispose();
  }
  const forecast = series.kw(trained.test.forecast);
  const capture = path.join(run.capDir, `${spec.id}.npz`);
  writeSeriesCapture(capture, trained.test, config.student.units, config.student.dense, forecast, series.truthTest, test.ids);
  const scored = await scoreCaptures({
    task: 'regression',
    teacher: openCapture(run.teacher.capture),
    student: openCapture(capture),
    pairs: run.pairs,
    alpha: config.alpha,
    backend: run.options.backend,
    intervals: { groups: config.intervalGroups },
    // The null level, as krs score gives it by default (results.json and the report show it).
    reference: { null: true },
  });
  return {
    ...spec,
    test: forecastErrors(forecast, series.truthTest),
    validation: series.errorsOf(trained.validation, series.truthVal),
    keptEpoch: trained.keptEpoch,
    fss: scored.fss,
    aoa: scored.aoa,
    krs: scored.krs,
    ci95: scored.ci95,
    delta: null,
    capture,
    score: scored,
    epochs: trained.rows,
    forecast,
    seconds: secondsSince(start),
  };
}

/** A student's training (hint: its hint epochs first), scored against the teacher after every epoch; its log and kept epoch. */
async function trainStudentEpochs(
  run: RegressionRun,
  spec: RegressionStudentSpec,
  net: RecurrentNet,
): Promise<{ rows: RegressionEpochRow[]; keptEpoch: number }> {
  const { config, series, emit } = run;
  const { validation, test, window } = series.split;
  const rows: RegressionEpochRow[] = [];
  const total = config.studentEpochs + (spec.method === 'hint' ? config.hintEpochs : 0);
  const log = async (phase: RegressionEpochRow['phase'], epoch: number, loss: number | null, v: number | null) => {
    const a = forwardPart(net, test, window);
    const m = new KrsMetric({ task: 'regression', pairs: run.pairs, alpha: config.alpha, backend: run.options.backend, intervals: false });
    await m.update(krsBatch(run.teacher.activations, a, config));
    const r = await m.compute();
    const row: RegressionEpochRow = {
      ...plainRow(spec.id, spec.method, phase, epoch, loss, v, series.errorsOf(a, series.truthTest)),
      fss: r.fss,
      aoa: r.aoa,
      krs: r.krs,
    };
    rows.push(row);
    emit({ type: 'epoch', row: asEpochRow(row), epochs: total });
  };
  const common = { net, data: run.data, batchSize: config.batchSize, learningRate: config.learningRate, order: createRng(config.seed, 'student-order') };
  const onBatch = (phase: EpochRow['phase'], offset: number) => (p: LoopProgress) =>
    emit({ type: 'batch', model: spec.id, phase, ...p, epoch: p.epoch + offset, epochs: total });
  await log('init', 0, null, series.mse(net, validation));
  if (spec.method === 'hint') await hintStage(net, run.teacher.hints, config, common, (e, l) => log('hint', e, l, null), onBatch('hint', 0));
  const offset = spec.method === 'hint' ? config.hintEpochs : 0;
  const phase = spec.method === 'baseline' ? 'train' : 'distil';
  const k = await trainSeries({
    ...common,
    loss: distilLoss(spec.softWeight, run.teacher.forecasts),
    epochs: config.studentEpochs,
    validate: () => series.mse(net, validation),
    keepBest: config.keep === 'validation',
    onBatch: onBatch(phase === 'train' ? 'train' : 'kd', offset),
    onEpoch: (e, l, v) => log(phase, offset + e, l, v),
  });
  return { rows, keptEpoch: offset + k.epoch };
}

/** The student's loss: MSE(s, y) for λ = 0, else (1 − λ)·MSE(s, y) + λ·MSE(s, t) against the teacher's forecasts on the batch. */
function distilLoss(λ: number, teacherForecasts: tf.Tensor2D): (o: tf.Tensor2D[], b: SeriesBatch) => tf.Scalar {
  return λ === 0
    ? (o, b) => tf.losses.meanSquaredError(b.y, o[2]!) as tf.Scalar
    : (o, b) =>
        tf.add(
          tf.mul(tf.losses.meanSquaredError(b.y, o[2]!), 1 - λ),
          tf.mul(tf.losses.meanSquaredError(tf.gather(teacherForecasts, b.rows), o[2]!), λ),
        ) as tf.Scalar;
}

/** Deltas against the baseline, the experiments (metric RMSE, lower is better), the tables and forecasts written; the result before the hooks. */
function regressionResult(run: RegressionRun, students: RegressionStudentResult[]): RegressionDemoResult {
  const { config, series, teacher } = run;
  const { train, validation, test, window } = series.split;
  const base = students[0]!;
  for (const s of students.slice(1))
    s.delta = { krs: s.krs - base.krs, fss: s.fss - base.fss, aoa: s.aoa - base.aoa, rmse: s.test.rmse - base.test.rmse, mae: s.test.mae - base.test.mae };
  const experiments = students.slice(1).map((s) => regressionExperiment(config, base, s));
  const files = demoFiles(run.options.out, Object.fromEntries([['teacher', teacher.capture], ...students.map((s) => [s.id, s.capture])]));
  writeDemoTables(files, experiments, toCsv([...EPOCH_COLUMNS], [...teacher.epochs, ...students.flatMap((s) => s.epochs)]));
  const teacherForecast = series.kw(teacher.activations.forecast);
  writeForecasts(path.join(run.options.out, 'forecasts.csv'), test.days, series.truthTest, teacherForecast, students);
  const period = (p: SeriesPart): [string, string] => [p.days[0]!, p.days[p.n - 1]!];
  const [teacherParams, studentParams] = [config.teacher, config.student].map((arch) => {
    const net = buildRecurrent(arch, window);
    net.dispose();
    return net.params;
  }) as [number, number];
  return {
    demo: 'household-power-forecast',
    version: VERSION,
    seed: config.seed,
    quick: config.quick,
    config,
    data: {
      file: config.data,
      target: config.target,
      window,
      windows: { train: train.n, validation: validation.n, test: test.n },
      periods: { train: period(train), validation: period(validation), test: period(test) },
      mean: series.split.mean,
      std: series.split.std,
      notes: [...series.split.notes],
    },
    task: 'regression',
    alpha: config.alpha,
    beta: 1 - config.alpha,
    persistence: series.persistence,
    teacher: { arch: config.teacher.name, params: teacherParams, ...pick(teacher, ['test', 'validation', 'keptEpoch', 'capture', 'epochs', 'seconds']) },
    student: { arch: config.student.name, params: studentParams, fewerParams: teacherParams / studentParams },
    pairs: run.pairs,
    students,
    testPeriod: { days: test.days, truth: series.truthTest, teacher: teacherForecast },
    experiments,
    analysis: null,
    files,
    warnings: teacherWarnings(config, teacher, series),
    seconds: 0,
  };
}

const pick = <T, K extends keyof T>(o: T, keys: K[]): Pick<T, K> => Object.fromEntries(keys.map((k) => [k, o[k]])) as Pick<T, K>;

/** The teacher's caveat: a test RMSE not below persistence's (not checked on a quick run). */
function teacherWarnings(config: RegressionDemoConfig, teacher: RegressionTeacher, series: Series): string[] {
  const p = series.persistence.test.rmse;
  return !config.quick && teacher.test.rmse >= p
    ? [`the teacher's test RMSE (${fixed(teacher.test.rmse, 4)} kW) is not below persistence's (${fixed(p, 4)} kW)`]
    : [];
}

/** One experiment: the baseline (pre) against another student (post), on test RMSE. */
function regressionExperiment(config: RegressionDemoConfig, base: RegressionStudentResult, s: RegressionStudentResult): ExperimentRow {
  return {
    id: `power-${s.id}`,
    task: 'regression',
    dataset: 'household_power_daily',
    teacher: config.teacher.name,
    student: config.student.name,
    method: s.id,
    fss_pre: base.fss,
    aoa_pre: base.aoa,
    fss_post: s.fss,
    aoa_post: s.aoa,
    metric_pre: base.test.rmse,
    metric_post: s.test.rmse,
    metric: 'rmse',
    alpha: config.alpha,
  };
}

/** forecasts.csv: per test day, the truth, the teacher's and every student's forecast (kW). */
function writeForecasts(file: string, days: readonly string[], truth: number[], teacher: number[], students: readonly RegressionStudentResult[]): void {
  writeFileAtomic(
    file,
    toCsv<Record<string, unknown>>(
      ['day', 'truth', 'teacher', ...students.map((s) => s.id)],
      days.map((day, i) => ({
        day,
        truth: truth[i],
        teacher: teacher[i],
        ...Object.fromEntries(students.map((s) => [s.id, s.forecast[i]])),
      })),
    ),
    'the test-period forecasts',
  );
}

/** The per-epoch row as the progress display reads it (accuracy column: test RMSE). */
function asEpochRow(r: RegressionEpochRow): EpochRow {
  return {
    model: r.model,
    method: r.method,
    temperature: null,
    phase: r.phase === 'distil' ? 'kd' : r.phase,
    epoch: r.epoch,
    loss: r.loss,
    accuracy: r.testRmse,
    fss: r.fss,
    aoa: r.aoa,
    krs: r.krs,
    layers: {},
    meanKl: null,
    top1Agreement: null,
  };
}

function krsBatch(t: Activations, s: Activations, c: RegressionDemoConfig) {
  const f = (data: Float32Array, w: number): Tensor => ({ dtype: 'float32', shape: [t.n, w], data });
  return {
    teacher: { recurrent: f(t.recurrent, c.teacher.units), hidden: f(t.hidden, c.teacher.dense) },
    student: { recurrent: f(s.recurrent, c.student.units), hidden: f(s.hidden, c.student.dense) },
    teacherOutput: f(t.forecast, 1),
    studentOutput: f(s.forecast, 1),
  };
}

/** A capture of a model's test-period activations: recurrent, hidden, predictions and targets (kW), ids. */
function writeSeriesCapture(file: string, a: Activations, units: number, dense: number, forecastKw: number[], truthKw: number[], ids: Int32Array): void {
  const writer = new NpzWriter(file, a.n);
  try {
    writer.append('recurrent', { dtype: 'float32', shape: [a.n, units], data: a.recurrent });
    writer.append('hidden', { dtype: 'float32', shape: [a.n, dense], data: a.hidden });
    writer.append('predictions', { dtype: 'float32', shape: [a.n, 1], data: Float32Array.from(forecastKw) });
    writer.append('targets', { dtype: 'float32', shape: [a.n, 1], data: Float32Array.from(truthKw) });
    writer.append('ids', { dtype: 'int32', shape: [a.n], data: ids });
    writer.finish();
  } catch (e) {
    writer.abort();
    throw e;
  }
}

/**
 * The hint student's first stage (FitNet-style): its recurrent layer, and a linear regressor
 * on its state, learn the teacher's recurrent state (½·mean‖r(h_s) − h_t‖²).
 */
async function hintStage(
  net: RecurrentNet,
  hints: tf.Tensor2D,
  config: RegressionDemoConfig,
  common: { data: SeriesTensors; batchSize: number; learningRate: number; order: ReturnType<typeof createRng> },
  onEpoch: (epoch: number, loss: number) => Promise<void>,
  onBatch: (p: { epoch: number; epochs: number; batch: number; batches: number }) => void,
): Promise<void> {
  const [k, b] = denseInit(config.student.units, config.teacher.units, createRng(config.seed, 'hint-regressor'));
  const initial = [tf.tensor2d(k, [config.student.units, config.teacher.units]), tf.tensor1d(b)] as const;
  const kernel = tf.variable(initial[0], true);
  const bias = tf.variable(initial[1], true);
  tf.dispose([...initial]);
  try {
    await trainSeries({
      ...common,
      net,
      variables: [...net.variables(1), kernel, bias],
      loss: (o, batch) =>
        tf.tidy(() => tf.mul(tf.mean(tf.sum(tf.square(tf.sub(tf.add(tf.matMul(o[0]!, kernel), bias), tf.gather(hints, batch.rows))), 1)), 0.5) as tf.Scalar),
      epochs: config.hintEpochs,
      onBatch,
      onEpoch: (e, l) => onEpoch(e, l),
    });
  } finally {
    tf.dispose([kernel, bias]);
  }
}
