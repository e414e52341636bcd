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
 * A fourth width adds a level (`segmenterArchitecture([c1, c2, c3, c4])`, input sides
 * multiples of 8): enc4 = maxpool 2, conv(c3 → c4), conv(c4 → c4) at 6×6; dec3 = up 2×,
 * concat enc3, conv(c4 + c3 → c3) at 12×12; dec2 then takes dec3 instead of enc3. Its
 * bottleneck units see 64×64 pixels (three levels: 28×28), the whole of a 28-pixel digit
 * from anywhere on it.
 *
 * `forward` returns the five stage activations (for FSS and the feature KD methods) and the
 * logits. Initial weights come from the caller's seeded generator (He-uniform, zero biases).
 */
import { errors } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import { tf } from '../tf.js';
import { applyConv, type ConvLayer, checkWidth, countParams, createConv, disposeLayers, layerVariables, readWeights, upsample2x } from './conv.js';

/** Per-pixel classes: 0 background, digit d → d + 1. */
export const SEG_CLASSES = 11;
/** The input's height and width must be multiples of this (two 2× downsamplings; 8 with a fourth level). */
export const SEG_MULTIPLE = 4;

/** Widths of a segmenter. */
export interface SegmenterArchitecture {
  /** Short name, e.g. `seg-12-24-48`. */
  readonly name: string;
  /** Channels at full, half and quarter resolution (and eighth, for a four-level network). */
  readonly widths: readonly [number, number, number] | readonly [number, number, number, number];
}

/** An architecture named after its widths. */
export function segmenterArchitecture(widths: readonly [number, number, number] | readonly [number, number, number, number]): SegmenterArchitecture {
  widths.forEach((w, i) => checkWidth(`widths[${i}]`, w));
  return { name: `seg-${widths.join('-')}`, widths: [...widths] as SegmenterArchitecture['widths'] };
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

/** The segmentation study's teacher: 16, 32, 64 channels (the best teacher measured; 8-16-32 learns too little). */
export const SEG_STUDY_TEACHER = segmenterArchitecture([16, 32, 64]);
/** The study's students, largest first: ½, ⅜, ¼ and ³⁄₁₆ of the study teacher's widths. */
export const SEG_STUDY_STUDENTS: readonly SegmenterArchitecture[] = [
  segmenterArchitecture([8, 16, 32]),
  segmenterArchitecture([6, 12, 24]),
  segmenterArchitecture([4, 8, 16]),
  segmenterArchitecture([3, 6, 12]),
];

/** Names of the stage activations `forward` returns, in order (three levels). */
export const SEG_STAGES = ['enc1', 'enc2', 'enc3', 'dec2', 'dec1'] as const;
/** The stages of a four-level network, in order. */
export const SEG_STAGES_DEEP = ['enc1', 'enc2', 'enc3', 'enc4', 'dec3', 'dec2', 'dec1'] as const;
export type SegStage = (typeof SEG_STAGES_DEEP)[number];

/** The stage names of an architecture, in order. */
export function segmenterStages(arch: SegmenterArchitecture): readonly SegStage[] {
  return arch.widths.length === 4 ? SEG_STAGES_DEEP : SEG_STAGES;
}

/** What one forward pass yields. Tensors belong to the caller. */
export interface SegmenterOutput {
  /** Every stage of the network (`enc4` and `dec3` only in a four-level one). */
  readonly stages: Partial<Record<SegStage, tf.Tensor4D>> & Record<(typeof SEG_STAGES)[number], tf.Tensor4D>;
  /** Per-pixel class logits [b, H, W, 11]. */
  readonly logits: tf.Tensor4D;
}

/** A built segmenter. Dispose it when done. */
export interface Segmenter {
  readonly arch: SegmenterArchitecture;
  readonly params: number;
  readonly channels: Partial<Record<SegStage, number>> & Record<(typeof SEG_STAGES)[number], number>;
  /** Its stage names, in order. */
  readonly stageNames: readonly SegStage[];
  /** x [b, H, W, 1] (H, W multiples of 4) → stage activations and logits. */
  forward(x: tf.Tensor4D): SegmenterOutput;
  variables(): tf.Variable[];
  weights(): Float32Array[];
  dispose(): void;
}

/** Build a segmenter, drawing every initial weight from `rng` in layer order. */
export function buildSegmenter(arch: SegmenterArchitecture, rng: Rng): Segmenter {
  const [c1, c2, c3, c4] = arch.widths;
  const conv = (name: string, inC: number, outC: number) => createConv({ name, kernel: 3, inChannels: inC, outChannels: outC }, rng);
  const l = {
    enc1a: conv('enc1a', 1, c1),
    enc1b: conv('enc1b', c1, c1),
    enc2: conv('enc2', c1, c2),
    enc3a: conv('enc3a', c2, c3),
    enc3b: conv('enc3b', c3, c3),
    ...(c4 === undefined ? {} : { enc4a: conv('enc4a', c3, c4), enc4b: conv('enc4b', c4, c4), dec3: conv('dec3', c4 + c3, c3) }),
    dec2: conv('dec2', c3 + c2, c2),
    dec1: conv('dec1', c2 + c1, c1),
    logits: createConv({ name: 'logits', kernel: 1, inChannels: c1, outChannels: SEG_CLASSES, relu: false }, rng),
  } as Record<string, ConvLayer>;
  const layers = Object.values(l);
  const multiple = c4 === undefined ? SEG_MULTIPLE : 2 * SEG_MULTIPLE;
  const forward = (x: tf.Tensor4D): SegmenterOutput => {
    if (x.rank !== 4 || x.shape[3] !== 1 || x.shape[1] % multiple !== 0 || x.shape[2] % multiple !== 0) {
      throw errors.shapeMismatch('segmenter input', `[b, h, w, 1] with h and w multiples of ${multiple}`, `[${x.shape.join(', ')}]`);
    }
    const enc1 = applyConv(l.enc1b!, applyConv(l.enc1a!, x));
    const enc2 = applyConv(l.enc2!, tf.maxPool(enc1, 2, 2, 'valid'));
    const enc3 = applyConv(l.enc3b!, applyConv(l.enc3a!, tf.maxPool(enc2, 2, 2, 'valid')));
    const deep = c4 === undefined ? null : deepLevel(l, enc3);
    const dec2 = applyConv(l.dec2!, tf.concat([upsample2x(deep?.dec3 ?? enc3), enc2], 3));
    const dec1 = applyConv(l.dec1!, tf.concat([upsample2x(dec2), enc1], 3));
    return { stages: { enc1, enc2, enc3, ...(deep ?? {}), dec2, dec1 }, logits: applyConv(l.logits!, dec1) };
  };
  return {
    arch,
    params: countParams(layers),
    channels: { enc1: c1, enc2: c2, enc3: c3, ...(c4 === undefined ? {} : { enc4: c4, dec3: c3 }), dec2: c2, dec1: c1 },
    stageNames: segmenterStages(arch),
    forward,
    variables: () => layerVariables(layers),
    weights: () => readWeights(layers),
    dispose: () => disposeLayers(layers),
  };
}

/** The fourth level: enc4 at ⅛ resolution and dec3 back at ¼ (concatenating enc3). */
function deepLevel(l: Record<string, ConvLayer>, enc3: tf.Tensor4D): { enc4: tf.Tensor4D; dec3: tf.Tensor4D } {
  const enc4 = applyConv(l.enc4b!, applyConv(l.enc4a!, tf.maxPool(enc3, 2, 2, 'valid')));
  return { enc4, dec3: applyConv(l.dec3!, tf.concat([upsample2x(enc4), enc3], 3)) };
}
