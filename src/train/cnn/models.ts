/**
 * The CNN study's networks: LeNet-5-style convolutional classifiers of 28×28 digits, built
 * from TensorFlow.js ops on explicit variables (no tfjs-layers), so one forward pass yields
 * every named stage the study compares and the logits.
 *
 * Every network has the same spatial stages, whatever its widths (channels last, NHWC):
 *
 * | stage  | computation                                                        | shape per sample |
 * |--------|--------------------------------------------------------------------|------------------|
 * | input  | the digit                                                          | [28, 28, 1]      |
 * | conv1  | conv 5×5, stride 1, `same` padding (LeNet-5's 32×32 input) → ReLU → max-pool 2×2 | [14, 14, c₁] |
 * | conv2  | conv 5×5, stride 1, `valid` → ReLU → max-pool 2×2                   | [5, 5, c₂]       |
 * | fc1, … | flatten (row-major h, w, c) → dense → ReLU                          | [width]          |
 * | logits | dense                                                              | [10]             |
 *
 * The teacher is LeNet-5 (LeCun et al. 1998) as it is usually rebuilt today: 6 and 16
 * channels, 120 and 84 hidden units, ReLU and max pooling in place of the scaled tanh and
 * trainable subsampling, every C3 map connected to every S2 map — 61 706 parameters. Students
 * keep the stages and shrink the channels and widths, so their conv maps have the teacher's
 * spatial sizes (needed by attention transfer) and pair stage by stage for FSS.
 *
 * Initial weights are drawn by the demo's own seeded generator rather than by TensorFlow.js,
 * so a seed fixes them exactly and every student of one size starts from the same weights:
 * the kernel of every layer followed by a ReLU is He-uniform, U(±√(6 / fan_in)) (He et al.
 * 2015: it keeps the activations' second moment through ReLUs), the logits layer's kernel is
 * Glorot-uniform, U(±√(6 / (fan_in + fan_out))) (Glorot & Bengio 2010, as the MLPs), and
 * biases start at 0. A conv kernel's fan-in is 5·5·(input channels).
 *
 * Scoring conv stages: a stage's activations are rank-4 [n, h, w, c] arrays (channels last).
 * krs's default pooling, `flatten`, makes every value a feature (h·w·c columns, row-major, as
 * here); global average pooling needs `pool: 'gap'` with `channelsLast: true`
 * (src/similarity/features.ts; docs/formulas.md §Pooling).
 */
import { errors } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import { CLASSES } from '../mnist-split.js';
import { tf } from '../tf.js';

/** Side of the input digits. */
export const SIDE = 28;
/** Side of every conv kernel. */
export const KERNEL = 5;

/** Channels of the two conv stages and widths of the hidden dense layers. */
export interface CnnArchitecture {
  /** Short name, e.g. `cnn-6-16-120-84`. */
  readonly name: string;
  /** Output channels of conv1 and conv2. */
  readonly conv: readonly [number, number];
  /** Widths of the hidden dense layers (`fc1`, …), possibly none. */
  readonly fc: readonly number[];
}

/**
 * An architecture named after its widths.
 * @throws KrsError BAD_OPTION for a width that is not a positive integer.
 */
export function cnnArchitecture(conv: readonly [number, number], fc: readonly number[]): CnnArchitecture {
  for (const w of [...conv, ...fc]) {
    if (!Number.isInteger(w) || w < 1) throw errors.badOption('students', [...conv, ...fc].join('-'), 'positive integer channel counts and widths');
  }
  return { name: `cnn-${[...conv, ...fc].join('-')}`, conv: [conv[0], conv[1]], fc: [...fc] };
}

/** The teacher: LeNet-5 (6@5×5 → pool → 16@5×5 → pool → 120 → 84 → 10), 61 706 parameters. */
export const CNN_TEACHER: CnnArchitecture = cnnArchitecture([6, 16], [120, 84]);

/**
 * The students, smallest first: the teacher's stages with fewer channels and narrower dense
 * layers — about 15×, 5× and 2× fewer parameters (4 186, 12 232 and 30 502).
 */
export const CNN_STUDENTS: readonly CnnArchitecture[] = [
  cnnArchitecture([2, 4], [32, 16]),
  cnnArchitecture([3, 8], [48, 32]),
  cnnArchitecture([4, 12], [80, 56]),
];

/** A stage of a network: its name and the shape of one sample's activations. */
export interface CnnStage {
  /** `conv1`, `conv2`, `fc1`, … — also the activation array's name in a capture. */
  readonly name: string;
  /** [h, w, c] for conv stages (channels last), [width] for dense ones. */
  readonly shape: readonly number[];
  readonly kind: 'conv' | 'dense';
}

/** Spatial side after conv1 (same padding, pool 2) and conv2 (valid, pool 2): 14 and 5. */
const CONV1_SIDE = SIDE / 2;
const CONV2_SIDE = Math.floor((CONV1_SIDE - KERNEL + 1) / 2);

/** The stages of a network, in forward order (the logits are not a stage). */
export function cnnStages(arch: CnnArchitecture): CnnStage[] {
  return [
    { name: 'conv1', shape: [CONV1_SIDE, CONV1_SIDE, arch.conv[0]], kind: 'conv' },
    { name: 'conv2', shape: [CONV2_SIDE, CONV2_SIDE, arch.conv[1]], kind: 'conv' },
    ...arch.fc.map((w, i): CnnStage => ({ name: `fc${i + 1}`, shape: [w], kind: 'dense' })),
  ];
}

/** One parameterised layer: its kernel shape, its bias length and how its kernel is drawn. */
interface LayerShape {
  readonly kernel: readonly number[];
  readonly bias: number;
  readonly fanIn: number;
  readonly init: 'he' | 'glorot';
}

/** Every parameterised layer in forward order: conv1, conv2, the hidden dense layers, logits. */
function layerShapes(arch: CnnArchitecture): LayerShape[] {
  const [c1, c2] = arch.conv;
  const widths = [CONV2_SIDE * CONV2_SIDE * c2, ...arch.fc, CLASSES];
  return [
    { kernel: [KERNEL, KERNEL, 1, c1], bias: c1, fanIn: KERNEL * KERNEL, init: 'he' },
    { kernel: [KERNEL, KERNEL, c1, c2], bias: c2, fanIn: KERNEL * KERNEL * c1, init: 'he' },
    ...widths.slice(1).map((w, i): LayerShape => ({ kernel: [widths[i]!, w], bias: w, fanIn: widths[i]!, init: i === arch.fc.length ? 'glorot' : 'he' })),
  ];
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Weights and biases in all. */
export function cnnParameterCount(arch: CnnArchitecture): number {
  return layerShapes(arch).reduce((a, l) => a + size(l.kernel) + l.bias, 0);
}

/**
 * Initial weights in the order of {@link Cnn.weights}: per layer its kernel (row-major in
 * TensorFlow.js's layout, [5, 5, in, out] for convs and [in, out] for dense layers) drawn
 * uniformly from ±√(6 / fan_in) (He) — ±√(6 / (fan_in + fan_out)) (Glorot) for the logits —
 * then a zero bias. The draws run in that order from `rng`, so one stream fixes every weight.
 */
export function cnnInit(arch: CnnArchitecture, rng: Rng): Float32Array[] {
  const out: Float32Array[] = [];
  for (const l of layerShapes(arch)) {
    const fanOut = l.kernel[l.kernel.length - 1]!;
    const limit = l.init === 'he' ? Math.sqrt(6 / l.fanIn) : Math.sqrt(6 / (l.fanIn + fanOut));
    const kernel = new Float32Array(size(l.kernel));
    for (let k = 0; k < kernel.length; k++) kernel[k] = (2 * rng.next() - 1) * limit;
    out.push(kernel, new Float32Array(l.bias));
  }
  return out;
}

/** A built CNN. Dispose it when done. */
export interface Cnn {
  readonly arch: CnnArchitecture;
  /** Stage names in forward order (`conv1`, `conv2`, `fc1`, …), as `Mlp.hidden`. */
  readonly hidden: readonly string[];
  readonly stages: readonly CnnStage[];
  readonly params: number;
  /**
   * Every stage's activations (after ReLU, and pooling for convs) in stage order, then the
   * logits [b, 10], for digits [b, 28, 28, 1] (or flattened [b, 784]).
   */
  forward(x: tf.Tensor4D | tf.Tensor2D): tf.Tensor[];
  /** The trainable variables of the first `layers` parameterised layers (conv1 = 1, conv2 = 2, …; all by default). */
  variables(layers?: number): tf.Variable[];
  /** Current weights, copied out, in {@link cnnInit} order. */
  weights(): Float32Array[];
  dispose(): void;
}

/**
 * Build a CNN with the given initial weights ({@link cnnInit} order and lengths).
 * @throws KrsError BAD_VALUE when the arrays do not fit the architecture.
 */
export function buildCnn(arch: CnnArchitecture, init: readonly Float32Array[]): Cnn {
  const layers = layerShapes(arch);
  const expected = layers.flatMap((l) => [size(l.kernel), l.bias]);
  if (init.length !== expected.length || init.some((a, k) => a.length !== expected[k])) {
    throw errors.badValue(`initial weights of ${arch.name}`, init.map((a) => a.length).join(','), `arrays of lengths ${expected.join(',')}`);
  }
  const vars = layers.flatMap((l, i) => [tf.variable(tf.tensor(init[2 * i]!, [...l.kernel]), true), tf.variable(tf.tensor1d(init[2 * i + 1]!), true)]);
  const stages = cnnStages(arch);
  const flat = size(stages[1]!.shape);
  const forward = (x: tf.Tensor4D | tf.Tensor2D): tf.Tensor[] =>
    tf.tidy(() => {
      const img = (x.rank === 4 ? x : tf.reshape(x, [-1, SIDE, SIDE, 1])) as tf.Tensor4D;
      const convStage = (input: tf.Tensor4D, i: number, pad: 'same' | 'valid'): tf.Tensor4D =>
        tf.maxPool(tf.relu(tf.add(tf.conv2d(input, vars[2 * i] as tf.Tensor4D, 1, pad), vars[2 * i + 1]!)) as tf.Tensor4D, 2, 2, 'valid');
      const c1 = convStage(img, 0, 'same');
      const c2 = convStage(c1, 1, 'valid');
      const outs: tf.Tensor[] = [c1, c2];
      let h = tf.reshape(c2, [-1, flat]) as tf.Tensor2D;
      for (let i = 2; i < layers.length; i++) {
        const z = tf.add(tf.matMul(h, vars[2 * i] as tf.Tensor2D), vars[2 * i + 1]!) as tf.Tensor2D;
        h = i === layers.length - 1 ? z : tf.relu(z);
        outs.push(h);
      }
      return outs;
    });
  return {
    arch,
    hidden: stages.map((s) => s.name),
    stages,
    params: cnnParameterCount(arch),
    forward,
    variables: (n = layers.length) => vars.slice(0, 2 * n),
    weights: () => vars.map((v) => (v.dataSync() as Float32Array).slice()),
    dispose: () => tf.dispose(vars),
  };
}
