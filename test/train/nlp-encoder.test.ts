import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KrsError } from '../../src/core/errors.js';
import { createRng } from '../../src/core/rng.js';
import { Encoder, type EncoderConfig, encoderParams, initialWeights, NLP_SIZES } from '../../src/train/nlp/encoder.js';
import { attentionBias, embed, layerNorm, linear, selfAttention } from '../../src/train/nlp/ops.js';
import { initTf, tf } from '../../src/train/tf.js';

beforeAll(() => initTf());
afterAll(async () => {
  await tf.setBackend('wasm');
});

const CONFIG: EncoderConfig = { name: 'tiny', layers: 2, heads: 2, width: 8, vocabSize: 20, maxLength: 6 };
const B = 3;
const T = 6;
const IDS = [2, 5, 7, 3, 9, 11, 2, 4, 3, 8, 0, 0, 2, 3, 0, 0, 0, 0];
const MASK = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0];
const ids = () => tf.tensor2d(IDS, [B, T], 'int32');
const mask = () => tf.tensor2d(MASK, [B, T], 'int32');

/** Seeded uniform values in [−scale, scale). */
function uniform(seed: number, n: number, scale = 1): Float32Array {
  const r = createRng(seed, 'nlp-encoder-test');
  return Float32Array.from({ length: n }, () => (2 * r.next() - 1) * scale);
}

/** max |a − b| / max |b|: the difference relative to the gradient's scale. */
function relativeDifference(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

/**
 * Two gradients agree to 1e-5 relative — or, where the gradient is 0 in exact arithmetic (the
 * key bias: adding q·b_k to every score of a query row leaves its softmax unchanged), both are
 * rounding noise below 1e-6.
 */
function expectSameGradient(wasm: Float32Array, cpu: Float32Array, label: string): void {
  expect(wasm.every(Number.isFinite), label).toBe(true);
  const scale = Math.max(...cpu.map(Math.abs));
  if (scale < 1e-6) expect(Math.max(...wasm.map(Math.abs)), label).toBeLessThan(1e-6);
  else expect(relativeDifference(wasm, cpu), label).toBeLessThan(1e-5);
}

/** The gradients of `f` with respect to seeded inputs of `shapes`, on a backend, as arrays. */
async function gradientsOn(backend: string, shapes: number[][], f: (...xs: tf.Tensor[]) => tf.Scalar): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const xs = shapes.map((s, k) =>
    tf.tensor(
      uniform(
        100 + k,
        s.reduce((a, b) => a * b, 1),
      ),
      s,
    ),
  );
  const gs = tf.grads(f)(xs);
  const out = gs.map((g) => g.dataSync() as Float32Array);
  tf.dispose([...xs, ...gs]);
  return out;
}

/** The same gradients on wasm and cpu agree to 1e-5 relative. */
async function expectBackendsAgree(shapes: number[][], f: (...xs: tf.Tensor[]) => tf.Scalar): Promise<void> {
  const wasm = await gradientsOn('wasm', shapes, f);
  const cpu = await gradientsOn('cpu', shapes, f);
  await tf.setBackend('wasm');
  wasm.forEach((g, k) => expectSameGradient(g, cpu[k]!, `input ${k}`));
}

/** A fixed random weighting of an output, so that every element's gradient matters. */
const weighted = (y: tf.Tensor, seed: number): tf.Scalar => tf.sum(tf.mul(y, tf.tensor(uniform(seed, y.size), y.shape)));

describe('gradients on wasm against the cpu backend (1e-5 relative, seeded inputs)', () => {
  it('layer norm: input, γ and β', async () => {
    await expectBackendsAgree([[B, T, 8], [8], [8]], (x, g, b) => weighted(layerNorm(x!, g as tf.Tensor1D, b as tf.Tensor1D), 7));
  });

  it('multi-head self-attention with a padding mask: input and every weight', async () => {
    const shapes = [[B, T, 8], ...Array.from({ length: 4 }, () => [[8, 8], [8]]).flat()];
    await expectBackendsAgree(shapes, (x, ...w) => {
      const part = (k: number) => ({ kernel: w[2 * k] as tf.Tensor2D, bias: w[2 * k + 1] as tf.Tensor1D });
      const { output, probabilities } = selfAttention(
        x as tf.Tensor3D,
        attentionBias(mask()),
        { query: part(0), key: part(1), value: part(2), output: part(3) },
        2,
      );
      return tf.add(weighted(output, 8), weighted(probabilities, 9)) as tf.Scalar;
    });
  });

  it('the whole encoder: every weight', async () => {
    const grads = async (backend: string) => {
      await tf.setBackend(backend);
      const enc = Encoder.create(CONFIG, 3);
      const { grads: g } = tf.variableGrads(() => weighted(enc.forward(ids(), mask()).logits, 10) as tf.Scalar, enc.variables());
      const out = enc.variables().map((v) => g[v.name]!.dataSync() as Float32Array);
      tf.dispose(Object.values(g));
      enc.dispose();
      return out;
    };
    const wasm = await grads('wasm');
    const cpu = await grads('cpu');
    await tf.setBackend('wasm');
    wasm.forEach((g, k) => expectSameGradient(g, cpu[k]!, `weight ${k}`));
  });
});

describe('hand-written gradients against tfjs autodiff (cpu backend)', () => {
  it('linear: ∂x = dy·Wᵀ, ∂W = xᵀ·dy, ∂b = 1ᵀ·dy', async () => {
    await tf.setBackend('cpu');
    const xs = [tf.tensor2d(uniform(1, 15), [5, 3]), tf.tensor2d(uniform(2, 12), [3, 4]), tf.tensor1d(uniform(3, 4))];
    const mine = tf.grads((x, w, b) => weighted(linear(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D), 4))(xs);
    const reference = tf.grads((x, w, b) => weighted(tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b), 4))(xs);
    mine.forEach((g, k) => expect(relativeDifference(g.dataSync() as Float32Array, reference[k]!.dataSync() as Float32Array)).toBeLessThan(1e-6));
    await tf.setBackend('wasm');
  });

  it('embed: the rows of repeated ids are summed', async () => {
    await tf.setBackend('cpu');
    const table = tf.tensor2d(uniform(5, 20 * 4), [20, 4]);
    const mine = tf.grad((t) => weighted(embed(ids(), t as tf.Tensor2D), 6))(table);
    const reference = tf.grad((t) => weighted(tf.reshape(tf.gather(t, tf.reshape(ids(), [B * T])), [B, T, 4]), 6))(table);
    expect(relativeDifference(mine.dataSync() as Float32Array, reference.dataSync() as Float32Array)).toBeLessThan(1e-6);
    await tf.setBackend('wasm');
  });
});

describe('the encoder', () => {
  it('returns hidden_states.0 … L [b, t, width], L attention maps [b, heads, t, t] and logits [b, 2]', () => {
    const enc = Encoder.create(CONFIG, 1);
    const out = enc.forward(ids(), mask());
    expect(out.hiddenStates.map((h) => h.shape)).toEqual(Array(3).fill([B, T, 8]));
    expect(out.attentions.map((a) => a.shape)).toEqual(Array(2).fill([B, 2, T, T]));
    expect(out.logits.shape).toEqual([B, 2]);
    expect(out.pooled.shape).toEqual([B, 8]);
    enc.dispose();
  });

  it('attention rows are distributions that give padded keys nothing', () => {
    const enc = Encoder.create(CONFIG, 1);
    const a = enc.forward(ids(), mask()).attentions[1]!.arraySync();
    for (let b = 0; b < B; b++) {
      for (const row of a[b]!.flat()) {
        expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
        row.forEach((v, j) => {
          if (MASK[b * T + j] === 0) expect(v).toBe(0);
        });
      }
    }
    enc.dispose();
  });

  it('padding does not change what the real tokens give ([CLS] and mean pooling)', () => {
    for (const pooling of ['cls', 'mean'] as const) {
      const enc = Encoder.create({ ...CONFIG, pooling }, 2);
      const other = IDS.map((id, i) => (MASK[i] ? id : 17));
      const a = enc.forward(ids(), mask());
      const b = enc.forward(tf.tensor2d(other, [B, T], 'int32'), mask());
      expect(relativeDifference(b.logits.dataSync() as Float32Array, a.logits.dataSync() as Float32Array)).toBeLessThan(1e-6);
      enc.dispose();
    }
  });

  it('initial weights are seeded: the same seed gives the same weights, another seed others', () => {
    const a = initialWeights(CONFIG, 1);
    const b = initialWeights(CONFIG, 1);
    const c = initialWeights(CONFIG, 2);
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [k, v] of a) expect(b.get(k)).toEqual(v);
    expect(c.get('layer.0.attention.query.kernel')).not.toEqual(a.get('layer.0.attention.query.kernel'));
    const w = a.get('embeddings.word')!;
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(0.04 + 1e-7);
    expect(a.get('layer.1.ff.norm.gamma')!.every((v) => v === 1)).toBe(true);
  });

  it('counts its weights; the proposed sizes shrink from the teacher', () => {
    const enc = Encoder.create(CONFIG, 1);
    expect(enc.params).toBe(enc.variables().reduce((s, v) => s + v.size, 0));
    enc.dispose();
    const size = (c: Omit<EncoderConfig, 'vocabSize'>) => encoderParams({ ...c, vocabSize: 8000 });
    const teacher = size(NLP_SIZES.teacher);
    for (const s of NLP_SIZES.students) expect(size(s)).toBeLessThan(teacher);
    expect(NLP_SIZES.students.length).toBeGreaterThanOrEqual(3);
  });

  it('weights round-trip through weights() and setWeights()', () => {
    const a = Encoder.create(CONFIG, 1);
    const b = Encoder.create(CONFIG, 2);
    b.setWeights(a.weights());
    expect(b.forward(ids(), mask()).logits.dataSync()).toEqual(a.forward(ids(), mask()).logits.dataSync());
    a.dispose();
    b.dispose();
  });

  it('refuses malformed configurations and inputs with clear errors', () => {
    expect(() => Encoder.create({ ...CONFIG, heads: 3 }, 1)).toThrow(/heads.*divisor of the width 8/);
    expect(() => Encoder.create({ ...CONFIG, layers: 0 }, 1)).toThrow(KrsError);
    expect(() => Encoder.create({ ...CONFIG, pooling: 'max' as 'cls' }, 1)).toThrow(/pooling/);
    const enc = Encoder.create(CONFIG, 1);
    expect(() => enc.forward(tf.zeros([1, 7], 'int32'), tf.ones([1, 7]))).toThrow(/at most 6 tokens/);
    expect(() => enc.forward(ids(), tf.ones([B, 5]))).toThrow(/attention_mask/);
    enc.dispose();
  });
});
