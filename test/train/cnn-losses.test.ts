import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import { attentionMap, attentionTransferLoss, convHintLoss, convRegressor, convRegressorFrom, normalisedAttention } from '../../src/train/cnn/losses.js';
import { initTf, tf } from '../../src/train/tf.js';
import { expectKrsError, loadJson } from '../helpers/fixtures.js';

// NumPy references of the formulas: test/fixtures/cnn-losses/make_fixtures.py.
interface Arr {
  shape: number[];
  data: number[];
}
const ref = loadJson('cnn-losses/cnn-losses.json');
const t4 = (a: Arr): tf.Tensor4D => tf.tensor4d(a.data, a.shape as [number, number, number, number]);
const value = (t: tf.Scalar) => t.dataSync()[0]!;

/** Every value within 1e-5 of the reference, relative to the larger of 1 and the reference's largest magnitude. */
function expectAllClose(got: ArrayLike<number>, want: readonly number[]): void {
  expect(got.length).toBe(want.length);
  const scale = Math.max(1, ...want.map(Math.abs));
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
  expect(worst / scale).toBeLessThan(1e-5);
}
const expectNear = (got: number, want: number) => expect(Math.abs(got - want) / Math.max(1, Math.abs(want))).toBeLessThan(1e-5);

beforeAll(() => initTf());

describe('attention transfer (float32 on wasm, against NumPy)', () => {
  let s: tf.Tensor4D[] = [];
  let t: tf.Tensor4D[] = [];
  beforeAll(() => {
    s = ref.at.student.map(t4);
    t = ref.at.teacher.map(t4);
  });

  it('the attention map is Σ_c A_c² flattened over h·w, normalised per sample (a dead sample stays zero)', () => {
    expectAllClose(attentionMap(s[0]!).dataSync(), ref.at.map1);
    expect(attentionMap(s[0]!).shape).toEqual([3, 36]);
    expectAllClose(normalisedAttention(s[0]!).dataSync(), ref.at.normalised1);
    const n2 = normalisedAttention(s[1]!).dataSync();
    expectAllClose(n2, ref.at.normalised2);
    expect(Array.from(n2.slice(9, 18))).toEqual(new Array(9).fill(0));
  });

  it('p = 3 uses |A|³', () => {
    expectAllClose(attentionMap(t[1]!, 3).dataSync(), ref.at.mapTeacher2P3);
    expectAllClose(normalisedAttention(t[1]!, 3).dataSync(), ref.at.normalisedTeacher2P3);
  });

  it('the loss is β/2 · Σ_stages mean_b ‖q_S − q_T‖₂', () => {
    const qt = t.map((a) => normalisedAttention(a));
    expectNear(value(attentionTransferLoss(s, qt, ref.at.beta)), ref.at.loss);
    expectNear(value(attentionTransferLoss([s[0]!], [qt[0]!], ref.at.beta)), ref.at.lossStage1);
    const qt3 = t.map((a) => normalisedAttention(a, 3));
    expectNear(value(attentionTransferLoss(s, qt3, ref.at.beta, 3)), ref.at.lossP3);
  });

  it('is zero, with a finite zero gradient, when the maps agree (whatever the channel counts)', () => {
    const a = s[0]!;
    const wider = tf.concat([a, tf.zeros([3, 6, 6, 3])], 3) as tf.Tensor4D;
    const qt = [normalisedAttention(wider)];
    expect(value(attentionTransferLoss([a], qt, 2))).toBeLessThan(1e-6);
    const g = tf
      .grad((x: tf.Tensor) => attentionTransferLoss([x as tf.Tensor4D], qt, 2))(a)
      .dataSync();
    expect(g.every((v) => Number.isFinite(v) && Math.abs(v) < 1e-3)).toBe(true);
  });

  it('refuses maps of different spatial sizes or counts', async () => {
    const qt = t.map((a) => normalisedAttention(a));
    await expectKrsError(() => attentionTransferLoss([s[1]!, s[0]!], qt, 1), 'SHAPE_MISMATCH', /36 positions/, /\[3, 3, 3, 4\]/);
    await expectKrsError(() => attentionTransferLoss([s[0]!], qt, 1), 'SHAPE_MISMATCH', /1 student and 2 teacher/);
  });
});

describe('FitNet hint on a conv stage (float32 on wasm, against NumPy)', () => {
  it('the 1×1-conv regressor maps every position by the kernel plus bias, and the loss is ½ · mean_b ‖r(A_S) − A_T‖²', () => {
    const f = ref.fitnet;
    const r = convRegressorFrom(Float32Array.from(f.kernel), Float32Array.from(f.bias), 4, 7);
    try {
      const out = r.apply(t4(f.student) as tf.Tensor4D);
      expect(out.shape).toEqual([3, 5, 5, 7]);
      expectAllClose(out.dataSync(), f.regressed);
      expectNear(value(convHintLoss(out, t4(f.teacher) as tf.Tensor4D)), f.loss);
      expect(r.variables.length).toBe(2);
    } finally {
      r.dispose();
    }
  });

  it('draws a Glorot-uniform kernel from the seed and a zero bias', () => {
    const a = convRegressor(4, 12, createRng(3, 'fitnet-regressor'));
    const b = convRegressor(4, 12, createRng(3, 'fitnet-regressor'));
    try {
      const k = a.kernel.dataSync();
      expect(Array.from(b.kernel.dataSync())).toEqual(Array.from(k));
      expect(Math.max(...Array.from(k, Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 16));
      expect(Array.from(a.bias.dataSync())).toEqual(new Array(12).fill(0));
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('refuses a stage of the wrong shape', async () => {
    const r = convRegressor(4, 7, createRng(1, 'r'));
    try {
      await expectKrsError(() => r.apply(tf.zeros([2, 5, 5, 3]) as tf.Tensor4D), 'SHAPE_MISMATCH', /4 channels/);
      await expectKrsError(
        () => convHintLoss(tf.zeros([2, 5, 5, 7]) as tf.Tensor4D, tf.zeros([2, 4, 4, 7]) as tf.Tensor4D),
        'SHAPE_MISMATCH',
        /\[2, 4, 4, 7\]/,
      );
    } finally {
      r.dispose();
    }
  });
});
