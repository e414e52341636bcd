/**
 * krs — the Knowledge Retention Score of a distilled student against its teacher.
 *
 * This is the browser-safe public API: nothing here imports a Node-only module. File
 * paths, ONNX Runtime and the fast matrix backend are in `krs/node` (src/node.ts).
 */

// Errors
export { KrsError, EXIT_STATUS, ERROR_KINDS, type ErrorCode, type ErrorKind } from './core/errors.js';

// Arrays
export { tensor, sizeOf, sliceRows, toFloat64, type Tensor, type TensorInfo, type DType, type NumericArray } from './core/tensor.js';

// Matrix backends
export { matrix, type Matrix, type MatrixBackend, type ProductRequest } from './linalg/backend.js';
export { typescriptBackend, transposeTimes, timesTranspose } from './linalg/typescript-backend.js';

// Contracts and units
export type { Measure, MeasureInfo } from './core/measure.js';
export { POINTS, toPoints, fromPoints, fixed } from './core/units.js';

// Feature similarity (FSS): the registry, one spec per similarity, the layer-pair measure
export {
  SIMILARITIES,
  SIMILARITY_OPTIONS,
  checkSimilarityOptions,
  isSimilarity,
  similaritySpec,
  type DeclaredOption,
  type Similarity,
  type SimilarityOptions,
} from './similarity/registry.js';
export type {
  SimilaritySpec,
  SimilarityOption,
  PairRoute,
  PairRoutePlan,
  GramShareReducer,
  SimilarityMeasure,
  SimilaritySettings,
  SimilarityEstimate,
  FeatureRows,
  Estimator,
  EstimatorChoice,
  ExactRoute,
} from './similarity/spec.js';
export { cka } from './similarity/cka.js';
export { ckaDebiased } from './similarity/cka-debiased.js';
export { ckaRbf, median, maxRbfSamples, DEFAULT_RBF_THRESHOLD } from './similarity/cka-rbf.js';
export { cosine } from './similarity/cosine.js';
export { procrustes } from './similarity/procrustes.js';
export { singularValues } from './linalg/svd.js';
export {
  DEFAULT_MEMORY_BUDGET,
  chooseLinearRoute,
  featureSpaceBytes,
  sampleSpaceBytes,
  linearCkaMeasure,
  type LinearCkaState,
  type LinearRoute,
} from './similarity/linear-cka.js';
export { gramPass, hsicFromSums, DEFAULT_GRAM_BLOCK, type GramSums, type GramLayerSums, type RowSource } from './linalg/gram-pass.js';
export {
  layerSimilarity,
  similarityOf,
  type LayerSimilarityOptions,
  type LayerSimilarityResult,
  type LayerBatch,
  type LayerState,
} from './similarity/layer-similarity.js';
export { featureMatrix, pooledWidth, POOLINGS, type Pooling, type FeatureOptions } from './similarity/features.js';
export { linearCkaFromCentred, debiasedCkaFromCentred } from './similarity/centred-cka.js';
export { unbiasedHsic, MIN_MINIBATCH } from './similarity/minibatch-hsic.js';
export { CrossLayerCka, type CrossLayerOptions, type CrossLayerResult, type CrossLayerEstimator } from './similarity/cross-layer.js';

// Output agreement (AOA)
export * from './agreement/index.js';

// KRS
export { composeKrs, resolveWeights, type Composition, type Weights } from './krs/compose.js';
export { TASKS, isTask, taskSpec, type Task } from './tasks/registry.js';
export {
  always,
  cosineIfEqualWidths,
  type TaskSpec,
  type SimilarityChoice,
  type OutputSource,
  type TargetMetric,
  type ReportSection,
  type OutputOptions,
  type OutputResult,
} from './tasks/spec.js';
export { classification, detection, segmentation, nlp, regression } from './tasks/index.js';
export { KrsMetric, type KrsMetricOptions, type KrsBatch, type KrsResult, type LayerPair, type LayerScore } from './krs/metric.js';
export { overOutputs, requireOutputs, type OutputBatch, type AgreementSpec, type AgreementResult } from './agreement/spec.js';
export { scoreCaptures, batchBounds, type ScoreCapturesOptions, type ScoreCapturesResult, type LabelMaps } from './krs/score-captures.js';
export {
  seededPermutation,
  baselineLevelOf,
  nullLevelOf,
  NullStash,
  DEFAULT_NULL_SEED,
  type ReferenceLevels,
  type ReferenceOptions,
  type NullLevel,
  type BaselineLevel,
} from './krs/reference-levels.js';
export { alignIds, type Alignment } from './krs/align.js';
export { splitPair } from './krs/pairs.js';

// Readers over bytes (any environment)
export { bytesSource, type ByteSource } from './io/source.js';
export { type Capture, npyCapture } from './io/capture.js';
export { openCaptureSource, detectCaptureFormat, type CaptureFormat } from './io/open.js';
export { readNpy, readNpyInfo, readNpyRows, readNpyStrings, type NpyInfo } from './io/npy.js';
export { npzCapture } from './io/npz.js';
export { safetensorsCapture, readSafetensorsHeader } from './io/safetensors.js';
export { parseCocoResults } from './io/coco.js';
export { decodeLabelMap } from './io/label-map.js';

// ONNX graphs (reading and editing model bytes; running them needs krs/node)
export { describeModel, closestNames, type ModelDescription, type TensorDescription } from './runtime/onnx-model.js';
export { PREPROCESS_PRESETS, parsePreprocess, fitSampleShape, type Preprocess } from './runtime/preprocess.js';

// Analysis of many experiments (krs analyze), case studies (krs explain), statistics
export * from './stats/index.js';
export * from './analysis/index.js';
export {
  explainSamples,
  type ExplainOptions,
  type ExplainResult,
  type SampleExplanation,
  type WorstSample,
  type ClassProb,
  type LayerCosine,
} from './analysis/explain.js';
export {
  diagnose,
  resolveThresholds,
  DEFAULT_THRESHOLDS,
  type Diagnosis,
  type DiagnoseInput,
  type DiagnosisThresholds,
  type Finding,
  type FindingCode,
  type Level,
} from './krs/diagnose.js';
export { sampleAgreement, temperedProbabilities, topClasses, type SampleAgreement, type RankedClass } from './agreement/per-sample.js';
export {
  experimentsFromRows,
  parseExperimentsJson,
  normaliseColumn,
  metricHigherIsBetter,
  REQUIRED_COLUMNS,
  OPTIONAL_COLUMNS,
  type Experiment,
  type ExperimentsTable,
  type RawRow,
} from './analysis/experiments.js';

export { VERSION } from './version.js';
