/**
 * Node-only: the output folders of the demo modes. Each mode (the MNIST demo, the study, the
 * forecasting demo) writes its own default folder and marks it with a `.krs-demo` file naming
 * the mode; a mode refuses to write into a folder another mode made (unless forced), so a
 * folder never mixes the files of two modes — whose printed "re-score by hand" command would
 * then name captures of the other run. `--quick` runs share their mode's folder: they write
 * the same files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { errors } from '../core/errors.js';
import { ensureDir, writeFileAtomic } from '../io/node-atomic-write.js';

/** The demo modes: `krs demo`, `krs demo --study` (MLPs, CNNs with `--family cnn`, detectors with `--family detector`, segmenters with `--family segmenter`, transformers with `--family nlp`), `krs demo --task regression`. */
export type DemoMode = 'mnist' | 'study' | 'study-cnn' | 'study-detector' | 'study-segmenter' | 'study-nlp' | 'regression';

/** Per mode: its default folder, its command, and the `demo` field of its results.json. */
export const DEMO_MODES: Readonly<Record<DemoMode, { folder: string; command: string; results: string }>> = {
  mnist: { folder: 'krs-demo', command: 'krs demo', results: 'mnist-distillation' },
  study: { folder: 'krs-demo-study', command: 'krs demo --study', results: 'mnist-study' },
  'study-cnn': { folder: 'krs-demo-study-cnn', command: 'krs demo --study --family cnn', results: 'mnist-cnn-study' },
  'study-detector': { folder: 'krs-demo-study-detector', command: 'krs demo --study --family detector', results: 'scenes-detection-study' },
  'study-nlp': { folder: 'krs-demo-study-nlp', command: 'krs demo --study --family nlp', results: 'spam-nlp-study' },
  'study-segmenter': { folder: 'krs-demo-study-segmenter', command: 'krs demo --study --family segmenter', results: 'scenes-segmentation-study' },
  regression: { folder: 'krs-demo-regression', command: 'krs demo --task regression', results: 'household-power-forecast' },
};

/** The marker file a demo writes first into its folder. */
export const DEMO_MARKER = '.krs-demo';

/** The folder a mode writes when `--out` is not given. */
export function defaultDemoFolder(mode: DemoMode): string {
  return DEMO_MODES[mode].folder;
}

/** Reads a JSON file, or null when it is missing or not JSON. */
function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

const isMode = (v: unknown): v is DemoMode => typeof v === 'string' && Object.hasOwn(DEMO_MODES, v);

/**
 * The mode that made `dir`: from its marker, or (a folder written before markers) from the
 * `demo` field of its results.json; null for a folder no demo made (or no folder).
 */
export function demoFolderMode(dir: string): DemoMode | null {
  const marker = readJson(path.join(dir, DEMO_MARKER)) as { mode?: unknown } | null;
  if (isMode(marker?.mode)) return marker.mode;
  const results = readJson(path.join(dir, 'results.json')) as { demo?: unknown } | null;
  const byResults = (Object.keys(DEMO_MODES) as DemoMode[]).find((m) => DEMO_MODES[m].results === results?.demo);
  return byResults ?? null;
}

/**
 * Take `dir` for a run of `mode`: refuse (BAD_OPTION, exit 2) a folder another mode made
 * unless `force`, then create it if needed and write the marker.
 * @throws KrsError BAD_OPTION naming the folder, the mode that made it and --force
 */
export function claimDemoFolder(dir: string, mode: DemoMode, options: { force?: boolean } = {}): void {
  const owner = demoFolderMode(dir);
  if (owner !== null && owner !== mode && !options.force) {
    throw errors.badOption(
      '--out',
      dir,
      `a folder of '${DEMO_MODES[mode].command}' runs or a new one, but ${dir} holds the output of '${DEMO_MODES[owner].command}' (this mode's default folder is ${DEMO_MODES[mode].folder}); choose another --out, or give --force to write into it anyway`,
    );
  }
  ensureDir(dir, 'the demo folder');
  writeFileAtomic(path.join(dir, DEMO_MARKER), `${JSON.stringify({ mode, command: DEMO_MODES[mode].command })}\n`, 'the demo folder marker');
}
