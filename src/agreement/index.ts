/**
 * Average Output Agreement (AOA) for every task family, each as a streaming
 * {@link Measure} (`…Measure(options)`), a one-shot function built on it, and an
 * {@link AgreementSpec} (`…Spec`: metadata and words) that task specs name:
 *
 * | task                  | measure                          | one-shot                | metric           |
 * |-----------------------|----------------------------------|-------------------------|------------------|
 * | classification, nlp   | {@link klAgreementMeasure}           | {@link klAgreement}           | `kl-agreement`   |
 * | detection             | {@link detectionAgreementMeasure}    | {@link detectionAgreement}    | `iou-agreement`  |
 * | segmentation          | {@link segmentationAgreementMeasure} | {@link segmentationAgreement} | `miou`           |
 * | regression, time series | {@link regressionAgreementMeasure} | {@link regressionAgreement}   | `normalised-mse` |
 *
 * Every result has `aoa` (0–100), `metric` and `n`, plus task-specific extras.
 */
export {
  asKlAgreementResult,
  klAgreement,
  klAgreementMeasure,
  klAgreementSpec,
  PROBS_SUM_TOLERANCE,
  type KlAgreementBatch,
  type KlAgreementConfig,
  type KlAgreementOneShotOptions,
  type KlAgreementOptions,
  type KlAgreementResult,
  type KlAgreementState,
  type OutputKind,
} from './classification.js';
export {
  boxIou,
  detectionAgreement,
  detectionAgreementMeasure,
  detectionAgreementSpec,
  groupDetections,
  type Detection,
  type DetectionAgreementConfig,
  type DetectionAgreementOptions,
  type DetectionAgreementResult,
  type DetectionAgreementState,
  type DetectionImage,
} from './detection.js';
export {
  MAX_SEGMENTATION_LABEL,
  segmentationAgreement,
  segmentationAgreementMeasure,
  segmentationAgreementSpec,
  type SegmentationAgreementBatch,
  type SegmentationAgreementConfig,
  type SegmentationAgreementOptions,
  type SegmentationAgreementResult,
  type SegmentationAgreementState,
  type ClassCounts,
} from './segmentation.js';
export {
  regressionAgreement,
  regressionAgreementMeasure,
  regressionAgreementSpec,
  type RegressionAgreementBatch,
  type RegressionAgreementConfig,
  type RegressionAgreementOptions,
  type RegressionAgreementResult,
  type RegressionAgreementState,
} from './regression.js';
