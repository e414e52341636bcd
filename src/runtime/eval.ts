/**
 * `krs eval` as a library function: run a teacher and a student ONNX model on the same data
 * in one pass and score the student — FSS on the chosen layer pairs, AOA on the outputs,
 * KRS — folding every batch into the streaming {@link KrsMetric} as it arrives, so memory
 * does not grow with the number of samples. Optionally fills the cross-layer CKA matrix
 * (`allPairs`), keeps the arrays as captures (`saveCaptures`), and reports each model's
 * accuracy (or RMSE) on the data set's targets.
 *
 * Pipeline: the models run in a worker thread; while it runs batch k + 1 this thread reads
 * the data and scores batch k. Timings separate inference (worker) from scoring (here).
 */
import * as path from 'node:path';
import type { OutputKinds } from '../agreement/output-kind.js';
import { errors } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { ensureDir } from '../io/node-atomic-write.js';
import { NpzWriter } from '../io/node-npz-writer.js';
import type { KrsMetric, KrsResult, LayerPair } from '../krs/metric.js';
import { splitPair } from '../krs/pairs.js';
import { type ReferenceLevels, type ReferenceOptions, resolveReference } from '../krs/reference-levels.js';
import { batchBounds } from '../krs/score-captures.js';
import { type ShardSpec, shardBatches, shardRange } from '../krs/shards.js';
import type { MatrixBackend } from '../linalg/backend.js';
import type { CrossLayerResult } from '../similarity/cross-layer.js';
import type { Pooling } from '../similarity/features.js';
import type { Similarity, SimilarityOptions } from '../similarity/registry.js';
import type { EstimatorChoice } from '../similarity/spec.js';
import { TASKS, type Task, taskSpec } from '../tasks/registry.js';
import type { OutputOptions } from '../tasks/spec.js';
import type { Dataset } from './data/dataset.js';
import { StudentLane } from './eval-lane.js';
import {
  DEFAULT_LAYER_OPS,
  defaultFeatureLayer,
  expandLayers,
  layersByOps,
  type ModelSideOptions,
  type PreparedSide,
  prepareSide,
  readOutput,
  type SideSummary,
} from './model-side.js';
import { type LoadedModel, loadModel } from './node-onnx.js';
import { closestNames } from './onnx-model.js';
import { type ModelPool, startLocalPool, startWorkerPool } from './worker-client.js';

export interface EvalOptions {
  task: Task;
  /** The data both models see. */
  data: Dataset;
  /** Separate data for the student (same number of samples, same order), e.g. another resolution. */
  studentData?: Dataset;
  teacher: ModelSideOptions;
  student: ModelSideOptions;
  /** Layer pairs, as `teacher:student` strings (names may contain ':') or objects. Default: each model's penultimate features. */
  pairs?: readonly (string | LayerPair)[];
  /** Fill the cross-layer CKA matrix. */
  allPairs?: boolean;
  /** Layers of the matrix (selectors: names or `@Op`); default: outputs of {@link DEFAULT_LAYER_OPS}. */
  teacherLayers?: readonly string[];
  studentLayers?: readonly string[];
  alpha?: number;
  beta?: number;
  similarity?: Similarity;
  pool?: Pooling;
  channelsLast?: boolean;
  /** `exact` (default) or the minibatch estimator, only when asked for. */
  estimator?: EstimatorChoice;
  /** Bytes one layer pair's exact statistics or stored rows may take. */
  memoryBudget?: number;
  /** The similarities' own options (e.g. `rbfThreshold` of cka-rbf), passed to the metric as they are. */
  similarityOptions?: SimilarityOptions;
  output?: OutputOptions;
  /** Samples per batch (default 256). */
  batchSize?: number;
  backend?: MatrixBackend;
  /** Folder to write `teacher.npz` and `student.npz` into. */
  saveCaptures?: string;
  /** Run the models in a worker thread (default true). */
  worker?: boolean;
  /** ONNX Runtime threads per model session. */
  threads?: number;
  onProgress?: (done: number, total: number) => void;
  /**
   * Reference levels (src/krs/reference-levels.ts): `null: true` keeps the scored pairs' arrays
   * and both outputs of every batch and scores them again with the student's samples in a seeded
   * random order (`seed`, default 1). Memory then grows with the samples. Default: off.
   */
  reference?: ReferenceOptions;
}

export interface ModelReport extends SideSummary {
  /** Top-1 accuracy on the targets (classification with integer labels), else null. */
  accuracy: number | null;
  /** Root mean squared error and mean absolute error on the targets (regression), else null. */
  rmse: number | null;
  mae: number | null;
}

export interface EvalTiming {
  /** Wall-clock milliseconds of the whole pass (models loaded to result). */
  totalMs: number;
  /** Milliseconds spent starting the worker and creating the sessions. */
  setupMs: number;
  /** Inference milliseconds per model (in the worker, overlapping with scoring). */
  inferenceMs: Record<string, number>;
  /** Milliseconds this thread spent folding batches into the metrics (KRS and cross-layer). */
  scoringMs: number;
  /** Of which the cross-layer matrix. */
  crossLayerMs: number;
  /** Milliseconds spent reading (and decoding) data. */
  readMs: number;
  /** Milliseconds spent writing captures. */
  captureMs: number;
  /** Milliseconds of the final compute. */
  computeMs: number;
  samplesPerSecond: number;
}

export interface EvalResult extends KrsResult {
  /** The teacher's level (100) and, with `reference.null`, the null level; eval has no baseline. */
  reference: ReferenceLevels;
  /** `preparation`: what the reader did to the data (CSV: skipped windows, filled values, standardisation), when it says. */
  data: { name: string; kind: string; n: number; studentName?: string; preparation?: Readonly<Record<string, unknown>> };
  teacher: ModelReport;
  student: ModelReport;
  crossLayer: CrossLayerResult | null;
  captures: { teacher: string; student: string } | null;
  batchSize: number;
  timing: EvalTiming;
}

/**
 * Resolve a `teacher:student` string against the two models' tensor names (names may contain
 * ':', as `onnx::Gemm_8`; the split that names a tensor on each side wins).
 * @throws KrsError BAD_OPTION without ':'; UNKNOWN_KEY naming the side whose tensor is unknown.
 */
export function resolvePair(raw: string | LayerPair, teacher: LoadedModel, student: LoadedModel): LayerPair {
  const tNames = new Set(teacher.description.tensors.map((t) => t.name));
  const sNames = new Set(student.description.tensors.map((t) => t.name));
  if (typeof raw !== 'string') {
    expandLayers(teacher, [raw.teacher], 'teacher layer');
    expandLayers(student, [raw.student], 'student layer');
    return raw;
  }
  return splitPair(raw, [...tNames], [...sNames], teacher.file, student.file, (side, name) =>
    side === 'teacher'
      ? errors.unknownTensor('teacher layer', name, teacher.file, closestNames(name, [...tNames]), tNames.size)
      : errors.unknownTensor('student layer', name, student.file, closestNames(name, [...sNames]), sNames.size),
  );
}

/**
 * Run both models and score the student.
 * @throws KrsError for bad models, taps, data or options (see the readers and `prepareSide`);
 *   SHAPE_MISMATCH when teacher and student data hold different numbers of samples.
 */
export async function runEval(options: EvalOptions): Promise<EvalResult> {
  return (await runEvalWithMetric(options)).result;
}

/** {@link runEval}, keeping the metric (e.g. to post its state to a krs serve). */
export async function runEvalWithMetric(options: EvalOptions): Promise<{ result: EvalResult; metric: KrsMetric }> {
  return (await runEvalStudents(options, [{ student: options.student }]))[0]!;
}

/**
 * Shard `shard` of an eval (`krs eval --shard i/N`): the models run on the shard's contiguous
 * run of whole batches only; the metric state, the additive counts (accuracy, errors, timings)
 * and the context are returned for the state file, not computed (src/krs/shards.ts). The null
 * level and the cross-layer matrix need every sample at once: usage errors here.
 */
export async function runEvalShard(options: EvalOptions, shard: ShardSpec): Promise<EvalShardPart> {
  if (options.reference?.null) {
    throw errors.badOption(
      'reference',
      'null',
      'a whole run: the null level pairs samples across shards (save captures with --save-captures, then krs score --shard)',
    );
  }
  if (options.allPairs) throw errors.badOption('allPairs', true, 'a whole run (the cross-layer matrix is not sharded: capture, then krs heatmap)');
  const run = await evalRun(options, [{ student: options.student }], shard);
  const lane = run.lanes[0]!;
  return { metric: lane.metric, context: lane.context, sums: lane.sums, range: run.range };
}

/** What a shard of an eval keeps: its metric, the counts that add up, the context of the result. */
export interface EvalShardPart {
  metric: KrsMetric;
  context: EvalContext;
  sums: EvalSums;
  range: [number, number];
}

/** What an eval result reports besides the metric (plain JSON). */
export interface EvalContext {
  warnings: string[];
  kinds: OutputKinds | null;
  data: EvalResult['data'];
  teacher: SideSummary;
  student: SideSummary;
  /** Whether the data set has targets (accuracy or errors can be reported). */
  targets: boolean;
  captures: { teacher: string; student: string } | null;
  batchSize: number;
  samples: number;
}

/** Counts that add across shards: correct top-1 predictions, squared and absolute errors, milliseconds. */
export type EvalSums = Record<string, number>;

/** The result of an eval (or of its merged shards) from its metric, counts and context. */
export async function finishEval(
  context: EvalContext,
  metric: KrsMetric,
  sums: EvalSums,
  crossLayer: CrossLayerResult | null = null,
  nullLevel: ReferenceLevels['null'] = null,
): Promise<EvalResult> {
  const f0 = performance.now();
  const result = await metric.compute();
  const computeMs = performance.now() - f0;
  const k = context.kinds;
  const n = context.samples;
  const sum = (key: string) => sums[key] ?? 0;
  const report = (side: SideSummary, who: 'teacher' | 'student'): ModelReport => ({
    ...side,
    accuracy: sum(`${who}.counted`) > 0 && sum(`${who}.counted`) === n && context.targets ? sum(`${who}.correct`) / sum(`${who}.counted`) : null,
    rmse: sum(`${who}.m`) > 0 ? Math.sqrt(sum(`${who}.se`) / sum(`${who}.m`)) : null,
    mae: sum(`${who}.m`) > 0 ? sum(`${who}.ae`) / sum(`${who}.m`) : null,
  });
  const totalMs = sum('ms.total') + computeMs;
  const inferenceMs = Object.fromEntries(
    Object.entries(sums)
      .filter(([key]) => key.startsWith('ms.inference.'))
      .map(([key, v]) => [key.slice('ms.inference.'.length), v]),
  );
  return {
    ...result,
    ...(k ? { output: { ...result.output, teacherKind: k.teacher.kind, studentKind: k.student.kind, kinds: k } } : {}),
    warnings: [...context.warnings, ...result.warnings, ...(crossLayer?.warnings ?? [])],
    reference: { teacher: 100, null: nullLevel, baseline: null },
    data: context.data,
    teacher: report(context.teacher, 'teacher'),
    student: report(context.student, 'student'),
    crossLayer,
    captures: context.captures,
    batchSize: context.batchSize,
    timing: {
      totalMs,
      setupMs: sum('ms.setup'),
      inferenceMs,
      scoringMs: sum('ms.scoring'),
      crossLayerMs: sum('ms.cross'),
      readMs: sum('ms.read'),
      captureMs: sum('ms.capture'),
      computeMs: sum('ms.compute') + computeMs,
      samplesPerSecond: n / (totalMs / 1000),
    },
  };
}

/** One student of a pass; `null: false` skips its null level even when the run asks for it (a baseline has none of its own). */
export interface EvalStudent {
  student: ModelSideOptions;
  null?: boolean;
}

/** What one student's lane of a pass leaves for its result. */
interface LaneRun {
  metric: KrsMetric;
  context: EvalContext;
  sums: EvalSums;
  crossLayer: CrossLayerResult | null;
  nullLevel: ReferenceLevels['null'];
}

interface EvalRun {
  lanes: LaneRun[];
  range: [number, number];
}

/**
 * Several students against one teacher in one pass (`krs eval --student a --student b …`,
 * `--baseline`): the teacher runs once per batch and every student's metric is fed from that
 * run. Each result (and metric) is the one a run of that student alone gives — same numbers,
 * same null level and intervals — in the order of `students`; `options.student` is not used.
 * The timings are the pass's, but each result's inference and scoring times are its own models'.
 * @throws KrsError as {@link runEval}, for any of the students.
 */
export async function runEvalStudents(options: EvalOptions, students: readonly EvalStudent[]): Promise<{ result: EvalResult; metric: KrsMetric }[]> {
  if (students.length === 0) throw errors.badOption('students', '[]', 'at least one student');
  const run = await evalRun(options, students, null);
  const out: { result: EvalResult; metric: KrsMetric }[] = [];
  for (const l of run.lanes) out.push({ result: await finishEval(l.context, l.metric, l.sums, l.crossLayer, l.nullLevel), metric: l.metric });
  return out;
}

/** The run's size: samples, batch size, and the student's data. @throws KrsError as {@link runEval}. */
function checkRun(options: EvalOptions): { n: number; batchSize: number; sData: Dataset } {
  const { task, data } = options;
  const spec = taskSpec(task);
  if (spec.targetMetric === null || spec.outputSource !== 'capture') {
    throw errors.badOption(
      'task',
      task,
      `${TASKS.filter((t) => taskSpec(t).outputSource === 'capture').join(', ')}: for ${task}, capture features with \`krs capture\` and score its output files with \`krs score\``,
    );
  }
  const sData = options.studentData ?? data;
  if (sData.size !== data.size) throw errors.sampleCountMismatch(`${data.name} vs ${sData.name}`, data.size, sData.size);
  const n = data.size;
  if (n === 0) throw errors.badValue(`sample count of ${data.name}`, 0, 'at least one sample');
  const batchSize = options.batchSize ?? 256;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw errors.badOption('batchSize', batchSize, 'a positive integer');
  return { n, batchSize, sData };
}

/** The scored layer pairs of a teacher and a student: the given ones, or each model's penultimate features (with a warning). */
function layerPairs(options: EvalOptions, tModel: LoadedModel, sModel: LoadedModel, warnings: string[]): LayerPair[] {
  if (options.pairs?.length) return options.pairs.map((p) => resolvePair(p, tModel, sModel));
  const t = defaultFeatureLayer(tModel);
  const s = defaultFeatureLayer(sModel);
  if (!t || !s) {
    throw errors.badOption(
      'pair',
      null,
      `teacherTensor:studentTensor (no penultimate layer found in ${t ? sModel.file : tModel.file}; \`krs layers\` lists the tensors)`,
    );
  }
  warnings.push(
    `no layer pairs given: paired the penultimate features (what each model's last dense/conv layer reads), '${t}' (teacher) with '${s}' (student)`,
  );
  return [{ teacher: t, student: s }];
}

/** The layers of the cross-layer matrix (`allPairs`), or null. */
function gridLayers(options: EvalOptions, tModel: LoadedModel, sModel: LoadedModel): { teacher: string[]; student: string[] } | null {
  if (!options.allPairs) return null;
  const tGrid = options.teacherLayers?.length ? expandLayers(tModel, options.teacherLayers, 'teacher layer') : layersByOps(tModel, DEFAULT_LAYER_OPS);
  const sGrid = options.studentLayers?.length ? expandLayers(sModel, options.studentLayers, 'student layer') : layersByOps(sModel, DEFAULT_LAYER_OPS);
  if (!tGrid.length || !sGrid.length) {
    throw errors.badOption(
      'allPairs',
      null,
      `layers on both sides (none of the ops ${DEFAULT_LAYER_OPS.join(', ')} in ${tGrid.length ? sModel.file : tModel.file}; name them with --${tGrid.length ? 'student' : 'teacher'}-layers)`,
    );
  }
  return { teacher: tGrid, student: sGrid };
}

/**
 * Load the teacher and every student, resolve each student's pairs and matrix layers, and
 * prepare the models: the teacher taps what any student needs, each lane sees the teacher's
 * layers as its own run would (its summary and captures).
 */
function prepareLanes(options: EvalOptions, students: readonly EvalStudent[], sData: Dataset, n: number, firstSample: number) {
  const tModel = loadModel(options.teacher.file);
  const wanted = students.map((st, i) => {
    const sModel = loadModel(st.student.file);
    const warnings: string[] = [];
    const pairs = layerPairs(options, tModel, sModel, warnings);
    const grid = gridLayers(options, tModel, sModel);
    const tExtra = [...pairs.map((p) => p.teacher), ...(grid?.teacher ?? [])];
    const sExtra = [...pairs.map((p) => p.student), ...(grid?.student ?? [])];
    const prepared = prepareSide('student', st.student, sData, 's/', sExtra, options.threads, sModel);
    const key = students.length === 1 ? 'student' : `student#${i + 1}`;
    const student: PreparedSide = { ...prepared, job: { ...prepared.job, side: key } };
    return { st, warnings, pairs, grid, tExtra, student, key };
  });
  const teacher = prepareSide('teacher', options.teacher, options.data, 't/', [...new Set(wanted.flatMap((w) => w.tExtra))], options.threads, tModel);
  const lanes = wanted.map((w) => {
    const layers = expandLayers(tModel, [...(options.teacher.layers ?? []), ...w.tExtra], 'teacher layer');
    const teacherView: PreparedSide = { ...teacher, layers, summary: { ...teacher.summary, layers: [...layers] } };
    const setup = { teacher: teacherView, student: w.student, key: w.key, pairs: w.pairs, grid: w.grid, samples: n, firstSample, warnings: w.warnings };
    return new StudentLane({ ...setup, null: Boolean(options.reference?.null) && w.st.null !== false }, options);
  });
  return { teacher, lanes };
}

/** Timings shared by the lanes of a pass (milliseconds). */
interface PassTiming {
  inference: Record<string, number>;
  read: number;
  capture: number;
  setup: number;
}

/** Read one batch of both data sets, keyed as the models' feed plans name the arrays (`t/…`, `s/…`). */
function batchReader(data: Dataset, sData: Dataset, teacher: PreparedSide, students: readonly PreparedSide[], timing: PassTiming) {
  const tArrays = [...new Set(teacher.job.plans.map((p) => p.array.slice(2)))];
  const sArrays = [...new Set(students.flatMap((s) => s.job.plans.map((p) => p.array.slice(2))))];
  return (start: number, end: number) => {
    const r0 = performance.now();
    const tb = data.read(start, end, tArrays);
    const sb = sData === data ? tb : sData.read(start, end, sArrays);
    const arrays: Record<string, Tensor> = {};
    for (const k of tArrays) arrays[`t/${k}`] = tb.arrays[k]!;
    for (const k of sArrays) arrays[`s/${k}`] = sb.arrays[k]!;
    timing.read += performance.now() - r0;
    // The arrays are only fed to the models: owned ones are moved to the worker (DataBatch.owned).
    const owned = tb.owned === true && (sb === tb || sb.owned === true);
    return { arrays, targets: tb.targets ?? sb.targets, ids: tb.ids, n: end - start, owned };
  };
}

type BatchRead = ReturnType<ReturnType<typeof batchReader>>;

function addInference(timing: PassTiming, ms: Record<string, number>): void {
  for (const [side, v] of Object.entries(ms)) timing.inference[side] = (timing.inference[side] ?? 0) + v;
}

/** Captures of the teacher and the first student, when asked (`saveCaptures`). */
interface Captures {
  paths: { teacher: string; student: string };
  teacher: NpzWriter;
  student: NpzWriter;
}

function openCaptures(options: EvalOptions, rows: number): Captures | null {
  if (!options.saveCaptures) return null;
  const paths = { teacher: path.join(options.saveCaptures, 'teacher.npz'), student: path.join(options.saveCaptures, 'student.npz') };
  ensureDir(options.saveCaptures, 'the captures into');
  return { paths, teacher: new NpzWriter(paths.teacher, rows), student: new NpzWriter(paths.student, rows) };
}

/**
 * Run the models on every batch of `bounds` and fold each into every lane; batch k + 1 runs in
 * the pool while batch k is scored here. A shard that does not start at the run's first batch
 * runs that batch too (not folded in): the output kinds are told from it and the feature shifts
 * fixed by it, as in the single run.
 */
async function runBatches(
  pool: ModelPool,
  read: (start: number, end: number) => BatchRead,
  run: { bounds: [number, number][]; first: [number, number]; range: [number, number] },
  lanes: readonly StudentLane[],
  captures: Captures | null,
  timing: PassTiming,
  onProgress: EvalOptions['onProgress'],
): Promise<void> {
  const { bounds, range } = run;
  const submit = (k: number) => {
    const batch = read(bounds[k]![0], bounds[k]![1]);
    const result = pool.run(batch.arrays, batch.n, batch.owned);
    result.catch(() => {}); // awaited in order below; this only stops an early failure counting as unhandled
    return { batch, result };
  };
  if (bounds[0]![0] !== run.first[0]) {
    const b0 = read(run.first[0], run.first[1]);
    const out = await pool.run(b0.arrays, b0.n, b0.owned);
    addInference(timing, out.ms);
    for (const lane of lanes) lane.prime(out.outputs.teacher!, out.outputs[lane.setup.key]!);
  }
  let inflight = submit(0);
  for (let k = 0; k < bounds.length; k++) {
    const next = k + 1 < bounds.length ? submit(k + 1) : null;
    const { batch, result } = inflight;
    const out = await result;
    addInference(timing, out.ms);
    const tOut = out.outputs.teacher!;
    for (const lane of lanes) await lane.fold(tOut, out.outputs[lane.setup.key]!, batch.targets);
    if (captures) {
      const w0 = performance.now();
      const lane = lanes[0]!;
      writeCaptureBatch(captures.teacher, lane.setup.teacher, tOut, batch.targets, batch.ids);
      writeCaptureBatch(captures.student, lane.student, out.outputs[lane.setup.key]!, batch.targets, batch.ids);
      timing.capture += performance.now() - w0;
    }
    onProgress?.(bounds[k]![1] - range[0], range[1] - range[0]);
    if (next) inflight = next;
  }
}

async function evalRun(options: EvalOptions, students: readonly EvalStudent[], shard: ShardSpec | null): Promise<EvalRun> {
  const t0 = performance.now();
  const { n, batchSize, sData } = checkRun(options);
  const allBounds = batchBounds(n, batchSize);
  const bounds = shard ? shardBatches(allBounds, shard) : allBounds;
  const range = shard ? shardRange(allBounds, shard, n) : ([0, n] as [number, number]);
  resolveReference(options.reference);
  const { teacher, lanes } = prepareLanes(options, students, sData, n, range[0]);
  const timing: PassTiming = { inference: {}, read: 0, capture: 0, setup: 0 };
  let pool: ModelPool | null = null;
  let captures: Captures | null = null;
  try {
    captures = openCaptures(options, range[1] - range[0]);
    const setupStart = performance.now();
    const jobs = [teacher.job, ...lanes.map((l) => l.student.job)];
    pool = options.worker === false ? await startLocalPool(jobs) : await startWorkerPool(jobs);
    timing.setup = performance.now() - setupStart;
    if (bounds.length === 0) {
      throw errors.badOption(
        'shard',
        `${shard!.index}/${shard!.count}`,
        `at most ${allBounds.length} shards: the ${n} samples make ${allBounds.length} batches of ${batchSize} (shards hold whole batches)`,
      );
    }
    const read = batchReader(
      options.data,
      sData,
      teacher,
      lanes.map((l) => l.student),
      timing,
    );
    await runBatches(pool, read, { bounds, first: allBounds[0]!, range }, lanes, captures, timing, options.onProgress);
    const finished: Awaited<ReturnType<StudentLane['finish']>>[] = [];
    for (const lane of lanes) finished.push(await lane.finish(batchSize));
    if (captures) {
      const w0 = performance.now();
      await captures.teacher.finishAsync();
      await captures.student.finishAsync();
      timing.capture += performance.now() - w0;
    }
    const shared = {
      'ms.total': performance.now() - t0,
      'ms.setup': timing.setup,
      'ms.read': timing.read,
      'ms.capture': timing.capture,
      'ms.compute': 0,
    };
    // The captures are the first student's (several students refuse them in the CLI; a baseline is not captured).
    const laneRuns = lanes.map((lane, i) => ({
      metric: lane.metric!,
      context: laneContext(options, sData, lane, teacher, i === 0 ? (captures?.paths ?? null) : null, batchSize, n),
      sums: lane.sums(shared, timing.inference),
      ...finished[i]!,
    }));
    return { lanes: laneRuns, range };
  } catch (e) {
    captures?.teacher.abort();
    captures?.student.abort();
    throw e;
  } finally {
    await pool?.close();
  }
}

/** The context of one lane's result: its warnings, output kinds, data, models and captures. */
function laneContext(
  options: EvalOptions,
  sData: Dataset,
  lane: StudentLane,
  teacher: PreparedSide,
  captures: { teacher: string; student: string } | null,
  batchSize: number,
  n: number,
): EvalContext {
  const data = options.data;
  const warnings = [...lane.setup.warnings, ...(data.notes ?? []), ...(sData !== data ? (sData.notes ?? []) : []), ...teacher.notes, ...lane.student.notes];
  return {
    warnings,
    kinds: lane.kinds,
    data: {
      name: data.name,
      kind: data.kind,
      n,
      ...(options.studentData ? { studentName: sData.name } : {}),
      ...(data.preparation ? { preparation: data.preparation } : {}),
    },
    teacher: lane.setup.teacher.summary,
    student: lane.student.summary,
    targets: Boolean(data.targets ?? sData.targets),
    captures,
    batchSize,
    samples: n,
  };
}

/** Append one batch of a model's arrays to its capture: tapped layers, the output, targets, ids. */
export function writeCaptureBatch(w: NpzWriter, side: PreparedSide, outputs: Record<string, Tensor>, targets: Tensor | undefined, ids: Tensor): void {
  for (const l of side.layers) w.append(l, outputs[l]!);
  w.append(side.outputKind === 'probs' ? 'probs' : 'logits', readOutput(side, outputs[side.outputTensor]!));
  if (targets) w.append('targets', targets);
  w.append('ids', ids);
}
