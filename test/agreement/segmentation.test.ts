import { describe, expect, it } from 'vitest';
import {
  type SegmentationAgreementBatch,
  type SegmentationAgreementOptions,
  segmentationAgreement,
  segmentationAgreementMeasure,
} from '../../src/agreement/index.js';
import type { DType, NumericArray, Tensor } from '../../src/core/tensor.js';
import { checkMeasureProperties, closeResults, expectFieldsClose, expectKrsError, loadFixture, snapshotTensors, splitBatch } from './helpers.js';

interface Arr {
  shape: number[];
  dtype: DType;
  data: number[];
}
interface Case {
  name: string;
  teacher: Arr;
  student: Arr;
  options: SegmentationAgreementOptions;
  expected: Record<string, unknown>;
}
const fx = loadFixture<{ cases: Case[] }>('segmentation.json');

function tensorOf(a: Arr): Tensor {
  const ctors: Partial<Record<DType, { from(x: number[]): NumericArray }>> = {
    uint8: Uint8Array,
    int32: Int32Array,
    float64: Float64Array,
    float32: Float32Array,
  };
  return { dtype: a.dtype, shape: a.shape, data: ctors[a.dtype]!.from(a.data) };
}
const labels = (data: number[], shape: number[], dtype: DType = 'uint8'): Tensor => tensorOf({ data, shape, dtype });

describe('segmentationAgreement against NumPy', () => {
  it.each(fx.cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const r = segmentationAgreement(tensorOf(c.teacher), tensorOf(c.student), c.options);
    expect(r.metric).toBe('miou');
    expectFieldsClose(r as unknown as Record<string, unknown>, c.expected, c.name);
  });

  it('covers ignore pixels, one-sided classes and logits', () => {
    const first = fx.cases[0]!.expected as { perClassIou: Record<string, number> };
    expect(first.perClassIou['9']).toBe(0); // student-only class
    expect(first.perClassIou['6']).toBe(0); // teacher-only class
    expect(fx.cases.some((c) => c.teacher.shape.length === 4)).toBe(true);
  });
});

describe('segmentationAgreement behaviour', () => {
  it('doc example; student ignore label is a miss, not a class', () => {
    const t = labels([0, 0, 1, 255], [1, 2, 2]);
    const s = labels([0, 1, 1, 1], [1, 2, 2]);
    const r = segmentationAgreement(t, s);
    expect(r.aoa).toBe(50);
    expect(r.perClassIou).toEqual({ '0': 0.5, '1': 0.5 });
    expect(r.pixels).toBe(3);
    const r2 = segmentationAgreement(labels([0, 1], [1, 1, 2]), labels([255, 1], [1, 1, 2]));
    expect(r2.perClassIou).toEqual({ '0': 0, '1': 1 });
    expect(r2.pixelAgreement).toBe(0.5);
  });

  it('argmax ties go to the lowest class; channels-first and channels-last agree', () => {
    // one image 1×2, C = 3: pixel 0 scores [1, 1, 0] → 0; pixel 1 [0, 2, 2] → 1
    const cf = { dtype: 'float32' as const, shape: [1, 3, 1, 2], data: Float32Array.from([1, 0, 1, 2, 0, 2]) };
    const cl = { dtype: 'float32' as const, shape: [1, 1, 2, 3], data: Float32Array.from([1, 1, 0, 0, 2, 2]) };
    const ref = labels([0, 1], [1, 1, 2]);
    expect(segmentationAgreement(ref, cf).aoa).toBe(100);
    expect(segmentationAgreement(ref, cl, { channelsLast: true }).aoa).toBe(100);
  });

  it('int64 label maps and float label maps with integer values load', () => {
    const t: Tensor = { dtype: 'int64', shape: [1, 1, 3], data: BigInt64Array.from([0n, 1n, 2n]) };
    const s: Tensor = { dtype: 'float32', shape: [1, 1, 3], data: Float32Array.from([0, 1, 1]) };
    const r = segmentationAgreement(t, s);
    expect(r.perClassIou).toEqual({ '0': 1, '1': 0.5, '2': 0 });
  });
});

describe('segmentationAgreementMeasure properties', () => {
  for (const idx of [0, 3]) {
    it(`k batches = one shot, shards merge, reset, inputs unchanged, JSON (${fx.cases[idx]!.name})`, () => {
      const c = fx.cases[idx]!;
      const whole: SegmentationAgreementBatch = { teacher: tensorOf(c.teacher), student: tensorOf(c.student) };
      const batches = splitBatch(whole as unknown as Record<string, Tensor>, [1, 2]) as unknown as SegmentationAgreementBatch[];
      checkMeasureProperties({
        measure: segmentationAgreementMeasure(c.options),
        whole,
        batches,
        shards: [[batches[0]!], [batches[1]!, batches[2]!]],
        snapshot: (b) => snapshotTensors(b as unknown as Record<string, Tensor>),
        compare: closeResults(1e-12),
      });
    });
  }
  it('image size may change between batches', () => {
    const m = segmentationAgreementMeasure();
    const s = m.init();
    m.update(s, { teacher: labels([0, 1], [1, 1, 2]), student: labels([0, 1], [1, 1, 2]) });
    m.update(s, { teacher: labels([2, 2, 2], [1, 3, 1]), student: labels([2, 2, 0], [1, 3, 1]) });
    const r = m.compute(s);
    expect(r.n).toBe(2);
    expect(r.perClassIou).toEqual({ '0': 0.5, '1': 1, '2': 2 / 3 });
  });
});

describe('segmentationAgreement bad input', () => {
  it('label maps of different sizes', () => {
    expectKrsError(
      () => segmentationAgreement(labels([0, 1, 2, 3], [1, 2, 2]), labels([0, 1, 2, 3, 4, 5], [1, 2, 3])),
      'SHAPE_MISMATCH',
      'height × width',
      '2×2',
      '2×3',
    );
    const logits = { dtype: 'float32' as const, shape: [1, 4, 2, 3], data: new Float32Array(24) };
    expectKrsError(() => segmentationAgreement(labels([0, 1, 2, 3], [1, 2, 2]), logits), 'SHAPE_MISMATCH', '2×3');
  });
  it('mismatched sample counts and bad ranks', () => {
    expectKrsError(() => segmentationAgreement(labels([0, 1], [2, 1, 1]), labels([0], [1, 1, 1])), 'SHAPE_MISMATCH', 'teacher has 2 samples, student has 1');
    expectKrsError(() => segmentationAgreement(labels([0, 1], [1, 2]), labels([0, 1], [1, 2])), 'SHAPE_MISMATCH', 'teacher', '[1, 2]');
  });
  it('negative, fractional and too-large labels', () => {
    expectKrsError(() => segmentationAgreement(labels([0, -1], [1, 1, 2], 'int32'), labels([0, 1], [1, 1, 2])), 'BAD_VALUE', 'teacher label map', '-1');
    expectKrsError(() => segmentationAgreement(labels([0, 1], [1, 1, 2]), labels([0, 1.5], [1, 1, 2], 'float64')), 'BAD_VALUE', 'student label map', '1.5');
    expectKrsError(() => segmentationAgreement(labels([0, 70000], [1, 1, 2], 'int32'), labels([0, 1], [1, 1, 2])), 'BAD_VALUE', '70000');
  });
  it('NaN in logits', () => {
    const logits = { dtype: 'float64' as const, shape: [1, 2, 1, 1], data: Float64Array.from([0, NaN]) };
    expectKrsError(() => segmentationAgreement(labels([0], [1, 1, 1]), logits), 'NON_FINITE', 'student segmentation scores');
  });
  it('no non-ignored pixels is undefined', () => {
    expectKrsError(() => segmentationAgreement(labels([255, 255], [1, 1, 2]), labels([0, 1], [1, 1, 2])), 'UNDEFINED', 'ignore label 255');
    const m = segmentationAgreementMeasure();
    expectKrsError(() => m.compute(m.init()), 'UNDEFINED', 'no images');
  });
  it('bad options and mismatched states', () => {
    expectKrsError(() => segmentationAgreementMeasure({ ignoreLabel: 2.5 }), 'BAD_OPTION', 'ignoreLabel');
    const a = segmentationAgreementMeasure();
    const b = segmentationAgreementMeasure({ ignoreLabel: null });
    expectKrsError(() => a.merge(a.init(), b.init()), 'BAD_OPTION', 'ignoreLabel');
    expectKrsError(() => a.fromJSON({ ...(a.toJSON(a.init()) as object), counts: [[1, 5, 2, 2]] }), 'BAD_VALUE', 'inconsistent');
  });
});
