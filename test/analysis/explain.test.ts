/**
 * `explainSamples` against NumPy/SciPy (test/fixtures/explain/make_explain_fixtures.py):
 * tempered probabilities, top-k, KL agreement, JS, per-layer cosine, alignment by id, and the
 * worst-N ranking.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { klAgreement } from '../../src/agreement/classification.js';
import { sampleAgreement, temperedProbabilities, topClasses } from '../../src/agreement/per-sample.js';
import { explainSamples } from '../../src/analysis/explain.js';
import { tensor } from '../../src/core/tensor.js';
import { openCapture } from '../../src/io/node-capture.js';
import { NpzWriter } from '../../src/io/node-npz-writer.js';
import { expectClose, expectKrsError, fixturePath, loadJson } from '../helpers/fixtures.js';

const ex = loadJson('explain/expected.json');
const teacher = openCapture(fixturePath('explain/teacher.npz'));
const student = openCapture(fixturePath('explain/student.npz'));
const classes = ['cat', 'dog', 'deer', 'fox', 'tiger'];
const TOL = 1e-6; // float32 logits, float64 arithmetic on both sides

describe('explainSamples', () => {
  for (const e of ex.samples) {
    it(`sample ${e.index} at τ = ${e.tau}: top-3, KL agreement, JS, layer cosines`, () => {
      const r = explainSamples({ teacher, student, sample: e.index, classes, temperature: e.tau });
      expect(r).toMatchObject({ n: ex.n, classes: ex.classes, ids: 'ids', k: 3, temperature: e.tau, worst: null });
      const s = r.sample!;
      expect(s).toMatchObject({ index: e.index, studentIndex: e.studentIndex, id: e.id, top1Agree: e.top1Agree });
      expectClose(s.kl, e.kl, TOL);
      expectClose(s.agreement, e.agreement, TOL);
      expectClose(s.js, e.js, TOL);
      for (const [side, want] of [
        [s.teacher.top, e.teacherTop],
        [s.student.top, e.studentTop],
      ] as const) {
        expect(side.map((c) => [c.index, c.label])).toEqual(want.map((c: any) => [c.index, c.label]));
        side.forEach((c, i) => expectClose(c.prob, want[i].prob, TOL));
      }
      const layer = (name: string) => s.layers.find((l) => l.teacher === name)!;
      expectClose(layer('feat').cosine!, e.layers.feat, TOL);
      expectClose(layer('conv').cosine!, e.layers.conv, TOL);
      expect(layer('wide')).toMatchObject({ cosine: null, teacherWidth: 8, studentWidth: 4, reason: 'widths differ (8 vs 4); cosine needs equal widths' });
      if (e.index === 4)
        expect(layer('zero')).toMatchObject({ cosine: null, reason: expect.stringMatching(/student's activations of this sample are all zero/) });
    });
  }

  it("the true class from the student capture's labels (read at the student's row), named; none without labels", () => {
    // The student rows are a permutation of the teacher's (aligned by id): label each student
    // row with a value derived from its id, so the truth of teacher row i must be that of its id.
    const ids = student.readIds('ids');
    const labels = Int32Array.from(ids, (id) => Number(id) % 5);
    const file = join(mkdtempSync(join(tmpdir(), 'krs-explain-')), 'student-labelled.npz');
    const w = new NpzWriter(file, ids.length);
    for (const key of student.keys()) w.append(key, student.read(key));
    w.append('labels', tensor(labels, [ids.length]));
    w.finish();
    const r = explainSamples({ teacher, student: openCapture(file), sample: 3, worst: 4, classes });
    const want = (id: string) => ({ key: 'labels', index: Number(id) % 5, label: classes[Number(id) % 5] });
    expect(r.sample!.truth).toEqual(want(r.sample!.id!));
    for (const x of r.worst!) expect(x.truth).toEqual(want(x.id!));
    expect(explainSamples({ teacher, student, sample: 3 }).sample!.truth).toBeNull();
  });

  it('by id, and the same answer as by index', () => {
    const a = explainSamples({ teacher, student, id: '1003' });
    const b = explainSamples({ teacher, student, sample: 3 });
    expect(a.sample).toEqual(b.sample);
    expect(a.sample!.teacher.top[0]!.label).toBeNull();
  });

  it('--worst N: samples ranked by KL, largest first', () => {
    const r = explainSamples({ teacher, student, worst: 5, classes });
    expect(r.sample).toBeNull();
    expect(r.worst!.map((w) => w.index)).toEqual(ex.worst.slice(0, 5).map((w: any) => w.index));
    r.worst!.forEach((w, i) => {
      expect(w.rank).toBe(i + 1);
      expect(w.id).toBe(ex.worst[i].id);
      expectClose(w.kl, ex.worst[i].kl, TOL);
    });
  });

  it('--pair picks layers; --k sets the list length', () => {
    const r = explainSamples({ teacher, student, sample: 0, pairs: ['feat:feat'], k: 5 });
    expect(r.sample!.layers.map((l) => l.teacher)).toEqual(['feat']);
    expect(r.sample!.teacher.top).toHaveLength(5);
    expect(r.sample!.topKOverlap).toBe(1);
  });

  it('bad requests throw one-line errors', async () => {
    await expectKrsError(() => explainSamples({ teacher, student }), 'BAD_OPTION', /sample I or id ID\) and\/or worst N/);
    await expectKrsError(() => explainSamples({ teacher, student, sample: 12 }), 'BAD_OPTION', /sample 12: expected a row index in \[0, 11\]/);
    await expectKrsError(() => explainSamples({ teacher, student, id: '7' }), 'UNKNOWN_KEY', /sample id '7' not found in 'ids'/);
    await expectKrsError(() => explainSamples({ teacher, student, sample: 0, pairs: ['feat:nope'] }), 'UNKNOWN_KEY', /student layer 'nope'/);
    await expectKrsError(() => explainSamples({ teacher, student, sample: 0, outputKey: 'feat', k: 0 }), 'BAD_OPTION', /invalid k 0/);
    await expectKrsError(() => explainSamples({ teacher, student, sample: 0, outputKey: 'conv' }), 'SHAPE_MISMATCH', /n × C/);
  });
});

describe('per-sample helpers', () => {
  it('sampleAgreement is klAgreement on one sample: the mean over samples is AOA', () => {
    const t = [2, 0, 0, 0, 1, 0];
    const s = [1, 0, 0, 0, 2, 0];
    const a = sampleAgreement(t.slice(0, 3), s.slice(0, 3));
    const b = sampleAgreement(t.slice(3), s.slice(3));
    const all = klAgreement(tensor(Float64Array.from(t), [2, 3]), tensor(Float64Array.from(s), [2, 3]));
    expectClose((a.agreement + b.agreement) / 2, all.aoa, 1e-14);
  });
  it('temperedProbabilities: logits and probabilities; topClasses: ties to the lower index', () => {
    const p = temperedProbabilities([1, 1, 0]);
    expectClose(p[0]!, Math.E / (2 * Math.E + 1), 1e-14);
    const q = temperedProbabilities([0.5, 0.25, 0.25], 1, 'probs');
    expectClose(q[0]!, 0.5, 1e-14);
    const sharp = temperedProbabilities([0.5, 0.25, 0.25], 0.5, 'probs');
    expectClose(sharp[0]!, 0.25 / (0.25 + 0.0625 * 2), 1e-14);
    expect(topClasses([1, 3, 3, 0], [0.1, 0.4, 0.4, 0.1], 3).map((c) => c.index)).toEqual([1, 2, 0]);
  });
});
