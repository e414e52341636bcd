/**
 * A single-shot, CenterNet-style detector (Zhou, Wang & Krähenbühl 2019, "Objects as Points")
 * for small grey canvases: a conv backbone of output stride 4 (48×48 → a 12×12 grid) and
 * three 1×1 heads on a shared 3×3 head conv:
 *
 * | head       | shape           | meaning                                                        |
 * |------------|-----------------|----------------------------------------------------------------|
 * | heatmap    | [b, H, W, 10]   | logits of the per-class centre heatmap (sigmoid → probability) |
 * | size       | [b, H, W, 2]    | box (w, h) in grid cells (pixels / 4)                            |
 * | offset     | [b, H, W, 2]    | sub-cell centre offset (dx, dy) ∈ [0, 1), when `offset` is on    |
 *
 * Backbone (3×3 convs, ReLU, 'same' padding): conv1a (s1) → conv1b (s2) = `stage1` [24×24×c1];
 * conv2a (s2) → conv2b = `stage2` [12×12×c2]; conv3a → conv3b = `stage3` [12×12×c3];
 * head conv = `head` [12×12×h]. `forward` returns these four activations (for FSS and the
 * feature KD methods) with the head outputs. The heatmap bias starts at −log((1 − π)/π) with
 * π = 0.1 (−2.197, CenterNet's prior), so the focal loss does not start swamped by background.
 */
import { errors } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import type { tf } from '../tf.js';
import { applyConv, type ConvLayer, checkWidth, countParams, createConv, disposeLayers, layerVariables, readWeights } from './conv.js';

/** Digit classes of the heatmap. */
export const DET_CLASSES = 10;
/** Output stride of the backbone: grid cell = 4×4 pixels. */
export const DET_STRIDE = 4;
/** The heatmap bias's initial value: logit of the prior probability 0.1. */
export const HEATMAP_PRIOR_BIAS = -Math.log((1 - 0.1) / 0.1);

/** Widths of a detector. */
export interface DetectorArchitecture {
  /** Short name, e.g. `det-16-32-64-h64`. */
  readonly name: string;
  /** Channels of stage1, stage2, stage3. */
  readonly widths: readonly [number, number, number];
  /** Channels of the shared head conv. */
  readonly head: number;
  /** Whether the network has the offset head. */
  readonly offset: boolean;
}

/** An architecture named after its widths. */
export function detectorArchitecture(widths: readonly [number, number, number], head: number, offset = true): DetectorArchitecture {
  widths.forEach((w, i) => checkWidth(`widths[${i}]`, w));
  checkWidth('head', head);
  return { name: `det-${widths.join('-')}-h${head}${offset ? '' : '-nooff'}`, widths: [...widths], head, offset };
}

/** The teacher: stages of 16, 32, 48 channels, a 48-channel head. */
export const DET_TEACHER = detectorArchitecture([16, 32, 48], 48);
/** Students, largest first: about ¾, ½, ⅜ and ¼ of the teacher's widths (45 %, 25 %, 13 %, 7 % of its parameters). */
export const DET_STUDENTS: readonly DetectorArchitecture[] = [
  detectorArchitecture([12, 24, 32], 32),
  detectorArchitecture([8, 16, 24], 24),
  detectorArchitecture([6, 12, 16], 16),
  detectorArchitecture([4, 8, 12], 12),
];

/** Names of the backbone and head activations `forward` returns, in order. */
export const DET_STAGES = ['stage1', 'stage2', 'stage3', 'head'] as const;
export type DetStage = (typeof DET_STAGES)[number];

/** What one forward pass yields. Tensors belong to the caller (dispose or tidy). */
export interface DetectorOutput {
  /** ReLU activations of each stage, [b, h, w, c]. */
  readonly stages: Record<DetStage, tf.Tensor4D>;
  /** Heatmap logits [b, H, W, 10]. */
  readonly heatmapLogits: tf.Tensor4D;
  /** Box size in grid cells [b, H, W, 2] (w, h). */
  readonly size: tf.Tensor4D;
  /** Centre offset within the cell [b, H, W, 2] (dx, dy), or null without the offset head. */
  readonly offset: tf.Tensor4D | null;
}

/** A built detector. Dispose it when done. */
export interface Detector {
  readonly arch: DetectorArchitecture;
  readonly params: number;
  /** Channels of each stage. */
  readonly channels: Record<DetStage, number>;
  /** x [b, H·4, W·4, 1] (H, W multiples of 4) → activations and heads. */
  forward(x: tf.Tensor4D): DetectorOutput;
  /** Every trainable variable. */
  variables(): tf.Variable[];
  /** Current weights, copied out, in `variables()` order. */
  weights(): Float32Array[];
  dispose(): void;
}

/**
 * Build a detector, drawing every initial weight from `rng` (He-uniform kernels, zero biases
 * but the heatmap's prior bias), in layer order: the same rng state gives the same network.
 */
export function buildDetector(arch: DetectorArchitecture, rng: Rng): Detector {
  const [c1, c2, c3] = arch.widths;
  const conv = (name: string, inC: number, outC: number, stride = 1) => createConv({ name, kernel: 3, inChannels: inC, outChannels: outC, stride }, rng);
  const backbone = {
    conv1a: conv('conv1a', 1, c1),
    conv1b: conv('conv1b', c1, c1, 2),
    conv2a: conv('conv2a', c1, c2, 2),
    conv2b: conv('conv2b', c2, c2),
    conv3a: conv('conv3a', c2, c3),
    conv3b: conv('conv3b', c3, c3),
    head: conv('head', c3, arch.head),
  };
  const linear = (name: string, outC: number, biasInit = 0) =>
    createConv({ name, kernel: 1, inChannels: arch.head, outChannels: outC, relu: false, biasInit }, rng);
  const hm = linear('heatmap', DET_CLASSES, HEATMAP_PRIOR_BIAS);
  const size = linear('size', 2);
  const offset = arch.offset ? linear('offset', 2) : null;
  const layers: ConvLayer[] = [...Object.values(backbone), hm, size, ...(offset ? [offset] : [])];
  const forward = (x: tf.Tensor4D): DetectorOutput => {
    if (x.rank !== 4 || x.shape[3] !== 1 || x.shape[1] % DET_STRIDE !== 0 || x.shape[2] % DET_STRIDE !== 0) {
      throw errors.shapeMismatch('detector input', `[b, h, w, 1] with h and w multiples of ${DET_STRIDE}`, `[${x.shape.join(', ')}]`);
    }
    const stage1 = applyConv(backbone.conv1b, applyConv(backbone.conv1a, x));
    const stage2 = applyConv(backbone.conv2b, applyConv(backbone.conv2a, stage1));
    const stage3 = applyConv(backbone.conv3b, applyConv(backbone.conv3a, stage2));
    const head = applyConv(backbone.head, stage3);
    return {
      stages: { stage1, stage2, stage3, head },
      heatmapLogits: applyConv(hm, head),
      size: applyConv(size, head),
      offset: offset ? applyConv(offset, head) : null,
    };
  };
  return {
    arch,
    params: countParams(layers),
    channels: { stage1: c1, stage2: c2, stage3: c3, head: arch.head },
    forward,
    variables: () => layerVariables(layers),
    weights: () => readWeights(layers),
    dispose: () => disposeLayers(layers),
  };
}
