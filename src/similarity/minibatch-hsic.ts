/**
 * Minibatch CKA with the unbiased HSIC estimator (Nguyen, Raghu & Kornblith, 2021), for
 * layers too wide for exact feature-space statistics.
 *
 * For each batch of b ≥ 4 samples with Gram matrices K = XXᵀ, L = YYᵀ and their
 * zero-diagonal versions K̃, L̃:
 *
 *     HSIC₁(K,L) = [tr(K̃L̃) + (1ᵀK̃1)(1ᵀL̃1)/((b−1)(b−2)) − 2·1ᵀK̃L̃1/(b−2)] / (b(b−3))
 *
 * HSIC₁(K,L), HSIC₁(K,K) and HSIC₁(L,L) are averaged over batches, then
 * CKA = mean HSIC₁(K,L) / √(mean HSIC₁(K,K) · mean HSIC₁(L,L)).
 * The estimate depends (weakly) on the batch size, unlike the exact estimators.
 * HSIC₁ is invariant to shifting the features; batches are centred anyway for accuracy.
 * Memory O(b²); update O(b²·(p+q)).
 */

import { errors } from '../core/errors.js';
import { declareState, finite, fixed, integer, sum } from '../core/state.js';
import type { MatrixBackend } from '../linalg/backend.js';
import { columnMeans } from '../linalg/vector.js';

export interface MinibatchHsicState {
  n: number;
  batches: number;
  p: number;
  q: number;
  hxy: number;
  hxx: number;
  hyy: number;
}

export const MIN_MINIBATCH = 4;

const widthsDiffer = (a: MinibatchHsicState, b: MinibatchHsicState) =>
  errors.shapeMismatch('merging minibatch CKA states', `widths ${a.p}×${a.q}`, `widths ${b.p}×${b.q}`);

/**
 * The state, declared once (src/core/state.ts): sample and batch counts and the three HSIC₁
 * sums add; the widths must match (SHAPE_MISMATCH); restored only with n ≥ 4 per batch.
 */
export const MINIBATCH_HSIC_STATE = declareState<MinibatchHsicState>({
  measure: 'minibatch-hsic',
  fields: {
    n: sum(integer()),
    batches: sum(integer()),
    p: fixed(integer(1), { merge: widthsDiffer }),
    q: fixed(integer(1), { merge: widthsDiffer }),
    hxy: sum(finite),
    hxx: sum(finite),
    hyy: sum(finite),
  },
  check: (st) => (st.n < MIN_MINIBATCH * st.batches ? `${st.batches} batches need at least ${MIN_MINIBATCH * st.batches} samples, got n = ${st.n}` : null),
});

export function initMinibatchHsic(p: number, q: number): MinibatchHsicState {
  return MINIBATCH_HSIC_STATE.init({ p, q });
}

/** HSIC₁ of two b×b Gram matrices (row-major). O(b²). */
export function unbiasedHsic(k: Float64Array, l: Float64Array, b: number): number {
  let tr = 0;
  let sk = 0;
  let sl = 0;
  let rowProducts = 0;
  for (let i = 0; i < b; i++) {
    let ki = 0;
    let li = 0;
    const o = i * b;
    for (let j = 0; j < b; j++) {
      if (j === i) continue;
      const kij = k[o + j]!;
      const lij = l[o + j]!;
      tr += kij * lij;
      ki += kij;
      li += lij;
    }
    sk += ki;
    sl += li;
    rowProducts += ki * li;
  }
  return (tr + (sk * sl) / ((b - 1) * (b - 2)) - (2 * rowProducts) / (b - 2)) / (b * (b - 3));
}

/**
 * Fold one minibatch (X: b×p, Y: b×q) into the state.
 * @throws BAD_VALUE when b < 4 (the estimator divides by b(b−3)).
 */
export async function updateMinibatchHsic(
  st: MinibatchHsicState,
  x: Float64Array | Float32Array,
  y: Float64Array | Float32Array,
  rows: number,
  backend: MatrixBackend,
): Promise<void> {
  if (rows < MIN_MINIBATCH) {
    throw errors.badValue('minibatch size', rows, `at least ${MIN_MINIBATCH} samples (the unbiased HSIC estimator divides by b(b−3))`);
  }
  const mx = { rows, cols: st.p, data: x, shift: columnMeans(x, rows, st.p) };
  const my = { rows, cols: st.q, data: y, shift: columnMeans(y, rows, st.q) };
  const [k, l] = await backend.products([
    { op: 'ABt', a: mx, b: mx },
    { op: 'ABt', a: my, b: my },
  ]);
  st.hxy += unbiasedHsic(k!, l!, rows);
  st.hxx += unbiasedHsic(k!, k!, rows);
  st.hyy += unbiasedHsic(l!, l!, rows);
  st.n += rows;
  st.batches += 1;
}

/** The minibatch CKA estimate. @throws UNDEFINED when a side's mean HSIC₁ is ≤ 0 (constant layer). */
export function minibatchCka(st: MinibatchHsicState, teacherName: string, studentName: string): number {
  if (!(st.hxx > 0))
    throw errors.undefinedResult(`CKA of teacher layer '${teacherName}'`, `mean unbiased HSIC(X,X) = ${st.hxx / st.batches} ≤ 0 (constant features?)`);
  if (!(st.hyy > 0))
    throw errors.undefinedResult(`CKA of student layer '${studentName}'`, `mean unbiased HSIC(Y,Y) = ${st.hyy / st.batches} ≤ 0 (constant features?)`);
  return st.hxy / Math.sqrt(st.hxx * st.hyy);
}
