/**
 * `krs heatmap`: the cross-layer CKA matrix of a teacher and a student capture (every teacher
 * layer against every student layer), drawn as a heatmap to an SVG or PNG file; or the matrix
 * of a `krs eval --all-pairs --json` result (`--from`).
 */
import type { EstimatorChoice } from '../similarity/spec.js';
import { ESTIMATOR_OPTION, MEMORY_BUDGET_OPTION } from './estimator-options.js';
import type { Command } from 'commander';
import { cliIo } from './io.js';
import { resolveLimits } from '../io/limits.js';
import { readWholeText } from '../io/node-read.js';
import { basename } from 'node:path';
import { errors } from '../core/errors.js';
import type { CrossLayerResult } from '../similarity/cross-layer.js';
import { POOLINGS, type Pooling } from '../similarity/features.js';
import { BACKENDS, chooseBackend, type BackendChoice } from './backend.js';
import { fmt, table, toJson } from './format.js';
import { parseList } from './model-options.js';
import { parseChoice, parsePositiveInt } from './options.js';
import { networkOrder } from './report-options.js';

interface HeatmapFlags {
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
    .action(async (o: HeatmapFlags) => {
      const r = await heatmapCommand(o);
      cliIo().stdout.write(o.json ? `${toJson(r)}\n` : `${renderHeatmap(r)}\n`);
      for (const w of r.warnings) cliIo().stderr.write(`warning: ${w}\n`);
    });
}

/** Read a matrix from a JSON result: an eval result's `crossLayer`, or a heatmap result itself. */
function readMatrix(file: string): CrossLayerResult & { teacherFile?: string; studentFile?: string } {
  const text = readWholeText(file, resolveLimits(), 'JSON file');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw errors.badFile(file, `not JSON (${(e as Error).message})`);
  }
  const j = json as { crossLayer?: unknown; cka?: unknown };
  const m = (j && typeof j === 'object' && 'crossLayer' in j ? j.crossLayer : json) as Partial<CrossLayerResult> | null;
  if (!m || !Array.isArray(m.cka) || !Array.isArray(m.teacherLayers) || !Array.isArray(m.studentLayers)) {
    throw errors.badFile(file, 'holds no cross-layer matrix (expected the JSON of `krs eval --all-pairs --json` or `krs heatmap --json`)');
  }
  if (m.cka.length !== m.teacherLayers.length || m.cka.some((row) => !Array.isArray(row) || row.length !== m.studentLayers!.length)) {
    throw errors.badFile(file, `cross-layer matrix is not ${m.teacherLayers.length} × ${m.studentLayers.length} (teacher × student layers)`);
  }
  return { warnings: [], estimator: 'exact', route: null, n: 0, batches: 0, teacherWidths: [], studentWidths: [], ...m } as CrossLayerResult;
}

export async function heatmapCommand(o: HeatmapFlags): Promise<HeatmapCommandResult> {
  if (!o.out && !o.json) throw errors.badOption('--out', null, 'a file to write (.svg or .png), or --json');
  if (o.out && !/\.(svg|png)$/i.test(o.out)) throw errors.badOutputFormat('--out', o.out, ['.svg', '.png']);
  let matrix: CrossLayerResult;
  let teacherFile: string | null = null;
  let studentFile: string | null = null;
  if (o.from) {
    if (o.teacher || o.student) throw errors.badOption('--from', o.from, 'either --from or --teacher and --student, not both');
    const m = readMatrix(o.from);
    matrix = m;
    teacherFile = m.teacherFile ?? null;
    studentFile = m.studentFile ?? null;
  } else {
    if (!o.teacher || !o.student) throw errors.badOption(o.teacher ? '--student' : '--teacher', null, 'a capture (or --from result.json)');
    const [{ openCapture }, { crossLayerOfCaptures, featureLayers }] = await Promise.all([
      import('../io/node-capture.js'),
      import('../report/capture-cross-layer.js'),
    ]);
    const teacher = openCapture(o.teacher);
    const student = openCapture(o.student);
    const backend = await chooseBackend(o.backend ?? 'auto');
    try {
      const exclude = o.ids ? [o.ids] : [];
      const r = await crossLayerOfCaptures({
        teacher,
        student,
        teacherLayers: o.teacherLayers ?? networkOrder(o.teacher, featureLayers(teacher, exclude)),
        studentLayers: o.studentLayers ?? networkOrder(o.student, featureLayers(student, exclude)),
        ids: o.ids,
        pool: o.pool,
        channelsLast: o.channelsLast,
        estimator: o.estimator,
        memoryBudget: o.memoryBudget,
        batchSize: o.batchSize,
        backend: backend.backend,
      });
      matrix = r;
      teacherFile = r.teacherFile;
      studentFile = r.studentFile;
    } finally {
      await backend.dispose();
    }
  }
  let renderMs: number | null = null;
  if (o.out) {
    const [{ crossLayerHeatmap }, { writeChartFile }] = await Promise.all([import('../report/charts/heatmap.js'), import('../report/node-report.js')]);
    const subtitle = [
      teacherFile && studentFile ? `teacher ${basename(teacherFile)} × student ${basename(studentFile)}` : '',
      matrix.n ? `${matrix.n} samples` : '',
      `linear CKA (${matrix.estimator})`,
    ]
      .filter(Boolean)
      .join(', ');
    const w = await writeChartFile(o.out, crossLayerHeatmap(matrix, { title: o.title, subtitle }));
    renderMs = w.ms;
  }
  return { ...matrix, teacherFile, studentFile, out: o.out ?? null, renderMs };
}

/** The readable matrix: rows teacher layers, columns student layers. */
export function renderHeatmap(r: HeatmapCommandResult): string {
  const lines: string[] = [];
  lines.push(`krs heatmap — cross-layer CKA (${r.estimator}${r.n ? `, ${r.n} samples` : ''}): rows = teacher layers, columns = student layers`);
  lines.push(...r.studentLayers.map((s, j) => `  [${j}] ${s}`));
  lines.push(
    table(
      ['teacher layer', ...r.studentLayers.map((_, j) => `[${j}]`)],
      r.teacherLayers.map((t, i) => [t, ...r.cka[i]!.map((v) => fmt(v, 3))]),
    ),
  );
  if (r.out) lines.push('', `wrote ${r.out}${r.renderMs !== null ? ` (${Math.round(r.renderMs)} ms)` : ''}`);
  return lines.join('\n');
}
