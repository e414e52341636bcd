/**
 * The segmentation study's class-weighted pixel cross-entropy and median-frequency weights
 * against the NumPy reference of test/fixtures/dense/make_seg_fixtures.py, to 1e-5 relative.
 */
import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { medianFrequencyWeights, pixelCrossEntropy } from '../../src/train/dense/seg-losses.js';
import { tf } from '../../src/train/tf.js';
import { expectKrsError } from '../helpers/fixtures.js';

const fx = JSON.parse(readFileSync(new URL('../fixtures/dense/seg-fixtures.json', import.meta.url), 'utf8'));

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const [b, h, w, c] = fx.shape as [number, number, number, number];
const logits = () => tf.tensor4d(fx.logits, [b, h, w, c]);
const labels = () => tf.tensor3d(fx.labels, [b, h, w], 'int32');
const value = (s: tf.Scalar) => s.dataSync()[0]!;
function close(got: number, want: number, tol = 1e-5): void {
  expect(Number.isFinite(got)).toBe(true);
  expect(Math.abs(got - want)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want)));
}

describe('class-weighted pixel cross-entropy', () => {
  it('equals Σ w[y]·CE / Σ w[y] of the reference', () => {
    close(value(pixelCrossEntropy(logits(), labels(), tf.tensor1d(fx.weights))), fx.weighted_ce);
  });

  it('is the unweighted mean without weights and with uniform weights', () => {
    close(value(pixelCrossEntropy(logits(), labels())), fx.uniform_ce);
    close(value(pixelCrossEntropy(logits(), labels(), tf.ones([c]) as tf.Tensor1D)), fx.uniform_ce);
  });

  it('gives 0, not NaN, when every pixel weighs 0', () => {
    expect(value(pixelCrossEntropy(logits(), labels(), tf.zeros([c]) as tf.Tensor1D))).toBe(0);
  });

  it('refuses weights of the wrong length', async () => {
    await expectKrsError(() => pixelCrossEntropy(logits(), labels(), tf.ones([c + 1]) as tf.Tensor1D), 'SHAPE_MISMATCH', /class weights/);
  });
});

describe('median-frequency class weights', () => {
  it('match the reference at powers 0, ½ and 1 (an absent class weighs 1)', () => {
    for (const p of [0, 0.5, 1]) {
      const got = medianFrequencyWeights(fx.labels, c, p);
      const want = fx.median_frequency[String(p)] as number[];
      expect(got).toHaveLength(c);
      got.forEach((v, k) => close(v, want[k]!));
    }
  });

  it('refuses labels out of range and a bad power in one line', async () => {
    await expectKrsError(() => medianFrequencyWeights([0, 1, 6], c), 'BAD_VALUE', /flat index 2/);
    await expectKrsError(() => medianFrequencyWeights([0, 1], c, -1), 'BAD_OPTION', /classWeightPower/);
  });
});
