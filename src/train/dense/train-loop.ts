/**
 * The minibatch loop of the dense networks (detectors and segmenters): the one training loop of
 * src/train ({@link runTrainLoop}: Adam with a cosine-decayed learning rate over a seeded batch
 * order) with the loss of a batch built by the caller from the batch's row indices — so the loop
 * knows nothing of images, targets or teachers. A batch is its rows; the "forward pass" is the
 * identity and the caller's loss runs the networks. A non-finite batch loss is refused
 * (UNDEFINED naming the epoch and batch).
 */
import { errors } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import { runTrainLoop } from '../loop.js';
import type { tf } from '../tf.js';

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

/**
 * Train for `epochs` epochs; returns each epoch's mean loss.
 * @throws KrsError BAD_OPTION for a non-positive `n`, `epochs`, `batchSize` or learning rate.
 */
export async function denseTrainLoop(o: DenseLoopOptions): Promise<DenseLoopResult> {
  for (const k of ['n', 'epochs', 'batchSize'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 1) throw errors.badOption(k, o[k], 'a positive integer');
  }
  if (!(o.learningRate > 0)) throw errors.badOption('learningRate', o.learningRate, 'a positive number');
  const epochLosses = await runTrainLoop({
    net: { forward: (rows: Int32Array) => rows, variables: () => o.variables },
    n: o.n,
    batch: (rows) => ({ x: rows }),
    loss: (rows) => o.loss(rows),
    variables: o.variables,
    epochs: o.epochs,
    batchSize: o.batchSize,
    learningRate: o.learningRate,
    order: o.order,
    requireFinite: true,
    ...(o.onEpoch ? { onEpoch: o.onEpoch } : {}),
  });
  return { epochLosses };
}
