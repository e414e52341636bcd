/**
 * Training a detector with or without a teacher, and predicting with one.
 *
 * Every method trains on the ground-truth detection loss (`detectionLoss`) plus, for the KD
 * methods, w × its distillation term, in one stage (hints are added to the task loss from the
 * first step rather than in FitNet's separate pre-training stage):
 *
 * | method      | distillation term                                                   | w default |
 * |-------------|---------------------------------------------------------------------|-----------|
 * | `baseline`  | none                                                                | —         |
 * | `output`    | `outputDistillLoss`: sigmoid-heatmap squared error + size (offset) L1 | 1         |
 * | `fitnet`    | `hintLoss` of a learned 1×1 conv of the student stage vs the teacher's | 1         |
 * | `imitation` | `imitationLoss` of a learned 3×3 conv of the student stage vs the teacher's, inside the imitation mask | 1 |
 *
 * The guided stage defaults to `stage3` (the last backbone stage, on the output grid, where
 * the imitation mask lives); `imitation` needs a stage on the output grid (`stage2`, `stage3`
 * or `head`). The teacher's heads or stage are computed once for the whole training set before
 * the student trains. Regressors/adapters draw their weights from the stream
 * `dense-adapter` of the seed; the batch order from `dense-order`.
 */

import type { Detection } from '../../agreement/detection.js';
import { errors } from '../../core/errors.js';
import { createRng } from '../../core/rng.js';
import { tf } from '../tf.js';
import { applyConv, type ConvLayer, createAdapter, disposeLayers, layerVariables } from './conv.js';
import { checkDataset, type DenseDataset, imageTensor, inBatches } from './data.js';
import { type DecodeOptions, decodeDetections } from './det-decode.js';
import { type DetHeads, detectionLoss, outputDistillLoss } from './det-losses.js';
import { detectionTargets, gridOf, type ImitationMaskMode, imitationMask, type TargetOptions } from './det-targets.js';
import { DET_CLASSES, DET_STRIDE, type Detector, type DetStage } from './detector.js';
import { hintLoss, imitationLoss } from './feature-losses.js';
import { type DenseLoopResult, denseTrainLoop } from './train-loop.js';

/** How a detector is trained. */
export type DetMethod =
  | { readonly kind: 'baseline' }
  | { readonly kind: 'output'; readonly weight?: number }
  | { readonly kind: 'fitnet'; readonly stage?: DetStage; readonly weight?: number }
  | { readonly kind: 'imitation'; readonly stage?: DetStage; readonly mask?: ImitationMaskMode; readonly weight?: number };

/** Options of {@link trainDetector}. */
export interface TrainDetectorOptions {
  readonly net: Detector;
  readonly data: DenseDataset;
  readonly method: DetMethod;
  /** Needed by every method but `baseline`. */
  readonly teacher?: Detector;
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly seed: number;
  /** How the ground-truth heatmap's Gaussians are sized (`detectionTargets`); default CenterNet's rule. */
  readonly targets?: TargetOptions;
  readonly onEpoch?: (epoch: number, meanLoss: number) => Promise<void> | void;
}

/** Tensors a training run holds for its whole length. */
interface Held {
  readonly tensors: tf.Tensor[];
  readonly adapters: ConvLayer[];
}

function kdTerm(o: TrainDetectorOptions, held: Held): ((out: ReturnType<Detector['forward']>, idx: tf.Tensor1D, centre: tf.Tensor4D) => tf.Scalar) | null {
  const { method, teacher, net, data } = o;
  if (method.kind === 'baseline') return null;
  if (!teacher) throw errors.badOption('teacher', undefined, `a teacher detector for the ${method.kind} method`);
  const weight = method.weight ?? 1;
  const images = held.tensors[0] as tf.Tensor4D;
  if (method.kind === 'output') {
    const t = inBatches(images, 64, (x) => {
      const out = teacher.forward(x);
      return { heatmapLogits: out.heatmapLogits, size: out.size, ...(out.offset ? { offset: out.offset } : {}) } as Record<string, tf.Tensor>;
    });
    held.tensors.push(...Object.values(t));
    return (out, idx, centre) => {
      const th: DetHeads = {
        heatmapLogits: tf.gather(t.heatmapLogits!, idx) as tf.Tensor4D,
        size: tf.gather(t.size!, idx) as tf.Tensor4D,
        offset: t.offset ? (tf.gather(t.offset, idx) as tf.Tensor4D) : null,
      };
      return tf.mul(outputDistillLoss(out, th, centre), weight) as tf.Scalar;
    };
  }
  const stage = method.stage ?? 'stage3';
  const hint = inBatches(images, 64, (x) => ({ f: teacher.forward(x).stages[stage] })).f as tf.Tensor4D;
  held.tensors.push(hint);
  const rng = createRng(o.seed, 'dense-adapter');
  if (method.kind === 'fitnet') {
    const reg = createAdapter('fitnet-regressor', net.channels[stage], teacher.channels[stage], rng, 1);
    held.adapters.push(reg);
    return (out, idx) => tf.mul(hintLoss(applyConv(reg, out.stages[stage]), tf.gather(hint, idx) as tf.Tensor4D), weight) as tf.Scalar;
  }
  if (method.kind !== 'imitation') throw errors.badOption('method', (method as { kind: unknown }).kind, "'baseline', 'output', 'fitnet' or 'imitation'");
  if (stage === 'stage1') throw errors.badOption('stage', stage, "a stage on the output grid for imitation: 'stage2', 'stage3' or 'head'");
  const grid = gridOf(data.height, data.width);
  const mask = tf.tensor4d(imitationMask(data.objects!, grid, method.mask ?? 'box'), [data.n, grid.height, grid.width, 1]);
  held.tensors.push(mask);
  const adapter = createAdapter('imitation-adapter', net.channels[stage], teacher.channels[stage], rng, 3);
  held.adapters.push(adapter);
  return (out, idx) =>
    tf.mul(imitationLoss(applyConv(adapter, out.stages[stage]), tf.gather(hint, idx) as tf.Tensor4D, tf.gather(mask, idx) as tf.Tensor4D), weight) as tf.Scalar;
}

/** Train `net` on `data` by `method`; returns each epoch's mean loss (task loss + weighted KD term). */
export async function trainDetector(o: TrainDetectorOptions): Promise<DenseLoopResult> {
  checkDataset(o.data, 'objects');
  const grid = gridOf(o.data.height, o.data.width);
  const t = detectionTargets(o.data.objects!, grid, o.targets);
  const shape = (c: number): [number, number, number, number] => [t.n, grid.height, grid.width, c];
  const images = imageTensor(o.data);
  const heatmap = tf.tensor4d(t.heatmap, shape(DET_CLASSES));
  const size = tf.tensor4d(t.size, shape(2));
  const offset = tf.tensor4d(t.offset, shape(2));
  const centre = tf.tensor4d(t.centreMask, shape(1));
  const held: Held = { tensors: [images, heatmap, size, offset, centre], adapters: [] };
  try {
    const kd = kdTerm(o, held);
    return await denseTrainLoop({
      n: o.data.n,
      variables: [...o.net.variables(), ...layerVariables(held.adapters)],
      epochs: o.epochs,
      batchSize: o.batchSize,
      learningRate: o.learningRate,
      order: createRng(o.seed, 'dense-order'),
      onEpoch: o.onEpoch,
      loss: (rows) => {
        const idx = tf.tensor1d(rows, 'int32');
        const out = o.net.forward(tf.gather(images, idx) as tf.Tensor4D);
        const c = tf.gather(centre, idx) as tf.Tensor4D;
        const gt = {
          heatmap: tf.gather(heatmap, idx) as tf.Tensor4D,
          size: tf.gather(size, idx) as tf.Tensor4D,
          offset: tf.gather(offset, idx) as tf.Tensor4D,
          centreMask: c,
        };
        const task = detectionLoss(out, gt);
        return kd ? (tf.add(task, kd(out, idx, c)) as tf.Scalar) : task;
      },
    });
  } finally {
    tf.dispose(held.tensors);
    disposeLayers(held.adapters);
  }
}

/** Options of {@link predictDetections}: the decoder's, less the grid (taken from the data). */
export type PredictDetectionOptions = Omit<DecodeOptions, 'height' | 'width' | 'classes' | 'stride'> & { readonly batchSize?: number };

/** Decoded detections of every image of `data` (image ids from `data.ids`), image by image. */
export function predictDetections(net: Detector, data: DenseDataset, options: PredictDetectionOptions = {}): Detection[] {
  checkDataset(data);
  const grid = gridOf(data.height, data.width);
  const images = imageTensor(data);
  const batch = options.batchSize ?? 64;
  const dets: Detection[] = [];
  try {
    for (let start = 0; start < data.n; start += batch) {
      const m = Math.min(batch, data.n - start);
      const heads = tf.tidy(() => {
        const out = net.forward(tf.slice(images, [start, 0, 0, 0], [m, -1, -1, -1]));
        return { hm: tf.sigmoid(out.heatmapLogits), sz: out.size, ...(out.offset ? { off: out.offset } : {}) } as Record<string, tf.Tensor>;
      });
      const hmData = heads.hm!.dataSync() as Float32Array;
      const szData = heads.sz!.dataSync() as Float32Array;
      const offData = heads.off ? (heads.off.dataSync() as Float32Array) : null;
      tf.dispose(Object.values(heads));
      const cells = grid.height * grid.width;
      for (let i = 0; i < m; i++) {
        const decoded = decodeDetections(
          {
            imageId: data.ids[start + i]!,
            heatmap: hmData.subarray(i * cells * DET_CLASSES, (i + 1) * cells * DET_CLASSES),
            size: szData.subarray(i * cells * 2, (i + 1) * cells * 2),
            offset: offData ? offData.subarray(i * cells * 2, (i + 1) * cells * 2) : null,
          },
          { ...options, height: grid.height, width: grid.width, classes: DET_CLASSES, stride: DET_STRIDE },
        );
        dets.push(...decoded);
      }
    }
  } finally {
    images.dispose();
  }
  return dets;
}
