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
import { errors } from '../core/errors.js';
import type { MatrixBackend } from '../linalg/backend.js';
import { typescriptBackend } from '../linalg/typescript-backend.js';
import { pooledWidth, type Pooling } from '../similarity/features.js';
import {
  layerSimilarity,
  type Estimator,
  type LayerBatch,
  type LayerSimilarityResult,
  type LayerSimilarityOptions,
  type LayerState,
  type Similarity,
} from '../similarity/layer-similarity.js';
import type { Tensor } from '../core/tensor.js';
import type { Measure } from '../core/measure.js';
import { composeKrs, resolveWeights } from './compose.js';
import { presetOf, similarityFor, type Task } from './presets.js';
import { outputMeasure, type OutputBatch, type OutputOptions, type OutputResult } from './output.js';

export interface LayerPair {
  readonly teacher: string;
  readonly student: string;
}

/** Options passed through to every layer pair's {@link layerSimilarity}. */
type SharedLayerOptions = Pick<LayerSimilarityOptions, 'channelsLast' | 'backend' | 'maxExactWidth' | 'rbfThreshold'>;

export interface KrsMetricOptions extends SharedLayerOptions {
  task: Task;
  pairs: readonly LayerPair[];
  /** Weight of FSS; the task preset by default. */
  alpha?: number;
  /** If given, must equal 1 − α. */
  beta?: number;
  /** Force one similarity for every pair; by default the task preset decides per pair. */
  similarity?: Similarity;
  /** Pooling of activations; default `flatten`, and `mean` for nlp sequences. */
  pool?: Pooling;
  output?: OutputOptions;
}

/** One batch: activations by layer name and the outputs, for the same samples in the same order. */
export interface KrsBatch extends OutputBatch {
  teacher: Readonly<Record<string, Tensor>>;
  student: Readonly<Record<string, Tensor>>;
  teacherMask?: Tensor;
  studentMask?: Tensor;
}

export interface LayerScore {
  teacher: string;
  student: string;
  /** 0–100. */
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
  /** 0–100. */
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
  private readonly backend: MatrixBackend;
  private readonly out: Measure<unknown, OutputBatch, OutputResult>;
  private state: KrsState;

  /** @throws BAD_OPTION / BAD_WEIGHT for bad options (unknown task, α ∉ [0, 1], no pairs). */
  constructor(options: KrsMetricOptions) {
    const preset = presetOf(options.task);
    const w = resolveWeights(options.alpha ?? preset.alpha, options.beta);
    if (options.pairs.length === 0) throw errors.badOption('layer pairs', [], 'at least one teacher:student layer pair');
    this.options = options;
    this.alpha = w.alpha;
    this.beta = w.beta;
    this.pool = options.pool ?? (options.task === 'nlp' ? 'mean' : 'flatten');
    this.backend = options.backend ?? typescriptBackend;
    this.out = outputMeasure(options.task, options.output ?? {}) as Measure<unknown, OutputBatch, OutputResult>;
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
  async updateOutputs(batch: OutputBatch): Promise<void> {
    await this.out.update(this.state.output, batch);
  }

  /** Fold in activations only. */
  async updateFeatures(batch: KrsBatch): Promise<void> {
    const pairs = this.options.pairs;
    for (let i = 0; i < pairs.length; i++) {
      const pair = pairs[i]!;
      const t = batch.teacher[pair.teacher];
      const s = batch.student[pair.student];
      if (!t) throw errors.unknownKey('teacher layer', pair.teacher, 'the batch', Object.keys(batch.teacher));
      if (!s) throw errors.unknownKey('student layer', pair.student, 'the batch', Object.keys(batch.student));
      const ps = this.state.pairs[i]!;
      if (ps.similarity === null) {
        const feature = { pool: this.pool, channelsLast: this.options.channelsLast };
        const choice = similarityFor(this.options.task, this.options.similarity, pooledWidth(t.shape, feature), pooledWidth(s.shape, feature));
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
        score: r.score * 100,
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

  /** Plain-JSON state (exact: float64 arrays are stored bit for bit). */
  toJSON(): { version: 1; options: Omit<KrsMetricOptions, 'backend'>; state: unknown } {
    const { backend: _backend, ...options } = this.options;
    return {
      version: 1,
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

  /** Restore a metric from {@link toJSON}; pass the backend to use from now on. */
  static fromJSON(json: unknown, backend?: MatrixBackend): KrsMetric {
    const o = json as { version?: number; options?: KrsMetricOptions; state?: { pairs: PairState[]; output: unknown } };
    if (o?.version !== 1 || !o.options || !o.state) throw errors.badValue('serialised KRS metric', typeof json, '{version: 1, options, state}');
    const m = new KrsMetric({ ...o.options, backend });
    m.state = {
      pairs: o.state.pairs.map((ps, i) => ({
        similarity: ps.similarity,
        ...(ps.note ? { note: ps.note } : {}),
        state: ps.similarity ? m.measureFor(m.options.pairs[i]!, ps.similarity).fromJSON(ps.state) : { mode: 'empty' },
      })),
      output: m.out.fromJSON(o.state.output),
    };
    return m;
  }
}
