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
  type KlAgreementBatch,
  type KlAgreementConfig,
  type KlAgreementOneShotOptions,
  type KlAgreementOptions,
  type KlAgreementResult,
  type KlAgreementState,
  klAgreement,
  klAgreementMeasure,
  klAgreementSpec,
  type OutputKind,
  PROBS_SUM_TOLERANCE,
} from './classification.js';
export {
  boxIou,
  type Detection,
  type DetectionAgreementConfig,
  type DetectionAgreementOptions,
  type DetectionAgreementResult,
  type DetectionAgreementState,
  type DetectionImage,
  detectionAgreement,
  detectionAgreementMeasure,
  detectionAgreementSpec,
  groupDetections,
} from './detection.js';
export {
  type RegressionAgreementBatch,
  type RegressionAgreementConfig,
  type RegressionAgreementOptions,
  type RegressionAgreementResult,
  type RegressionAgreementState,
  regressionAgreement,
  regressionAgreementMeasure,
  regressionAgreementSpec,
} from './regression.js';
export {
  type ClassCounts,
  MAX_SEGMENTATION_LABEL,
  type SegmentationAgreementBatch,
  type SegmentationAgreementConfig,
  type SegmentationAgreementOptions,
  type SegmentationAgreementResult,
  type SegmentationAgreementState,
  segmentationAgreement,
  segmentationAgreementMeasure,
  segmentationAgreementSpec,
} from './segmentation.js';
