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
import { ensureDir, writeFileAtomic } from '../../io/node-atomic-write.js';
import { openCapture } from '../../io/node-capture.js';
import { NpzWriter } from '../../io/node-npz-writer.js';
import { KrsMetric, type LayerPair } from '../../krs/metric.js';
import { scoreCaptures, type ScoreCapturesResult } from '../../krs/score-captures.js';
import type { MatrixBackend } from '../../linalg/backend.js';
import { VERSION } from '../../version.js';
import type { DemoEvent, DemoFiles, EpochRow } from '../demo.js';
import { finishRun, type RunHooks, secondsSince } from '../finish-run.js';
import { experimentsCsv, toCsv, type ExperimentRow } from '../experiments.js';
import { initTf, tf } from '../tf.js';
import type { RegressionDemoConfig } from './config.js';
import { seriesSplit, type SeriesPart } from './data.js';
import { buildRecurrent, recurrentInit, RECURRENT_LAYERS, type RecurrentNet } from './models.js';
import { trainSeries, type SeriesTensors } from './train.js';
import { denseInit } from '../models.js';
import { fixed } from '../../core/units.js';

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

function run(net: RecurrentNet, part: SeriesPart, window: number): Activations {
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
  const out = options.out;
  const capDir = path.join(out, 'captures');
  ensureDir(capDir, 'the demo outputs into');
  const warnings: string[] = [];
  emit({ type: 'stage', message: `reading ${config.data}: past ${config.window} days → next day of ${config.target}` });
  const split = seriesSplit(config);
  const { train, validation, test, window } = split;
  for (const [name, part] of [
    ['training', train],
    ['validation', validation],
    ['test', test],
  ] as const) {
    if (part.n < 2) throw new Error(`the ${name} part of the series holds ${part.n} windows`);
  }
  const kw = (z: ArrayLike<number>) => Array.from(z, (v) => v * split.std + split.mean);
  const truthTest = kw(test.y);
  const truthVal = kw(validation.y);
  const errorsOf = (a: Activations, truth: number[]) => forecastErrors(kw(a.forecast), truth);
  // Persistence: tomorrow = the window's last day.
  const lastDay = Array.from({ length: test.n }, (_, i) => test.x[(i + 1) * window - 1]!);
  const persistence = { test: forecastErrors(kw(lastDay), truthTest) };

  await initTf();
  const data: SeriesTensors = { x: tf.tensor3d(train.x, [train.n, window, 1]), y: tf.tensor2d(train.y, [train.n, 1]), n: train.n };
  const held: tf.Tensor[] = [data.x, data.y];
  const mse = (net: RecurrentNet, part: SeriesPart) => {
    const a = run(net, part, window);
    let s = 0;
    for (let i = 0; i < part.n; i++) s += (a.forecast[i]! - part.y[i]!) ** 2;
    return s / part.n;
  };
  try {
    // --- teacher ---
    const tStart = performance.now();
    const teacher = buildRecurrent(config.teacher, window, recurrentInit(config.teacher, window, createRng(config.seed, 'teacher-init')));
    emit({ type: 'stage', message: `teacher ${config.teacher.name} (${teacher.params} parameters): ${config.teacherEpochs} epochs on ${train.n} windows` });
    const teacherEpochs: RegressionEpochRow[] = [];
    let tHeld: Activations;
    let tTrain: Activations;
    let tValAct: Activations;
    let kept: { epoch: number };
    try {
      kept = await trainSeries({
        net: teacher,
        data,
        loss: (o, b) => tf.losses.meanSquaredError(b.y, o[2]!) as tf.Scalar,
        epochs: config.teacherEpochs,
        batchSize: config.batchSize,
        learningRate: config.learningRate,
        order: createRng(config.seed, 'teacher-order'),
        validate: () => mse(teacher, validation),
        keepBest: config.keep === 'validation',
        onBatch: (p) => emit({ type: 'batch', model: 'teacher', phase: 'train', ...p }),
        onEpoch: (epoch, loss, v) => {
          const e = errorsOf(run(teacher, test, window), truthTest);
          const row: RegressionEpochRow = {
            model: 'teacher',
            method: 'teacher',
            phase: 'train',
            epoch,
            loss,
            validationMse: v,
            testRmse: e.rmse,
            testMae: e.mae,
            fss: null,
            aoa: null,
            krs: null,
          };
          teacherEpochs.push(row);
          emit({ type: 'epoch', row: asEpochRow(row), epochs: config.teacherEpochs });
        },
      });
      tHeld = run(teacher, test, window);
      tTrain = run(teacher, train, window);
      tValAct = run(teacher, validation, window);
    } finally {
      teacher.dispose();
    }
    const tVal = errorsOf(tValAct, truthVal);
    const teacherTest = errorsOf(tHeld, truthTest);
    if (!config.quick && teacherTest.rmse >= persistence.test.rmse)
      warnings.push(`the teacher's test RMSE (${fixed(teacherTest.rmse, 4)} kW) is not below persistence's (${fixed(persistence.test.rmse, 4)} kW)`);
    const teacherCapture = path.join(capDir, 'teacher.npz');
    writeSeriesCapture(teacherCapture, tHeld, config.teacher.units, config.teacher.dense, kw(tHeld.forecast), truthTest, test.ids);
    const teacherForecasts = tf.tensor2d(tTrain.forecast, [train.n, 1]);
    const hintTargets = tf.tensor2d(tTrain.recurrent, [train.n, config.teacher.units]);
    held.push(teacherForecasts, hintTargets);

    // --- students ---
    const pairs: LayerPair[] = RECURRENT_LAYERS.map((l) => ({ teacher: l, student: l }));
    const studentInit = recurrentInit(config.student, window, createRng(config.seed, 'student-init'));
    const specs = regressionStudentSpecs(config);
    const students: RegressionStudentResult[] = [];
    let studentParams = 0;
    const scoreNow = async (a: Activations) => {
      const m = new KrsMetric({ task: 'regression', pairs, alpha: config.alpha, backend: options.backend, intervals: false });
      await m.update(krsBatch(tHeld, a, config));
      return m.compute();
    };
    for (const [i, spec] of specs.entries()) {
      const sStart = performance.now();
      emit({ type: 'stage', message: `student ${i + 1}/${specs.length}: ${spec.id} (${spec.label})` });
      const net = buildRecurrent(config.student, window, studentInit);
      studentParams = net.params;
      const rows: RegressionEpochRow[] = [];
      const log = async (phase: RegressionEpochRow['phase'], epoch: number, loss: number | null, v: number | null, epochs: number) => {
        const a = run(net, test, window);
        const r = await scoreNow(a);
        const e = errorsOf(a, truthTest);
        const row: RegressionEpochRow = {
          model: spec.id,
          method: spec.method,
          phase,
          epoch,
          loss,
          validationMse: v,
          testRmse: e.rmse,
          testMae: e.mae,
          fss: r.fss,
          aoa: r.aoa,
          krs: r.krs,
        };
        rows.push(row);
        emit({ type: 'epoch', row: asEpochRow(row), epochs });
      };
      const totalEpochs = config.studentEpochs + (spec.method === 'hint' ? config.hintEpochs : 0);
      const common = { net, data, batchSize: config.batchSize, learningRate: config.learningRate, order: createRng(config.seed, 'student-order') };
      const onBatch = (phase: EpochRow['phase'], offset: number) => (p: { epoch: number; epochs: number; batch: number; batches: number }) =>
        emit({ type: 'batch', model: spec.id, phase, ...p, epoch: p.epoch + offset, epochs: totalEpochs });
      let keptEpoch: number;
      let sHeld: Activations;
      let sVal: Activations;
      try {
        await log('init', 0, null, mse(net, validation), totalEpochs);
        if (spec.method === 'hint') await hintStage(net, hintTargets, config, common, (e, l) => log('hint', e, l, null, totalEpochs), onBatch('hint', 0));
        const offset = spec.method === 'hint' ? config.hintEpochs : 0;
        const λ = spec.softWeight;
        const phase = spec.method === 'baseline' ? 'train' : 'distil';
        const k = await trainSeries({
          ...common,
          loss:
            λ === 0
              ? (o, b) => tf.losses.meanSquaredError(b.y, o[2]!) as tf.Scalar
              : (o, b) =>
                  tf.add(
                    tf.mul(tf.losses.meanSquaredError(b.y, o[2]!), 1 - λ),
                    tf.mul(tf.losses.meanSquaredError(tf.gather(teacherForecasts, b.rows), o[2]!), λ),
                  ) as tf.Scalar,
          epochs: config.studentEpochs,
          validate: () => mse(net, validation),
          keepBest: config.keep === 'validation',
          onBatch: onBatch(phase === 'train' ? 'train' : 'kd', offset),
          onEpoch: (e, l, v) => log(phase, offset + e, l, v, totalEpochs),
        });
        keptEpoch = offset + k.epoch;
        sHeld = run(net, test, window);
        sVal = run(net, validation, window);
      } finally {
        net.dispose();
      }
      const capture = path.join(capDir, `${spec.id}.npz`);
      const forecast = kw(sHeld.forecast);
      writeSeriesCapture(capture, sHeld, config.student.units, config.student.dense, forecast, truthTest, test.ids);
      const scored = await scoreCaptures({
        task: 'regression',
        teacher: openCapture(teacherCapture),
        student: openCapture(capture),
        pairs,
        alpha: config.alpha,
        backend: options.backend,
        intervals: { groups: config.intervalGroups },
        // The null level, as krs score gives it by default (results.json and the report show it).
        reference: { null: true },
      });
      students.push({
        ...spec,
        test: forecastErrors(forecast, truthTest),
        validation: errorsOf(sVal, truthVal),
        keptEpoch,
        fss: scored.fss,
        aoa: scored.aoa,
        krs: scored.krs,
        ci95: scored.ci95,
        delta: null,
        capture,
        score: scored,
        epochs: rows,
        forecast,
        seconds: secondsSince(sStart),
      });
    }

    // --- results ---
    const base = students[0]!;
    for (const s of students.slice(1))
      s.delta = { krs: s.krs - base.krs, fss: s.fss - base.fss, aoa: s.aoa - base.aoa, rmse: s.test.rmse - base.test.rmse, mae: s.test.mae - base.test.mae };
    const experiments: ExperimentRow[] = students.slice(1).map((s) => ({
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
    }));
    const files: DemoFiles = {
      out,
      results: path.join(out, 'results.json'),
      experimentsCsv: path.join(out, 'experiments.csv'),
      experimentsJson: path.join(out, 'experiments.json'),
      epochsCsv: path.join(out, 'epochs.csv'),
      captures: Object.fromEntries([['teacher', teacherCapture], ...students.map((s) => [s.id, s.capture])]),
      analysis: null,
      report: null,
    };
    writeFileAtomic(files.experimentsCsv, experimentsCsv(experiments), 'the experiments table');
    writeFileAtomic(files.experimentsJson, `${JSON.stringify(experiments, null, 2)}\n`, 'the experiments table');
    writeFileAtomic(files.epochsCsv, toCsv([...EPOCH_COLUMNS], [...teacherEpochs, ...students.flatMap((s) => s.epochs)]), 'the epoch table');
    const teacherForecast = kw(tHeld.forecast);
    writeFileAtomic(
      path.join(out, 'forecasts.csv'),
      toCsv<Record<string, unknown>>(
        ['day', 'truth', 'teacher', ...students.map((s) => s.id)],
        test.days.map((day, i) => ({
          day,
          truth: truthTest[i],
          teacher: teacherForecast[i],
          ...Object.fromEntries(students.map((s) => [s.id, s.forecast[i]])),
        })),
      ),
      'the test-period forecasts',
    );
    const period = (p: SeriesPart): [string, string] => [p.days[0]!, p.days[p.n - 1]!];
    const result: RegressionDemoResult = {
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
        mean: split.mean,
        std: split.std,
        notes: [...split.notes],
      },
      task: 'regression',
      alpha: config.alpha,
      beta: 1 - config.alpha,
      persistence,
      teacher: {
        arch: config.teacher.name,
        params: 0,
        test: teacherTest,
        validation: tVal,
        keptEpoch: kept.epoch,
        capture: teacherCapture,
        epochs: teacherEpochs,
        seconds: secondsSince(tStart),
      },
      student: { arch: config.student.name, params: studentParams, fewerParams: 0 },
      pairs,
      students,
      testPeriod: { days: test.days, truth: truthTest, teacher: teacherForecast },
      experiments,
      analysis: null,
      files,
      warnings,
      seconds: 0,
    };
    const tp = buildRecurrent(config.teacher, window);
    result.teacher.params = tp.params;
    tp.dispose();
    result.student.fewerParams = result.teacher.params / studentParams;
    return await finishRun(result, experiments, out, options.hooks, t0, (message) => emit({ type: 'stage', message }));
  } finally {
    tf.dispose(held);
  }
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
