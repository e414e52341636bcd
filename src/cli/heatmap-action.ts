/**
 * What `krs heatmap` does (declared in `heatmap.ts`): compute (or read) the cross-layer
 * matrix, draw it, and print it.
 */

import { basename } from 'node:path';
import { errors } from '../core/errors.js';
import { resolveLimits } from '../io/limits.js';
import { readWholeText } from '../io/node-read.js';
import { networkOrder } from '../report/node-report-input.js';
import type { CrossLayerResult } from '../similarity/cross-layer.js';
import { chooseBackend } from './backend.js';
import { fmt, table, toJson } from './format.js';
import type { HeatmapCommandResult, HeatmapFlags } from './heatmap.js';
import { cliIo } from './io.js';

/** The action of `krs heatmap`. */
export async function heatmapAction(o: HeatmapFlags): Promise<void> {
  const r = await heatmapCommand(o);
  cliIo().stdout.write(o.json ? `${toJson(r)}\n` : `${renderHeatmap(r)}\n`);
  for (const w of r.warnings) cliIo().stderr.write(`warning: ${w}\n`);
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
