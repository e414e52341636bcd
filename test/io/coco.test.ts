import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { groupDetections } from '../../src/agreement/detection.js';
import { parseCocoResults } from '../../src/io/coco.js';
import { readCocoResults } from '../../src/io/node-coco.js';
import { EXPECTED, expectKrsError, fixture, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(tmp.cleanup);

const det = (over: Record<string, unknown> = {}) => ({ image_id: 1, category_id: 2, bbox: [1, 2, 3, 4], score: 0.5, ...over });
const parse = (v: unknown) => parseCocoResults(JSON.stringify(v), 'dets.json');

describe('COCO results', () => {
  it.each(['teacher.json', 'student.json'])('reads %s', (name) => {
    expect(readCocoResults(fixture('coco', name))).toEqual(EXPECTED.coco[name]);
  });

  it('groups by image over the union of ids; "2" and 2 are the same image', () => {
    const t = readCocoResults(fixture('coco', 'teacher.json'));
    const s = readCocoResults(fixture('coco', 'student.json'));
    const g = new Map(groupDetections(t, s).map((img) => [img.imageId, img]));
    const ids = new Set([...t, ...s].map((d) => d.imageId));
    expect(new Set(g.keys())).toEqual(ids);
    expect(g.get('5')!.teacher).toEqual([]);
    expect(g.get('5')!.student.length).toBeGreaterThan(0);
    expect(g.get('img_7')!.student).toEqual([]);
    for (const [id, { teacher, student }] of g) {
      expect(g.get(id)!.imageId).toBe(id);
      expect(teacher).toEqual(t.filter((d) => d.imageId === id));
      expect(student).toEqual(s.filter((d) => d.imageId === id));
    }
    expect([...g.keys()].slice(0, 1)).toEqual([t[0]!.imageId]);
  });

  it('accepts an empty array, string ids, extra fields and scores outside [0, 1]', () => {
    expect(parse([])).toEqual([]);
    expect(parse([det({ image_id: 'a.jpg', score: 7, area: 12 })])).toEqual([{ imageId: 'a.jpg', categoryId: 2, bbox: [1, 2, 3, 4], score: 7 }]);
  });

  it('rejects malformed input, naming the file and the index', () => {
    expectKrsError(() => parseCocoResults('{oops', 'dets.json'), 'BAD_FILE', 'dets.json', 'not valid JSON');
    expectKrsError(() => parseCocoResults('[{"score": NaN}]', 'dets.json'), 'BAD_FILE', 'NaN or Infinity');
    expectKrsError(() => parse({ annotations: [] }), 'BAD_FILE', 'dets.json', 'JSON array', 'an object');
    expectKrsError(() => parse([det(), 3]), 'BAD_FILE', 'dets.json', 'detection [1]', 'not an object');
    const { score: _s, ...noScore } = det();
    expectKrsError(() => parse([det(), det(), noScore]), 'BAD_FILE', 'dets.json', 'detection [2]', "'score'");
    expectKrsError(() => parse([det({ category_id: '3' })]), 'BAD_FILE', 'detection [0]', "'category_id'");
    expectKrsError(() => parse([det({ bbox: [1, 2, 3] })]), 'BAD_FILE', 'detection [0]', "'bbox'");
    expectKrsError(() => parse([det({ bbox: [1, 2, 'x', 4] })]), 'BAD_FILE', 'detection [0]', "'bbox'");
    expectKrsError(() => parse([det({ image_id: null })]), 'BAD_FILE', 'detection [0]', "'image_id'");
    expectKrsError(() => parse([det({ image_id: 1.5 })]), 'BAD_VALUE', 'detection [0] image_id');
  });

  it('rejects negative width or height and non-finite numbers (BAD_VALUE)', () => {
    expectKrsError(() => parse([det(), det({ bbox: [0, 0, -3, 4] })]), 'BAD_VALUE', 'dets.json', 'detection [1] bbox width', '-3');
    expectKrsError(() => parse([det({ bbox: [0, 0, 3, -0.5] })]), 'BAD_VALUE', 'bbox height');
    expectKrsError(
      () => parseCocoResults('[{"image_id":1,"category_id":1,"bbox":[0,0,1,1],"score":1e999}]', 'd.json'),
      'BAD_VALUE',
      'd.json',
      'score',
      'Infinity',
    );
    expectKrsError(() => parseCocoResults('[{"image_id":1,"category_id":1,"bbox":[0,-1e400,1,1],"score":1}]', 'd.json'), 'BAD_VALUE', 'bbox y');
  });

  it('reports a missing file by path', () => {
    expectKrsError(() => readCocoResults(path.join(tmp.dir, 'none.json')), 'FILE_NOT_FOUND', 'none.json');
    const neg = path.join(tmp.dir, 'neg.json');
    fs.writeFileSync(neg, JSON.stringify([det({ bbox: [0, 0, -1, 1] })]));
    expectKrsError(() => readCocoResults(neg), 'BAD_VALUE', neg);
  });
});
