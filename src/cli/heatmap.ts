/**
 * `krs heatmap`: the cross-layer CKA matrix of a teacher and a student capture (every teacher
 * layer against every student layer), drawn as a heatmap to an SVG or PNG file; or the matrix
 * of a `krs eval --all-pairs --json` result (`--from`).
 */
import type { Command } from 'commander';
import type { CrossLayerResult } from '../similarity/cross-layer.js';
import { POOLINGS } from '../similarity/features.js';
import { BACKEND_FLAG, CHANNELS_LAST_FLAG, IDS_FLAG, JSON_FLAG } from './common-flags.js';
import { ESTIMATOR_FLAG, MEMORY_BUDGET_FLAG } from './estimator-options.js';
import { addFlags, type FlagsOf, flag } from './flag-table.js';
import { parseList } from './model-options.js';
import { oneOf, parsePositiveInt } from './options.js';

/** The flags of `krs heatmap`. */
export const HEATMAP_FLAGS = [
  flag('--teacher <capture>', 'teacher capture (.npz, .safetensors, folder of .npy)'),
  flag('--student <capture>', 'student capture'),
  flag('--from <result.json>', 'draw the matrix of a `krs eval --all-pairs --json` (or `krs heatmap --json`) result instead'),
  flag('--out <file>', 'the heatmap file: .svg or .png'),
  flag('--teacher-layers <a,b>', "teacher layers, in the order to draw them (default: every feature array, in the capture's order)", {
    parse: () => parseList,
  }),
  flag('--student-layers <a,b>', 'student layers, likewise', { parse: () => parseList }),
  IDS_FLAG,
  flag('--pool <how>', `${POOLINGS.join(', ')}: how activations become vectors (default flatten)`, { parse: oneOf(POOLINGS) }),
  CHANNELS_LAST_FLAG,
  ESTIMATOR_FLAG,
  MEMORY_BUDGET_FLAG,
  flag('--batch-size <n>', 'samples per streamed batch (default 256; the minibatch size of the minibatch estimator)', { parse: parsePositiveInt }),
  BACKEND_FLAG,
  flag('--title <text>', 'chart title'),
  { ...JSON_FLAG, help: 'print the matrix as JSON on stdout' },
] as const;

export type HeatmapFlags = FlagsOf<typeof HEATMAP_FLAGS>;

export interface HeatmapCommandResult extends CrossLayerResult {
  teacherFile: string | null;
  studentFile: string | null;
  /** The file written, if any. */
  out: string | null;
  renderMs: number | null;
}

export function registerHeatmap(program: Command): void {
  const cmd = program.command('heatmap').description('cross-layer CKA heatmap: every teacher layer against every student layer of two captures, as SVG or PNG');
  // The work loads when the command runs (not for --help or other commands).
  addFlags(cmd, HEATMAP_FLAGS).action(async (o: HeatmapFlags) => (await import('./heatmap-action.js')).heatmapAction(o));
}
