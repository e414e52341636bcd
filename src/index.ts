/**
 * krs — the Knowledge Retention Score of a distilled student against its teacher.
 *
 * This is the browser-safe public API: nothing here imports a Node-only module. File
 * paths, ONNX Runtime and the fast matrix backend are in `krs/node` (src/node.ts).
 */

// Output agreement (AOA)
export * from './agreement/index.js';
export { type RankedClass, type SampleAgreement, sampleAgreement, temperedProbabilities, topClasses } from './agreement/per-sample.js';
export { type AgreementResult, type AgreementSpec, type OutputBatch, overOutputs, requireOutputs } from './agreement/spec.js';
export {
  type Experiment,
  type ExperimentsTable,
  experimentsFromRows,
  metricHigherIsBetter,
  normaliseColumn,
  OPTIONAL_COLUMNS,
  parseExperimentsJson,
  type RawRow,
  REQUIRED_COLUMNS,
} from './analysis/experiments.js';
export {
  type ClassProb,
  type ExplainOptions,
  type ExplainResult,
  explainSamples,
  type LayerCosine,
  type SampleExplanation,
  type WorstSample,
} from './analysis/explain.js';
export * from './analysis/index.js';
// Errors
export { ERROR_KINDS, type ErrorCode, type ErrorKind, EXIT_STATUS, KrsError } from './core/errors.js';
// Contracts and units
export type { Measure, MeasureInfo } from './core/measure.js';
// Arrays
export { type DType, type NumericArray, sizeOf, sliceRows, type Tensor, type TensorInfo, tensor, toFloat64 } from './core/tensor.js';
export { fixed, fromPoints, POINTS, toPoints } from './core/units.js';
export { type Capture, npyCapture } from './io/capture.js';
export { parseCocoResults } from './io/coco.js';
export { decodeLabelMap } from './io/label-map.js';
export { type NpyInfo, readNpy, readNpyInfo, readNpyRows, readNpyStrings } from './io/npy.js';
export { npzCapture } from './io/npz.js';
export { type CaptureFormat, detectCaptureFormat, openCaptureSource } from './io/open.js';
export { readSafetensorsHeader, safetensorsCapture } from './io/safetensors.js';
// Readers over bytes (any environment)
export { type ByteSource, bytesSource } from './io/source.js';
export { type Alignment, alignIds } from './krs/align.js';
// KRS
export { type Composition, composeKrs, resolveWeights, type Weights } from './krs/compose.js';
export {
  DEFAULT_THRESHOLDS,
  type DiagnoseInput,
  type Diagnosis,
  type DiagnosisThresholds,
  diagnose,
  type Finding,
  type FindingCode,
  type Level,
  resolveThresholds,
} from './krs/diagnose.js';
export { type KrsBatch, KrsMetric, type KrsMetricOptions, type KrsResult, type LayerPair, type LayerScore } from './krs/metric.js';
export { splitPair } from './krs/pairs.js';
export {
  type BaselineLevel,
  baselineLevelOf,
  DEFAULT_NULL_SEED,
  type NullLevel,
  NullStash,
  nullLevelOf,
  type ReferenceLevels,
  type ReferenceOptions,
  seededPermutation,
} from './krs/reference-levels.js';
export { batchBounds, type LabelMaps, type ScoreCapturesOptions, type ScoreCapturesResult, scoreCaptures } from './krs/score-captures.js';
// Matrix backends
export { type Matrix, type MatrixBackend, matrix, type ProductRequest } from './linalg/backend.js';
export { DEFAULT_GRAM_BLOCK, type GramLayerSums, type GramSums, gramPass, hsicFromSums, type RowSource } from './linalg/gram-pass.js';
export { singularValues } from './linalg/svd.js';
export { timesTranspose, transposeTimes, typescriptBackend } from './linalg/typescript-backend.js';
// ONNX graphs (reading and editing model bytes; running them needs krs/node)
export { closestNames, describeModel, type ModelDescription, type TensorDescription } from './runtime/onnx-model.js';
export { fitSampleShape, PREPROCESS_PRESETS, type Preprocess, parsePreprocess } from './runtime/preprocess.js';
export { debiasedCkaFromCentred, linearCkaFromCentred } from './similarity/centred-cka.js';
export { cka } from './similarity/cka.js';
export { ckaDebiased } from './similarity/cka-debiased.js';
export { ckaRbf, DEFAULT_RBF_THRESHOLD, maxRbfSamples, median } from './similarity/cka-rbf.js';
export { cosine } from './similarity/cosine.js';
export { CrossLayerCka, type CrossLayerEstimator, type CrossLayerOptions, type CrossLayerResult } from './similarity/cross-layer.js';
export { type FeatureOptions, featureMatrix, POOLINGS, type Pooling, pooledWidth } from './similarity/features.js';
export {
  type LayerBatch,
  type LayerSimilarityOptions,
  type LayerSimilarityResult,
  type LayerState,
  layerSimilarity,
  similarityOf,
} from './similarity/layer-similarity.js';
export {
  chooseLinearRoute,
  DEFAULT_MEMORY_BUDGET,
  featureSpaceBytes,
  type LinearCkaState,
  type LinearRoute,
  linearCkaMeasure,
  sampleSpaceBytes,
} from './similarity/linear-cka.js';
export { MIN_MINIBATCH, unbiasedHsic } from './similarity/minibatch-hsic.js';
export { procrustes } from './similarity/procrustes.js';
// Feature similarity (FSS): the registry, one spec per similarity, the layer-pair measure
export {
  checkSimilarityOptions,
  type DeclaredOption,
  isSimilarity,
  SIMILARITIES,
  SIMILARITY_OPTIONS,
  type Similarity,
  type SimilarityOptions,
  similaritySpec,
} from './similarity/registry.js';
export type {
  Estimator,
  EstimatorChoice,
  ExactRoute,
  FeatureRows,
  GramShareReducer,
  PairRoute,
  PairRoutePlan,
  SimilarityEstimate,
  SimilarityMeasure,
  SimilarityOption,
  SimilaritySettings,
  SimilaritySpec,
} from './similarity/spec.js';
// Analysis of many experiments (krs analyze), case studies (krs explain), statistics
export * from './stats/index.js';
export { classification, detection, nlp, regression, segmentation } from './tasks/index.js';
export { isTask, TASKS, type Task, taskSpec } from './tasks/registry.js';
export {
  always,
  cosineIfEqualWidths,
  type OutputOptions,
  type OutputResult,
  type OutputSource,
  type ReportSection,
  type SimilarityChoice,
  type TargetMetric,
  type TaskSpec,
} from './tasks/spec.js';

export { VERSION } from './version.js';
