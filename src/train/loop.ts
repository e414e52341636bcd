/**
 * The one training loop of src/train: minibatch Adam (β₁ 0.9, β₂ 0.999, ε 1e-7) with a decaying
 * learning rate over a seeded batch order, for any network with a forward function and
 * trainable variables. The MLP demo and study (`train.ts`), the CNN study (`cnn/train.ts`),
 * the regression demo (`regression/train.ts`), the detectors and segmenters (`dense/train-loop.ts`)
 * and the NLP encoders (`nlp/train.ts`) are thin adapters over {@link runTrainLoop}: each
 * says how a batch is built from its rows (gathered digits, digits reshaped to images, windows)
 * and what the loss of a batch is.
 *
 * Per epoch e = 1 … epochs: draw a permutation of the n rows from `order`; for batch b of
 * ⌈n / batchSize⌉, set the learning rate to `rate(lr, t, steps)` with t = (e − 1)·batches + b
 * and steps = batches·epochs (cosine decay by default), take the rows
 * perm[b·batchSize, min(n, (b + 1)·batchSize)), build the batch and minimise its loss under one
 * `tf.tidy` (every tensor of the step is freed but the cost), add cost·|rows| to the epoch's sum,
 * then a stop point (`pauseAtSync('train-batch')`, `checkInterrupt()`: the wasm backend never
 * leaves the thread, so without a turn of the event loop a signal's handler would not run until
 * the training ended) and `onBatch`. After the epoch, `onEpoch` with the mean loss
 * sum / n, awaited before the next epoch.
 *
 * Deterministic: the batch order comes from `order`, and a step's numbers depend only on the
 * variables, the batch and the learning rate.
 */
import { errors } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { checkInterrupt, pauseAtSync } from '../io/interrupt.js';
import { tf } from './tf.js';

/** What the loop trains: a forward pass from a batch's inputs to outputs, and its weights. */
export interface Trainable<X, O> {
  forward(x: X): O;
  /** Every trainable variable (the default set the optimiser updates). */
  variables(): tf.Variable[];
}

/** Where the loop is, for a progress display. */
export interface LoopProgress {
  /** 1-based epoch number within this call. */
  epoch: number;
  epochs: number;
  /** Batches done in this epoch. */
  batch: number;
  batches: number;
}

/** Options of {@link runTrainLoop}: a network, its batches, a loss, the optimiser's schedule and events. */
export interface TrainLoopSpec<X, O, B extends { readonly x: X }> {
  net: Trainable<X, O>;
  /** Training samples: rows 0 … n − 1. */
  n: number;
  /** The batch of these rows (called inside the step's tidy; its tensors are freed after the step). */
  batch: (rows: Int32Array) => B;
  /** The loss of one batch given the network's outputs on `batch.x`. */
  loss: (outputs: O, batch: B) => tf.Scalar;
  /** What the optimiser updates; default `net.variables()`. */
  variables?: tf.Variable[];
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Draws each epoch's batch order. */
  order: Rng;
  /** Learning rate of step t of `total` (0-based); default {@link cosineRate}. */
  rate?: (learningRate: number, t: number, total: number) => number;
  /** Refuse a non-finite batch loss (UNDEFINED naming the epoch and batch); default off. */
  requireFinite?: boolean;
  /** After each batch (after its stop point), with the batch's mean loss. */
  onBatch?: (p: LoopProgress, loss: number) => void;
  /** After each epoch, with the sample-weighted mean training loss; awaited before the next epoch. */
  onEpoch?: (epoch: number, meanLoss: number) => Promise<void> | void;
}

/** Adam whose learning rate can be changed between steps (for the schedule). */
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

/** Train in place; returns the mean training loss of each epoch. */
export async function runTrainLoop<X, O, B extends { readonly x: X }>(o: TrainLoopSpec<X, O, B>): Promise<number[]> {
  const optimizer = new ScheduledAdam(o.learningRate);
  const variables = o.variables ?? o.net.variables();
  const rate = o.rate ?? cosineRate;
  const batches = Math.ceil(o.n / o.batchSize);
  const steps = batches * o.epochs;
  const means: number[] = [];
  try {
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      const perm = o.order.permutation(o.n);
      let sum = 0;
      for (let b = 0; b < batches; b++) {
        optimizer.setLearningRate(rate(o.learningRate, (epoch - 1) * batches + b, steps));
        const rows = perm.subarray(b * o.batchSize, Math.min(o.n, (b + 1) * o.batchSize));
        const cost = tf.tidy(() => {
          const batch = o.batch(rows);
          return optimizer.minimize(() => o.loss(o.net.forward(batch.x), batch), true, variables)!;
        });
        const value = (await cost.data())[0]!;
        cost.dispose();
        if (o.requireFinite && !Number.isFinite(value)) throw errors.undefinedResult('training loss', `it became ${value} at epoch ${epoch}, batch ${b + 1}`);
        sum += value * rows.length;
        pauseAtSync('train-batch');
        await checkInterrupt();
        o.onBatch?.({ epoch, epochs: o.epochs, batch: b + 1, batches }, value);
      }
      means.push(sum / o.n);
      await o.onEpoch?.(epoch, sum / o.n);
    }
  } finally {
    optimizer.dispose();
  }
  return means;
}
