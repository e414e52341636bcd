/**
 * The similarity plug-in contract (docs/architecture.md): a similarity is one file exporting a
 * {@link SimilaritySpec} — its metadata, its tunable options, how it is priced, and a factory
 * of streaming {@link Measure}s over pooled feature rows — and one line in `registry.ts`.
 * `layerSimilarity` does the rest (pooling, shape and finiteness checks, choosing widths on the
 * first batch, resolving the options).
 */
import type { Measure, MeasureInfo } from '../core/measure.js';
import type { MatrixBackend } from '../linalg/backend.js';
import type { SampleGroups } from '../linalg/gram-pass.js';
import type { PairGramSums } from '../linalg/gram-shares.js';
import type { FeatureShift } from './linear-stats.js';

/**
 * Which computation produced a value; every result names it, and a spec lists the ones its
 * results may name ({@link SimilaritySpec.estimators}): `exact`, `minibatch-unbiased-hsic`,
 * `rbf-gram`, `per-sample-cosine`, … — open, so a new similarity may name its own.
 */
export type Estimator = string;

/** Default memory budget: 4 GiB for a run (src/krs/run-memory.ts), and so for each layer pair's statistics or rows. */
export const DEFAULT_MEMORY_BUDGET = 4 * 2 ** 30;

/** What a caller may ask for: exact values (by whichever exact route), or the minibatch estimator. */
export type EstimatorChoice = 'exact' | 'minibatch';

/** The exact route that computed a value (linear CKA family). */
export type ExactRoute = 'feature-space' | 'sample-space';

/** One batch of pooled features of a layer pair: X (rows × p) and Y (rows × q), row-major. */
export interface FeatureRows {
  readonly x: Float64Array | Float32Array;
  readonly y: Float64Array | Float32Array;
  readonly rows: number;
  /**
   * Which of `x` and `y` no one will write to while the state lives (a copy this pair made
   * itself, e.g. pooled features, or rows a one-shot call handed over): a measure that keeps
   * rows may keep these arrays as they are instead of copying them. Absent: copy both.
   */
  readonly kept?: { readonly x: boolean; readonly y: boolean };
  /**
   * Locate a NaN/Inf in the batch's source tensors and throw NON_FINITE naming it. Measures
   * that sum columns before anything else (exact CKA) call it when a sum is not finite; the
   * others get rows already checked (see {@link SimilaritySpec.checksFiniteItself}).
   */
  readonly locateNonFinite: () => never;
}

/** Settings every similarity may read; a spec ignores what it does not use. */
export interface SimilaritySettings {
  readonly backend: MatrixBackend;
  /** Layer names, for messages. */
  readonly teacherName: string;
  readonly studentName: string;
  /** `exact` (default) or, only on request, the minibatch estimator (linear CKA family). */
  readonly estimator: EstimatorChoice;
  /** Bytes one layer pair's exact statistics or stored rows may take, over all its states (linear CKA family, RBF CKA). */
  readonly memoryBudget: number;
  /**
   * Bytes per value of the rows the pair would store (4 for float32 features used as they are,
   * 8 for float64; see `featureValueBytes`); default 8. Prices the sample-space route.
   */
  readonly valueBytes?: { readonly teacher: number; readonly student: number };
  /**
   * Rows the pair already holds over all its states (a metric's every interval group), before
   * a batch is added; default: the state's own rows. The memory budget bounds this total.
   */
  readonly heldRows?: () => number;
  /** Samples expected, when known in advance: lets the linear CKA family pick its cheaper exact route. */
  readonly samples?: number;
  /** Force an exact route (tests and benchmarks); default: chosen by cost. */
  readonly exactRoute?: 'auto' | 'feature-space' | 'sample-space';
  /** Rows per Gram block of the sample-space route. */
  readonly gramBlock?: number;
  /** The point feature-space statistics sum about (linear CKA family); default: each state's first batch's column means. */
  readonly shift?: FeatureShift;
}

/** What a similarity measure computes: its value (a fraction, docs/conventions.md) and how. */
export interface SimilarityEstimate {
  readonly value: number;
  readonly estimator: Estimator;
  /** The exact route, for the linear CKA family. */
  readonly route?: ExactRoute;
  /** Minibatches averaged (minibatch estimator only). */
  readonly batches?: number;
  readonly warnings: string[];
}

/**
 * A similarity's streaming measure over one layer pair of fixed widths. `leaveOneOut`, where a
 * measure offers it, gives the value with each of the given states' samples deleted in turn
 * (the delete-a-group jackknife) faster than merging and computing each replicate; it returns
 * null when it has no faster way for these states (the caller then merges).
 */
export type SimilarityMeasure<State> = Measure<State, FeatureRows, Promise<SimilarityEstimate>> & {
  leaveOneOut?(states: readonly State[]): Promise<number[] | null>;
  /**
   * True when the state is the samples' feature rows themselves (sample-space CKA, RBF CKA):
   * per-group states then partition the rows, so keeping every group costs no extra memory.
   */
  keepsRows?(state: State): boolean;
};

/**
 * One tunable number a similarity declares (e.g. RBF CKA's bandwidth θ). Its key in
 * {@link SimilaritySpec.options} is its API name (`rbfThreshold`); the CLI flag, the served
 * API's settings and the checks are generated from this declaration (`registry.ts`,
 * `src/cli/similarity-options.ts`), so it is written nowhere else.
 */
export interface SimilarityOption {
  /** The command-line flag, `--` and the key in kebab case (`--rbf-threshold`). */
  readonly flag: `--${string}`;
  /** The value's name in the flag's help (`θ`). */
  readonly placeholder: string;
  /** What it sets, for `--help` and the API schema (the help reads `<similarity>: <help> (default <default>)`). */
  readonly help: string;
  readonly default: number;
  /** Whether a value is in the domain; else BAD_OPTION naming the option and {@link expected}. */
  readonly valid: (value: number) => boolean;
  /** The domain in words (`a finite number > 0`). */
  readonly expected: string;
}

/** A similarity's resolved option values, by API name (defaults filled in). */
export type OptionValues = Readonly<Record<string, number>>;

/**
 * How a layer pair of widths p, q will be computed, from the shapes alone — what a run is
 * priced by before any array is read (src/krs/run-memory.ts):
 *
 * - `feature-space`: streaming statistics of `stateBytes` bytes a state, one per interval group;
 * - `sample-space`: every row kept and n × n Gram matrices visited block by block (the linear
 *   CKA family; such pairs may also be sharded by Gram shares, {@link SimilaritySpec.gramShares});
 * - `rbf`: every row kept and three n × n kernels at compute;
 * - `minibatch`: two b × b Gram matrices a batch;
 * - `scalars`: a few numbers (cosine).
 */
export type PairRoute = 'feature-space' | 'sample-space' | 'rbf' | 'minibatch' | 'scalars';

export interface PairRoutePlan {
  readonly route: PairRoute;
  /** Bytes of one state on the `feature-space` route. */
  readonly stateBytes?: number;
}

/**
 * The sample-space Gram shares of a sharded run (src/krs/gram-shards.ts): the value and the
 * leave-one-group-out values of a pair from the added sums of all shards.
 */
export interface GramShareReducer {
  estimate(sums: PairGramSums, p: number, q: number, teacherName: string, studentName: string): SimilarityEstimate;
  leaveOut(sums: PairGramSums, groups: SampleGroups, teacherName: string, studentName: string): number[];
}

/** A similarity: its metadata, options, pricing and measure factory. */
export interface SimilaritySpec<State = unknown, Options extends OptionValues = Record<never, never>> extends MeasureInfo {
  /** The estimators its results may name. */
  readonly estimators: readonly Estimator[];
  /** Teacher and student widths must be equal (e.g. cosine). */
  readonly equalWidths: boolean;
  /**
   * The measure detects NaN/Inf itself (through `locateNonFinite`), so rows need not be
   * checked value by value before `update`.
   */
  readonly checksFiniteItself: boolean;
  /** Its tunable options by API name (see {@link SimilarityOption}); none when absent. */
  readonly options?: { readonly [K in keyof Options]: SimilarityOption };
  /** How a pair is computed and priced (see {@link PairRoutePlan}); default `scalars`. */
  plan?(p: number, q: number, settings: SimilaritySettings): PairRoutePlan;
  /**
   * Multiply-adds of one `compute` beyond merging its statistics (e.g. a singular value
   * decomposition), for the work budget of the intervals' leave-outs; default 0.
   */
  computeWork?(p: number, q: number): number;
  /** Present when its sample-space pairs can be sharded by Gram shares (the linear CKA family). */
  readonly gramShares?: GramShareReducer;
  /**
   * The measure for a layer pair of widths `p` (teacher) and `q` (student), with its options
   * resolved (defaults filled in, domains checked).
   * @throws SHAPE_MISMATCH when the widths do not suit the similarity.
   */
  measure(p: number, q: number, settings: SimilaritySettings, options: Options): SimilarityMeasure<State>;
}
