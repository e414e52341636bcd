/**
 * Reference levels (src/krs/reference-levels.ts): the teacher against itself is 100 for every
 * similarity and every task (checked here once, so krs states it instead of computing it); the
 * null level is the score of the student's samples in a seeded random order, equal to scoring
 * permuted arrays by hand; baselines pair with the student like compareTwo.
 */
import { describe, expect, it } from 'vitest';
import { groupDetections } from '../../src/agreement/detection.js';
import { gatherRows, sliceRows, type Tensor } from '../../src/core/tensor.js';
import { openCapture } from '../../src/io/node-capture.js';
import { readCocoResults } from '../../src/io/node-coco.js';
import { readLabelMapFolder } from '../../src/io/node-label-map.js';
import { diagnose, NEAR_NULL } from '../../src/krs/diagnose.js';
import { KrsMetric } from '../../src/krs/metric.js';
import { baselineLevelOf, NullStash, seededPermutation } from '../../src/krs/reference-levels.js';
import { scoreCaptures } from '../../src/krs/score-captures.js';
import { SIMILARITIES } from '../../src/similarity/registry.js';
import { expectClose, expectKrsError, fixturePath } from '../helpers/fixtures.js';

const f = (name: string) => fixturePath(`score/${name}`);

describe('the teacher against itself scores 100 by construction', () => {
  it.each(SIMILARITIES)('similarity %s: every layer pair, FSS, AOA and KRS are 100', async (similarity) => {
    const t = openCapture(f('cls-teacher.npz'));
    const r = await scoreCaptures({ task: 'classification', teacher: t, student: openCapture(f('cls-teacher.npz')), similarity, intervals: false });
    for (const l of r.layers) expectClose(l.score, 100, 1e-6);
    expectClose(r.aoa, 100, 1e-9);
    expectClose(r.krs, 100, 1e-6);
    expect(r.reference).toEqual({ teacher: 100, null: null, baseline: null });
  });
  it.each([
    ['regression', 'reg-teacher.npz'],
    ['nlp', 'nlp-teacher.npz'],
  ] as const)('task %s: AOA and KRS are 100', async (task, file) => {
    const r = await scoreCaptures({ task, teacher: openCapture(f(file)), student: openCapture(f(file)), intervals: false });
    expectClose(r.fss, 100, 1e-6);
    expectClose(r.aoa, 100, 1e-9);
    expectClose(r.krs, 100, 1e-6);
  });
  it('detection (IoU agreement) and segmentation (mIoU of label maps): 100', async () => {
    const det = await scoreCaptures({
      task: 'detection',
      teacher: openCapture(f('det-teacher-features.npz')),
      student: openCapture(f('det-teacher-features.npz')),
      images: groupDetections(readCocoResults(f('det-teacher.json')), readCocoResults(f('det-teacher.json'))),
      intervals: false,
    });
    expectClose(det.aoa, 100, 1e-9);
    expectClose(det.krs, 100, 1e-6);
    const maps = readLabelMapFolder(f('seg-teacher'));
    const seg = await scoreCaptures({
      task: 'segmentation',
      teacher: openCapture(f('seg-teacher-features.npz')),
      student: openCapture(f('seg-teacher-features.npz')),
      labelMaps: { teacherFile: 'seg-teacher', studentFile: 'seg-teacher', teacher: maps, student: maps },
      intervals: false,
    });
    expectClose(seg.aoa, 100, 1e-9);
    expectClose(seg.krs, 100, 1e-6);
  });
});

describe('seededPermutation', () => {
  it('is a permutation, the same for the same seed, another for another seed', () => {
    const a = seededPermutation(1000, 1);
    expect([...a].sort((x, y) => x - y)).toEqual([...Array(1000).keys()]);
    expect([...seededPermutation(1000, 1)]).toEqual([...a]);
    expect([...seededPermutation(1000, 2)]).not.toEqual([...a]);
    // Few fixed points, as for a uniform permutation (1 expected).
    expect(a.filter((v, i) => v === i).length).toBeLessThan(6);
    expect([...seededPermutation(0, 1)]).toEqual([]);
    expect([...seededPermutation(1, 7)]).toEqual([0]);
  });
});

describe('the null level', () => {
  it('equals scoring the student arrays permuted by hand, per layer and overall; the main score is unchanged', async () => {
    const teacher = openCapture(f('cls-teacher.npz'));
    const student = openCapture(f('cls-student.npz'));
    const plain = await scoreCaptures({ task: 'classification', teacher, student });
    const r = await scoreCaptures({ task: 'classification', teacher, student, reference: { null: true, seed: 3 } });
    expect(r.krs).toBe(plain.krs);
    expect(r.ci95).toEqual(plain.ci95);
    const nul = r.reference.null!;
    expect(nul.seed).toBe(3);
    expect(nul.method).toMatch(/shuffled by a seeded permutation/);
    // By hand: align by ids (the fixtures' student is reordered), then permute.
    const tIds = teacher.readIds('ids');
    const sIds = student.readIds('ids');
    const aligned = Int32Array.from(tIds, (id) => sIds.indexOf(id));
    const perm = seededPermutation(tIds.length, 3);
    const rowOf = perm.map((j) => aligned[j]!);
    const n = tIds.length;
    const metric = new KrsMetric({ task: 'classification', pairs: r.layers.map((l) => ({ teacher: l.teacher, student: l.student })), intervals: false });
    const s = (k: string) => gatherRows(student.read(k), rowOf, 0, n);
    await metric.update({
      teacher: { conv: teacher.read('conv'), fc: teacher.read('fc') },
      student: { conv: s('conv'), fc: s('fc') },
      teacherOutput: teacher.read('logits'),
      studentOutput: s('logits'),
    });
    const byHand = await metric.compute();
    expectClose(nul.krs, byHand.krs, 1e-9);
    expectClose(nul.fss, byHand.fss, 1e-9);
    expectClose(nul.aoa, byHand.aoa, 1e-9);
    nul.layers.forEach((l, i) => expectClose(l.score, byHand.layers[i]!.score, 1e-9));
    expect(nul.krs).toBeLessThan(r.krs - 30);
    const other = await scoreCaptures({ task: 'classification', teacher, student, reference: { null: true, seed: 4 } });
    expect(other.reference.null!.krs).not.toBe(nul.krs);
  });
  it('detection and label-map segmentation: the student of another image (of the same size) meets each teacher image', async () => {
    const det = await scoreCaptures({
      task: 'detection',
      teacher: openCapture(f('det-teacher-features.npz')),
      student: openCapture(f('det-student-features.npz')),
      images: groupDetections(readCocoResults(f('det-teacher.json')), readCocoResults(f('det-student.json'))),
      reference: { null: true },
    });
    expect(det.reference.null!.aoa).toBeLessThan(det.aoa);
    const seg = await scoreCaptures({
      task: 'segmentation',
      teacher: openCapture(f('seg-teacher-features.npz')),
      student: openCapture(f('seg-student-features.npz')),
      labelMaps: {
        teacherFile: 'seg-teacher',
        studentFile: 'seg-student',
        teacher: readLabelMapFolder(f('seg-teacher')),
        student: readLabelMapFolder(f('seg-student')),
      },
      reference: { null: true },
    });
    expect(seg.reference.null!.aoa).toBeLessThan(seg.aoa);
    // Six images of wide feature maps: biased CKA is nearly as high shuffled as aligned, and the near-null finding says so.
    expect(seg.reference.null!.fss).toBeGreaterThan(seg.fss - NEAR_NULL);
    const d = diagnose({ fss: seg.fss, aoa: seg.aoa, krs: seg.krs, reference: seg.reference });
    expect(d.findings.map((x) => x.code)).toContain('near-null');
    expect(d.findings.find((x) => x.code === 'near-null')!.message).toMatch(/^FSS 92\.1 \(null 83\.9\): within 10 points of the null level/);
  });
  it('NullStash (krs eval): kept batches scored with the same permutation as scoreCaptures', async () => {
    const teacher = openCapture(f('cls-teacher.npz'));
    const student = openCapture(f('cls-teacher-strids.npz'));
    const n = teacher.info('logits').shape[0]!;
    const stash = new NullStash();
    for (let s = 0; s < n; s += 10) {
      const e = Math.min(n, s + 10);
      const rows = (c: typeof teacher, k: string): Tensor => sliceRows(c.read(k), s, e);
      stash.add({
        teacher: { fc: rows(teacher, 'fc') },
        student: { fc: rows(student, 'fc') },
        teacherOutput: rows(teacher, 'logits'),
        studentOutput: rows(student, 'logits'),
      });
    }
    const pairs = [{ teacher: 'fc', student: 'fc' }];
    const viaStash = await stash.compute({ task: 'classification', pairs }, 5, 16);
    const viaScore = await scoreCaptures({ task: 'classification', teacher, student, pairs, ids: undefined, reference: { null: true, seed: 5 } });
    // Same rows in the same order (the strids capture holds the teacher's rows under string ids).
    expectClose(viaStash.krs, viaScore.reference.null!.krs, 1e-9);
  });
  it('a bad seed is BAD_OPTION naming reference.seed', async () => {
    const c = openCapture(f('cls-teacher.npz'));
    await expectKrsError(
      () => scoreCaptures({ task: 'classification', teacher: c, student: c, reference: { null: true, seed: -1 } }),
      'BAD_OPTION',
      /reference\.seed/,
      /-1/,
    );
  });
});

describe('the baseline level', () => {
  it('student − baseline pairs over the same groups (compareTwo), Δ = 0 with interval [0, 0] for the student itself', async () => {
    const teacher = openCapture(f('cls-teacher.npz'));
    const r = await scoreCaptures({ task: 'classification', teacher, student: openCapture(f('cls-student.npz')) });
    const b = baselineLevelOf({ name: 's', result: r }, { name: 'b', result: r });
    expect(b).toMatchObject({ file: 'b', krs: r.krs, fss: r.fss, aoa: r.aoa, delta: { krs: 0, ci95: { krs: [0, 0] }, p: { krs: 1 }, groups: 20 } });
  });
});
