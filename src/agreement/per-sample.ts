/**
 * Per-sample output agreement for case studies (`krs explain`): the tempered class
 * probabilities of one output row, its top-k classes, and the KL agreement of one sample.
 *
 * The agreement numbers come from {@link klAgreement} itself, run on the one sample, so they
 * are exactly the per-sample terms whose mean is AOA. The probabilities follow the same
 * convention as src/agreement/classification.ts: p = softmax(z/τ) with the maximum
 * subtracted; probability inputs are read as log p (log 0 = −∞), i.e. renormalised at τ = 1.
 * Rankings use the inputs as given, ties to the lower class index, as top-1 agreement does.
 */
import { errors } from '../core/errors.js';
import { type NumericArray, numberAt } from '../core/tensor.js';
import { klAgreement, logSoftmaxRow, type OutputKind } from './classification.js';

export interface SampleAgreement {
  /** KL(pᵀ‖pˢ) in nats (+∞ when the student gives probability 0 to a teacher class). */
  readonly kl: number;
  /** exp(−KL) × 100: this sample's term of AOA. */
  readonly agreement: number;
  /** Jensen–Shannon divergence, nats. */
  readonly js: number;
  /** Whether the argmaxes agree. */
  readonly top1Agree: boolean;
  /** |top-k(T) ∩ top-k(S)| / k, k = min(5, C). */
  readonly top5Overlap: number;
}

export interface RankedClass {
  /** 1 = most probable. */
  readonly rank: number;
  /** Class index. */
  readonly index: number;
  /** Tempered probability in [0, 1]. */
  readonly prob: number;
}

export interface SampleOptions {
  /** Softmax temperature τ > 0; default 1. */
  readonly temperature?: number;
  readonly teacherInputs?: OutputKind;
  readonly studentInputs?: OutputKind;
}

/** One row of C values as a float64 copy (integer and BigInt dtypes widened). */
export function rowOf(data: NumericArray, row: number, C: number): Float64Array {
  const out = new Float64Array(C);
  for (let c = 0; c < C; c++) out[c] = numberAt(data, row * C + c);
  return out;
}

/**
 * KL agreement of one sample (C teacher values, C student values).
 * @throws as {@link klAgreement} (non-finite values, rows that are not probabilities…).
 * @example sampleAgreement([2, 0, 0], [1, 0, 0]).agreement // ≈ 93.6
 */
export function sampleAgreement(teacher: ArrayLike<number>, student: ArrayLike<number>, options: SampleOptions = {}): SampleAgreement {
  const C = teacher.length;
  if (student.length !== C) throw errors.shapeMismatch('sample outputs', `${C} student classes as the teacher has`, `${student.length}`);
  const t = { dtype: 'float64' as const, shape: [1, C], data: Float64Array.from(teacher) };
  const s = { dtype: 'float64' as const, shape: [1, C], data: Float64Array.from(student) };
  const r = klAgreement(t, s, { temperature: options.temperature, teacherInputs: options.teacherInputs, studentInputs: options.studentInputs });
  return { kl: r.meanKl, agreement: r.aoa, js: r.jsDivergence, top1Agree: r.top1Agreement === 1, top5Overlap: r.top5Overlap };
}

/**
 * p = softmax(z/τ) of one row (or the renormalised, tempered probabilities of a probability row).
 * @throws BAD_OPTION for τ not finite > 0; BAD_VALUE when z/τ is not finite.
 * @example temperedProbabilities([2, 0, 0])[0] // 0.7870…
 */
export function temperedProbabilities(row: ArrayLike<number>, temperature = 1, kind: OutputKind = 'logits'): Float64Array {
  if (!(temperature > 0) || !Number.isFinite(temperature)) throw errors.badOption('temperature', temperature, 'a finite number > 0');
  const C = row.length;
  const p = new Float64Array(C);
  logSoftmaxRow(row, 0, C, temperature, kind === 'probs', new Float64Array(C), p, 'output row');
  return p;
}

/** The k classes ranked highest by the row's values (ties → lower index), with their probabilities. */
export function topClasses(row: ArrayLike<number>, probs: ArrayLike<number>, k: number): RankedClass[] {
  const idx = Array.from({ length: row.length }, (_, i) => i);
  idx.sort((a, b) => row[b]! - row[a]! || a - b);
  return idx.slice(0, Math.min(k, row.length)).map((index, i) => ({ rank: i + 1, index, prob: probs[index]! }));
}
