/**
 * Aligning teacher and student samples by id (docs/data-model.md §"Sample ids and alignment": the same samples, in the same
 * order). Ids are compared as exact strings, so int64 ids keep every digit.
 */
import { errors } from '../core/errors.js';

export interface Alignment {
  /** For teacher row i, the student row holding the same id; null when the orders already agree. */
  readonly studentRowOf: Int32Array | null;
}

/**
 * Match teacher ids to student ids.
 * @throws ID_MISMATCH when either side repeats an id, or an id appears on one side only
 *   (the message names up to five such ids on each side and the counts).
 */
export function alignIds(teacherIds: readonly string[], studentIds: readonly string[], teacherFile: string, studentFile: string): Alignment {
  const index = (ids: readonly string[], file: string): Map<string, number> => {
    const m = new Map<string, number>();
    ids.forEach((id, i) => {
      const prev = m.get(id);
      if (prev !== undefined) throw errors.idMismatch(`id ${JSON.stringify(id)} appears twice in ${file} (rows ${prev} and ${i})`, { id, file });
      m.set(id, i);
    });
    return m;
  };
  const t = index(teacherIds, teacherFile);
  const s = index(studentIds, studentFile);
  const onlyTeacher = teacherIds.filter((id) => !s.has(id));
  const onlyStudent = studentIds.filter((id) => !t.has(id));
  if (onlyTeacher.length || onlyStudent.length) {
    const show = (ids: string[]) =>
      ids
        .slice(0, 5)
        .map((x) => JSON.stringify(x))
        .join(', ') + (ids.length > 5 ? ', …' : '');
    const parts: string[] = [];
    if (onlyTeacher.length) parts.push(`${onlyTeacher.length} only in ${teacherFile} (${show(onlyTeacher)})`);
    if (onlyStudent.length) parts.push(`${onlyStudent.length} only in ${studentFile} (${show(onlyStudent)})`);
    throw errors.idMismatch(parts.join('; '), { onlyTeacher: onlyTeacher.slice(0, 100), onlyStudent: onlyStudent.slice(0, 100) });
  }
  let inOrder = true;
  const rows = new Int32Array(teacherIds.length);
  teacherIds.forEach((id, i) => {
    const j = s.get(id)!;
    rows[i] = j;
    if (j !== i) inOrder = false;
  });
  return { studentRowOf: inOrder ? null : rows };
}
