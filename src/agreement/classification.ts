/**
 * AOA for classification and NLP: softmax KL agreement (docs/formulas.md §"KL agreement (classification, NLP)").
 *
 *     p = softmax(z / τ)                       (computed from log-softmax, max-subtracted)
 *     KLᵢ = Σ_c pᵀ_c (log pᵀ_c − log pˢ_c)      (teacher as reference, nats)
 *     AOA = mean_i exp(−KLᵢ) × 100
 *
 * Inputs are logits (default), probabilities or sigmoid scores (turned into logits by
 * {@link sigmoidToLogits}), per side; what a capture holds is inferred from its values by
 * src/agreement/output-kind.ts when not set. Rank-2 inputs are n×C; for
 * rank > 2 the last axis is the classes and the middle axes are positions (tokens,
 * pixels…): every per-sample quantity (KL, JS, top-1 agreement, top-k overlap) is the
 * mean over that sample's positions — those with mask 1 when a mask is given — and
 * the sample's agreement is exp(−mean KL).
 */

import { errors, fmtShape } from '../core/errors.js';
import { computeOnce, configuredMeasure, type Measure } from '../core/measure.js';
import { declareState, integer, knownOnce, sameOptions, sum } from '../core/state.js';
import { asTensor, isFloat, sizeOf, type Tensor, type TensorLike } from '../core/tensor.js';
import { fixed } from '../core/units.js';
import { assertFinite, assertSameSamples } from '../core/validate.js';
import { numbers } from './common.js';
import { PROBS_SUM_TOLERANCE, SCORE_KINDS, type ScoreKind, sigmoidToLogits } from './output-kind.js';
import { type AgreementOption, type AgreementResult, type AgreementSpec, declaredValue, overOutputs, requireOutputs } from './spec.js';

/** How a side's output array is to be read: logits, probabilities, or sigmoid scores (read as log(p/(1−p))). */
export type OutputKind = ScoreKind;

/** Options of {@link klAgreementMeasure} and {@link klAgreement}. */
export interface KlAgreementOptions {
  /** Softmax temperature τ, finite and > 0. Default 1. */
  temperature?: number;
  /** Whether the teacher's array holds logits (default), probabilities or sigmoid scores. */
  teacherInputs?: OutputKind;
  /** Whether the student's array holds logits (default), probabilities or sigmoid scores. */
  studentInputs?: OutputKind;
}

/** The options after defaults; stored in every state so that only like states merge. */
export interface KlAgreementConfig {
  readonly temperature: number;
  readonly teacherInputs: OutputKind;
  readonly studentInputs: OutputKind;
}

/** One batch: teacher and student outputs for the same samples, in the same order. */
export interface KlAgreementBatch {
  /** n×C, or n×P₁×…×C (last axis classes). */
  readonly teacher: Tensor;
  /** Same shape as `teacher`. */
  readonly student: Tensor;
  /** Optional 0/1 mask over positions, shape n×P₁×… (or n×P with P = P₁·…), e.g. an attention mask. */
  readonly mask?: Tensor;
}

/** Running sums; every per-sample quantity is summed over samples. */
export interface KlAgreementState {
  readonly config: KlAgreementConfig;
  /** Class count C fixed by the first non-empty batch (null before). */
  classes: number | null;
  /** Samples seen. */
  n: number;
  /** Positions seen (unmasked; equals n for rank-2 inputs). */
  positions: number;
  /** Σᵢ exp(−KLᵢ). */
  sumAgreement: number;
  /** Σᵢ KLᵢ over the samples whose KL is finite. */
  sumKl: number;
  /** Samples whose KL is +∞ (possible only with probability inputs). */
  infiniteKl: number;
  /** Σᵢ top-1 agreement of sample i. */
  sumTop1: number;
  /** Σᵢ top-k overlap of sample i. */
  sumTopK: number;
  /** Σᵢ Jensen–Shannon divergence of sample i (nats). */
  sumJs: number;
}

/** What {@link klAgreement} reports. */
export interface KlAgreementResult {
  readonly metric: 'kl-agreement';
  /** mean_i exp(−KLᵢ) × 100, in [0, 100]. */
  readonly aoa: number;
  /** Samples. */
  readonly n: number;
  /**
   * Mean KL(pᵀ‖pˢ) in nats. `Infinity` when some sample's KL is infinite (a class with
   * pᵀ > 0 and pˢ = 0 in probability inputs); note that `JSON.stringify` writes it as
   * `null` — `infiniteKlSamples` says how many samples were infinite.
   */
  readonly meanKl: number;
  /** Samples with KL = +∞ (their agreement exp(−KL) is 0). */
  readonly infiniteKlSamples: number;
  /** Fraction of samples (mean over positions) whose argmax agrees; ties → lowest class index. */
  readonly top1Agreement: number;
  /** Mean |top-k(T) ∩ top-k(S)| / k, k = min(5, C). */
  readonly top5Overlap: number;
  /** The k used by top5Overlap: min(5, C). */
  readonly topK: number;
  /** Mean Jensen–Shannon divergence of the tempered distributions, nats, in [0, ln 2]. */
  readonly jsDivergence: number;
  /** Number of classes C. */
  readonly classes: number;
  /** Positions scored (unmasked); equals n for n×C inputs. */
  readonly positions: number;
  /** τ used. */
  readonly temperature: number;
}

const MEASURE = 'aoa-kl';
const VERSION = 1;

/** Probability rows must sum to 1 within this. */
export { PROBS_SUM_TOLERANCE };

/** The numeric options, declared once (flags, API schema and the check below come from here). */
const OPTIONS = {
  temperature: {
    flag: '--temperature',
    placeholder: 't',
    help: 'softmax temperature for KL agreement',
    default: 1,
    valid: (v) => Number.isFinite(v) && v > 0,
    expected: 'a finite number > 0',
  },
} as const satisfies Record<string, AgreementOption>;

function resolveOptions(options: KlAgreementOptions = {}): KlAgreementConfig {
  const temperature = declaredValue('temperature', OPTIONS.temperature, options.temperature)!;
  const teacherInputs = options.teacherInputs ?? 'logits';
  const studentInputs = options.studentInputs ?? 'logits';
  for (const [name, v] of [
    ['teacherInputs', teacherInputs],
    ['studentInputs', studentInputs],
  ] as const) {
    if (!SCORE_KINDS.includes(v)) throw errors.badOption(name, v, SCORE_KINDS.map((k) => `'${k}'`).join(', '));
  }
  return { temperature, teacherInputs, studentInputs };
}

/**
 * The state, declared once (src/core/state.ts): the options must match, the class count is
 * fixed by the first non-empty batch, everything else is a running sum; JSON tagged aoa-kl v1.
 */
const STATE = declareState<KlAgreementState>({
  measure: MEASURE,
  version: VERSION,
  fields: {
    config: sameOptions(resolveOptions),
    classes: knownOnce(integer(1), 'class counts'),
    n: sum(),
    positions: sum(),
    sumAgreement: sum(),
    sumKl: sum(),
    infiniteKl: sum(),
    sumTop1: sum(),
    sumTopK: sum(),
    sumJs: sum(),
  },
});

/** Check one side's probability rows: ≥ 0 and summing to 1 within {@link PROBS_SUM_TOLERANCE}. O(size). */
function assertProbabilities(x: ArrayLike<number>, rows: number, C: number, what: string, option: string): void {
  for (let r = 0; r < rows; r++) {
    const off = r * C;
    let s = 0;
    for (let c = 0; c < C; c++) {
      const v = x[off + c]!;
      if (v < 0) throw errors.notProbabilities(what, r, `entry ${c} is ${v} < 0`, option);
      s += v;
    }
    if (Math.abs(s - 1) > PROBS_SUM_TOLERANCE) {
      throw errors.notProbabilities(what, r, `it sums to ${s}, not 1 within ${PROBS_SUM_TOLERANCE}`, option);
    }
  }
}

/**
 * Tempered log-softmax of one row into `lp`, and its probabilities into `p`.
 * For probability inputs the row is read as log p (log 0 = −∞), so the result is
 * softmax(log p / τ): p renormalised at τ = 1. Max-subtracted, so it never overflows.
 */
export function logSoftmaxRow(
  x: ArrayLike<number>,
  off: number,
  C: number,
  tau: number,
  probs: boolean,
  lp: Float64Array,
  p: Float64Array,
  what: string,
): void {
  let max = -Infinity;
  if (!probs && tau === 1) {
    // Logits at τ = 1 (the common case): z = x exactly, without the division.
    for (let c = 0; c < C; c++) {
      const z = x[off + c]!;
      lp[c] = z;
      if (z > max) max = z;
    }
  } else {
    for (let c = 0; c < C; c++) {
      const v = x[off + c]!;
      const z = (probs ? Math.log(v) : v) / tau;
      lp[c] = z;
      if (z > max) max = z;
    }
  }
  if (!Number.isFinite(max)) {
    throw errors.badValue(`${what} divided by the temperature ${tau}`, max, 'finite values (the temperature is too small for these outputs)');
  }
  let s = 0;
  for (let c = 0; c < C; c++) {
    const e = Math.exp(lp[c]! - max);
    p[c] = e;
    s += e;
  }
  const ls = Math.log(s);
  const inv = 1 / s;
  for (let c = 0; c < C; c++) {
    lp[c] = lp[c]! - max - ls;
    p[c] = p[c]! * inv;
  }
}

/**
 * Indices of the k largest values of one row into `idx` (descending; ties → lower index first).
 * O(C·k).
 */
function topKRow(x: ArrayLike<number>, off: number, C: number, k: number, idx: Int32Array, val: Float64Array): void {
  let len = 0;
  for (let c = 0; c < C; c++) {
    const v = x[off + c]!;
    if (len === k && !(v > val[k - 1]!)) continue;
    let j = len < k ? len++ : k - 1;
    while (j > 0 && val[j - 1]! < v) {
      val[j] = val[j - 1]!;
      idx[j] = idx[j - 1]!;
      j--;
    }
    val[j] = v;
    idx[j] = c;
  }
}

const INPUT_WORDS = { logits: 'logits', probs: 'probabilities', sigmoid: 'sigmoid scores' } as const;

/** Fold one batch into the state; validates everything first so a failing batch leaves the state unchanged. */
function updateState(state: KlAgreementState, batch: KlAgreementBatch): void {
  const { teacher, student, mask } = batch;
  const { teacherInputs, studentInputs } = state.config;
  const tWhat = `teacher ${INPUT_WORDS[teacherInputs]}`;
  const sWhat = `student ${INPUT_WORDS[studentInputs]}`;
  const { C, tMid } = checkOutputShapes(state, teacher, student, tWhat, sWhat);
  const n = teacher.shape[0]!;
  const P = sizeOf(tMid);
  if (P === 0 && n > 0) throw errors.shapeMismatch(tWhat, 'at least one position per sample', `shape ${fmtShape(teacher.shape)}`);
  assertFinite(teacher, tWhat);
  assertFinite(student, sWhat);
  const T = teacherInputs === 'sigmoid' ? (sigmoidToLogits(teacher, tWhat, 'teacherInputs').data as Float64Array) : numbers(teacher);
  const S = studentInputs === 'sigmoid' ? (sigmoidToLogits(student, sWhat, 'studentInputs').data as Float64Array) : numbers(student);
  if (teacherInputs === 'probs') assertProbabilities(T, n * P, C, tWhat, 'teacherInputs');
  if (studentInputs === 'probs') assertProbabilities(S, n * P, C, sWhat, 'studentInputs');
  const M = mask === undefined ? null : checkedMask(mask, n, P, tMid, teacher.shape);
  const b = batchSums(state, { T, S, M, n, P, C, tWhat, sWhat });
  if (n > 0) state.classes = C;
  state.n += n;
  state.positions += b.positions;
  state.sumAgreement += b.agreement;
  state.sumKl += b.kl;
  state.infiniteKl += b.inf;
  state.sumTop1 += b.top1;
  state.sumTopK += b.topK;
  state.sumJs += b.js;
}

/** Check the teacher's and student's output shapes against each other and earlier batches; their class count and position axes. */
function checkOutputShapes(state: KlAgreementState, teacher: Tensor, student: Tensor, tWhat: string, sWhat: string): { C: number; tMid: number[] } {
  if (teacher.shape.length < 2) throw errors.shapeMismatch(tWhat, 'rank ≥ 2 (n×C, or n×…×C)', `shape ${fmtShape(teacher.shape)}`);
  if (student.shape.length < 2) throw errors.shapeMismatch(sWhat, 'rank ≥ 2 (n×C, or n×…×C)', `shape ${fmtShape(student.shape)}`);
  assertSameSamples(teacher, student, 'classification outputs');
  const C = teacher.shape[teacher.shape.length - 1]!;
  const Cs = student.shape[student.shape.length - 1]!;
  if (C !== Cs) {
    throw errors.shapeMismatch(
      'classification outputs: class counts (last axis)',
      'teacher and student to have the same number of classes',
      `teacher ${C} (shape ${fmtShape(teacher.shape)}), student ${Cs} (shape ${fmtShape(student.shape)})`,
      { teacherClasses: C, studentClasses: Cs },
    );
  }
  const tMid = teacher.shape.slice(1, -1);
  const sMid = student.shape.slice(1, -1);
  if (tMid.length !== sMid.length || tMid.some((d, i) => d !== sMid[i])) {
    throw errors.shapeMismatch(
      'classification outputs: position axes',
      'teacher and student shapes to match',
      `teacher ${fmtShape(teacher.shape)}, student ${fmtShape(student.shape)}`,
    );
  }
  // With one class every softmax is [1]: the agreement would be 100 whatever the models do.
  if (C < 2)
    throw errors.shapeMismatch(tWhat, 'at least 2 classes (with one, every softmax is [1] and agreement is trivially 100)', `shape ${fmtShape(teacher.shape)}`);
  if (state.classes !== null && state.classes !== C) {
    throw errors.shapeMismatch(
      'classification outputs: class counts across batches',
      `${state.classes} classes as in earlier batches`,
      `${C} (shape ${fmtShape(teacher.shape)})`,
    );
  }
  return { C, tMid };
}

/** The mask's values, checked: shape n × positions, 0/1 only, at least one 1 per sample. */
function checkedMask(mask: Tensor, n: number, P: number, tMid: readonly number[], outputShape: readonly number[]): ArrayLike<number> {
  if (mask.shape[0] !== n || sizeOf(mask.shape) !== n * P) {
    throw errors.shapeMismatch(
      'classification mask',
      `shape [${[n, ...tMid].join(', ')}] (or [${n}, ${P}])`,
      `${fmtShape(mask.shape)} for outputs ${fmtShape(outputShape)}`,
    );
  }
  if (isFloat(mask.dtype)) assertFinite(mask, 'classification mask');
  const M = numbers(mask);
  for (let i = 0; i < M.length; i++) {
    const v = M[i]!;
    if (v !== 0 && v !== 1) throw errors.badValue(`classification mask at flat index ${i}`, v, '0 or 1');
  }
  for (let i = 0; i < n; i++) {
    let any = false;
    for (let j = 0; j < P && !any; j++) any = M[i * P + j] === 1;
    if (!any) throw errors.badValue(`classification mask row ${i} (number of unmasked positions)`, 0, 'at least one position with mask 1 per sample');
  }
  return M;
}

/** A checked batch as flat values: n samples × P positions × C classes, with its 0/1 mask (null: every position). */
interface FlatBatch {
  readonly T: ArrayLike<number>;
  readonly S: ArrayLike<number>;
  readonly M: ArrayLike<number> | null;
  readonly n: number;
  readonly P: number;
  readonly C: number;
  readonly tWhat: string;
  readonly sWhat: string;
}

/** Work buffers for one position, and its scores (written by {@link scorePosition}). */
class PositionScratch {
  readonly k: number;
  readonly lpT: Float64Array;
  readonly pT: Float64Array;
  readonly lpS: Float64Array;
  readonly pS: Float64Array;
  readonly idxT: Int32Array;
  readonly idxS: Int32Array;
  readonly valT: Float64Array;
  readonly valS: Float64Array;
  kl = 0;
  js = 0;
  top1 = 0;
  topK = 0;
  constructor(C: number) {
    this.k = Math.min(5, C);
    this.lpT = new Float64Array(C);
    this.pT = new Float64Array(C);
    this.lpS = new Float64Array(C);
    this.pS = new Float64Array(C);
    this.idxT = new Int32Array(this.k);
    this.idxS = new Int32Array(this.k);
    this.valT = new Float64Array(this.k);
    this.valS = new Float64Array(this.k);
  }
}

/** Each sample's scores averaged over its unmasked positions, summed over the batch (KL = ∞ counted apart). */
function batchSums(state: KlAgreementState, b: FlatBatch) {
  const { n, P, M } = b;
  const w = new PositionScratch(b.C);
  const sums = { positions: 0, agreement: 0, kl: 0, inf: 0, top1: 0, topK: 0, js: 0 };
  for (let i = 0; i < n; i++) {
    let cnt = 0;
    let klSum = 0;
    let jsSum = 0;
    let top1 = 0;
    let topk = 0;
    for (let j = 0; j < P; j++) {
      const row = i * P + j;
      if (M !== null && M[row] !== 1) continue;
      cnt++;
      scorePosition(state, b, row * b.C, w);
      klSum += Math.max(w.kl, 0);
      jsSum += Math.max(w.js, 0);
      top1 += w.top1;
      topk += w.topK;
    }
    const kl = klSum / cnt;
    if (kl === Infinity) {
      sums.inf++;
    } else {
      sums.kl += kl;
      sums.agreement += Math.exp(-kl);
    }
    sums.js += jsSum / cnt;
    sums.top1 += top1 / cnt;
    sums.topK += topk / cnt;
    sums.positions += cnt;
  }
  return sums;
}

/** KL(pᵀ‖pˢ), JS, top-1 agreement and top-k overlap of the position at flat offset `off`, into `w`. */
function scorePosition(state: KlAgreementState, b: FlatBatch, off: number, w: PositionScratch): void {
  const { T, S, C } = b;
  const { temperature: tau, teacherInputs, studentInputs } = state.config;
  const { lpT, pT, lpS, pS, k } = w;
  logSoftmaxRow(T, off, C, tau, teacherInputs === 'probs', lpT, pT, b.tWhat);
  logSoftmaxRow(S, off, C, tau, studentInputs === 'probs', lpS, pS, b.sWhat);
  // In one pass over the classes:
  // KL(pᵀ‖pˢ): a class with pᵀ = 0 contributes 0; pᵀ > 0 with pˢ = 0 makes it +∞;
  // JS = ½ KL(pᵀ‖m) + ½ KL(pˢ‖m), m = (pᵀ + pˢ)/2; always finite.
  let kl = 0;
  let js = 0;
  for (let c = 0; c < C; c++) {
    const la = lpT[c]!;
    const lb = lpS[c]!;
    if (la !== -Infinity) kl = lb === -Infinity ? Infinity : kl + pT[c]! * (la - lb);
    const a = pT[c]!;
    const bb = pS[c]!;
    const lm = Math.log(0.5 * (a + bb));
    if (a > 0) js += a * (la - lm);
    if (bb > 0) js += bb * (lb - lm);
  }
  w.kl = kl;
  w.js = js * 0.5;
  // Rankings on the inputs as given (monotone in p), so τ never creates ties.
  topKRow(T, off, C, k, w.idxT, w.valT);
  topKRow(S, off, C, k, w.idxS, w.valS);
  w.top1 = w.idxT[0] === w.idxS[0] ? 1 : 0;
  let common = 0;
  for (let a = 0; a < k; a++) {
    for (let c = 0; c < k; c++) {
      if (w.idxT[a] === w.idxS[c]) {
        common++;
        break;
      }
    }
  }
  w.topK = common / k;
}

function computeState(state: KlAgreementState): KlAgreementResult {
  if (state.n === 0 || state.classes === null) {
    throw errors.undefinedResult('classification AOA', 'no samples were given');
  }
  const n = state.n;
  return {
    metric: 'kl-agreement',
    aoa: (state.sumAgreement / n) * 100,
    n,
    meanKl: state.infiniteKl > 0 ? Infinity : state.sumKl / n,
    infiniteKlSamples: state.infiniteKl,
    top1Agreement: state.sumTop1 / n,
    top5Overlap: state.sumTopK / n,
    topK: Math.min(5, state.classes),
    jsDivergence: state.sumJs / n,
    classes: state.classes,
    positions: state.positions,
    temperature: state.config.temperature,
  };
}

/**
 * The streaming KL-agreement measure (AOA for classification and NLP).
 *
 * Formula: p = softmax(z/τ) via max-subtracted log-softmax (logits of ±1e4 never overflow);
 * KLᵢ = Σ_c pᵀ(log pᵀ − log pˢ); AOA = mean_i exp(−KLᵢ) × 100. Also: meanKl (nats),
 * top1Agreement (argmax ties → lowest index), top5Overlap (k = min(5, C)), jsDivergence
 * (nats, tempered distributions). Rankings use the inputs as given.
 *
 * Edge cases:
 * - Sigmoid inputs (`'sigmoid'`): each value must be in [0, 1] (BAD_VALUE otherwise) and is read
 *   as the logit log(p/(1−p)), p clipped to [1e-7, 1 − 1e-7] ({@link sigmoidToLogits}).
 * - Probability inputs (`teacherInputs`/`studentInputs: 'probs'`): rows must be ≥ 0 and sum to
 *   1 within 1e-3; they are read as log p with log 0 = −∞ and renormalised, and with τ ≠ 1 the
 *   distribution is softmax(log p / τ). A class with pᵀ = 0 adds 0 to KL; pᵀ > 0 with pˢ = 0
 *   makes that sample's KL +∞ and its agreement 0, and meanKl is then reported as `Infinity`
 *   (serialised by JSON.stringify as `null`; see `infiniteKlSamples`). The state itself
 *   serialises without infinities.
 * - Rank > 2 (n×P₁×…×C): per-sample KL, JS, top-1 and top-k are the means over the sample's
 *   positions (mask 1 only, when `mask` is given); every sample needs ≥ 1 unmasked position.
 * - KL and JS are clamped at 0 against rounding.
 *
 * Complexity: O(n·P·C) time per batch, O(C) scratch; the state is O(1).
 *
 * @throws KrsError BAD_OPTION (τ not finite > 0, unknown input kind), SHAPE_MISMATCH (rank < 2,
 *   sample counts, class counts, position axes, mask shape, classes changing across batches),
 *   NON_FINITE (NaN/±Inf in logits or probabilities), BAD_VALUE (rows that are not probabilities,
 *   mask not 0/1, a sample with no unmasked position), UNDEFINED (compute with no samples).
 *
 * @example
 * const m = klAgreementMeasure({ temperature: 2 });
 * const s = m.init();
 * for (const b of batches) m.update(s, b);     // b = { teacher, student } tensors n×C
 * m.compute(s).aoa;                             // 0–100
 */
export function klAgreementMeasure(options: KlAgreementOptions = {}): Measure<KlAgreementState, KlAgreementBatch, KlAgreementResult> {
  return configuredMeasure(MEASURE, STATE, resolveOptions(options), updateState, computeState);
}

/** Options of the one-shot {@link klAgreement}: the measure's options plus an optional position mask. */
export interface KlAgreementOneShotOptions extends KlAgreementOptions {
  /** 0/1 mask over positions for rank > 2 outputs (e.g. an attention mask), shape n×P₁×…. */
  mask?: Tensor;
}

/**
 * KL agreement of a student's outputs with its teacher's in one call (AOA for classification
 * and NLP): `compute(update(init(), {teacher, student, mask}))` of {@link klAgreementMeasure}.
 *
 * Formula: AOA = mean_i exp(−KLᵢ) × 100, KLᵢ = Σ_c pᵀ log(pᵀ/pˢ), p = softmax(z/τ).
 * Edge cases as in {@link klAgreementMeasure} (probability inputs, infinite KL, masks, rank > 2).
 * Complexity O(n·P·C).
 *
 * @throws KrsError — see {@link klAgreementMeasure}.
 *
 * @example
 * const t = tensor(new Float64Array([2, 0, 0,  0, 1, 0]), [2, 3]);
 * const s = tensor(new Float64Array([1, 0, 0,  0, 2, 0]), [2, 3]);
 * klAgreement(t, s).aoa;                 // ≈ 90.0
 * klAgreement(t, s, { temperature: 4 });  // softer distributions, higher agreement
 */
export function klAgreement(teacherOutputs: TensorLike, studentOutputs: TensorLike, options: KlAgreementOneShotOptions = {}): KlAgreementResult {
  const { mask, ...rest } = options;
  const teacher = asTensor(teacherOutputs, 'teacher outputs');
  const student = asTensor(studentOutputs, 'student outputs');
  return computeOnce(klAgreementMeasure(rest), mask === undefined ? { teacher, student } : { teacher, student, mask });
}

/** `kl-agreement` — AOA of classification and nlp outputs: mean exp(−KL) of the softmax outputs. */
export const klAgreementSpec: AgreementSpec<KlAgreementOptions, KlAgreementResult> = {
  name: 'kl-agreement',
  title: 'KL agreement',
  description: 'mean over samples of exp(−KL(teacher ‖ student)) of the tempered softmax outputs',
  bounds: [0, 1],
  readsOutputKinds: true,
  options: OPTIONS,
  measure: (options) =>
    overOutputs(klAgreementMeasure(options), (b) => ({ ...requireOutputs(b, 'kl-agreement'), ...(b.outputMask ? { mask: b.outputMask } : {}) })),
  summary: (r) =>
    `KL agreement, τ = ${r.temperature}: mean KL ${fixed(r.meanKl, 4)} nats, top-1 agreement ${fixed(r.top1Agreement * 100, 1)}%, top-${r.topK} overlap ${fixed(r.top5Overlap * 100, 1)}%, JS ${fixed(r.jsDivergence, 4)} nats`,
  meaning: (r) =>
    `AOA = ${fixed(r.aoa, 1)} is the agreement of the student's outputs with the teacher's: the mean of exp(−KL) between their softmax distributions, × 100; 100 = identical output distributions on every sample; the two models pick the same top class on ${fixed(r.top1Agreement * 100, 1)}% of the samples.`,
};

/** Narrow an agreement result to KL agreement's. @throws INTERNAL when it is another metric's. */
export function asKlAgreementResult(r: AgreementResult): KlAgreementResult {
  if (r.metric !== 'kl-agreement') throw errors.internal(`expected a kl-agreement result, got ${r.metric}`);
  return r as KlAgreementResult;
}
