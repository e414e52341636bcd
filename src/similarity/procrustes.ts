/**
 * `procrustes` — orthogonal Procrustes similarity (Ding, Denain & Steinhardt, 2021; Williams
 * et al., 2021, "Generalized shape metrics on neural representations"). With X (n × p) and
 * Y (n × q) column-centred and scaled to unit Frobenius norm, X̃ = Xᶜ/‖Xᶜ‖_F, Ỹ = Yᶜ/‖Yᶜ‖_F,
 * the orthogonal Procrustes distance is
 *
 *     d²(X, Y) = min over orthogonal Q ‖X̃ − ỸQ‖²_F = 2 − 2·‖X̃ᵀỸ‖_*
 *
 * (the narrower side padded with zero columns when p ≠ q; ‖·‖_* the nuclear norm, the sum of
 * singular values). krs reports the similarity
 *
 *     procrustes(X, Y) = ‖XᶜᵀYᶜ‖_* / (‖Xᶜ‖_F · ‖Yᶜ‖_F) = 1 − d²/2  ∈ [0, 1]
 *
 * — 1 exactly when one layer is a rotation (or reflection) of the other up to scale and
 * offset, 0 when every teacher feature is uncorrelated with every student feature. Williams
 * et al.'s angular distance is arccos of this value. Like linear CKA it is invariant to
 * rotations and isotropic scaling, but it weighs the cross-covariance's singular values σᵢ
 * linearly (CKA: σᵢ², normalised by the layers' own covariances). Like biased CKA it rises
 * when the layers are wider than the sample count (independent 10-sample layers of widths 12
 * and 15 score ≈ 0.8): compare layers on many more samples than features.
 *
 * Feature space, one streaming pass: the state is n, the column means and the centred
 * co-moments C = XᶜᵀYᶜ (p × q), Tx = ‖Xᶜ‖²_F and Ty = ‖Yᶜ‖²_F, each batch centred on its own
 * means and merged by the pairwise update of Chan, Golub & LeVeque (1979): with δ = the
 * difference of the means of parts a and b,
 *
 *     C = C_a + C_b + (n_a·n_b/n)·δx·δyᵀ,  T = T_a + T_b + (n_a·n_b/n)·‖δ‖²
 *
 * — so merge is exact up to rounding and never subtracts large uncentred sums. Memory
 * 8·(p·q + p + q) bytes a state; update O(b·p·q) by the matrix backend; compute the singular
 * values of C by one-sided Jacobi ({@link singularValues}, O(p·q·min(p, q)) a sweep).
 *
 * Edge cases: fewer than 2 samples, or a side whose features are constant across the samples
 * (‖Xᶜ‖_F = 0: no direction to align), are UNDEFINED; rounding just above 1 is clamped.
 */
import { errors, opt } from '../core/errors.js';
import { declareState, type Field, fixed, integer, sum, sumFloat64 } from '../core/state.js';
import type { MatrixBackend } from '../linalg/backend.js';
import { singularValues, singularValueWork } from '../linalg/svd.js';
import type { SimilaritySpec } from './spec.js';

/** Relative variance below which a layer counts as constant (as for CKA). */
const CONSTANT_TOLERANCE = 1e-18;

/** The streaming state: n, column means, centred co-moments (see the module comment). */
export interface ProcrustesState {
  n: number;
  p: number;
  q: number;
  meanX: Float64Array;
  meanY: Float64Array;
  /** XᶜᵀYᶜ, p × q row-major. */
  cross: Float64Array;
  /** ‖Xᶜ‖²_F and ‖Yᶜ‖²_F. */
  sumSqX: number;
  sumSqY: number;
}

/** Bytes of one state for widths p and q. */
function procrustesStateBytes(p: number, q: number): number {
  return 8 * (p * q + p + q + 3);
}

/** Column means of rows × cols data. */
function columnMeans(data: Float64Array | Float32Array, rows: number, cols: number): Float64Array {
  const mean = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) mean[j] += data[i * cols + j]!;
  for (let j = 0; j < cols; j++) mean[j] /= rows;
  return mean;
}

/** Σᵢ ‖rowᵢ − mean‖². */
function centredSumSq(data: Float64Array | Float32Array, rows: number, cols: number, mean: Float64Array): number {
  let s = 0;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const d = data[i * cols + j]! - mean[j]!;
      s += d * d;
    }
  }
  return s;
}

/** Fold a batch (X: rows × p, Y: rows × q) in, in place. */
async function updateProcrustes(
  st: ProcrustesState,
  x: Float64Array | Float32Array,
  y: Float64Array | Float32Array,
  rows: number,
  backend: MatrixBackend,
): Promise<void> {
  if (rows === 0) return;
  const { p, q } = st;
  const meanX = columnMeans(x, rows, p);
  const meanY = columnMeans(y, rows, q);
  const [cross] = await backend.products([{ op: 'AtB', a: { rows, cols: p, data: x, shift: meanX }, b: { rows, cols: q, data: y, shift: meanY } }]);
  const batch: ProcrustesState = {
    n: rows,
    p,
    q,
    meanX,
    meanY,
    cross: cross!,
    sumSqX: centredSumSq(x, rows, p, meanX),
    sumSqY: centredSumSq(y, rows, q, meanY),
  };
  Object.assign(st, mergeProcrustes(st, batch));
}

const widthsDiffer = (a: ProcrustesState, b: ProcrustesState) =>
  errors.shapeMismatch('merging Procrustes states', `widths ${a.p}×${a.q}`, `widths ${b.p}×${b.q}`);

/** The weight n_a·n_b/n and the mean differences δ = m̄_b − m̄_a of two states (Chan et al.'s pairwise update). */
function pairwise(a: ProcrustesState, b: ProcrustesState): { w: number; dx: Float64Array; dy: Float64Array } {
  const dx = new Float64Array(a.p);
  const dy = new Float64Array(a.q);
  for (let j = 0; j < a.p; j++) dx[j] = b.meanX[j]! - a.meanX[j]!;
  for (let j = 0; j < a.q; j++) dy[j] = b.meanY[j]! - a.meanY[j]!;
  return { w: (a.n * b.n) / (a.n + b.n), dx, dy };
}

/** A pooled mean field: m̄ = m̄_a + δ·n_b/n. */
function pooledMeanOf(side: 'meanX' | 'meanY'): Field<Float64Array, ProcrustesState> {
  return {
    ...sumFloat64<ProcrustesState>((s) => (side === 'meanX' ? s.p! : s.q!)),
    merge: (ma, mb, sa, sb) => {
      const out = new Float64Array(ma.length);
      const f = sb.n / (sa.n + sb.n);
      for (let j = 0; j < ma.length; j++) out[j] = ma[j]! + (mb[j]! - ma[j]!) * f;
      return out;
    },
  };
}

/** A centred sum of squares: Σa + Σb + w·‖δ‖². */
function pooledSumSq(side: 'x' | 'y'): Field<number, ProcrustesState> {
  return {
    ...sum<ProcrustesState>(),
    merge: (va, vb, sa, sb) => {
      const { w, dx, dy } = pairwise(sa, sb);
      const d = side === 'x' ? dx : dy;
      let sq = 0;
      for (const v of d) sq += v * v;
      return va + vb + w * sq;
    },
  };
}

/**
 * The declared state (src/core/state.ts): n sums, the widths are fixed, the means pool, the
 * centred co-moments add with the pairwise term w·δₓδᵧᵀ, the squared norms with w·‖δ‖² — so a
 * merge equals one pass over both parts' samples up to rounding.
 */
const PROCRUSTES_STATE = declareState<ProcrustesState>({
  measure: 'procrustes',
  fields: {
    n: sum(integer()),
    p: fixed(integer(1), { merge: widthsDiffer }),
    q: fixed(integer(1), { merge: widthsDiffer }),
    meanX: pooledMeanOf('meanX'),
    meanY: pooledMeanOf('meanY'),
    cross: {
      ...sumFloat64<ProcrustesState>((s) => s.p! * s.q!),
      merge: (ca, cb, sa, sb) => {
        const { w, dx, dy } = pairwise(sa, sb);
        const q = sa.q;
        const out = new Float64Array(ca.length);
        for (let i = 0; i < sa.p; i++) {
          const wx = w * dx[i]!;
          for (let j = 0; j < q; j++) out[i * q + j] = ca[i * q + j]! + cb[i * q + j]! + wx * dy[j]!;
        }
        return out;
      },
    },
    sumSqX: pooledSumSq('x'),
    sumSqY: pooledSumSq('y'),
  },
  isEmpty: (s) => s.n === 0,
});

/** The state of both parts' samples; a and b are left unchanged. */
const mergeProcrustes = (a: ProcrustesState, b: ProcrustesState): ProcrustesState => PROCRUSTES_STATE.merge(a, b);

/**
 * ‖XᶜᵀYᶜ‖_* / (‖Xᶜ‖_F·‖Yᶜ‖_F) of the state.
 * @throws UNDEFINED with fewer than 2 samples or a constant side.
 */
function procrustesValue(st: ProcrustesState, teacherName: string, studentName: string): number {
  if (st.n < 2) throw errors.undefinedResult(`Procrustes similarity of '${teacherName}':'${studentName}'`, `it needs at least 2 samples, got ${st.n}`);
  const constant = (sumSq: number, mean: Float64Array) => !(sumSq > CONSTANT_TOLERANCE * (st.n * mean.reduce((s, m) => s + m * m, 0) + sumSq));
  if (constant(st.sumSqX, st.meanX))
    throw errors.undefinedResult(`Procrustes similarity of teacher layer '${teacherName}'`, `its features are constant across all ${st.n} samples`);
  if (constant(st.sumSqY, st.meanY))
    throw errors.undefinedResult(`Procrustes similarity of student layer '${studentName}'`, `its features are constant across all ${st.n} samples`);
  const nuclear = singularValues(st.cross, st.p, st.q).reduce((s, v) => s + v, 0);
  const value = nuclear / (Math.sqrt(st.sumSqX) * Math.sqrt(st.sumSqY));
  return Math.min(value, 1);
}

/** `procrustes` — orthogonal Procrustes similarity, 1 − d²/2 (see the module comment). */
export const procrustes: SimilaritySpec<ProcrustesState> = {
  name: 'procrustes',
  title: 'orthogonal Procrustes similarity',
  description:
    "nuclear norm of the centred, unit-norm layers' cross-covariance (1 − half the squared Procrustes distance): how well a rotation maps one layer onto the other",
  bounds: [0, 1],
  estimators: ['exact'],
  equalWidths: false,
  checksFiniteItself: false,
  plan: (p, q) => ({ route: 'feature-space', stateBytes: procrustesStateBytes(p, q) }),
  computeWork: (p, q) => singularValueWork(p, q),
  measure(p, q, { backend, teacherName, studentName, memoryBudget }) {
    const bytes = procrustesStateBytes(p, q);
    if (bytes > memoryBudget) {
      throw errors.badValue(
        `Procrustes similarity of layer pair '${teacherName}':'${studentName}' (widths ${p} and ${q})`,
        `${bytes} bytes of statistics`,
        `at most the memory budget ${memoryBudget} bytes: raise ${opt('memoryBudget')} or pool the layers (e.g. gap)`,
      );
    }
    return {
      name: 'procrustes',
      update: (state, { x, y, rows }) => updateProcrustes(state, x, y, rows, backend),
      compute: async (state) => ({ value: procrustesValue(state, teacherName, studentName), estimator: 'exact', warnings: [] }),
      ...PROCRUSTES_STATE.bind({ p, q }),
    };
  },
};
