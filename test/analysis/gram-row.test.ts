/**
 * The per-sample Gram-row correlation of `krs explain` against NumPy, which forms the centred
 * n × n Gram matrices H X Xᵀ H explicitly (test/fixtures/gram-row/make_gram_row_fixtures.py):
 * layers of different widths, an offset, gap pooling, students in another row order (aligned by
 * ids), every batch size, a constant layer.
 */
import { describe, expect, it } from 'vitest';
import { explainSamples } from '../../src/analysis/explain.js';
import { gramRowCorrelations } from '../../src/analysis/gram-row.js';
import { openCapture } from '../../src/io/node-capture.js';
import { alignIds } from '../../src/krs/align.js';
import { expectClose, fixturePath, loadJson } from '../helpers/fixtures.js';

const ex = loadJson('gram-row/expected.json');
const teacher = openCapture(fixturePath('gram-row/teacher.npz'));
const student = openCapture(fixturePath('gram-row/student.npz'));
const { studentRowOf } = alignIds(teacher.readIds('ids'), student.readIds('ids'), 'teacher', 'student');
const all = Array.from({ length: 40 }, (_, i) => i);

describe('gramRowCorrelations', () => {
  it('equals NumPy on every sample, widths 12 vs 5, features offset by 50, student rows permuted', () => {
    expect(studentRowOf).not.toBeNull();
    const want: number[] = ex.flatten['fc:fc'];
    for (const batchRows of [1, 7, 40, 1024]) {
      const r = gramRowCorrelations(teacher, student, { teacher: 'fc', student: 'fc' }, all, studentRowOf, { batchRows });
      expect([r.teacherWidth, r.studentWidth]).toEqual([12, 5]);
      r.values.forEach((v, i) => expectClose(v.value!, want[i]!, 1e-9));
    }
    // Distinct samples get distinct values: this is not a constant.
    expect(new Set(want.map((v) => v.toFixed(6))).size).toBe(40);
  });

  it('gap-pooled 4-D maps (width 3) against a width-4 layer', () => {
    const want: number[] = ex.gap['map:z'];
    const r = gramRowCorrelations(teacher, student, { teacher: 'map', student: 'z' }, all, studentRowOf, { pool: 'gap', batchRows: 16 });
    expect([r.teacherWidth, r.studentWidth]).toEqual([3, 4]);
    r.values.forEach((v, i) => expectClose(v.value!, want[i]!, 1e-9));
  });

  it('a constant layer has no Gram row: null with a reason', () => {
    const r = gramRowCorrelations(teacher, student, { teacher: 'const', student: 'const' }, [0, 5], studentRowOf);
    for (const v of r.values) {
      expect(v).toEqual({ value: null, reason: "the sample's centred teacher features are zero (it sits at the layer's mean, or the layer is constant)" });
    }
  });

  it('would differ without the alignment: the rows are paired by id, not by position', () => {
    const r = gramRowCorrelations(teacher, student, { teacher: 'fc', student: 'fc' }, [3], null);
    expect(Math.abs(r.values[0]!.value! - ex.flatten['fc:fc'][3])).toBeGreaterThan(0.05);
  });
});

describe('krs explain shows it next to the cosine', () => {
  it('one sample: gram r for every pair, cosine only where widths match', () => {
    const r = explainSamples({ teacher, student, sample: 9, pairs: ['fc:fc', 'const:const'] });
    const [fc, cst] = r.sample!.layers;
    expect(fc).toMatchObject({ teacherWidth: 12, studentWidth: 5, cosine: null, gramReason: null });
    expectClose(fc!.gramCorrelation!, ex.flatten['fc:fc'][9], 1e-9);
    expect(cst).toMatchObject({ gramCorrelation: null, cosine: expect.any(Number) });
    expect(cst!.gramReason).toMatch(/centred teacher features are zero/);
    expect(r.teacherKind).toBe('logits');
    expect(r.kinds.student).toMatchObject({ kind: 'logits', source: 'values' });
  });

  it('--worst N lists it for each listed sample', () => {
    const r = explainSamples({ teacher, student, worst: 5, pairs: ['fc:fc'] });
    expect(r.worst).toHaveLength(5);
    for (const w of r.worst!) {
      expect(w.layers).toHaveLength(1);
      expectClose(w.layers![0]!.gramCorrelation!, ex.flatten['fc:fc'][w.index], 1e-9);
    }
  });
});
