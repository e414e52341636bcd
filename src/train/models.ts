/**
 * The demo's networks: fully connected ReLU classifiers (MLPs) on flattened 28×28 digits,
 * built with TensorFlow.js Layers. Every hidden layer is an output of the model, so one
 * forward pass yields the activations that FSS compares (`hidden1`, `hidden2`, …) and the
 * logits that AOA compares.
 *
 * The demo's networks are MLPs by choice, not by necessity: convolutional networks train on
 * the wasm backend too, since `initTf()` registers the kernels TensorFlow.js 4.22's wasm backend
 * lacks (`Conv2DBackpropFilter` and the other gradients listed in `./wasm-kernels.ts`).
 *
 * Initial weights are drawn by the demo's own seeded generator (Glorot/Xavier uniform
 * kernels, zero biases) rather than by TensorFlow.js, so a seed fixes them exactly and every
 * student can start from the very same weights.
 */
import type { Rng } from '../core/rng.js';
import { CLASSES, PIXELS } from './mnist-split.js';
import { tf, tfl } from './tf.js';

/** Widths of an MLP: 784 → hidden… → 10. */
export interface MlpArchitecture {
  /** Short name, e.g. `mlp-784-300-100-10`. */
  readonly name: string;
  readonly hidden: readonly number[];
}

/** An architecture named after its widths. */
export function mlpArchitecture(hidden: readonly number[]): MlpArchitecture {
  return { name: `mlp-${[PIXELS, ...hidden, CLASSES].join('-')}`, hidden: [...hidden] };
}

/** The teacher: LeNet-300-100 (LeCun et al. 1998), 266 610 parameters. */
export const TEACHER_ARCH: MlpArchitecture = mlpArchitecture([300, 100]);
/** The student: the same depth, about 5× fewer parameters (52 650). */
export const STUDENT_ARCH: MlpArchitecture = mlpArchitecture([64, 32]);

/** Names of the hidden layers, which are also the activation arrays of a capture. */
export function hiddenNames(arch: MlpArchitecture): string[] {
  return arch.hidden.map((_, i) => `hidden${i + 1}`);
}

/** Widths of every dense layer: [[in, out], …] ending with [last, 10]. */
function denseShapes(arch: MlpArchitecture): [number, number][] {
  const widths = [PIXELS, ...arch.hidden, CLASSES];
  return widths.slice(1).map((w, i) => [widths[i]!, w]);
}

/** Weights and biases in all. */
export function parameterCount(arch: MlpArchitecture): number {
  return denseShapes(arch).reduce((a, [i, o]) => a + i * o + o, 0);
}

/**
 * Initial weights in the order of `model.getWeights()`: for each dense layer a kernel
 * [in, out] drawn uniformly from ±√(6 / (in + out)) (Glorot & Bengio 2010) and a zero bias.
 */
export function glorotInit(arch: MlpArchitecture, rng: Rng): Float32Array[] {
  const out: Float32Array[] = [];
  for (const [fanIn, fanOut] of denseShapes(arch)) out.push(...denseInit(fanIn, fanOut, rng));
  return out;
}

/** Glorot-uniform kernel [fanIn, fanOut] and zero bias [fanOut] of one dense layer. */
export function denseInit(fanIn: number, fanOut: number, rng: Rng): [Float32Array, Float32Array] {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const kernel = new Float32Array(fanIn * fanOut);
  for (let k = 0; k < kernel.length; k++) kernel[k] = (2 * rng.next() - 1) * limit;
  return [kernel, new Float32Array(fanOut)];
}

/** A built MLP. Dispose it when done. */
export interface Mlp {
  readonly arch: MlpArchitecture;
  readonly model: tfl.LayersModel;
  /** Hidden layer names, in order (`hidden1`, …). */
  readonly hidden: readonly string[];
  readonly params: number;
  /** Hidden activations (after ReLU) then logits, for a batch [b, 784]. */
  forward(x: tf.Tensor2D): tf.Tensor2D[];
  /** The trainable variables of the first `layers` dense layers (all by default). */
  variables(layers?: number): tf.Variable[];
  /** Current weights, copied out, in `glorotInit` order. */
  weights(): Float32Array[];
  dispose(): void;
}

/** Build an MLP with the given initial weights (`glorotInit` order and shapes). */
export function buildMlp(arch: MlpArchitecture, init: readonly Float32Array[]): Mlp {
  const shapes = denseShapes(arch);
  const input = tfl.input({ shape: [PIXELS], name: 'pixels' });
  const outputs: tfl.SymbolicTensor[] = [];
  const dense: tfl.layers.Layer[] = [];
  let h: tfl.SymbolicTensor = input;
  const names = hiddenNames(arch);
  shapes.forEach(([, units], i) => {
    const last = i === shapes.length - 1;
    const layer = tfl.layers.dense({ units, activation: last ? 'linear' : 'relu', name: last ? 'logits' : names[i]!, kernelInitializer: 'zeros' });
    h = layer.apply(h) as tfl.SymbolicTensor;
    dense.push(layer);
    outputs.push(h);
  });
  const model = tfl.model({ inputs: input, outputs, name: arch.name });
  if (init.length !== shapes.length * 2) throw new Error(`buildMlp: ${init.length} initial arrays for ${shapes.length} layers`);
  const initial = init.map((a, k) => {
    const [i, o] = shapes[k >> 1]!;
    return k % 2 === 0 ? tf.tensor2d(a, [i, o]) : tf.tensor1d(a);
  });
  model.setWeights(initial);
  tf.dispose(initial);
  return {
    arch,
    model,
    hidden: names,
    params: model.countParams(),
    forward: (x) => model.apply(x) as tf.Tensor2D[],
    variables: (layers = dense.length) => dense.slice(0, layers).flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable)),
    weights: () =>
      model
        .getWeights()
        .map((t) => t.dataSync() as Float32Array)
        .map((a) => a.slice()),
    dispose: () => model.dispose(),
  };
}
