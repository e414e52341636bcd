/**
 * Training the test models' dense layers with the demo's TensorFlow.js code (src/train/:
 * seeded Glorot initial weights, minibatch Adam with a cosine-decayed learning rate, the
 * demo's losses), single-threaded on the wasm backend, so a seed fixes every weight bit for bit.
 *
 * The data: the 10 000 digits of the built-in `mnist` data set in its own order (the order
 * `krs eval --input mnist` reads). The first {@link HELD_OUT} rows are held out — so
 * `--limit 2000` measures accuracy on digits no model saw — and the other 8 000 train.
 */
import { loadMnist } from '../../src/runtime/data/mnist.js';
import { distillationLoss, hardLoss } from '../../src/train/losses.js';
import type { DigitSet } from '../../src/train/mnist-split.js';
import { buildMlp, glorotInit, type Mlp, mlpArchitecture } from '../../src/train/models.js';
import { createRng } from '../../src/train/rng.js';
import { tf } from '../../src/train/tf.js';
import { type Minibatch, type TrainTensors, trainLoop, trainTensors } from '../../src/train/train.js';

/** Rows 0 … HELD_OUT−1 of the built-in data set are never trained on. */
export const HELD_OUT = 2000;

/** Training and held-out digits as [n, 784] pixels in [0, 1]. */
export function digitSets(): { train: DigitSet; heldOut: DigitSet } {
  const all = loadMnist();
  const total = all.labels.length;
  const take = (start: number, end: number): DigitSet => ({
    x: all.images.slice(start * 784, end * 784),
    y: all.labels.slice(start, end),
    ids: Int32Array.from({ length: end - start }, (_, i) => start + i),
    n: end - start,
  });
  return { train: take(HELD_OUT, total), heldOut: take(0, HELD_OUT) };
}

/** The same samples with other 784-wide inputs (e.g. convolution features). */
export function withInputs(set: DigitSet, x: Float32Array): DigitSet {
  if (x.length !== set.n * 784) throw new Error(`withInputs: ${x.length} values for ${set.n} samples of 784`);
  return { ...set, x };
}

export type Loss = 'softmax' | 'sigmoid' | { teacher: Mlp; temperature: number; softWeight: number };

export interface DenseTraining {
  /** Seeds the initial weights (stream `<name>-init`) and the batch order (`<name>-order`). */
  seed: number;
  name: string;
  /** Hidden widths between the 784 inputs and the 10 logits. */
  hidden: number[];
  epochs: number;
  /**
   * `softmax`: cross-entropy of softmax(logits) against the labels; `sigmoid`: mean binary
   * cross-entropy of sigmoid(logits) against the one-hot labels (ten one-vs-rest scores);
   * a teacher: Hinton's distillation loss (1 − λ)·CE + λ·T²·KL(p_t^T ‖ p_s^T).
   */
  loss: Loss;
}

const BATCH = 64;
const LEARNING_RATE = 2e-3;

/** Train an MLP 784 → hidden… → 10 on `train` (inputs 784 wide). Dispose the result when done. */
export async function trainDense(o: DenseTraining, train: DigitSet): Promise<Mlp> {
  const arch = mlpArchitecture(o.hidden);
  const net = buildMlp(arch, glorotInit(arch, createRng(o.seed, `${o.name}-init`)));
  const data = trainTensors(train);
  const loss = o.loss;
  let teacherLogits: tf.Tensor2D | null = null;
  if (typeof loss === 'object') teacherLogits = tf.tidy(() => logitsOf(loss.teacher, data.x));
  try {
    await trainLoop({
      net,
      data,
      epochs: o.epochs,
      batchSize: BATCH,
      learningRate: LEARNING_RATE,
      order: createRng(o.seed, `${o.name}-order`),
      loss: (outputs: tf.Tensor2D[] | tf.Tensor2D, batch: Minibatch) => {
        const logits = Array.isArray(outputs) ? outputs.at(-1)! : outputs;
        if (loss === 'softmax') return hardLoss(logits, batch.oneHot);
        if (loss === 'sigmoid') return tf.losses.sigmoidCrossEntropy(batch.oneHot, logits) as tf.Scalar;
        return distillationLoss(logits, tf.gather(teacherLogits!, batch.rows), batch.oneHot, loss.temperature, loss.softWeight);
      },
    });
  } finally {
    teacherLogits?.dispose();
    data.dispose();
  }
  return net;
}

/** The logits of a batch (a model without hidden layers has one output, not a list). */
function logitsOf(net: Mlp, x: tf.Tensor2D): tf.Tensor2D {
  const out = net.forward(x) as tf.Tensor2D[] | tf.Tensor2D;
  return Array.isArray(out) ? out.at(-1)! : out;
}

/** Top-1 accuracy of `net` on a digit set (inputs 784 wide). */
export function accuracy(net: Mlp, set: DigitSet): number {
  const data: TrainTensors = trainTensors(set);
  try {
    const predicted = tf.tidy(() => tf.argMax(logitsOf(net, data.x), 1).dataSync() as Int32Array);
    let right = 0;
    for (let i = 0; i < set.n; i++) if (predicted[i] === set.y[i]) right++;
    return right / set.n;
  } finally {
    data.dispose();
  }
}

/** Kernels and biases of each dense layer: [{ kernel [in, out] row-major, bias [out] }, …]. */
export function denseLayers(net: Mlp): { kernel: Float32Array; bias: Float32Array; inputs: number; units: number }[] {
  const w = net.weights();
  const layers = [];
  for (let k = 0; k < w.length; k += 2) {
    const bias = w[k + 1]!;
    layers.push({ kernel: w[k]!, bias, inputs: w[k]!.length / bias.length, units: bias.length });
  }
  return layers;
}
