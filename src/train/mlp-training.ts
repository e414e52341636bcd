/**
 * Training the MLPs of the demo (`demo.ts`) and the MLP study (`study.ts`): the teacher on
 * hard labels with random-shift augmentation, a student's loss (hard labels or Hinton's KD),
 * and FitNet's hint stage. One function per step serves both, so the two train their teachers
 * and students the same way from the same seeded streams.
 *
 * Seeded streams (`createRng(seed, name)`): `teacher-init` (initial weights), `teacher-order`
 * (batch order), `teacher-shift` (augmentation); the hint stage's regressor draws from the
 * stream the caller passes.
 */
import { createRng, type Rng } from '../core/rng.js';
import { shiftedBatch } from './augment.js';
import { type Activations, runNetwork } from './evaluate.js';
import type { LoopProgress } from './loop.js';
import { distillationLoss, hardLoss, hintLoss } from './losses.js';
import type { MnistSplit } from './mnist-split.js';
import { buildMlp, denseInit, glorotInit, type Mlp, type MlpArchitecture } from './models.js';
import { tf } from './tf.js';
import { type Minibatch, type TrainTensors, trainLoop } from './train.js';

/** What the teacher's training reads from a demo or study configuration. */
export interface MlpTeacherSettings {
  seed: number;
  teacher: MlpArchitecture;
  teacherEpochs: number;
  batchSize: number;
  learningRate: number;
  /** Largest random shift (pixels) of the augmentation; 0 for none. */
  teacherShift: number;
}

/** A trained teacher's activations on the held-out and the training digits (the network itself is disposed). */
export interface TrainedMlpTeacher {
  readonly held: Activations;
  readonly train: Activations;
}

/** Progress callbacks of a training run. */
export interface MlpTrainEvents {
  onBatch?: (p: LoopProgress) => void;
  /** After each epoch, with the mean loss and the network as it is (to evaluate it). */
  onEpoch?: (epoch: number, meanLoss: number, net: Mlp) => Promise<void> | void;
}

/**
 * Train the teacher of `config` from its seeded initial weights on hard labels (mean softmax
 * cross-entropy), with random shifts of up to `teacherShift` pixels; return its activations on
 * the held-out and the training digits.
 */
export async function trainMlpTeacher(
  config: MlpTeacherSettings,
  split: MnistSplit,
  data: TrainTensors,
  events: MlpTrainEvents = {},
): Promise<TrainedMlpTeacher> {
  const teacher = buildMlp(config.teacher, glorotInit(config.teacher, createRng(config.seed, 'teacher-init')));
  const augment = createRng(config.seed, 'teacher-shift');
  try {
    await trainLoop({
      net: teacher,
      data,
      loss: (o, b) => hardLoss(o[o.length - 1]!, b.oneHot),
      epochs: config.teacherEpochs,
      batchSize: config.batchSize,
      learningRate: config.learningRate,
      order: createRng(config.seed, 'teacher-order'),
      ...(config.teacherShift > 0 ? { inputs: (rows: Int32Array) => shiftedBatch(split.train.x, rows, augment, config.teacherShift) } : {}),
      ...(events.onBatch ? { onBatch: events.onBatch } : {}),
      ...(events.onEpoch ? { onEpoch: (epoch: number, loss: number) => events.onEpoch!(epoch, loss, teacher) } : {}),
    });
    return { held: runNetwork(teacher, split.test.x, split.test.n), train: runNetwork(teacher, split.train.x, split.train.n) };
  } finally {
    teacher.dispose();
  }
}

/**
 * A student's loss: hard labels only (mean softmax cross-entropy) when `temperature` is null,
 * else Hinton's (1 − λ)·CE(y, s) + λ·T²·KL(softmax(t/T) ‖ softmax(s/T)) against the teacher's
 * logits on the batch's rows.
 */
export function mlpStudentLoss(
  temperature: number | null,
  teacherLogits: tf.Tensor2D,
  softWeight: number,
): (outputs: tf.Tensor2D[], batch: Minibatch) => tf.Scalar {
  const T = temperature;
  return T === null
    ? (o, b) => hardLoss(o[o.length - 1]!, b.oneHot)
    : (o, b) => distillationLoss(o[o.length - 1]!, tf.gather(teacherLogits, b.rows) as tf.Tensor2D, b.oneHot, T, softWeight);
}

/** What a student's training runs share: the data, the batch size, the learning rate and the batch order. */
export interface MlpStudentRun {
  data: TrainTensors;
  batchSize: number;
  learningRate: number;
  order: Rng;
}

/**
 * FitNet stage 1 (Romero et al. 2015): the student's layers up to hidden layer `index` and a
 * linear regressor on top (initial weights from `regressor`) learn to reproduce the teacher's
 * hint layer for `epochs` epochs (½·mean‖r(h_S) − h_T‖²).
 */
export async function mlpHintStage(
  net: Mlp,
  index: number,
  hints: tf.Tensor2D,
  regressor: Rng,
  epochs: number,
  run: MlpStudentRun,
  events: { onBatch?: (p: LoopProgress) => void; onEpoch?: (epoch: number, loss: number) => Promise<void> | void } = {},
): Promise<void> {
  const width = net.arch.hidden[index]!;
  const hintWidth = hints.shape[1];
  const [k, b] = denseInit(width, hintWidth, regressor);
  const initial = [tf.tensor2d(k, [width, hintWidth]), tf.tensor1d(b)] as const;
  const kernel = tf.variable(initial[0], true);
  const bias = tf.variable(initial[1], true);
  tf.dispose([...initial]);
  try {
    await trainLoop({
      ...run,
      net,
      variables: [...net.variables(index + 1), kernel, bias],
      loss: (o, batch) => hintLoss(tf.add(tf.matMul(o[index]!, kernel), bias) as tf.Tensor2D, tf.gather(hints, batch.rows) as tf.Tensor2D),
      epochs,
      ...(events.onBatch ? { onBatch: events.onBatch } : {}),
      ...(events.onEpoch ? { onEpoch: events.onEpoch } : {}),
    });
  } finally {
    tf.dispose([kernel, bias]);
  }
}
