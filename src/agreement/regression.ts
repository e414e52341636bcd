/**
 * AOA for regression and time series: normalised MSE agreement (docs/formulas.md §"Regression normalised MSE").
 *
 *     AOA = max(0, 1 − MSE(T, S) / M) × 100
 *
 * MSE is the mean over all elements of (t − s)²; M is the given worst-case MSE (`mseMax`,
 * the paper's "max(MSE) observed during training") or, by default, the MSE of always
 * predicting the teacher's per-output mean: the mean over outputs of the population
 * variance of each teacher output.
 */

import { errors, fmtShape, opt } from '../core/errors.js';
import { computeOnce, configuredMeasure, type Measure } from '../core/measure.js';
import { declareState, integer, knownOnce, maxEach, minEach, pooledM2, pooledMean, sameOptions, sum } from '../core/state.js';
import { asTensor, sizeOf, type Tensor, type TensorLike } from '../core/tensor.js';
import { fixed } from '../core/units.js';
import { assertFinite, assertSameSamples } from '../core/validate.js';
import { numbers } from './common.js';
import { type AgreementOption, type AgreementSpec, declaredValue, overOutputs, requireOutputs } from './spec.js';

/** Options of {@link regressionAgreementMeasure} and {@link regressionAgreement}. */
export interface RegressionAgreementOptions {
  /** Worst-case MSE M (finite, > 0). Default: the teacher outputs' mean population variance. */
  mseMax?: number;
}

/** The options after defaults; stored in every state so that only like states merge. */
export interface RegressionAgreementConfig {
  readonly mseMax: number | null;
}

/** One batch: n×d outputs (rank 1 means d = 1; higher ranks are flattened per sample). */
export interface RegressionAgreementBatch {
  readonly teacher: Tensor;
  readonly student: Tensor;
}

/**
 * Running sums and per-output teacher moments (Welford/Chan: mean and M2 = Σ(x − mean)²,
 * merged with Chan et al.'s pairwise formula; min/max make a constant output exactly 0).
 */
export interface RegressionAgreementState {
  readonly config: RegressionAgreementConfig;
  /** Outputs per sample d, fixed by the first non-empty batch (null before). */
  d: number | null;
  /** Samples seen. */
  n: number;
  /** Σ (t − s)² over all elements. */
  sumSq: number;
  /** Σ |t − s| over all elements. */
  sumAbs: number;
  /** Per-output teacher mean. */
  mean: number[];
  /** Per-output Σ (t − mean)². */
  m2: number[];
  /** Per-output teacher minimum. */
  min: number[];
  /** Per-output teacher maximum. */
  max: number[];
}

/** What {@link regressionAgreement} reports. */
export interface RegressionAgreementResult {
  readonly metric: 'normalised-mse';
  /** max(0, 1 − mse/normaliser) × 100, in [0, 100]. */
  readonly aoa: number;
  /** Samples. */
  readonly n: number;
  /** Outputs per sample. */
  readonly outputs: number;
  /** Mean over all elements of (t − s)². */
  readonly mse: number;
  /** √mse. */
  readonly rmse: number;
  /** Mean over all elements of |t − s|. */
  readonly meanAbsError: number;
  /** M. */
  readonly normaliser: number;
  /** Where M came from: the mseMax option or the teacher's output variance. */
  readonly normaliserSource: 'mse-max' | 'teacher-variance';
}

const MEASURE = 'aoa-regression';
const VERSION = 1;

/** The options, declared once (flags, API schema and the check below come from here). */
const OPTIONS = {
  mseMax: {
    flag: '--mse-max',
    placeholder: 'm',
    help: 'regression: worst-case MSE normaliser',
    default: 'variance of the teacher outputs',
    valid: (v) => Number.isFinite(v) && v > 0,
    expected: 'a finite number > 0',
  },
} as const satisfies Record<string, AgreementOption>;

function resolveOptions(options: RegressionAgreementOptions = {}): RegressionAgreementConfig {
  return { mseMax: declaredValue('mseMax', OPTIONS.mseMax, options.mseMax) };
}

/**
 * The state, declared once (src/core/state.ts): the options must match; d is fixed by the
 * first non-empty batch; sums add; the teacher's per-output mean and M2 merge by Chan et al.'s
 * pairwise formula, min and max element-wise; a state with d = null (no samples) is the
 * identity of merge. JSON tagged aoa-regression v1, every array of length d.
 */
const STATE = declareState<RegressionAgreementState>({
  measure: MEASURE,
  version: VERSION,
  fields: {
    config: sameOptions((c) => resolveOptions({ mseMax: c.mseMax ?? undefined })),
    d: knownOnce(integer(1), 'output counts'),
    n: sum(),
    sumSq: sum(),
    sumAbs: sum(),
    mean: pooledMean('n', outputs),
    m2: pooledM2('n', 'mean', outputs),
    min: minEach(outputs),
    max: maxEach(outputs),
  },
  isEmpty: (s) => s.d === null,
  check: (s) => (s.d === null && s.n !== 0 ? 'n must be 0 when d is null' : null),
});

/** The length of the per-output arrays: d, or 0 before the first batch. */
function outputs(s: Partial<RegressionAgreementState>): number {
  return s.d ?? 0;
}

/** Per-sample width, treating rank 1 as d = 1. */
function widthOf(t: Tensor, what: string): number {
  if (t.shape.length < 1) throw errors.shapeMismatch(what, 'rank ≥ 1 (n, or n×d)', `shape ${fmtShape(t.shape)}`);
  return sizeOf(t.shape.slice(1));
}

/** Fold moments (nb, meanB, m2B) into (na, meanA, m2A) per output, Chan et al. (1979). */
function chan(na: number, meanA: number, m2A: number, nb: number, meanB: number, m2B: number): [number, number] {
  const n = na + nb;
  if (nb === 0) return [meanA, m2A];
  if (na === 0) return [meanB, m2B];
  const delta = meanB - meanA;
  return [meanA + delta * (nb / n), m2A + m2B + delta * delta * ((na * nb) / n)];
}

function updateState(state: RegressionAgreementState, batch: RegressionAgreementBatch): void {
  const { teacher, student } = batch;
  assertSameSamples(teacher, student, 'regression outputs');
  const d = widthOf(teacher, 'teacher outputs');
  const ds = widthOf(student, 'student outputs');
  const tRest = teacher.shape.length === 1 ? [1] : teacher.shape.slice(1);
  const sRest = student.shape.length === 1 ? [1] : student.shape.slice(1);
  if (d !== ds || tRest.length !== sRest.length || tRest.some((v, i) => v !== sRest[i])) {
    throw errors.shapeMismatch(
      'regression outputs',
      'teacher and student shapes to match',
      `teacher ${fmtShape(teacher.shape)}, student ${fmtShape(student.shape)}`,
    );
  }
  const n = teacher.shape[0]!;
  if (n === 0) return;
  if (d === 0) throw errors.shapeMismatch('regression outputs', 'at least one output per sample', `shape ${fmtShape(teacher.shape)}`);
  if (state.d !== null && state.d !== d) {
    throw errors.shapeMismatch(
      'regression outputs across batches',
      `${state.d} outputs per sample as in earlier batches`,
      `${d} (shape ${fmtShape(teacher.shape)})`,
    );
  }
  assertFinite(teacher, 'teacher outputs');
  assertFinite(student, 'student outputs');
  const T = numbers(teacher);
  const S = numbers(student);

  // Batch moments by two passes (exact mean first), then Chan-merged into the state.
  const bMean = new Float64Array(d);
  const bM2 = new Float64Array(d);
  const bMin = new Float64Array(d).fill(Infinity);
  const bMax = new Float64Array(d).fill(-Infinity);
  let sumSq = 0;
  let sumAbs = 0;
  for (let i = 0; i < n; i++) {
    const off = i * d;
    for (let j = 0; j < d; j++) {
      const t = T[off + j]!;
      const e = t - S[off + j]!;
      sumSq += e * e;
      sumAbs += Math.abs(e);
      bMean[j] += t;
      if (t < bMin[j]!) bMin[j] = t;
      if (t > bMax[j]!) bMax[j] = t;
    }
  }
  for (let j = 0; j < d; j++) bMean[j] = bMean[j]! / n;
  for (let i = 0; i < n; i++) {
    const off = i * d;
    for (let j = 0; j < d; j++) {
      const dev = T[off + j]! - bMean[j]!;
      bM2[j] += dev * dev;
    }
  }
  if (state.d === null) {
    state.d = d;
    state.mean = new Array<number>(d).fill(0);
    state.m2 = new Array<number>(d).fill(0);
    state.min = new Array<number>(d).fill(Infinity);
    state.max = new Array<number>(d).fill(-Infinity);
  }
  for (let j = 0; j < d; j++) {
    const [mean, m2] = chan(state.n, state.mean[j]!, state.m2[j]!, n, bMean[j]!, bM2[j]!);
    state.mean[j] = mean;
    state.m2[j] = m2;
    state.min[j] = Math.min(state.min[j]!, bMin[j]!);
    state.max[j] = Math.max(state.max[j]!, bMax[j]!);
  }
  state.n += n;
  state.sumSq += sumSq;
  state.sumAbs += sumAbs;
}

/** Mean over outputs of the teacher's population variance; a constant output counts exactly 0. */
function teacherVariance(state: RegressionAgreementState): number {
  const d = state.d!;
  let s = 0;
  for (let j = 0; j < d; j++) {
    if (state.min[j] === state.max[j]) continue;
    s += state.m2[j]! / state.n;
  }
  return s / d;
}

function computeState(state: RegressionAgreementState): RegressionAgreementResult {
  if (state.n === 0 || state.d === null) throw errors.undefinedResult('regression AOA', 'no samples were given');
  const count = state.n * state.d;
  const mse = state.sumSq / count;
  let normaliser: number;
  let normaliserSource: 'mse-max' | 'teacher-variance';
  if (state.config.mseMax !== null) {
    normaliser = state.config.mseMax;
    normaliserSource = 'mse-max';
  } else {
    normaliser = teacherVariance(state);
    normaliserSource = 'teacher-variance';
    if (!(normaliser > 0)) {
      throw errors.undefinedResult(
        'regression AOA (normalised MSE)',
        `the teacher's outputs are constant over all ${state.n} samples, so their variance (the default normaliser M) is 0; pass the worst-case MSE as ${opt('mseMax')}`,
      );
    }
  }
  return {
    metric: 'normalised-mse',
    aoa: Math.max(0, 1 - mse / normaliser) * 100,
    n: state.n,
    outputs: state.d,
    mse,
    rmse: Math.sqrt(mse),
    meanAbsError: state.sumAbs / count,
    normaliser,
    normaliserSource,
  };
}

/**
 * The streaming regression-agreement measure (AOA for regression and time series).
 *
 * Formula: AOA = max(0, 1 − MSE/M) × 100 with MSE = mean over all n·d elements of (t − s)²
 * and M = `mseMax` if given, else mean_j Var_pop(tⱼ) (the MSE of always predicting the
 * teacher's per-output mean; for d = 1 the teacher's population variance). The variance is
 * accumulated with Welford/Chan updates (batch two-pass moments merged pairwise), never as
 * Σx² − (Σx)², so a large offset does not cancel precision.
 *
 * Edge cases: rank-1 inputs are n×1; higher ranks are flattened per sample (teacher and
 * student shapes must match). MSE > M clamps AOA to 0. A teacher constant on every output
 * without mseMax makes M = 0: an UNDEFINED error suggesting mseMax (an output that is
 * constant contributes exactly 0 to M, detected from its min = max).
 *
 * Complexity: O(n·d) per batch; the state is O(d).
 *
 * @throws KrsError BAD_OPTION (mseMax not finite > 0), SHAPE_MISMATCH (sample counts, shapes,
 *   d changing across batches), NON_FINITE (NaN/±Inf), UNDEFINED (no samples; constant teacher
 *   without mseMax).
 *
 * @example
 * const m = regressionAgreementMeasure({ mseMax: 4.2 });
 * const s = m.init();
 * for (const b of batches) m.update(s, b); // { teacher: n×d, student: n×d }
 * m.compute(s); // { aoa, mse, normaliser: 4.2, normaliserSource: 'mse-max', … }
 */
export function regressionAgreementMeasure(
  options: RegressionAgreementOptions = {},
): Measure<RegressionAgreementState, RegressionAgreementBatch, RegressionAgreementResult> {
  return configuredMeasure(MEASURE, STATE, resolveOptions(options), updateState, computeState);
}

/**
 * Regression agreement in one call (AOA for regression and time series):
 * `compute(update(init(), {teacher, student}))` of {@link regressionAgreementMeasure}.
 *
 * Formula: AOA = max(0, 1 − MSE/M) × 100, M = mseMax or the teacher's mean per-output
 * population variance. Edge cases as in {@link regressionAgreementMeasure}. Complexity O(n·d).
 *
 * @throws KrsError — see {@link regressionAgreementMeasure}.
 *
 * @example
 * const t = tensor(new Float64Array([1, 2, 3, 4]), [4]);
 * const s = tensor(new Float64Array([1, 2, 3, 5]), [4]);
 * regressionAgreement(t, s).aoa; // MSE 0.25, Var 1.25 → 80
 */
export function regressionAgreement(teacher: TensorLike, student: TensorLike, options: RegressionAgreementOptions = {}): RegressionAgreementResult {
  return computeOnce(regressionAgreementMeasure(options), {
    teacher: asTensor(teacher, 'teacher predictions'),
    student: asTensor(student, 'student predictions'),
  });
}

/** `normalised-mse` — AOA of regression outputs: 1 − MSE / M, clipped at 0. */
export const regressionAgreementSpec: AgreementSpec<RegressionAgreementOptions, RegressionAgreementResult> = {
  name: 'normalised-mse',
  title: 'normalised-MSE agreement',
  description: "max(0, 1 − MSE(teacher, student) / M), M the worst-case MSE (by default the variance of the teacher's outputs)",
  bounds: [0, 1],
  options: OPTIONS,
  measure: (options) => overOutputs(regressionAgreementMeasure(options), (b) => requireOutputs(b, 'normalised-mse')),
  summary: (r) =>
    `normalised MSE: MSE ${fixed(r.mse, 6)} / ${r.normaliserSource === 'mse-max' ? 'given worst-case MSE' : 'teacher variance'} ${fixed(r.normaliser, 6)}`,
  meaning: (r) =>
    `AOA = ${fixed(r.aoa, 1)} is the agreement of the student's predictions with the teacher's: 1 − MSE/M, × 100 (M: ${r.normaliserSource === 'mse-max' ? 'the given worst-case MSE' : "the variance of the teacher's predictions"}); 100 = identical predictions, 0 = no closer than predicting the teacher's mean.`,
};
