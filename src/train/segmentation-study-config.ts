/**
 * The segmentation study's settings (`krs demo --study --family segmenter`): the paper's
 * protocol (§4.2) on a U-Net-style segmenter over digit scenes — the `SEG_STUDY_TEACHER` and
 * the four `SEG_STUDY_STUDENTS`, each trained by the baseline (ground truth only: the pre-KD
 * student) and by pixel-wise KD, FitNet hints and pair-wise affinity distillation from the
 * same initial weights — 4 sizes × 3 KD methods = 12 experiments, scored on held-out scenes.
 *
 * The scenes are 48×48 canvases of 1–4 digits (docs/studies.md §"Digit scenes"); every
 * network trains on the class-weighted pixel cross-entropy (median-frequency weights of the
 * training maps to the power `classWeightPower`: background holds ~90 % of the pixels).
 * Measurements behind the defaults: docs/studies.md §"Segmentation study".
 */
import { errors } from '../core/errors.js';
import { SEG_STUDY_STUDENTS, SEG_STUDY_TEACHER, type SegmenterArchitecture, type SegStage } from './dense/segmenter.js';
import { checkFiniteNumbers, checkPositiveIntegers, checkStudyCommon, studyConfigFrom } from './protocol/config.js';

export interface SegmentationStudyConfig {
  seed: number;
  quick: boolean;
  /** Training scenes (drawn from the split's training digits). */
  trainScenes: number;
  /** Held-out scenes (drawn from the split's held-out digits); every mIoU and score is on them. */
  testScenes: number;
  teacherEpochs: number;
  studentEpochs: number;
  batchSize: number;
  /** Peak learning rate of Adam (cosine-decayed); the teacher's may differ. */
  learningRate: number;
  teacherLearningRate: number;
  /** Power of the median-frequency class weights of the cross-entropy (0: unweighted). */
  classWeightPower: number;
  /** Weight of every KD method's distillation term. */
  kdWeight: number;
  /** Temperature of pixel-wise KD. */
  temperature: number;
  /** The stage FitNet and the affinity loss guide. */
  hintStage: SegStage;
  /** Affinity: average-pool the stage into β×β patches before the pair-wise cosines. */
  affinityPatch: number;
  teacher: SegmenterArchitecture;
  students: SegmenterArchitecture[];
  /** α of KRS (the segmentation preset 0.7). */
  alpha: number;
  /** Jackknife groups of the intervals and of the paired se of ΔmIoU. */
  intervalGroups: number;
}

export const SEGMENTATION_STUDY_DEFAULTS: Omit<SegmentationStudyConfig, 'seed' | 'quick'> = {
  trainScenes: 2000,
  testScenes: 400,
  teacherEpochs: 6,
  studentEpochs: 3,
  batchSize: 8,
  learningRate: 2e-3,
  teacherLearningRate: 2e-3,
  classWeightPower: 0.5,
  kdWeight: 1,
  temperature: 4,
  hintStage: 'enc3',
  affinityPatch: 1,
  teacher: SEG_STUDY_TEACHER,
  students: [...SEG_STUDY_STUDENTS],
  alpha: 0.7,
  intervalGroups: 20,
};

/** `--quick`: two sizes (the largest and smallest), a few dozen scenes, one epoch. */
export const SEGMENTATION_STUDY_QUICK: Partial<SegmentationStudyConfig> = {
  trainScenes: 48,
  testScenes: 32,
  teacherEpochs: 1,
  studentEpochs: 1,
  students: [SEG_STUDY_STUDENTS[0]!, SEG_STUDY_STUDENTS[SEG_STUDY_STUDENTS.length - 1]!],
  intervalGroups: 10,
};

/** Held-out scenes at least (the jackknife groups need several scenes each). */
export const MIN_SEG_TEST_SCENES = 20;

/**
 * The configuration of a segmentation study run; unset values take the full or quick defaults.
 * @throws KrsError BAD_OPTION for a value out of range (named as its command-line flag);
 *   ALPHA_OUT_OF_RANGE for α.
 */
export function segmentationStudyConfig(settings: Partial<SegmentationStudyConfig> = {}): SegmentationStudyConfig {
  const c = studyConfigFrom<SegmentationStudyConfig>(SEGMENTATION_STUDY_DEFAULTS, SEGMENTATION_STUDY_QUICK, settings);
  checkStudyCommon(c);
  checkPositiveIntegers([
    ['trainSize', c.trainScenes],
    ['testSize', c.testScenes],
    ['teacherEpochs', c.teacherEpochs],
    ['epochs', c.studentEpochs],
    ['batchSize', c.batchSize],
    ['affinityPatch', c.affinityPatch],
  ]);
  if (c.testScenes < MIN_SEG_TEST_SCENES)
    throw errors.badOption('testSize', c.testScenes, `at least ${MIN_SEG_TEST_SCENES} held-out scenes (for the jackknife groups)`);
  checkFiniteNumbers(
    [
      ['learningRate', c.learningRate],
      ['teacherLearningRate', c.teacherLearningRate],
      ['temperature', c.temperature],
    ],
    'positive',
  );
  checkFiniteNumbers(
    [
      ['kdWeight', c.kdWeight],
      ['classWeightPower', c.classWeightPower],
    ],
    'non-negative',
  );
  return c;
}
