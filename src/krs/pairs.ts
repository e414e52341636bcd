/**
 * Reading `teacher:student` layer pairs. Layer names may themselves contain ':' (PyTorch
 * exports name tensors like `onnx::Gemm_8`), so a pair is split at the colon that leaves a
 * known teacher name on the left and a known student name on the right.
 */
import { errors } from '../core/errors.js';
import type { LayerPair } from './metric.js';

/**
 * Split `raw` into a teacher and a student layer name.
 * @param teacherNames names the teacher side has; `studentNames` likewise
 * @param unknown makes the error for a name that is missing (default: UNKNOWN_KEY listing the names)
 * @throws UNKNOWN_KEY (or `unknown`'s error) naming the side whose layer is missing; BAD_OPTION when `raw` has no ':'.
 * @example splitPair('onnx::Gemm_8:fc1', ['onnx::Gemm_8'], ['fc1']) // { teacher: 'onnx::Gemm_8', student: 'fc1' }
 */
export function splitPair(
  raw: string,
  teacherNames: readonly string[],
  studentNames: readonly string[],
  teacherFile: string,
  studentFile: string,
  unknown: (side: 'teacher' | 'student', name: string) => Error = (side, name) =>
    side === 'teacher'
      ? errors.unknownKey('teacher layer', name, teacherFile, teacherNames)
      : errors.unknownKey('student layer', name, studentFile, studentNames),
): LayerPair {
  const t = new Set(teacherNames);
  const s = new Set(studentNames);
  const splits: [string, string][] = [];
  for (let i = raw.indexOf(':'); i >= 0; i = raw.indexOf(':', i + 1)) splits.push([raw.slice(0, i), raw.slice(i + 1)]);
  if (splits.length === 0) throw errors.badOption('--pair', raw, 'teacherLayer:studentLayer');
  const hit = splits.find(([a, b]) => t.has(a) && s.has(b));
  if (hit) return { teacher: hit[0], student: hit[1] };
  const [a, b] = splits.find(([x]) => t.has(x)) ?? splits[0]!;
  throw t.has(a) ? unknown('student', b) : unknown('teacher', a);
}
