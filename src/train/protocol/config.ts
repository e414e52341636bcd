/**
 * The checks study configurations share, each refusing a value with a one-line BAD_OPTION
 * named as its command-line flag: the MNIST studies' basics (MLP and CNN: seed, sizes, epochs,
 * temperatures, soft weight, α, students), and for every study the merge of its defaults and
 * the building blocks its own check is made of (positive integers, finite numbers, the common
 * seed / groups / α / students rules).
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

/**
 * A study's configuration from its defaults: the full or `--quick` defaults, then every
 * setting the caller defined (an `undefined` value keeps the default), seed 1 unless given.
 */
export function studyConfigFrom<C extends { seed: number; quick: boolean }>(
  defaults: Omit<C, 'seed' | 'quick'>,
  quickDefaults: Partial<C>,
  settings: Partial<C>,
): C {
  const quick = settings.quick ?? false;
  const defined = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as Partial<C>;
  return { ...defaults, ...(quick ? quickDefaults : {}), seed: 1, ...defined, quick } as C;
}

/** Each value must be an integer ≥ 1. @throws KrsError BAD_OPTION naming the first that is not (as its flag). */
export function checkPositiveIntegers(values: readonly (readonly [string, number])[]): void {
  for (const [flag, v] of values) if (!Number.isInteger(v) || v < 1) throw errors.badOption(flag, v, 'a positive integer');
}

/** Each value must be finite and > 0 (`'positive'`) or ≥ 0 (`'non-negative'`). @throws KrsError BAD_OPTION naming the first that is not. */
export function checkFiniteNumbers(values: readonly (readonly [string, number])[], sign: 'positive' | 'non-negative'): void {
  for (const [flag, v] of values) {
    const ok = Number.isFinite(v) && (sign === 'positive' ? v > 0 : v >= 0);
    if (!ok) throw errors.badOption(flag, v, sign === 'positive' ? 'a positive number' : 'a finite number ≥ 0');
  }
}

/**
 * What every study's settings need besides its own: a non-negative integer seed, ≥ 2 jackknife
 * groups, α in [0, 1], and at least one student.
 * @throws KrsError BAD_OPTION naming the setting; ALPHA_OUT_OF_RANGE for α.
 */
export function checkStudyCommon(c: { seed: number; intervalGroups: number; alpha: number; students: readonly unknown[] }): void {
  if (!Number.isSafeInteger(c.seed) || c.seed < 0) throw errors.badOption('seed', c.seed, 'a non-negative integer');
  if (!Number.isInteger(c.intervalGroups) || c.intervalGroups < 2) throw errors.badOption('intervalGroups', c.intervalGroups, 'an integer ≥ 2');
  if (!(c.alpha >= 0 && c.alpha <= 1)) throw errors.alphaOutOfRange(c.alpha);
  if (c.students.length === 0) throw errors.badOption('students', '', 'at least one student');
}
