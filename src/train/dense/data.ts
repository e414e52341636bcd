/**
 * What the dense networks train and predict on: n grey canvases with their ground truth, as
 * flat row-major arrays (the scene generator's output adapts to it), and the batched
 * inference every consumer needs (teacher targets, predictions, stage activations).
 */
import { errors } from '../../core/errors.js';
import type { GroundTruthImage } from '../../io/coco-ground-truth.js';
import type { SceneSet } from '../scenes/generate.js';
import { tf } from '../tf.js';
import type { BoxObject } from './det-targets.js';

/** A set of canvases and their ground truth. */
export interface DenseDataset {
  readonly n: number;
  readonly height: number;
  readonly width: number;
  /** Pixels [n, H, W], row-major, in [0, 1]. */
  readonly images: Float32Array;
  /** One id per image (the COCO image id). */
  readonly ids: readonly string[];
  /** Per image, its objects (class index = digit, bbox in pixels); needed for detection. */
  readonly objects?: readonly (readonly BoxObject[])[];
  /** Per-pixel labels [n, H, W] (0 background, digit d → d + 1); needed for segmentation. */
  readonly labels?: Uint8Array;
}

/** COCO category id of heatmap class d (digit d): d + 1, the scenes' numbering (`DIGIT_CATEGORIES`). */
export const SCENE_CATEGORY_IDS: readonly number[] = Object.freeze(Array.from({ length: 10 }, (_, d) => d + 1));

/**
 * A scene set (src/train/scenes) as a dense data set: the same arrays (not copied), image ids
 * `firstImageId + i` as strings (the ids `cocoGroundTruth(set, firstImageId)` writes), and
 * each scene's digits as objects of class index = digit with their boxes.
 */
export function sceneDataset(set: SceneSet, firstImageId = 0): DenseDataset {
  return {
    n: set.n,
    height: set.height,
    width: set.width,
    images: set.images,
    labels: set.labels,
    ids: Array.from({ length: set.n }, (_, i) => String(firstImageId + i)),
    objects: set.scenes.map((s) => s.objects.map((o) => ({ classIndex: o.digit, bbox: [...o.bbox] as [number, number, number, number] }))),
  };
}

/** The ground truth of a data set's objects for `cocoMap` (src/train/coco-map.ts), category id = `categoryIds[class]`. */
export function groundTruthImages(d: DenseDataset, categoryIds: readonly number[] = SCENE_CATEGORY_IDS): GroundTruthImage[] {
  checkDataset(d, 'objects');
  return d.ids.map((imageId, i) => ({ imageId, boxes: d.objects![i]!.map((o) => ({ categoryId: categoryIds[o.classIndex]!, bbox: o.bbox })) }));
}

/** Check a data set's arrays against its declared sizes. */
export function checkDataset(d: DenseDataset, needs: 'objects' | 'labels' | null = null): void {
  const px = d.n * d.height * d.width;
  if (!Number.isInteger(d.n) || d.n < 1) throw errors.badValue('data set size n', d.n, 'a positive integer');
  if (d.images.length !== px) throw errors.shapeMismatch('images', `${d.n}×${d.height}×${d.width} = ${px} values`, String(d.images.length));
  if (d.ids.length !== d.n) throw errors.shapeMismatch('image ids', `${d.n} ids`, String(d.ids.length));
  if (needs === 'objects' && d.objects?.length !== d.n)
    throw errors.shapeMismatch('object lists', `${d.n} (one per image)`, String(d.objects?.length ?? 'none'));
  if (needs === 'labels' && d.labels?.length !== px) throw errors.shapeMismatch('label maps', `${px} values`, String(d.labels?.length ?? 'none'));
}

/** The images as one tensor [n, H, W, 1]. */
export function imageTensor(d: DenseDataset): tf.Tensor4D {
  return tf.tensor4d(d.images, [d.n, d.height, d.width, 1]);
}

/**
 * Apply `f` to the images [n, H, W, 1] in batches of `batchSize` and concatenate each named
 * output along the batch axis. `f`'s tensors are disposed batch by batch; the result's belong
 * to the caller.
 */
export function inBatches<K extends string>(images: tf.Tensor4D, batchSize: number, f: (x: tf.Tensor4D) => Record<K, tf.Tensor>): Record<K, tf.Tensor> {
  const n = images.shape[0];
  const parts = new Map<K, tf.Tensor[]>();
  for (let start = 0; start < n; start += batchSize) {
    const outs = tf.tidy(() => f(tf.slice(images, [start, 0, 0, 0], [Math.min(batchSize, n - start), -1, -1, -1])));
    for (const [k, t] of Object.entries(outs) as [K, tf.Tensor][]) {
      if (!parts.has(k)) parts.set(k, []);
      parts.get(k)!.push(t);
    }
  }
  const out = {} as Record<K, tf.Tensor>;
  for (const [k, list] of parts) {
    out[k] = list.length === 1 ? list[0]! : tf.concat(list, 0);
    if (list.length > 1) tf.dispose(list);
  }
  return out;
}

/** A stage's activations read out: row-major [n, h, w, c]. */
export interface StageActivation {
  readonly shape: [number, number, number, number];
  readonly data: Float32Array;
}

/** Read the named stages of a network's forward pass over a data set, batch by batch. */
export function stageActivations<S extends string>(
  forward: (x: tf.Tensor4D) => { stages: Record<S, tf.Tensor4D> },
  data: DenseDataset,
  stages: readonly S[],
  batchSize = 64,
): Record<S, StageActivation> {
  const images = imageTensor(data);
  try {
    const outs = inBatches(images, batchSize, (x) => {
      const st = forward(x).stages;
      return Object.fromEntries(stages.map((s) => [s, st[s]])) as Record<S, tf.Tensor>;
    });
    const result = {} as Record<S, StageActivation>;
    for (const s of stages) {
      const t = outs[s];
      result[s] = { shape: t.shape as [number, number, number, number], data: t.dataSync() as Float32Array };
      t.dispose();
    }
    return result;
  } finally {
    images.dispose();
  }
}
