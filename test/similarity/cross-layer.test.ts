import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/core/tensor.js';
import { sliceRows } from '../../src/core/tensor.js';
import { CrossLayerCka } from '../../src/similarity/cross-layer.js';
import { layerSimilarity, similarityOf } from '../../src/similarity/layer-similarity.js';
import { expectClose, expectKrsError } from '../helpers/fixtures.js';

/** Deterministic pseudo-random features with shared structure across layers. */
function layers(n: number, seed: number): Record<string, Tensor> {
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5;
  const base = Float64Array.from({ length: n * 3 }, rnd);
  const make = (p: number, mix: number): Tensor => {
    const d = new Float64Array(n * p);
    for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) d[i * p + j] = mix * base[i * 3 + (j % 3)]! * (j + 1) + rnd();
    return { dtype: 'float64', shape: [n, p], data: d };
  };
  return { a: make(4, 2), b: make(6, 0.5), c: { ...make(8, 1), shape: [n, 2, 4] } };
}

describe('cross-layer CKA matrix', () => {
  const n = 64;
  const t = layers(n, 1);
  const s = layers(n, 2);

  it('sample space: batches handed over are kept as they are, others copied; the same matrix either way', async () => {
    const batches = [
      [0, 30],
      [30, 64],
    ] as const;
    const run = async (handOver: boolean) => {
      const m = new CrossLayerCka(['a', 'b'], ['a'], { exactRoute: 'sample-space' });
      const fed: Tensor[] = [];
      for (const [lo, hi] of batches) {
        const rows = (o: Record<string, Tensor>) => Object.fromEntries(['a', 'b'].map((k) => [k, sliceRows(o[k]!, lo, hi)]));
        const [tb, sb] = [rows(t), rows(s)];
        fed.push(tb.a!);
        await m.update(tb, { a: sb.a! }, {}, { handOver });
      }
      const stored = (m as unknown as { tRows: { chunks: Float64Array[] }[] }).tRows[0]!.chunks;
      return { r: await m.compute(), same: stored.map((c, i) => c.buffer === fed[i]!.data.buffer) };
    };
    const handed = await run(true);
    const copied = await run(false);
    expect(handed.r.route).toBe('sample-space');
    expect(handed.same).toEqual([true, true]);
    expect(copied.same).toEqual([false, false]);
    expect(handed.r.cka).toEqual(copied.r.cka);
  });

  it('exact: every cell equals the one-pair exact linear CKA, fed in 3 batches', async () => {
    const m = new CrossLayerCka(['a', 'b', 'c'], ['a', 'c'], {});
    for (const [lo, hi] of [
      [0, 20],
      [20, 41],
      [41, 64],
    ] as const) {
      const rows = (o: Record<string, Tensor>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, sliceRows(v, lo, hi)]));
      await m.update(rows(t), rows(s));
    }
    const r = await m.compute();
    expect(r.estimator).toBe('exact');
    expect(r.n).toBe(n);
    expect(r.teacherWidths).toEqual([4, 6, 8]);
    for (const [i, tl] of ['a', 'b', 'c'].entries()) {
      for (const [j, sl] of ['a', 'c'].entries()) {
        const ref = await similarityOf(t[tl]!, s[sl]!, { similarity: 'cka' });
        expectClose(r.cka[i]![j]!, ref.value, 1e-10);
      }
    }
  });

  it('minibatch: equals the core minibatch estimator on the same batches', async () => {
    const m = new CrossLayerCka(['a', 'c'], ['b'], { estimator: 'minibatch' });
    const ref = layerSimilarity({ similarity: 'cka', estimator: 'minibatch' });
    const st = ref.init();
    for (const [lo, hi] of [
      [0, 32],
      [32, 64],
    ] as const) {
      const tb = { a: sliceRows(t.a!, lo, hi), c: sliceRows(t.c!, lo, hi) };
      const sb = { b: sliceRows(s.b!, lo, hi) };
      await m.update(tb, sb);
      await ref.update(st, { teacher: tb.c, student: sb.b });
    }
    const r = await m.compute();
    expect(r.estimator).toBe('minibatch-unbiased-hsic');
    expect(r.batches).toBe(2);
    expectClose(r.cka[1]![0]!, (await ref.compute(st)).value, 1e-10);
    expect(r.warnings.join(' ')).toMatch(/minibatch unbiased-HSIC estimator over 2 batches, as asked/);
  });

  it('the sample-space route gives the feature-space cells', async () => {
    const feature = new CrossLayerCka(['a', 'b', 'c'], ['a', 'c'], { exactRoute: 'feature-space' });
    const sample = new CrossLayerCka(['a', 'b', 'c'], ['a', 'c'], { exactRoute: 'sample-space' });
    for (const m of [feature, sample]) {
      await m.update(t, s);
    }
    const [rf, rs] = [await feature.compute(), await sample.compute()];
    expect(rs.estimator).toBe('exact');
    expect(rs.route).toBe('sample-space');
    expect(rf.route).toBe('feature-space');
    for (let i = 0; i < 3; i++) for (let j = 0; j < 2; j++) expectClose(rs.cka[i]![j]!, rf.cka[i]![j]!, 1e-10);
  });

  it('the sample-space route: a constant layer gives null cells; past the memory budget a one-line error, not a silent estimator', async () => {
    const m = new CrossLayerCka(['a', 'z'], ['a'], { exactRoute: 'sample-space' });
    await m.update({ a: t.a!, z: { dtype: 'float64', shape: [n, 2], data: new Float64Array(2 * n).fill(3) } }, { a: s.a! });
    const r = await m.compute();
    expect(r.cka[1]).toEqual([null]);
    expect(r.warnings.join(' ')).toMatch(/teacher layer 'z' is constant/);
    const tight = new CrossLayerCka(['a'], ['b'], { memoryBudget: 500 });
    await expectKrsError(() => tight.update({ a: t.a! }, { b: s.b! }), 'BAD_VALUE', /memory budget/, /minibatch estimator/);
  });

  it('a constant layer gives null cells and a warning, not NaN', async () => {
    const m = new CrossLayerCka(['a', 'z'], ['a'], {});
    await m.update({ a: t.a!, z: { dtype: 'float64', shape: [n, 2], data: new Float64Array(2 * n).fill(3) } }, { a: s.a! });
    const r = await m.compute();
    expect(r.cka[1]).toEqual([null]);
    expect(r.cka[0]![0]).toBeGreaterThan(0);
    expect(r.warnings.join(' ')).toMatch(/teacher layer 'z' is constant/);
  });

  it('input checks', async () => {
    await expectKrsError(() => new CrossLayerCka([], ['a']), 'BAD_OPTION');
    const m = new CrossLayerCka(['a'], ['a']);
    await expectKrsError(() => m.update({ b: t.a! }, { a: s.a! }), 'UNKNOWN_KEY', /teacher layer 'a'/);
    await expectKrsError(() => m.update({ a: t.a! }, { a: sliceRows(s.a!, 0, 10) }), 'SHAPE_MISMATCH');
    await expectKrsError(() => m.compute(), 'UNDEFINED', /no samples/);
    const bad = Float32Array.from({ length: 2 * n }, (_, i) => (i === 7 ? NaN : i));
    for (const estimator of ['exact', 'minibatch'] as const) {
      const k = new CrossLayerCka(['a'], ['a'], { estimator });
      await expectKrsError(
        () => k.update({ a: { dtype: 'float32', shape: [n, 2], data: bad } }, { a: s.a! }),
        'NON_FINITE',
        /teacher layer 'a' holds NaN at flat index 7/,
      );
    }
  });
});
