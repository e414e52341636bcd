/**
 * The regression demo's training loop: minibatch Adam (β₁ 0.9, β₂ 0.999, ε 1e-7) with a
 * cosine-decayed learning rate over a seeded batch order — the MNIST demo's schedule
 * (`../train.ts`) on windows [n, window, 1]. With `keepBest`, the weights of the epoch with
 * the lowest validation MSE against the truth are restored at the end (ties: the earlier
 * epoch); otherwise the last epoch's are kept.
 */
import type { Rng } from '../../core/rng.js';
import { checkInterrupt, pauseAtSync } from '../../io/interrupt.js';
import { cosineRate, ScheduledAdam } from '../train.js';
import { tf } from '../tf.js';
import type { RecurrentNet } from './models.js';

export interface SeriesTensors {
  readonly x: tf.Tensor3D;
  /** Standardised next-day targets [n, 1]. */
  readonly y: tf.Tensor2D;
  readonly n: number;
}

export interface SeriesBatch {
  readonly x: tf.Tensor3D;
  readonly y: tf.Tensor2D;
  /** Rows of the training set (to gather precomputed teacher outputs). */
  readonly rows: tf.Tensor1D;
}

export interface SeriesLoopOptions {
  net: RecurrentNet;
  data: SeriesTensors;
  loss: (outputs: tf.Tensor2D[], batch: SeriesBatch) => tf.Scalar;
  variables?: tf.Variable[];
  epochs: number;
  batchSize: number;
  learningRate: number;
  order: Rng;
  /** Validation MSE of the network as it is, after each epoch (logged). */
  validate?: () => number;
  /** Restore the epoch of lowest validation MSE at the end (default: keep the last epoch). */
  keepBest?: boolean;
  onBatch?: (p: { epoch: number; epochs: number; batch: number; batches: number }) => void;
  onEpoch?: (epoch: number, meanLoss: number, validationMse: number | null) => Promise<void> | void;
}

/** Train; returns the kept epoch (1-based) and its validation MSE (null without `validate`). */
export async function trainSeries(o: SeriesLoopOptions): Promise<{ epoch: number; validationMse: number | null }> {
  const optimizer = new ScheduledAdam(o.learningRate);
  const variables = o.variables ?? o.net.variables();
  const batches = Math.ceil(o.data.n / o.batchSize);
  const steps = batches * o.epochs;
  let best: { epoch: number; mse: number; weights: Float32Array[] } | null = null;
  let last: number | null = null;
  try {
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      const perm = o.order.permutation(o.data.n);
      let sum = 0;
      for (let b = 0; b < batches; b++) {
        optimizer.setLearningRate(cosineRate(o.learningRate, (epoch - 1) * batches + b, steps));
        const rows = perm.subarray(b * o.batchSize, Math.min(o.data.n, (b + 1) * o.batchSize));
        const cost = tf.tidy(() => {
          const idx = tf.tensor1d(rows, 'int32');
          const batch: SeriesBatch = { x: tf.gather(o.data.x, idx) as tf.Tensor3D, y: tf.gather(o.data.y, idx) as tf.Tensor2D, rows: idx };
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
      const mse = o.validate ? o.validate() : null;
      last = mse;
      if (o.keepBest && mse !== null && (best === null || mse < best.mse)) best = { epoch, mse, weights: o.net.weights() };
      await o.onEpoch?.(epoch, sum / o.data.n, mse);
    }
  } finally {
    optimizer.dispose();
  }
  if (!o.keepBest || !best) return { epoch: o.epochs, validationMse: last };
  if (best.epoch !== o.epochs) o.net.setWeights(best.weights);
  return { epoch: best.epoch, validationMse: best.mse };
}
