/**
 * Running a trained network on the held-out digits, and scoring a student's outputs
 * against the teacher's with the library's {@link KrsMetric} — the same code `krs score`
 * runs on captures.
 */

import type { Tensor } from '../core/tensor.js';
import { KrsMetric, type KrsResult, type LayerPair } from '../krs/metric.js';
import type { MatrixBackend } from '../linalg/backend.js';
import { CLASSES, PIXELS } from './mnist-split.js';
import type { Mlp } from './models.js';
import { tf } from './tf.js';

/** What a network produced on a set of samples: hidden activations by layer, and logits. */
export interface Activations {
  readonly n: number;
  /** [n, width] row-major, by layer name. */
  readonly hidden: Readonly<Record<string, Float32Array>>;
  readonly widths: Readonly<Record<string, number>>;
  /** [n, 10]. */
  readonly logits: Float32Array;
}

/** Forward `x` ([n, 784]) through the network in chunks and copy the outputs out. */
export function runNetwork(net: Mlp, x: Float32Array, n: number, chunk = 1000): Activations {
  const widths: Record<string, number> = {};
  net.hidden.forEach((name, i) => (widths[name] = net.arch.hidden[i]!));
  const hidden: Record<string, Float32Array> = {};
  for (const name of net.hidden) hidden[name] = new Float32Array(n * widths[name]!);
  const logits = new Float32Array(n * CLASSES);
  for (let start = 0; start < n; start += chunk) {
    const end = Math.min(n, start + chunk);
    const outs = tf.tidy(() => net.forward(tf.tensor2d(x.subarray(start * PIXELS, end * PIXELS), [end - start, PIXELS])));
    net.hidden.forEach((name, i) => hidden[name]!.set(outs[i]!.dataSync() as Float32Array, start * widths[name]!));
    logits.set(outs[outs.length - 1]!.dataSync() as Float32Array, start * CLASSES);
    tf.dispose(outs);
  }
  return { n, hidden, widths, logits };
}

/** Index of the largest logit of each row (the first on ties). */
export function predictions(logits: Float32Array, n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < CLASSES; c++) if (logits[i * CLASSES + c]! > logits[i * CLASSES + best]!) best = c;
    out[i] = best;
  }
  return out;
}

/** Percentage (0–100) of rows whose arg-max logit is the label; computed as 100·hits/n, so 29 of 200 is exactly 14.5. */
export function accuracy(logits: Float32Array, labels: Int32Array): number {
  const pred = predictions(logits, labels.length);
  let hit = 0;
  for (let i = 0; i < labels.length; i++) if (pred[i] === labels[i]) hit++;
  return labels.length ? (100 * hit) / labels.length : NaN;
}

/** The arrays of a capture of these activations (labels and ids as int32). */
export function captureArrays(a: Activations, labels: Int32Array, ids: Int32Array): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, data] of Object.entries(a.hidden)) out[name] = { dtype: 'float32', shape: [a.n, a.widths[name]!], data };
  out.logits = { dtype: 'float32', shape: [a.n, CLASSES], data: a.logits };
  out.labels = { dtype: 'int32', shape: [a.n], data: labels };
  out.ids = { dtype: 'int32', shape: [a.n], data: ids };
  return out;
}

/**
 * FSS, AOA and KRS (classification preset unless α is given) of a student's activations against
 * the teacher's — the per-epoch curves, without intervals (the final scores, from the captures,
 * carry them).
 */
export async function scoreActivations(
  teacher: Activations,
  student: Activations,
  options: { pairs: readonly LayerPair[]; backend?: MatrixBackend; alpha?: number; onMetric?: (metric: KrsMetric) => void },
): Promise<KrsResult> {
  const metric = new KrsMetric({ task: 'classification', pairs: options.pairs, alpha: options.alpha, backend: options.backend, intervals: false });
  const t: Record<string, Tensor> = {};
  const s: Record<string, Tensor> = {};
  for (const p of options.pairs) {
    t[p.teacher] = { dtype: 'float32', shape: [teacher.n, teacher.widths[p.teacher]!], data: teacher.hidden[p.teacher]! };
    s[p.student] = { dtype: 'float32', shape: [student.n, student.widths[p.student]!], data: student.hidden[p.student]! };
  }
  await metric.update({
    teacher: t,
    student: s,
    teacherOutput: { dtype: 'float32', shape: [teacher.n, CLASSES], data: teacher.logits },
    studentOutput: { dtype: 'float32', shape: [student.n, CLASSES], data: student.logits },
  });
  options.onMetric?.(metric);
  return metric.compute();
}
