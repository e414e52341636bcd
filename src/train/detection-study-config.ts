/**
 * The detection study's settings (`krs demo --study --family detector`): the paper's protocol
 * (§4.2) on a CenterNet-style detector over digit scenes — the `DET_TEACHER` teacher and the
 * four `DET_STUDENTS`, each trained by the baseline (ground truth only: the pre-KD student)
 * and by output distillation, FitNet hints and fine-grained feature imitation from the same
 * initial weights — 4 sizes × 3 KD methods = 12 experiments, scored on held-out scenes.
 *
 * The scenes are 48×48 canvases of 1–4 digits (docs/studies.md §"Digit scenes"), training
 * scenes from the training side of the seeded MNIST split and held-out scenes from its
 * held-out side. Costs behind the full settings: docs/studies.md §"Detection study".
 */
import { errors } from '../core/errors.js';
import { DET_STUDENTS, DET_TEACHER, type DetectorArchitecture } from './dense/detector.js';
import { checkFiniteNumbers, checkPositiveIntegers, checkStudyCommon, studyConfigFrom } from './protocol/config.js';

export interface DetectionStudyConfig {
  seed: number;
  quick: boolean;
  /** Training scenes (drawn from the split's training digits). */
  trainScenes: number;
  /** Held-out scenes (drawn from the split's held-out digits); every mAP and score is on them. */
  testScenes: number;
  teacherEpochs: number;
  studentEpochs: number;
  batchSize: number;
  learningRate: number;
  /** Smallest radius (grid cells) of the ground-truth heatmap's Gaussians (`TargetOptions.minRadius`). */
  heatmapMinRadius: number;
  /** Weight of every KD method's distillation term. */
  kdWeight: number;
  /** The stage FitNet and imitation guide (on the output grid). */
  hintStage: 'stage2' | 'stage3';
  /** Decoder: peaks kept per image, and the lowest score written to the COCO results. */
  topK: number;
  decodeScoreMin: number;
  /** AOA: detections of both sides with score ≥ this are matched (krs's detection agreement). */
  aoaScoreMin: number;
  /** AOA: a matched pair counts at IoU ≥ this. */
  aoaIouMin: number;
  teacher: DetectorArchitecture;
  students: DetectorArchitecture[];
  /** α of KRS (the detection preset 0.7). */
  alpha: number;
  /** Jackknife groups of the intervals and of the paired se of ΔmAP@0.5. */
  intervalGroups: number;
}

export const DETECTION_STUDY_DEFAULTS: Omit<DetectionStudyConfig, 'seed' | 'quick'> = {
  trainScenes: 2000,
  testScenes: 400,
  teacherEpochs: 8,
  studentEpochs: 5,
  batchSize: 16,
  learningRate: 2e-3,
  heatmapMinRadius: 1,
  kdWeight: 1,
  hintStage: 'stage3',
  topK: 20,
  decodeScoreMin: 0.01,
  aoaScoreMin: 0.3,
  aoaIouMin: 0.5,
  teacher: DET_TEACHER,
  students: [...DET_STUDENTS],
  alpha: 0.7,
  intervalGroups: 20,
};

/** `--quick`: two sizes (the largest and smallest), a few dozen scenes, one epoch. */
export const DETECTION_STUDY_QUICK: Partial<DetectionStudyConfig> = {
  trainScenes: 64,
  testScenes: 40,
  teacherEpochs: 1,
  studentEpochs: 1,
  students: [DET_STUDENTS[0]!, DET_STUDENTS[DET_STUDENTS.length - 1]!],
  intervalGroups: 10,
};

/** Held-out scenes at least (the jackknife groups need several scenes each). */
export const MIN_TEST_SCENES = 20;

/**
 * The configuration of a detection study run; unset values take the full or quick defaults.
 * @throws KrsError BAD_OPTION for a value out of range (named as its command-line flag);
 *   ALPHA_OUT_OF_RANGE for α.
 */
export function detectionStudyConfig(settings: Partial<DetectionStudyConfig> = {}): DetectionStudyConfig {
  const c = studyConfigFrom<DetectionStudyConfig>(DETECTION_STUDY_DEFAULTS, DETECTION_STUDY_QUICK, settings);
  checkStudyCommon(c);
  checkPositiveIntegers([
    ['trainSize', c.trainScenes],
    ['testSize', c.testScenes],
    ['teacherEpochs', c.teacherEpochs],
    ['epochs', c.studentEpochs],
    ['batchSize', c.batchSize],
    ['topK', c.topK],
  ]);
  if (c.testScenes < MIN_TEST_SCENES)
    throw errors.badOption('testSize', c.testScenes, `at least ${MIN_TEST_SCENES} held-out scenes (for the jackknife groups)`);
  checkFiniteNumbers([['learningRate', c.learningRate]], 'positive');
  checkFiniteNumbers([['kdWeight', c.kdWeight]], 'non-negative');
  if (!(Number.isInteger(c.heatmapMinRadius) && c.heatmapMinRadius >= 0 && c.heatmapMinRadius <= 16)) {
    throw errors.badOption('heatmapMinRadius', c.heatmapMinRadius, 'an integer from 0 to 16 (cells)');
  }
  for (const [k, v] of [
    ['decodeScoreMin', c.decodeScoreMin],
    ['aoaScoreMin', c.aoaScoreMin],
  ] as const) {
    if (!(v >= 0 && v <= 1)) throw errors.badOption(k, v, 'a score in [0, 1]');
  }
  if (!(c.aoaIouMin > 0 && c.aoaIouMin <= 1)) throw errors.badOption('aoaIouMin', c.aoaIouMin, 'an IoU in (0, 1]');
  return c;
}
