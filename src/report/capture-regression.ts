/**
 * The regression charts' input from two captures (what `krs score --task regression --report`
 * draws): both models' prediction arrays, the student's rows aligned to the teacher's by id
 * when both captures hold ids (as scoring aligns them), and the truth from a `targets` array of
 * the same shape when either capture has one (`krs eval --save-captures` writes it). Works on
 * the {@link Capture} abstraction (Node files or browser bytes).
 *
 * @example
 *   const regression = regressionOfCaptures({ teacher: openCapture('t.npz'), student: openCapture('s.npz') });
 *   await renderReport({ kind: 'score', result, regression });
 */
import type { Capture } from '../io/capture.js';
import { alignIds } from '../krs/align.js';
import { DEFAULT_ID_KEYS } from '../krs/score-captures.js';
import { taskWithReportSection } from '../tasks/registry.js';
import type { RegressionPredictions } from './charts/regression.js';

export interface CaptureRegressionOptions {
  teacher: Capture;
  student: Capture;
  /**
   * The output array in both captures; default: the first present of the output keys of the
   * task whose report has the forecast charts (regression's `predictions`, `outputs`, `logits`
   * — `logits` last, as `krs eval --save-captures` names every model's output).
   */
  outputKey?: string;
  /** Id array in both captures; default `ids` or `sample_ids` when both have it. */
  ids?: string;
  /** The truth array (either capture); default `targets`. */
  truthKey?: string;
}

const OUTPUT_KEYS: readonly string[] = taskWithReportSection('forecast')?.outputKeys ?? [];

function toFloat64(data: ArrayLike<number | bigint>): Float64Array {
  const out = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  return out;
}

/**
 * The predictions of both captures as {@link RegressionPredictions} (horizon = the arrays' second
 * axis, 1 for [n] or [n, 1]).
 * @throws Error when a capture lacks the output array or the shapes differ; KrsError
 *   ID_MISMATCH from the alignment.
 */
export function regressionOfCaptures(o: CaptureRegressionOptions): RegressionPredictions {
  const { teacher, student } = o;
  const pick = (c: Capture): string => {
    const keys = c.keys();
    const k = o.outputKey ?? OUTPUT_KEYS.find((x) => keys.includes(x));
    if (!k || !keys.includes(k)) throw new Error(`no prediction array (${o.outputKey ?? OUTPUT_KEYS.join(' or ')}) in ${c.source}`);
    return k;
  };
  const tKey = pick(teacher);
  const sKey = pick(student);
  const t = teacher.read(tKey);
  const s = student.read(sKey);
  const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);
  if (!same(t.shape, s.shape)) throw new Error(`prediction shapes differ: ${t.shape.join('×')} (teacher) vs ${s.shape.join('×')} (student)`);
  const n = t.shape[0] ?? 1;
  const horizon = t.shape.length >= 2 ? t.shape[1]! : 1;
  const row = t.data.length / Math.max(n, 1);
  const idKey = o.ids ?? DEFAULT_ID_KEYS.find((k) => teacher.keys().includes(k) && student.keys().includes(k));
  const teacherIds = idKey ? teacher.readIds(idKey) : null;
  let studentValues = toFloat64(s.data as ArrayLike<number | bigint>);
  if (idKey && teacherIds) {
    const { studentRowOf } = alignIds(teacherIds, student.readIds(idKey), teacher.source, student.source);
    if (studentRowOf) {
      const aligned = new Float64Array(studentValues.length);
      for (let i = 0; i < n; i++) aligned.set(studentValues.subarray(studentRowOf[i]! * row, (studentRowOf[i]! + 1) * row), i * row);
      studentValues = aligned;
    }
  }
  // The truth: the teacher's targets (in the teacher's order), else the student's when the rows are in the same order.
  const truthKey = o.truthKey ?? 'targets';
  let truth: Float64Array | null = null;
  let truthFrom = '';
  for (const [c, side] of [
    [teacher, 'teacher'],
    [student, 'student'],
  ] as const) {
    if (truth || !c.keys().includes(truthKey)) continue;
    if (side === 'student' && idKey) continue; // would need the same alignment; the teacher's are preferred anyway
    const y = c.read(truthKey);
    if (y.data.length === t.data.length) {
      truth = toFloat64(y.data as ArrayLike<number | bigint>);
      truthFrom = `, '${truthKey}' of the ${side}'s capture as the truth`;
    }
  }
  return {
    teacher: toFloat64(t.data as ArrayLike<number | bigint>),
    student: studentValues,
    horizon,
    truth,
    ids: teacherIds,
    samples: n,
    source: `'${tKey}' of both captures${truthFrom}`,
  };
}
