/**
 * The CNN classification study's settings (`krs demo --study --family cnn`): the paper's
 * protocol (§4.2) on conv nets over MNIST — a LeNet-5 teacher, CNN students of three sizes,
 * each trained by every method from the same initial weights, scored on held-out digits.
 * Training settings are `CNN_TRAINING`'s (src/train/cnn/settings.ts, with the measurements
 * behind them).
 *
 * Methods per size: the baseline (hard labels: the pre-KD student), vanilla KD at T = 2, 4, 8,
 * FitNet on conv2 and attention transfer on conv1 and conv2 — 3 sizes × 5 KD methods = 15
 * experiments.
 */
import { errors } from '../core/errors.js';
import { MNIST_SIZE } from '../runtime/data/mnist.js';
import { CNN_STUDENTS, CNN_TEACHER, type CnnArchitecture } from './cnn/models.js';
import { CNN_TRAINING, type CnnTrainingSettings } from './cnn/settings.js';
import { checkStudyBasics } from './protocol/config.js';

export interface CnnStudyConfig extends CnnTrainingSettings {
  seed: number;
  quick: boolean;
  trainSize: number;
  /** Held-out digits; every accuracy and score is on them. */
  testSize: number;
  teacher: CnnArchitecture;
  students: CnnArchitecture[];
  /** α of KRS (classification preset 0.3). */
  alpha: number;
  /** Jackknife groups of the per-experiment intervals. */
  intervalGroups: number;
}

export const CNN_STUDY_DEFAULTS: Omit<CnnStudyConfig, 'seed' | 'quick'> = {
  ...CNN_TRAINING,
  temperatures: [...CNN_TRAINING.temperatures],
  atStages: [...CNN_TRAINING.atStages],
  trainSize: 6000,
  testSize: 4000,
  teacher: CNN_TEACHER,
  students: [...CNN_STUDENTS],
  alpha: 0.3,
  intervalGroups: 20,
};

/** `--quick`: two sizes, two temperatures, a few hundred digits, one epoch. */
export const CNN_STUDY_QUICK: Partial<CnnStudyConfig> = {
  trainSize: 600,
  testSize: 300,
  students: [CNN_STUDENTS[0]!, CNN_STUDENTS[CNN_STUDENTS.length - 1]!],
  teacherEpochs: 1,
  studentEpochs: 1,
  hintEpochs: 1,
  temperatures: [2, 4],
  intervalGroups: 10,
};

/**
 * The configuration of a CNN study run; unset values take the full or quick defaults.
 * @throws KrsError BAD_OPTION for a value out of range (named as its command-line flag).
 */
export function cnnStudyConfig(settings: Partial<CnnStudyConfig> = {}): CnnStudyConfig {
  const quick = settings.quick ?? false;
  const defined = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as Partial<CnnStudyConfig>;
  const c: CnnStudyConfig = { ...CNN_STUDY_DEFAULTS, ...(quick ? CNN_STUDY_QUICK : {}), seed: 1, ...defined, quick };
  checkStudyBasics(c, MNIST_SIZE);
  if (!(c.atBeta >= 0) || !Number.isFinite(c.atBeta)) throw errors.badOption('atBeta', c.atBeta, 'a finite number ≥ 0');
  return c;
}
