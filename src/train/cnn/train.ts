/**
 * Training the CNN study's networks: the teacher on hard labels, and one student by one
 * method — the baseline (hard labels), vanilla KD, FitNet on a conv stage (hint stage, then
 * KD), attention transfer (hard labels + the AT term). The loop is the shared one
 * (src/train/loop.ts): minibatch Adam (β₁ 0.9, β₂ 0.999, ε 1e-7) with a cosine-decayed
 * learning rate over a seeded batch order, a stop point after each batch; only the inputs
 * differ from the MLP's (digits reshaped to [b, 28, 28, 1]) and the outputs are rank-4 conv stages.
 *
 * Teacher targets (logits, FitNet's hint stage, attention maps) are computed once for the
 * whole training set before the students train ({@link cnnTeacherTargets}).
 *
 * Deterministic per seed: the initial weights, the batch order and the regressor's weights
 * come from the caller's seeded streams, and the backend (wasm, single-threaded) is.
 */
import { errors } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import { runTrainLoop } from '../loop.js';
import { distillationLoss, hardLoss } from '../losses.js';
import { PIXELS } from '../mnist-split.js';
import { tf } from '../tf.js';
import { digitBatch, type LoopProgress, type TrainTensors } from '../train.js';
import { attentionTransferLoss, convHintLoss, convRegressor, normalisedAttention } from './losses.js';
import { buildCnn, type Cnn, type CnnArchitecture, SIDE } from './models.js';

/** One minibatch, handed to the loss. */
export interface CnnMinibatch {
  /** Digits [b, 28, 28, 1]. */
  readonly x: tf.Tensor4D;
  readonly oneHot: tf.Tensor2D;
  /** Rows of the training set in this batch (to gather precomputed teacher targets). */
  readonly rows: tf.Tensor1D;
}

/** What every training run takes besides the network and its loss. */
export interface CnnTrainSettings {
  /** The training set (`trainTensors` of src/train/train.ts: digits [n, 784], one-hot labels). */
  data: TrainTensors;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Draws each epoch's batch order (a FitNet student draws its hint epochs' orders first). */
  order: Rng;
  /** Builds a batch's inputs ([b, 784]) from its rows instead of gathering them (data augmentation). */
  inputs?: (rows: Int32Array) => Float32Array;
  onBatch?: (p: LoopProgress) => void;
  /** After each epoch, with the mean training loss; awaited before the next epoch. */
  onEpoch?: (epoch: number, meanLoss: number) => Promise<void> | void;
}

export interface CnnLoopOptions extends CnnTrainSettings {
  net: Cnn;
  /** The loss of one batch, given the network's outputs (stages…, logits). */
  loss: (outputs: tf.Tensor[], batch: CnnMinibatch) => tf.Scalar;
  /** What the optimiser updates; default every weight of `net`. */
  variables?: tf.Variable[];
}

/**
 * Train for `epochs` epochs with Adam and a cosine-decayed learning rate: the shared loop
 * (`../loop.ts`) on the training digits reshaped to [b, 28, 28, 1].
 */
export async function cnnTrainLoop(o: CnnLoopOptions): Promise<void> {
  const digits = digitBatch(o.data, o.inputs);
  await runTrainLoop({
    net: o.net,
    n: o.data.n,
    batch: (rows): CnnMinibatch => {
      const b = digits(rows);
      return { x: tf.reshape(b.x, [rows.length, SIDE, SIDE, 1]), oneHot: b.oneHot, rows: b.rows };
    },
    loss: o.loss,
    ...(o.variables ? { variables: o.variables } : {}),
    epochs: o.epochs,
    batchSize: o.batchSize,
    learningRate: o.learningRate,
    order: o.order,
    ...(o.onBatch ? { onBatch: o.onBatch } : {}),
    ...(o.onEpoch ? { onEpoch: o.onEpoch } : {}),
  });
}

/** The logits, the last output of a forward pass. */
const logitsOf = (outputs: tf.Tensor[]) => outputs[outputs.length - 1] as tf.Tensor2D;

/** Build `arch` from `init`, train it by `train`, and return it — disposed if training fails. */
async function trained(arch: CnnArchitecture, init: readonly Float32Array[], train: (net: Cnn) => Promise<void>): Promise<Cnn> {
  const net = buildCnn(arch, init);
  try {
    await train(net);
    return net;
  } catch (e) {
    net.dispose();
    throw e;
  }
}

/**
 * Train a teacher on hard labels (mean softmax cross-entropy) from the initial weights
 * `init` (`cnnInit`), and return it (the caller disposes it).
 */
export function trainCnnTeacher(arch: CnnArchitecture, init: readonly Float32Array[], settings: CnnTrainSettings): Promise<Cnn> {
  return trained(arch, init, (net) => cnnTrainLoop({ ...settings, net, loss: (o, b) => hardLoss(logitsOf(o), b.oneHot) }));
}

/** How a student learns. Temperatures T > 0, soft weights λ ∈ [0, 1], β ≥ 0. */
export type CnnMethod =
  /** Hard labels only: CE(y, s) — the pre-KD student. */
  | { kind: 'baseline' }
  /** Hinton's (1 − λ)·CE(y, s) + λ·T²·KL(softmax(t/T) ‖ softmax(s/T)). */
  | { kind: 'kd'; temperature: number; softWeight: number }
  /**
   * FitNet: `hintEpochs` epochs in which the student's layers up to conv stage `stage` and a
   * 1×1-conv regressor (drawn from `regressor`) learn the teacher's same stage (½·mean‖r(A_S) − A_T‖²),
   * then the KD loss for the caller's `epochs`.
   */
  | { kind: 'fitnet'; stage: string; hintEpochs: number; regressor: Rng; temperature: number; softWeight: number }
  /** Attention transfer: CE(y, s) + β/2 · Σ over `stages` of mean‖q_S − q_T‖₂ (normalised attention maps, p = 2). */
  | { kind: 'at'; beta: number; stages: readonly string[] };

/** What students learn from, computed from the trained teacher once for the training set. Dispose when done. */
export interface CnnTeacherTargets {
  /** [n, 10]. */
  readonly logits: tf.Tensor2D;
  /** Requested stages' activations [n, h, w, c] (FitNet hints). */
  readonly stages: Readonly<Record<string, tf.Tensor4D>>;
  /** Requested stages' normalised attention maps [n, h·w] (p = 2). */
  readonly attention: Readonly<Record<string, tf.Tensor2D>>;
  dispose(): void;
}

/**
 * The teacher's logits, and the stages and attention maps the methods to come need, on the
 * whole training set (forwarded in chunks of `chunk` digits).
 * @throws KrsError UNKNOWN_KEY for a stage the teacher does not have or that is not a conv stage.
 */
export function cnnTeacherTargets(
  teacher: Cnn,
  data: TrainTensors,
  want: { hints?: readonly string[]; attention?: readonly string[] } = {},
  chunk = 500,
): CnnTeacherTargets {
  const hints = [...(want.hints ?? [])];
  const attention = [...(want.attention ?? [])];
  for (const s of [...hints, ...attention]) stageIndex(teacher, s);
  const parts = { logits: [] as tf.Tensor[], stages: hints.map(() => [] as tf.Tensor[]), attention: attention.map(() => [] as tf.Tensor[]) };
  for (let start = 0; start < data.n; start += chunk) {
    const end = Math.min(data.n, start + chunk);
    tf.tidy(() => {
      const outs = teacher.forward(tf.slice(data.x, [start, 0], [end - start, PIXELS]) as tf.Tensor2D);
      parts.logits.push(tf.keep(logitsOf(outs)));
      hints.forEach((s, i) => parts.stages[i]!.push(tf.keep(outs[stageIndex(teacher, s)]!)));
      attention.forEach((s, i) => parts.attention[i]!.push(tf.keep(normalisedAttention(outs[stageIndex(teacher, s)] as tf.Tensor4D))));
    });
  }
  const joined = (list: tf.Tensor[]) => {
    const t = tf.concat(list, 0);
    tf.dispose(list);
    return t;
  };
  const logits = joined(parts.logits) as tf.Tensor2D;
  const stages = Object.fromEntries(hints.map((s, i) => [s, joined(parts.stages[i]!) as tf.Tensor4D]));
  const maps = Object.fromEntries(attention.map((s, i) => [s, joined(parts.attention[i]!) as tf.Tensor2D]));
  return { logits, stages, attention: maps, dispose: () => tf.dispose([logits, ...Object.values(stages), ...Object.values(maps)]) };
}

/**
 * A method's numbers in their domains: T > 0 and finite, λ ∈ [0, 1], β ≥ 0 and finite, hint
 * epochs a positive integer.
 * @throws KrsError BAD_OPTION naming the first value out of range.
 */
function checkMethod(m: CnnMethod): void {
  if (m.kind === 'kd' || m.kind === 'fitnet') {
    if (!(m.temperature > 0 && Number.isFinite(m.temperature))) throw errors.badOption('temperature', m.temperature, 'a positive temperature');
    if (!(m.softWeight >= 0 && m.softWeight <= 1)) throw errors.badOption('softWeight', m.softWeight, 'a number in [0, 1]');
  }
  if (m.kind === 'fitnet' && !(Number.isInteger(m.hintEpochs) && m.hintEpochs >= 1)) throw errors.badOption('hintEpochs', m.hintEpochs, 'a positive integer');
  if (m.kind === 'at' && !(m.beta >= 0 && Number.isFinite(m.beta))) throw errors.badOption('atBeta', m.beta, 'a non-negative number');
}

/** Index of conv stage `name` in a network's outputs. */
function stageIndex(net: Cnn, name: string): number {
  const i = net.stages.findIndex((s) => s.name === name && s.kind === 'conv');
  if (i < 0)
    throw errors.unknownKey(
      'conv stage',
      name,
      net.arch.name,
      net.stages.filter((s) => s.kind === 'conv').map((s) => s.name),
    );
  return i;
}

/** A tensor of targets for the batch's rows; `what` names it when the targets lack it. */
function targetOf<T extends tf.Tensor>(table: Readonly<Record<string, T>>, name: string, what: string): T {
  const t = table[name];
  if (!t) throw errors.unknownKey(what, name, 'the teacher targets', Object.keys(table));
  return t;
}

/**
 * Train a student of `arch` from `init` by `method` against the teacher's `targets` (unused
 * by the baseline; pass null there) and return it (the caller disposes it). FitNet's hint
 * epochs come before `settings.epochs` of KD and draw their batch orders from the same
 * `settings.order` first.
 * @throws KrsError BAD_OPTION for a method's number out of range or missing targets;
 *   UNKNOWN_KEY when the targets lack a stage the method needs; SHAPE_MISMATCH
 *   when a student's attention maps do not have the teacher's size.
 */
export function trainCnnStudent(
  arch: CnnArchitecture,
  init: readonly Float32Array[],
  method: CnnMethod,
  targets: CnnTeacherTargets | null,
  settings: CnnTrainSettings,
): Promise<Cnn> {
  checkMethod(method);
  if (method.kind !== 'baseline' && targets === null) throw errors.badOption('targets', null, `the teacher targets for the ${method.kind} method`);
  const t = targets!;
  const rowsOf = <R extends tf.Tensor>(x: R, b: CnnMinibatch) => tf.gather(x, b.rows) as R;
  return trained(arch, init, async (net) => {
    switch (method.kind) {
      case 'baseline':
        return cnnTrainLoop({ ...settings, net, loss: (o, b) => hardLoss(logitsOf(o), b.oneHot) });
      case 'kd':
        return cnnTrainLoop({ ...settings, net, loss: kdLoss(t, method.temperature, method.softWeight) });
      case 'fitnet':
        await hintStage(net, method, targetOf(t.stages, method.stage, 'FitNet hint stage'), settings);
        return cnnTrainLoop({ ...settings, net, loss: kdLoss(t, method.temperature, method.softWeight) });
      case 'at': {
        const idx = method.stages.map((s) => stageIndex(net, s));
        const maps = method.stages.map((s) => targetOf(t.attention, s, 'attention stage'));
        idx.forEach((i, j) => {
          const [h, w] = net.stages[i]!.shape;
          if (h! * w! !== maps[j]!.shape[1]) {
            throw errors.shapeMismatch(
              `attention transfer at ${method.stages[j]}`,
              `the teacher's ${maps[j]!.shape[1]} positions`,
              `${h}×${w} in ${arch.name}`,
            );
          }
        });
        return cnnTrainLoop({
          ...settings,
          net,
          loss: (o, b) =>
            tf.add(
              hardLoss(logitsOf(o), b.oneHot),
              attentionTransferLoss(
                idx.map((i) => o[i] as tf.Tensor4D),
                maps.map((m) => rowsOf(m, b)),
                method.beta,
              ),
            ) as tf.Scalar,
        });
      }
    }
  });
  function kdLoss(targets: CnnTeacherTargets, temperature: number, softWeight: number) {
    return (o: tf.Tensor[], b: CnnMinibatch) => distillationLoss(logitsOf(o), rowsOf(targets.logits, b), b.oneHot, temperature, softWeight);
  }
}

/**
 * FitNet stage 1 (Romero et al. 2015): the student's layers up to `method.stage` and a 1×1-conv
 * regressor on top learn to reproduce the teacher's same stage.
 */
async function hintStage(net: Cnn, method: Extract<CnnMethod, { kind: 'fitnet' }>, hints: tf.Tensor4D, settings: CnnTrainSettings): Promise<void> {
  const index = stageIndex(net, method.stage);
  const regressor = convRegressor(net.stages[index]!.shape[2]!, hints.shape[3], method.regressor);
  const { onEpoch: _perEpochOfTheKdStage, ...common } = settings;
  try {
    await cnnTrainLoop({
      ...common,
      net,
      epochs: method.hintEpochs,
      variables: [...net.variables(index + 1), ...regressor.variables],
      loss: (o, b) => convHintLoss(regressor.apply(o[index] as tf.Tensor4D), tf.gather(hints, b.rows) as tf.Tensor4D),
    });
  } finally {
    regressor.dispose();
  }
}
