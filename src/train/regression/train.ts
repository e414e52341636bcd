/**
 * The regression demo's training loop: the shared loop (`../loop.ts`: minibatch Adam, β₁ 0.9,
 * β₂ 0.999, ε 1e-7, with a cosine-decayed learning rate over a seeded batch order) on windows
 * [n, window, 1], plus a validation after each epoch. With `keepBest`, the weights of the epoch with
 * the lowest validation MSE against the truth are restored at the end (ties: the earlier
 * epoch); otherwise the last epoch's are kept.
 */
import type { Rng } from '../../core/rng.js';
import { runTrainLoop } from '../loop.js';
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

/** Train (the shared loop, `../loop.ts`); returns the kept epoch (1-based) and its validation MSE (null without `validate`). */
export async function trainSeries(o: SeriesLoopOptions): Promise<{ epoch: number; validationMse: number | null }> {
  let best: { epoch: number; mse: number; weights: Float32Array[] } | null = null;
  let last: number | null = null;
  await runTrainLoop({
    net: o.net,
    n: o.data.n,
    batch: (rows): SeriesBatch => {
      const idx = tf.tensor1d(rows, 'int32');
      return { x: tf.gather(o.data.x, idx) as tf.Tensor3D, y: tf.gather(o.data.y, idx) as tf.Tensor2D, rows: idx };
    },
    loss: o.loss,
    ...(o.variables ? { variables: o.variables } : {}),
    epochs: o.epochs,
    batchSize: o.batchSize,
    learningRate: o.learningRate,
    order: o.order,
    ...(o.onBatch ? { onBatch: o.onBatch } : {}),
    onEpoch: async (epoch, meanLoss) => {
      const mse = o.validate ? o.validate() : null;
      last = mse;
      if (o.keepBest && mse !== null && (best === null || mse < best.mse)) best = { epoch, mse, weights: o.net.weights() };
      await o.onEpoch?.(epoch, meanLoss, mse);
    },
  });
  const kept = best as { epoch: number; mse: number; weights: Float32Array[] } | null;
  if (!o.keepBest || !kept) return { epoch: o.epochs, validationMse: last };
  if (kept.epoch !== o.epochs) o.net.setWeights(kept.weights);
  return { epoch: kept.epoch, validationMse: kept.mse };
}
