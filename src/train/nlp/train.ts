/**
 * Training and prediction for the NLP study's encoders: minibatch Adam (β₁ 0.9, β₂ 0.999,
 * ε 1e-7; the one training loop of `../loop.ts`) over a seeded batch order, with a learning rate warmed up linearly over the first
 * `warmupFraction` of the steps and cosine-decayed after (the usual schedule for training a
 * transformer; Loshchilov & Hutter 2017 for the decay). The loss is the caller's (labels
 * only, or a distillation loss of `losses.ts` given the teacher's outputs for the batch).
 */
import { errors } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import { cosineRate, runTrainLoop } from '../loop.js';
import { tf } from '../tf.js';
import type { Encoder, EncoderOutput } from './encoder.js';
import type { EncodedBatch } from './tokenizer.js';

/** Encoded e-mails with their labels (1 spam, 0 ham). */
export interface LabelledSet extends EncodedBatch {
  readonly labels: Int32Array;
}

/** The tensors of one minibatch, handed to the loss (disposed by the loop). */
export interface TextBatch {
  readonly inputIds: tf.Tensor2D;
  readonly attentionMask: tf.Tensor2D;
  /** One-hot labels [b, classes]. */
  readonly oneHot: tf.Tensor2D;
  /** Rows of the set in this batch. */
  readonly rows: Int32Array;
}

/** The rows `rows` of a set as tensors. */
export function batchTensors(set: LabelledSet, rows: ArrayLike<number>, classes = 2): TextBatch {
  const t = set.maxLength;
  const ids = new Int32Array(rows.length * t);
  const mask = new Int32Array(rows.length * t);
  const labels = new Int32Array(rows.length);
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k]!;
    ids.set(set.inputIds.subarray(r * t, (r + 1) * t), k * t);
    mask.set(set.attentionMask.subarray(r * t, (r + 1) * t), k * t);
    labels[k] = set.labels[r]!;
  }
  return {
    inputIds: tf.tensor2d(ids, [rows.length, t], 'int32'),
    attentionMask: tf.tensor2d(mask, [rows.length, t], 'int32'),
    oneHot: tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), classes), 'float32') as tf.Tensor2D),
    rows: Int32Array.from(rows),
  };
}

/** Learning rate of step `t` of `total`: linear warm-up over `warmup` steps, then cosine decay to 0. */
export function warmupCosineRate(lr: number, t: number, total: number, warmup: number): number {
  return t < warmup ? (lr * (t + 1)) / warmup : cosineRate(lr, t - warmup, total - warmup);
}

export interface EncoderTrainOptions {
  encoder: Encoder;
  data: LabelledSet;
  /**
   * The loss of a batch given the encoder's outputs (and the teacher's, when a teacher is
   * given); default the cross-entropy with the labels.
   */
  loss?: (out: EncoderOutput, batch: TextBatch, teacher: EncoderOutput | null) => tf.Scalar;
  /** A frozen teacher whose outputs for each batch the loss receives (computed outside the gradient tape). */
  teacher?: Encoder;
  /** Extra variables trained with the encoder (the linear maps of the hidden-state losses). */
  extraVariables?: tf.Variable[];
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Share of the steps spent warming up (default 0.1). */
  warmupFraction?: number;
  order: Rng;
  onBatch?: (p: { epoch: number; batch: number; batches: number; loss: number }) => void;
  /** After each epoch; awaited. */
  onEpoch?: (epoch: number, meanLoss: number) => Promise<void> | void;
}

/** Mean softmax cross-entropy of logits [b, C] against one-hot labels [b, C]. */
export function crossEntropy(logits: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1))) as tf.Scalar);
}

/** A teacher's outputs for a batch, outside any gradient tape. */
function teacherOutputs(teacher: Encoder, batch: TextBatch): EncoderOutput {
  return tf.tidy(() => teacher.forward(batch.inputIds, batch.attentionMask) as unknown as tf.TensorContainer) as unknown as EncoderOutput;
}

/** A step's batch in the shape the training loop takes: the encoder's inputs as `x`, and the teacher's outputs. */
interface EncoderStepBatch extends TextBatch {
  readonly x: { readonly inputIds: tf.Tensor2D; readonly attentionMask: tf.Tensor2D };
  readonly teacher: EncoderOutput | null;
}

/**
 * Train an encoder in place on the one training loop of src/train ({@link runTrainLoop}: every
 * tensor of a step — the batch, the teacher's outputs — is freed after it); returns the mean
 * training loss of each epoch.
 * @throws KrsError BAD_OPTION for epochs, batch size or learning rate that are not positive.
 */
export async function trainEncoder(o: EncoderTrainOptions): Promise<number[]> {
  if (!(Number.isInteger(o.epochs) && o.epochs >= 1)) throw errors.badOption('epochs', o.epochs, 'a positive integer');
  if (!(Number.isInteger(o.batchSize) && o.batchSize >= 1)) throw errors.badOption('batchSize', o.batchSize, 'a positive integer');
  if (!(o.learningRate > 0)) throw errors.badOption('learningRate', o.learningRate, 'a positive number');
  const loss = o.loss ?? ((out, batch) => crossEntropy(out.logits, batch.oneHot));
  const steps = Math.ceil(o.data.n / o.batchSize) * o.epochs;
  const warmup = Math.round((o.warmupFraction ?? 0.1) * steps);
  return runTrainLoop({
    net: { forward: (x: EncoderStepBatch['x']) => o.encoder.forward(x.inputIds, x.attentionMask), variables: () => o.encoder.variables() },
    n: o.data.n,
    batch: (rows): EncoderStepBatch => {
      const batch = batchTensors(o.data, rows);
      return { ...batch, x: batch, teacher: o.teacher ? teacherOutputs(o.teacher, batch) : null };
    },
    loss: (out, batch) => loss(out, batch, batch.teacher),
    variables: [...o.encoder.variables(), ...(o.extraVariables ?? [])],
    epochs: o.epochs,
    batchSize: o.batchSize,
    learningRate: o.learningRate,
    order: o.order,
    rate: (lr, t, total) => warmupCosineRate(lr, t, total, warmup),
    onBatch: (p, value) => o.onBatch?.({ epoch: p.epoch, batch: p.batch, batches: p.batches, loss: value }),
    ...(o.onEpoch ? { onEpoch: o.onEpoch } : {}),
  });
}

/** The logits [n, classes] of a whole set, row-major, in batches. */
export function predictLogits(encoder: Encoder, set: LabelledSet, batchSize = 64): Float32Array {
  const classes = encoder.config.classes ?? 2;
  const out = new Float32Array(set.n * classes);
  for (let s = 0; s < set.n; s += batchSize) {
    const rows = Int32Array.from({ length: Math.min(batchSize, set.n - s) }, (_, k) => s + k);
    const batch = batchTensors(set, rows, classes);
    const logits = tf.tidy(() => encoder.forward(batch.inputIds, batch.attentionMask).logits);
    out.set(logits.dataSync() as Float32Array, s * classes);
    tf.dispose([logits, batch.inputIds, batch.attentionMask, batch.oneHot]);
  }
  return out;
}

/**
 * Share of rows whose arg-max logit is the label (ties: the lower class).
 * @throws KrsError BAD_VALUE for no rows (an accuracy of nothing is undefined).
 */
export function accuracyOf(logits: Float32Array, labels: Int32Array, classes = 2): number {
  if (labels.length === 0) throw errors.badValue('the rows to score', 0, 'at least one row');
  let right = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c]! > logits[i * classes + best]!) best = c;
    if (best === labels[i]) right++;
  }
  return right / labels.length;
}
