/**
 * The inputs of a score opened by their format (Node: files): the task decides where the
 * outputs are, and the files what they are —
 *
 * - detection (`outputSource: 'coco-detections'`): `teacher`/`student` are COCO-results JSON
 *   files, grouped per image; the features come from `teacherFeatures`/`studentFeatures`;
 * - segmentation with folders of PNG label maps (a folder with .png files and no .npy files,
 *   on either side): the label maps are read whole; features again from the feature captures;
 * - otherwise captures (.npz, .safetensors, a folder of .npy files): the feature captures
 *   when given, else the captures themselves, opened lazily (headers only).
 *
 * @throws BAD_OPTION (option `teacherFeatures` / `studentFeatures`) when the outputs carry no
 *   features and no feature capture is given; and whatever the readers throw.
 */
import { readdirSync, statSync } from 'node:fs';
import { groupDetections } from '../agreement/detection.js';
import { errors, opt } from '../core/errors.js';
import { openCapture } from '../io/node-capture.js';
import { readCocoResults } from '../io/node-coco.js';
import { readLabelMapFolder } from '../io/node-label-map.js';
import { taskSpec } from '../tasks/registry.js';
import type { ScoreCapturesOptions } from './score-captures.js';

/** Where a score's inputs are: the teacher's and the student's files, and their feature captures when the files hold outputs only. */
export interface ScoreInputFiles {
  task: string;
  teacher: string;
  student: string;
  teacherFeatures?: string;
  studentFeatures?: string;
}

/** The opened inputs: the captures, and the detections or label maps when the outputs are files of their own. */
export type ScoreInputs = Pick<ScoreCapturesOptions, 'teacher' | 'student' | 'images' | 'labelMaps'>;

/** Open a score's inputs by task and format (see the module comment). */
export function openScoreInputs(files: ScoreInputFiles): ScoreInputs {
  const spec = taskSpec(files.task);
  if (spec.outputSource === 'coco-detections') {
    const images = groupDetections(readCocoResults(files.teacher), readCocoResults(files.student));
    return { ...featureCaptures(files), images };
  }
  if (spec.labelMaps && (isPngFolder(files.teacher) || isPngFolder(files.student))) {
    const teacher = readLabelMapFolder(files.teacher);
    const student = readLabelMapFolder(files.student);
    return { ...featureCaptures(files), labelMaps: { teacherFile: files.teacher, studentFile: files.student, teacher, student } };
  }
  return { teacher: openCapture(files.teacherFeatures ?? files.teacher), student: openCapture(files.studentFeatures ?? files.student) };
}

/** Both sides' feature captures, which outputs-only inputs need. */
function featureCaptures(files: ScoreInputFiles): Pick<ScoreInputs, 'teacher' | 'student'> {
  const need = (side: 'teacher' | 'student', path: string | undefined): string => {
    if (!path) {
      throw errors.badOption(`${side}Features`, null, `a capture of ${side} activations (the ${files.task} outputs in ${opt(side)} carry no features)`);
    }
    return path;
  };
  return { teacher: openCapture(need('teacher', files.teacherFeatures)), student: openCapture(need('student', files.studentFeatures)) };
}

/** A folder of PNG label maps: .png files and no .npy files. */
export function isPngFolder(path: string): boolean {
  try {
    if (!statSync(path).isDirectory()) return false;
  } catch {
    return false;
  }
  const names = readdirSync(path);
  return names.some((n) => n.toLowerCase().endsWith('.png')) && !names.some((n) => n.endsWith('.npy'));
}
