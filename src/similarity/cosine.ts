/**
 * Mean per-sample cosine similarity, each clipped to [0, 1] (the paper's choice for NLP
 * hidden states and time-series latents):
 *
 *     cos = (1/n) Σᵢ max(0, min(1, tᵢ·sᵢ / (‖tᵢ‖‖sᵢ‖)))
 *
 * Requires equal widths (p = q). Not centred, so a shared offset counts as similarity.
 * O(n·p), memory O(1).
 */
import { errors } from '../core/errors.js';
import { declareState, finite, fixed, integer, sum } from '../core/state.js';
import type { SimilaritySpec } from './spec.js';

export interface CosineState {
  n: number;
  p: number;
  sum: number;
}

/**
 * The state, declared once (src/core/state.ts): n and the sum of clipped cosines add, the
 * width must match (SHAPE_MISMATCH to merge); restored only with 0 ≤ sum ≤ n.
 */
const COSINE_STATE = declareState<CosineState>({
  measure: 'cosine',
  fields: {
    n: sum(integer()),
    p: fixed(integer(1), {
      merge: (a, b) => errors.shapeMismatch('merging cosine states', `width ${a.p}`, `width ${b.p}`),
      restore: (st, expected) => `width ${st.p} differs from the layer pair's ${expected.p}`,
    }),
    sum: sum(finite),
  },
  check: (st) => (st.sum < 0 || st.sum > st.n ? `sum must lie in [0, n = ${st.n}], got ${st.sum}` : null),
});

export function initCosine(p: number): CosineState {
  return COSINE_STATE.init({ p });
}

/**
 * Fold a batch (X, Y: b×p) in.
 * @throws UNDEFINED when a sample's teacher or student vector is all zeros (no direction).
 */
export function updateCosine(
  st: CosineState,
  x: Float64Array | Float32Array,
  y: Float64Array | Float32Array,
  rows: number,
  teacherName: string,
  studentName: string,
): void {
  const p = st.p;
  for (let i = 0; i < rows; i++) {
    let xy = 0;
    let xx = 0;
    let yy = 0;
    const o = i * p;
    for (let j = 0; j < p; j++) {
      const a = x[o + j]!;
      const b = y[o + j]!;
      xy += a * b;
      xx += a * a;
      yy += b * b;
    }
    if (xx === 0) throw errors.undefinedResult(`cosine similarity of teacher layer '${teacherName}'`, `sample ${st.n + i} is an all-zero vector`);
    if (yy === 0) throw errors.undefinedResult(`cosine similarity of student layer '${studentName}'`, `sample ${st.n + i} is an all-zero vector`);
    const c = xy / (Math.sqrt(xx) * Math.sqrt(yy));
    st.sum += c < 0 ? 0 : Math.min(c, 1);
  }
  st.n += rows;
}

export function cosineValue(st: CosineState): number {
  return st.sum / st.n;
}

/** `cosine` — mean clipped per-sample cosine (equal widths only). */
export const cosine: SimilaritySpec<CosineState> = {
  name: 'cosine',
  title: 'cosine similarity',
  description: "mean over samples of the cosine between the teacher's and the student's feature vectors, each clipped to [0, 1]; needs equal widths",
  bounds: [0, 1],
  estimators: ['per-sample-cosine'],
  equalWidths: true,
  checksFiniteItself: false,
  measure(p, q, { teacherName, studentName }) {
    if (p !== q) {
      throw errors.shapeMismatch(
        `cosine similarity of '${teacherName}' and '${studentName}'`,
        'equal teacher and student widths',
        `${p} and ${q} (use the cka similarity for different widths)`,
      );
    }
    return {
      name: 'cosine',
      ...COSINE_STATE.bind({ p }),
      update: (state, { x, y, rows }) => updateCosine(state, x, y, rows, teacherName, studentName),
      compute: async (state) => ({ value: cosineValue(state), estimator: 'per-sample-cosine', warnings: [] }),
    };
  },
};
