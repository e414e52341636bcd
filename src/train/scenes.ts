/**
 * Digit scenes for detection and segmentation studies: 1–4 MNIST digits resampled, placed
 * and composited on a small canvas, with light clutter, from one side of the seeded MNIST
 * split; per-pixel labels and boxes come from the digits' own pixels
 * (docs/studies.md §"Digit scenes"). The modules are under `scenes/`.
 */
export { type Box, boxIou, tightBox } from './scenes/canvas.js';
export { type CocoGroundTruth, cocoGroundTruth, DIGIT_CATEGORIES, writeCocoGroundTruth } from './scenes/coco-gt.js';
export { type ClutterPlacement, type ComposedScene, composeScene, type DigitPlacement, type SceneObject } from './scenes/compose.js';
export {
  type DigitScenesOptions,
  digitScenes,
  generateScenes,
  MAX_SET_PIXELS,
  mnistIdsUsed,
  type Scene,
  type SceneSet,
  type SceneSide,
  sceneStreams,
} from './scenes/generate.js';
export { type Range, type ResolvedSceneOptions, resolveSceneOptions, SCENE_DEFAULTS, type SceneOptions } from './scenes/options.js';
export { type PreviewOptions, scenesSheetSvg, writeScenesPng } from './scenes/preview.js';
export { areaResize, areaWeights } from './scenes/resample.js';
