/**
 * The training loop of the MLP demo and study: the shared loop (`loop.ts`: minibatch Adam over
 * a seeded batch order) on digits [b, 784], with a loss chosen by the caller (hard labels,
 * distillation, hint), reporting each batch and epoch.
 *
 * Teacher targets (logits, hint activations) are computed once for the whole training set
 * before the students train, as tensors the loop gathers rows from.
 */
import type { Rng } from '../core/rng.js';
import { type LoopProgress, runTrainLoop } from './loop.js';
import { CLASSES, type DigitSet, PIXELS } from './mnist-split.js';
import type { Mlp } from './models.js';
import { tf } from './tf.js';

// The loop's schedule, re-exported for the modules that import it from here (dense/, nlp/).
export { cosineRate, type LoopProgress, ScheduledAdam } from './loop.js';

/** The training set as tensors. */
export interface TrainTensors {
  readonly x: tf.Tensor2D;
  readonly oneHot: tf.Tensor2D;
  readonly n: number;
  dispose(): void;
}

export function trainTensors(set: DigitSet): TrainTensors {
  const x = tf.tensor2d(set.x, [set.n, PIXELS]);
  const oneHot = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(set.y, 'int32'), CLASSES), 'float32') as tf.Tensor2D);
  return { x, oneHot, n: set.n, dispose: () => tf.dispose([x, oneHot]) };
}

/** One minibatch, handed to the loss. */
export interface Minibatch {
  readonly x: tf.Tensor2D;
  readonly oneHot: tf.Tensor2D;
  /** Rows of the training set in this batch (to gather precomputed teacher targets). */
  readonly rows: tf.Tensor1D;
}

export interface TrainLoopOptions {
  net: Mlp;
  data: TrainTensors;
  /** The loss of one batch, given the network's outputs (hidden activations…, logits). */
  loss: (outputs: tf.Tensor2D[], batch: Minibatch) => tf.Scalar;
  /** What the optimiser updates; default every weight of `net`. */
  variables?: tf.Variable[];
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Draws each epoch's batch order. */
  order: Rng;
  /** Builds a batch's inputs from its rows instead of gathering them (data augmentation). */
  inputs?: (rows: Int32Array) => Float32Array;
  onBatch?: (p: LoopProgress) => void;
  /** After each epoch, with the mean training loss; awaited before the next epoch. */
  onEpoch?: (epoch: number, meanLoss: number) => Promise<void> | void;
}

/**
 * Train for `epochs` epochs with Adam (β₁ 0.9, β₂ 0.999, ε 1e-7) and a cosine-decayed
 * learning rate, over batches in an order drawn from `order` ({@link runTrainLoop} on digits).
 */
export async function trainLoop(o: TrainLoopOptions): Promise<void> {
  await runTrainLoop({
    net: o.net,
    n: o.data.n,
    batch: digitBatch(o.data, o.inputs),
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

/**
 * The batch of some rows of the training set: their digits [b, 784] (gathered, or built by
 * `inputs` for data augmentation), one-hot labels and the rows as a tensor.
 */
export function digitBatch(data: TrainTensors, inputs?: (rows: Int32Array) => Float32Array): (rows: Int32Array) => Minibatch {
  return (rows) => {
    const idx = tf.tensor1d(rows, 'int32');
    const x = inputs ? tf.tensor2d(inputs(rows), [rows.length, PIXELS]) : (tf.gather(data.x, idx) as tf.Tensor2D);
    return { x, oneHot: tf.gather(data.oneHot, idx), rows: idx };
  };
}
