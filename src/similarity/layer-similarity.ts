/**
 * Similarity of one teacher layer and one student layer, as a streaming Measure.
 *
 * Chooses the estimator from the similarity and the widths:
 * - `cka`, `cka-debiased`: exact feature-space statistics over the whole data set
 *   ({@link LinearStats}) while max(p, q) ≤ `maxExactWidth` (default 4096: three float64
 *   matrices of at most 4096² entries); wider layers use the minibatch unbiased-HSIC
 *   estimator ({@link MinibatchHsicState}), and the result's `estimator` says so.
 * - `cka-rbf`: Gaussian-kernel CKA on all samples (kept in memory).
 * - `cosine`: mean clipped per-sample cosine; needs p = q.
 *
 * Activations are pooled to n × p float64 matrices by {@link featureMatrix}.
 */
import { errors } from '../core/errors.js';
import type { MatrixBackend } from '../linalg/backend.js';
import { typescriptBackend } from '../linalg/typescript-backend.js';
import type { Measure } from '../core/measure.js';
import type { Tensor } from '../core/tensor.js';
import { assertFinite, assertSameSamples } from '../core/validate.js';
import { assertNotConstant, debiasedCkaFromCentred, linearCkaFromCentred } from './cka.js';
import { initRbf, mergeRbf, rbfCka, rbfFromJSON, rbfToJSON, updateRbf, type RbfState } from './cka-rbf.js';
import { cosineValue, initCosine, mergeCosine, updateCosine, type CosineState } from './cosine.js';
import { featureMatrix, pooledWidth, type Pooling } from './features.js';
import { centre, initLinearStats, linearStatsFromJSON, linearStatsToJSON, mergeLinearStats, updateLinearStats, type LinearStats } from './linear-stats.js';
import { initMinibatchHsic, mergeMinibatchHsic, minibatchCka, updateMinibatchHsic, type MinibatchHsicState } from './minibatch-hsic.js';

export type Similarity = 'cka' | 'cka-debiased' | 'cka-rbf' | 'cosine';
export const SIMILARITIES: readonly Similarity[] = ['cka', 'cka-debiased', 'cka-rbf', 'cosine'];

/** Which computation produced a score. */
export type Estimator = 'exact' | 'minibatch-unbiased-hsic' | 'rbf-gram' | 'per-sample-cosine';

export const DEFAULT_MAX_EXACT_WIDTH = 4096;
export const DEFAULT_RBF_THRESHOLD = 0.8;

export interface LayerSimilarityOptions {
  similarity?: Similarity;
  pool?: Pooling;
  channelsLast?: boolean;
  backend?: MatrixBackend;
  /** Widest layer for exact CKA statistics; wider ones use the minibatch estimator. */
  maxExactWidth?: number;
  /** θ of cka-rbf (σ = θ·√median squared distance). */
  rbfThreshold?: number;
  teacherName?: string;
  studentName?: string;
}

export interface LayerBatch {
  teacher: Tensor;
  student: Tensor;
  /** (N, T) 0/1 token masks for `mean` pooling of sequences. */
  teacherMask?: Tensor;
  studentMask?: Tensor;
}

export interface LayerSimilarityResult {
  similarity: Similarity;
  estimator: Estimator;
  /** The similarity as a fraction (CKA and cosine lie in [0, 1]; debiased CKA may dip below 0). */
  score: number;
  n: number;
  teacherWidth: number;
  studentWidth: number;
  /** Number of minibatches (minibatch estimator only). */
  batches?: number;
  warnings: string[];
}

export type LayerState =
  | { mode: 'empty' }
  | { mode: 'exact'; stats: LinearStats }
  | { mode: 'minibatch'; stats: MinibatchHsicState }
  | { mode: 'rbf'; stats: RbfState }
  | { mode: 'cosine'; stats: CosineState };

/**
 * The streaming similarity of one layer pair.
 *
 * @example
 *   const m = layerSimilarity({ similarity: 'cka' });
 *   const s = m.init();
 *   for (const batch of batches) await m.update(s, batch);
 *   const { score } = await m.compute(s);
 * @throws (from update/compute) SHAPE_MISMATCH for differing sample counts or widths,
 *   NON_FINITE for NaN/Inf, UNDEFINED for constant layers, BAD_VALUE for minibatches < 4.
 */
export function layerSimilarity(options: LayerSimilarityOptions = {}): Measure<LayerState, LayerBatch, Promise<LayerSimilarityResult>> {
  const similarity = options.similarity ?? 'cka';
  const backend = options.backend ?? typescriptBackend;
  const maxExactWidth = options.maxExactWidth ?? DEFAULT_MAX_EXACT_WIDTH;
  const threshold = options.rbfThreshold ?? DEFAULT_RBF_THRESHOLD;
  const tName = options.teacherName ?? 'teacher';
  const sName = options.studentName ?? 'student';
  if (!SIMILARITIES.includes(similarity)) throw errors.badOption('--similarity', similarity, SIMILARITIES.join(', '));
  if (!(threshold > 0)) throw errors.badOption('--rbf-threshold', threshold, 'a number > 0');

  const modeFor = (p: number, q: number): LayerState['mode'] => {
    if (similarity === 'cosine') return 'cosine';
    if (similarity === 'cka-rbf') return 'rbf';
    return Math.max(p, q) <= maxExactWidth ? 'exact' : 'minibatch';
  };

  const start = (p: number, q: number): LayerState => {
    const mode = modeFor(p, q);
    if (mode === 'cosine') {
      if (p !== q) {
        throw errors.shapeMismatch(
          `cosine similarity of '${tName}' and '${sName}'`,
          'equal teacher and student widths',
          `${p} and ${q} (use --similarity cka for different widths)`,
        );
      }
      return { mode, stats: initCosine(p) };
    }
    if (mode === 'rbf') return { mode, stats: initRbf(p, q) };
    if (mode === 'exact') return { mode, stats: initLinearStats(p, q, similarity === 'cka-debiased') };
    return { mode: 'minibatch', stats: initMinibatchHsic(p, q) };
  };

  return {
    name: `layer-similarity(${similarity})`,
    init: () => ({ mode: 'empty' }),

    async update(state, batch) {
      assertSameSamples(batch.teacher, batch.student, `layer pair '${tName}':'${sName}'`);
      const tWhat = `teacher layer '${tName}'`;
      const sWhat = `student layer '${sName}'`;
      // Exact CKA sums every column before multiplying: NaN/Inf show there, so the
      // element-by-element check runs only to locate them.
      const feature = { pool: options.pool, channelsLast: options.channelsLast };
      const mode = state.mode === 'empty' ? modeFor(pooledWidth(batch.teacher.shape, feature), pooledWidth(batch.student.shape, feature)) : state.mode;
      const checkFinite = mode !== 'exact';
      const x = featureMatrix(batch.teacher, tWhat, { ...feature, mask: batch.teacherMask, checkFinite });
      const y = featureMatrix(batch.student, sWhat, { ...feature, mask: batch.studentMask, checkFinite });
      if (state.mode === 'empty') Object.assign(state, start(x.cols, y.cols));
      const s = state as Exclude<LayerState, { mode: 'empty' }>;
      const [p, q] = widths(s);
      if (x.cols !== p || y.cols !== q) {
        throw errors.shapeMismatch(`layer pair '${tName}':'${sName}'`, `widths ${p} and ${q} as in earlier batches`, `${x.cols} and ${y.cols}`);
      }
      const rows = x.rows;
      const xd = x.data;
      const yd = y.data;
      switch (s.mode) {
        case 'exact':
          return updateLinearStats(s.stats, xd, yd, rows, backend, () => {
            assertFinite(batch.teacher, tWhat);
            assertFinite(batch.student, sWhat);
            throw errors.badValue(`column sums of '${tName}' or '${sName}'`, 'infinite', 'finite sums (values too large for float64)');
          });
        case 'minibatch':
          return updateMinibatchHsic(s.stats, xd, yd, rows, backend);
        case 'rbf':
          return updateRbf(s.stats, xd, yd, rows);
        case 'cosine':
          return updateCosine(s.stats, xd, yd, rows, tName, sName);
      }
    },

    async compute(state) {
      if (state.mode === 'empty' || sampleCount(state) === 0) {
        throw errors.undefinedResult(`similarity of '${tName}' and '${sName}'`, 'no samples were seen');
      }
      const [p, q] = widths(state);
      const n = sampleCount(state);
      const base = { similarity, n, teacherWidth: p, studentWidth: q };
      const warnings: string[] = [];
      if (state.mode === 'exact') {
        const c = centre(state.stats);
        assertNotConstant(c, tName, sName);
        if (similarity === 'cka') {
          if (Math.max(p, q) > n) {
            warnings.push(
              `layer pair '${tName}':'${sName}' is wider (${Math.max(p, q)}) than the sample count (${n}): biased CKA is inflated; consider --similarity cka-debiased`,
            );
          }
          return { ...base, estimator: 'exact', score: linearCkaFromCentred(c), warnings };
        }
        return { ...base, estimator: 'exact', score: debiasedCkaFromCentred(c, tName, sName), warnings };
      }
      if (state.mode === 'minibatch') {
        warnings.push(
          `layer pair '${tName}':'${sName}' is too wide for exact CKA (${Math.max(p, q)} > ${maxExactWidth}): used the minibatch unbiased-HSIC estimator over ${state.stats.batches} batches`,
        );
        return { ...base, estimator: 'minibatch-unbiased-hsic', score: minibatchCka(state.stats, tName, sName), batches: state.stats.batches, warnings };
      }
      if (state.mode === 'rbf') {
        return { ...base, estimator: 'rbf-gram', score: await rbfCka(state.stats, threshold, backend, tName, sName), warnings };
      }
      return { ...base, estimator: 'per-sample-cosine', score: cosineValue(state.stats), warnings };
    },

    merge(a, b) {
      if (a.mode === 'empty') return cloneState(b, this);
      if (b.mode === 'empty') return cloneState(a, this);
      if (a.mode !== b.mode) throw errors.shapeMismatch(`merging states of '${tName}':'${sName}'`, `estimator ${a.mode}`, `estimator ${b.mode}`);
      switch (a.mode) {
        case 'exact':
          return { mode: 'exact', stats: mergeLinearStats(a.stats, (b as typeof a).stats) };
        case 'minibatch':
          return { mode: 'minibatch', stats: mergeMinibatchHsic(a.stats, (b as typeof a).stats) };
        case 'rbf':
          return { mode: 'rbf', stats: mergeRbf(a.stats, (b as typeof a).stats) };
        case 'cosine':
          return { mode: 'cosine', stats: mergeCosine(a.stats, (b as typeof a).stats) };
      }
    },

    toJSON(state) {
      switch (state.mode) {
        case 'empty':
          return { mode: 'empty' };
        case 'exact':
          return { mode: 'exact', stats: linearStatsToJSON(state.stats) };
        case 'rbf':
          return { mode: 'rbf', stats: rbfToJSON(state.stats) };
        default:
          return { mode: state.mode, stats: { ...state.stats } };
      }
    },

    fromJSON(json) {
      const o = json as { mode?: string; stats?: unknown };
      switch (o?.mode) {
        case 'empty':
          return { mode: 'empty' };
        case 'exact':
          return { mode: 'exact', stats: linearStatsFromJSON(o.stats) };
        case 'rbf':
          return { mode: 'rbf', stats: rbfFromJSON(o.stats) };
        case 'minibatch':
          return { mode: 'minibatch', stats: { ...(o.stats as MinibatchHsicState) } };
        case 'cosine':
          return { mode: 'cosine', stats: { ...(o.stats as CosineState) } };
        default:
          throw errors.badValue('serialised layer-similarity state mode', o?.mode, 'empty, exact, minibatch, rbf or cosine');
      }
    },
  };
}

function widths(s: Exclude<LayerState, { mode: 'empty' }>): [number, number] {
  return s.mode === 'cosine' ? [s.stats.p, s.stats.p] : [s.stats.p, s.stats.q];
}

function sampleCount(s: Exclude<LayerState, { mode: 'empty' }>): number {
  return s.stats.n;
}

function cloneState(s: LayerState, m: Measure<LayerState, LayerBatch, unknown>): LayerState {
  return m.fromJSON(JSON.parse(JSON.stringify(m.toJSON(s))));
}

/**
 * One-shot similarity of two activation tensors (all samples at once).
 * @example await similarityOf(teacherActs, studentActs, { similarity: 'cka' }) // → 0.557…
 */
export async function similarityOf(teacher: Tensor, student: Tensor, options: LayerSimilarityOptions = {}): Promise<LayerSimilarityResult> {
  const m = layerSimilarity(options);
  const s = m.init();
  await m.update(s, { teacher, student });
  return m.compute(s);
}
