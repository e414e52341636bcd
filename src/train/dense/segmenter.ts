/**
 * A small U-Net-style segmenter (Ronneberger et al. 2015; an FCN with skip connections) for
 * grey canvases: an encoder with two 2×2 max-pool downsamplings and a decoder that upsamples
 * back to the input size (nearest-neighbour 2×, `upsample2x`), concatenating the encoder's
 * map of the same size, ending in 11 per-pixel class logits (background + 10 digits).
 *
 * Stages (3×3 convs, ReLU, 'same' padding), for a 48×48 input:
 *
 * | stage | computation                                   | shape          |
 * |-------|-----------------------------------------------|----------------|
 * | enc1  | conv(1 → c1), conv(c1 → c1)                    | 48×48×c1       |
 * | enc2  | maxpool 2, conv(c1 → c2)                       | 24×24×c2       |
 * | enc3  | maxpool 2, conv(c2 → c3), conv(c3 → c3)        | 12×12×c3       |
 * | dec2  | up 2×, concat enc2, conv(c3 + c2 → c2)         | 24×24×c2       |
 * | dec1  | up 2×, concat enc1, conv(c2 + c1 → c1)         | 48×48×c1       |
 * | logits| 1×1 conv(c1 → 11), no ReLU                     | 48×48×11       |
 *
 * Teacher 8-16-32 (about 13.6 M multiply-adds per 48×48 image).
 *
 * `forward` returns the five stage activations (for FSS and the feature KD methods) and the
 * logits. Initial weights come from the caller's seeded generator (He-uniform, zero biases).
 */
import { errors } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import { tf } from '../tf.js';
import { applyConv, checkWidth, countParams, createConv, disposeLayers, layerVariables, readWeights, upsample2x } from './conv.js';

/** Per-pixel classes: 0 background, digit d → d + 1. */
export const SEG_CLASSES = 11;
/** The input's height and width must be multiples of this (two 2× downsamplings). */
export const SEG_MULTIPLE = 4;

/** Widths of a segmenter. */
export interface SegmenterArchitecture {
  /** Short name, e.g. `seg-12-24-48`. */
  readonly name: string;
  /** Channels at full, half and quarter resolution. */
  readonly widths: readonly [number, number, number];
}

/** An architecture named after its widths. */
export function segmenterArchitecture(widths: readonly [number, number, number]): SegmenterArchitecture {
  widths.forEach((w, i) => checkWidth(`widths[${i}]`, w));
  return { name: `seg-${widths.join('-')}`, widths: [...widths] };
}

/** The teacher: 8, 16, 32 channels. */
export const SEG_TEACHER = segmenterArchitecture([8, 16, 32]);
/** Students, largest first: ¾, ½, ⅜ and ¼ of the teacher's widths. */
export const SEG_STUDENTS: readonly SegmenterArchitecture[] = [
  segmenterArchitecture([6, 12, 24]),
  segmenterArchitecture([4, 8, 16]),
  segmenterArchitecture([3, 6, 12]),
  segmenterArchitecture([2, 4, 8]),
];

/** Names of the stage activations `forward` returns, in order. */
export const SEG_STAGES = ['enc1', 'enc2', 'enc3', 'dec2', 'dec1'] as const;
export type SegStage = (typeof SEG_STAGES)[number];

/** What one forward pass yields. Tensors belong to the caller. */
export interface SegmenterOutput {
  readonly stages: Record<SegStage, tf.Tensor4D>;
  /** Per-pixel class logits [b, H, W, 11]. */
  readonly logits: tf.Tensor4D;
}

/** A built segmenter. Dispose it when done. */
export interface Segmenter {
  readonly arch: SegmenterArchitecture;
  readonly params: number;
  readonly channels: Record<SegStage, number>;
  /** x [b, H, W, 1] (H, W multiples of 4) → stage activations and logits. */
  forward(x: tf.Tensor4D): SegmenterOutput;
  variables(): tf.Variable[];
  weights(): Float32Array[];
  dispose(): void;
}

/** Build a segmenter, drawing every initial weight from `rng` in layer order. */
export function buildSegmenter(arch: SegmenterArchitecture, rng: Rng): Segmenter {
  const [c1, c2, c3] = arch.widths;
  const conv = (name: string, inC: number, outC: number) => createConv({ name, kernel: 3, inChannels: inC, outChannels: outC }, rng);
  const l = {
    enc1a: conv('enc1a', 1, c1),
    enc1b: conv('enc1b', c1, c1),
    enc2: conv('enc2', c1, c2),
    enc3a: conv('enc3a', c2, c3),
    enc3b: conv('enc3b', c3, c3),
    dec2: conv('dec2', c3 + c2, c2),
    dec1: conv('dec1', c2 + c1, c1),
    logits: createConv({ name: 'logits', kernel: 1, inChannels: c1, outChannels: SEG_CLASSES, relu: false }, rng),
  };
  const layers = Object.values(l);
  const forward = (x: tf.Tensor4D): SegmenterOutput => {
    if (x.rank !== 4 || x.shape[3] !== 1 || x.shape[1] % SEG_MULTIPLE !== 0 || x.shape[2] % SEG_MULTIPLE !== 0) {
      throw errors.shapeMismatch('segmenter input', `[b, h, w, 1] with h and w multiples of ${SEG_MULTIPLE}`, `[${x.shape.join(', ')}]`);
    }
    const enc1 = applyConv(l.enc1b, applyConv(l.enc1a, x));
    const enc2 = applyConv(l.enc2, tf.maxPool(enc1, 2, 2, 'valid'));
    const enc3 = applyConv(l.enc3b, applyConv(l.enc3a, tf.maxPool(enc2, 2, 2, 'valid')));
    const dec2 = applyConv(l.dec2, tf.concat([upsample2x(enc3), enc2], 3));
    const dec1 = applyConv(l.dec1, tf.concat([upsample2x(dec2), enc1], 3));
    return { stages: { enc1, enc2, enc3, dec2, dec1 }, logits: applyConv(l.logits, dec1) };
  };
  return {
    arch,
    params: countParams(layers),
    channels: { enc1: c1, enc2: c2, enc3: c3, dec2: c2, dec1: c1 },
    forward,
    variables: () => layerVariables(layers),
    weights: () => readWeights(layers),
    dispose: () => disposeLayers(layers),
  };
}
