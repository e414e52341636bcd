/**
 * Linear and debiased CKA are exact at every width: the feature-space and sample-space routes
 * give the NumPy (Gram-form) values, whatever the batch sizes, shards or memory budget; the
 * minibatch estimator runs only when asked for.
 */
import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import { sliceRows, type Tensor } from '../../src/core/tensor.js';
import { typescriptBackend } from '../../src/linalg/typescript-backend.js';
import { maxRbfSamples } from '../../src/similarity/cka-rbf.js';
import { type LayerSimilarityOptions, layerSimilarity, similarityOf } from '../../src/similarity/layer-similarity.js';
import { chooseLinearRoute, featureSpaceBytes } from '../../src/similarity/linear-cka.js';
import { asTensor, expectClose, expectKrsError, loadJson } from '../helpers/fixtures.js';

const fx = loadJson('similarity/similarity-fixtures.json');
const ROUTES = ['feature-space', 'sample-space'] as const;

async function streamed(x: Tensor, y: Tensor, batch: number, options: LayerSimilarityOptions) {
  const m = layerSimilarity(options);
  const s = m.init();
  const n = x.shape[0]!;
  for (let i = 0; i < n; i += batch) await m.update(s, { teacher: sliceRows(x, i, Math.min(n, i + batch)), student: sliceRows(y, i, Math.min(n, i + batch)) });
  return m.compute(s);
}

describe('exact linear CKA by either route', () => {
  const cases = [
    ['Google demo data', fx.google, 0.55761, 0.51346],
    ['wide layers with large offsets', fx.wide, null, null],
    ['independent layers wider than n', fx.independentWide, null, null],
  ] as const;

  for (const [label, data, google, googleDebiased] of cases) {
    for (const route of ROUTES) {
      it(`${label}, ${route}: linear and debiased CKA equal NumPy's Gram-form values`, async () => {
        const X = asTensor(data.X);
        const Y = asTensor(data.Y);
        const lin = await similarityOf(X, Y, { similarity: 'cka', exactRoute: route });
        const deb = await similarityOf(X, Y, { similarity: 'cka-debiased', exactRoute: route });
        expect(lin.estimator).toBe('exact');
        expect(lin.route).toBe(route);
        expectClose(lin.value, data.linear, 1e-9);
        expectClose(deb.value, data.debiased, 1e-9);
        if (google !== null) {
          expect(lin.value.toFixed(5)).toBe(google.toFixed(5));
          expect(deb.value.toFixed(5)).toBe(googleDebiased!.toFixed(5));
        }
      });
    }
  }

  it('independent wide layers: exact biased CKA is inflated (0.83), debiased near 0 and reported below 0 as computed', async () => {
    const X = asTensor(fx.independentWide.X);
    const Y = asTensor(fx.independentWide.Y);
    const lin = await similarityOf(X, Y, { similarity: 'cka', memoryBudget: 500_000 });
    expect(lin.route).toBe('sample-space');
    expect(lin.value).toBeGreaterThan(0.8);
    expect(lin.warnings.join(' ')).toMatch(/wider \(300\) than the sample count \(50\)/);
    const deb = await similarityOf(X, Y, { similarity: 'cka-debiased' });
    expect(deb.value).toBeLessThan(0);
    expectClose(deb.value, fx.independentWide.debiased, 1e-9);
    expect(deb.warnings.join(' ')).toMatch(/debiased CKA is -0\.0490, below 0 — reported as computed/);
  });

  it('far below 0 at a handful of samples: the warning says the score measures nothing, on both routes', async () => {
    // Independent uniform layers of width 3 at n = 5 (seed 7, draw 4 of the spread -0.69 … 0.87).
    const rng = createRng(7, 'deb');
    let X = new Float32Array(0);
    let Y = new Float32Array(0);
    for (let draw = 0; draw <= 4; draw++) {
      X = new Float32Array(15).map(() => rng.next() - 0.5);
      Y = new Float32Array(15).map(() => rng.next() - 0.5);
    }
    for (const route of ROUTES) {
      const r = await similarityOf(asTensor({ shape: [5, 3], data: Array.from(X) }), asTensor({ shape: [5, 3], data: Array.from(Y) }), {
        similarity: 'cka-debiased',
        exactRoute: route,
      });
      expect(r.value).toBeLessThan(-0.5);
      expect(r.warnings.join(' ')).toMatch(/debiased CKA is -0\.68\d\d, far below 0 at n = 5: .*this score does not measure similarity; score more samples/);
    }
  });

  it('the same value to 1e-9 for every batch size 1…n, on both routes', async () => {
    const X = asTensor(fx.wide.X);
    const Y = asTensor(fx.wide.Y);
    const n = X.shape[0]!;
    for (const route of ROUTES) {
      for (const similarity of ['cka', 'cka-debiased'] as const) {
        const whole = (await similarityOf(X, Y, { similarity, exactRoute: route })).value;
        for (let batch = 1; batch <= n; batch++) {
          const r = await streamed(X, Y, batch, { similarity, exactRoute: route });
          expectClose(r.value, whole, 1e-9);
        }
      }
    }
  });

  it('sample-space rows handed over are kept as they are; otherwise copied, so the caller may change its arrays', async () => {
    const f32 = (t: Tensor): Tensor => ({ dtype: 'float32', shape: t.shape, data: Float32Array.from(t.data as Float64Array) });
    const X = f32(asTensor(fx.wide.X));
    const Y = f32(asTensor(fx.wide.Y));
    const m = layerSimilarity({ similarity: 'cka', exactRoute: 'sample-space' });
    const rowsOf = (st: ReturnType<typeof m.init>) => (st as { inner: { x: { chunks: Float32Array[] }; y: { chunks: Float32Array[] } } }).inner;
    const handed = m.init();
    await m.update(handed, { teacher: X, student: Y, handOver: true });
    expect(rowsOf(handed).x.chunks[0]!.buffer).toBe(X.data.buffer);
    expect(rowsOf(handed).y.chunks[0]!.buffer).toBe(Y.data.buffer);
    const copied = m.init();
    const Xc = { ...X, data: Float32Array.from(X.data as Float32Array) };
    await m.update(copied, { teacher: Xc, student: Y });
    expect(rowsOf(copied).x.chunks[0]!.buffer).not.toBe(Xc.data.buffer);
    expect(rowsOf(copied).y.chunks[0]!.buffer).not.toBe(Y.data.buffer);
    (Xc.data as Float32Array).fill(7); // the copy does not see it
    const value = (await m.compute(handed)).value;
    expect((await m.compute(copied)).value).toBe(value);
    expect((await similarityOf(X, Y, { similarity: 'cka', exactRoute: 'sample-space' })).value).toBe(value);
    expectClose(value, fx.wide.linear, 1e-5); // the inputs rounded to float32
  });

  it('shards merge exactly on the sample-space route, in any order', async () => {
    const X = asTensor(fx.wide.X);
    const Y = asTensor(fx.wide.Y);
    const m = layerSimilarity({ similarity: 'cka', exactRoute: 'sample-space' });
    const parts = [0, 13, 27, 40].slice(0, -1).map((lo, i, a) => {
      const hi = [13, 27, 40][i]!;
      void a;
      return { teacher: sliceRows(X, lo, hi), student: sliceRows(Y, lo, hi) };
    });
    const states = await Promise.all(
      parts.map(async (b) => {
        const s = m.init();
        await m.update(s, b);
        return s;
      }),
    );
    const forward = m.merge(m.merge(states[0]!, states[1]!), states[2]!);
    const tree = m.merge(states[0]!, m.fromJSON(JSON.parse(JSON.stringify(m.toJSON(m.merge(states[1]!, states[2]!))))));
    expectClose((await m.compute(forward)).value, fx.wide.linear, 1e-9);
    expectClose((await m.compute(tree)).value, fx.wide.linear, 1e-9);
  });
});

describe('RBF CKA is exact up to the n the memory budget allows', () => {
  it('maxRbfSamples follows the budget; beyond it a one-line error', async () => {
    expect(maxRbfSamples(4 * 2 ** 30)).toBe(13377);
    const X = asTensor(fx.google.X);
    const Y = asTensor(fx.google.Y);
    const ok = await similarityOf(X, Y, { similarity: 'cka-rbf', similarityOptions: { rbfThreshold: 0.5 }, memoryBudget: 3 * 8 * 100 * 100 });
    expectClose(ok.value, fx.google.rbf05, 1e-9);
    await expectKrsError(
      () => similarityOf(X, Y, { similarity: 'cka-rbf', memoryBudget: 3 * 8 * 99 * 99 }),
      'BAD_VALUE',
      /sample count for cka-rbf is 100: expected at most 99/,
      /memoryBudget/,
    );
  });
});

describe('choosing the exact route', () => {
  const settings = {
    backend: typescriptBackend,
    teacherName: 't',
    studentName: 's',
    estimator: 'exact' as const,
    memoryBudget: 4 * 2 ** 30,
  };

  it('by cost when the sample count is known, by the memory budget otherwise', () => {
    // 12 544 vs 21 632 wide float32 conv maps on 10 000 samples: Gram blocks are cheaper and fit
    // (4.1 GB with the centred copy); as float64 rows (5.5 GB) neither route fits 4 GiB.
    const float32 = { teacher: 4, student: 4 };
    expect(chooseLinearRoute(12544, 21632, { ...settings, samples: 10_000, valueBytes: float32 })).toBe('sample-space');
    expect(() => chooseLinearRoute(12544, 21632, { ...settings, samples: 10_000 })).toThrow(/5215 MiB of stored rows/);
    // 2048 vs 512 on 10 000 samples: feature-space statistics are cheaper.
    expect(chooseLinearRoute(2048, 512, { ...settings, samples: 10_000 })).toBe('feature-space');
    // Without a sample count: feature space while it fits the budget.
    expect(chooseLinearRoute(2048, 512, settings)).toBe('feature-space');
    expect(chooseLinearRoute(40_000, 512, settings)).toBe('sample-space');
    expect(featureSpaceBytes(4096, 4096)).toBeGreaterThan(4096 * 4096 * 8 * 2);
  });

  it('neither route fitting the budget is a one-line error saying how to get out', async () => {
    await expectKrsError(
      () => chooseLinearRoute(20_000, 20_000, { ...settings, samples: 100_000, memoryBudget: 2 ** 30 }),
      'BAD_VALUE',
      /exact CKA of layer pair 't':'s' \(widths 20000 and 20000, 100000 samples\)/,
      /memoryBudget/,
      /minibatch estimator/,
    );
    const m = layerSimilarity({ exactRoute: 'sample-space', memoryBudget: 100 });
    await expectKrsError(
      () => m.update(m.init(), { teacher: asTensor(fx.wide.X), student: asTensor(fx.wide.Y) }),
      'BAD_VALUE',
      /stored rows of layer pair/,
      /memory budget/,
    );
  });

  it('the minibatch estimator only on request, named in the result', async () => {
    const wide = await similarityOf(asTensor(fx.independentWide.X), asTensor(fx.independentWide.Y), { memoryBudget: 500_000 });
    expect(wide.estimator).toBe('exact');
    expect(wide.route).toBe('sample-space');
    const X = asTensor(fx.google.X);
    const Y = asTensor(fx.google.Y);
    const mini = await streamed(X, Y, 25, { estimator: 'minibatch' });
    expect(mini.estimator).toBe('minibatch-unbiased-hsic');
    expectClose(mini.value, fx.google.minibatch25, 1e-10);
  });

  it('debiased CKA needs 4 samples; a constant layer is undefined on the sample-space route too', async () => {
    const X = asTensor(fx.google.X);
    const Y = asTensor(fx.google.Y);
    await expectKrsError(() => similarityOf(sliceRows(X, 0, 3), sliceRows(Y, 0, 3), { similarity: 'cka-debiased' }), 'UNDEFINED', /at least 4 samples/);
    const constant = asTensor({ shape: [10, 3], data: Array.from({ length: 30 }, () => 2.5) });
    await expectKrsError(() => similarityOf(constant, sliceRows(Y, 0, 10), { exactRoute: 'sample-space' }), 'UNDEFINED', /teacher layer 'teacher'.*constant/);
  });
});

describe('the fewest samples each estimator needs', () => {
  it('linear CKA on 2 samples is refused (it would be 1 for any data); RBF likewise; debiased needs 4', async () => {
    const X = asTensor(fx.google.X);
    const Y = asTensor(fx.google.Y);
    for (const route of ROUTES) {
      await expectKrsError(() => similarityOf(sliceRows(X, 0, 2), sliceRows(Y, 0, 2), { exactRoute: route }), 'UNDEFINED', /at least 3 samples/, /got 2/);
      expect((await similarityOf(sliceRows(X, 0, 3), sliceRows(Y, 0, 3), { exactRoute: route })).value).toBeLessThan(1);
    }
    await expectKrsError(() => similarityOf(sliceRows(X, 0, 2), sliceRows(Y, 0, 2), { similarity: 'cka-rbf' }), 'UNDEFINED', /at least 3 samples/);
  });
});
