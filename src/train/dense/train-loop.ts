/**
 * The minibatch loop of the dense networks: Adam (β₁ 0.9, β₂ 0.999, ε 1e-7) with a
 * cosine-decayed learning rate (the classification demo's `ScheduledAdam`, `cosineRate`),
 * over a batch order drawn from a seeded generator, with the loss of a batch built by the
 * caller from the batch's row indices (so the loop knows nothing of images, targets or teachers).
 */
import { errors } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import { checkInterrupt } from '../../io/interrupt.js';
import { tf } from '../tf.js';
import { cosineRate, ScheduledAdam } from '../train.js';

/** Options of {@link denseTrainLoop}. */
export interface DenseLoopOptions {
  /** Training samples; rows 0 … n−1. */
  readonly n: number;
  /** The loss of one batch (called inside `optimizer.minimize`, under a tidy). */
  readonly loss: (rows: Int32Array) => tf.Scalar;
  /** What the optimiser updates (the student's weights and any regressor/adapter). */
  readonly variables: tf.Variable[];
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  /** Draws each epoch's batch order. */
  readonly order: Rng;
  /** After each epoch, with the sample-weighted mean training loss. */
  readonly onEpoch?: (epoch: number, meanLoss: number) => Promise<void> | void;
}

/** Mean training loss of each epoch. */
export interface DenseLoopResult {
  readonly epochLosses: number[];
}

/** Train for `epochs` epochs; returns each epoch's mean loss. */
export async function denseTrainLoop(o: DenseLoopOptions): Promise<DenseLoopResult> {
  for (const k of ['n', 'epochs', 'batchSize'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 1) throw errors.badOption(k, o[k], 'a positive integer');
  }
  if (!(o.learningRate > 0)) throw errors.badOption('learningRate', o.learningRate, 'a positive number');
  const optimizer = new ScheduledAdam(o.learningRate);
  const batches = Math.ceil(o.n / o.batchSize);
  const steps = batches * o.epochs;
  const epochLosses: number[] = [];
  try {
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      const perm = o.order.permutation(o.n);
      let sum = 0;
      for (let b = 0; b < batches; b++) {
        optimizer.setLearningRate(cosineRate(o.learningRate, (epoch - 1) * batches + b, steps));
        const rows = perm.subarray(b * o.batchSize, Math.min(o.n, (b + 1) * o.batchSize));
        const cost = tf.tidy(() => optimizer.minimize(() => o.loss(rows), true, o.variables)!);
        const value = (await cost.data())[0]!;
        cost.dispose();
        if (!Number.isFinite(value)) throw errors.undefinedResult('training loss', `it became ${value} at epoch ${epoch}, batch ${b + 1}`);
        sum += value * rows.length;
        await checkInterrupt();
      }
      epochLosses.push(sum / o.n);
      await o.onEpoch?.(epoch, sum / o.n);
    }
  } finally {
    optimizer.dispose();
  }
  return { epochLosses };
}
