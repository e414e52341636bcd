/**
 * A score's inputs opened by task and format (src/krs/node-score-inputs.ts): captures, COCO
 * results with feature captures, folders of PNG label maps with feature captures.
 */
import { describe, expect, it } from 'vitest';
import { KrsError } from '../../src/core/errors.js';
import { isPngFolder, openScoreInputs } from '../../src/krs/node-score-inputs.js';

const f = (name: string) => `test/fixtures/score/${name}`;

function thrown(fn: () => unknown): KrsError {
  try {
    fn();
  } catch (e) {
    if (e instanceof KrsError) return e;
    throw e;
  }
  throw new Error('expected a KrsError');
}

describe('openScoreInputs', () => {
  it('captures: opened as given (no detections, no label maps)', () => {
    const inputs = openScoreInputs({ task: 'classification', teacher: f('cls-teacher.npz'), student: f('cls-student.npz') });
    expect(inputs.teacher.source).toMatch(/cls-teacher\.npz$/);
    expect(inputs.student.source).toMatch(/cls-student\.npz$/);
    expect(inputs.images).toBeUndefined();
    expect(inputs.labelMaps).toBeUndefined();
  });

  it('feature captures take the place of the captures when given', () => {
    const inputs = openScoreInputs({
      task: 'classification',
      teacher: f('cls-teacher.npz'),
      student: f('cls-student.npz'),
      studentFeatures: f('cls-student-strids.npz'),
    });
    expect(inputs.student.source).toMatch(/cls-student-strids\.npz$/);
  });

  it('detection: COCO results grouped per image, features from the feature captures', () => {
    const inputs = openScoreInputs({
      task: 'detection',
      teacher: f('det-teacher.json'),
      student: f('det-student.json'),
      teacherFeatures: f('det-teacher-features.npz'),
      studentFeatures: f('det-student-features.npz'),
    });
    expect(inputs.images!.length).toBeGreaterThan(0);
    expect(inputs.teacher.source).toMatch(/det-teacher-features\.npz$/);
    expect(inputs.student.source).toMatch(/det-student-features\.npz$/);
  });

  it('detection without feature captures: BAD_OPTION naming the option by its API name', () => {
    const e = thrown(() => openScoreInputs({ task: 'detection', teacher: f('det-teacher.json'), student: f('det-student.json') }));
    expect(e.code).toBe('BAD_OPTION');
    expect(e.details).toEqual({ option: 'teacherFeatures', value: null });
    expect(e.withOptionNames((n) => `--${n.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).message).toBe(
      'missing --teacher-features: expected a capture of teacher activations (the detection outputs in --teacher carry no features)',
    );
  });

  it('segmentation: folders of PNG label maps read whole, features from the feature captures', () => {
    expect(isPngFolder(f('seg-teacher'))).toBe(true);
    expect(isPngFolder(f('seg-teacher-features.npz'))).toBe(false);
    expect(isPngFolder(f('no-such-folder'))).toBe(false);
    const inputs = openScoreInputs({
      task: 'segmentation',
      teacher: f('seg-teacher'),
      student: f('seg-student'),
      teacherFeatures: f('seg-teacher-features.npz'),
      studentFeatures: f('seg-student-features.npz'),
    });
    expect(inputs.labelMaps!.teacherFile).toBe(f('seg-teacher'));
    expect(inputs.labelMaps!.teacher.ids.length).toBeGreaterThan(0);
    expect(thrown(() => openScoreInputs({ task: 'segmentation', teacher: f('seg-teacher'), student: f('seg-student') })).details).toEqual({
      option: 'teacherFeatures',
      value: null,
    });
  });
});
