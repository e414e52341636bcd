/**
 * The similarity plug-in contract (docs/architecture.md): a similarity is one file exporting a
 * {@link SimilaritySpec} — its metadata plus a factory of streaming {@link Measure}s over
 * pooled feature rows — and one line in `registry.ts`. {@link layerSimilarity} does the rest
 * (pooling, shape and finiteness checks, choosing widths on the first batch).
 */
import type { Measure, MeasureInfo } from '../core/measure.js';
import type { MatrixBackend } from '../linalg/backend.js';
import type { FeatureShift } from './linear-stats.js';

/** Which computation produced a value; every result names it. */
export type Estimator = 'exact' | 'minibatch-unbiased-hsic' | 'rbf-gram' | 'per-sample-cosine';

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
  /** θ of `cka-rbf`: σ = θ·√(median squared distance). */
  readonly rbfThreshold: number;
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

/** A similarity: its metadata and its measure factory. */
export interface SimilaritySpec<State = unknown> extends MeasureInfo {
  /** The estimators its results may name. */
  readonly estimators: readonly Estimator[];
  /** Teacher and student widths must be equal (e.g. cosine). */
  readonly equalWidths: boolean;
  /**
   * The measure detects NaN/Inf itself (through `locateNonFinite`), so rows need not be
   * checked value by value before `update`.
   */
  readonly checksFiniteItself: boolean;
  /**
   * The measure for a layer pair of widths `p` (teacher) and `q` (student).
   * @throws SHAPE_MISMATCH when the widths do not suit the similarity.
   */
  measure(p: number, q: number, settings: SimilaritySettings): SimilarityMeasure<State>;
}
