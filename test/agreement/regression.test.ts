import { describe, expect, it } from 'vitest';
import { type RegressionAgreementBatch, type RegressionAgreementOptions, regressionAgreement, regressionAgreementMeasure } from '../../src/agreement/index.js';
import type { Tensor } from '../../src/core/tensor.js';
import {
  checkMeasureProperties,
  closeResults,
  expectClose,
  expectFieldsClose,
  expectKrsError,
  f64,
  loadFixture,
  snapshotTensors,
  splitBatch,
} from './helpers.js';

interface Case {
  name: string;
  teacherShape: number[];
  teacher: number[];
  studentShape: number[];
  student: number[];
  options: RegressionAgreementOptions;
  expected: Record<string, unknown>;
}
const fx = loadFixture<{ cases: Case[] }>('regression.json');
const batchOf = (c: Case): RegressionAgreementBatch => ({ teacher: f64(c.teacher, c.teacherShape), student: f64(c.student, c.studentShape) });

describe('regressionAgreement against NumPy', () => {
  it.each(fx.cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const { teacher, student } = batchOf(c);
    const r = regressionAgreement(teacher, student, c.options);
    expect(r.metric).toBe('normalised-mse');
    expectFieldsClose(r as unknown as Record<string, unknown>, c.expected, c.name);
  });

  it('the variance survives a large offset in many small batches (Welford/Chan, not Σx² − (Σx)²)', () => {
    const c = fx.cases.find((x) => x.name.includes('offset'))!;
    const whole = batchOf(c);
    const m = regressionAgreementMeasure();
    const s = m.init();
    for (const b of splitBatch(
      whole as unknown as Record<string, Tensor>,
      Array.from({ length: 29 }, (_, i) => i + 1),
    )) {
      m.update(s, b as unknown as RegressionAgreementBatch);
    }
    expectClose(m.compute(s).normaliser, c.expected.normaliser as number, 'normaliser');
  });
});

describe('regressionAgreement behaviour', () => {
  it('doc example; rank 1 and n×1 agree', () => {
    const t = f64([1, 2, 3, 4], [4]);
    const s = f64([1, 2, 3, 5], [4]);
    const r = regressionAgreement(t, s);
    expectClose(r.aoa, 80, 'aoa');
    expect(r.normaliserSource).toBe('teacher-variance');
    expect(regressionAgreement(f64([1, 2, 3, 4], [4, 1]), f64([1, 2, 3, 5], [4, 1]))).toEqual(r);
    expect(regressionAgreement(t, f64([1, 2, 3, 5], [4, 1]))).toEqual(r);
  });
  it('a constant teacher is fine with mseMax', () => {
    const r = regressionAgreement(f64([2, 2, 2], [3]), f64([2, 3, 2], [3]), { mseMax: 1 });
    expectClose(r.aoa, (1 - 1 / 3) * 100, 'aoa');
    expect(r.normaliserSource).toBe('mse-max');
  });
});

describe('regressionAgreementMeasure properties', () => {
  for (const idx of [2, 4, 6]) {
    it(`k batches = one shot, shards merge, reset, inputs unchanged, JSON (${fx.cases[idx]!.name})`, () => {
      const c = fx.cases[idx]!;
      const whole = batchOf(c);
      const n = whole.teacher.shape[0]!;
      const batches = splitBatch(whole as unknown as Record<string, Tensor>, [1, 7, n - 3]) as unknown as RegressionAgreementBatch[];
      checkMeasureProperties({
        measure: regressionAgreementMeasure(c.options),
        whole,
        batches,
        shards: [[batches[0]!], [batches[1]!, batches[2]!], [batches[3]!]],
        snapshot: (b) => snapshotTensors(b as unknown as Record<string, Tensor>),
        compare: closeResults(1e-11),
      });
    });
  }
});

describe('regressionAgreement bad input', () => {
  it('constant teacher without mseMax is undefined and suggests --mse-max', () => {
    expectKrsError(() => regressionAgreement(f64([0.1, 0.1, 0.1], [3]), f64([0, 1, 2], [3])), 'UNDEFINED', 'constant', 'variance', 'mseMax');
    // constant on every output of n×2
    expectKrsError(() => regressionAgreement(f64([1, 5, 1, 5], [2, 2]), f64([0, 0, 0, 0], [2, 2])), 'UNDEFINED', 'mseMax');
    // one sample: variance 0 too
    expectKrsError(() => regressionAgreement(f64([3], [1]), f64([3], [1])), 'UNDEFINED', 'constant');
  });
  it('bad mseMax', () => {
    for (const v of [0, -1, NaN, Infinity]) expectKrsError(() => regressionAgreementMeasure({ mseMax: v }), 'BAD_OPTION', 'mseMax');
  });
  it('mismatched sample counts and shapes; outputs changing across batches', () => {
    expectKrsError(() => regressionAgreement(f64([1, 2, 3], [3]), f64([1, 2], [2])), 'SHAPE_MISMATCH', 'teacher has 3 samples, student has 2');
    expectKrsError(() => regressionAgreement(f64([1, 2, 3, 4], [2, 2]), f64([1, 2], [2, 1])), 'SHAPE_MISMATCH', '[2, 2]', '[2, 1]');
    const m = regressionAgreementMeasure();
    const s = m.init();
    m.update(s, { teacher: f64([1, 2], [2]), student: f64([1, 2], [2]) });
    expectKrsError(() => m.update(s, { teacher: f64([1, 2, 3, 4], [2, 2]), student: f64([1, 2, 3, 4], [2, 2]) }), 'SHAPE_MISMATCH', '1 outputs');
  });
  it('NaN / Inf', () => {
    expectKrsError(() => regressionAgreement(f64([1, NaN], [2]), f64([1, 2], [2])), 'NON_FINITE', 'teacher outputs');
    expectKrsError(() => regressionAgreement(f64([1, 2], [2]), f64([1, -Infinity], [2])), 'NON_FINITE', 'student outputs', '-Infinity');
  });
  it('no samples; mismatched states', () => {
    const m = regressionAgreementMeasure();
    expectKrsError(() => m.compute(m.init()), 'UNDEFINED', 'no samples');
    const o = regressionAgreementMeasure({ mseMax: 2 });
    expectKrsError(() => m.merge(m.init(), o.init()), 'BAD_OPTION', 'mseMax');
    expectKrsError(() => m.fromJSON({ ...(m.toJSON(m.init()) as object), d: 2, n: 3 }), 'BAD_VALUE', 'mean', '2 entries');
  });
});
