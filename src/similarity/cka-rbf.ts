/**
 * CKA with Gaussian (RBF) kernels, biased HSIC (Kornblith et al., 2019, reference code):
 *
 *     D_ij = ‖xᵢ − xⱼ‖²,  m = median of all n² entries of D (diagonal included),
 *     K_ij = exp(−D_ij / (2σ²)),  σ = θ·√m,
 *     CKA = ⟨HKH, HLH⟩_F / (‖HKH‖_F · ‖HLH‖_F)
 *
 * θ is the `threshold` (the CLI's --rbf-threshold, default 0.8). The kernel needs all
 * samples at once, so the state keeps every feature row: memory O(n·(p+q) + n²), compute
 * O(n²·(p+q)); n is limited by the memory budget ({@link maxRbfSamples}): the kernel is exact
 * up to that n, and an error beyond it says so.
 */

import { errors, opt } from '../core/errors.js';
import { concat as concatChunks, declareState, fixed, integer, sum } from '../core/state.js';
import type { MatrixBackend } from '../linalg/backend.js';
import type { SimilaritySpec } from './spec.js';

/** n×n float64 matrices RBF CKA holds at once (distances/kernel and the two centred Grams). */
const RBF_MATRICES = 3;

/** The largest n whose kernels fit `memoryBudget` bytes: ⌊√(budget / (3·8))⌋ (13 377 for 4 GiB). */
export function maxRbfSamples(memoryBudget: number): number {
  return Math.floor(Math.sqrt(memoryBudget / (RBF_MATRICES * 8)));
}

export interface RbfState {
  n: number;
  p: number;
  q: number;
  xs: Float64Array[];
  ys: Float64Array[];
}

const widthsDiffer = (a: RbfState, b: RbfState) => errors.shapeMismatch('merging RBF CKA states', `widths ${a.p}×${a.q}`, `widths ${b.p}×${b.q}`);
const widthsRestore = (st: RbfState, pair: Partial<RbfState>) => `widths ${st.p} and ${st.q} differ from the layer pair's ${pair.p} and ${pair.q}`;

/**
 * The state, declared once (src/core/state.ts): every sample's rows, chunk by chunk in sample
 * order (merged by concatenation, stored exactly); the widths must match; restored only when
 * the chunks hold n rows of each width.
 */
const RBF_STATE = declareState<RbfState>({
  measure: 'cka-rbf',
  fields: {
    n: sum(integer()),
    p: fixed(integer(1), { merge: widthsDiffer, restore: widthsRestore }),
    q: fixed(integer(1), { merge: widthsDiffer, restore: widthsRestore }),
    xs: concatChunks(),
    ys: concatChunks(),
  },
  check(st) {
    if (st.xs.length !== st.ys.length) return 'xs and ys must be arrays of equal length';
    const rows = (chunks: Float64Array[], width: number) => chunks.reduce((a, c) => a + c.length / width, 0);
    return rows(st.xs, st.p) !== st.n || rows(st.ys, st.q) !== st.n ? `the stored rows do not hold n = ${st.n} samples of widths ${st.p} and ${st.q}` : null;
  },
});

/** Keep a copy of the batch's rows. @throws BAD_VALUE past `maxSamples` samples. */
function updateRbf(st: RbfState, x: Float64Array | Float32Array, y: Float64Array | Float32Array, rows: number, maxSamples: number): void {
  if (st.n + rows > maxSamples) throw tooManyForRbf(st.n + rows, maxSamples);
  st.xs.push(Float64Array.from(x));
  st.ys.push(Float64Array.from(y));
  st.n += rows;
}

function tooManyForRbf(n: number, maxSamples: number) {
  return errors.badValue(
    'sample count for cka-rbf',
    n,
    `at most ${maxSamples}: exact RBF CKA holds ${RBF_MATRICES} n×n float64 matrices within the memory budget (raise ${opt('memoryBudget')}, use fewer samples, or use cka / cka-debiased)`,
  );
}

/** {@link RBF_STATE}'s merge, refused past `maxSamples` samples. */
function mergeRbf(a: RbfState, b: RbfState, maxSamples = Number.POSITIVE_INFINITY): RbfState {
  RBF_STATE.assertSame(a, b, 'merge');
  if (a.n + b.n > maxSamples) throw tooManyForRbf(a.n + b.n, maxSamples);
  return RBF_STATE.merge(a, b);
}

function concat(chunks: Float64Array[], total: number): Float64Array {
  const out = new Float64Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** Median as NumPy defines it (mean of the two middle values for an even count). O(N) expected. */
export function median(values: Float64Array): number {
  const a = Float64Array.from(values);
  const n = a.length;
  const hi = select(a, n >> 1);
  if (n % 2 === 1) return hi;
  // After selection every element left of n/2 is ≤ hi: the lower middle is their maximum.
  let lo = -Infinity;
  for (let i = 0; i < n >> 1; i++) if (a[i]! > lo) lo = a[i]!;
  return (lo + hi) / 2;
}

/** k-th smallest (0-based), partially reordering `a` (Hoare quickselect, median-of-three). */
function select(a: Float64Array, k: number): number {
  let left = 0;
  let right = a.length - 1;
  while (right > left) {
    const mid = (left + right) >> 1;
    const pivot = medianOf3(a[left]!, a[mid]!, a[right]!);
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return a[k]!;
  }
  return a[k]!;
}

function medianOf3(a: number, b: number, c: number): number {
  return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
}

/** Centred RBF Gram matrix HKH of rows X (n×p). */
async function centredRbfGram(x: Float64Array, n: number, p: number, threshold: number, backend: MatrixBackend, what: string): Promise<Float64Array> {
  const m = { rows: n, cols: p, data: x };
  const [g] = await backend.products([{ op: 'ABt', a: m, b: m }]);
  const gram = g!;
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) d[i * n + j] = gram[i * n + i]! + gram[j * n + j]! - 2 * gram[i * n + j]!;
  }
  const med = median(d);
  if (!(med > 0)) throw errors.undefinedResult(`RBF CKA of ${what}`, 'the median squared distance between samples is 0 (constant or mostly repeated features)');
  const scale = 1 / (2 * threshold * threshold * med);
  const k = d;
  for (let i = 0; i < k.length; i++) k[i] = Math.exp(-k[i]! * scale);
  const rowMean = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += k[i * n + j]!;
    rowMean[i] = s / n;
    total += s;
  }
  const grand = total / (n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) k[i * n + j] = k[i * n + j]! - rowMean[i]! - rowMean[j]! + grand;
  return k;
}

/** RBF CKA of the stored rows. @throws UNDEFINED for constant features. */
async function rbfCka(st: RbfState, threshold: number, backend: MatrixBackend, teacherName: string, studentName: string): Promise<number> {
  const x = concat(st.xs, st.n * st.p);
  const y = concat(st.ys, st.n * st.q);
  const kc = await centredRbfGram(x, st.n, st.p, threshold, backend, `teacher layer '${teacherName}'`);
  const lc = await centredRbfGram(y, st.n, st.q, threshold, backend, `student layer '${studentName}'`);
  let kl = 0;
  let kk = 0;
  let ll = 0;
  for (let i = 0; i < kc.length; i++) {
    kl += kc[i]! * lc[i]!;
    kk += kc[i]! * kc[i]!;
    ll += lc[i]! * lc[i]!;
  }
  return kl / Math.sqrt(kk * ll);
}

/** Default θ of the median heuristic, as in Kornblith et al.'s reference code. */
export const DEFAULT_RBF_THRESHOLD = 0.8;

/** `cka-rbf` — CKA with Gaussian kernels (all samples kept; n ≤ {@link maxRbfSamples} of the memory budget). */
export const ckaRbf: SimilaritySpec<RbfState, { rbfThreshold: number }> = {
  name: 'cka-rbf',
  title: 'RBF CKA',
  description: 'CKA with Gaussian kernels (bandwidth θ·√median squared distance): sensitive to non-linear structure; needs all samples in memory',
  bounds: [0, 1],
  estimators: ['rbf-gram'],
  equalWidths: false,
  checksFiniteItself: false,
  options: {
    rbfThreshold: {
      flag: '--rbf-threshold',
      placeholder: 'θ',
      help: 'σ = θ·√(median squared distance)',
      default: DEFAULT_RBF_THRESHOLD,
      valid: (v) => v > 0 && Number.isFinite(v),
      expected: 'a finite number > 0',
    },
  },
  plan: () => ({ route: 'rbf' }),
  measure(p, q, { backend, teacherName, studentName, memoryBudget }, { rbfThreshold }) {
    const maxSamples = maxRbfSamples(memoryBudget);
    return {
      name: 'cka-rbf',
      keepsRows: () => true,
      update: (state, { x, y, rows }) => updateRbf(state, x, y, rows, maxSamples),
      async compute(state) {
        if (state.n < 3) {
          throw errors.undefinedResult(
            `RBF CKA of '${teacherName}':'${studentName}'`,
            `it needs at least 3 samples (with 2, the centred kernels have rank 1 and CKA is 1 for any data), got ${state.n}`,
          );
        }
        return { value: await rbfCka(state, rbfThreshold, backend, teacherName, studentName), estimator: 'rbf-gram', warnings: [] };
      },
      ...RBF_STATE.bind({ p, q }),
      merge: (a, b) => mergeRbf(a, b, maxSamples),
    };
  },
};
