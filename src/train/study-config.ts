/**
 * The validation study's settings (`krs demo --study`): the paper's protocol (§4.2) on MNIST —
 * one teacher, students of several sizes and two shapes, each trained by every method from
 * the same initial weights, scored on a large held-out set.
 *
 * Sizes of the full study (teacher LeNet-300-100, 266 610 parameters):
 *
 * | student (hidden widths) | shape        | parameters | × fewer |
 * |-------------------------|--------------|-----------:|--------:|
 * | 32                      | wide-shallow |     25 450 |   10.5  |
 * | 64                      | wide-shallow |     50 890 |    5.2  |
 * | 128                     | wide-shallow |    101 770 |    2.6  |
 * | 224                     | wide-shallow |    178 090 |    1.5  |
 * | 32,32,32                | narrow-deep  |     27 562 |    9.7  |
 * | 64,64,64                | narrow-deep  |     59 210 |    4.5  |
 * | 96,96,96                | narrow-deep  |     94 954 |    2.8  |
 * | 160,160,160             | narrow-deep  |    178 730 |    1.5  |
 *
 * Methods per size: the baseline (hard labels only: the pre-KD student), vanilla KD at each
 * temperature and FitNet — 8 sizes × 4 KD methods = 32 experiments, each paired with the
 * baseline of its own size.
 */
import { MNIST_SIZE } from '../runtime/data/mnist.js';
import { type MlpArchitecture, mlpArchitecture, TEACHER_ARCH } from './models.js';
import { checkStudyBasics } from './protocol/config.js';

export interface StudyConfig {
  seed: number;
  quick: boolean;
  trainSize: number;
  /** Held-out digits; every accuracy and score is on them. */
  testSize: number;
  teacher: MlpArchitecture;
  students: MlpArchitecture[];
  teacherEpochs: number;
  studentEpochs: number;
  hintEpochs: number;
  batchSize: number;
  learningRate: number;
  teacherShift: number;
  temperatures: number[];
  softWeight: number;
  fitnetTemperature: number;
  /** α of KRS (classification preset 0.3). */
  alpha: number;
  /** Jackknife groups of the per-experiment intervals. */
  intervalGroups: number;
}

export const STUDY_STUDENTS: readonly MlpArchitecture[] = [[32], [64], [128], [224], [32, 32, 32], [64, 64, 64], [96, 96, 96], [160, 160, 160]].map(
  mlpArchitecture,
);

export const STUDY_DEFAULTS: Omit<StudyConfig, 'seed' | 'quick'> = {
  trainSize: 6000,
  testSize: 4000,
  teacher: TEACHER_ARCH,
  students: [...STUDY_STUDENTS],
  teacherEpochs: 15,
  studentEpochs: 10,
  hintEpochs: 2,
  batchSize: 64,
  learningRate: 1e-3,
  teacherShift: 2,
  temperatures: [2, 4, 8],
  softWeight: 0.9,
  fitnetTemperature: 4,
  alpha: 0.3,
  intervalGroups: 20,
};

/** `--study --quick`: two sizes (one per shape), two temperatures, a few hundred digits, one epoch. */
export const STUDY_QUICK: Partial<StudyConfig> = {
  trainSize: 600,
  testSize: 300,
  students: [mlpArchitecture([32]), mlpArchitecture([32, 32, 32])],
  teacherEpochs: 1,
  studentEpochs: 1,
  hintEpochs: 1,
  temperatures: [2, 4],
  intervalGroups: 10,
};

/**
 * The configuration of a study run; unset values take the full or quick defaults.
 * @throws KrsError BAD_OPTION for a value out of range (named as its command-line flag).
 */
export function studyConfig(settings: Partial<StudyConfig> = {}): StudyConfig {
  const quick = settings.quick ?? false;
  const defined = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as Partial<StudyConfig>;
  const c: StudyConfig = { ...STUDY_DEFAULTS, ...(quick ? STUDY_QUICK : {}), seed: 1, ...defined, quick };
  checkStudyBasics(c, MNIST_SIZE);
  return c;
}
