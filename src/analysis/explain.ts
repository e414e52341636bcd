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
 * Layer pairs default to the layers of the same name in both captures — or, for captures
 * written from transformers' `output_hidden_states` (`hidden_states.0` … `hidden_states.N` on
 * both sides), the last hidden state of each, as `krs score --task nlp` pairs them.
 *
 * Text: when a capture holds a `text` array (or the one named by `textKey`) of one string per
 * sample — NumPy's fixed-width unicode `np.array(texts)` (`<U…`) or UTF-8 bytes
 * (`np.char.encode(texts, 'utf-8')`, `|S…`), both plain .npy without pickle — each explained
 * sample carries its text, whole; {@link displayText} escapes and shortens it for a terminal.
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

import { type OutputKinds, type ScoreKind, sigmoidToLogits } from '../agreement/output-kind.js';
import { rowOf, sampleAgreement, temperedProbabilities, topClasses } from '../agreement/per-sample.js';
import { errors, fmtShape, KrsError, opt } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import type { Capture } from '../io/capture.js';
import { alignIds } from '../krs/align.js';
import type { LayerPair } from '../krs/metric.js';
import { captureOutputKinds, DEFAULT_ID_KEYS, resolveLayerPairs, TEXT_KEY } from '../krs/score-captures.js';
import { cosineValue, initCosine, updateCosine } from '../similarity/cosine.js';
import { featureMatrix, type Pooling } from '../similarity/features.js';
import { lastHiddenStatePairs } from '../tasks/nlp.js';
import { gramRowCorrelations } from './gram-row.js';

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
  /** The array of the samples' text (one string per sample); default `text` when a capture has it. */
  readonly textKey?: string;
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
  /** The sample's text, whole, from the capture's text array; null without one. */
  readonly text: string | null;
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
  /** As {@link SampleExplanation.text}. */
  readonly text: string | null;
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
  /** The text array shown, or null when the captures carry none. */
  readonly textKey: string | null;
  readonly sample: SampleExplanation | null;
  readonly worst: readonly WorstSample[] | null;
  readonly warnings: readonly string[];
}

const OUTPUT_KEYS = ['logits', 'probs'];

/** What the steps of {@link explainSamples} share: the output arrays as read, the alignment, the text. */
interface ExplainContext {
  readonly o: ExplainOptions;
  readonly k: number;
  readonly temperature: number;
  readonly outputs: ResolvedOutputs;
  readonly alignment: Alignment;
  /** The text of teacher row i, or null when the captures carry none. */
  readonly textOf: ((i: number) => string) | null;
  readonly truthOf: (i: number) => TrueClass | null;
  readonly classProb: (c: { rank: number; index: number; prob: number }) => ClassProb;
  readonly warnings: string[];
}

/** Explain one sample and/or list the worst. See the module comment. */
export function explainSamples(o: ExplainOptions): ExplainResult {
  const { k, temperature } = checkRequest(o);
  const warnings: string[] = [];
  const outputs = resolveOutputs(o, warnings);
  const { n, C, tKey, sKey } = outputs;
  const alignment = resolveAlignment(o, n);
  const label = (i: number): string | null => o.classes?.[i] ?? null;
  const ctx: ExplainContext = {
    o,
    k,
    temperature,
    outputs,
    alignment,
    textOf: sampleTexts(o, n, alignment),
    truthOf: trueClasses(o.teacher, o.student, n, C, label, alignment.studentRowOf),
    classProb: (c) => ({ ...c, label: label(c.index) }),
    warnings,
  };
  const sample = o.sample !== undefined || o.id !== undefined ? explainOne(ctx, sampleRow(o, alignment, n)) : null;
  const worst = o.worst !== undefined ? listWorst(ctx, o.worst) : null;
  return {
    teacherFile: o.teacher.source,
    studentFile: o.student.source,
    n,
    classes: C,
    outputKey: { teacher: tKey, student: sKey },
    teacherKind: outputs.teacherKind,
    studentKind: outputs.studentKind,
    kinds: outputs.kinds,
    temperature,
    ids: alignment.idKey,
    k,
    textKey: ctx.textOf ? textKeyOf(o) : null,
    sample,
    worst,
    warnings,
  };
}

/** Check what is asked: a sample, an id and/or a worst list; k and worst positive integers. */
function checkRequest(o: ExplainOptions): { k: number; temperature: number } {
  if (o.sample === undefined && o.id === undefined && o.worst === undefined)
    throw errors.badOption('sample', null, `a sample (${opt('sample')} I or ${opt('id')} ID) and/or ${opt('worst')} N`);
  if (o.sample !== undefined && o.id !== undefined) throw errors.badOption('id', o.id, `either ${opt('sample')} or ${opt('id')}, not both`);
  const k = o.k ?? 3;
  if (!Number.isInteger(k) || k < 1) throw errors.badOption('k', k, 'a positive integer');
  if (o.worst !== undefined && (!Number.isInteger(o.worst) || o.worst < 1)) throw errors.badOption('worst', o.worst, 'a positive integer');
  return { k, temperature: o.temperature ?? 1 };
}

/** The output arrays of both captures, their shapes checked, and how each is read. */
interface ResolvedOutputs {
  readonly tKey: string;
  readonly sKey: string;
  readonly n: number;
  readonly C: number;
  readonly kinds: OutputKinds;
  readonly teacherKind: ScoreKind;
  readonly studentKind: ScoreKind;
  /** The kinds sampleAgreement reads (sigmoid scores arrive as their logits). */
  readonly teacherInputs: ScoreKind;
  readonly studentInputs: ScoreKind;
  /** A row of the teacher's (student's) array as the scores the agreement reads. */
  tScores(row: Float64Array): Float64Array;
  sScores(row: Float64Array): Float64Array;
}

function resolveOutputs(o: ExplainOptions, warnings: string[]): ResolvedOutputs {
  const { teacher, student } = o;
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
  const [tInfo, sInfo] = [teacher.info(tKey), student.info(sKey)];
  for (const [c, key, info] of [
    [teacher, tKey, tInfo],
    [student, sKey, sInfo],
  ] as const) {
    if (info.shape.length !== 2)
      throw errors.shapeMismatch(`output '${key}' in ${c.source}`, 'n × C (krs explain reads one class distribution per sample)', fmtShape(info.shape));
  }
  const [n, C] = [tInfo.shape[0]!, tInfo.shape[1]!];
  if (sInfo.shape[0] !== n) throw errors.sampleCountMismatch(`${teacher.source} vs ${student.source}`, n, sInfo.shape[0]!);
  if (sInfo.shape[1] !== C) throw errors.shapeMismatch('output classes', `${C} classes as in ${teacher.source}`, `${sInfo.shape[1]} in ${student.source}`);
  if (o.classes && o.classes.length !== C)
    warnings.push(
      `${o.classes.length} class names for ${C} classes; ${o.classes.length < C ? 'classes without a name are shown by index' : 'the extra names are unused'}`,
    );
  // What each array holds, from all its values (not only the sample shown); sigmoid scores are
  // read as their logits.
  const kinds = captureOutputKinds(teacher, student, { teacher: tKey, student: sKey }, { teacherInputs: o.teacherInputs, studentInputs: o.studentInputs });
  const teacherKind = kinds.teacher.kind as ScoreKind;
  const studentKind = kinds.student.kind as ScoreKind;
  const scores = (row: Float64Array, kind: ScoreKind, what: string, option: string): Float64Array =>
    kind === 'sigmoid' ? (sigmoidToLogits({ dtype: 'float64', shape: [1, row.length], data: row }, what, option).data as Float64Array) : row;
  return {
    tKey,
    sKey,
    n,
    C,
    kinds,
    teacherKind,
    studentKind,
    teacherInputs: teacherKind === 'probs' ? 'probs' : 'logits',
    studentInputs: studentKind === 'probs' ? 'probs' : 'logits',
    tScores: (row) => scores(row, teacherKind, `teacher output '${tKey}' of ${teacher.source}`, 'teacherInputs'),
    sScores: (row) => scores(row, studentKind, `student output '${sKey}' of ${student.source}`, 'studentInputs'),
  };
}

/** The id array both captures share (if any), the teacher's ids and each teacher row's student row. */
interface Alignment {
  readonly idKey: string | null;
  readonly teacherIds: string[] | null;
  readonly studentRowOf: Int32Array | null;
}

function resolveAlignment(o: ExplainOptions, n: number): Alignment {
  const { teacher, student } = o;
  let idKey: string | null = null;
  if (o.ids) {
    for (const c of [teacher, student]) if (!c.keys().includes(o.ids)) throw errors.unknownKey('id array', o.ids, c.source, c.keys());
    idKey = o.ids;
  } else idKey = DEFAULT_ID_KEYS.find((x) => teacher.keys().includes(x) && student.keys().includes(x)) ?? null;
  if (!idKey) return { idKey, teacherIds: null, studentRowOf: null };
  const teacherIds = teacher.readIds(idKey);
  const sIds = student.readIds(idKey);
  if (teacherIds.length !== n) throw errors.shapeMismatch(`id array '${idKey}' in ${teacher.source}`, `${n} ids (one per sample)`, `${teacherIds.length}`);
  if (sIds.length !== n) throw errors.shapeMismatch(`id array '${idKey}' in ${student.source}`, `${n} ids (one per sample)`, `${sIds.length}`);
  return { idKey, teacherIds, studentRowOf: alignIds(teacherIds, sIds, teacher.source, student.source).studentRowOf };
}

/** The teacher row of `--sample` or `--id`. */
function sampleRow(o: ExplainOptions, a: Alignment, n: number): number {
  if (o.id !== undefined) {
    if (!a.teacherIds)
      throw errors.badOption('id', o.id, `captures with an id array (${DEFAULT_ID_KEYS.join(' or ')}, or ${opt('ids')} KEY); use ${opt('sample')} INDEX`);
    const i = a.teacherIds.indexOf(o.id);
    if (i < 0) throw errors.notFound('sample id', o.id, `'${a.idKey}' of ${o.teacher.source}`, a.teacherIds);
    return i;
  }
  const i = o.sample!;
  if (!Number.isInteger(i) || i < 0 || i >= n) throw errors.badOption('sample', i, `a row index in [0, ${n - 1}]`);
  return i;
}

const studentRow = (a: Alignment, i: number): number => (a.studentRowOf ? a.studentRowOf[i]! : i);

/** The case study of teacher row i. */
function explainOne(ctx: ExplainContext, i: number): SampleExplanation {
  const { o, outputs: out, temperature, k } = ctx;
  const j = studentRow(ctx.alignment, i);
  const t = out.tScores(rowOf(o.teacher.readRows(out.tKey, i, i + 1).data, 0, out.C));
  const s = out.sScores(rowOf(o.student.readRows(out.sKey, j, j + 1).data, 0, out.C));
  const a = sampleAgreement(t, s, { temperature, teacherInputs: out.teacherInputs, studentInputs: out.studentInputs });
  const tTop = topClasses(t, temperedProbabilities(t, temperature, out.teacherInputs), k);
  const sTop = topClasses(s, temperedProbabilities(s, temperature, out.studentInputs), k);
  const shared = tTop.filter((x) => sTop.some((y) => y.index === x.index)).length;
  return {
    index: i,
    studentIndex: j,
    id: ctx.alignment.teacherIds?.[i] ?? null,
    truth: ctx.truthOf(i),
    text: ctx.textOf?.(i) ?? null,
    teacher: { top: tTop.map(ctx.classProb) },
    student: { top: sTop.map(ctx.classProb) },
    kl: a.kl,
    agreement: a.agreement,
    js: a.js,
    top1Agree: a.top1Agree,
    topKOverlap: shared / tTop.length,
    layers: layerCosines(o, [out.tKey, out.sKey, ctx.alignment.idKey], i, j, ctx.alignment.studentRowOf, ctx.warnings),
  };
}

/** The `count` samples of largest KL(teacher‖student), with their Gram-row correlations when affordable. */
function listWorst(ctx: ExplainContext, count: number): WorstSample[] {
  const { o, outputs: out, temperature } = ctx;
  const T = o.teacher.read(out.tKey).data;
  const S = o.student.read(out.sKey).data;
  const opts = { temperature, teacherInputs: out.teacherInputs, studentInputs: out.studentInputs };
  const all: { index: number; kl: number; agreement: number; top1Agree: boolean; t: Float64Array; s: Float64Array }[] = [];
  for (let i = 0; i < out.n; i++) {
    const t = out.tScores(rowOf(T, i, out.C));
    const s = out.sScores(rowOf(S, studentRow(ctx.alignment, i), out.C));
    const a = sampleAgreement(t, s, opts);
    all.push({ index: i, kl: a.kl, agreement: a.agreement, top1Agree: a.top1Agree, t, s });
  }
  all.sort((a, b) => b.kl - a.kl || a.index - b.index);
  const picked = all.slice(0, count);
  const taken = [out.tKey, out.sKey, ctx.alignment.idKey];
  const grams = worstGrams(
    o,
    taken,
    picked.map((w) => w.index),
    ctx.alignment.studentRowOf,
    ctx.warnings,
  );
  const top1 = (x: Float64Array, kind: ScoreKind) => ctx.classProb(topClasses(x, temperedProbabilities(x, temperature, kind), 1)[0]!);
  if (count > out.n) ctx.warnings.push(`worst ${count} asked for more samples than the ${out.n} there are`);
  return picked.map((w, r) => ({
    rank: r + 1,
    index: w.index,
    id: ctx.alignment.teacherIds?.[w.index] ?? null,
    kl: w.kl,
    agreement: w.agreement,
    top1Agree: w.top1Agree,
    teacherTop1: top1(w.t, out.teacherInputs),
    studentTop1: top1(w.s, out.studentInputs),
    truth: ctx.truthOf(w.index),
    text: ctx.textOf?.(w.index) ?? null,
    layers: grams ? grams.map((g) => ({ teacher: g.teacher, student: g.student, ...g.values[r]! })) : null,
  }));
}

/** The text array's key: the one given, else {@link TEXT_KEY}. */
const textKeyOf = (o: ExplainOptions): string => o.textKey ?? TEXT_KEY;

/**
 * The text of each teacher row from the teacher capture's text array, else from the student's
 * (at the row aligned by id), or null when neither has one (a named `textKey` must exist).
 * @throws UNKNOWN_KEY for a named text array neither capture has; BAD_VALUE for numbers;
 *   SHAPE_MISMATCH for other than one string per sample.
 */
function sampleTexts(o: ExplainOptions, n: number, a: Alignment): ((i: number) => string) | null {
  const key = textKeyOf(o);
  const c = [o.teacher, o.student].find((x) => x.keys().includes(key));
  if (!c) {
    if (o.textKey !== undefined) throw errors.unknownKey('text array', key, `${o.teacher.source} or ${o.student.source}`, o.teacher.keys());
    return null;
  }
  let numbers: string | null = null;
  try {
    numbers = String(c.info(key).dtype);
  } catch (e) {
    // Strings are not numeric arrays: info() refuses them, readIds() reads them.
    if (!(e instanceof KrsError && e.code === 'UNSUPPORTED_DTYPE')) throw e;
  }
  if (numbers !== null) {
    throw errors.badValue(
      `text array '${key}' of ${c.source}`,
      `${numbers} numbers`,
      'strings: np.array(texts) (unicode) or np.char.encode(texts, "utf-8") (UTF-8 bytes)',
    );
  }
  const texts = c.readIds(key);
  if (texts.length !== n) throw errors.shapeMismatch(`text array '${key}' in ${c.source}`, `${n} strings (one per sample)`, `${texts.length}`);
  return c === o.teacher ? (i) => texts[i]! : (i) => texts[studentRow(a, i)]!;
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
  const pairs = resolveLayerPairs(teacher, student, o.pairs, taken, lastHiddenStatePairs);
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
  const pairs = resolveLayerPairs(teacher, student, o.pairs, taken, lastHiddenStatePairs);
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

/** Whether {@link displayText} escapes a code point: C0 and C1 controls, DEL, and the bidirectional overrides and isolates. */
const unsafe = (c: number): boolean => c <= 0x1f || (c >= 0x7f && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);

/**
 * A text for one terminal line: at most `maxChars` characters (code points) of it, then `…`
 * and how many more there are; a backslash, newline, carriage return and tab written `\\`,
 * `\n`, `\r`, `\t`, and every other control or bidirectional-override character `\u{XXXX}`,
 * so that a text cannot move the cursor, change colours or reorder what follows it.
 * @example displayText('Subject: hi\nthere', 12) // 'Subject: hi\\n…' + ' (+5 characters)'
 */
export function displayText(text: string, maxChars: number): string {
  const chars = Array.from(text);
  const shown = chars.slice(0, Math.max(0, maxChars));
  const escaped = (ch: string): string => {
    if (ch === '\\') return '\\\\';
    if (ch === '\n') return '\\n';
    if (ch === '\r') return '\\r';
    if (ch === '\t') return '\\t';
    const c = ch.codePointAt(0)!;
    return unsafe(c) ? `\\u{${c.toString(16).padStart(4, '0')}}` : ch;
  };
  const rest = chars.length - shown.length;
  return shown.map(escaped).join('') + (rest > 0 ? `… (+${rest} characters)` : '');
}
