/**
 * The dense networks' losses against the NumPy reference of
 * test/fixtures/dense/make_fixtures.py (float64 on float32 inputs), to 1e-5 relative.
 */
import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { detectionLoss, focalHeatmapLoss, maskedL1Loss, outputDistillLoss } from '../../src/train/dense/det-losses.js';
import { affinityLoss, affinityMatrix, hintLoss, imitationLoss } from '../../src/train/dense/feature-losses.js';
import { pixelCrossEntropy, pixelKdLoss } from '../../src/train/dense/seg-losses.js';
import { tf } from '../../src/train/tf.js';

const fx = JSON.parse(readFileSync(new URL('../fixtures/dense/fixtures.json', import.meta.url), 'utf8'));

beforeAll(async () => {
  await tf.setBackend('cpu');
});

type Shape4 = [number, number, number, number];
const t4 = (values: number[], shape: number[]) => tf.tensor4d(values, shape as Shape4);
const value = (s: tf.Scalar) => s.dataSync()[0]!;
/** |got − want| ≤ 1e-5 · max(1, |want|). */
function close(got: number, want: number, tol = 1e-5): void {
  expect(Number.isFinite(got)).toBe(true);
  expect(Math.abs(got - want)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want)));
}

describe('detection losses', () => {
  const f = fx.focal;
  const r = fx.regression;
  it('penalty-reduced focal loss (α 2, β 4; α 1, β 2; no exact peak → divided by 1)', () => {
    close(value(focalHeatmapLoss(t4(f.logits, f.shape), t4(f.target, f.shape))), f.loss);
    close(value(focalHeatmapLoss(t4(f.logits, f.shape), t4(f.target, f.shape), { alpha: 1, beta: 2 })), f.lossAlpha1Beta2);
    close(value(focalHeatmapLoss(t4(f.logits, f.shape), t4(f.targetNoPeaks, f.shape))), f.lossNoPeaks);
  });

  it('masked L1 of size and offset, and the weighted detection loss', () => {
    const m = t4(r.centreMask, [2, 6, 6, 1]);
    close(value(maskedL1Loss(t4(r.sizePred, r.shape), t4(r.sizeTarget, r.shape), m)), r.sizeL1);
    close(value(maskedL1Loss(t4(r.offPred, r.shape), t4(r.offTarget, r.shape), m)), r.offsetL1);
    const heads = { heatmapLogits: t4(f.logits, f.shape), size: t4(r.sizePred, r.shape), offset: t4(r.offPred, r.shape) };
    const target = { heatmap: t4(f.target, f.shape), size: t4(r.sizeTarget, r.shape), offset: t4(r.offTarget, r.shape), centreMask: m };
    close(value(detectionLoss(heads, target)), r.detectionLoss);
  });

  it('output distillation: sigmoid-heatmap squared error over objects + size and offset L1 at the centres', () => {
    const k = fx.outputKd;
    const m = t4(r.centreMask, [2, 6, 6, 1]);
    const student = { heatmapLogits: t4(f.logits, f.shape), size: t4(r.sizePred, r.shape), offset: t4(r.offPred, r.shape) };
    const teacher = { heatmapLogits: t4(k.teacherLogits, f.shape), size: t4(k.teacherSize, r.shape), offset: t4(k.teacherOffset, r.shape) };
    close(value(outputDistillLoss(student, teacher, m)), k.loss);
    expect(Math.abs(value(outputDistillLoss(student, student, m)))).toBeLessThan(1e-7);
  });

  it('the focal loss is finite for extreme logits (±80) and has finite gradients', () => {
    const z = tf.tensor4d([80, -80, 80, -80], [1, 2, 2, 1]);
    const y = tf.tensor4d([1, 0, 0.5, 1], [1, 2, 2, 1]);
    expect(Number.isFinite(value(focalHeatmapLoss(z, y)))).toBe(true);
    const g = tf.grad((zz: tf.Tensor) => focalHeatmapLoss(zz as tf.Tensor4D, y))(z);
    expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
  });
});

describe('feature losses', () => {
  const f = fx.features;
  it('FitNet hint: mean squared error', () => {
    close(value(hintLoss(t4(f.student, f.shape), t4(f.teacher, f.shape))), f.hint);
  });

  it('imitation: masked squared error over 2·Σmask (0/1 mask, soft mask, empty mask → 0)', () => {
    const m = (v: number[]) => t4(v, [2, 5, 5, 1]);
    close(value(imitationLoss(t4(f.student, f.shape), t4(f.teacher, f.shape), m(f.mask))), f.imitation);
    close(value(imitationLoss(t4(f.student, f.shape), t4(f.teacher, f.shape), m(f.softMask))), f.imitationSoft);
    close(value(imitationLoss(t4(f.student, f.shape), t4(f.teacher, f.shape), m(f.mask.map(() => 0)))), f.imitationEmptyMask);
  });

  it('pair-wise affinity: cosine matrices and their mean squared difference (β 1 and 2), zero vectors give 0', () => {
    const a = fx.affinity;
    const s = t4(a.student, a.studentShape);
    const t = t4(a.teacher, a.teacherShape);
    const mat = affinityMatrix(s, 1).dataSync();
    expect(mat.length).toBe(a.matrixStudentPatch1.length);
    a.matrixStudentPatch1.forEach((v: number, i: number) => close(mat[i]!, v));
    close(value(affinityLoss(s, t, 1)), a.lossPatch1);
    close(value(affinityLoss(s, t, 2)), a.lossPatch2);
    const g = tf.grad((x: tf.Tensor) => affinityLoss(x as tf.Tensor4D, t, 1))(s);
    expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
  });

  it('shape mismatches are one-line SHAPE_MISMATCH errors', () => {
    const s = tf.zeros([1, 4, 4, 2]) as tf.Tensor4D;
    expect(() => hintLoss(s, tf.zeros([1, 4, 4, 3]) as tf.Tensor4D)).toThrow(/regressed student stage: expected \[1, 4, 4, 3\]/);
    expect(() => affinityLoss(s, tf.zeros([1, 2, 2, 2]) as tf.Tensor4D)).toThrow(/SHAPE_MISMATCH|student stage for affinity/);
    expect(() => affinityMatrix(s, 3)).toThrow(/multiples of the patch 3/);
    expect(() => imitationLoss(s, s, tf.zeros([1, 4, 4, 2]) as tf.Tensor4D)).toThrow(/imitation mask/);
  });
});

describe('segmentation losses', () => {
  const p = fx.pixel;
  it('pixel-wise cross-entropy', () => {
    close(value(pixelCrossEntropy(t4(p.student, p.shape), tf.tensor3d(p.labels, [2, 4, 4], 'int32'))), p.ce);
  });

  it('pixel-wise KD: T²·mean per-pixel KL(p_t ‖ p_s) for T = 1, 2, 4, 8; zero for equal logits', () => {
    for (const T of [1, 2, 4, 8]) close(value(pixelKdLoss(t4(p.student, p.shape), t4(p.teacher, p.shape), T)), p.kd[String(T)]);
    expect(Math.abs(value(pixelKdLoss(t4(p.teacher, p.shape), t4(p.teacher, p.shape), 4)))).toBeLessThan(1e-6);
    expect(() => pixelKdLoss(t4(p.student, p.shape), t4(p.teacher, p.shape), 0)).toThrow(/temperature/);
  });
});
