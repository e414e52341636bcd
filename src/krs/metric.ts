/**
 * The stateful KRS metric (torchmetrics style): feed batches of teacher and student
 * activations and outputs, get FSS, AOA and KRS; merge shards; serialise the state.
 *
 * It composes one {@link layerSimilarity} per layer pair and the task's output-agreement
 * measure. Everything is float64 and exact across batches except the minibatch CKA
 * estimator, which wide layers use (the result says so).
 *
 * @example
 *   const metric = new KrsMetric({ task: 'classification', pairs: [{ teacher: 'fc1', student: 'fc1' }] });
 *   for (const b of batches) await metric.update({ teacher: { fc1: tAct }, student: { fc1: sAct }, teacherOutput: tLogits, studentOutput: sLogits });
 *   const result = await metric.compute(); // { fss, aoa, krs, layers, output, warnings, … }
 */
import type { OutputBatch } from '../agreement/spec.js';
import { errors, KrsError, opt } from '../core/errors.js';
import type { Measure } from '../core/measure.js';
import { decodeFloat64, encodeFloat64 } from '../core/serialize.js';
import { asRecord } from '../core/state-json.js';
import { asTensor, type Tensor, type TensorLike } from '../core/tensor.js';
import { toPoints } from '../core/units.js';
import { assertFinite } from '../core/validate.js';
import type { MatrixBackend } from '../linalg/backend.js';
import { typescriptBackend } from '../linalg/typescript-backend.js';
import { columnSums } from '../linalg/vector.js';
import { featureMatrix, type Pooling, pooledWidth } from '../similarity/features.js';
import {
  type LayerBatch,
  type LayerSimilarityMeasure,
  type LayerSimilarityOptions,
  type LayerSimilarityResult,
  type LayerState,
  layerSimilarity,
} from '../similarity/layer-similarity.js';
import type { FeatureShift } from '../similarity/linear-stats.js';
import { checkSimilarityOptions, isSimilarity, nestSimilarityOptions, type Similarity, similaritySpec } from '../similarity/registry.js';
import type { Estimator, ExactRoute } from '../similarity/spec.js';
import { type Task, taskSpec } from '../tasks/registry.js';
import type { OutputOptions, OutputResult, TaskSpec } from '../tasks/spec.js';
import { composeKrs, resolveWeights } from './compose.js';
import {
  coarsening,
  DEFAULT_GROUP_MEMORY,
  DEFAULT_GROUPS,
  DEFAULT_WORK_BUDGET,
  megabytes,
  outputRows,
  type Piece,
  piecesOf,
  stateBytes,
  takeOutputRows,
  takeRows,
} from './groups.js';
import { assembleIntervals, type IntervalSummary, type ScoreInterval } from './intervals.js';

/** Version of the serialised state ({@link KrsMetric.toJSON}); version 3 (no shifts) is still read. */
export const STATE_VERSION = 4;

export interface LayerPair {
  readonly teacher: string;
  readonly student: string;
}

/** Options passed through to every layer pair's {@link layerSimilarity}. */
type SharedLayerOptions = Pick<
  LayerSimilarityOptions,
  'channelsLast' | 'backend' | 'estimator' | 'memoryBudget' | 'samples' | 'exactRoute' | 'similarityOptions' | 'gramBlock'
>;

export interface KrsMetricOptions extends SharedLayerOptions {
  task: Task;
  pairs: readonly LayerPair[];
  /** Weight of FSS; the task's preset by default. */
  alpha?: number;
  /** If given, must equal 1 − α. */
  beta?: number;
  /** Force one similarity for every pair; by default the task preset decides per pair. */
  similarity?: Similarity;
  /** Pooling of activations; default: the task's (`flatten`; `mean` for nlp sequences). */
  pool?: Pooling;
  output?: OutputOptions;
  /**
   * Jackknife intervals (docs/formulas.md §"Intervals"): `false` turns them off; otherwise
   * `groups` (default 20), `samples` (the total to come, for contiguous blocks; without it
   * sample i goes to group i mod G) and `memoryBudget` (bytes for one layer pair's
   * per-group states, default 512 MiB).
   */
  intervals?: IntervalOptions | false;
  /**
   * The running index of the first sample this metric sees (default 0): a shard that folds
   * samples [firstSample, …) of `samples` puts each in the group it has in the whole run, so
   * the shards' merged states equal the single run's (docs/formulas.md §"Shards").
   */
  firstSample?: number;
}

export interface IntervalOptions {
  groups?: number;
  samples?: number;
  memoryBudget?: number;
  /**
   * Multiply-adds the leave-outs of one layer pair may need (default 1e11): a pair over it gets
   * no interval, with the reason. A size rule, so whether an interval is computed depends on
   * the data and the options, never on the machine's speed or load.
   */
  workBudget?: number;
}

/**
 * One batch: activations by layer name and the outputs, for the same samples in the same order.
 * Arrays may be Tensors, typed arrays or plain nested number arrays (see {@link asTensor}).
 */
export interface KrsBatch extends Omit<OutputBatch, 'teacherOutput' | 'studentOutput'> {
  teacher: Readonly<Record<string, TensorLike>>;
  student: Readonly<Record<string, TensorLike>>;
  teacherOutput?: TensorLike;
  studentOutput?: TensorLike;
  teacherMask?: Tensor;
  studentMask?: Tensor;
  /**
   * The caller hands the activation arrays over: pairs on the sample-space route keep their
   * rows as they are instead of copying them (see `LayerBatch.handOver`), so the caller must
   * not modify them while the metric lives. Default false (copied).
   */
  handOver?: boolean;
}

/** A layer pair computed outside the metric from all its samples, with its leave-one-group-out values (fractions, by group). */
export interface ReducedPair {
  result: LayerSimilarityResult;
  /** The values by group (computed when the intervals ask; may throw UNDEFINED like a measure's), or null. */
  leaveOut: (() => number[]) | null;
}

export interface LayerScore {
  teacher: string;
  student: string;
  /** The similarity's value in points (docs/conventions.md). */
  score: number;
  /** Samples the similarity was computed on. */
  n: number;
  similarity: Similarity;
  estimator: Estimator;
  /** The exact route of the linear CKA family: feature-space statistics or sample-space Gram blocks. */
  route?: ExactRoute;
  teacherWidth: number;
  studentWidth: number;
  batches?: number;
  /** 95 % jackknife interval of `score` (points), or null (`ciReason` says why). */
  ci95: [number, number] | null;
  /** Its standard error (points), or null. */
  se: number | null;
  /** Groups the interval was computed from (0 when none). */
  groups: number;
  ciReason?: string;
}

export interface KrsResult {
  task: Task;
  n: number;
  alpha: number;
  beta: number;
  /** Points (0–100). */
  fss: number;
  aoa: number;
  krs: number;
  /** The similarity used, or `mixed` when pairs differ. */
  similarity: Similarity | 'mixed';
  pool: Pooling;
  backend: string;
  layers: LayerScore[];
  output: OutputResult;
  /** 95 % intervals of FSS, AOA and KRS (points), each null when undefined (reasons in `intervals`). */
  ci95: { fss: [number, number] | null; aoa: [number, number] | null; krs: [number, number] | null };
  /** How the intervals were made: groups, standard errors, leave-one-group-out values, reasons. */
  intervals: IntervalSummary;
  warnings: string[];
}

export type { IntervalSummary, ScoreInterval };

interface PairState {
  similarity: Similarity | null;
  /**
   * Column means of the pooled features of the run's first batch: the point every group's exact
   * feature-space statistics sum about, so states are the same bits however the samples were
   * batched or sharded (set by the first batch, or by {@link KrsMetric.fixShifts}).
   */
  shift?: FeatureShift;
  note?: string;
  /** Adjacent groups merged per stored state (1, 2, 4, …); 0: one state, no interval; null: not decided yet. */
  factor: number | null;
  /** Why the pair has no interval (factor 0). */
  reason?: string;
  /** One state per stored group (⌈G/factor⌉; one when factor is 0). */
  slots: LayerState[];
}

export interface KrsState {
  pairs: PairState[];
  /** One output state per group. */
  outputs: unknown[];
  /** Samples per group, of the features and of the outputs. */
  rows: { features: number[]; outputs: number[] };
  /** Running sample indices (the next sample's). */
  seen: { features: number; outputs: number };
}

export class KrsMetric {
  readonly options: Readonly<KrsMetricOptions>;
  readonly alpha: number;
  readonly beta: number;
  readonly pool: Pooling;
  readonly task: TaskSpec;
  /** Groups of samples for the intervals (1 when they are off). */
  readonly groups: number;
  private readonly samples: number | undefined;
  private readonly firstSample: number;
  private readonly memoryBudget: number;
  private readonly workBudget: number;
  private readonly backend: MatrixBackend;
  private readonly out: Measure<unknown, OutputBatch, OutputResult>;
  private state: KrsState;
  /** Rows of the current batch already folded into the pair being updated (the batch's earlier pieces). */
  private rowsFolded = 0;

  /**
   * Similarity options given flat, the old way (`rbfThreshold` beside the other options, as in
   * states written before `similarityOptions`), are moved into `similarityOptions`.
   * @throws BAD_OPTION / BAD_WEIGHT for bad options (unknown task or similarity, a bad similarity option, α ∉ [0, 1], no pairs, bad interval options).
   */
  constructor(given: KrsMetricOptions) {
    const options = nestSimilarityOptions(given);
    this.task = taskSpec(options.task);
    const w = resolveWeights(options.alpha ?? this.task.alpha, options.beta);
    if (options.pairs.length === 0) throw errors.badOption('pairs', [], 'at least one teacher:student layer pair');
    if (options.similarity !== undefined) similaritySpec(options.similarity);
    checkSimilarityOptions(options.similarityOptions);
    const iv: IntervalOptions = options.intervals === false ? { groups: 1 } : (options.intervals ?? {});
    const groups = iv.groups ?? DEFAULT_GROUPS;
    if (!Number.isInteger(groups) || groups < 1) throw errors.badOption('intervals', iv, `groups: a positive integer (1 turns intervals off)`);
    if (iv.samples !== undefined && (!Number.isInteger(iv.samples) || iv.samples < 0))
      throw errors.badOption('intervals', iv, 'samples: a non-negative integer');
    const budget = iv.memoryBudget ?? DEFAULT_GROUP_MEMORY;
    if (!(typeof budget === 'number' && budget > 0)) throw errors.badOption('intervals', iv, 'memoryBudget: a positive number of bytes');
    this.groups = groups;
    this.samples = iv.samples ?? options.samples;
    this.firstSample = options.firstSample ?? 0;
    if (!Number.isInteger(this.firstSample) || this.firstSample < 0 || (this.samples !== undefined && this.firstSample > this.samples)) {
      throw errors.badOption('firstSample', options.firstSample, `an integer in [0, ${this.samples ?? '∞'}] (the running index of the first sample)`);
    }
    this.memoryBudget = budget;
    if ((iv as { timeBudget?: unknown }).timeBudget !== undefined)
      throw errors.badOption('intervals', iv, 'workBudget (multiply-adds; timeBudget is gone: whether an interval is computed no longer depends on time)');
    this.workBudget = iv.workBudget ?? DEFAULT_WORK_BUDGET;
    if (!(typeof this.workBudget === 'number' && this.workBudget > 0))
      throw errors.badOption('intervals', iv, 'workBudget: a positive number of multiply-adds');
    this.options = options;
    this.alpha = w.alpha;
    this.beta = w.beta;
    this.pool = options.pool ?? this.task.pool;
    this.backend = options.backend ?? typescriptBackend;
    // Every agreement's result is an AgreementResult plus its own extra fields.
    this.out = this.task.agreement.measure(options.output ?? {}) as Measure<unknown, OutputBatch, OutputResult>;
    this.state = this.initialState();
  }

  private initialState(): KrsState {
    const g = this.groups;
    return {
      pairs: this.options.pairs.map(() => ({ similarity: null, factor: null, slots: [] })),
      outputs: Array.from({ length: g }, () => this.out.init()),
      rows: { features: new Array<number>(g).fill(0), outputs: new Array<number>(g).fill(0) },
      seen: { features: 0, outputs: 0 },
    };
  }

  private measureFor(pair: LayerPair, similarity: Similarity, shift?: FeatureShift): LayerSimilarityMeasure {
    const o = this.options;
    const opts: LayerSimilarityOptions = {
      similarity,
      pool: this.pool,
      channelsLast: o.channelsLast,
      backend: this.backend,
      estimator: o.estimator,
      memoryBudget: o.memoryBudget,
      samples: o.samples,
      exactRoute: o.exactRoute,
      ...(o.similarityOptions ? { similarityOptions: o.similarityOptions } : {}),
      ...(o.gramBlock !== undefined ? { gramBlock: o.gramBlock } : {}),
      ...(shift ? { shift } : {}),
      // A pair's stored rows over all its groups: every pair holds every sample this metric has seen.
      heldRows: () => this.state.seen.features + this.rowsFolded,
      teacherName: pair.teacher,
      studentName: pair.student,
    };
    return layerSimilarity(opts);
  }

  /**
   * The groups' pieces of a batch of `count` rows. With the minibatch estimator a batch of
   * features is one minibatch, so it goes whole to the group of its first sample (splitting it
   * would make smaller minibatches); its outputs are split by sample as always.
   */
  private pieces(stream: 'features' | 'outputs', count: number, group: number | undefined): Piece[] {
    const pieces = piecesOf(this.firstSample + this.state.seen[stream], count, this.groups, this.samples, group);
    if (stream === 'outputs' || this.options.estimator !== 'minibatch' || pieces.length <= 1) return pieces;
    return [{ group: pieces[0]!.group, start: 0, end: count, count }];
  }

  /**
   * Fold one batch of activations and outputs in. The batch's arrays are never modified.
   * Outputs are checked and folded first (atomically); if a layer then fails (NaN, wrong
   * width…), earlier layer pairs may already hold the batch: discard the metric or `reset()`.
   * `group` puts the whole batch in that group of the intervals (default: by running index).
   */
  async update(batch: KrsBatch, group?: number): Promise<void> {
    await this.updateOutputs(batch, group);
    await this.updateFeatures(batch, group);
  }

  /** Fold in outputs only (when they do not come row by row with the features, e.g. detections). */
  async updateOutputs(batch: KrsBatch | OutputBatch, group?: number): Promise<void> {
    const { teacherOutput: t, studentOutput: s, outputMask, images } = batch;
    const outputs: OutputBatch = {
      ...(t !== undefined ? { teacherOutput: asTensor(t, 'teacher outputs') } : {}),
      ...(s !== undefined ? { studentOutput: asTensor(s, 'student outputs') } : {}),
      ...(outputMask !== undefined ? { outputMask } : {}),
      ...(images !== undefined ? { images } : {}),
    };
    const count = outputRows(outputs);
    const lengths = [outputs.teacherOutput, outputs.studentOutput, outputs.outputMask].map((t) => t?.shape[0] ?? count);
    // Rows that do not line up are the measure's error to report, on the batch as given.
    if (lengths.some((r) => r !== count)) await this.out.update(this.out.init(), outputs);
    const pieces = this.pieces('outputs', count, group);
    // Split across groups: check the whole batch first, so errors name rows of the batch as given.
    if (pieces.length > 1) await this.out.update(this.out.init(), outputs);
    if (pieces.length <= 1) {
      await this.out.update(this.state.outputs[pieces[0]?.group ?? 0]!, outputs);
    } else {
      // Fold into copies, so a piece that fails leaves every group as it was.
      const next = new Map<number, unknown>();
      for (const piece of pieces) {
        const g = piece.group;
        if (!next.has(g)) next.set(g, this.out.merge(this.state.outputs[g]!, this.out.init()));
        await this.out.update(next.get(g)!, takeOutputRows(outputs, piece));
      }
      for (const [g, st] of next) this.state.outputs[g] = st;
    }
    for (const piece of pieces) this.state.rows.outputs[piece.group]! += piece.count;
    this.state.seen.outputs += count;
  }

  /** Fold in activations only. */
  async updateFeatures(batch: KrsBatch, group?: number): Promise<void> {
    const pairs = this.options.pairs;
    let pieces: Piece[] | null = null;
    for (let i = 0; i < pairs.length; i++) {
      const pair = pairs[i]!;
      const rawT = batch.teacher[pair.teacher];
      const rawS = batch.student[pair.student];
      if (!rawT) throw errors.unknownKey('teacher layer', pair.teacher, 'the batch', Object.keys(batch.teacher));
      if (!rawS) throw errors.unknownKey('student layer', pair.student, 'the batch', Object.keys(batch.student));
      const t = asTensor(rawT, `teacher layer '${pair.teacher}'`);
      const s = asTensor(rawS, `student layer '${pair.student}'`);
      const ps = this.state.pairs[i]!;
      if (ps.similarity === null) {
        const feature = { pool: this.pool, channelsLast: this.options.channelsLast };
        const choice = this.options.similarity
          ? { similarity: this.options.similarity }
          : this.task.similarityFor(pooledWidth(t.shape, feature), pooledWidth(s.shape, feature));
        ps.similarity = choice.similarity;
        if (choice.note) ps.note = `layer pair '${pair.teacher}':'${pair.student}': ${choice.note}`;
      }
      ps.shift ??= this.shiftOf(t, s, batch);
      const m = this.measureFor(pair, ps.similarity, ps.shift);
      const layerBatch = { teacher: t, student: s, teacherMask: batch.teacherMask, studentMask: batch.studentMask, handOver: batch.handOver === true };
      const count = t.shape[0] ?? 0;
      if ([s, batch.teacherMask, batch.studentMask].some((x) => x !== undefined && x.shape[0] !== count)) {
        await m.update(m.init(), layerBatch); // rows that do not line up: the measure's error, on the batch as given
      }
      pieces ??= this.pieces('features', count, group);
      if (pieces.length > 1) {
        // Split across groups: NaN/Inf are located in the batch as given, not in a piece.
        assertFinite(t, `teacher layer '${pair.teacher}'`);
        assertFinite(s, `student layer '${pair.student}'`);
      }
      this.rowsFolded = 0;
      if (pieces.length === 1 && pieces[0]!.count === (t.shape[0] ?? 0) && ps.factor !== null) {
        await m.update(this.slotFor(ps, pieces[0]!.group, m), layerBatch);
        continue;
      }
      for (const piece of pieces) {
        await this.updatePiece(pair, ps, m, piece, t, s, batch);
        this.rowsFolded += piece.count;
      }
    }
    this.rowsFolded = 0;
    if (pieces) {
      for (const piece of pieces) this.state.rows.features[piece.group]! += piece.count;
      this.state.seen.features += pieces.reduce((a, p) => a + p.count, 0);
    }
  }

  /** Fold one group's piece of a batch into a pair (the first piece sizes the pair's group states). */
  private async updatePiece(pair: LayerPair, ps: PairState, m: LayerSimilarityMeasure, piece: Piece, t: Tensor, s: Tensor, batch: KrsBatch): Promise<void> {
    const part = {
      teacher: takeRows(t, piece),
      student: takeRows(s, piece),
      teacherMask: batch.teacherMask && takeRows(batch.teacherMask, piece),
      studentMask: batch.studentMask && takeRows(batch.studentMask, piece),
      handOver: batch.handOver === true,
    };
    if (ps.factor === null) {
      // The first piece this pair sees sizes one group's state against the interval memory budget.
      const first = m.init();
      await m.update(first, part);
      this.decideFactor(pair, ps, first, m);
      ps.slots[ps.factor === 0 ? 0 : Math.floor(piece.group / ps.factor!)] = first;
      return;
    }
    await m.update(this.slotFor(ps, piece.group, m), part);
  }

  /**
   * Fix every pair's shift from a batch without folding it in: a shard that does not start at
   * the run's first batch passes that batch here first, so its states sum about the same point
   * as the single run's (docs/formulas.md §"Shards").
   */
  fixShifts(batch: KrsBatch): void {
    this.options.pairs.forEach((pair, i) => {
      const rawT = batch.teacher[pair.teacher];
      const rawS = batch.student[pair.student];
      if (!rawT || !rawS) return;
      const shift = this.shiftOf(asTensor(rawT, `teacher layer '${pair.teacher}'`), asTensor(rawS, `student layer '${pair.student}'`), batch);
      if (shift) this.state.pairs[i]!.shift = shift;
    });
  }

  /** Column means of a batch's pooled features (undefined when empty or not finite: the update reports that). */
  private shiftOf(t: Tensor, s: Tensor, batch: KrsBatch): FeatureShift | undefined {
    const feature = { pool: this.pool, channelsLast: this.options.channelsLast, checkFinite: false };
    const means = (x: Tensor, mask: Tensor | undefined): Float64Array | undefined => {
      const m = featureMatrix(x, 'features', { ...feature, mask });
      if (m.rows === 0) return undefined;
      const sums = columnSums(m.data, m.rows, m.cols);
      for (let j = 0; j < sums.length; j++) {
        sums[j] /= m.rows;
        if (!Number.isFinite(sums[j]!)) return undefined;
      }
      return sums;
    };
    if ((t.shape[0] ?? 0) !== (s.shape[0] ?? 0)) return undefined;
    const x = means(t, batch.teacherMask);
    const y = means(s, batch.studentMask);
    return x && y ? { x, y } : undefined;
  }

  private slotFor(ps: PairState, group: number, m: Measure<LayerState, LayerBatch, unknown>): LayerState {
    const k = ps.factor === 0 ? 0 : Math.floor(group / ps.factor!);
    ps.slots[k] ??= m.init();
    return ps.slots[k]!;
  }

  private decideFactor(pair: LayerPair, ps: PairState, first: LayerState, m: LayerSimilarityMeasure): void {
    const bytes = stateBytes(first);
    // States that are the rows themselves partition them: every group costs no more memory.
    const k = m.keepsRows(first) ? 1 : coarsening(this.groups, bytes, this.memoryBudget);
    ps.factor = k;
    const slots = k === 0 ? 1 : Math.ceil(this.groups / k);
    ps.slots = new Array<LayerState>(slots);
    if (k === 0) {
      ps.reason = `layer pair '${pair.teacher}':'${pair.student}': one group's state takes ${megabytes(bytes)}, so even ${Math.min(5, this.groups)} groups exceed the interval memory budget of ${megabytes(this.memoryBudget)} (${opt('intervals')}.memoryBudget)`;
    } else if (k > 1) {
      ps.reason = `layer pair '${pair.teacher}':'${pair.student}': ${slots} groups instead of ${this.groups} (one group's state takes ${megabytes(bytes)}; budget ${megabytes(this.memoryBudget)}, ${opt('intervals')}.memoryBudget)`;
    }
  }

  /**
   * FSS, AOA and KRS of everything seen, each with its interval. Does not change the state.
   * `reduced` gives pairs whose similarity was computed elsewhere from all their samples — the
   * added Gram shares of a sharded run (src/krs/gram-shards.ts) — with its leave-one-group-out
   * values by group; their own states are then not read.
   */
  async compute(options: { reduced?: ReadonlyMap<number, ReducedPair> } = {}): Promise<KrsResult> {
    const { layers, warnings, measures, slow } = await this.layerScores(options.reduced);
    const output = this.out.compute(mergeAll(this.out, this.state.outputs));
    const fss = layers.reduce((a, l) => a + l.score, 0) / layers.length;
    const k = composeKrs(fss, output.aoa, this.alpha);
    const kinds = new Set(layers.map((l) => l.similarity));
    const iv = await assembleIntervals({
      groups: this.groups,
      rows: this.state.rows,
      layers: this.state.pairs.map((ps, i) => ({
        ...this.layerComponent(i, layers[i]!, measures[i]!, options.reduced?.get(i)),
        factor: slow.has(i) ? 0 : (ps.factor ?? 1),
        reason: slow.get(i) ?? ps.reason,
      })),
      output: {
        score: output.aoa,
        bounds: pointsOf(this.task.agreement.bounds),
        slots: this.state.outputs,
        merge: (a, b) => this.out.merge(a, b),
        init: () => this.out.init(),
        value: async (st) => this.out.compute(st).aoa,
      },
      fss: k.fss,
      krs: k.krs,
      alpha: k.alpha,
      beta: k.beta,
      blocks: this.samples !== undefined ? 'contiguous' : 'interleaved',
    });
    iv.layers.forEach((l, i) => Object.assign(layers[i]!, l));
    if (this.groups > 1) warnings.push(...iv.summary.notes);
    return {
      task: this.options.task,
      n: output.n,
      alpha: k.alpha,
      beta: k.beta,
      fss: k.fss,
      aoa: k.aoa,
      krs: k.krs,
      similarity: kinds.size === 1 ? layers[0]!.similarity : 'mixed',
      pool: this.pool,
      backend: this.backend.name,
      layers,
      output,
      ci95: iv.ci95,
      intervals: iv.summary,
      warnings,
    };
  }

  /** Each layer pair's score (intervals still empty), its measure, and the pairs whose leave-outs are over the work budget (with why). */
  private async layerScores(reduced: ReadonlyMap<number, ReducedPair> | undefined) {
    const pairs = this.options.pairs;
    const layers: LayerScore[] = [];
    const warnings: string[] = [];
    const measures: LayerSimilarityMeasure[] = [];
    const slow = new Map<number, string>();
    for (let i = 0; i < pairs.length; i++) {
      const pair = pairs[i]!;
      const ps = this.state.pairs[i]!;
      if (ps.similarity === null) throw errors.undefinedResult(`similarity of '${pair.teacher}':'${pair.student}'`, 'no samples were seen');
      const m = this.measureFor(pair, ps.similarity);
      measures.push(m);
      const red = reduced?.get(i);
      const r = red ? red.result : await m.compute(mergeAll(m, ps.slots));
      const why = red ? undefined : this.overWorkBudget(pair, ps, m, r);
      if (why) slow.set(i, why);
      layers.push({
        teacher: pair.teacher,
        student: pair.student,
        score: toPoints(r.value),
        n: r.n,
        similarity: r.similarity,
        estimator: r.estimator,
        ...(r.route ? { route: r.route } : {}),
        teacherWidth: r.teacherWidth,
        studentWidth: r.studentWidth,
        ...(r.batches !== undefined ? { batches: r.batches } : {}),
        ci95: null,
        se: null,
        groups: 0,
      });
      if (ps.note) warnings.push(ps.note);
      warnings.push(...r.warnings);
    }
    return { layers, warnings, measures, slow };
  }

  /** Why a pair's leave-one-group-out scores are skipped (their work is over the budget: a size rule), or undefined. */
  private overWorkBudget(pair: LayerPair, ps: PairState, m: LayerSimilarityMeasure, r: LayerSimilarityResult): string | undefined {
    const keepsRows = ps.slots.some((st) => st !== undefined && m.keepsRows(st));
    const computeWork = similaritySpec(ps.similarity!).computeWork?.(r.teacherWidth, r.studentWidth) ?? 0;
    const work = leaveOutWork(r, this.groups, keepsRows, computeWork);
    if (!(this.groups > 1 && ps.factor !== 0 && work > this.workBudget)) return undefined;
    const how =
      r.route === 'sample-space'
        ? `one more Gram pass over ${r.n} rows of widths ${r.teacherWidth} + ${r.studentWidth}`
        : keepsRows
          ? `${this.groups} Gram passes over ${r.n} rows of widths ${r.teacherWidth} + ${r.studentWidth}`
          : `${this.groups} merges of states of widths ${r.teacherWidth} + ${r.studentWidth}`;
    return `layer pair '${pair.teacher}':'${pair.student}': its leave-one-group-out scores need about ${work.toExponential(1)} multiply-adds (${how}), over the interval work budget of ${this.workBudget.toExponential(1)} (${opt('intervals')}.workBudget)`;
  }

  /** Pair i as an interval component: its score, scale and per-group states, merged and computed by its measure. */
  private layerComponent(i: number, layer: LayerScore, measure: LayerSimilarityMeasure, red: ReducedPair | undefined) {
    return {
      score: layer.score,
      bounds: pointsOf(similaritySpec(layer.similarity).bounds),
      slots: this.state.pairs[i]!.slots,
      merge: (a: unknown, b: unknown) => measure.merge(a as LayerState, b as LayerState),
      init: () => measure.init(),
      value: async (st: unknown) => toPoints((await measure.compute(st as LayerState)).value),
      leaveOneOut: async (states: readonly unknown[]) => {
        // Reduced pairs: the values of the groups that hold samples (the ones the intervals use).
        if (red)
          return red.leaveOut
            ? red
                .leaveOut()
                .filter((_, g) => this.state.rows.features[g]! > 0)
                .map(toPoints)
            : null;
        return (await measure.leaveOneOut(states as LayerState[]))?.map(toPoints) ?? null;
      },
    };
  }

  /**
   * Drop the stored feature rows of pair `index` (its per-group states become empty; counts and
   * the similarity stay): a shard whose Gram share of the pair is kept separately does not carry
   * its rows. Computing the metric then needs the pair `reduced`.
   */
  releaseRows(index: number): void {
    const ps = this.state.pairs[index];
    if (!ps || ps.similarity === null) return;
    const m = this.measureFor(this.options.pairs[index]!, ps.similarity);
    ps.slots = Array.from(ps.slots, () => m.init());
  }

  /** Forget everything seen. */
  reset(): void {
    this.state = this.initialState();
  }

  /**
   * A new metric equal to having seen this one's and the other's batches (both untouched).
   * Group g of the result is the merge of both metrics' groups g.
   */
  merge(other: KrsMetric): KrsMetric {
    const merged = new KrsMetric(this.options);
    const pairs = this.options.pairs;
    if (other.options.pairs.length !== pairs.length) throw errors.badValue('layer pairs of the merged metric', other.options.pairs.length, `${pairs.length}`);
    if (other.groups !== this.groups) throw errors.incompatibleStates('krs-metric', 'merge', `groups differ (${this.groups} and ${other.groups})`);
    merged.state = {
      pairs: pairs.map((pair, i) => {
        const a = this.state.pairs[i]!;
        const b = other.state.pairs[i]!;
        const similarity = a.similarity ?? b.similarity;
        if (a.similarity && b.similarity && a.similarity !== b.similarity) {
          throw errors.badValue(`similarity of merged pair '${pair.teacher}':'${pair.student}'`, b.similarity, a.similarity);
        }
        if (similarity === null) return { similarity: null, factor: null, slots: [] };
        const m = this.measureFor(pair, similarity);
        const shift = a.shift ?? b.shift;
        return { similarity, note: a.note ?? b.note, ...(shift ? { shift } : {}), ...mergePairSlots(m, this.groups, a, b) };
      }),
      outputs: this.state.outputs.map((st, g) => this.out.merge(st, other.state.outputs[g]!)),
      rows: {
        features: this.state.rows.features.map((r, g) => r + other.state.rows.features[g]!),
        outputs: this.state.rows.outputs.map((r, g) => r + other.state.rows.outputs[g]!),
      },
      seen: { features: this.state.seen.features + other.state.seen.features, outputs: this.state.seen.outputs + other.state.seen.outputs },
    };
    return merged;
  }

  /** Plain-JSON state (exact: float64 arrays are stored bit for bit). Version 3: per-group states. */
  toJSON(): { version: typeof STATE_VERSION; options: Omit<KrsMetricOptions, 'backend'>; state: unknown } {
    const { backend: _backend, ...options } = this.options;
    return {
      version: STATE_VERSION,
      options,
      state: {
        pairs: this.state.pairs.map((ps, i) => {
          const m = ps.similarity ? this.measureFor(this.options.pairs[i]!, ps.similarity) : null;
          return {
            similarity: ps.similarity,
            note: ps.note,
            ...(ps.shift ? { shift: { x: encodeFloat64(ps.shift.x), y: encodeFloat64(ps.shift.y) } } : {}),
            factor: ps.factor,
            reason: ps.reason,
            slots: Array.from(ps.slots, (st) => (m && st ? m.toJSON(st) : null)),
          };
        }),
        outputs: this.state.outputs.map((st) => this.out.toJSON(st)),
        rows: this.state.rows,
        seen: this.state.seen,
      },
    };
  }

  /**
   * Restore a metric from {@link toJSON}; pass the backend to use from now on. Everything is
   * validated: the options as the constructor does, then every layer state and the output
   * state by its own measure.
   * @throws BAD_VALUE naming the field for a malformed or foreign state; BAD_OPTION for bad options.
   */
  static fromJSON(json: unknown, backend?: MatrixBackend): KrsMetric {
    const what = 'krs-metric';
    const o = asRecord(json, what);
    if (o.version !== STATE_VERSION && o.version !== 3)
      throw errors.badState(what, `unsupported version ${JSON.stringify(o.version)} (expected 3 or ${STATE_VERSION})`);
    const options = asRecord(o.options, what, 'options') as unknown as KrsMetricOptions;
    if (!Array.isArray(options.pairs)) throw errors.badState(what, 'options.pairs must be an array of layer pairs');
    const state = asRecord(o.state, what, 'state');
    let m: KrsMetric;
    try {
      m = new KrsMetric({ ...options, backend });
    } catch (e) {
      // Options that the constructor refuses are a malformed state here, not a usage error.
      if (e instanceof KrsError && e.kind === 'usage') throw errors.badState(what, `its options are invalid: ${e.message}`);
      throw e;
    }
    const G = m.groups;
    const pairs = state.pairs;
    if (!Array.isArray(pairs) || pairs.length !== m.options.pairs.length) {
      throw errors.badState(what, `state.pairs must hold one state per layer pair (${m.options.pairs.length})`);
    }
    const counts = (v: unknown, field: string): number[] => {
      if (!Array.isArray(v) || v.length !== G || !v.every((x) => Number.isInteger(x) && x >= 0)) {
        throw errors.badState(what, `${field} must hold ${G} non-negative integers (one per group)`);
      }
      return v as number[];
    };
    const rows = asRecord(state.rows, what, 'state.rows');
    const seen = asRecord(state.seen, what, 'state.seen');
    for (const k of ['features', 'outputs'] as const) {
      if (!Number.isInteger(seen[k]) || (seen[k] as number) < 0) throw errors.badState(what, `state.seen.${k} must be a non-negative integer`);
    }
    if (!Array.isArray(state.outputs) || state.outputs.length !== G) throw errors.badState(what, `state.outputs must hold ${G} output states (one per group)`);
    const rowCounts = { features: counts(rows.features, 'state.rows.features'), outputs: counts(rows.outputs, 'state.rows.outputs') };
    for (const k of ['features', 'outputs'] as const) {
      const sum = rowCounts[k].reduce((a, b) => a + b, 0);
      if (sum !== seen[k]) throw errors.badState(what, `state.seen.${k} is ${seen[k]} but its groups hold ${sum} samples`);
    }
    m.state = {
      pairs: pairs.map((raw, i) => {
        const ps = asRecord(raw, what, `state of pair ${i}`);
        if (ps.similarity === null) return { similarity: null, factor: null, slots: [] };
        if (!isSimilarity(ps.similarity)) throw errors.badState(what, `pair ${i} names an unknown similarity ${JSON.stringify(ps.similarity)}`);
        if (ps.note !== undefined && typeof ps.note !== 'string') throw errors.badState(what, `the note of pair ${i} must be a string`);
        if (ps.reason !== undefined && typeof ps.reason !== 'string') throw errors.badState(what, `the reason of pair ${i} must be a string`);
        const factor = ps.factor;
        if (factor !== null && !(Number.isInteger(factor) && (factor as number) >= 0))
          throw errors.badState(what, `the factor of pair ${i} must be null or a non-negative integer`);
        const size = factor === null ? 0 : factor === 0 ? 1 : Math.ceil(G / (factor as number));
        if (!Array.isArray(ps.slots) || ps.slots.length !== size) throw errors.badState(what, `pair ${i} must hold ${size} group states`);
        const lm = m.measureFor(m.options.pairs[i]!, ps.similarity);
        let shift: FeatureShift | undefined;
        if (ps.shift !== undefined) {
          const sh = asRecord(ps.shift, what, `shift of pair ${i}`);
          shift = { x: decodeFloat64(sh.x, `${what} shift of pair ${i}`), y: decodeFloat64(sh.y, `${what} shift of pair ${i}`) };
          if (![...shift.x, ...shift.y].every(Number.isFinite)) throw errors.badState(what, `the shift of pair ${i} must be finite`);
        }
        return {
          similarity: ps.similarity,
          ...(shift ? { shift } : {}),
          ...(ps.note ? { note: ps.note } : {}),
          factor: factor as number | null,
          ...(ps.reason ? { reason: ps.reason as string } : {}),
          slots: (ps.slots as unknown[]).map((st) => (st === null ? lm.init() : lm.fromJSON(st))),
        };
      }),
      outputs: state.outputs.map((st) => m.out.fromJSON(st)),
      rows: rowCounts,
      seen: { features: seen.features as number, outputs: seen.outputs as number },
    };
    return m;
  }
}

/**
 * Multiply-adds the leave-one-group-out scores of a pair need, from its sizes: a pair whose
 * state keeps the rows recomputes its n × n Gram matrices — once more on the sample-space route
 * of linear CKA (its leave-outs come from one pass), G times otherwise (RBF CKA); a pair of
 * streaming statistics merges and computes G states of p² + q² + pq numbers, plus what its
 * similarity's compute itself costs (`computeWork`: Procrustes' singular values).
 */
function leaveOutWork(
  r: { n: number; teacherWidth: number; studentWidth: number; route?: string },
  groups: number,
  keepsRows: boolean,
  computeWork: number,
): number {
  const { n, teacherWidth: p, studentWidth: q } = r;
  if (r.route === 'sample-space') return n * n * (p + q);
  if (keepsRows) return groups * n * n * (p + q);
  return groups * (p * p + q * q + p * q + computeWork);
}

/** A measure's bounds (fractions) in points. */
function pointsOf(b: readonly [number, number]): [number, number] {
  return [toPoints(b[0]), toPoints(b[1])];
}

/** The merge of every state (empty slots skipped); the one state itself when there is one. */
function mergeAll<S>(m: Pick<Measure<S, unknown, unknown>, 'merge' | 'init'>, slots: readonly (S | undefined)[]): S {
  let acc: S | undefined;
  for (const st of slots) if (st !== undefined) acc = acc === undefined ? st : m.merge(acc, st);
  return acc ?? m.init();
}

/** Merge two pairs' group states, coarsening to the larger factor when they differ. */
function mergePairSlots(
  m: Measure<LayerState, LayerBatch, unknown>,
  groups: number,
  a: PairState,
  b: PairState,
): Pick<PairState, 'factor' | 'slots' | 'reason'> {
  if (a.factor === null) return { factor: b.factor, reason: b.reason, slots: b.slots.map((st) => st && m.merge(st, m.init())) };
  if (b.factor === null) return { factor: a.factor, reason: a.reason, slots: a.slots.map((st) => st && m.merge(st, m.init())) };
  const factor = a.factor === 0 || b.factor === 0 ? 0 : Math.max(a.factor, b.factor);
  const size = factor === 0 ? 1 : Math.ceil(groups / factor);
  const slots = Array.from({ length: size }, () => m.init());
  for (const side of [a, b]) {
    side.slots.forEach((st, j) => {
      if (!st) return;
      const target = factor === 0 ? 0 : Math.floor((j * side.factor!) / factor);
      slots[target] = m.merge(slots[target]!, st);
    });
  }
  const reason = factor === a.factor ? a.reason : b.reason;
  return { factor, slots, ...(reason ? { reason } : {}) };
}
