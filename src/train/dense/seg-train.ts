/**
 * Training a segmenter with or without a teacher, and predicting label maps with one.
 *
 * Every method trains on the pixel-wise cross-entropy plus, for the KD methods, w × its
 * distillation term, in one stage:
 *
 * | method     | distillation term                                                         | defaults          |
 * |------------|---------------------------------------------------------------------------|-------------------|
 * | `baseline` | none                                                                      | —                 |
 * | `pixel`    | `pixelKdLoss`: T²·mean per-pixel KL(p_t^T ‖ p_s^T)                          | T 4, w 1          |
 * | `fitnet`   | `hintLoss` of a learned 1×1 conv of the student stage vs the teacher's      | stage enc3, w 1   |
 * | `affinity` | `affinityLoss`: mean squared difference of the pair-wise cosine affinities  | stage enc3, β 1, w 1 |
 *
 * `enc3` is the bottleneck (12×12 for 48×48 input, 144 positions, 20 736 pairs per image).
 * The teacher's logits or stage are computed once for the whole training set before the
 * student trains; the regressor's weights come from the stream `dense-adapter` of the seed,
 * the batch order from `dense-order`.
 */
import { errors } from '../../core/errors.js';
import { createRng } from '../../core/rng.js';
import type { Tensor } from '../../core/tensor.js';
import { tf } from '../tf.js';
import { applyConv, type ConvLayer, createAdapter, disposeLayers, layerVariables } from './conv.js';
import { checkDataset, type DenseDataset, imageTensor, inBatches } from './data.js';
import { affinityLoss, hintLoss } from './feature-losses.js';
import { pixelCrossEntropy, pixelKdLoss } from './seg-losses.js';
import type { Segmenter, SegStage } from './segmenter.js';
import { SEG_CLASSES } from './segmenter.js';
import { type DenseLoopResult, denseTrainLoop } from './train-loop.js';

/** How a segmenter is trained. */
export type SegMethod =
  | { readonly kind: 'baseline' }
  | { readonly kind: 'pixel'; readonly temperature?: number; readonly weight?: number }
  | { readonly kind: 'fitnet'; readonly stage?: SegStage; readonly weight?: number }
  | { readonly kind: 'affinity'; readonly stage?: SegStage; readonly patch?: number; readonly weight?: number };

/** Options of {@link trainSegmenter}. */
export interface TrainSegmenterOptions {
  readonly net: Segmenter;
  readonly data: DenseDataset;
  readonly method: SegMethod;
  /** Needed by every method but `baseline`. */
  readonly teacher?: Segmenter;
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly seed: number;
  /** Per-class weights of the cross-entropy (`medianFrequencyWeights`); unweighted when absent. */
  readonly classWeights?: readonly number[];
  readonly onEpoch?: (epoch: number, meanLoss: number) => Promise<void> | void;
}

type KdTerm = (out: ReturnType<Segmenter['forward']>, idx: tf.Tensor1D) => tf.Scalar;

function kdTerm(o: TrainSegmenterOptions, images: tf.Tensor4D, held: tf.Tensor[], adapters: ConvLayer[]): KdTerm | null {
  const { method, teacher, net } = o;
  if (method.kind === 'baseline') return null;
  if (!teacher) throw errors.badOption('teacher', undefined, `a teacher segmenter for the ${method.kind} method`);
  const weight = method.weight ?? 1;
  if (method.kind === 'pixel') {
    const temperature = method.temperature ?? 4;
    const logits = inBatches(images, 64, (x) => ({ z: teacher.forward(x).logits })).z as tf.Tensor4D;
    held.push(logits);
    return (out, idx) => tf.mul(pixelKdLoss(out.logits, tf.gather(logits, idx) as tf.Tensor4D, temperature), weight) as tf.Scalar;
  }
  if (method.kind !== 'fitnet' && method.kind !== 'affinity') {
    throw errors.badOption('method', (method as { kind: unknown }).kind, "'baseline', 'pixel', 'fitnet' or 'affinity'");
  }
  const stage = method.stage ?? 'enc3';
  const [cs, ct] = [net.channels[stage], teacher.channels[stage]];
  if (cs === undefined || ct === undefined) {
    throw errors.badOption('stage', stage, `a stage both networks have (student ${net.stageNames.join(', ')}; teacher ${teacher.stageNames.join(', ')})`);
  }
  const hint = inBatches(images, 64, (x) => ({ f: teacher.forward(x).stages[stage]! })).f as tf.Tensor4D;
  held.push(hint);
  if (method.kind === 'fitnet') {
    const reg = createAdapter('fitnet-regressor', cs, ct, createRng(o.seed, 'dense-adapter'), 1);
    adapters.push(reg);
    return (out, idx) => tf.mul(hintLoss(applyConv(reg, out.stages[stage]!), tf.gather(hint, idx) as tf.Tensor4D), weight) as tf.Scalar;
  }
  const patch = method.patch ?? 1;
  return (out, idx) => tf.mul(affinityLoss(out.stages[stage]!, tf.gather(hint, idx) as tf.Tensor4D, patch), weight) as tf.Scalar;
}

/** Train `net` on `data` by `method`; returns each epoch's mean loss (CE + weighted KD term). */
export async function trainSegmenter(o: TrainSegmenterOptions): Promise<DenseLoopResult> {
  checkDataset(o.data, 'labels');
  for (let i = 0; i < o.data.labels!.length; i++) {
    if (o.data.labels![i]! >= SEG_CLASSES) throw errors.badValue(`label at flat index ${i}`, o.data.labels![i], `a class in [0, ${SEG_CLASSES})`);
  }
  const images = imageTensor(o.data);
  const labels = tf.tensor3d(Int32Array.from(o.data.labels!), [o.data.n, o.data.height, o.data.width], 'int32');
  if (o.classWeights && (o.classWeights.length !== SEG_CLASSES || o.classWeights.some((w) => !(w >= 0) || !Number.isFinite(w)))) {
    throw errors.badOption('classWeights', o.classWeights.join(','), `${SEG_CLASSES} finite weights ≥ 0`);
  }
  const weights = o.classWeights ? tf.tensor1d([...o.classWeights], 'float32') : undefined;
  const held: tf.Tensor[] = [images, labels, ...(weights ? [weights] : [])];
  const adapters: ConvLayer[] = [];
  try {
    const kd = kdTerm(o, images, held, adapters);
    return await denseTrainLoop({
      n: o.data.n,
      variables: [...o.net.variables(), ...layerVariables(adapters)],
      epochs: o.epochs,
      batchSize: o.batchSize,
      learningRate: o.learningRate,
      order: createRng(o.seed, 'dense-order'),
      onEpoch: o.onEpoch,
      loss: (rows) => {
        const idx = tf.tensor1d(rows, 'int32');
        const out = o.net.forward(tf.gather(images, idx) as tf.Tensor4D);
        const task = pixelCrossEntropy(out.logits, tf.gather(labels, idx) as tf.Tensor3D, weights);
        return kd ? (tf.add(task, kd(out, idx)) as tf.Scalar) : task;
      },
    });
  } finally {
    tf.dispose(held);
    disposeLayers(adapters);
  }
}

/** Per-pixel argmax label maps [n, H, W] of `data` (ties: the lower class). */
export function predictLabelMaps(net: Segmenter, data: DenseDataset, batchSize = 64): Uint8Array {
  checkDataset(data);
  const images = imageTensor(data);
  try {
    const { y } = inBatches(images, batchSize, (x) => ({ y: tf.argMax(net.forward(x).logits, 3) }));
    const out = Uint8Array.from(y.dataSync() as Int32Array);
    y.dispose();
    return out;
  } finally {
    images.dispose();
  }
}

/** Label maps [n, H, W] of a data set as a krs tensor, for `segmentationAgreement` (mIoU against the ground truth or a teacher). */
export function labelMapTensor(maps: Uint8Array, like: DenseDataset): Tensor {
  if (maps.length !== like.n * like.height * like.width)
    throw errors.shapeMismatch('label maps', `${like.n}×${like.height}×${like.width} values`, String(maps.length));
  return { dtype: 'uint8', shape: [like.n, like.height, like.width], data: maps };
}
