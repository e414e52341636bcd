/** `--teacher-outputs` / `--student-outputs` for commands that read output arrays from captures (`krs score`, `krs explain`). */
import { SCORE_KINDS } from '../agreement/output-kind.js';
import { parseChoice } from './options.js';

/** The option of one side: what its output array holds, when the values should not decide. */
function outputKindOption(side: 'teacher' | 'student') {
  return [
    `--${side}-outputs <kind>`,
    `${side}'s output array holds ${SCORE_KINDS.join(', ')} (default: told from the values)`,
    parseChoice(`--${side}-outputs`, SCORE_KINDS),
  ] as const;
}

export const TEACHER_OUTPUTS_OPTION = outputKindOption('teacher');
export const STUDENT_OUTPUTS_OPTION = outputKindOption('student');
