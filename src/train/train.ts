/**
 * The training loop of the demo: minibatch Adam over a seeded batch order, with a loss
 * chosen by the caller (hard labels, distillation, hint), reporting each batch and epoch.
 *
 * Teacher targets (logits, hint activations) are computed once for the whole training set
 * before the students train, as tensors the loop gathers rows from.
 */
import type { Rng } from '../core/rng.js';
import { checkInterrupt, pauseAtSync } from '../io/interrupt.js';
import type { Mlp } from './models.js';
import { CLASSES, PIXELS, type DigitSet } from './mnist-split.js';
import { tf } from './tf.js';

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

export interface LoopProgress {
  /** 1-based epoch number within this call. */
  epoch: number;
  epochs: number;
  /** Batches done in this epoch. */
  batch: number;
  batches: number;
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

/** Adam whose learning rate can be changed between steps (for the schedule; the regression demo uses it too). */
export class ScheduledAdam extends tf.AdamOptimizer {
  constructor(learningRate: number) {
    super(learningRate, 0.9, 0.999, 1e-7);
  }
  setLearningRate(lr: number): void {
    this.learningRate = lr;
  }
}

/**
 * Learning rate of step `t` of `total` under cosine decay (Loshchilov & Hutter 2017, no
 * restarts): lr · ½(1 + cos(π t / total)), from lr at the first step towards 0 at the last.
 */
export function cosineRate(lr: number, t: number, total: number): number {
  return total > 0 ? 0.5 * lr * (1 + Math.cos((Math.PI * t) / total)) : lr;
}

/**
 * Train for `epochs` epochs with Adam (β₁ 0.9, β₂ 0.999, ε 1e-7) and a cosine-decayed
 * learning rate, over batches in an order drawn from `order`.
 */
export async function trainLoop(o: TrainLoopOptions): Promise<void> {
  const optimizer = new ScheduledAdam(o.learningRate);
  const variables = o.variables ?? o.net.variables();
  const batches = Math.ceil(o.data.n / o.batchSize);
  const steps = batches * o.epochs;
  try {
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      const perm = o.order.permutation(o.data.n);
      let sum = 0;
      for (let b = 0; b < batches; b++) {
        optimizer.setLearningRate(cosineRate(o.learningRate, (epoch - 1) * batches + b, steps));
        const rows = perm.subarray(b * o.batchSize, Math.min(o.data.n, (b + 1) * o.batchSize));
        const cost = tf.tidy(() => {
          const idx = tf.tensor1d(rows, 'int32');
          const x = o.inputs ? tf.tensor2d(o.inputs(rows), [rows.length, PIXELS]) : (tf.gather(o.data.x, idx) as tf.Tensor2D);
          const batch: Minibatch = { x, oneHot: tf.gather(o.data.oneHot, idx), rows: idx };
          return optimizer.minimize(() => o.loss(o.net.forward(batch.x), batch), true, variables)!;
        });
        sum += (await cost.data())[0]! * rows.length;
        cost.dispose();
        // A stop point per batch: the wasm backend never leaves the thread, so without a turn of
        // the event loop a signal's handler would not run until the training ended.
        pauseAtSync('train-batch');
        await checkInterrupt();
        o.onBatch?.({ epoch, epochs: o.epochs, batch: b + 1, batches });
      }
      await o.onEpoch?.(epoch, sum / o.data.n);
    }
  } finally {
    optimizer.dispose();
  }
}
