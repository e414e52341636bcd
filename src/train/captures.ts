/**
 * Node-only: writing a network's activations on the held-out digits as a capture
 * (docs/data-model.md §"Captures") — an `.npz` with one array per hidden layer (`hidden1`, …), `logits`,
 * `labels` and `ids` — so that `krs score` can be run on the demo's models by hand.
 */
import { NpzWriter } from '../io/node-npz-writer.js';
import { type Activations, captureArrays } from './evaluate.js';

/** Write `a` (with the samples' labels and ids) to `file`; returns the array names written. */
export function writeCapture(file: string, a: Activations, labels: Int32Array, ids: Int32Array): string[] {
  const writer = new NpzWriter(file, a.n);
  try {
    for (const [key, t] of Object.entries(captureArrays(a, labels, ids))) writer.append(key, t);
    writer.finish();
  } catch (e) {
    writer.abort();
    throw e;
  }
  return writer.keys();
}
