/**
 * The demo's settings: what is trained, how, and on how much data — with the defaults of the
 * full run and of `--quick`, and the checks on values a user may set.
 */
import { errors, opt } from '../core/errors.js';
import { MNIST_SIZE } from '../runtime/data/mnist.js';
import { hiddenNames, type MlpArchitecture, STUDENT_ARCH, TEACHER_ARCH } from './models.js';

export interface DemoConfig {
  /** Seeds the split, the initial weights, the batch order and the augmentation. */
  seed: number;
  /** The small test configuration (a few hundred digits, one epoch). */
  quick: boolean;
  /** Digits in the training set and in the held-out set (all scores and accuracies are on the held-out set). */
  trainSize: number;
  testSize: number;
  teacher: MlpArchitecture;
  student: MlpArchitecture;
  teacherEpochs: number;
  /** Epochs of every student (for FitNet: of its distillation stage, after the hint stage). */
  studentEpochs: number;
  /** Epochs of FitNet's hint stage. */
  hintEpochs: number;
  batchSize: number;
  /** Adam's initial learning rate, cosine-decayed over each training run. */
  learningRate: number;
  /** Random shifts of up to this many pixels for the teacher's training digits (0: none). */
  teacherShift: number;
  /** Temperatures of the vanilla-KD students. */
  temperatures: number[];
  /** λ, the weight of the soft-target term in the distillation loss. */
  softWeight: number;
  /** Temperature of FitNet's distillation stage. */
  fitnetTemperature: number;
  /**
   * The layer FitNet guides: this student layer learns, through a linear regressor, the
   * teacher layer of the same name. Default: the last hidden layer both have (`hidden2`).
   */
  hintLayer: string;
  /** α of KRS (classification preset 0.3). */
  alpha: number;
}

export const FULL_DEFAULTS: Omit<DemoConfig, 'seed' | 'quick'> = {
  trainSize: 8000,
  testSize: 2000,
  teacher: TEACHER_ARCH,
  student: STUDENT_ARCH,
  teacherEpochs: 15,
  studentEpochs: 10,
  hintEpochs: 2,
  batchSize: 64,
  learningRate: 1e-3,
  teacherShift: 2,
  temperatures: [1, 2, 4, 8],
  softWeight: 0.9,
  fitnetTemperature: 4,
  hintLayer: 'hidden2',
  alpha: 0.3,
};

/** `--quick`: 600 training and 200 held-out digits, one epoch of everything. */
export const QUICK_OVERRIDES: Partial<DemoConfig> = {
  trainSize: 600,
  testSize: 200,
  teacherEpochs: 1,
  studentEpochs: 1,
  hintEpochs: 1,
};

export const DEFAULT_SEED = 1;

/** Values a caller may set; unset ones take the full or quick defaults. */
export type DemoSettings = Partial<DemoConfig>;

/**
 * The configuration of a run.
 * @throws KrsError BAD_OPTION for a value out of range (named as its command-line flag).
 */
export function demoConfig(settings: DemoSettings = {}): DemoConfig {
  const quick = settings.quick ?? false;
  const defined = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as DemoSettings;
  const c: DemoConfig = { ...FULL_DEFAULTS, ...(quick ? QUICK_OVERRIDES : {}), seed: DEFAULT_SEED, ...defined, quick };
  if (!Number.isSafeInteger(c.seed) || c.seed < 0) throw errors.badOption('seed', c.seed, 'a non-negative integer');
  const positiveInt = (flag: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) throw errors.badOption(flag, v, 'a positive integer');
  };
  positiveInt('trainSize', c.trainSize);
  positiveInt('testSize', c.testSize);
  if (c.trainSize + c.testSize > MNIST_SIZE) {
    throw errors.badOption(
      'trainSize',
      c.trainSize,
      `a size such that ${opt('trainSize')} + ${opt('testSize')} (${c.trainSize} + ${c.testSize}) is at most the ${MNIST_SIZE} MNIST digits available`,
    );
  }
  if (c.testSize < 10) throw errors.badOption('testSize', c.testSize, 'at least 10 held-out digits (CKA needs samples)');
  positiveInt('teacherEpochs', c.teacherEpochs);
  positiveInt('epochs', c.studentEpochs);
  positiveInt('hintEpochs', c.hintEpochs);
  positiveInt('batchSize', c.batchSize);
  if (!(c.learningRate > 0) || !Number.isFinite(c.learningRate)) throw errors.badOption('learningRate', c.learningRate, 'a positive number');
  if (!Number.isInteger(c.teacherShift) || c.teacherShift < 0 || c.teacherShift > 8) {
    throw errors.badOption('teacherShift', c.teacherShift, 'an integer number of pixels from 0 to 8');
  }
  if (c.temperatures.length === 0 || c.temperatures.some((t) => !(t > 0) || !Number.isFinite(t))) {
    throw errors.badOption('temperatures', c.temperatures.join(','), 'a comma-separated list of positive numbers');
  }
  if (new Set(c.temperatures).size !== c.temperatures.length) {
    throw errors.badOption('temperatures', c.temperatures.join(','), 'distinct temperatures');
  }
  if (!(c.softWeight >= 0 && c.softWeight <= 1)) throw errors.badOption('softWeight', c.softWeight, 'a number in [0, 1]');
  if (!(c.fitnetTemperature > 0) || !Number.isFinite(c.fitnetTemperature)) {
    throw errors.badOption('fitnetTemperature', c.fitnetTemperature, 'a positive number');
  }
  const common = hiddenNames(c.student).filter((n) => hiddenNames(c.teacher).includes(n));
  if (defined.hintLayer === undefined) c.hintLayer = common[common.length - 1] ?? c.hintLayer;
  if (!common.includes(c.hintLayer)) throw errors.badOption('hintLayer', c.hintLayer, `one of ${common.join(', ')}`);
  if (!(c.alpha >= 0 && c.alpha <= 1)) throw errors.alphaOutOfRange(c.alpha);
  return c;
}
