/**
 * Float64 sufficient statistics for exact linear CKA, biased and debiased, in one
 * streaming pass over the samples.
 *
 * For features X (n×p) and Y (n×q) the state holds, relative to a fixed shift c (the
 * first batch's column means, so that sums stay well conditioned), with x' = x − c_x,
 * y' = y − c_y, r = ‖x'‖², s = ‖y'‖²:
 *
 *     Σx', Σy', Σx'x'ᵀ, Σy'y'ᵀ, Σx'y'ᵀ, Σr², Σs², Σrs, Σr·x', Σr·y', Σs·x', Σs·y'.
 *
 * {@link reshift} re-expresses every sum about another shift exactly (polynomial
 * identities), which gives both the merge of shards with different shifts and, with the
 * shift moved to the global mean, the column-centred quantities CKA needs (Σx'x'ᵀ and Σy'y'ᵀ
 * are kept as packed lower triangles, see linalg/packed.ts):
 * Cxx = XᶜᵀXᶜ, Cyy, Cxy and the centred row norms' moments Σaᵢbᵢ, Σaᵢ², Σbᵢ².
 *
 * Memory p(p+1)/2 + q(q+1)/2 + pq float64s; update O(b·(p² + q² + pq)) in the backend plus O(b·(p+q)) here;
 * merge and compute O(p² + q² + pq).
 */

import { errors } from '../core/errors.js';
import { declareState, finite, first, fixed, flag, integer, sum, sumFloat64 } from '../core/state.js';
import type { Matrix, MatrixBackend } from '../linalg/backend.js';
import { packedCentredNorm2, packedLength, packedMatVec, packedShiftOuter, packedTrace } from '../linalg/packed.js';
import { columnSums, dot, matTVec, matVec } from '../linalg/vector.js';

/**
 * A shift given in advance (column means of the run's first batch, see KrsMetric): every
 * state of the pair then sums about the same point, so states made from the same rows are the
 * same bits however the run was batched into shards.
 */
export interface FeatureShift {
  readonly x: Float64Array;
  readonly y: Float64Array;
}

export interface LinearStats {
  /** Whether the row-norm moments for debiased CKA are kept (they cost an extra pass). */
  moments: boolean;
  n: number;
  p: number;
  q: number;
  shiftX: Float64Array;
  shiftY: Float64Array;
  sumX: Float64Array;
  sumY: Float64Array;
  xx: Float64Array;
  yy: Float64Array;
  xy: Float64Array;
  sumR2: number;
  sumS2: number;
  sumRS: number;
  rX: Float64Array;
  rY: Float64Array;
  sX: Float64Array;
  sY: Float64Array;
}

const widthsDiffer = (a: LinearStats, b: LinearStats) => errors.shapeMismatch('merging CKA states', `widths ${a.p}×${a.q}`, `widths ${b.p}×${b.q}`);
const lengthP = (s: Partial<LinearStats>) => s.p!;
const lengthQ = (s: Partial<LinearStats>) => s.q!;

/**
 * The statistics, declared once (src/core/state.ts): widths and the moments flag must match;
 * b is re-expressed about a's shift ({@link reshift}), then every sum adds (XᵀX and YᵀY as
 * packed lower triangles); an empty state (n = 0) is the identity. Stored as
 * `{moments, n, p, q, sumR2, sumS2, sumRS, shiftX, …, sY}`, every array exactly, its length
 * checked against the widths before anything of size p² is made.
 */
export const LINEAR_STATS = declareState<LinearStats>({
  measure: 'CKA',
  fields: {
    moments: fixed(flag, { merge: (a, b) => errors.badValue('merging CKA states: debiasing moments', b.moments, String(a.moments)) }),
    n: sum(integer()),
    p: fixed(integer(), { merge: widthsDiffer }),
    q: fixed(integer(), { merge: widthsDiffer }),
    sumR2: sum(finite),
    sumS2: sum(finite),
    sumRS: sum(finite),
    shiftX: first(lengthP),
    shiftY: first(lengthQ),
    sumX: sumFloat64(lengthP),
    sumY: sumFloat64(lengthQ),
    xx: sumFloat64((s) => packedLength(s.p!)),
    yy: sumFloat64((s) => packedLength(s.q!)),
    xy: sumFloat64((s) => s.p! * s.q!),
    rX: sumFloat64(lengthP),
    rY: sumFloat64(lengthQ),
    sX: sumFloat64(lengthP),
    sY: sumFloat64(lengthQ),
  },
  isEmpty: (st) => st.n === 0,
  align: (a, b) => reshift(b, a.shiftX, a.shiftY),
});

/** An empty state for widths p and q; `moments` keeps what debiased CKA needs. */
export function initLinearStats(p: number, q: number, moments: boolean): LinearStats {
  return LINEAR_STATS.init({ moments, p, q });
}

/**
 * Fold a batch (X: b×p, Y: b×q, row-major, float32 or float64) into the state. The batch
 * is not modified and no centred copy is made: the backend subtracts the shift while it
 * converts the operands, and the products are accumulated straight into the state. The
 * first batch fixes the shift: `shift` when given, else the batch's column means. `onNonFinite` is called (and must throw) when a column sum is
 * NaN or infinite, i.e. when the batch holds NaN/Inf (or values whose sum overflows).
 */
export async function updateLinearStats(
  st: LinearStats,
  x: Float64Array | Float32Array,
  y: Float64Array | Float32Array,
  rows: number,
  backend: MatrixBackend,
  onNonFinite: () => never = () => {
    throw errors.badValue('a CKA batch', 'NaN or infinite values', 'finite values');
  },
  shift?: FeatureShift,
): Promise<void> {
  const { p, q } = st;
  if (rows === 0) return;
  const colsX = columnSums(x, rows, p);
  const colsY = columnSums(y, rows, q);
  // Any NaN or ±Inf makes its column sum non-finite: checked here, before the state changes.
  if (!allFinite(colsX) || !allFinite(colsY)) onNonFinite();
  if (st.n === 0) {
    st.shiftX = shift ? Float64Array.from(shift.x) : colsX.map((v) => v / rows);
    st.shiftY = shift ? Float64Array.from(shift.y) : colsY.map((v) => v / rows);
  }
  const mx: Matrix = { rows, cols: p, data: x, shift: st.shiftX };
  const my: Matrix = { rows, cols: q, data: y, shift: st.shiftY };
  await backend.products([
    { op: 'AtB', a: mx, b: mx, into: st.xx, packed: true },
    { op: 'AtB', a: my, b: my, into: st.yy, packed: true },
    { op: 'AtB', a: mx, b: my, into: st.xy },
  ]);
  // Σ(x − c) = Σx − b·c
  for (let j = 0; j < p; j++) st.sumX[j] += colsX[j]! - rows * st.shiftX[j]!;
  for (let j = 0; j < q; j++) st.sumY[j] += colsY[j]! - rows * st.shiftY[j]!;
  if (st.moments) accumulateMoments(st, x, y, rows);
  st.n += rows;
}

function allFinite(a: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return false;
  return true;
}

/** The row-norm moments debiased CKA needs, in one pass over each row. O(b·(p+q)). */
function accumulateMoments(st: LinearStats, x: Float64Array | Float32Array, y: Float64Array | Float32Array, rows: number): void {
  const { p, q, shiftX, shiftY, rX, sX, rY, sY } = st;
  for (let i = 0; i < rows; i++) {
    const ox = i * p;
    const oy = i * q;
    let r = 0;
    for (let j = 0; j < p; j++) {
      const v = x[ox + j]! - shiftX[j]!;
      r += v * v;
    }
    let s = 0;
    for (let j = 0; j < q; j++) {
      const v = y[oy + j]! - shiftY[j]!;
      s += v * v;
    }
    st.sumR2 += r * r;
    st.sumS2 += s * s;
    st.sumRS += r * s;
    for (let j = 0; j < p; j++) {
      const v = x[ox + j]! - shiftX[j]!;
      rX[j] += r * v;
      sX[j] += s * v;
    }
    for (let j = 0; j < q; j++) {
      const v = y[oy + j]! - shiftY[j]!;
      rY[j] += r * v;
      sY[j] += s * v;
    }
  }
}

/**
 * The same statistics about new shifts (returns a new state; the input is untouched).
 * With e = newShiftX − shiftX, f = newShiftY − shiftY, u = x'ᵀe, v = y'ᵀf, δ = ‖e‖², ε = ‖f‖²:
 * Σx'' = Σx' − n·e;  Σx''x''ᵀ = Σx'x'ᵀ − Σx'·eᵀ − e·Σx'ᵀ + n·eeᵀ;  r'' = r − 2u + δ; and so on.
 */
function reshift(st: LinearStats, newShiftX: Float64Array, newShiftY: Float64Array): LinearStats {
  // The same shifts (states of one run share its first batch's): every term added is 0, so a copy is the same bits.
  if (sameValues(newShiftX, st.shiftX) && sameValues(newShiftY, st.shiftY)) return LINEAR_STATS.copy(st);
  const { n, p, q } = st;
  const e = new Float64Array(p);
  const f = new Float64Array(q);
  for (let j = 0; j < p; j++) e[j] = newShiftX[j]! - st.shiftX[j]!;
  for (let j = 0; j < q; j++) f[j] = newShiftY[j]! - st.shiftY[j]!;
  const out = initLinearStats(p, q, st.moments);
  out.n = n;
  out.shiftX = Float64Array.from(newShiftX);
  out.shiftY = Float64Array.from(newShiftY);
  for (let j = 0; j < p; j++) out.sumX[j] = st.sumX[j]! - n * e[j]!;
  for (let j = 0; j < q; j++) out.sumY[j] = st.sumY[j]! - n * f[j]!;
  packedShiftOuter(out.xx, st.xx, st.sumX, e, n, p);
  packedShiftOuter(out.yy, st.yy, st.sumY, f, n, q);
  shiftOuter(out.xy, st.xy, st.sumX, e, st.sumY, f, n, p, q);
  if (st.moments) Object.assign(out, shiftMoments(st, e, f));
  return out;
}

function sameValues(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The row-norm moments about shifts moved by e (teacher) and f (student): with
 * u = x'ᵀe, v = y'ᵀf, δ = ‖e‖², ε = ‖f‖², R = Σr, S = Σs, U = Σu, V = Σv,
 * Σr''² = Σr² + 4Σu² + nδ² − 4Σru + 2δR − 4δU, Σr''·x'' = Σr·x' − R·e − 2Σu·x' + 2U·e + δΣx' − nδ·e,
 * and likewise for the others. O(p² + q² + pq) reads, O(p + q) memory.
 */
function shiftMoments(st: LinearStats, e: Float64Array, f: Float64Array): Pick<LinearStats, 'sumR2' | 'sumS2' | 'sumRS' | 'rX' | 'rY' | 'sX' | 'sY'> {
  const { n, p, q } = st;
  const delta = dot(e, e);
  const eps = dot(f, f);
  const U = dot(st.sumX, e);
  const V = dot(st.sumY, f);
  const R = packedTrace(st.xx, p);
  const S = packedTrace(st.yy, q);
  const xxE = packedMatVec(st.xx, p, e); // Σ u·x'
  const yyF = packedMatVec(st.yy, q, f); // Σ v·y'
  const xyF = matVec(st.xy, p, q, f); // Σ v·x'
  const xyTE = matTVec(st.xy, p, q, e); // Σ u·y'
  const sumU2 = dot(e, xxE);
  const sumV2 = dot(f, yyF);
  const sumUV = dot(e, xyF);
  const sumRU = dot(st.rX, e);
  const sumSV = dot(st.sY, f);
  const sumRV = dot(st.rY, f);
  const sumSU = dot(st.sX, e);
  const rX = new Float64Array(p);
  const sX = new Float64Array(p);
  const rY = new Float64Array(q);
  const sY = new Float64Array(q);
  for (let j = 0; j < p; j++) {
    rX[j] = st.rX[j]! - R * e[j]! - 2 * xxE[j]! + 2 * U * e[j]! + delta * st.sumX[j]! - n * delta * e[j]!;
    sX[j] = st.sX[j]! - S * e[j]! - 2 * xyF[j]! + 2 * V * e[j]! + eps * st.sumX[j]! - n * eps * e[j]!;
  }
  for (let j = 0; j < q; j++) {
    rY[j] = st.rY[j]! - R * f[j]! - 2 * xyTE[j]! + 2 * U * f[j]! + delta * st.sumY[j]! - n * delta * f[j]!;
    sY[j] = st.sY[j]! - S * f[j]! - 2 * yyF[j]! + 2 * V * f[j]! + eps * st.sumY[j]! - n * eps * f[j]!;
  }
  return {
    sumR2: st.sumR2 + 4 * sumU2 + n * delta * delta - 4 * sumRU + 2 * delta * R - 4 * delta * U,
    sumS2: st.sumS2 + 4 * sumV2 + n * eps * eps - 4 * sumSV + 2 * eps * S - 4 * eps * V,
    sumRS: st.sumRS - 2 * sumRV + eps * R - 2 * sumSU + 4 * sumUV - 2 * eps * U + delta * S - 2 * delta * V + n * delta * eps,
    rX,
    rY,
    sX,
    sY,
  };
}

/** ‖M − n·a·bᵀ‖²_F, element by element (no copy of M). O(rows·cols). */
function centredNorm2(m: Float64Array, a: Float64Array, b: Float64Array, n: number, rows: number, cols: number): number {
  let s = 0;
  for (let i = 0; i < rows; i++) {
    const na = n * a[i]!;
    const o = i * cols;
    for (let j = 0; j < cols; j++) {
      const v = m[o + j]! - na * b[j]!;
      s += v * v;
    }
  }
  return s;
}

/** out = M − a·fᵀ − e·bᵀ + n·e·fᵀ  (Σ(a'−e)(b'−f)ᵀ from Σa'b'ᵀ, Σa' = a, Σb' = b). */
function shiftOuter(
  out: Float64Array,
  m: Float64Array,
  a: Float64Array,
  e: Float64Array,
  b: Float64Array,
  f: Float64Array,
  n: number,
  rows: number,
  cols: number,
): void {
  for (let i = 0; i < rows; i++) {
    const ai = a[i]!;
    const ei = e[i]!;
    const o = i * cols;
    for (let j = 0; j < cols; j++) out[o + j] = m[o + j]! - ai * f[j]! - ei * b[j]! + n * ei * f[j]!;
  }
}

/** What CKA needs of the column-centred data, computed from the state without copying it. */
export interface CentredStats {
  n: number;
  p: number;
  q: number;
  /** ‖XᶜᵀXᶜ‖²_F, ‖YᶜᵀYᶜ‖²_F, ‖XᶜᵀYᶜ‖²_F. */
  xxNorm2: number;
  yyNorm2: number;
  xyNorm2: number;
  /** Whether the moments below are known (debiased CKA needs them). */
  moments: boolean;
  /** Σaᵢ, Σbᵢ, Σaᵢ², Σbᵢ², Σaᵢbᵢ with aᵢ = ‖xᵢᶜ‖², bᵢ = ‖yᵢᶜ‖² (the last three only with moments). */
  sumA: number;
  sumB: number;
  sumA2: number;
  sumB2: number;
  sumAB: number;
  /** ‖mean‖² of each side, for judging whether a layer is constant. */
  meanNormX: number;
  meanNormY: number;
}

/**
 * Centre the statistics: with d = Σx'/n (the offset from the shift to the mean),
 * XᶜᵀXᶜ = Σx'x'ᵀ − n·d·dᵀ (and likewise), Σaᵢ = tr Σx'x'ᵀ − n‖d‖², and the moments as in
 * {@link reshift}. O(p² + q² + pq) reads; no p×p array is allocated.
 */
export function centre(st: LinearStats): CentredStats {
  const { n, p, q } = st;
  const dx = st.sumX.map((v) => v / n);
  const dy = st.sumY.map((v) => v / n);
  const mx = st.shiftX.map((v, j) => v + dx[j]!);
  const my = st.shiftY.map((v, j) => v + dy[j]!);
  const m = st.moments ? shiftMoments(st, dx, dy) : { sumR2: NaN, sumS2: NaN, sumRS: NaN };
  return {
    moments: st.moments,
    n,
    p,
    q,
    xxNorm2: packedCentredNorm2(st.xx, dx, n, p),
    yyNorm2: packedCentredNorm2(st.yy, dy, n, q),
    xyNorm2: centredNorm2(st.xy, dx, dy, n, p, q),
    sumA: packedTrace(st.xx, p) - n * dot(dx, dx),
    sumB: packedTrace(st.yy, q) - n * dot(dy, dy),
    sumA2: m.sumR2,
    sumB2: m.sumS2,
    sumAB: m.sumRS,
    meanNormX: dot(mx, mx),
    meanNormY: dot(my, my),
  };
}
