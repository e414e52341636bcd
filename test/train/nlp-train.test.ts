import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import { Encoder } from '../../src/train/nlp/encoder.js';
import { createProjection, distilBertLoss } from '../../src/train/nlp/losses.js';
import { accuracyOf, type LabelledSet, predictLogits, trainEncoder, warmupCosineRate } from '../../src/train/nlp/train.js';
import { initTf } from '../../src/train/tf.js';

beforeAll(() => initTf());

/** A toy task: label 1 when token 5 occurs among the real tokens. */
function toySet(n: number, seed: number): LabelledSet {
  const t = 8;
  const r = createRng(seed, 'nlp-toy');
  const inputIds = new Int32Array(n * t);
  const attentionMask = new Int32Array(n * t);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const len = 3 + r.int(t - 2);
    labels[i] = i % 2;
    for (let k = 0; k < len; k++) {
      inputIds[i * t + k] = k === 0 ? 2 : 6 + r.int(10);
      attentionMask[i * t + k] = 1;
    }
    if (labels[i]) inputIds[i * t + 1 + r.int(len - 1)] = 5;
  }
  return { n, maxLength: t, inputIds, attentionMask, labels };
}

describe('training an encoder', () => {
  it('warms up linearly, then decays by a cosine to 0', () => {
    expect(warmupCosineRate(1, 0, 100, 10)).toBeCloseTo(0.1);
    expect(warmupCosineRate(1, 9, 100, 10)).toBeCloseTo(1);
    expect(warmupCosineRate(1, 10, 100, 10)).toBeCloseTo(1);
    expect(warmupCosineRate(1, 55, 100, 10)).toBeCloseTo(0.5);
    expect(warmupCosineRate(1, 5, 100, 0)).toBeCloseTo(0.5 * (1 + Math.cos((Math.PI * 5) / 100)));
  });

  it('learns a toy task, deterministically per seed', async () => {
    const run = async () => {
      const enc = Encoder.create({ name: 'toy', layers: 1, heads: 2, width: 16, vocabSize: 16, maxLength: 8 }, 1);
      const losses = await trainEncoder({ encoder: enc, data: toySet(128, 1), epochs: 6, batchSize: 16, learningRate: 3e-3, order: createRng(1, 'order') });
      const test = toySet(64, 2);
      const acc = accuracyOf(predictLogits(enc, test), test.labels);
      enc.dispose();
      return { losses, acc };
    };
    const a = await run();
    expect(a.losses.at(-1)!).toBeLessThan(a.losses[0]!);
    expect(a.acc).toBeGreaterThan(0.9);
    expect(await run()).toEqual(a);
  });

  it('distils a teacher into a narrower student (DistilBERT loss, the projection trained with it)', async () => {
    const data = toySet(128, 1);
    const teacher = Encoder.create({ name: 'toy-teacher', layers: 2, heads: 2, width: 32, vocabSize: 16, maxLength: 8 }, 1);
    await trainEncoder({ encoder: teacher, data, epochs: 6, batchSize: 16, learningRate: 3e-3, order: createRng(1, 'order') });
    const student = Encoder.create({ name: 'toy-student', layers: 1, heads: 2, width: 16, vocabSize: 16, maxLength: 8 }, 2);
    const projection = createProjection(16, 32, 1, 'toy');
    const before = projection.kernel.dataSync().slice();
    const losses = await trainEncoder({
      encoder: student,
      teacher,
      data,
      extraVariables: [projection.kernel, projection.bias],
      loss: (out, batch, t) => distilBertLoss(out, t!, batch.oneHot, batch.attentionMask, { projection }).total,
      epochs: 10,
      batchSize: 16,
      learningRate: 3e-3,
      order: createRng(1, 'order-student'),
    });
    expect(losses.at(-1)!).toBeLessThan(losses[0]!);
    expect(projection.kernel.dataSync()).not.toEqual(before);
    const test = toySet(64, 2);
    expect(accuracyOf(predictLogits(student, test), test.labels)).toBeGreaterThan(0.8);
    for (const m of [teacher, student]) m.dispose();
  });

  it('refuses bad settings and an empty set to score', async () => {
    const enc = Encoder.create({ name: 'toy', layers: 1, heads: 1, width: 4, vocabSize: 16, maxLength: 8 }, 1);
    await expect(trainEncoder({ encoder: enc, data: toySet(4, 1), epochs: 0, batchSize: 2, learningRate: 1e-3, order: createRng(1, 'o') })).rejects.toThrow(
      /epochs/,
    );
    expect(() => accuracyOf(new Float32Array(0), new Int32Array(0))).toThrow(/at least one row/);
    enc.dispose();
  });
});
