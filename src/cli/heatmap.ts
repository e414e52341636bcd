/**
 * `krs heatmap`: the cross-layer CKA matrix of a teacher and a student capture (every teacher
 * layer against every student layer), drawn as a heatmap to an SVG or PNG file; or the matrix
 * of a `krs eval --all-pairs --json` result (`--from`).
 */
import type { EstimatorChoice } from '../similarity/spec.js';
import { ESTIMATOR_OPTION, MEMORY_BUDGET_OPTION } from './estimator-options.js';
import type { Command } from 'commander';
import type { CrossLayerResult } from '../similarity/cross-layer.js';
import { POOLINGS, type Pooling } from '../similarity/features.js';
import { BACKENDS, type BackendChoice } from './backend.js';
import { parseList } from './model-options.js';
import { parseChoice, parsePositiveInt } from './options.js';

export interface HeatmapFlags {
  teacher?: string;
  student?: string;
  from?: string;
  out?: string;
  teacherLayers?: string[];
  studentLayers?: string[];
  ids?: string;
  pool?: Pooling;
  channelsLast?: boolean;
  estimator?: EstimatorChoice;
  memoryBudget?: number;
  batchSize?: number;
  backend?: BackendChoice;
  title?: string;
  json?: boolean;
}

export interface HeatmapCommandResult extends CrossLayerResult {
  teacherFile: string | null;
  studentFile: string | null;
  /** The file written, if any. */
  out: string | null;
  renderMs: number | null;
}

export function registerHeatmap(program: Command): void {
  program
    .command('heatmap')
    .description('cross-layer CKA heatmap: every teacher layer against every student layer of two captures, as SVG or PNG')
    .option('--teacher <capture>', 'teacher capture (.npz, .safetensors, folder of .npy)')
    .option('--student <capture>', 'student capture')
    .option('--from <result.json>', 'draw the matrix of a `krs eval --all-pairs --json` (or `krs heatmap --json`) result instead')
    .option('--out <file>', 'the heatmap file: .svg or .png')
    .option('--teacher-layers <a,b>', "teacher layers, in the order to draw them (default: every feature array, in the capture's order)", parseList)
    .option('--student-layers <a,b>', 'student layers, likewise', parseList)
    .option('--ids <key>', 'array of sample ids in both captures: align samples by id (default: ids or sample_ids when both have it)')
    .option('--pool <how>', `${POOLINGS.join(', ')}: how activations become vectors (default flatten)`, parseChoice('--pool', POOLINGS))
    .option('--channels-last', 'spatial activations are NHWC, not NCHW')
    .option(...ESTIMATOR_OPTION)
    .option(...MEMORY_BUDGET_OPTION)
    .option('--batch-size <n>', 'samples per streamed batch (default 256; the minibatch size of the minibatch estimator)', parsePositiveInt('--batch-size'))
    .option('--backend <name>', `matrix backend: ${BACKENDS.join(', ')} (default auto)`, parseChoice('--backend', BACKENDS))
    .option('--title <text>', 'chart title')
    .option('--json', 'print the matrix as JSON on stdout')
    // The work loads when the command runs (not for --help or other commands).
    .action(async (o: HeatmapFlags) => (await import('./heatmap-action.js')).heatmapAction(o));
}
