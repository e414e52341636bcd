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
import { ensureDir } from '../io/node-atomic-write.js';
import * as path from 'node:path';
import { errors } from '../core/errors.js';
import { NpzWriter } from '../io/node-npz-writer.js';
import type { MatrixBackend } from '../linalg/backend.js';
import { KrsMetric, type KrsResult, type LayerPair } from '../krs/metric.js';
import type { OutputOptions } from '../tasks/spec.js';
import { splitPair } from '../krs/pairs.js';
import { NullStash, type ReferenceLevels, type ReferenceOptions, resolveReference } from '../krs/reference-levels.js';
import { TASKS, type Task, taskSpec } from '../tasks/registry.js';
import { batchBounds } from '../krs/score-captures.js';
import { type ShardSpec, shardBatches, shardRange } from '../krs/shards.js';
import { CrossLayerCka, type CrossLayerResult } from '../similarity/cross-layer.js';
import type { Pooling } from '../similarity/features.js';
import type { Similarity, SimilarityOptions } from '../similarity/registry.js';
import type { EstimatorChoice } from '../similarity/spec.js';
import { DEFAULT_MEMORY_BUDGET } from '../similarity/spec.js';
import type { Tensor } from '../core/tensor.js';
import type { Dataset } from './data/dataset.js';
import { loadModel, type LoadedModel } from './node-onnx.js';
import { closestNames } from './onnx-model.js';
import { inferOutputKind, resolveOutputKinds, scoreKind, sigmoidToLogits, type OutputKinds } from '../agreement/output-kind.js';
import {
  countCorrect,
  DEFAULT_LAYER_OPS,
  defaultFeatureLayer,
  expandLayers,
  layersByOps,
  prepareSide,
  kindOption,
  readOutput,
  regressionErrors,
  type ModelSideOptions,
  type PreparedSide,
  type SideSummary,
} from './model-side.js';
import { startLocalPool, startWorkerPool, type ModelPool } from './worker-client.js';

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
  const run = await evalRun(options, null);
  return { result: await finishEval(run.context, run.metric, run.sums, run.crossLayer, run.nullLevel), metric: run.metric };
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
  const run = await evalRun(options, shard);
  return { metric: run.metric, context: run.context, sums: run.sums, range: run.range };
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

interface EvalRun {
  metric: KrsMetric;
  context: EvalContext;
  sums: EvalSums;
  range: [number, number];
  crossLayer: CrossLayerResult | null;
  nullLevel: ReferenceLevels['null'];
}

async function evalRun(options: EvalOptions, shard: ShardSpec | null): Promise<EvalRun> {
  const t0 = performance.now();
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

  // Models, pairs, layers.
  const tModel = loadModel(options.teacher.file);
  const sModel = loadModel(options.student.file);
  const warnings: string[] = [];
  let pairs: LayerPair[];
  if (options.pairs?.length) {
    pairs = options.pairs.map((p) => resolvePair(p, tModel, sModel));
  } else {
    const t = defaultFeatureLayer(tModel);
    const s = defaultFeatureLayer(sModel);
    if (!t || !s) {
      throw errors.badOption(
        'pair',
        null,
        `teacherTensor:studentTensor (no penultimate layer found in ${t ? sModel.file : tModel.file}; \`krs layers\` lists the tensors)`,
      );
    }
    pairs = [{ teacher: t, student: s }];
    warnings.push(
      `no layer pairs given: paired the penultimate features (what each model's last dense/conv layer reads), '${t}' (teacher) with '${s}' (student)`,
    );
  }
  let tGrid: string[] = [];
  let sGrid: string[] = [];
  if (options.allPairs) {
    tGrid = options.teacherLayers?.length ? expandLayers(tModel, options.teacherLayers, 'teacher layer') : layersByOps(tModel, DEFAULT_LAYER_OPS);
    sGrid = options.studentLayers?.length ? expandLayers(sModel, options.studentLayers, 'student layer') : layersByOps(sModel, DEFAULT_LAYER_OPS);
    if (!tGrid.length || !sGrid.length) {
      throw errors.badOption(
        'allPairs',
        null,
        `layers on both sides (none of the ops ${DEFAULT_LAYER_OPS.join(', ')} in ${tGrid.length ? sModel.file : tModel.file}; name them with --${tGrid.length ? 'student' : 'teacher'}-layers)`,
      );
    }
  }
  const tExtra = [...pairs.map((p) => p.teacher), ...tGrid];
  const sExtra = [...pairs.map((p) => p.student), ...sGrid];
  const teacher = prepareSide('teacher', options.teacher, data, 't/', tExtra, options.threads, tModel);
  const student = prepareSide('student', options.student, sData, 's/', sExtra, options.threads, sModel);
  warnings.push(...(data.notes ?? []), ...(sData !== data ? (sData.notes ?? []) : []), ...teacher.notes, ...student.notes);

  // The metric is made once the first batch has told each output's kind (see readOutputs).
  const outputOptions: OutputOptions = { ...options.output };
  let kinds: OutputKinds | null = null;
  const inferredSigmoid = { teacher: false, student: false };
  const reference = resolveReference(options.reference);
  const stash = reference.null ? new NullStash({ samples: n, memoryBudget: options.memoryBudget ?? DEFAULT_MEMORY_BUDGET }) : null;
  const metricOptions = () => ({
    task,
    pairs,
    alpha: options.alpha,
    beta: options.beta,
    similarity: options.similarity,
    pool: options.pool,
    channelsLast: options.channelsLast,
    backend: options.backend,
    estimator: options.estimator,
    memoryBudget: options.memoryBudget,
    samples: n,
    ...(options.similarityOptions ? { similarityOptions: options.similarityOptions } : {}),
    output: outputOptions,
  });
  const allBounds = batchBounds(n, batchSize);
  const bounds = shard ? shardBatches(allBounds, shard) : allBounds;
  const range = shard ? shardRange(allBounds, shard, n) : ([0, n] as [number, number]);
  const makeMetric = () => new KrsMetric({ ...metricOptions(), firstSample: range[0] });
  let metric: KrsMetric | null = null;
  /**
   * The outputs as the metric reads them. On the first batch, when the task's agreement reads
   * output kinds, each side's kind is the one set (--teacher-outputs…) or told from this batch's
   * values (src/agreement/output-kind.ts); inferred sigmoid scores are turned into logits like
   * declared ones.
   */
  const readOutputs = (tRaw: Tensor, sRaw: Tensor): [Tensor, Tensor] => {
    if (!metric) {
      if (spec.agreement.readsOutputKinds) {
        const side = (p: PreparedSide, raw: Tensor) => {
          const what = `${p.side} output '${p.outputTensor}' of ${p.model.file}`;
          return p.declaredKind ? { what, declared: p.declaredKind } : { what, inferred: inferOutputKind(raw, what) };
        };
        const t = side(teacher, tRaw);
        const s = side(student, sRaw);
        kinds = resolveOutputKinds(t, s, [kindOption(teacher), kindOption(student)]);
        for (const [p, k, w] of [
          [teacher, kinds.teacher, t.what],
          [student, kinds.student, s.what],
        ] as const) {
          const kind = scoreKind(k, w, kindOption(p));
          const key = p.side === 'teacher' ? 'teacherInputs' : 'studentInputs';
          // Declared sigmoid outputs arrive as logits (tapped before the Sigmoid, or turned by readOutput).
          outputOptions[key] = kind === 'probs' ? 'probs' : 'logits';
          if (kind === 'sigmoid' && k.source === 'values') inferredSigmoid[p.side as 'teacher' | 'student'] = true;
        }
      }
      metric = makeMetric();
    }
    const read = (p: PreparedSide, raw: Tensor) =>
      inferredSigmoid[p.side as 'teacher' | 'student']
        ? sigmoidToLogits(raw, `${p.side} output '${p.outputTensor}' of ${p.model.file}`, kindOption(p))
        : readOutput(p, raw);
    return [read(teacher, tRaw), read(student, sRaw)];
  };
  const grid = options.allPairs
    ? new CrossLayerCka(tGrid, sGrid, {
        pool: options.pool,
        channelsLast: options.channelsLast,
        backend: options.backend,
        estimator: options.estimator,
        memoryBudget: options.memoryBudget,
        samples: n,
      })
    : null;

  // Captures.
  let writers: { teacher: NpzWriter; student: NpzWriter } | null = null;
  const capturePaths = options.saveCaptures
    ? { teacher: path.join(options.saveCaptures, 'teacher.npz'), student: path.join(options.saveCaptures, 'student.npz') }
    : null;
  const setupStart = performance.now();
  let pool: ModelPool | null = null;
  const timing = { inference: { teacher: 0, student: 0 } as Record<string, number>, scoring: 0, cross: 0, read: 0, capture: 0, compute: 0, setup: 0 };
  const acc = { teacher: { correct: 0, counted: 0, se: 0, ae: 0, m: 0 }, student: { correct: 0, counted: 0, se: 0, ae: 0, m: 0 } };
  const targetsInfo = data.targets ?? sData.targets;
  try {
    if (capturePaths) {
      ensureDir(options.saveCaptures!, 'the captures into');
      const rows = range[1] - range[0];
      writers = { teacher: new NpzWriter(capturePaths.teacher, rows), student: new NpzWriter(capturePaths.student, rows) };
    }
    pool = options.worker === false ? await startLocalPool([teacher.job, student.job]) : await startWorkerPool([teacher.job, student.job]);
    timing.setup = performance.now() - setupStart;

    const tArrays = [...new Set(teacher.job.plans.map((p) => p.array.slice(2)))];
    const sArrays = [...new Set(student.job.plans.map((p) => p.array.slice(2)))];
    const read = (start: number, end: number) => {
      const r0 = performance.now();
      const tb = data.read(start, end, tArrays);
      const sb = sData === data ? tb : sData.read(start, end, sArrays);
      const arrays: Record<string, Tensor> = {};
      for (const k of tArrays) arrays[`t/${k}`] = tb.arrays[k]!;
      for (const k of sArrays) arrays[`s/${k}`] = sb.arrays[k]!;
      timing.read += performance.now() - r0;
      return { arrays, targets: tb.targets ?? sb.targets, ids: tb.ids, n: end - start };
    };

    if (bounds.length === 0) {
      throw errors.badOption(
        'shard',
        `${shard!.index}/${shard!.count}`,
        `at most ${allBounds.length} shards: the ${n} samples make ${allBounds.length} batches of ${batchSize} (shards hold whole batches)`,
      );
    }
    const submit = (k: number) => {
      const b = read(bounds[k]![0], bounds[k]![1]);
      const result = pool!.run(b.arrays, b.n);
      result.catch(() => {}); // awaited in order below; this only stops an early failure counting as unhandled
      return { batch: b, result };
    };
    // A shard that does not start at the run's first batch runs that batch too (not folded in):
    // the output kinds are told from it and the feature shifts fixed by it, as in the single run.
    if (bounds[0]![0] !== allBounds[0]![0]) {
      const b0 = read(allBounds[0]![0], allBounds[0]![1]);
      const out = await pool.run(b0.arrays, b0.n);
      for (const [side, ms] of Object.entries(out.ms)) timing.inference[side] = (timing.inference[side] ?? 0) + ms;
      readOutputs(out.outputs.teacher![teacher.outputTensor]!, out.outputs.student![student.outputTensor]!);
      metric!.fixShifts({ teacher: out.outputs.teacher!, student: out.outputs.student! });
    }
    let inflight = submit(0);
    for (let k = 0; k < bounds.length; k++) {
      const next = k + 1 < bounds.length ? submit(k + 1) : null;
      const { batch, result } = inflight;
      const out = await result;
      for (const [side, ms] of Object.entries(out.ms)) timing.inference[side] = (timing.inference[side] ?? 0) + ms;
      const tOut = out.outputs.teacher!;
      const sOut = out.outputs.student!;
      const s0 = performance.now();
      const [teacherOutput, studentOutput] = readOutputs(tOut[teacher.outputTensor]!, sOut[student.outputTensor]!);
      await metric!.update({ teacher: tOut, student: sOut, teacherOutput, studentOutput });
      stash?.add({
        teacher: Object.fromEntries(pairs.map((p) => [p.teacher, tOut[p.teacher]!])),
        student: Object.fromEntries(pairs.map((p) => [p.student, sOut[p.student]!])),
        teacherOutput,
        studentOutput,
      });
      const c0 = performance.now();
      if (grid) await grid.update(tOut, sOut);
      timing.cross += performance.now() - c0;
      if (batch.targets) {
        for (const [name, o] of [
          ['teacher', teacherOutput],
          ['student', studentOutput],
        ] as const) {
          const a = acc[name];
          if (spec.targetMetric === 'regression-error') {
            const e = regressionErrors(o, batch.targets);
            if (e) {
              a.se += e[0];
              a.ae += e[1];
              a.m += e[2];
            }
          } else {
            const [c, m] = countCorrect(o, batch.targets);
            a.correct += c;
            a.counted += m;
          }
        }
      }
      timing.scoring += performance.now() - s0;
      if (writers) {
        const w0 = performance.now();
        for (const [side, o, w] of [
          [teacher, tOut, writers.teacher],
          [student, sOut, writers.student],
        ] as const) {
          writeCaptureBatch(w, side, o, batch.targets, batch.ids);
        }
        timing.capture += performance.now() - w0;
      }
      options.onProgress?.(bounds[k]![1] - range[0], range[1] - range[0]);
      if (next) inflight = next;
    }
    const f0 = performance.now();
    const crossLayer = grid ? await grid.compute() : null;
    const nullLevel = stash ? await stash.compute(metricOptions(), reference.seed, batchSize) : null;
    timing.compute = performance.now() - f0;
    if (writers) {
      const w0 = performance.now();
      await writers.teacher.finishAsync();
      await writers.student.finishAsync();
      timing.capture += performance.now() - w0;
    }
    const sums: EvalSums = {
      'ms.total': performance.now() - t0,
      'ms.setup': timing.setup,
      'ms.scoring': timing.scoring,
      'ms.cross': timing.cross,
      'ms.read': timing.read,
      'ms.capture': timing.capture,
      'ms.compute': timing.compute,
    };
    for (const [side, ms] of Object.entries(timing.inference)) sums[`ms.inference.${side}`] = ms;
    for (const who of ['teacher', 'student'] as const) for (const [key, v] of Object.entries(acc[who])) sums[`${who}.${key}`] = v;
    const context: EvalContext = {
      warnings,
      kinds: kinds as OutputKinds | null,
      data: {
        name: data.name,
        kind: data.kind,
        n,
        ...(options.studentData ? { studentName: sData.name } : {}),
        ...(data.preparation ? { preparation: data.preparation } : {}),
      },
      teacher: teacher.summary,
      student: student.summary,
      targets: Boolean(targetsInfo),
      captures: capturePaths,
      batchSize,
      samples: n,
    };
    return { metric: metric!, context, sums, range, crossLayer, nullLevel };
  } catch (e) {
    writers?.teacher.abort();
    writers?.student.abort();
    throw e;
  } finally {
    await pool?.close();
  }
}

/** Append one batch of a model's arrays to its capture: tapped layers, the output, targets, ids. */
export function writeCaptureBatch(w: NpzWriter, side: PreparedSide, outputs: Record<string, Tensor>, targets: Tensor | undefined, ids: Tensor): void {
  for (const l of side.layers) w.append(l, outputs[l]!);
  w.append(side.outputKind === 'probs' ? 'probs' : 'logits', readOutput(side, outputs[side.outputTensor]!));
  if (targets) w.append('targets', targets);
  w.append('ids', ids);
}
