/**
 * The study families `krs demo --study --family <name>` runs, as one table: each entry names
 * its family, the output folder's mode, how its configuration is made from the demo's flag
 * values (refusing the flags it does not take), and its run. A new family is one entry here
 * (and its name in the CLI's `--family` choices).
 *
 * Light to import: every family's code loads (`await import`) only when its entry is used.
 */
import { errors } from '../core/errors.js';
import type { DemoMode } from './demo-folder.js';
import type { RunProtocolOptions, StudyResult } from './protocol/run.js';

/** The flag values a study reads (`krs demo` flags, parsed; undefined when not given). */
export interface StudyFlags {
  quick?: boolean;
  epochs?: number;
  teacherEpochs?: number;
  hintEpochs?: number;
  trainSize?: number;
  testSize?: number;
  temperatures?: number[];
  softWeight?: number;
  fitnetTemperature?: number;
  hintLayer?: string;
  teacherHidden?: number[];
  studentHidden?: number[];
}

/** The command-line flag of each value, for error messages. */
const FLAG: Record<keyof StudyFlags, string> = {
  quick: '--quick',
  epochs: '--epochs',
  teacherEpochs: '--teacher-epochs',
  hintEpochs: '--hint-epochs',
  trainSize: '--train-size',
  testSize: '--test-size',
  temperatures: '--temperatures',
  softWeight: '--soft-weight',
  fitnetTemperature: '--fitnet-temperature',
  hintLayer: '--hint-layer',
  teacherHidden: '--teacher-hidden',
  studentHidden: '--student-hidden',
};

/** One row of the table. */
export interface StudyFamilyEntry<Config = unknown> {
  /** `--family <name>`. */
  readonly name: string;
  /** The mode of its output folder (`.krs-demo`). */
  readonly mode: DemoMode;
  /** Its configuration for one seed from the flags; refuses (BAD_OPTION) a flag it does not take. */
  config(flags: StudyFlags, seed: number | undefined): Promise<Config>;
  /** Run the study on a configuration. */
  run(config: Config, options: RunProtocolOptions): Promise<StudyResult>;
}

/**
 * Refuse the flags a family (or demo) does not take, naming the first given one.
 * @throws KrsError BAD_OPTION `<flag>` with what the family fixes instead.
 */
export function refuse(flags: StudyFlags, keys: readonly (keyof StudyFlags)[], why: string): void {
  for (const k of keys) if (flags[k] !== undefined) throw errors.badOption(FLAG[k], String(flags[k]), why);
}

const FIXED = (family: string) => `not given with --study${family !== 'mlp' ? ` --family ${family}` : ''} (the study fixes its networks and hint layers)`;

/** The flags every MNIST classification run takes (the MLP and CNN studies, and the MNIST demo), as its configuration's settings. */
export const classifierSettings = (f: StudyFlags) => ({
  quick: f.quick ?? false,
  studentEpochs: f.epochs,
  teacherEpochs: f.teacherEpochs,
  hintEpochs: f.hintEpochs,
  trainSize: f.trainSize,
  testSize: f.testSize,
  temperatures: f.temperatures,
  softWeight: f.softWeight,
  fitnetTemperature: f.fitnetTemperature,
});

const mlp: StudyFamilyEntry<import('./study-config.js').StudyConfig> = {
  name: 'mlp',
  mode: 'study',
  async config(f, seed) {
    refuse(f, ['studentHidden', 'hintLayer'], FIXED('mlp'));
    const { studyConfig } = await import('./study-config.js');
    const { mlpArchitecture } = await import('./models.js');
    return studyConfig({ teacher: f.teacherHidden ? mlpArchitecture(f.teacherHidden) : undefined, seed, ...classifierSettings(f) });
  },
  run: async (config, options) => (await import('./study.js')).runStudy(config, options),
};

const cnn: StudyFamilyEntry<import('./cnn-study-config.js').CnnStudyConfig> = {
  name: 'cnn',
  mode: 'study-cnn',
  async config(f, seed) {
    refuse(f, ['studentHidden', 'hintLayer', 'teacherHidden'], FIXED('cnn'));
    const { cnnStudyConfig } = await import('./cnn-study-config.js');
    return cnnStudyConfig({ seed, ...classifierSettings(f) });
  },
  run: async (config, options) => (await import('./cnn-study.js')).runCnnStudy(config, options),
};

/** The flags of the classification families that a family with its own methods does not take. */
const CLASSIFIER_METHOD_FLAGS = ['temperatures', 'softWeight', 'fitnetTemperature', 'hintEpochs'] as const;

/** Refuse what a family fixes: its networks and hint layers, and the classifier methods' settings (`methods` says why). */
function refuseFixed(f: StudyFlags, family: string, methods: string): void {
  refuse(f, ['studentHidden', 'hintLayer', 'teacherHidden'], FIXED(family));
  refuse(f, CLASSIFIER_METHOD_FLAGS, `not given with --study --family ${family} (${methods})`);
}

/** The flags a digit-scene family takes: --seed, --quick, --epochs, --teacher-epochs, --train-size and --test-size (scenes). */
const sceneFlags = (f: StudyFlags, seed: number | undefined) => ({
  seed,
  quick: f.quick ?? false,
  studentEpochs: f.epochs,
  teacherEpochs: f.teacherEpochs,
  trainScenes: f.trainSize,
  testScenes: f.testSize,
});

/** The detection study takes the scene flags. */
const detector: StudyFamilyEntry<import('./detection-study-config.js').DetectionStudyConfig> = {
  name: 'detector',
  mode: 'study-detector',
  async config(f, seed) {
    refuseFixed(f, 'detector', 'its methods are output, fitnet and imitation, without temperatures');
    const { detectionStudyConfig } = await import('./detection-study-config.js');
    return detectionStudyConfig(sceneFlags(f, seed));
  },
  run: async (config, options) => (await import('./detection-study.js')).runDetectionStudy(config, options),
};

/** The segmentation study takes the scene flags. */
const segmenter: StudyFamilyEntry<import('./segmentation-study-config.js').SegmentationStudyConfig> = {
  name: 'segmenter',
  mode: 'study-segmenter',
  async config(f, seed) {
    refuseFixed(f, 'segmenter', 'its methods are pixel, fitnet and affinity, pixel KD at T = 4');
    const { segmentationStudyConfig } = await import('./segmentation-study-config.js');
    return segmentationStudyConfig(sceneFlags(f, seed));
  },
  run: async (config, options) => (await import('./segmentation-study.js')).runSegmentationStudy(config, options),
};

/** The NLP study takes --seed, --quick, --epochs, --teacher-epochs, --train-size and --test-size (e-mails). */
const nlp: StudyFamilyEntry<import('./nlp-study-config.js').NlpStudyConfig> = {
  name: 'nlp',
  mode: 'study-nlp',
  async config(f, seed) {
    refuseFixed(f, 'nlp', 'DistilBERT, Patient KD and TinyBERT fix their temperatures and weights');
    const { nlpStudyConfig } = await import('./nlp-study-config.js');
    return nlpStudyConfig({
      seed,
      quick: f.quick ?? false,
      studentEpochs: f.epochs,
      teacherEpochs: f.teacherEpochs,
      trainSize: f.trainSize,
      testSize: f.testSize,
    });
  },
  run: async (config, options) => (await import('./nlp-study.js')).runNlpStudy(config, options),
};

/** Every family, by `--family` name (`mlp` is the default). */
export const STUDY_FAMILY_TABLE: readonly StudyFamilyEntry<never>[] = [mlp, cnn, detector, segmenter, nlp] as StudyFamilyEntry<never>[];

/** A family's folder mode and its run for one seed, its configurations made (and checked) for every seed first. */
export interface PreparedStudy {
  mode: DemoMode;
  /** The configuration made for `seed` (what its results.json records as `config`). */
  config(seed: number | undefined): unknown;
  run(seed: number | undefined, options: RunProtocolOptions): Promise<StudyResult>;
}

/**
 * Look `name` up in the table and make its configuration for every seed it will run, so a bad
 * flag is refused before any training.
 * @throws KrsError UNKNOWN_KEY for a family not in the table; BAD_OPTION for a flag it refuses.
 */
export async function prepareStudy(name: string, flags: StudyFlags, seeds: readonly (number | undefined)[]): Promise<PreparedStudy> {
  const entry = STUDY_FAMILY_TABLE.find((f) => f.name === name) as StudyFamilyEntry | undefined;
  if (!entry)
    throw errors.unknownKey(
      'study family',
      name,
      'the study families',
      STUDY_FAMILY_TABLE.map((f) => f.name),
    );
  const configs = new Map<number | undefined, unknown>();
  for (const seed of seeds) configs.set(seed, await entry.config(flags, seed));
  return { mode: entry.mode, config: (seed) => configs.get(seed), run: (seed, options) => entry.run(configs.get(seed), options) };
}
