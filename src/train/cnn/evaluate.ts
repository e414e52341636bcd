/**
 * Running a trained CNN on a set of digits and handing its stages to {@link KrsMetric}: conv
 * stages as rank-4 [n, h, w, c] tensors (channels last; krs flattens them by default, or
 * averages them per channel with `pool: 'gap', channelsLast: true`), dense stages as [n, width].
 * Accuracy and predictions of the logits are src/train/evaluate.ts's.
 *
 * Cost of scoring (measured, linear CKA with 20 jackknife groups on 4 000 digits, the four
 * stage pairs of the teacher and the largest student): ≈ 27 CPU-seconds with the conv stages
 * flattened (1 176 × 784 and 400 × 300 features), ≈ 0.5 s pooled per channel. Flattened conv
 * stages of an untrained student already score high against an untrained teacher (97 and 94
 * points for conv1 and conv2; 99 and 96 pooled): early conv maps mostly carry the input.
 */
import type { Tensor } from '../../core/tensor.js';
import type { LayerPair } from '../../krs/metric.js';
import { CLASSES, PIXELS } from '../mnist-split.js';
import { tf } from '../tf.js';
import { type Cnn, type CnnArchitecture, cnnStages } from './models.js';

/** What a CNN produced on n samples: every stage's activations and the logits. */
export interface CnnActivations {
  readonly n: number;
  /** Row-major [n, …shape], by stage name. */
  readonly stages: Readonly<Record<string, Float32Array>>;
  /** One sample's shape per stage: [h, w, c] or [width]. */
  readonly shapes: Readonly<Record<string, readonly number[]>>;
  /** [n, 10]. */
  readonly logits: Float32Array;
}

/** Forward `x` ([n, 784], values in [0, 1]) through the network in chunks and copy every output out. */
export function runCnn(net: Cnn, x: Float32Array, n: number, chunk = 500): CnnActivations {
  const shapes = Object.fromEntries(net.stages.map((s) => [s.name, s.shape]));
  const per = net.stages.map((s) => s.shape.reduce((a, b) => a * b, 1));
  const stages = Object.fromEntries(net.stages.map((s, i) => [s.name, new Float32Array(n * per[i]!)]));
  const logits = new Float32Array(n * CLASSES);
  for (let start = 0; start < n; start += chunk) {
    const end = Math.min(n, start + chunk);
    const outs = tf.tidy(() => net.forward(tf.tensor2d(x.subarray(start * PIXELS, end * PIXELS), [end - start, PIXELS])));
    net.stages.forEach((s, i) => stages[s.name]!.set(outs[i]!.dataSync() as Float32Array, start * per[i]!));
    logits.set(outs[outs.length - 1]!.dataSync() as Float32Array, start * CLASSES);
    tf.dispose(outs);
  }
  return { n, stages, shapes, logits };
}

/** The named stages as krs tensors ([n, …shape], float32, no copy), for `KrsMetric.update`. */
export function stageTensors(a: CnnActivations, names: readonly string[]): Record<string, Tensor> {
  return Object.fromEntries(names.map((name) => [name, { dtype: 'float32', shape: [a.n, ...a.shapes[name]!], data: a.stages[name]! } as Tensor]));
}

/** The logits as a krs tensor [n, 10]. */
export function logitsTensor(a: CnnActivations): Tensor {
  return { dtype: 'float32', shape: [a.n, CLASSES], data: a.logits };
}

/**
 * FSS pairs of a teacher and a student: every stage both have, by name, in forward order —
 * `conv1`, `conv2`, `fc1`, `fc2` for the study's networks, which share their stages.
 */
export function cnnLayerPairs(teacher: CnnArchitecture, student: CnnArchitecture): LayerPair[] {
  const theirs = new Set(cnnStages(student).map((s) => s.name));
  return cnnStages(teacher)
    .filter((s) => theirs.has(s.name))
    .map((s) => ({ teacher: s.name, student: s.name }));
}
