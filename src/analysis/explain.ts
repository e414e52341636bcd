/**
 * Case studies of single samples (`krs explain`), like the paper's Table 8: for one sample,
 * the teacher's and the student's top-k classes with their probabilities, the sample's KL
 * agreement (its term of AOA) and the cosine similarity of its features at each layer pair;
 * and the N samples where the student disagrees most with the teacher (largest KL).
 *
 * Works on classification-style outputs, n × C logits, probabilities or sigmoid scores — each
 * side's kind as set (`teacherInputs`/`studentInputs`) or told from all its values by the
 * function `krs score` uses (src/agreement/output-kind.ts; differing inferred kinds are an
 * error) — on any {@link Capture}, so it runs in a browser too. Samples are aligned by id when both captures hold an id array (`ids`, `sample_ids`, or
 * the one named by `ids`); `sample` is a row of the teacher capture, `id` a sample id.
 *
 * Per-layer cosine is the FSS convention for one sample: the sample's activations flattened
 * (or pooled, `pool`) to vectors t and s, cos = t·s/(‖t‖‖s‖) clipped to [0, 1], × 100. It
 * needs equal widths; otherwise, or for an all-zero vector, the layer's cosine is null with a
 * `reason`. Next to it, for any widths, the Gram-row correlation rᵢ of src/analysis/gram-row.ts:
 * the Pearson correlation of the sample's rows of the centred Gram matrices XᶜXᶜᵀ and YᶜYᶜᵀ (the
 * sample's part of linear CKA), in [−1, 1]; `worst` lists it too when N·n·Σ(p + q) ≤ 5·10⁸.
 *
 * Memory: one row per layer for a single sample, plus one n-vector per sample and side for
 * rᵢ (layers read in batches); `worst` reads the two output arrays whole (n × C). Time O(n·C)
 * for `worst`, O(n·(p + q)) per sample and layer pair for rᵢ.
 *
 * @throws BAD_OPTION when none of sample, id, worst is given, or for a sample index out of
 *   range, k < 1, worst < 1; UNKNOWN_KEY for a missing output/id/layer key or an unknown id;
 *   SHAPE_MISMATCH for outputs that are not n × C or differ between teacher and student;
 *   ID_MISMATCH when the two captures' ids differ; and what klAgreement throws.
 * @example explainSamples({ teacher, student, sample: 7, k: 3, classes }).sample.teacher.top
 */
import { errors, fmtShape, opt } from '../core/errors.js';
import type { Capture } from '../io/capture.js';
import { alignIds } from '../krs/align.js';
import type { LayerPair } from '../krs/metric.js';
import { captureOutputKinds, DEFAULT_ID_KEYS, resolveLayerPairs } from '../krs/score-captures.js';
import { sigmoidToLogits, type OutputKinds, type ScoreKind } from '../agreement/output-kind.js';
import { gramRowCorrelations } from './gram-row.js';
import { rowOf, sampleAgreement, temperedProbabilities, topClasses } from '../agreement/per-sample.js';
import { featureMatrix, type Pooling } from '../similarity/features.js';
import { cosineValue, initCosine, updateCosine } from '../similarity/cosine.js';
import type { Tensor } from '../core/tensor.js';

export interface ExplainOptions {
  readonly teacher: Capture;
  readonly student: Capture;
  /** Row of the teacher capture to explain. */
  readonly sample?: number;
  /** Sample id to explain (needs an id array in both captures). */
  readonly id?: string;
  /** List the N samples with the largest KL. */
  readonly worst?: number;
  /** Classes shown per model; default 3. */
  readonly k?: number;
  /** Class names by index. */
  readonly classes?: readonly string[];
  /** Layer pairs; default: layers under the same name in both captures. */
  readonly pairs?: readonly (LayerPair | string)[];
  /** Output array key; default logits, else probs. */
  readonly outputKey?: string;
  /** Id array key; default ids or sample_ids when both captures have it. */
  readonly ids?: string;
  readonly temperature?: number;
  /** What the teacher's output array holds; default: told from its values. */
  readonly teacherInputs?: ScoreKind;
  /** What the student's output array holds; default: told from its values. */
  readonly studentInputs?: ScoreKind;
  /** How a layer's activations become a vector; default flatten. */
  readonly pool?: Pooling;
  readonly channelsLast?: boolean;
}

export interface ClassProb {
  readonly rank: number;
  readonly index: number;
  /** Class name, or null without --classes. */
  readonly label: string | null;
  readonly prob: number;
}

export interface LayerCosine {
  readonly teacher: string;
  readonly student: string;
  readonly teacherWidth: number;
  readonly studentWidth: number;
  /** Clipped cosine × 100; null when undefined. */
  readonly cosine: number | null;
  readonly reason: string | null;
  /** Gram-row correlation rᵢ, a fraction in [−1, 1] (any widths); null when undefined. */
  readonly gramCorrelation: number | null;
  readonly gramReason: string | null;
}

/** A worst sample's Gram-row correlation at one layer pair. */
export interface LayerGram {
  readonly teacher: string;
  readonly student: string;
  readonly gramCorrelation: number | null;
  readonly gramReason: string | null;
}

/** The sample's true class, from the capture's `labels` (or `targets`) array when it has one. */
export interface TrueClass {
  /** The capture array it was read from. */
  readonly key: string;
  readonly index: number;
  /** Class name, or null without --classes. */
  readonly label: string | null;
}

export interface SampleExplanation {
  /** Row in the teacher capture. */
  readonly index: number;
  /** The true class, when the teacher capture (else the student's) holds one integer label per sample in [0, C). */
  readonly truth: TrueClass | null;
  /** Row in the student capture (differs when aligned by id). */
  readonly studentIndex: number;
  readonly id: string | null;
  readonly teacher: { readonly top: readonly ClassProb[] };
  readonly student: { readonly top: readonly ClassProb[] };
  /** KL(pᵀ‖pˢ), nats. */
  readonly kl: number;
  /** exp(−KL) × 100. */
  readonly agreement: number;
  /** Jensen–Shannon divergence, nats. */
  readonly js: number;
  readonly top1Agree: boolean;
  /** Shared classes among the two top-k lists, / k (the k shown). */
  readonly topKOverlap: number;
  readonly layers: readonly LayerCosine[];
}

export interface WorstSample {
  readonly rank: number;
  readonly index: number;
  readonly id: string | null;
  readonly kl: number;
  readonly agreement: number;
  readonly top1Agree: boolean;
  readonly teacherTop1: ClassProb;
  readonly studentTop1: ClassProb;
  /** As {@link SampleExplanation.truth}. */
  readonly truth: TrueClass | null;
  /** rᵢ per layer pair; null when listing it would cost too much (see the module comment). */
  readonly layers: readonly LayerGram[] | null;
}

export interface ExplainResult {
  readonly teacherFile: string;
  readonly studentFile: string;
  /** Samples. */
  readonly n: number;
  /** Classes C. */
  readonly classes: number;
  readonly outputKey: { readonly teacher: string; readonly student: string };
  /** What each output array holds, as read. */
  readonly teacherKind: ScoreKind;
  readonly studentKind: ScoreKind;
  /** Each side's kind with where it came from (option or values) and why. */
  readonly kinds: OutputKinds;
  readonly temperature: number;
  /** Id key used to align samples, or null. */
  readonly ids: string | null;
  readonly k: number;
  readonly sample: SampleExplanation | null;
  readonly worst: readonly WorstSample[] | null;
  readonly warnings: readonly string[];
}

const OUTPUT_KEYS = ['logits', 'probs'];

/** Explain one sample and/or list the worst. See the module comment. */
export function explainSamples(o: ExplainOptions): ExplainResult {
  const { teacher, student } = o;
  const warnings: string[] = [];
  if (o.sample === undefined && o.id === undefined && o.worst === undefined)
    throw errors.badOption('sample', null, `a sample (${opt('sample')} I or ${opt('id')} ID) and/or ${opt('worst')} N`);
  if (o.sample !== undefined && o.id !== undefined) throw errors.badOption('id', o.id, `either ${opt('sample')} or ${opt('id')}, not both`);
  const k = o.k ?? 3;
  if (!Number.isInteger(k) || k < 1) throw errors.badOption('k', k, 'a positive integer');
  if (o.worst !== undefined && (!Number.isInteger(o.worst) || o.worst < 1)) throw errors.badOption('worst', o.worst, 'a positive integer');
  const temperature = o.temperature ?? 1;

  const outKey = (c: Capture): string => {
    const keys = c.keys();
    if (o.outputKey) {
      if (!keys.includes(o.outputKey)) throw errors.unknownKey('output array', o.outputKey, c.source, keys);
      return o.outputKey;
    }
    const key = OUTPUT_KEYS.find((x) => keys.includes(x));
    if (!key) throw errors.unknownKey(`output array (logits or probs; choose with ${opt('outputKey')})`, 'logits', c.source, keys);
    return key;
  };
  const tKey = outKey(teacher);
  const sKey = outKey(student);
  const tInfo = teacher.info(tKey);
  const sInfo = student.info(sKey);
  for (const [c, key, info] of [
    [teacher, tKey, tInfo],
    [student, sKey, sInfo],
  ] as const) {
    if (info.shape.length !== 2)
      throw errors.shapeMismatch(`output '${key}' in ${c.source}`, 'n × C (krs explain reads one class distribution per sample)', fmtShape(info.shape));
  }
  const n = tInfo.shape[0]!;
  const C = tInfo.shape[1]!;
  if (sInfo.shape[0] !== n) throw errors.sampleCountMismatch(`${teacher.source} vs ${student.source}`, n, sInfo.shape[0]!);
  if (sInfo.shape[1] !== C) throw errors.shapeMismatch('output classes', `${C} classes as in ${teacher.source}`, `${sInfo.shape[1]} in ${student.source}`);
  if (o.classes && o.classes.length !== C)
    warnings.push(
      `${o.classes.length} class names for ${C} classes; ${o.classes.length < C ? 'classes without a name are shown by index' : 'the extra names are unused'}`,
    );
  const label = (i: number): string | null => o.classes?.[i] ?? null;

  // What each array holds, from all its values (not only the sample shown); sigmoid scores are
  // read as their logits.
  const kinds = captureOutputKinds(teacher, student, { teacher: tKey, student: sKey }, { teacherInputs: o.teacherInputs, studentInputs: o.studentInputs });
  const teacherKind = kinds.teacher.kind as ScoreKind;
  const studentKind = kinds.student.kind as ScoreKind;
  const teacherInputs: ScoreKind = teacherKind === 'probs' ? 'probs' : 'logits';
  const studentInputs: ScoreKind = studentKind === 'probs' ? 'probs' : 'logits';
  const scores = (row: Float64Array, kind: ScoreKind, what: string, option: string): Float64Array =>
    kind === 'sigmoid' ? (sigmoidToLogits({ dtype: 'float64', shape: [1, row.length], data: row }, what, option).data as Float64Array) : row;
  const tScores = (row: Float64Array) => scores(row, teacherKind, `teacher output '${tKey}' of ${teacher.source}`, 'teacherInputs');
  const sScores = (row: Float64Array) => scores(row, studentKind, `student output '${sKey}' of ${student.source}`, 'studentInputs');

  // Ids and alignment.
  let idKey: string | null = null;
  if (o.ids) {
    for (const c of [teacher, student]) if (!c.keys().includes(o.ids)) throw errors.unknownKey('id array', o.ids, c.source, c.keys());
    idKey = o.ids;
  } else idKey = DEFAULT_ID_KEYS.find((x) => teacher.keys().includes(x) && student.keys().includes(x)) ?? null;
  let teacherIds: string[] | null = null;
  let studentRowOf: Int32Array | null = null;
  if (idKey) {
    teacherIds = teacher.readIds(idKey);
    const sIds = student.readIds(idKey);
    if (teacherIds.length !== n) throw errors.shapeMismatch(`id array '${idKey}' in ${teacher.source}`, `${n} ids (one per sample)`, `${teacherIds.length}`);
    if (sIds.length !== n) throw errors.shapeMismatch(`id array '${idKey}' in ${student.source}`, `${n} ids (one per sample)`, `${sIds.length}`);
    studentRowOf = alignIds(teacherIds, sIds, teacher.source, student.source).studentRowOf;
  }
  const sRow = (i: number) => (studentRowOf ? studentRowOf[i]! : i);
  const idOf = (i: number) => (teacherIds ? teacherIds[i]! : null);

  const truthOf = trueClasses(teacher, student, n, C, label, studentRowOf);
  const opts = { temperature, teacherInputs, studentInputs };
  const classProb = (c: { rank: number; index: number; prob: number }): ClassProb => ({ ...c, label: label(c.index) });

  let sample: SampleExplanation | null = null;
  if (o.sample !== undefined || o.id !== undefined) {
    let i: number;
    if (o.id !== undefined) {
      if (!teacherIds)
        throw errors.badOption('id', o.id, `captures with an id array (${DEFAULT_ID_KEYS.join(' or ')}, or ${opt('ids')} KEY); use ${opt('sample')} INDEX`);
      i = teacherIds.indexOf(o.id);
      if (i < 0) throw errors.notFound('sample id', o.id, `'${idKey}' of ${teacher.source}`, teacherIds);
    } else {
      i = o.sample!;
      if (!Number.isInteger(i) || i < 0 || i >= n) throw errors.badOption('sample', i, `a row index in [0, ${n - 1}]`);
    }
    const j = sRow(i);
    const t = tScores(rowOf(teacher.readRows(tKey, i, i + 1).data, 0, C));
    const s = sScores(rowOf(student.readRows(sKey, j, j + 1).data, 0, C));
    const a = sampleAgreement(t, s, opts);
    const tTop = topClasses(t, temperedProbabilities(t, temperature, teacherInputs), k);
    const sTop = topClasses(s, temperedProbabilities(s, temperature, studentInputs), k);
    const shared = tTop.filter((x) => sTop.some((y) => y.index === x.index)).length;
    sample = {
      index: i,
      studentIndex: j,
      id: idOf(i),
      truth: truthOf(i),
      teacher: { top: tTop.map(classProb) },
      student: { top: sTop.map(classProb) },
      kl: a.kl,
      agreement: a.agreement,
      js: a.js,
      top1Agree: a.top1Agree,
      topKOverlap: shared / tTop.length,
      layers: layerCosines(o, [tKey, sKey, idKey], i, j, studentRowOf, warnings),
    };
  }

  let worst: WorstSample[] | null = null;
  if (o.worst !== undefined) {
    const T = teacher.read(tKey).data;
    const S = student.read(sKey).data;
    const all: { index: number; kl: number; agreement: number; top1Agree: boolean; t: Float64Array; s: Float64Array }[] = [];
    for (let i = 0; i < n; i++) {
      const t = tScores(rowOf(T, i, C));
      const s = sScores(rowOf(S, sRow(i), C));
      const a = sampleAgreement(t, s, opts);
      all.push({ index: i, kl: a.kl, agreement: a.agreement, top1Agree: a.top1Agree, t, s });
    }
    all.sort((a, b) => b.kl - a.kl || a.index - b.index);
    const picked = all.slice(0, o.worst);
    const grams = worstGrams(
      o,
      [tKey, sKey, idKey],
      picked.map((w) => w.index),
      studentRowOf,
      warnings,
    );
    worst = picked.map((w, r) => ({
      rank: r + 1,
      index: w.index,
      id: idOf(w.index),
      kl: w.kl,
      agreement: w.agreement,
      top1Agree: w.top1Agree,
      teacherTop1: classProb(topClasses(w.t, temperedProbabilities(w.t, temperature, teacherInputs), 1)[0]!),
      studentTop1: classProb(topClasses(w.s, temperedProbabilities(w.s, temperature, studentInputs), 1)[0]!),
      truth: truthOf(w.index),
      layers: grams ? grams.map((g) => ({ teacher: g.teacher, student: g.student, ...g.values[r]! })) : null,
    }));
    if (o.worst > n) warnings.push(`worst ${o.worst} asked for more samples than the ${n} there are`);
  }

  return {
    teacherFile: teacher.source,
    studentFile: student.source,
    n,
    classes: C,
    outputKey: { teacher: tKey, student: sKey },
    teacherKind,
    studentKind,
    kinds,
    temperature,
    ids: idKey,
    k,
    sample,
    worst,
    warnings,
  };
}

/** Most multiply-adds `--worst` spends on Gram-row correlations: N·n·Σ(p + q). */
const WORST_GRAM_BUDGET = 5e8;

/** Gram-row correlations of the worst samples at every layer pair, or null (with a warning) when over budget. */
function worstGrams(
  o: ExplainOptions,
  taken: (string | null)[],
  rows: readonly number[],
  studentRowOf: Int32Array | null,
  warnings: string[],
): { teacher: string; student: string; values: { gramCorrelation: number | null; gramReason: string | null }[] }[] | null {
  const { teacher, student } = o;
  const pairs = resolveLayerPairs(teacher, student, o.pairs, taken);
  if (pairs.length === 0 || rows.length === 0) return [];
  const per = (c: Capture, k: string) => {
    const shape = c.info(k).shape;
    return (shape[0] ?? 0) * shape.slice(1).reduce((a, d) => a * d, 1);
  };
  const cost = rows.length * pairs.reduce((a, p) => a + per(teacher, p.teacher) + per(student, p.student), 0);
  if (cost > WORST_GRAM_BUDGET) {
    warnings.push(
      `the worst list has no Gram-row correlations: ${rows.length} samples × ${pairs.length} layer pairs would take ${cost.toExponential(1)} multiply-adds (more than ${WORST_GRAM_BUDGET.toExponential(0)}); explain single samples for them`,
    );
    return null;
  }
  return pairs.map((p) => {
    const g = gramRowCorrelations(teacher, student, p, rows, studentRowOf, {
      pool: o.pool ?? 'flatten',
      channelsLast: o.channelsLast,
      maskKey: 'attention_mask',
    });
    return { teacher: p.teacher, student: p.student, values: g.values.map((v) => ({ gramCorrelation: v.value, gramReason: v.reason })) };
  });
}

/** Cosine (equal widths) and Gram-row correlation (any widths) of one sample's features at every layer pair. */
function layerCosines(o: ExplainOptions, taken: (string | null)[], i: number, j: number, studentRowOf: Int32Array | null, warnings: string[]): LayerCosine[] {
  const { teacher, student } = o;
  const pairs = resolveLayerPairs(teacher, student, o.pairs, taken);
  if (pairs.length === 0) warnings.push('no layer has the same name in both captures: no per-layer cosine (name the layer pairs teacher:student)');
  const pool = o.pool ?? 'flatten';
  const maskRow = (c: Capture, row: number): Tensor | undefined =>
    pool === 'mean' && c.keys().includes('attention_mask') ? c.readRows('attention_mask', row, row + 1) : undefined;
  return pairs.map((p) => {
    const tm = featureMatrix(teacher.readRows(p.teacher, i, i + 1), `teacher layer '${p.teacher}'`, {
      pool,
      channelsLast: o.channelsLast,
      mask: maskRow(teacher, i),
    });
    const sm = featureMatrix(student.readRows(p.student, j, j + 1), `student layer '${p.student}'`, {
      pool,
      channelsLast: o.channelsLast,
      mask: maskRow(student, j),
    });
    const g = gramRowCorrelations(teacher, student, p, [i], studentRowOf, { pool, channelsLast: o.channelsLast, maskKey: 'attention_mask' }).values[0]!;
    const base = { teacher: p.teacher, student: p.student, teacherWidth: tm.cols, studentWidth: sm.cols, gramCorrelation: g.value, gramReason: g.reason };
    if (tm.cols !== sm.cols) return { ...base, cosine: null, reason: `widths differ (${tm.cols} vs ${sm.cols}); cosine needs equal widths` };
    for (const [side, m] of [
      ['teacher', tm],
      ['student', sm],
    ] as const) {
      if (m.data.every((v) => v === 0))
        return { ...base, cosine: null, reason: `the ${side}'s activations of this sample are all zero (a zero vector has no direction)` };
    }
    const st = initCosine(tm.cols);
    updateCosine(st, tm.data, sm.data, 1, p.teacher, p.student);
    return { ...base, cosine: cosineValue(st) * 100, reason: null };
  });
}

/** Arrays that hold true classes, in the order they are looked for. */
const LABEL_KEYS = ['labels', 'targets'];

/**
 * The true class of teacher row i: from the first of {@link LABEL_KEYS} that holds one value
 * per sample, in the teacher capture or else the student's (read at the student's row). A value
 * that is not an integer class index in [0, C) gives null for that sample; no such array, null
 * for all.
 */
function trueClasses(
  teacher: Capture,
  student: Capture,
  n: number,
  C: number,
  label: (i: number) => string | null,
  studentRowOf: Int32Array | null,
): (i: number) => TrueClass | null {
  const holds = (c: Capture, key: string) => c.keys().includes(key) && c.info(key).shape.length === 1 && c.info(key).shape[0] === n;
  for (const [c, row] of [
    [teacher, (i: number) => i],
    [student, (i: number) => (studentRowOf ? studentRowOf[i]! : i)],
  ] as const) {
    const key = LABEL_KEYS.find((k) => holds(c, k));
    if (!key) continue;
    return (i) => {
      const v = Number(c.readRows(key, row(i), row(i) + 1).data[0]);
      return Number.isInteger(v) && v >= 0 && v < C ? { key, index: v, label: label(v) } : null;
    };
  }
  return () => null;
}
