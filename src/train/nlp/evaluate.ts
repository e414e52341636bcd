/**
 * Running a trained encoder over a set of e-mails and keeping what scoring needs: the last
 * hidden states per token (`[n, tokens, width]`, for FSS, which krs mean-pools with the
 * attention mask exactly as it pools a capture), every layer's hidden states already
 * mean-pooled with the mask (`[n, width]`, for the cross-layer heatmap:
 * Σ_t m_t h_t / Σ_t m_t, the same formula), and the logits `[n, classes]` (AOA's softmax).
 */
import type { Tensor } from '../../core/tensor.js';
import { tf } from '../tf.js';
import type { Encoder } from './encoder.js';
import { maskedMean } from './ops.js';
import { batchTensors, type LabelledSet } from './train.js';

/** What an encoder produced on n e-mails (row-major float32 arrays). */
export interface EncoderActivations {
  readonly n: number;
  readonly tokens: number;
  readonly width: number;
  readonly classes: number;
  /** `hidden_states.L`, [n, tokens, width]. */
  readonly lastHidden: Float32Array;
  /** `hidden_states.0` … `hidden_states.L` mean-pooled over the real tokens, each [n, width]. */
  readonly pooled: Float32Array[];
  /** [n, classes]. */
  readonly logits: Float32Array;
}

/** Forward `set` through `encoder` in batches of `batchSize` and copy the outputs out. */
export function runEncoder(encoder: Encoder, set: LabelledSet, batchSize = 64): EncoderActivations {
  const { width, layers } = encoder.config;
  const classes = encoder.config.classes ?? 2;
  const t = set.maxLength;
  const lastHidden = new Float32Array(set.n * t * width);
  const pooled = Array.from({ length: layers + 1 }, () => new Float32Array(set.n * width));
  const logits = new Float32Array(set.n * classes);
  for (let s = 0; s < set.n; s += batchSize) {
    const rows = Int32Array.from({ length: Math.min(batchSize, set.n - s) }, (_, k) => s + k);
    const batch = batchTensors(set, rows, classes);
    const outs = tf.tidy(() => {
      const o = encoder.forward(batch.inputIds, batch.attentionMask);
      return [o.hiddenStates.at(-1)!, o.logits, ...o.hiddenStates.map((h) => maskedMean(h, batch.attentionMask))];
    });
    lastHidden.set(outs[0]!.dataSync() as Float32Array, s * t * width);
    logits.set(outs[1]!.dataSync() as Float32Array, s * classes);
    outs.slice(2).forEach((p, l) => pooled[l]!.set(p.dataSync() as Float32Array, s * width));
    tf.dispose([...outs, batch.inputIds, batch.attentionMask, batch.oneHot]);
  }
  return { n: set.n, tokens: t, width, classes, lastHidden, pooled, logits };
}

/** Arg-max class of each row (ties: the lower class). */
export function argmaxRows(logits: Float32Array, classes: number): Int32Array {
  const n = logits.length / classes;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c]! > logits[i * classes + best]!) best = c;
    out[i] = best;
  }
  return out;
}

/** The layer name of the last hidden states handed to FSS (3-D, pooled by krs with the mask). */
export const LAST_HIDDEN = 'last_hidden_state';

/**
 * The activations as krs tensors (no copy): {@link LAST_HIDDEN} [n, tokens, width] and
 * `hidden_states.k` [n, width] (already mean-pooled) for k = 0 … L.
 */
export function activationTensors(a: EncoderActivations): Record<string, Tensor> {
  const out: Record<string, Tensor> = { [LAST_HIDDEN]: { dtype: 'float32', shape: [a.n, a.tokens, a.width], data: a.lastHidden } };
  a.pooled.forEach((p, k) => {
    out[`hidden_states.${k}`] = { dtype: 'float32', shape: [a.n, a.width], data: p };
  });
  return out;
}
