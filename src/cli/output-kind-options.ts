/** `--teacher-outputs` / `--student-outputs` for commands that read output arrays from captures (`krs score`, `krs explain`). */
import { SCORE_KINDS } from '../agreement/output-kind.js';
import { flag } from './flag-table.js';
import { oneOf } from './options.js';

/** The flag of one side: what its output array holds, when the values should not decide. */
function outputKindFlag<const S extends 'teacher' | 'student'>(side: S) {
  return flag(`--${side}-outputs <kind>`, `${side}'s output array holds ${SCORE_KINDS.join(', ')} (default: told from the values)`, {
    parse: oneOf(SCORE_KINDS),
  });
}

export const TEACHER_OUTPUTS_FLAG = outputKindFlag('teacher');
export const STUDENT_OUTPUTS_FLAG = outputKindFlag('student');
