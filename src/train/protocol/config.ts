/**
 * The checks every study's configuration shares (the MLP and CNN studies on MNIST): seed,
 * sizes, epochs, temperatures, soft weight, α and the student list, each refused with a
 * one-line BAD_OPTION named as its command-line flag.
 */
import { errors } from '../../core/errors.js';

/** The settings every MNIST study has. */
export interface StudyBasics {
  seed: number;
  trainSize: number;
  testSize: number;
  teacherEpochs: number;
  studentEpochs: number;
  hintEpochs: number;
  batchSize: number;
  temperatures: readonly number[];
  softWeight: number;
  alpha: number;
  students: readonly unknown[];
}

/**
 * Check `c` against the rules every study shares; `available` is how many samples the data
 * set has (train + test must fit in it).
 * @throws KrsError BAD_OPTION naming the setting; ALPHA_OUT_OF_RANGE for α.
 */
export function checkStudyBasics(c: StudyBasics, available: number): void {
  if (!Number.isSafeInteger(c.seed) || c.seed < 0) throw errors.badOption('seed', c.seed, 'a non-negative integer');
  for (const [flag, v] of [
    ['trainSize', c.trainSize],
    ['testSize', c.testSize],
    ['teacherEpochs', c.teacherEpochs],
    ['epochs', c.studentEpochs],
    ['hintEpochs', c.hintEpochs],
    ['batchSize', c.batchSize],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw errors.badOption(flag, v, 'a positive integer');
  }
  if (c.trainSize + c.testSize > available) {
    throw errors.badOption('trainSize', c.trainSize, `a size such that train + test (${c.trainSize} + ${c.testSize}) is at most ${available}`);
  }
  if (c.testSize < 40) throw errors.badOption('testSize', c.testSize, 'at least 40 held-out digits (for the jackknife groups)');
  if (c.temperatures.length === 0 || c.temperatures.some((t) => !(t > 0) || !Number.isFinite(t)) || new Set(c.temperatures).size !== c.temperatures.length) {
    throw errors.badOption('temperatures', c.temperatures.join(','), 'distinct positive temperatures');
  }
  if (!(c.softWeight >= 0 && c.softWeight <= 1)) throw errors.badOption('softWeight', c.softWeight, 'a number in [0, 1]');
  if (!(c.alpha >= 0 && c.alpha <= 1)) throw errors.alphaOutOfRange(c.alpha);
  if (c.students.length === 0) throw errors.badOption('students', '', 'at least one student architecture');
}
