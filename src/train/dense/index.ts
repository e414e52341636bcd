/**
 * The dense-prediction networks of the detection and segmentation studies (issue 20): what a
 * study needs to build, train, distil and read out a teacher and its students on digit scenes.
 *
 * Detection: `buildDetector(DET_TEACHER | DET_STUDENTS[i], rng)` → `trainDetector({ net,
 * teacher, data, method: { kind: 'baseline' | 'output' | 'fitnet' | 'imitation' }, … })` →
 * `predictDetections(net, data, { categoryIds: SCENE_CATEGORY_IDS })` (krs `Detection`s;
 * `cocoResultsJson` writes them) and `stageActivations(net.forward, data, DET_STAGES)` (FSS).
 *
 * Segmentation: `buildSegmenter(SEG_TEACHER | SEG_STUDENTS[i], rng)` → `trainSegmenter({ net,
 * teacher, data, method: { kind: 'baseline' | 'pixel' | 'fitnet' | 'affinity' }, … })` →
 * `predictLabelMaps(net, data)` (`labelMapTensor` for `segmentationAgreement`) and
 * `stageActivations(net.forward, data, SEG_STAGES)`.
 *
 * Data: `sceneDataset(sceneSet)` adapts the digit scenes; `groundTruthImages(data)` feeds `cocoMap`.
 */
export * from './conv.js';
export * from './data.js';
export * from './det-decode.js';
export * from './det-losses.js';
export * from './det-targets.js';
export * from './det-train.js';
export * from './detector.js';
export * from './feature-losses.js';
export { medianFrequencyWeights, pixelCrossEntropy, pixelKdLoss } from './seg-losses.js';
export * from './seg-train.js';
export * from './segmenter.js';
export * from './train-loop.js';
