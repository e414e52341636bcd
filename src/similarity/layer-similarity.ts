/**
 * Similarity of one teacher layer and one student layer, as a streaming Measure: the
 * similarity named in the options is looked up in the registry ({@link similaritySpec});
 * this module pools activations to n × p matrices ({@link featureMatrix}), checks samples,
 * widths and finiteness, fixes the widths on the first batch, and delegates to the spec's
 * measure. Values are fractions in the similarity's bounds (docs/conventions.md).
 */
import { errors } from '../core/errors.js';
import type { Measure } from '../core/measure.js';
import { declareState, declareVariants, type Field, fixed, integer, sum } from '../core/state.js';
import { asRecord } from '../core/state-json.js';
import { asTensor, type Tensor, type TensorLike } from '../core/tensor.js';
import { assertFinite, assertSameSamples } from '../core/validate.js';
import type { MatrixBackend } from '../linalg/backend.js';
import { typescriptBackend } from '../linalg/typescript-backend.js';
import { featureMatrix, featureValueBytes, type Pooling, pooledWidth } from './features.js';
import type { FeatureShift } from './linear-stats.js';
import { nestSimilarityOptions, resolveSimilarityOptions, type Similarity, type SimilarityOptions, similaritySpec } from './registry.js';
import { DEFAULT_MEMORY_BUDGET, type Estimator, type EstimatorChoice, type ExactRoute, type SimilaritySettings, type SimilaritySpec } from './spec.js';

export interface LayerSimilarityOptions {
  /** The similarity's registry name; default `cka`. */
  similarity?: Similarity;
  pool?: Pooling;
  channelsLast?: boolean;
  backend?: MatrixBackend;
  /** `exact` (default, at every width) or the minibatch estimator, only when asked for. */
  estimator?: EstimatorChoice;
  /** Bytes the pair's exact statistics or stored rows may take, over all its states; default 4 GiB. */
  memoryBudget?: number;
  /** Rows the pair already holds over all its states (e.g. a metric's every interval group); the memory budget bounds this total. */
  heldRows?: () => number;
  /** Samples expected, when known (lets the exact route be chosen by cost). */
  samples?: number;
  /** Force an exact route (tests, benchmarks). */
  exactRoute?: 'auto' | 'feature-space' | 'sample-space';
  /** The similarities' own options (e.g. `rbfThreshold` of cka-rbf); each similarity reads its own, defaults for the rest. */
  similarityOptions?: SimilarityOptions;
  /** Rows per block of the sample-space Gram pass (default 1024). */
  gramBlock?: number;
  /** The point exact feature-space CKA sums about (see {@link FeatureShift}); default: each state's first batch's means. */
  shift?: FeatureShift;
  teacherName?: string;
  studentName?: string;
}

/** One batch of a layer pair; activations may also be plain nested arrays (see {@link asTensor}). */
export interface LayerBatch {
  teacher: TensorLike;
  student: TensorLike;
  /** (N, T) 0/1 token masks for `mean` pooling of sequences. */
  teacherMask?: Tensor;
  studentMask?: Tensor;
  /**
   * The caller hands the activation arrays over: a measure that keeps rows (sample-space
   * CKA) keeps them as they are instead of copying them, so the caller must not modify them
   * while the state lives. Default false: every kept row is copied. (Features this pair pools
   * itself are its own arrays and are never copied twice.)
   */
  handOver?: boolean;
}

export interface LayerSimilarityResult {
  similarity: Similarity;
  estimator: Estimator;
  /** The exact route (linear CKA family). */
  route?: ExactRoute;
  /** The similarity's value, a fraction (CKA and cosine lie in [0, 1]; debiased CKA may dip below 0). */
  value: number;
  n: number;
  teacherWidth: number;
  studentWidth: number;
  /** Number of minibatches (minibatch estimator only). */
  batches?: number;
  warnings: string[];
}

/** The layer-pair measure: the Measure contract plus an optional fast delete-a-group jackknife. */
export type LayerSimilarityMeasure = Measure<LayerState, LayerBatch, Promise<LayerSimilarityResult>> & {
  leaveOneOut(states: readonly LayerState[]): Promise<number[] | null>;
  /** True when the state keeps the feature rows themselves (see {@link SimilarityMeasure.keepsRows}). */
  keepsRows(state: LayerState): boolean;
};

/** Before the first batch the widths are unknown; after it, the spec's state for widths p, q. */
export type LayerState = { mode: 'empty' } | { mode: 'active'; p: number; q: number; n: number; valueBytes: ValueBytes; inner: unknown };

/** Bytes per value of the teacher's and the student's feature rows (see {@link featureValueBytes}). */
export interface ValueBytes {
  readonly teacher: number;
  readonly student: number;
}

/** What states made before the precision was recorded were priced at. */
const UNRECORDED_VALUE_BYTES: ValueBytes = { teacher: 4, student: 4 };

/** The settings every spec measure of the pair is made with (the options' defaults filled in). */
function similaritySettings(options: LayerSimilarityOptions, teacherName: string, studentName: string): SimilaritySettings {
  return {
    backend: options.backend ?? typescriptBackend,
    teacherName,
    studentName,
    estimator: options.estimator ?? 'exact',
    memoryBudget: options.memoryBudget ?? DEFAULT_MEMORY_BUDGET,
    ...(options.samples !== undefined ? { samples: options.samples } : {}),
    ...(options.heldRows ? { heldRows: options.heldRows } : {}),
    ...(options.exactRoute !== undefined ? { exactRoute: options.exactRoute } : {}),
    ...(options.shift ? { shift: options.shift } : {}),
    ...(options.gramBlock !== undefined ? { gramBlock: options.gramBlock } : {}),
  };
}

/** What one update of a pair needs from its measure: the spec, the layer names, pooling and the spec measure per widths. */
interface PairContext {
  readonly spec: SimilaritySpec;
  readonly tName: string;
  readonly sName: string;
  readonly feature: { pool?: Pooling; channelsLast?: boolean };
  measureFor(p: number, q: number, valueBytes: ValueBytes): ReturnType<SimilaritySpec['measure']>;
}

/** Pool one batch, check it against the widths fixed by the first, and fold it into the spec's state. */
async function updatePair(ctx: PairContext, state: LayerState, input: LayerBatch): Promise<void> {
  const { spec, tName, sName, feature, measureFor } = ctx;
  const tWhat = `teacher layer '${tName}'`;
  const sWhat = `student layer '${sName}'`;
  const batch = { ...input, teacher: asTensor(input.teacher, tWhat), student: asTensor(input.student, sWhat) };
  assertSameSamples(batch.teacher, batch.student, `layer pair '${tName}':'${sName}'`);
  const p = state.mode === 'active' ? state.p : pooledWidth(batch.teacher.shape, feature);
  const q = state.mode === 'active' ? state.q : pooledWidth(batch.student.shape, feature);
  const valueBytes =
    state.mode === 'active'
      ? state.valueBytes
      : {
          teacher: featureValueBytes(batch.teacher.dtype, batch.teacher.shape, feature),
          student: featureValueBytes(batch.student.dtype, batch.student.shape, feature),
        };
  const m = measureFor(p, q, valueBytes); // checks the widths suit the similarity before any work
  // Exact CKA sums every column before multiplying: NaN/Inf show there, so the
  // element-by-element check runs only to locate them.
  const checkFinite = !spec.checksFiniteItself;
  const x = featureMatrix(batch.teacher, tWhat, { ...feature, mask: batch.teacherMask, checkFinite });
  const y = featureMatrix(batch.student, sWhat, { ...feature, mask: batch.studentMask, checkFinite });
  if (x.cols !== p || y.cols !== q) {
    throw errors.shapeMismatch(`layer pair '${tName}':'${sName}'`, `widths ${p} and ${q} as in earlier batches`, `${x.cols} and ${y.cols}`);
  }
  if (state.mode === 'empty') Object.assign(state, { mode: 'active', p, q, n: 0, valueBytes, inner: m.init() });
  const s = state as Extract<LayerState, { mode: 'active' }>;
  // Arrays this call made (pooled, converted) are its own; the caller's only when handed over.
  const own = (data: unknown, given: TensorLike) => input.handOver === true || data !== (given as { data?: unknown }).data;
  await m.update(s.inner, {
    x: x.data,
    y: y.data,
    rows: x.rows,
    kept: { x: own(x.data, input.teacher), y: own(y.data, input.student) },
    locateNonFinite: () => {
      assertFinite(batch.teacher, tWhat);
      assertFinite(batch.student, sWhat);
      throw errors.badValue(`column sums of '${tName}' or '${sName}'`, 'infinite', 'finite sums (values too large for float64)');
    },
  });
  s.n += x.rows;
}

/**
 * The streaming similarity of one layer pair.
 *
 * @example
 *   const m = layerSimilarity({ similarity: 'cka' });
 *   const s = m.init();
 *   for (const batch of batches) await m.update(s, batch);
 *   const { value } = await m.compute(s);
 * @throws BAD_OPTION for an unknown similarity or a bad similarity option; (from update/compute) SHAPE_MISMATCH for
 *   differing sample counts or widths, NON_FINITE for NaN/Inf, UNDEFINED for constant
 *   layers, BAD_VALUE for minibatches < 4.
 */
export function layerSimilarity(given: LayerSimilarityOptions = {}): LayerSimilarityMeasure {
  const options = nestSimilarityOptions(given);
  const spec: SimilaritySpec = similaritySpec(options.similarity ?? 'cka');
  const own = resolveSimilarityOptions(spec, options.similarityOptions);
  const similarity = spec.name as Similarity;
  const tName = options.teacherName ?? 'teacher';
  const sName = options.studentName ?? 'student';
  const settings = similaritySettings(options, tName, sName);
  const feature = { pool: options.pool, channelsLast: options.channelsLast };
  // One spec measure per width pair and precision, made when they are first known.
  const measures = new Map<string, ReturnType<SimilaritySpec['measure']>>();
  const measureFor = (p: number, q: number, valueBytes: ValueBytes) => {
    const key = `${p}×${q}×${valueBytes.teacher}×${valueBytes.student}`;
    let m = measures.get(key);
    if (!m) measures.set(key, (m = spec.measure(p, q, { ...settings, valueBytes }, own)));
    return m;
  };
  const measureOf = (st: Extract<LayerState, { mode: 'active' }>) => measureFor(st.p, st.q, st.valueBytes);
  const declared = layerState(similarity, `'${tName}':'${sName}'`, (st) => measureFor(st.p!, st.q!, st.valueBytes!));
  const active = (state: LayerState, what: string) => {
    if (state.mode === 'empty') throw errors.undefinedResult(what, 'no samples were seen');
    return state;
  };

  return {
    name: `layer-similarity(${similarity})`,
    init: () => ({ mode: 'empty' }),

    update: (state, input) => updatePair({ spec, tName, sName, feature, measureFor }, state, input),

    async compute(state) {
      const s = active(state, `similarity of '${tName}' and '${sName}'`);
      if (s.n === 0) throw errors.undefinedResult(`similarity of '${tName}' and '${sName}'`, 'no samples were seen');
      const r = await measureOf(s).compute(s.inner);
      return {
        similarity,
        estimator: r.estimator,
        ...(r.route ? { route: r.route } : {}),
        value: r.value,
        n: s.n,
        teacherWidth: s.p,
        studentWidth: s.q,
        ...(r.batches !== undefined ? { batches: r.batches } : {}),
        warnings: r.warnings,
      };
    },

    /**
     * The value with each state's samples deleted in turn, when the similarity has a faster way
     * than merging (see {@link SimilarityMeasure.leaveOneOut}); null otherwise. Empty states
     * delete nothing: their entry is the value of all the others.
     */
    async leaveOneOut(states: readonly LayerState[]): Promise<number[] | null> {
      const active = states.filter((st): st is Extract<LayerState, { mode: 'active' }> => st.mode === 'active');
      if (active.length < 2 || active.some((st) => st.p !== active[0]!.p || st.q !== active[0]!.q)) return null;
      const m = measureOf(active[0]!);
      const values = await m.leaveOneOut?.(active.map((st) => st.inner));
      if (!values) return null;
      if (active.length === states.length) return values;
      const all = (await this.compute(active.reduce<LayerState>((x, y) => this.merge(x, y), { mode: 'empty' }))).value;
      let k = 0;
      return states.map((st) => (st.mode === 'active' ? values[k++]! : all));
    },

    keepsRows(state: LayerState): boolean {
      return state.mode === 'active' && (measureOf(state).keepsRows?.(state.inner) ?? false);
    },

    merge: (a, b) => declared.merge(a, b),

    toJSON: (st) => ({ similarity, ...declared.toJSON(st) }),

    fromJSON(json) {
      const o = asRecord(json, declared.measure);
      if (o.similarity !== similarity) throw errors.badState(declared.measure, `it was made with similarity ${JSON.stringify(o.similarity)}`);
      return declared.fromJSON(o);
    },
  };
}

type ActiveState = Omit<Extract<LayerState, { mode: 'active' }>, 'mode'>;

/**
 * The layer pair's state, declared once (src/core/state.ts): empty until the first batch, then
 * the widths (which must match: SHAPE_MISMATCH), the sample count (added), the precision (a's
 * kept) and the similarity's own state, merged, stored and restored by the similarity's measure
 * for those widths; an empty state is the identity. Stored as `{mode, p, q, n, valueBytes,
 * state}` (the caller puts `similarity` first).
 */
function layerState(similarity: string, pair: string, measureOf: (st: Partial<ActiveState>) => ReturnType<SimilaritySpec['measure']>) {
  const widths = fixed<number, ActiveState>(integer(1), {
    merge: (a, b) => errors.shapeMismatch(`merging states of ${pair}`, `widths ${a.p} and ${a.q}`, `${b.p} and ${b.q}`),
  });
  const inner: Field<unknown, ActiveState> = {
    merge: (a, b, sa) => measureOf(sa).merge(a, b),
    copy: (v, st) => measureOf(st).fromJSON(measureOf(st).toJSON(v)),
    jsonKeys: ['state'],
    toJSON: (v, st) => ({ state: measureOf(st).toJSON(v) }),
    fromJSON: (_j, ctx) => measureOf(ctx.state).fromJSON(ctx.json.state),
  };
  const active = declareState<ActiveState>({
    measure: `layer-similarity(${similarity})`,
    fields: { p: widths, q: widths, n: sum(integer()), valueBytes: valueBytesField, inner },
  });
  return declareVariants<LayerState, 'mode'>({
    measure: active.measure,
    tag: 'mode',
    variants: { empty: declareState({ measure: active.measure, fields: {} }), active },
    isEmpty: (st) => st.mode === 'empty',
  });
}

/** The recorded precision of a state: [teacher, student], each 4 or 8, a's kept; absent in states made before it was recorded. */
const valueBytesField: Field<ValueBytes> = {
  merge: (a) => a,
  copy: (v) => v,
  toJSON: (v) => [v.teacher, v.student],
  fromJSON(json, ctx) {
    if (json === undefined) return UNRECORDED_VALUE_BYTES;
    const ok = Array.isArray(json) && json.length === 2 && json.every((b) => b === 4 || b === 8);
    if (!ok) throw errors.badState(ctx.measure, `valueBytes must be [teacher, student] bytes per value, each 4 or 8, got ${JSON.stringify(json)}`);
    return { teacher: json[0], student: json[1] };
  },
};

/**
 * One-shot similarity of two activation tensors (all samples at once). The arrays are read,
 * never modified, and not copied when a route keeps rows (the state lives only for this call:
 * {@link LayerBatch.handOver}), so do not modify them before the promise settles.
 * @example await similarityOf(teacherActs, studentActs, { similarity: 'cka' }) // → { value: 0.557…, … }
 */
export async function similarityOf(teacher: TensorLike, student: TensorLike, options: LayerSimilarityOptions = {}): Promise<LayerSimilarityResult> {
  const m = layerSimilarity(options);
  const s = m.init();
  await m.update(s, { teacher, student, handOver: true });
  return m.compute(s);
}
