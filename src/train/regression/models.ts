/**
 * The regression demo's networks, built with TensorFlow.js Layers: a recurrent layer (LSTM or
 * GRU, its last state: `recurrent`), a ReLU dense layer (`hidden`) and one linear output
 * (`forecast`, the next day, standardised). Both inner layers are outputs of the model, so one
 * forward pass gives what FSS compares and the forecast AOA compares.
 *
 * Initial weights come from the demo's seeded generator, not from TensorFlow.js: every matrix
 * (input kernel, recurrent kernel, dense kernels) is Glorot-uniform over its own [in, out]
 * shape, biases are 0 except the LSTM forget gate's, which is 1 (Jozefowicz et al. 2015; what
 * `unitForgetBias` does). The recurrent kernel is Glorot rather than orthogonal because the
 * orthogonal initializer of tfjs-layers 4.22 fails on this tfjs-core (`rMat.flatten is not a
 * function`); with 24 steps and a forget bias of 1 training is stable either way.
 *
 * Gradients of LSTM and GRU layers run on the wasm backend (checked: the loss falls under Adam).
 */
import type { Rng } from '../../core/rng.js';
import { tf, tfl } from '../tf.js';
import type { RecurrentArchitecture } from './config.js';

export const RECURRENT_LAYERS = ['recurrent', 'hidden'] as const;

export interface RecurrentNet {
  readonly arch: RecurrentArchitecture;
  readonly model: tfl.LayersModel;
  readonly params: number;
  /** [recurrent state, hidden, forecast] for windows [b, window, 1]. */
  forward(x: tf.Tensor3D): tf.Tensor2D[];
  /** The trainable variables of the first `layers` layers (all by default). */
  variables(layers?: number): tf.Variable[];
  weights(): Float32Array[];
  setWeights(w: readonly Float32Array[]): void;
  dispose(): void;
}

/** Build the network with the given initial weights (order of `model.getWeights()`), or zeros when none. */
export function buildRecurrent(arch: RecurrentArchitecture, window: number, init?: readonly Float32Array[]): RecurrentNet {
  const input = tfl.input({ shape: [window, 1], name: 'window' });
  const common = { units: arch.units, name: 'recurrent', kernelInitializer: 'zeros', recurrentInitializer: 'zeros', biasInitializer: 'zeros' } as const;
  const rec = arch.cell === 'lstm' ? tfl.layers.lstm({ ...common, unitForgetBias: false }) : tfl.layers.gru(common);
  const dense = tfl.layers.dense({ units: arch.dense, activation: 'relu', name: 'hidden', kernelInitializer: 'zeros' });
  const out = tfl.layers.dense({ units: 1, name: 'forecast', kernelInitializer: 'zeros' });
  const r = rec.apply(input) as tfl.SymbolicTensor;
  const h = dense.apply(r) as tfl.SymbolicTensor;
  const o = out.apply(h) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: [r, h, o], name: arch.name });
  const layers = [rec, dense, out];
  const shapes = model.getWeights().map((t) => t.shape);
  const set = (w: readonly Float32Array[]) => {
    if (w.length !== shapes.length) throw new Error(`buildRecurrent: ${w.length} arrays for ${shapes.length} weights`);
    const ts = w.map((a, k) => tf.tensor(a, shapes[k]!));
    model.setWeights(ts);
    tf.dispose(ts);
  };
  if (init) set(init);
  return {
    arch,
    model,
    params: model.countParams(),
    forward: (x) => model.apply(x) as tf.Tensor2D[],
    variables: (n = layers.length) => layers.slice(0, n).flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable)),
    weights: () => model.getWeights().map((t) => (t.dataSync() as Float32Array).slice()),
    setWeights: set,
    dispose: () => model.dispose(),
  };
}

/** Seeded initial weights for `arch` (see the module comment), in `model.getWeights()` order. */
export function recurrentInit(arch: RecurrentArchitecture, window: number, rng: Rng): Float32Array[] {
  const net = buildRecurrent(arch, window);
  const shapes = net.model.getWeights().map((t) => t.shape);
  net.dispose();
  return shapes.map((shape, k) => {
    if (shape.length === 2) {
      const [fanIn, fanOut] = shape as [number, number];
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      const a = new Float32Array(fanIn * fanOut);
      for (let i = 0; i < a.length; i++) a[i] = (2 * rng.next() - 1) * limit;
      return a;
    }
    const b = new Float32Array(shape[0]!);
    // LSTM bias (the first 1-D weight): gates i, f, c, o — the forget gate's quarter is 1.
    if (k === 2 && arch.cell === 'lstm') b.fill(1, arch.units, 2 * arch.units);
    return b;
  });
}

/** Parameters of an architecture for a window length (input width 1). */
export function recurrentParams(arch: RecurrentArchitecture): number {
  const gates = arch.cell === 'lstm' ? 4 : 3;
  // tfjs GRU (resetAfter false): kernel [1, 3u], recurrent [u, 3u], bias [3u].
  const rec = gates * (arch.units * (1 + arch.units) + arch.units);
  return rec + arch.units * arch.dense + arch.dense + arch.dense + 1;
}
