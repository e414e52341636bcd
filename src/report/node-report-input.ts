/**
 * The report inputs of `krs score`, several students, and `krs eval` (what `--report` and
 * `--charts` draw), from a finished result and the captures on disk: the score's own result,
 * plus a second pass over the captures for the cross-layer CKA matrix (every teacher layer ×
 * every student layer) and, for a task whose report shows forecasts, both captures'
 * predictions. A chart that cannot be computed (e.g. layers with other sample counts) is left
 * out with a warning rather than failing the report. Node-only: it opens capture files.
 */
import { statSync } from 'node:fs';
import { KrsError } from '../core/errors.js';
import { fmt, fmtSigned } from '../core/number-format.js';
import { verifyArrays } from '../io/capture.js';
import { openCapture } from '../io/node-capture.js';
import type { Comparison } from '../krs/compare.js';
import type { MatrixBackend } from '../linalg/backend.js';
import type { EvalResult } from '../runtime/eval.js';
import type { Pooling } from '../similarity/features.js';
import { taskSpec } from '../tasks/registry.js';
import { crossLayerOfCaptures, featureLayers } from './capture-cross-layer.js';
import { regressionOfCaptures } from './capture-regression.js';
import type { MatrixLike } from './charts/heatmap.js';
import type { RegressionPredictions } from './charts/regression.js';
import type { DemoReportInput, ScoreReportInput } from './report.js';

/** Where a score's captures are and how they were read (the flags of `krs score` that name them). */
export interface CaptureReportOptions {
  teacher: string;
  student: string;
  teacherFeatures?: string;
  studentFeatures?: string;
  ids?: string;
  pool?: Pooling;
  channelsLast?: boolean;
  batchSize?: number;
  outputKey?: string;
}

/** A matrix backend for the cross-layer pass, disposed after it. */
export type BackendOpener = () => Promise<{ backend: MatrixBackend; dispose(): Promise<void> }>;

/** One paired difference as a sentence: `b − a: ΔKRS +1.23 [0.80, 1.66], p 0.0004` (the interval and p when known). */
function comparisonSentence(c: Comparison): string {
  const ci = c.ci95.krs ? ` [${fmt(c.ci95.krs[0])}, ${fmt(c.ci95.krs[1])}]` : '';
  const p = c.p.krs === null ? (c.reasons.krs ? ` (no interval: ${c.reasons.krs})` : '') : `, p ${c.p.krs < 1e-4 ? '< 0.0001' : fmt(c.p.krs, 4)}`;
  return `${c.b} − ${c.a}: ΔKRS ${fmtSigned(c.delta.krs)}${ci}${p}; ΔFSS ${fmtSigned(c.delta.fss)}, ΔAOA ${fmtSigned(c.delta.aoa)}.`;
}

/**
 * The report of several students scored against one teacher (`krs score --student a --student
 * b …`): one report comparing them — the students chart (FSS, AOA, KRS with intervals and null
 * levels), their layers side by side, and the paired differences of every pair in the order
 * given, as sentences.
 */
export function studentsReportInput(
  results: readonly ScoreReportInput['result'][],
  names: readonly string[],
  comparisons: readonly Comparison[],
): DemoReportInput {
  const r = results[0]!;
  return {
    kind: 'demo',
    title: `KRS: ${results.length} students against their teacher`,
    description: [
      `Each student scored against the teacher ${r.teacherFile ?? ''} on the same ${r.n} samples and groups; the differences below are paired (student B − student A, delete-a-group jackknife).`,
      ...comparisons.map(comparisonSentence),
    ],
    ...(r.teacherFile ? { teacher: { label: r.teacherFile } } : {}),
    students: results.map((result, i) => ({ label: names[i]!, result })),
  };
}

/**
 * The report input of `krs score`: the result, the cross-layer CKA matrix of the two captures'
 * feature layers, and (forecast tasks) both captures' predictions; what cannot be computed
 * becomes a warning of the result. `openBackend` gives the matrix backend of the second pass.
 */
export async function scoreReportInput(o: CaptureReportOptions, result: ScoreReportInput['result'], openBackend: BackendOpener): Promise<ScoreReportInput> {
  const crossLayer = await captureMatrix(o, openBackend).catch((e: unknown) => {
    if (e instanceof KrsError && e.code !== 'INTERRUPTED') return { warning: `cross-layer heatmap left out: ${e.message}` };
    throw e;
  });
  const regression = taskSpec(result.task).reportSections.includes('forecast') ? capturePredictions(o) : null;
  const warnings = [...('warning' in crossLayer ? [crossLayer.warning] : []), ...(regression && 'warning' in regression ? [regression.warning] : [])];
  return {
    kind: 'score',
    result: warnings.length ? { ...result, warnings: [...(result.warnings ?? []), ...warnings] } : result,
    crossLayer: 'warning' in crossLayer ? null : crossLayer,
    regression: regression && !('warning' in regression) ? regression : null,
  };
}

/** Regression: both captures' predictions (and targets) for the report's prediction charts; a warning instead when they cannot be read. */
function capturePredictions(o: { teacher: string; student: string; outputKey?: string; ids?: string }): RegressionPredictions | { warning: string } {
  try {
    return regressionOfCaptures({ teacher: openCapture(o.teacher), student: openCapture(o.student), outputKey: o.outputKey, ids: o.ids });
  } catch (e) {
    return { warning: `prediction charts left out: ${(e as Error).message}` };
  }
}

/** The cross-layer CKA matrix of the captures' feature layers, in network order, checksums verified first. */
async function captureMatrix(o: CaptureReportOptions, openBackend: BackendOpener): Promise<MatrixLike & { warnings: string[] }> {
  const tPath = o.teacherFeatures ?? o.teacher;
  const sPath = o.studentFeatures ?? o.student;
  const teacher = openCapture(tPath);
  const student = openCapture(sPath);
  const backend = await openBackend();
  try {
    const teacherLayers = networkOrder(tPath, featureLayers(teacher, o.ids ? [o.ids] : []));
    const studentLayers = networkOrder(sPath, featureLayers(student, o.ids ? [o.ids] : []));
    // The checksum passes with stop points (an interrupt acts within a chunk), before the matrix reads the layers.
    await verifyArrays(teacher, [...teacherLayers, o.ids]);
    await verifyArrays(student, [...studentLayers, o.ids]);
    return await crossLayerOfCaptures({
      teacher,
      student,
      teacherLayers,
      studentLayers,
      ids: o.ids,
      pool: o.pool,
      channelsLast: o.channelsLast,
      backend: backend.backend,
      batchSize: o.batchSize,
    });
  } finally {
    await backend.dispose();
  }
}

/**
 * Layer names in network order as far as the capture tells: a file's own order, but for a
 * folder of .npy files (listed alphabetically) a natural sort, so `layer10` follows `layer9`.
 */
export function networkOrder(path: string, names: readonly string[]): string[] {
  let dir = false;
  try {
    dir = statSync(path).isDirectory();
  } catch {
    dir = false;
  }
  if (!dir) return [...names];
  const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
  return [...names].sort(collator.compare);
}

/**
 * The report input of `krs eval`: the score, its models and data, and the --all-pairs matrix;
 * for regression with --save-captures, the predictions and targets of the saved captures.
 */
export function evalReportInput(r: EvalResult): ScoreReportInput {
  const regression =
    taskSpec(r.task).reportSections.includes('forecast') && r.captures
      ? capturePredictions({ teacher: r.captures.teacher, student: r.captures.student })
      : null;
  return {
    kind: 'score',
    result: {
      ...r,
      teacherFile: r.teacher.file,
      studentFile: r.student.file,
      ...(regression && 'warning' in regression ? { warnings: [...(r.warnings ?? []), regression.warning] } : {}),
    },
    crossLayer: r.crossLayer,
    models: { teacher: r.teacher, student: r.student, data: `${r.data.name}${r.data.studentName ? ` / ${r.data.studentName}` : ''}` },
    regression: regression && !('warning' in regression) ? regression : null,
  };
}
