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
import { errors } from '../core/errors.js';
import type { Measure } from '../core/measure.js';
import { asRecord } from '../core/state-json.js';
import { asTensor, type Tensor, type TensorLike } from '../core/tensor.js';
import { toPoints } from '../core/units.js';
import type { MatrixBackend } from '../linalg/backend.js';
import { typescriptBackend } from '../linalg/typescript-backend.js';
import { type Pooling, pooledWidth } from '../similarity/features.js';
import { type LayerBatch, type LayerSimilarityOptions, type LayerSimilarityResult, type LayerState, layerSimilarity } from '../similarity/layer-similarity.js';
import { isSimilarity, type Similarity, similaritySpec } from '../similarity/registry.js';
import type { Estimator } from '../similarity/spec.js';
import { type Task, taskSpec } from '../tasks/registry.js';
import type { OutputOptions, OutputResult, TaskSpec } from '../tasks/spec.js';
import { composeKrs, resolveWeights } from './compose.js';

/** Version of the serialised state ({@link KrsMetric.toJSON}). */
const STATE_VERSION = 2;

export interface LayerPair {
  readonly teacher: string;
  readonly student: string;
}

/** Options passed through to every layer pair's {@link layerSimilarity}. */
type SharedLayerOptions = Pick<LayerSimilarityOptions, 'channelsLast' | 'backend' | 'maxExactWidth' | 'rbfThreshold'>;

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
  teacherWidth: number;
  studentWidth: number;
  batches?: number;
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
  warnings: string[];
}

interface PairState {
  similarity: Similarity | null;
  note?: string;
  state: LayerState;
}

export interface KrsState {
  pairs: PairState[];
  output: unknown;
}

export class KrsMetric {
  readonly options: Readonly<KrsMetricOptions>;
  readonly alpha: number;
  readonly beta: number;
  readonly pool: Pooling;
  readonly task: TaskSpec;
  private readonly backend: MatrixBackend;
  private readonly out: Measure<unknown, OutputBatch, OutputResult>;
  private state: KrsState;

  /** @throws BAD_OPTION / BAD_WEIGHT for bad options (unknown task or similarity, α ∉ [0, 1], no pairs). */
  constructor(options: KrsMetricOptions) {
    this.task = taskSpec(options.task);
    const w = resolveWeights(options.alpha ?? this.task.alpha, options.beta);
    if (options.pairs.length === 0) throw errors.badOption('pairs', [], 'at least one teacher:student layer pair');
    if (options.similarity !== undefined) similaritySpec(options.similarity);
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
    return { pairs: this.options.pairs.map(() => ({ similarity: null, state: { mode: 'empty' } })), output: this.out.init() };
  }

  private measureFor(pair: LayerPair, similarity: Similarity): Measure<LayerState, LayerBatch, Promise<LayerSimilarityResult>> {
    const o = this.options;
    const opts: LayerSimilarityOptions = {
      similarity,
      pool: this.pool,
      channelsLast: o.channelsLast,
      backend: this.backend,
      maxExactWidth: o.maxExactWidth,
      rbfThreshold: o.rbfThreshold,
      teacherName: pair.teacher,
      studentName: pair.student,
    };
    return layerSimilarity(opts);
  }

  /**
   * Fold one batch of activations and outputs in. The batch's arrays are never modified.
   * Outputs are checked and folded first (atomically); if a layer then fails (NaN, wrong
   * width…), earlier layer pairs may already hold the batch: discard the metric or `reset()`.
   */
  async update(batch: KrsBatch): Promise<void> {
    await this.updateOutputs(batch);
    await this.updateFeatures(batch);
  }

  /** Fold in outputs only (when they do not come row by row with the features, e.g. detections). */
  async updateOutputs(batch: KrsBatch | OutputBatch): Promise<void> {
    const { teacherOutput: t, studentOutput: s, outputMask, images } = batch;
    const outputs: OutputBatch = {
      ...(t !== undefined ? { teacherOutput: asTensor(t, 'teacher outputs') } : {}),
      ...(s !== undefined ? { studentOutput: asTensor(s, 'student outputs') } : {}),
      ...(outputMask !== undefined ? { outputMask } : {}),
      ...(images !== undefined ? { images } : {}),
    };
    await this.out.update(this.state.output, outputs);
  }

  /** Fold in activations only. */
  async updateFeatures(batch: KrsBatch): Promise<void> {
    const pairs = this.options.pairs;
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
      await this.measureFor(pair, ps.similarity).update(ps.state, {
        teacher: t,
        student: s,
        teacherMask: batch.teacherMask,
        studentMask: batch.studentMask,
      });
    }
  }

  /** FSS, AOA and KRS of everything seen. Does not change the state. */
  async compute(): Promise<KrsResult> {
    const pairs = this.options.pairs;
    const layers: LayerScore[] = [];
    const warnings: string[] = [];
    for (let i = 0; i < pairs.length; i++) {
      const pair = pairs[i]!;
      const ps = this.state.pairs[i]!;
      if (ps.similarity === null) throw errors.undefinedResult(`similarity of '${pair.teacher}':'${pair.student}'`, 'no samples were seen');
      const r = await this.measureFor(pair, ps.similarity).compute(ps.state);
      layers.push({
        teacher: pair.teacher,
        student: pair.student,
        score: toPoints(r.value),
        n: r.n,
        similarity: r.similarity,
        estimator: r.estimator,
        teacherWidth: r.teacherWidth,
        studentWidth: r.studentWidth,
        ...(r.batches !== undefined ? { batches: r.batches } : {}),
      });
      if (ps.note) warnings.push(ps.note);
      warnings.push(...r.warnings);
    }
    const output = this.out.compute(this.state.output);
    const fss = layers.reduce((a, l) => a + l.score, 0) / layers.length;
    const k = composeKrs(fss, output.aoa, this.alpha);
    const kinds = new Set(layers.map((l) => l.similarity));
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
      warnings,
    };
  }

  /** Forget everything seen. */
  reset(): void {
    this.state = this.initialState();
  }

  /** A new metric equal to having seen this one's and the other's batches (both untouched). */
  merge(other: KrsMetric): KrsMetric {
    const merged = new KrsMetric(this.options);
    const pairs = this.options.pairs;
    if (other.options.pairs.length !== pairs.length) throw errors.badValue('layer pairs of the merged metric', other.options.pairs.length, `${pairs.length}`);
    merged.state = {
      pairs: pairs.map((pair, i) => {
        const a = this.state.pairs[i]!;
        const b = other.state.pairs[i]!;
        const similarity = a.similarity ?? b.similarity;
        if (a.similarity && b.similarity && a.similarity !== b.similarity) {
          throw errors.badValue(`similarity of merged pair '${pair.teacher}':'${pair.student}'`, b.similarity, a.similarity);
        }
        if (similarity === null) return { similarity: null, state: { mode: 'empty' } as LayerState };
        const m = this.measureFor(pair, similarity);
        return { similarity, note: a.note ?? b.note, state: m.merge(a.state, b.state) };
      }),
      output: this.out.merge(this.state.output, other.state.output),
    };
    return merged;
  }

  /** Plain-JSON state (exact: float64 arrays are stored bit for bit). Version 2: layer states name their similarity. */
  toJSON(): { version: typeof STATE_VERSION; options: Omit<KrsMetricOptions, 'backend'>; state: unknown } {
    const { backend: _backend, ...options } = this.options;
    return {
      version: STATE_VERSION,
      options,
      state: {
        pairs: this.state.pairs.map((ps, i) => ({
          similarity: ps.similarity,
          note: ps.note,
          state: ps.similarity ? this.measureFor(this.options.pairs[i]!, ps.similarity).toJSON(ps.state) : { mode: 'empty' },
        })),
        output: this.out.toJSON(this.state.output),
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
    if (o.version !== STATE_VERSION) throw errors.badState(what, `unsupported version ${JSON.stringify(o.version)} (expected ${STATE_VERSION})`);
    const options = asRecord(o.options, what, 'options') as unknown as KrsMetricOptions;
    if (!Array.isArray(options.pairs)) throw errors.badState(what, 'options.pairs must be an array of layer pairs');
    const state = asRecord(o.state, what, 'state');
    const m = new KrsMetric({ ...options, backend });
    const pairs = state.pairs;
    if (!Array.isArray(pairs) || pairs.length !== m.options.pairs.length) {
      throw errors.badState(what, `state.pairs must hold one state per layer pair (${m.options.pairs.length})`);
    }
    m.state = {
      pairs: pairs.map((raw, i) => {
        const ps = asRecord(raw, what, `state of pair ${i}`);
        if (ps.similarity === null) return { similarity: null, state: { mode: 'empty' } as LayerState };
        if (!isSimilarity(ps.similarity)) throw errors.badState(what, `pair ${i} names an unknown similarity ${JSON.stringify(ps.similarity)}`);
        if (ps.note !== undefined && typeof ps.note !== 'string') throw errors.badState(what, `the note of pair ${i} must be a string`);
        return {
          similarity: ps.similarity,
          ...(ps.note ? { note: ps.note } : {}),
          state: m.measureFor(m.options.pairs[i]!, ps.similarity).fromJSON(ps.state),
        };
      }),
      output: m.out.fromJSON(state.output),
    };
    return m;
  }
}
