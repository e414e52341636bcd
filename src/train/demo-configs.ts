/**
 * The configurations of the MNIST demo and the regression demo from `krs demo`'s flag values
 * (parsed; undefined when not given), as `study-families.ts` makes the studies'. The CLI parses
 * the flags, calls these and prints; the defaults and range checks stay in `config.ts` and
 * `regression/config.ts`.
 *
 * Light to import: the configuration code loads (`await import`) when a function runs.
 */
import type { DemoConfig } from './config.js';
import type { RegressionDemoConfig } from './regression/config.js';
import { classifierSettings, refuse, type StudyFlags } from './study-families.js';

/** The flag values the MNIST demo reads. */
export interface DemoFlagValues extends StudyFlags {
  seed?: number;
}

/** The flag values the regression demo reads (it refuses the MNIST-only ones). */
export interface RegressionFlagValues extends DemoFlagValues {
  softWeights?: number[];
}

/**
 * The MNIST demo's configuration: `--teacher-hidden`/`--student-hidden` widths become MLP
 * architectures, `--epochs` the students' epochs; every other value passes by its own name.
 * @throws KrsError BAD_OPTION for a value `demoConfig` refuses.
 */
export async function demoConfigFromFlags(f: DemoFlagValues): Promise<DemoConfig> {
  const { demoConfig } = await import('./config.js');
  const { mlpArchitecture } = await import('./models.js');
  return demoConfig({
    teacher: f.teacherHidden ? mlpArchitecture(f.teacherHidden) : undefined,
    student: f.studentHidden ? mlpArchitecture(f.studentHidden) : undefined,
    seed: f.seed,
    ...classifierSettings(f),
    hintLayer: f.hintLayer,
  });
}

/** The MNIST demo's values the regression demo does not take (its models and data are fixed). */
const NOT_FOR_REGRESSION = [
  'trainSize',
  'testSize',
  'temperatures',
  'softWeight',
  'fitnetTemperature',
  'hintLayer',
  'teacherHidden',
  'studentHidden',
] as const satisfies readonly (keyof StudyFlags)[];

/**
 * The regression demo's configuration: seed, quick, the three epoch counts and the soft weights.
 * @throws KrsError BAD_OPTION naming the first MNIST-only flag given, or a value `regressionConfig` refuses.
 */
export async function regressionConfigFromFlags(f: RegressionFlagValues): Promise<RegressionDemoConfig> {
  refuse(f, NOT_FOR_REGRESSION, 'not given with --task regression (its models and data are fixed; see --soft-weights)');
  const { regressionConfig } = await import('./regression/config.js');
  return regressionConfig({
    seed: f.seed,
    quick: f.quick ?? false,
    studentEpochs: f.epochs,
    teacherEpochs: f.teacherEpochs,
    hintEpochs: f.hintEpochs,
    softWeights: f.softWeights,
  });
}
