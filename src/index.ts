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

// Feature similarity (FSS)
export {
  layerSimilarity,
  similarityOf,
  SIMILARITIES,
  DEFAULT_MAX_EXACT_WIDTH,
  DEFAULT_RBF_THRESHOLD,
  type Similarity,
  type Estimator,
  type LayerSimilarityOptions,
  type LayerSimilarityResult,
  type LayerBatch,
  type LayerState,
} from './similarity/layer-similarity.js';
export { featureMatrix, pooledWidth, POOLINGS, type Pooling, type FeatureOptions } from './similarity/features.js';
export { linearCkaFromCentred, debiasedCkaFromCentred } from './similarity/cka.js';
export { unbiasedHsic, MIN_MINIBATCH } from './similarity/minibatch-hsic.js';
export { median, MAX_RBF_SAMPLES } from './similarity/cka-rbf.js';
export { CrossLayerCka, DEFAULT_MAX_EXACT_BYTES, type CrossLayerOptions, type CrossLayerResult, type CrossLayerEstimator } from './similarity/cross-layer.js';

// Output agreement (AOA)
export * from './agreement/index.js';

// KRS
export { composeKrs, resolveWeights, type Composition, type Weights } from './krs/compose.js';
export { PRESETS, TASKS, presetOf, similarityFor, type Task, type TaskPreset } from './krs/presets.js';
export { KrsMetric, type KrsMetricOptions, type KrsBatch, type KrsResult, type LayerPair, type LayerScore } from './krs/metric.js';
export { outputMeasure, type OutputBatch, type OutputOptions, type OutputResult } from './krs/output.js';
export { scoreCaptures, batchBounds, type ScoreCapturesOptions, type ScoreCapturesResult, type LabelMaps } from './krs/score-captures.js';
export { alignIds, type Alignment } from './krs/align.js';
export { splitPair } from './krs/pairs.js';
export type { Measure } from './core/measure.js';

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
} from './io/experiments.js';

export { VERSION } from './version.js';
