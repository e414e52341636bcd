/**
 * The portable float64 matrix backend: plain loops, runs in any JavaScript engine.
 *
 * About 1–3 GFLOP/s: right for browsers, small layers and for verifying the fast
 * backend; Node users scoring wide layers should use the ONNX Runtime backend.
 */
import type { Matrix, MatrixBackend, ProductRequest } from './backend.js';
import { pack } from './packed.js';

/**
 * Aᵀ·B for A (n×p) and B (n×q), as a p×q row-major float64 array.
 * When `a === b` only the upper triangle is computed and then mirrored.
 * Complexity O(n·p·q).
 */
export function transposeTimes(a: Matrix, b: Matrix): Float64Array {
  if (a.rows !== b.rows) throw new RangeError(`AtB: ${a.rows} rows vs ${b.rows} rows`);
  const n = a.rows;
  const p = a.cols;
  const q = b.cols;
  const A = a.data;
  const B = b.data;
  const out = new Float64Array(p * q);
  const symmetric = a === b;
  for (let k = 0; k < n; k++) {
    const ak = k * p;
    const bk = k * q;
    for (let i = 0; i < p; i++) {
      const v = A[ak + i]!;
      if (v === 0) continue;
      const oi = i * q;
      for (let j = symmetric ? i : 0; j < q; j++) out[oi + j] += v * B[bk + j]!;
    }
  }
  if (symmetric) {
    for (let i = 0; i < p; i++) for (let j = 0; j < i; j++) out[i * q + j] = out[j * q + i]!;
  }
  return out;
}

/**
 * A·Bᵀ for A (n×p) and B (m×p), as an n×m row-major float64 array (a Gram matrix when
 * a === b, computed on the upper triangle and mirrored). Complexity O(n·m·p).
 */
export function timesTranspose(a: Matrix, b: Matrix): Float64Array {
  if (a.cols !== b.cols) throw new RangeError(`ABt: ${a.cols} columns vs ${b.cols} columns`);
  const n = a.rows;
  const m = b.rows;
  const p = a.cols;
  const A = a.data;
  const B = b.data;
  const out = new Float64Array(n * m);
  const symmetric = a === b;
  for (let i = 0; i < n; i++) {
    const ai = i * p;
    for (let j = symmetric ? i : 0; j < m; j++) {
      const bj = j * p;
      let s = 0;
      for (let k = 0; k < p; k++) s += A[ai + k]! * B[bj + k]!;
      out[i * m + j] = s;
      if (symmetric) out[j * m + i] = s;
    }
  }
  return out;
}

/** The matrix with its shift applied, as float64 (the matrix itself when it has none). */
function applyShift(m: Matrix): Matrix {
  if (!m.shift) return m;
  const { rows, cols, data, shift } = m;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = data[i * cols + j]! - shift[j]!;
  return { rows, cols, data: out };
}

/** The pure-TypeScript float64 backend. Honours `shift` and `into` (see {@link ProductRequest}). */
export const typescriptBackend: MatrixBackend = {
  name: 'typescript-f64',
  async products(requests: readonly ProductRequest[]): Promise<Float64Array[]> {
    const shifted = new Map<Matrix, Matrix>();
    const resolve = (m: Matrix): Matrix => {
      let r = shifted.get(m);
      if (!r) shifted.set(m, (r = applyShift(m)));
      return r;
    };
    return requests.map((r) => {
      const a = resolve(r.a);
      const b = resolve(r.b);
      const full = r.op === 'AtB' ? transposeTimes(a, b) : timesTranspose(a, b);
      if (r.packed && r.a !== r.b) throw new RangeError('products: packed results need a symmetric request (a === b)');
      const product = r.packed ? pack(full, r.op === 'AtB' ? a.cols : a.rows) : full;
      if (!r.into) return product;
      if (r.into.length !== product.length) throw new RangeError(`products: 'into' holds ${r.into.length} values for ${product.length}`);
      for (let i = 0; i < product.length; i++) r.into[i] += product[i]!;
      return r.into;
    });
  },
};
