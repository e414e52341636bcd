/**
 * Shared by the float32 backend tests (ort-backend, blas-backend): seeded matrices, the
 * float32 error bound against the float64 TypeScript backend, and linear CKA on realistic
 * features.
 *
 * Tolerance (stated once, used everywhere): each entry of a float32 product of inner
 * dimension K may differ from the exact float64 value by at most
 *     γ · (|A|ᵀ|B|)ᵢⱼ,   γ = (K + 2) · 2⁻²⁴,
 * the classical forward-error bound of a float32 dot product (K − 1 accumulation
 * roundings, plus rounding each float64 input to float32), with |A|ᵀ|B| computed in float64.
 */
import { expect } from 'vitest';
import type { Matrix, MatrixBackend, ProductRequest } from '../../src/linalg/backend.js';
import { typescriptBackend } from '../../src/linalg/typescript-backend.js';

export const U = 2 ** -24;

/** Seeded uniform [0, 1) (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Seeded standard normal (Box–Muller). */
export function normal(seed: number): () => number {
  const u = rng(seed);
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

export function randomMatrix(rows: number, cols: number, seed: number, offset = 0): Matrix {
  const g = normal(seed);
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = offset + g();
  return { rows, cols, data };
}

export function abs(m: Matrix): Matrix {
  return { rows: m.rows, cols: m.cols, data: m.data.map(Math.abs) };
}

/** Assert |got − want| ≤ γ·(|A|ᵀ|B|) entrywise; returns the worst error in units of the bound. */
export async function expectWithinBound(r: ProductRequest, got: Float64Array): Promise<number> {
  const [want] = await typescriptBackend.products([r]);
  const bound = (await typescriptBackend.products([{ op: r.op, a: abs(r.a), b: r.a === r.b ? abs(r.a) : abs(r.b) }]))[0]!;
  const k = r.op === 'AtB' ? r.a.rows : r.a.cols;
  const gamma = (k + 2) * U;
  expect(got.length).toBe(want!.length);
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i]! - want![i]!);
    const allowed = gamma * bound[i]! + Number.MIN_VALUE;
    worst = Math.max(worst, err / allowed);
    if (err > allowed) expect.fail(`${r.op} entry ${i}: got ${got[i]}, want ${want![i]}, |err| ${err} > ${allowed}`);
  }
  return worst;
}

export function isSymmetric(c: Float64Array, m: number): boolean {
  for (let i = 0; i < m; i++) for (let j = 0; j < i; j++) if (c[i * m + j] !== c[j * m + i]) return false;
  return true;
}

/** Column-centre in float64 (what the metrics do before calling a backend). */
export function centre(m: Matrix): Matrix {
  const { rows, cols, data } = m;
  const mean = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) mean[j] += data[i * cols + j]!;
  for (let j = 0; j < cols; j++) mean[j] /= rows;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = data[i * cols + j]! - mean[j]!;
  return { rows, cols, data: out };
}

export function frob2(c: Float64Array): number {
  let s = 0;
  for (const v of c) s += v * v;
  return s;
}

export async function linearCka(backend: MatrixBackend, x: Matrix, y: Matrix): Promise<{ cka: number; products: Float64Array[] }> {
  const products = await backend.products([
    { op: 'AtB', a: x, b: x },
    { op: 'AtB', a: y, b: y },
    { op: 'AtB', a: x, b: y },
  ]);
  const [xx, yy, xy] = products as [Float64Array, Float64Array, Float64Array];
  return { cka: frob2(xy) / Math.sqrt(frob2(xx) * frob2(yy)), products };
}

/**
 * Post-ReLU teacher features (n × p) with non-zero column means (and, optionally, a large
 * common offset), and a student (n × q) that is partly a linear function of the teacher.
 */
export function features(n: number, p: number, q: number, weight: number, offset: number, seed: number): { x: Matrix; y: Matrix } {
  const g = normal(seed);
  const u = rng(seed + 1);
  const rank = 48;
  const z = new Float64Array(n * rank).map(() => g());
  const a = new Float64Array(rank * p).map(() => g() / Math.sqrt(rank));
  const bias = new Float64Array(p).map(() => u());
  const x = new Float64Array(n * p);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) {
      let s = bias[j]! + 0.5 * g();
      for (let r = 0; r < rank; r++) s += z[i * rank + r]! * a[r * p + j]!;
      x[i * p + j] = offset + Math.max(0, s);
    }
  }
  const m = new Float64Array(p * q).map(() => g() / Math.sqrt(p));
  const y = new Float64Array(n * q);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < q; k++) {
      let s = 0;
      for (let j = 0; j < p; j++) s += (x[i * p + j]! - offset) * m[j * q + k]!;
      y[i * q + k] = Math.max(0, weight * s + (1 - weight) * g() + 0.25 * u());
    }
  }
  // store as float32, as activations on disk are
  return { x: { rows: n, cols: p, data: Float32Array.from(x) }, y: { rows: n, cols: q, data: Float32Array.from(y) } };
}
