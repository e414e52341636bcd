/**
 * Turning a layer's activations into a feature matrix (n × p, float64).
 *
 * Pooling (docs/formulas.md §"Pooling"):
 * - `flatten` (default): every value of a sample is one feature.
 * - `gap`: global average pool over the spatial axes: (N, C, *spatial) → (N, C), or
 *   (N, *spatial, C) → (N, C) with `channelsLast`.
 * - `mean`: for sequences (N, T, D): mean over tokens, counting only tokens whose mask is 1
 *   when a mask (N, T) is given (a transformer's `attention_mask`).
 * - `cls`: for sequences (N, T, D): the first token.
 * Rank-1 activations are one feature per sample; rank-2 ones are used as they are.
 */
import { errors, fmtShape, opt } from '../core/errors.js';
import { numberAt, sizeOf, type Tensor } from '../core/tensor.js';
import { assertFinite } from '../core/validate.js';
import type { Matrix } from '../linalg/backend.js';

export type Pooling = 'flatten' | 'gap' | 'mean' | 'cls';
export const POOLINGS: readonly Pooling[] = ['flatten', 'gap', 'mean', 'cls'];

export interface FeatureOptions {
  pool?: Pooling;
  /** Spatial maps are (N, H, W, C) rather than (N, C, H, W). */
  channelsLast?: boolean;
  /** (N, T) mask of 0/1 for `mean` pooling of sequences. */
  mask?: Tensor;
  /**
   * Check every value is finite (default true). A caller that will see the values in a
   * cheaper pass anyway (exact CKA sums every column) may pass false and check there.
   */
  checkFinite?: boolean;
}

/**
 * Pool and flatten a batch of activations into an n × p matrix, after checking every value
 * is finite. `what` names the layer in error messages. Flattened float32/float64 data are
 * returned as they are (no copy; callers must not write to them); pooled or integer data
 * become float64.
 *
 * @throws NON_FINITE for NaN/Inf; SHAPE_MISMATCH when the pooling does not fit the rank
 *   or the mask does not fit the sequence; BAD_VALUE when a mask row selects no token.
 */
export function featureMatrix(t: Tensor, what: string, options: FeatureOptions = {}): Matrix {
  if (options.checkFinite !== false) assertFinite(t, what);
  const pool = options.pool ?? 'flatten';
  const shape = t.shape;
  if (shape.length === 0) throw errors.shapeMismatch(what, 'a leading sample axis', 'a scalar');
  const n = shape[0]!;
  if (shape.length === 1) return { rows: n, cols: 1, data: floatCopy(t) };
  if (pool === 'flatten' || shape.length === 2) {
    if ((pool === 'mean' || pool === 'cls') && shape.length === 2) return { rows: n, cols: shape[1]!, data: floatCopy(t) };
    return { rows: n, cols: sizeOf(shape.slice(1)), data: floatCopy(t) };
  }
  if (pool === 'gap') return globalAveragePool(t, options.channelsLast ?? false);
  if (shape.length !== 3) {
    throw errors.shapeMismatch(`${what} with ${opt('pool')} ${pool}`, 'a sequence (N, tokens, width)', `shape ${fmtShape(shape)}`);
  }
  return pool === 'cls' ? firstToken(t) : maskedTokenMean(t, what, options.mask);
}

/** The data as floats: float32/float64 arrays as they are (never written to), others copied to float64. */
function floatCopy(t: Tensor): Float64Array | Float32Array {
  const d = t.data;
  if (d instanceof Float64Array || d instanceof Float32Array) return d;
  const out = new Float64Array(d.length);
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
  else out.set(d);
  return out;
}

function globalAveragePool(t: Tensor, channelsLast: boolean): Matrix {
  const [n, ...rest] = t.shape as number[];
  const channels = channelsLast ? rest[rest.length - 1]! : rest[0]!;
  const spatial = sizeOf(rest) / channels;
  const out = new Float64Array(n! * channels);
  const d = t.data;
  for (let i = 0; i < n!; i++) {
    const base = i * channels * spatial;
    for (let c = 0; c < channels; c++) {
      let s = 0;
      if (channelsLast) for (let k = 0; k < spatial; k++) s += numberAt(d, base + k * channels + c);
      else for (let k = 0; k < spatial; k++) s += numberAt(d, base + c * spatial + k);
      out[i * channels + c] = s / spatial;
    }
  }
  return { rows: n!, cols: channels, data: out };
}

function firstToken(t: Tensor): Matrix {
  const [n, tokens, width] = t.shape as [number, number, number];
  const out = new Float64Array(n * width);
  for (let i = 0; i < n; i++) for (let j = 0; j < width; j++) out[i * width + j] = numberAt(t.data, i * tokens * width + j);
  return { rows: n, cols: width, data: out };
}

function maskedTokenMean(t: Tensor, what: string, mask: Tensor | undefined): Matrix {
  const [n, tokens, width] = t.shape as [number, number, number];
  if (mask && (mask.shape.length !== 2 || mask.shape[0] !== n || mask.shape[1] !== tokens)) {
    throw errors.shapeMismatch(`attention mask for ${what}`, `shape [${n}, ${tokens}]`, `shape ${fmtShape(mask.shape)}`);
  }
  const out = new Float64Array(n * width);
  for (let i = 0; i < n; i++) {
    let count = 0;
    for (let k = 0; k < tokens; k++) {
      const m = mask ? numberAt(mask.data, i * tokens + k) : 1;
      if (m === 0) continue;
      if (m !== 1) throw errors.badValue(`attention mask of ${what} at sample ${i}, token ${k}`, m, '0 or 1');
      count++;
      const base = (i * tokens + k) * width;
      for (let j = 0; j < width; j++) out[i * width + j] += numberAt(t.data, base + j);
    }
    if (count === 0) throw errors.badValue(`attention mask of ${what} at sample ${i}`, 'all zeros', 'at least one token');
    for (let j = 0; j < width; j++) out[i * width + j] /= count;
  }
  return { rows: n, cols: width, data: out };
}

/**
 * The width p a tensor of this shape has after {@link featureMatrix}, without reading data.
 */
export function pooledWidth(shape: readonly number[], options: FeatureOptions = {}): number {
  const pool = options.pool ?? 'flatten';
  if (shape.length <= 1) return 1;
  if (pool === 'flatten' || shape.length === 2) return sizeOf(shape.slice(1));
  if (pool === 'gap') return options.channelsLast ? shape[shape.length - 1]! : shape[1]!;
  return shape[shape.length - 1]!;
}

/**
 * Bytes per value of the rows {@link featureMatrix} returns for a tensor of this dtype and
 * shape, without reading data: 4 when float32 data (float16 and bfloat16 decode to float32) are
 * used as they are — rank ≤ 2 or `flatten` — and 8 otherwise (pooled or integer data become
 * float64). Memory budgets price stored rows with it.
 */
export function featureValueBytes(dtype: string, shape: readonly number[], options: FeatureOptions = {}): 4 | 8 {
  const asIs = shape.length <= 2 || (options.pool ?? 'flatten') === 'flatten';
  return asIs && (dtype === 'float32' || dtype === 'float16' || dtype === 'bfloat16') ? 4 : 8;
}
