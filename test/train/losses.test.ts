import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import { distillationLoss, hardLoss, hintLoss, softTargetLoss } from '../../src/train/losses.js';
import { initTf, tf } from '../../src/train/tf.js';

beforeAll(() => initTf());

const B = 6;
const C = 10;
function randomMatrix(seed: number, rows: number, cols: number, scale: number): number[][] {
  const r = createRng(seed, 'losses');
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => (2 * r.next() - 1) * scale));
}
const logSoftmax = (z: number[], t: number) => {
  const s = z.map((v) => v / t);
  const m = Math.max(...s);
  const lse = m + Math.log(s.reduce((a, v) => a + Math.exp(v - m), 0));
  return s.map((v) => v - lse);
};
const value = (t: tf.Scalar) => t.dataSync()[0]!;

// Float64 references of the formulas in src/train/losses.ts.
const s = randomMatrix(1, B, C, 4);
const t = randomMatrix(2, B, C, 6);
const y = Array.from({ length: B }, (_, i) => (i * 3) % C);
const oneHot = y.map((c) => Array.from({ length: C }, (_, k) => (k === c ? 1 : 0)));
const refCe = -s.reduce((a, row, i) => a + logSoftmax(row, 1)[y[i]!]!, 0) / B;
const refKd = (T: number) =>
  (T *
    T *
    s.reduce((a, row, i) => {
      const lt = logSoftmax(t[i]!, T);
      const ls = logSoftmax(row, T);
      return a + lt.reduce((k, v, c) => k + Math.exp(v) * (v - ls[c]!), 0);
    }, 0)) /
  B;

describe('distillation losses (float32, against a float64 reference)', () => {
  it('hard loss is the mean softmax cross-entropy', () => {
    expect(value(hardLoss(tf.tensor2d(s), tf.tensor2d(oneHot)))).toBeCloseTo(refCe, 5);
  });

  it('soft-target loss is T²·mean KL(p_t^T ‖ p_s^T), zero when the logits agree', () => {
    for (const T of [1, 2, 4, 8]) expect(value(softTargetLoss(tf.tensor2d(s), tf.tensor2d(t), T)) / refKd(T)).toBeCloseTo(1, 5);
    expect(Math.abs(value(softTargetLoss(tf.tensor2d(t), tf.tensor2d(t), 4)))).toBeLessThan(1e-6);
  });

  it('distillation loss weights the two terms by 1 − λ and λ', () => {
    const got = value(distillationLoss(tf.tensor2d(s), tf.tensor2d(t), tf.tensor2d(oneHot), 4, 0.9));
    expect(got).toBeCloseTo(0.1 * refCe + 0.9 * refKd(4), 4);
    expect(value(distillationLoss(tf.tensor2d(s), tf.tensor2d(t), tf.tensor2d(oneHot), 4, 0))).toBeCloseTo(refCe, 5);
  });

  it('hint loss is ½·mean over samples of the squared distance', () => {
    const a = randomMatrix(3, 4, 5, 1);
    const b = randomMatrix(4, 4, 5, 1);
    const ref = (0.5 * a.reduce((acc, row, i) => acc + row.reduce((k, v, j) => k + (v - b[i]![j]!) ** 2, 0), 0)) / 4;
    expect(value(hintLoss(tf.tensor2d(a), tf.tensor2d(b)))).toBeCloseTo(ref, 5);
  });
});
