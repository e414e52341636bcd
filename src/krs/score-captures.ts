/**
 * Scoring two captures end to end (what `krs score` runs): resolve the layer pairs and
 * output arrays, check that teacher and student saw the same samples in the same order,
 * stream the arrays through a {@link KrsMetric} batch by batch, and return the result.
 *
 * Works on the {@link Capture} abstraction, so it runs on files (Node) and on in-memory
 * bytes (browsers) alike. Memory is bounded by the batch size, except when the student's
 * samples must be reordered by id (then the student's arrays are read whole).
 */

import type { DetectionImage } from '../agreement/detection.js';
import { type OutputKinds, outputKindScan, resolveOutputKinds, type ScoreKind, scoreKind } from '../agreement/output-kind.js';
import { errors, fmtShape, KrsError, opt } from '../core/errors.js';
import { gatherRows, sizeOf, type Tensor } from '../core/tensor.js';
import { type Capture, verifyArrays } from '../io/capture.js';
import { decodedItemSize } from '../io/decode.js';
import { pauseAt, throwIfInterrupted } from '../io/interrupt.js';
import { DEFAULT_GRAM_BLOCK } from '../linalg/gram-pass.js';
import { featureValueBytes, pooledWidth } from '../similarity/features.js';
import { MIN_MINIBATCH } from '../similarity/minibatch-hsic.js';
import { type Similarity, similaritySpec } from '../similarity/registry.js';
import { DEFAULT_MEMORY_BUDGET, type SimilaritySettings } from '../similarity/spec.js';
import { TASK_CAPTURE_KEYS, taskSpec } from '../tasks/registry.js';
import { alignIds } from './align.js';
import { blockBounds, DEFAULT_GROUP_MEMORY, DEFAULT_GROUPS } from './groups.js';
import { type KrsBatch, KrsMetric, type KrsMetricOptions, type KrsResult, type LayerPair, type ReducedPair } from './metric.js';
import { splitPair } from './pairs.js';
import { type NullLevel, nullLevelOf, type ReferenceLevels, type ReferenceOptions, resolveReference, seededPermutation } from './reference-levels.js';
import { assertRunFits, type PairMemoryInput, runMemory } from './run-memory.js';

/** The array of the samples' text (one string per sample; `krs explain` shows it): never a layer. */
export const TEXT_KEY = 'text';

/** Keys looked for, in order, when no --ids key is given; used when both captures have one. */
export const DEFAULT_ID_KEYS = ['ids', 'sample_ids'];

/**
 * Capture keys that are never layers: what the tasks read as outputs and masks (their specs'
 * `outputKeys` and `maskKey`, {@link TASK_CAPTURE_KEYS}), the truth `krs eval --save-captures`
 * writes (`targets`), the samples' text ({@link TEXT_KEY}) and the sample ids.
 */
export const RESERVED_KEYS: readonly string[] = [...new Set([...TASK_CAPTURE_KEYS, 'targets', TEXT_KEY, ...DEFAULT_ID_KEYS])];

export interface ScoreCapturesOptions extends Omit<KrsMetricOptions, 'pairs'> {
  /** Features (and, except for detection and label-map segmentation, outputs). */
  teacher: Capture;
  student: Capture;
  /**
   * Layer pairs, as objects or as `teacher:student` strings (split against the captures'
   * names, so names may contain ':'); default: the layers present under the same name in both.
   */
  pairs?: readonly (LayerPair | string)[];
  /** Output array key on both sides; default: the task preset's first key present. */
  outputKey?: string;
  /** Key of an int or string array of sample ids in both captures, to align samples by. */
  ids?: string;
  /** Rows per batch; default sized to keep a batch under ~256 MB of float64, at most 8192 rows. */
  batchSize?: number;
  /** Detection: per-image detections of both sides (grouped already). */
  images?: readonly DetectionImage[];
  /** Segmentation from label maps kept outside the captures (e.g. PNG folders), joined by id (file name). */
  labelMaps?: { teacherFile: string; studentFile: string; teacher: LabelMaps; student: LabelMaps };
  /** Called after every batch with the samples done and the total (twice the samples when the null level is computed). */
  onProgress?: (done: number, total: number) => void;
  /**
   * Reference levels (src/krs/reference-levels.ts): `null: true` also scores the student's
   * samples in a seeded random order (`seed`, default 1) — chance alignment, one more pass
   * without intervals, the student's arrays read whole. Default: off.
   */
  reference?: ReferenceOptions;
}

/** One H×W label map per image, with the images' ids. */
export interface LabelMaps {
  ids: string[];
  maps: Tensor[];
}

export interface ScoreCapturesResult extends KrsResult {
  /** What gives the score meaning: the teacher's level (100), the null level, a baseline (set by the caller). */
  reference: ReferenceLevels;
  teacherFile: string;
  studentFile: string;
  /** The id key used to align samples, if any. */
  ids: string | null;
  batchSize: number;
}

const BATCH_BYTES = 256 * 2 ** 20;
/** Rows per default batch at most: enough for full-speed products, and batches fine enough to shard. */
const MAX_BATCH_ROWS = 8192;

/**
 * Score a student capture against a teacher capture.
 * @throws UNKNOWN_KEY for a missing layer/output/id key; SHAPE_MISMATCH for differing
 *   sample counts; ID_MISMATCH for differing ids; and whatever the metric throws.
 */
export async function scoreCaptures(options: ScoreCapturesOptions): Promise<ScoreCapturesResult> {
  await verifyScoreArrays(options);
  const plan = planScore(options);
  return finishScore(scoreContext(plan), await foldScore(plan));
}

/**
 * What scoring two captures needs before any batch is read: the arrays, the samples, the
 * alignment, the output kinds, the metric's options and the batches. The same for every shard
 * of a run (it depends on the captures and options only), so shards fold the same batches.
 */
export interface ScorePlan {
  readonly options: ScoreCapturesOptions;
  /** Samples (feature rows) of the whole run. */
  readonly n: number;
  readonly pairs: LayerPair[];
  readonly outputKeys: { teacher: string; student: string } | null;
  readonly idKey: string | undefined;
  /** Student row of each teacher row, when the ids reorder them. */
  readonly studentRowOf: Int32Array | null;
  readonly kinds: OutputKinds | null;
  /** The metric's options (its `firstSample` is set per shard). */
  readonly metricOptions: KrsMetricOptions;
  readonly batchSize: number;
  /** Every batch of the whole run, in order: [start, end) of the samples. */
  readonly batches: [number, number][];
  readonly reference: { null: boolean; seed: number };
  /** How each layer pair is computed (see {@link pairRoutes}). */
  readonly routes: readonly PairPlan[];
  readonly warnings: string[];
  readonly masks: { teacher: string | undefined; student: string | undefined };
}

/** The metrics of a run (or of a shard's slice of it): the student's and the null level's. */
export interface FoldedScore {
  metric: KrsMetric;
  nullMetric: KrsMetric | null;
  /** Pairs computed outside the metrics (sharded Gram passes), by metric. */
  reduced?: { metric?: ReadonlyMap<number, ReducedPair>; null?: ReadonlyMap<number, ReducedPair> };
}

/** The student row each teacher row meets in the null level: a seeded permutation of all n samples (through the ids alignment). */
export function nullRowOf(plan: ScorePlan): Int32Array {
  const perm = seededPermutation(plan.n, plan.reference.seed);
  const rowOf = plan.studentRowOf;
  return rowOf ? perm.map((j) => rowOf[j]!) : perm;
}

/**
 * Check the integrity of every array a score of `options` reads (layers, outputs, ids, masks)
 * ahead of {@link planScore}, with stop points (`Capture.verify`): the checksum pass over a
 * large npz entry then yields to the event loop every 8 MiB, so an interrupt acts within a
 * chunk instead of after the whole pass. Without it the reads check the same, synchronously.
 * @throws as {@link planScore} for keys that are not there; BAD_FILE for a corrupt array; INTERRUPTED.
 */
export async function verifyScoreArrays(options: ScoreCapturesOptions): Promise<void> {
  const { teacher, student } = options;
  if (!teacher.verify && !student.verify) return;
  const outputKeys = resolveOutputKeys(options);
  const idKey = resolveIdKey(options);
  const pairs = resolvePairs(options, [outputKeys?.teacher, outputKeys?.student, idKey]);
  const mask = taskSpec(options.task).maskKey;
  await verifyArrays(teacher, [...pairs.map((p) => p.teacher), outputKeys?.teacher, idKey, mask]);
  await verifyArrays(student, [...pairs.map((p) => p.student), outputKeys?.student, idKey, mask]);
}

/** Resolve everything {@link foldScore} needs (see {@link ScorePlan}). */
export function planScore(options: ScoreCapturesOptions): ScorePlan {
  const { teacher, student } = options;
  const warnings: string[] = [];
  const outputKeys = resolveOutputKeys(options);
  const idKey = resolveIdKey(options);
  const pairs = resolvePairs(options, [outputKeys?.teacher, outputKeys?.student, idKey]);
  const arrays = planArrays(options, pairs, outputKeys);
  const { n, masks } = arrays;
  const { rowBytes, batchSize } = batchSizing(options, arrays);
  const reference = resolveReference(options.reference);
  const routes = pairRoutes(options, pairs, n);
  const checkMemory = (studentWhole: boolean) => {
    const studentArrays = [...arrays.studentKeys, ...(masks.student ? [masks.student] : [])];
    assertRunFits(
      runMemory({
        n,
        batchSize,
        rowBytes,
        groups: options.intervals === false ? 1 : (options.intervals?.groups ?? DEFAULT_GROUPS),
        intervalBudget: (options.intervals || undefined)?.memoryBudget ?? DEFAULT_GROUP_MEMORY,
        gramBlock: options.gramBlock ?? DEFAULT_GRAM_BLOCK,
        pairs: routes,
        nullLevel: reference.null,
        wholeArrays: studentWhole ? studentArrays.map((key) => ({ key, bytes: decodedBytes(student, key) })) : [],
        idItemBytes: idKey ? Math.max(idItemBytes(teacher, idKey), idItemBytes(student, idKey)) : 0,
      }),
      options.memoryBudget ?? DEFAULT_MEMORY_BUDGET,
      `scoring ${student.source} against ${teacher.source} (${n} samples, ${pairs.length} layer pair${pairs.length === 1 ? '' : 's'}${reference.null ? ', with the null level' : ''})`,
    );
  };
  checkMemory(reference.null);
  const studentRowOf = alignSamples(options, idKey, n, warnings);
  // Reordered samples are gathered from the student's arrays read whole.
  if (studentRowOf && !reference.null) checkMemory(true);
  const { kinds, metricOptions } = planMetricOptions(options, n, pairs, outputKeys);
  // Every estimator streams the same batches of batchSize rows: the minibatch estimator's
  // minibatches are these batches (the metric puts each whole in the group of its first sample).
  const batches = batchBounds(n, batchSize);
  return { options, n, pairs, outputKeys, idKey, studentRowOf, kinds, metricOptions, batchSize, batches, reference, routes, warnings, masks };
}

interface PlannedArrays {
  readonly n: number;
  readonly teacherKeys: string[];
  readonly studentKeys: string[];
  readonly masks: { teacher: string | undefined; student: string | undefined };
}

/** The arrays a run reads on each side and their common sample count (both sides alike). */
function planArrays(options: ScoreCapturesOptions, pairs: readonly LayerPair[], outputKeys: ScorePlan['outputKeys']): PlannedArrays {
  const { teacher, student } = options;
  const spec = taskSpec(options.task);
  // Every array used must hold the same number of samples on its side, and both sides alike.
  const teacherKeys = [...pairs.map((p) => p.teacher), ...(outputKeys ? [outputKeys.teacher] : [])];
  const studentKeys = [...pairs.map((p) => p.student), ...(outputKeys ? [outputKeys.student] : [])];
  const n = commonSampleCount(teacher, teacherKeys);
  const ns = commonSampleCount(student, studentKeys);
  if (n !== ns) throw errors.sampleCountMismatch(`${teacher.source} vs ${student.source}`, n, ns);
  const maskKey = spec.maskKey;
  const useMask = (c: Capture) => (maskKey && (options.pool ?? spec.pool) === 'mean' && c.keys().includes(maskKey) ? maskKey : undefined);
  return { n, teacherKeys, studentKeys, masks: { teacher: useMask(teacher), student: useMask(student) } };
}

/** Bytes of one sample over every array read (priced from the declared shapes), and the batch size that follows. */
function batchSizing(options: ScoreCapturesOptions, a: PlannedArrays): { rowBytes: number; batchSize: number } {
  const { teacher, student } = options;
  const rowBytes =
    8 *
    ([...a.teacherKeys, ...(a.masks.teacher ? [a.masks.teacher] : [])].reduce((s, k) => s + sizeOf(teacher.info(k).shape.slice(1)), 0) +
      [...a.studentKeys, ...(a.masks.student ? [a.masks.student] : [])].reduce((s, k) => s + sizeOf(student.info(k).shape.slice(1)), 0));
  const batchSize = options.batchSize ?? Math.max(1, Math.min(a.n, MAX_BATCH_ROWS, Math.max(256, Math.floor(BATCH_BYTES / Math.max(rowBytes, 1)))));
  if (!Number.isInteger(batchSize) || batchSize < 1) throw errors.badOption('batchSize', batchSize, 'a positive integer');
  return { rowBytes, batchSize };
}

/** The student row of each teacher row when the ids reorder them (null: same order), with the warnings it calls for. */
function alignSamples(options: ScoreCapturesOptions, idKey: string | undefined, n: number, warnings: string[]): Int32Array | null {
  const { teacher, student } = options;
  if (!idKey) {
    warnings.push(
      `no sample ids in the captures (${DEFAULT_ID_KEYS.join(' or ')}, or --ids KEY): teacher and student rows are assumed to be the same samples in the same order, which cannot be checked`,
    );
    return null;
  }
  const { studentRowOf } = alignIds(readIds(teacher, idKey, n), readIds(student, idKey, n), teacher.source, student.source);
  if (studentRowOf) warnings.push(`student samples were reordered by '${idKey}' to match the teacher's order`);
  return studentRowOf;
}

/** The output kinds and the metric's options (checked by constructing the metric). */
function planMetricOptions(
  options: ScoreCapturesOptions,
  n: number,
  pairs: LayerPair[],
  outputKeys: ScorePlan['outputKeys'],
): { kinds: OutputKinds | null; metricOptions: KrsMetricOptions } {
  const { teacher, student } = options;
  // What each output array holds: set by teacherInputs/studentInputs, else told from its values.
  const outputOptions = { ...options.output };
  const kinds = outputKeys && taskSpec(options.task).agreement.readsOutputKinds ? captureOutputKinds(teacher, student, outputKeys, outputOptions) : null;
  if (kinds) {
    outputOptions.teacherInputs = kinds.teacher.kind as ScoreKind;
    outputOptions.studentInputs = kinds.student.kind as ScoreKind;
  }
  const { teacher: _t, student: _s, images: _i, labelMaps: _l, onProgress: _p, reference: _r, outputKey: _o, ids: _d, batchSize: _b, ...rest } = options;
  const metricOptions: KrsMetricOptions = {
    ...rest,
    samples: options.samples ?? n,
    pairs,
    output: outputOptions,
    intervals: options.intervals === false ? false : { samples: n, ...options.intervals },
  };
  new KrsMetric(metricOptions); // checks the options
  return { kinds, metricOptions };
}

/**
 * How each layer pair of a run will be computed, from the declared shapes and the options
 * alone: pooled widths, the similarity (the task preset's unless one is forced), the route
 * (the similarity's {@link SimilaritySpec.plan}: the linear CKA family's cheaper exact route for all
 * n samples; `scalars` for a spec without a plan) and the precision
 * of its rows. The same for every shard of the run.
 * @throws BAD_VALUE when no exact route of a pair fits the memory budget.
 */
export function pairRoutes(options: ScoreCapturesOptions, pairs: readonly LayerPair[], n: number): PairPlan[] {
  const spec = taskSpec(options.task);
  const feature = { pool: options.pool ?? spec.pool, channelsLast: options.channelsLast };
  return pairs.map((pair) => {
    const t = options.teacher.info(pair.teacher);
    const s = options.student.info(pair.student);
    const p = pooledWidth(t.shape, feature);
    const q = pooledWidth(s.shape, feature);
    const similarity = options.similarity ?? spec.similarityFor(p, q).similarity;
    const valueBytes = { teacher: featureValueBytes(t.dtype, t.shape, feature), student: featureValueBytes(s.dtype, s.shape, feature) };
    const settings = {
      valueBytes,
      estimator: options.estimator ?? 'exact',
      memoryBudget: options.memoryBudget ?? DEFAULT_MEMORY_BUDGET,
      samples: n,
      teacherName: pair.teacher,
      studentName: pair.student,
      ...(options.exactRoute ? { exactRoute: options.exactRoute } : {}),
    } as SimilaritySettings;
    const planned = similaritySpec(similarity).plan?.(p, q, settings) ?? { route: 'scalars' };
    return { teacher: pair.teacher, student: pair.student, p, q, similarity, valueBytes, ...planned };
  });
}

/** A layer pair of a run: {@link PairMemoryInput} and its similarity. */
export interface PairPlan extends PairMemoryInput {
  readonly similarity: Similarity;
}

/** Bytes an array takes decoded in memory (float16 and bfloat16 widen to 4 bytes). */
function decodedBytes(c: Capture, key: string): number {
  const { dtype, shape } = c.info(key);
  return sizeOf(shape) * decodedItemSize(dtype);
}

/** Bytes per id of an id array: its item size, or 64 for strings (which `info` cannot describe). */
function idItemBytes(c: Capture, key: string): number {
  try {
    return decodedItemSize(c.info(key).dtype);
  } catch (e) {
    if (e instanceof KrsError && e.code === 'UNSUPPORTED_DTYPE') return 64;
    throw e;
  }
}

/**
 * Fold the batches `batches` (default: all of the plan's; a shard passes its contiguous run of
 * them) into a new metric — and, with the null level, into a null metric whose teacher row i
 * meets the student row of a seeded permutation of all n samples.
 */
export async function foldScore(plan: ScorePlan, batches: readonly [number, number][] = plan.batches): Promise<FoldedScore> {
  const { options, n, pairs, outputKeys, studentRowOf, reference } = plan;
  const { teacher, student } = options;
  const firstSample = batches[0]?.[0] ?? n;
  const end = batches[batches.length - 1]?.[1] ?? n;
  const rows = end - firstSample;
  // Student arrays read whole when rows must be gathered (by id, or permuted for the null level).
  const studentWhole = new Map<string, Tensor>();
  const passes = reference.null ? 2 : 1;

  /** Samples [start, end) as a batch: teacher row i meets student row rowOf[i] (or i). */
  const readBatch = (rowOf: Int32Array | null, start: number, end: number): KrsBatch => {
    const studentRows = (key: string): Tensor => {
      if (!rowOf) return student.readRows(key, start, end);
      let whole = studentWhole.get(key);
      if (!whole) studentWhole.set(key, (whole = student.read(key)));
      return gatherRows(whole, rowOf, start, end);
    };
    // Handed over: every array is read afresh for this batch, and nothing else writes to it.
    const batch: KrsBatch = { teacher: {}, student: {}, handOver: true };
    const t = batch.teacher as Record<string, Tensor>;
    const s = batch.student as Record<string, Tensor>;
    for (const p of pairs) {
      t[p.teacher] ??= teacher.readRows(p.teacher, start, end);
      s[p.student] ??= studentRows(p.student);
    }
    if (plan.masks.teacher) batch.teacherMask = teacher.readRows(plan.masks.teacher, start, end);
    if (plan.masks.student) batch.studentMask = studentRows(plan.masks.student);
    if (outputKeys) {
      batch.teacherOutput = teacher.readRows(outputKeys.teacher, start, end);
      batch.studentOutput = studentRows(outputKeys.student);
      // Token-level outputs (n × tokens × classes) are masked like the features.
      if (batch.teacherOutput.shape.length > 2 && plan.masks.teacher) batch.outputMask = batch.teacherMask;
    }
    return batch;
  };

  /** One streaming pass over the batches. A shard that starts later first takes the run's first batch's feature means as its shifts. */
  const pass = async (metric: KrsMetric, rowOf: Int32Array | null, passIndex: number): Promise<void> => {
    const runStart = plan.batches[0];
    if (runStart && batches.length && batches[0]![0] !== runStart[0]) metric.fixShifts(readBatch(rowOf, runStart[0], runStart[1]));
    for (const [start, end] of batches) {
      // A stop point between batches: an interrupt requested by the bin (SIGINT/SIGTERM) is seen
      // here, after letting the event loop run its handlers (a plain setTimeout: browser-safe).
      await new Promise((resolve) => setTimeout(resolve, 0));
      await pauseAt(`score-batch:${start}`);
      throwIfInterrupted();
      const batch = readBatch(rowOf, start, end);
      if (outputKeys) await metric.update(batch);
      else await metric.updateFeatures(batch);
      options.onProgress?.(passIndex * rows + end - firstSample, passes * rows);
    }
  };
  const metric = new KrsMetric({ ...plan.metricOptions, firstSample });
  await pass(metric, studentRowOf, 0);
  if (!outputKeys) await feedExternalOutputs(metric, options, null, firstSample, end, n);

  // The null level (src/krs/reference-levels.ts): the same arrays again, the student's samples
  // in a seeded random order, no intervals.
  let nullMetric: KrsMetric | null = null;
  if (reference.null) {
    const rowOf = nullRowOf(plan);
    nullMetric = new KrsMetric({ ...plan.metricOptions, firstSample, intervals: false });
    await pass(nullMetric, rowOf, 1);
    if (!outputKeys) await feedExternalOutputs(nullMetric, options, reference.seed, firstSample, end, n);
  }
  studentWhole.clear();
  return { metric, nullMetric };
}

/** What a result reports besides its metrics: plain JSON, so shards carry it in their state files. */
export interface ScoreContext {
  kinds: OutputKinds | null;
  warnings: string[];
  idKey: string | null;
  batchSize: number;
  nullSeed: number;
  teacherFile: string;
  studentFile: string;
}

/** The {@link ScoreContext} of a plan. */
export function scoreContext(plan: ScorePlan): ScoreContext {
  return {
    kinds: plan.kinds,
    warnings: plan.warnings,
    idKey: plan.idKey ?? null,
    batchSize: plan.batchSize,
    nullSeed: plan.reference.seed,
    teacherFile: plan.options.teacher.source,
    studentFile: plan.options.student.source,
  };
}

/** The result of a run from its folded (or merged) metrics; the null level's warnings repeat the main pass's and are dropped. */
export async function finishScore(plan: ScoreContext, folded: FoldedScore): Promise<ScoreCapturesResult> {
  const result = await folded.metric.compute({ reduced: folded.reduced?.metric });
  const nullLevel: NullLevel | null = folded.nullMetric ? nullLevelOf(await folded.nullMetric.compute({ reduced: folded.reduced?.null }), plan.nullSeed) : null;
  const files = { teacher: plan.teacherFile, student: plan.studentFile };
  const kinds = plan.kinds;
  return {
    ...result,
    reference: { teacher: 100, null: nullLevel, baseline: null },
    ...(kinds ? { output: { ...result.output, teacherKind: kinds.teacher.kind, studentKind: kinds.student.kind, kinds } } : {}),
    warnings: [...plan.warnings, ...result.warnings],
    teacherFile: files.teacher,
    studentFile: files.student,
    ids: plan.idKey,
    batchSize: plan.batchSize,
  };
}

/**
 * The kinds of the two captures' output arrays (src/agreement/output-kind.ts): each side's as set
 * (`teacherInputs`, `studentInputs`), else inferred from all its values, read in chunks of about
 * 4 MiB (one extra pass over the output arrays, O(n·C)).
 * @throws BAD_OPTION when the inferred kinds differ and neither was set; BAD_VALUE for label ids.
 */
export function captureOutputKinds(
  teacher: Capture,
  student: Capture,
  keys: { teacher: string; student: string },
  set: { teacherInputs?: ScoreKind; studentInputs?: ScoreKind } = {},
): OutputKinds {
  const side = (c: Capture, key: string, who: string, declared: ScoreKind | undefined) => {
    const what = `${who} output '${key}' of ${c.source}`;
    if (declared) return { what, declared };
    const scan = outputKindScan(what);
    const shape = c.info(key).shape;
    const n = shape[0] ?? 0;
    const step = Math.max(1, Math.floor(2 ** 19 / Math.max(1, sizeOf(shape.slice(1)))));
    for (let s = 0; s < n; s += step) scan.add(c.readRows(key, s, Math.min(n, s + step)));
    return { what, inferred: scan.result() };
  };
  const t = side(teacher, keys.teacher, 'teacher', set.teacherInputs);
  const s = side(student, keys.student, 'student', set.studentInputs);
  const kinds = resolveOutputKinds(t, s, ['teacherInputs', 'studentInputs']);
  scoreKind(kinds.teacher, t.what, 'teacherInputs');
  scoreKind(kinds.student, s.what, 'studentInputs');
  return kinds;
}

/**
 * Outputs that do not live in the captures: detections, or label maps read elsewhere. With
 * `nullSeed`, the null level's pairing: each teacher image meets the student's detections of
 * another image (a seeded permutation), and each teacher label map a student map of another
 * image of the same size (permuted within each size).
 */
async function feedExternalOutputs(
  metric: KrsMetric,
  options: ScoreCapturesOptions,
  nullSeed: number | null,
  start: number,
  end: number,
  n: number,
): Promise<void> {
  /** Images [lo, hi) of m that the samples [start, end) of n stand for (all of them in a whole run). */
  const share = (m: number): [number, number] =>
    start === 0 && end === n ? [0, m] : [Math.floor((start * m) / Math.max(n, 1)), Math.floor((end * m) / Math.max(n, 1))];
  if (taskSpec(options.task).outputSource === 'coco-detections') {
    // Images in contiguous blocks, one per interval group.
    let images = options.images ?? [];
    if (nullSeed !== null) {
      const perm = seededPermutation(images.length, nullSeed);
      images = images.map((im, i) => ({
        imageId: im.imageId,
        teacher: im.teacher,
        student: images[perm[i]!]!.student.map((d) => ({ ...d, imageId: im.imageId })),
      }));
    }
    const bounds = blockBounds(images.length, metric.groups);
    const [lo, hi] = share(images.length);
    if (images.length === 0) await metric.updateOutputs({ images });
    for (let g = 0; g < metric.groups; g++) {
      const a = Math.max(lo, bounds[g]!);
      const b = Math.min(hi, bounds[g + 1]!);
      if (b > a) await metric.updateOutputs({ images: images.slice(a, b) }, g);
    }
  } else if (options.labelMaps) {
    const { teacher, student, teacherFile, studentFile } = options.labelMaps;
    const { studentRowOf } = alignIds(teacher.ids, student.ids, teacherFile, studentFile);
    const rowOf = (i: number) => (studentRowOf ? studentRowOf[i]! : i);
    const partner = nullSeed === null ? null : permuteWithinShapes(teacher.maps, nullSeed);
    const [lo, hi] = share(teacher.ids.length);
    for (let i = lo; i < hi; i++) {
      const t = teacher.maps[i]!;
      const s = student.maps[rowOf(partner ? partner[i]! : i)]!;
      if (t.shape.join() !== s.shape.join()) {
        throw errors.shapeMismatch(`label map '${teacher.ids[i]}'`, `the teacher's size ${fmtShape(t.shape)} in ${studentFile}`, `${fmtShape(s.shape)}`);
      }
      // Images may differ in size from one another, so each is its own batch of one.
      const g = Math.floor((i * metric.groups) / teacher.ids.length); // contiguous blocks of the maps, as the features
      await metric.updateOutputs({ teacherOutput: withSampleAxis(t), studentOutput: withSampleAxis(s) }, g);
    }
  }
}

/**
 * A seeded permutation of the maps' indices that sends each map to one of the same shape
 * (maps of one size are shuffled among themselves; a size held by one map stays in place).
 */
function permuteWithinShapes(maps: readonly Tensor[], seed: number): Int32Array {
  const bySize = new Map<string, number[]>();
  maps.forEach((m, i) => {
    const k = m.shape.join('x');
    const list = bySize.get(k);
    if (list) list.push(i);
    else bySize.set(k, [i]);
  });
  const out = new Int32Array(maps.length);
  for (const idx of bySize.values()) {
    const perm = seededPermutation(idx.length, seed);
    idx.forEach((i, k) => (out[i] = idx[perm[k]!]!));
  }
  return out;
}

/** Batch boundaries of at most `size` rows; a tail shorter than the minibatch minimum joins the previous batch. */
export function batchBounds(n: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let s = 0; s < n; s += size) out.push([s, Math.min(n, s + size)]);
  if (out.length > 1) {
    const last = out[out.length - 1]!;
    if (last[1] - last[0] < MIN_MINIBATCH) {
      out.pop();
      out[out.length - 1]![1] = n;
    }
  }
  return out;
}

function resolveOutputKeys(options: ScoreCapturesOptions): { teacher: string; student: string } | null {
  const spec = taskSpec(options.task);
  if (spec.outputSource !== 'capture' || options.labelMaps) return null;
  const find = (c: Capture): string => {
    const keys = c.keys();
    if (options.outputKey) {
      if (!keys.includes(options.outputKey)) throw errors.unknownKey('output array', options.outputKey, c.source, keys);
      return options.outputKey;
    }
    const k = spec.outputKeys.find((key) => keys.includes(key));
    if (!k) {
      throw errors.unknownKey(`output array (${spec.outputKeys.join(' or ')}; choose with ${opt('outputKey')})`, spec.outputKeys[0]!, c.source, keys);
    }
    return k;
  };
  return { teacher: find(options.teacher), student: find(options.student) };
}

function resolveIdKey(options: ScoreCapturesOptions): string | undefined {
  const { teacher, student } = options;
  if (options.ids) {
    for (const c of [teacher, student]) if (!c.keys().includes(options.ids)) throw errors.unknownKey('id array', options.ids, c.source, c.keys());
    return options.ids;
  }
  return DEFAULT_ID_KEYS.find((k) => teacher.keys().includes(k) && student.keys().includes(k));
}

function resolvePairs(options: ScoreCapturesOptions, taken: (string | undefined)[]): LayerPair[] {
  const { teacher, student } = options;
  const pairs = resolveLayerPairs(teacher, student, options.pairs, taken, taskSpec(options.task).defaultPairs);
  if (pairs.length === 0) {
    const reserved = new Set([...RESERVED_KEYS, ...taken.filter((k): k is string => !!k)]);
    const layers = (c: Capture) =>
      c
        .keys()
        .filter((k) => !reserved.has(k))
        .join(', ') || '(none)';
    throw errors.badOption(
      'pairs',
      'none',
      `layers under the same name in both captures, or ${opt('pairs')} teacher:student (teacher layers: ${layers(teacher)}; student layers: ${layers(student)})`,
    );
  }
  return pairs;
}

/**
 * The layer pairs to compare: the given ones (objects, or `teacher:student` strings split
 * against the captures' names), checked to exist; or, with none given, every key present
 * under the same name in both captures that is not an output, id or mask array (`taken`
 * adds keys already used as outputs or ids). May be empty. `defaults` (a task's
 * `defaultPairs`) chooses the pairs from the array names first when it returns some.
 * @throws UNKNOWN_KEY for a named layer a capture does not have.
 */
export function resolveLayerPairs(
  teacher: Capture,
  student: Capture,
  given: readonly (LayerPair | string)[] | undefined,
  taken: readonly (string | null | undefined)[] = [],
  defaults?: (teacherKeys: readonly string[], studentKeys: readonly string[]) => LayerPair[] | null,
): LayerPair[] {
  if (given?.length) {
    return given.map((raw) => {
      const p = typeof raw === 'string' ? splitPair(raw, teacher.keys(), student.keys(), teacher.source, student.source) : raw;
      if (!teacher.keys().includes(p.teacher)) throw errors.unknownKey('teacher layer', p.teacher, teacher.source, teacher.keys());
      if (!student.keys().includes(p.student)) throw errors.unknownKey('student layer', p.student, student.source, student.keys());
      return p;
    });
  }
  const chosen = defaults?.(teacher.keys(), student.keys());
  if (chosen?.length) return chosen;
  const reserved = new Set([...RESERVED_KEYS, ...taken.filter((k): k is string => !!k)]);
  const studentKeys = new Set(student.keys());
  return teacher
    .keys()
    .filter((k) => !reserved.has(k) && studentKeys.has(k))
    .map((k) => ({ teacher: k, student: k }));
}

function commonSampleCount(c: Capture, keys: readonly string[]): number {
  let n: number | undefined;
  let first = '';
  for (const k of keys) {
    const shape = c.info(k).shape;
    if (shape.length === 0) throw errors.shapeMismatch(`array '${k}' in ${c.source}`, 'a leading sample axis', 'a scalar');
    if (n === undefined) {
      n = shape[0]!;
      first = k;
    } else if (shape[0] !== n) {
      throw errors.shapeMismatch(`sample counts in ${c.source}`, `${n} samples (as '${first}')`, `${shape[0]} in '${k}' ${fmtShape(shape)}`);
    }
  }
  return n ?? 0;
}

function readIds(c: Capture, key: string, n: number): string[] {
  const ids = c.readIds(key);
  if (ids.length !== n) throw errors.shapeMismatch(`id array '${key}' in ${c.source}`, `${n} ids (one per sample)`, `${ids.length}`);
  return ids;
}

function withSampleAxis(t: Tensor): Tensor {
  return { dtype: t.dtype, shape: [1, ...t.shape], data: t.data };
}
