/**
 * Reference levels: what gives a score meaning (docs/formulas.md §"Reference levels").
 *
 * - **Teacher** — the teacher against itself scores 100 by construction, for every similarity
 *   and every agreement: CKA(X, X) = 1 (biased, debiased, RBF: HSIC(K, K)/HSIC(K, K)), a
 *   sample's cosine with itself is 1, KL(p‖p) = 0 so exp(−KL) = 1, IoU of identical boxes and
 *   maps is 1, MSE(y, y) = 0. It is therefore stated, not computed on every run
 *   (test/krs/reference-levels.test.ts checks it numerically once, for every registered
 *   similarity and task).
 * - **Null** — chance alignment: the same captures scored again with the student's samples
 *   shuffled by a seeded permutation, so that teacher sample i meets student sample π(i). A
 *   permutation keeps every marginal statistic of each side (its widths, spectra, the spread of
 *   its outputs) and destroys only the pairing, so the null is the score two networks with
 *   these activations and outputs would get if they had nothing to do with each other sample by
 *   sample. It costs one more scoring pass (without intervals); the student's arrays are read
 *   whole to be gathered in permuted order.
 * - **Baseline** — a baseline student (e.g. trained without distillation) scored against the
 *   same teacher on the same samples and groups, with the paired difference student − baseline
 *   from {@link compareTwo}.
 */

import { errors } from '../core/errors.js';
import { createRng } from '../core/rng.js';
import { gatherRows, type NumericArray, sizeOf, sliceRows, type Tensor } from '../core/tensor.js';
import { type Comparison, compareTwo } from './compare.js';
import { type KrsBatch, KrsMetric, type KrsMetricOptions, type KrsResult } from './metric.js';

/** Default seed of the null level's permutation. */
export const DEFAULT_NULL_SEED = 1;

/** Options of the reference levels (`reference` of `scoreCaptures`). */
export interface ReferenceOptions {
  /** Compute the null level (one more scoring pass). Default false in the library; `krs score` turns it on. */
  null?: boolean;
  /** Seed of the permutation of the student's samples (a non-negative integer; default 1). */
  seed?: number;
}

/** The null level: scores of the teacher against the student with the student's samples permuted. */
export interface NullLevel {
  /** Points (0–100). */
  fss: number;
  aoa: number;
  krs: number;
  /** Each layer pair's null score (points). */
  layers: { teacher: string; student: string; score: number }[];
  seed: number;
  /** How it was made, in words (for the JSON and the table). */
  method: string;
}

/** A baseline student's scores and the paired difference student − baseline. */
export interface BaselineLevel {
  file: string;
  /** Points (0–100). */
  fss: number;
  aoa: number;
  krs: number;
  ci95: KrsResult['ci95'];
  /** Student − baseline (points), with 95 % intervals and jackknife t-test p-values (src/krs/compare.ts). */
  delta: {
    krs: number;
    fss: number;
    aoa: number;
    ci95: Comparison['ci95'];
    se: Comparison['se'];
    p: Comparison['p'];
    groups: number;
    reasons: Comparison['reasons'];
  };
}

/** The reference levels of one score. */
export interface ReferenceLevels {
  /** The teacher against itself: 100 by construction. */
  teacher: 100;
  null: NullLevel | null;
  baseline: BaselineLevel | null;
}

const NULL_METHOD = "the same captures scored again with the student's samples shuffled by a seeded permutation (chance alignment)";

/** Check and complete the reference options. @throws BAD_OPTION for a seed that is not a non-negative safe integer. */
export function resolveReference(o: ReferenceOptions | undefined): { null: boolean; seed: number } {
  const seed = o?.seed ?? DEFAULT_NULL_SEED;
  if (!Number.isSafeInteger(seed) || seed < 0) throw errors.badOption('reference.seed', seed, 'a non-negative integer');
  return { null: o?.null === true, seed };
}

/**
 * A seeded permutation of 0…n−1: the same n and seed give the same permutation on every
 * platform (Fisher–Yates on the seeded generator of src/core/rng.ts, stream `null-level`).
 */
export function seededPermutation(n: number, seed: number): Int32Array {
  return createRng(seed, 'null-level').permutation(n);
}

/** The null level from the score of the permuted pass. */
export function nullLevelOf(permuted: KrsResult, seed: number): NullLevel {
  return {
    fss: permuted.fss,
    aoa: permuted.aoa,
    krs: permuted.krs,
    layers: permuted.layers.map((l) => ({ teacher: l.teacher, student: l.student, score: l.score })),
    seed,
    method: NULL_METHOD,
  };
}

/**
 * The baseline level: the baseline's scores and student − baseline, paired over the same groups.
 * A comparison that cannot be paired (other samples or groups) keeps Δ with null intervals and the reason.
 */
export function baselineLevelOf(student: { name: string; result: KrsResult }, baseline: { name: string; result: KrsResult }): BaselineLevel {
  const c = compareTwo(baseline, student);
  const b = baseline.result;
  return {
    file: baseline.name,
    fss: b.fss,
    aoa: b.aoa,
    krs: b.krs,
    ci95: b.ci95,
    delta: { ...c.delta, ci95: c.ci95, se: c.se, p: c.p, groups: c.groups, reasons: c.reasons },
  };
}

/**
 * The null level of a stream that cannot be read again (`krs eval`): the arrays of every batch
 * are kept (`add`), then scored once more with the student's samples permuted (`compute`).
 * Memory grows with the samples — n × (teacher and student widths of the pairs + both outputs) —
 * which is why `krs eval` computes it only when asked (`--null`). Given the run's sample count
 * and a memory budget, the first batch prices the whole stash — its bytes per sample × n, twice
 * (the kept batches, and the whole arrays `compute` joins them into) — and a run over the budget
 * is refused then, before the rest is run and kept.
 */
export class NullStash {
  private readonly batches: KrsBatch[] = [];
  private rows = 0;

  constructor(private readonly limit?: { samples: number; memoryBudget: number }) {}

  /** Keep one batch (features by layer name and both outputs, already read as the metric reads them). */
  add(batch: { teacher: Record<string, Tensor>; student: Record<string, Tensor>; teacherOutput: Tensor; studentOutput: Tensor }): void {
    if (this.batches.length === 0 && this.limit) this.checkFits(batch);
    this.batches.push(batch);
    this.rows += batch.teacherOutput.shape[0] ?? 0;
  }

  /** @throws BAD_VALUE when n samples like the first batch's would not fit the memory budget twice over. */
  private checkFits(batch: { teacher: Record<string, Tensor>; student: Record<string, Tensor>; teacherOutput: Tensor; studentOutput: Tensor }): void {
    const rows = batch.teacherOutput.shape[0] ?? 0;
    if (rows === 0) return;
    const tensors = [...Object.values(batch.teacher), ...Object.values(batch.student), batch.teacherOutput, batch.studentOutput];
    const perSample = tensors.reduce((a, t) => a + (t.data as { byteLength: number }).byteLength, 0) / rows;
    const { samples, memoryBudget } = this.limit!;
    const kept = perSample * samples;
    if (2 * kept > memoryBudget) {
      throw errors.overMemoryBudget(`the null level of ${samples} samples (${Math.round(perSample)} bytes each)`, 2 * kept, memoryBudget, [
        { what: 'the kept batches', bytes: kept },
        { what: 'their arrays joined for the permuted pass', bytes: kept },
      ]);
    }
  }

  /** Score the kept samples with the student's permuted by `seed` (no intervals), in batches of `batchSize`. */
  async compute(options: KrsMetricOptions, seed: number, batchSize: number): Promise<NullLevel> {
    const n = this.rows;
    const first = this.batches[0];
    if (!first || n === 0) throw errors.badValue('null level', n, 'at least one sample');
    const whole = (pick: (b: KrsBatch) => Tensor) => concatRows(this.batches.map(pick));
    const teacher = Object.fromEntries(Object.keys(first.teacher).map((k) => [k, whole((b) => b.teacher[k] as Tensor)]));
    const student = Object.fromEntries(Object.keys(first.student).map((k) => [k, whole((b) => b.student[k] as Tensor)]));
    const tOut = whole((b) => b.teacherOutput as Tensor);
    const sOut = whole((b) => b.studentOutput as Tensor);
    this.batches.length = 0;
    const perm = seededPermutation(n, seed);
    const metric = new KrsMetric({ ...options, samples: n, intervals: false });
    for (let s = 0; s < n; s += batchSize) {
      const e = Math.min(n, s + batchSize);
      await metric.update({
        teacher: Object.fromEntries(Object.entries(teacher).map(([k, t]) => [k, sliceRows(t, s, e)])),
        student: Object.fromEntries(Object.entries(student).map(([k, t]) => [k, gatherRows(t, perm, s, e)])),
        teacherOutput: sliceRows(tOut, s, e),
        studentOutput: gatherRows(sOut, perm, s, e),
      });
    }
    return nullLevelOf(await metric.compute(), seed);
  }
}

/** Tensors stacked along the sample axis (same dtype and row shape). */
function concatRows(parts: readonly Tensor[]): Tensor {
  const first = parts[0]!;
  const rowShape = first.shape.slice(1);
  const n = parts.reduce((a, t) => a + (t.shape[0] ?? 0), 0);
  const Ctor = first.data.constructor as { new (n: number): NumericArray };
  const data = new Ctor(n * sizeOf(rowShape));
  let at = 0;
  for (const t of parts) {
    (data as Float64Array).set(t.data as Float64Array, at);
    at += t.data.length;
  }
  return { dtype: first.dtype, shape: [n, ...rowShape], data };
}
