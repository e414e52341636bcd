/**
 * The building blocks of the dense-prediction networks (detector, segmenter): convolution
 * layers held as plain `tf.Variable`s with seeded initial weights, applied functionally, so a
 * forward pass can hand back every named stage's activation and a seed fixes the weights
 * exactly (the same weights on the `cpu` and `wasm` backends).
 *
 * Only ops whose gradients every backend of this repository has are used in a forward pass:
 * `conv2d` (its filter gradient, `Conv2DBackpropFilter`, is registered for wasm by the
 * `wasm-conv` work; on `cpu` it is built in), ReLU, add, multiply with broadcasting, reshape,
 * concat, `avgPool`/`maxPool`. Upsampling is nearest-neighbour done by broadcasting
 * ({@link upsample2x}), which avoids `ResizeNearestNeighborGrad` (absent from wasm 4.22).
 */
import { errors } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import { tf } from '../tf.js';

/** One convolution: a kernel [k, k, in, out], a bias [out], a stride, 'same' padding. */
export interface ConvSpec {
  readonly name: string;
  readonly kernel: number;
  readonly inChannels: number;
  readonly outChannels: number;
  /** 1 or 2. Default 1. */
  readonly stride?: number;
  /** Apply ReLU after the bias. Default true. */
  readonly relu?: boolean;
  /** Initial bias value (every channel). Default 0 — e.g. −2.19 for a heatmap's prior 0.1. */
  readonly biasInit?: number;
}

/** A convolution's weights. */
export interface ConvLayer {
  readonly spec: ConvSpec;
  readonly kernel: tf.Variable<tf.Rank.R4>;
  readonly bias: tf.Variable<tf.Rank.R1>;
}

/**
 * He-uniform initial values of a conv kernel (He et al. 2015, for ReLU networks): each weight
 * uniform in ±√(6 / fan_in), fan_in = k·k·in, drawn in the kernel's row-major order
 * [k, k, in, out] from `rng`.
 */
export function heUniformKernel(k: number, inChannels: number, outChannels: number, rng: Rng): Float32Array {
  const limit = Math.sqrt(6 / (k * k * inChannels));
  const w = new Float32Array(k * k * inChannels * outChannels);
  for (let i = 0; i < w.length; i++) w[i] = (2 * rng.next() - 1) * limit;
  return w;
}

/** Check a positive integer option of an architecture. */
export function checkWidth(what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw errors.badOption(what, v, 'a positive integer');
  return v;
}

/** A conv layer with He-uniform kernel from `rng` and a constant bias. */
export function createConv(spec: ConvSpec, rng: Rng): ConvLayer {
  for (const [k, v] of [
    ['kernel', spec.kernel],
    ['inChannels', spec.inChannels],
    ['outChannels', spec.outChannels],
  ] as const)
    checkWidth(`${spec.name}.${k}`, v);
  const stride = spec.stride ?? 1;
  if (stride !== 1 && stride !== 2) throw errors.badOption(`${spec.name}.stride`, stride, '1 or 2');
  const kernel = tf.variable(
    tf.tensor4d(heUniformKernel(spec.kernel, spec.inChannels, spec.outChannels, rng), [spec.kernel, spec.kernel, spec.inChannels, spec.outChannels]),
    true,
  );
  const bias = tf.variable(tf.fill([spec.outChannels], spec.biasInit ?? 0), true) as tf.Variable<tf.Rank.R1>;
  return { spec, kernel, bias };
}

/** y = relu?(conv2d(x, kernel, stride, 'same') + bias), x [b, h, w, in] → [b, ⌈h/s⌉, ⌈w/s⌉, out]. */
export function applyConv(layer: ConvLayer, x: tf.Tensor4D): tf.Tensor4D {
  const s = layer.spec.stride ?? 1;
  const y = tf.add(tf.conv2d(x, layer.kernel, [s, s], 'same'), layer.bias) as tf.Tensor4D;
  return layer.spec.relu === false ? y : tf.relu(y);
}

/**
 * Nearest-neighbour 2× upsampling, [b, h, w, c] → [b, 2h, 2w, c]: out[y][x] = in[⌊y/2⌋][⌊x/2⌋].
 * Done as reshape → broadcast multiply by ones → reshape, whose gradient (a sum over the
 * broadcast axes) every backend has.
 */
export function upsample2x(x: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const ones = tf.ones([1, 1, 2, 1, 2, 1]);
  return tf.reshape(tf.mul(tf.reshape(x, [b, h, 1, w, 1, c]), ones), [b, 2 * h, 2 * w, c]);
}

/** Weights and biases of a list of layers. */
export function countParams(layers: readonly ConvLayer[]): number {
  return layers.reduce((a, l) => a + l.kernel.size + l.bias.size, 0);
}

/** Every trainable variable of a list of layers (kernel then bias, layer by layer). */
export function layerVariables(layers: readonly ConvLayer[]): tf.Variable[] {
  return layers.flatMap((l) => [l.kernel as tf.Variable, l.bias as tf.Variable]);
}

/** Copy the current weights out, in {@link layerVariables} order. */
export function readWeights(layers: readonly ConvLayer[]): Float32Array[] {
  return layerVariables(layers).map((v) => (v.dataSync() as Float32Array).slice());
}

/** Dispose a list of layers' variables. */
export function disposeLayers(layers: readonly ConvLayer[]): void {
  tf.dispose(layerVariables(layers));
}

/** A 1×1 or k×k linear conv (no ReLU) from `inChannels` to `outChannels`: FitNet's regressor, an imitation adapter. */
export function createAdapter(name: string, inChannels: number, outChannels: number, rng: Rng, kernel = 1): ConvLayer {
  return createConv({ name, kernel, inChannels, outChannels, relu: false }, rng);
}
