import { describe, expect, it } from 'vitest';
import { sliceRows, type Tensor, tensor } from '../../src/core/tensor.js';
import { type LayerSimilarityOptions, layerSimilarity, similarityOf } from '../../src/similarity/layer-similarity.js';
import { asTensor, expectClose, expectKrsError, loadJson } from '../helpers/fixtures.js';

const fx = loadJson('similarity/similarity-fixtures.json');
const X = asTensor(fx.google.X);
const Y = asTensor(fx.google.Y);

/** Deterministic pseudo-random normals (Box–Muller on a small LCG) for property tests. */
function randn(seed: number, n: number): Float64Array {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return out;
}

/** Y·M for Y (n×p) and M (p×p). */
function times(t: Tensor, m: Float64Array): Tensor {
  const [n, p] = t.shape as [number, number];
  const out = new Float64Array(n * p);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let k = 0; k < p; k++) s += (t.data[i * p + k] as number) * m[k * p + j]!;
      out[i * p + j] = s;
    }
  return tensor(out, [n, p]);
}

/** A random orthogonal matrix (Gram–Schmidt of a random square matrix). */
function orthogonal(p: number, seed: number): Float64Array {
  const a = randn(seed, p * p);
  for (let j = 0; j < p; j++) {
    for (let k = 0; k < j; k++) {
      let d = 0;
      for (let i = 0; i < p; i++) d += a[i * p + j]! * a[i * p + k]!;
      for (let i = 0; i < p; i++) a[i * p + j] -= d * a[i * p + k]!;
    }
    let norm = 0;
    for (let i = 0; i < p; i++) norm += a[i * p + j]! ** 2;
    for (let i = 0; i < p; i++) a[i * p + j] /= Math.sqrt(norm);
  }
  return a;
}

describe("Google's reference CKA values (Kornblith et al. demo, seed 1337)", () => {
  it('linear CKA 0.55761', async () => {
    const r = await similarityOf(X, Y, { similarity: 'cka' });
    expect(r.value.toFixed(5)).toBe('0.55761');
    expectClose(r.value, fx.google.linear, 1e-12);
    expect(r.estimator).toBe('exact');
  });
  it('RBF CKA with threshold 0.5 → 0.65483', async () => {
    const r = await similarityOf(X, Y, { similarity: 'cka-rbf', similarityOptions: { rbfThreshold: 0.5 } });
    expect(r.value.toFixed(5)).toBe('0.65483');
    expectClose(r.value, fx.google.rbf05, 1e-10);
  });
  it('RBF CKA with the default threshold 0.8', async () => {
    const r = await similarityOf(X, Y, { similarity: 'cka-rbf' });
    expectClose(r.value, fx.google.rbf08, 1e-10);
  });
  it('debiased linear CKA 0.51346', async () => {
    const r = await similarityOf(X, Y, { similarity: 'cka-debiased' });
    expect(r.value.toFixed(5)).toBe('0.51346');
    expectClose(r.value, fx.google.debiased, 1e-10);
  });
  it('cosine', async () => {
    const r = await similarityOf(X, Y, { similarity: 'cosine' });
    expectClose(r.value, fx.google.cosine, 1e-12);
  });
});

describe('exact CKA on wide, offset layers', () => {
  const A = asTensor(fx.wide.X);
  const B = asTensor(fx.wide.Y);
  it('linear and debiased match NumPy despite means of ±1e3', async () => {
    const lin = await similarityOf(A, B, { similarity: 'cka' });
    expectClose(lin.value, fx.wide.linear, 1e-9);
    expect(lin.warnings.join(' ')).toMatch(/wider \(64\) than the sample count \(40\).*cka-debiased/);
    const deb = await similarityOf(A, B, { similarity: 'cka-debiased' });
    expectClose(deb.value, fx.wide.debiased, 1e-9);
    expect(deb.warnings).toEqual([]);
  });
  it('the minibatch unbiased-HSIC estimator runs only when asked for, and says so', async () => {
    const m = layerSimilarity({ similarity: 'cka-debiased', estimator: 'minibatch' });
    const s = m.init();
    for (let i = 0; i < 40; i += 10) await m.update(s, { teacher: sliceRows(A, i, i + 10), student: sliceRows(B, i, i + 10) });
    const r = await m.compute(s);
    expect(r.estimator).toBe('minibatch-unbiased-hsic');
    expect(r.batches).toBe(4);
    expectClose(r.value, fx.wide.minibatch10, 1e-9);
    expect(r.warnings.join(' ')).toMatch(/minibatch unbiased-HSIC estimator was asked for \(4 batches\)/);
  });
  it('Google data through 4 minibatches of 25', async () => {
    const m = layerSimilarity({ estimator: 'minibatch' });
    const s = m.init();
    for (let i = 0; i < 100; i += 25) await m.update(s, { teacher: sliceRows(X, i, i + 25), student: sliceRows(Y, i, i + 25) });
    expectClose((await m.compute(s)).value, fx.google.minibatch25, 1e-10);
  });
  it('a minibatch with fewer than 4 samples is an error', async () => {
    const m = layerSimilarity({ estimator: 'minibatch' });
    await expectKrsError(
      () => m.update(m.init(), { teacher: sliceRows(X, 0, 3), student: sliceRows(Y, 0, 3) }),
      'BAD_VALUE',
      /minibatch size is 3/,
      /at least 4/,
    );
  });
});

describe('pooling', () => {
  const t = asTensor(fx.spatial.teacher);
  const s = asTensor(fx.spatial.student);
  it('flatten (default) and gap of NCHW maps', async () => {
    expectClose((await similarityOf(t, s)).value, fx.spatial.flatten, 1e-10);
    expectClose((await similarityOf(t, s, { pool: 'gap' })).value, fx.spatial.gap, 1e-10);
  });
  it('gap of NHWC maps with channelsLast', async () => {
    const nhwc = (a: Tensor): Tensor => {
      const [n, c, h, w] = a.shape as number[];
      const out = new Float64Array(a.data.length);
      for (let i = 0; i < n!; i++)
        for (let k = 0; k < c!; k++)
          for (let y = 0; y < h!; y++) for (let x = 0; x < w!; x++) out[((i * h! + y) * w! + x) * c! + k] = a.data[((i * c! + k) * h! + y) * w! + x] as number;
      return tensor(out, [n!, h!, w!, c!]);
    };
    expectClose((await similarityOf(nhwc(t), nhwc(s), { pool: 'gap', channelsLast: true })).value, fx.spatial.gapChannelsLast, 1e-10);
  });
  it('sequence mean with an attention mask, cls token, and cosine', async () => {
    const st = asTensor(fx.sequence.teacher);
    const ss = asTensor(fx.sequence.student);
    const mask = tensor(Int32Array.from(fx.sequence.mask.data), fx.sequence.mask.shape);
    const m = layerSimilarity({ pool: 'mean' });
    const state = m.init();
    await m.update(state, { teacher: st, student: ss, teacherMask: mask, studentMask: mask });
    expectClose((await m.compute(state)).value, fx.sequence.meanCka, 1e-10);
    const c = layerSimilarity({ pool: 'mean', similarity: 'cosine' });
    const cs = c.init();
    await c.update(cs, { teacher: st, student: ss, teacherMask: mask, studentMask: mask });
    expectClose((await c.compute(cs)).value, fx.sequence.meanCosine, 1e-12);
    expectClose((await similarityOf(st, ss, { pool: 'cls' })).value, fx.sequence.clsCka, 1e-10);
  });
});

describe('invariances of linear CKA', () => {
  const n = 60;
  const p = 8;
  const A = tensor(randn(1, n * p), [n, p]);
  const B = tensor(
    randn(2, n * p).map((v, i) => v + 0.8 * (A.data[i] as number)),
    [n, p],
  );
  for (const similarity of ['cka', 'cka-debiased'] as const) {
    it(`${similarity}: invariant to orthogonal transforms and isotropic scaling`, async () => {
      const base = (await similarityOf(A, B, { similarity })).value;
      const rotated = times(B, orthogonal(p, 7));
      expectClose((await similarityOf(A, rotated, { similarity })).value, base, 1e-10);
      const scaled = tensor(
        (B.data as Float64Array).map((v) => v * 37.5),
        [n, p],
      );
      expectClose((await similarityOf(A, scaled, { similarity })).value, base, 1e-10);
    });
    it(`${similarity}: not invariant to a general invertible linear map`, async () => {
      const base = (await similarityOf(A, B, { similarity })).value;
      const m = new Float64Array(p * p);
      for (let i = 0; i < p; i++) m[i * p + i] = i === 0 ? 25 : 1; // stretch one axis: invertible, not orthogonal
      const stretched = (await similarityOf(A, times(B, m), { similarity })).value;
      expect(Math.abs(stretched - base)).toBeGreaterThan(1e-2);
    });
  }
});

describe('bad input', () => {
  it('a constant layer makes CKA undefined, naming the layer', async () => {
    const constant = tensor(new Float64Array(100 * 3).fill(0.25), [100, 3]);
    await expectKrsError(() => similarityOf(X, constant, { studentName: 'fc2' }), 'UNDEFINED', /student layer 'fc2'/, /constant/);
    await expectKrsError(() => similarityOf(constant, Y, { teacherName: 'conv1', similarity: 'cka-debiased' }), 'UNDEFINED', /teacher layer 'conv1'/);
  });
  it('mismatched sample counts', async () => {
    await expectKrsError(() => similarityOf(X, sliceRows(Y, 0, 99), { teacherName: 'a', studentName: 'b' }), 'SHAPE_MISMATCH', /'a':'b'/, /100 samples.*99/);
  });
  it('NaN and Inf', async () => {
    const bad = tensor(Float64Array.from(X.data as Float64Array), X.shape);
    (bad.data as Float64Array)[57] = NaN;
    await expectKrsError(() => similarityOf(bad, Y, { teacherName: 'l1' }), 'NON_FINITE', /teacher layer 'l1'/, /NaN at flat index 57/);
    (bad.data as Float64Array)[57] = -Infinity;
    await expectKrsError(() => similarityOf(X, bad, { studentName: 'l2' }), 'NON_FINITE', /student layer 'l2'/, /-Infinity/);
  });
  it('cosine needs equal widths', async () => {
    await expectKrsError(() => similarityOf(X, sliceRows(asTensor(fx.wide.X), 0, 40), {}), 'SHAPE_MISMATCH');
    const narrow = tensor(
      Float64Array.from({ length: 100 * 4 }, (_, i) => Math.sin(i)),
      [100, 4],
    );
    await expectKrsError(() => similarityOf(X, narrow, { similarity: 'cosine' }), 'SHAPE_MISMATCH', /equal teacher and student widths/, /10 and 4/);
  });
  it('a width change between batches', async () => {
    const m = layerSimilarity();
    const s = m.init();
    await m.update(s, { teacher: sliceRows(X, 0, 50), student: sliceRows(Y, 0, 50) });
    const other = tensor(
      new Float64Array(50 * 4).map((_, i) => Math.cos(i)),
      [50, 4],
    );
    await expectKrsError(() => m.update(s, { teacher: sliceRows(X, 50, 100), student: other }), 'SHAPE_MISMATCH', /widths 10 and 10/);
  });
});

describe('streaming Metric properties of every similarity state', () => {
  const configs: LayerSimilarityOptions[] = [
    { similarity: 'cka' },
    { similarity: 'cka-debiased' },
    { similarity: 'cka', estimator: 'minibatch' },
    { similarity: 'cka', exactRoute: 'sample-space' },
    { similarity: 'cka-debiased', exactRoute: 'sample-space' },
    { similarity: 'cka-rbf' },
    { similarity: 'cosine' },
  ];
  const cuts = [0, 20, 45, 52, 100];
  for (const options of configs) {
    const label = `${options.similarity}${options.estimator === 'minibatch' ? ' (minibatch)' : ''}${options.exactRoute ? ` (${options.exactRoute})` : ''}`;
    it(`${label}: k batches = one shot, merged shards = whole, reset restores, inputs untouched, JSON round trip`, async () => {
      const m = layerSimilarity(options);
      const xCopy = Float64Array.from(X.data as Float64Array);
      const yCopy = Float64Array.from(Y.data as Float64Array);
      const whole = m.init();
      await m.update(whole, { teacher: X, student: Y });
      const oneShot = (await m.compute(whole)).value;
      expect(Array.from(X.data as Float64Array)).toEqual(Array.from(xCopy));
      expect(Array.from(Y.data as Float64Array)).toEqual(Array.from(yCopy));

      const batched = m.init();
      const shards = [m.init(), m.init()];
      for (let b = 0; b + 1 < cuts.length; b++) {
        const batch = { teacher: sliceRows(X, cuts[b]!, cuts[b + 1]!), student: sliceRows(Y, cuts[b]!, cuts[b + 1]!) };
        await m.update(batched, batch);
        await m.update(shards[b % 2]!, batch);
      }
      const k = (await m.compute(batched)).value;
      const merged = m.merge(shards[0]!, shards[1]!);
      const mergedScore = (await m.compute(merged)).value;
      if (options.estimator === 'minibatch') {
        // Minibatch estimates depend on the batches; merging must equal seeing the same batches.
        expectClose(mergedScore, k, 1e-12);
      } else {
        expectClose(k, oneShot, 1e-12);
        expectClose(mergedScore, oneShot, 1e-12);
      }
      // merging left the shards untouched: computing them again gives the same
      const shard0 = (await m.compute(shards[0]!)).value;
      m.merge(shards[0]!, shards[1]!);
      expect((await m.compute(shards[0]!)).value).toBe(shard0);

      const round = m.fromJSON(JSON.parse(JSON.stringify(m.toJSON(batched))));
      expect((await m.compute(round)).value).toBe(k);

      const fresh = m.init();
      await expectKrsError(() => m.compute(fresh), 'UNDEFINED', /no samples/);
      await m.update(fresh, { teacher: X, student: Y });
      expect((await m.compute(fresh)).value).toBe(oneShot);
    });
  }
});
