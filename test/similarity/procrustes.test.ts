/**
 * Orthogonal Procrustes similarity (src/similarity/procrustes.ts) and the Jacobi singular values
 * under it (src/linalg/svd.ts), against NumPy (test/fixtures/procrustes/make_procrustes_fixtures.py:
 * np.linalg.svd, and the Procrustes distance solved directly). The registry's contract tests
 * (registry.test.ts) cover its Measure properties and state checks like every similarity's.
 */
import { describe, expect, it } from 'vitest';
import { type Tensor, tensor } from '../../src/core/tensor.js';
import { KrsMetric } from '../../src/krs/metric.js';
import { singularValues } from '../../src/linalg/svd.js';
import { layerSimilarity, similarityOf } from '../../src/similarity/layer-similarity.js';
import { expectClose, expectKrsError, loadJson } from '../helpers/fixtures.js';

interface Case {
  name: string;
  n: number;
  p: number;
  q: number;
  x: number[];
  y: number[];
  similarity: number;
  distanceSquared: number;
}
const fx = loadJson('procrustes/procrustes-fixtures.json') as {
  cases: Case[];
  svd: { rows: number; cols: number; a: number[]; sigma: number[] }[];
};

const sides = (c: Case) => ({ x: tensor(Float64Array.from(c.x), [c.n, c.p]), y: tensor(Float64Array.from(c.y), [c.n, c.q]) });

/** Rows [a, b) of an n × w tensor. */
function rows(t: Tensor, a: number, b: number): Tensor {
  const w = t.shape[1]!;
  return tensor((t.data as Float64Array).slice(a * w, b * w), [b - a, w]);
}

describe('singular values by one-sided Jacobi = NumPy', () => {
  it.each(fx.svd.map((s) => [`${s.rows}×${s.cols}`, s] as const))('%s', (_, s) => {
    const sigma = singularValues(Float64Array.from(s.a), s.rows, s.cols);
    expect(sigma.length).toBe(Math.min(s.rows, s.cols));
    const top = s.sigma[0]!;
    // Relative to the largest: the rank-2 case's zero singular values come out at ≈ 1e-16·σ₁.
    s.sigma.forEach((v, i) => expect(Math.abs(sigma[i]! - v)).toBeLessThanOrEqual(1e-13 * top));
  });
  it('leaves its input unchanged and gives nothing for an empty side', () => {
    const a = Float64Array.from([1, 2, 3, 4, 5, 6]);
    singularValues(a, 2, 3);
    expect([...a]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(singularValues(new Float64Array(0), 0, 4).length).toBe(0);
  });
});

describe('procrustes = NumPy (‖XᶜᵀYᶜ‖_* / (‖Xᶜ‖_F‖Yᶜ‖_F) = 1 − d²/2)', () => {
  it.each(fx.cases.map((c) => [c.name, c] as const))('%s: one shot, and in three uneven batches', async (_, c) => {
    const { x, y } = sides(c);
    const whole = await similarityOf(x, y, { similarity: 'procrustes' });
    expectClose(whole.value, c.similarity, 1e-12);
    expectClose(2 - 2 * whole.value, c.distanceSquared, c.distanceSquared < 1e-12 ? Number.POSITIVE_INFINITY : 1e-9);
    expect(whole).toMatchObject({ similarity: 'procrustes', estimator: 'exact', n: c.n, teacherWidth: c.p, studentWidth: c.q, warnings: [] });
    const m = layerSimilarity({ similarity: 'procrustes' });
    const s = m.init();
    const cuts = [0, 1, Math.floor(c.n / 2), c.n];
    for (let k = 0; k < 3; k++) await m.update(s, { teacher: rows(x, cuts[k]!, cuts[k + 1]!), student: rows(y, cuts[k]!, cuts[k + 1]!) });
    expectClose((await m.compute(s)).value, c.similarity, 1e-12);
  });

  it('a rotated, scaled and offset copy scores 1 (clamped, never above)', async () => {
    const c = fx.cases.find((k) => k.name.startsWith('rotated'))!;
    const { x, y } = sides(c);
    const r = await similarityOf(x, y, { similarity: 'procrustes' });
    expect(r.value).toBeLessThanOrEqual(1);
    expect(r.value).toBeGreaterThan(1 - 1e-13);
  });

  it('merged shards in either order = the whole (Chan et al.’s pairwise update)', async () => {
    const c = fx.cases[0]!;
    const { x, y } = sides(c);
    const m = layerSimilarity({ similarity: 'procrustes' });
    const [a, b] = [m.init(), m.init()];
    await m.update(a, { teacher: rows(x, 0, 17), student: rows(y, 0, 17) });
    await m.update(b, { teacher: rows(x, 17, c.n), student: rows(y, 17, c.n) });
    expectClose((await m.compute(m.merge(a, b))).value, c.similarity, 1e-12);
    expectClose((await m.compute(m.merge(b, a))).value, c.similarity, 1e-12);
    // Round trip through JSON is bit for bit.
    const back = m.fromJSON(JSON.parse(JSON.stringify(m.toJSON(a))));
    expect((await m.compute(back)).value).toBe((await m.compute(a)).value);
  });
});

describe('procrustes edge cases', () => {
  const x = tensor(Float64Array.from([1, 2, 3, 4, 5, 7, 2, 1, 0]), [3, 3]);
  it('a constant layer (zero variance) is UNDEFINED naming the layer', async () => {
    const constant = tensor(new Float64Array(9).fill(2.5), [3, 3]);
    await expectKrsError(() => similarityOf(x, constant, { similarity: 'procrustes', studentName: 'fc' }), 'UNDEFINED', /student layer 'fc'/, /constant/);
    await expectKrsError(() => similarityOf(constant, x, { similarity: 'procrustes', teacherName: 'h' }), 'UNDEFINED', /teacher layer 'h'/, /constant/);
  });
  it('one sample is UNDEFINED (nothing to centre)', async () => {
    await expectKrsError(() => similarityOf(rows(x, 0, 1), rows(x, 1, 2), { similarity: 'procrustes' }), 'UNDEFINED', /at least 2 samples/);
  });
  it('NaN in the rows is NON_FINITE before any sum', async () => {
    const bad = tensor(Float64Array.from([1, Number.NaN, 3, 4, 5, 7, 2, 1, 0]), [3, 3]);
    await expectKrsError(() => similarityOf(x, bad, { similarity: 'procrustes' }), 'NON_FINITE');
  });
  it('a state over the memory budget is refused before any work', async () => {
    await expectKrsError(
      () => similarityOf(x, x, { similarity: 'procrustes', memoryBudget: 100 }),
      'BAD_VALUE',
      /Procrustes similarity of layer pair/,
      /memoryBudget/,
    );
  });
  it('a state of other widths is refused naming the field', async () => {
    const m = layerSimilarity({ similarity: 'procrustes' });
    const s = m.init();
    await m.update(s, { teacher: x, student: x });
    const json = m.toJSON(s) as { state: Record<string, unknown> };
    await expectKrsError(() => m.fromJSON({ ...json, state: { ...json.state, cross: json.state.meanX } }), 'BAD_VALUE', /cross must have 9 entries, got 3/);
    await expectKrsError(() => m.fromJSON({ ...json, state: { ...json.state, sumSqX: -1 } }), 'BAD_VALUE', /sumSqX/);
  });
});

describe('procrustes through KrsMetric', () => {
  it('is a layer score in points like any similarity, with its intervals', async () => {
    const c = fx.cases[0]!;
    const { x, y } = sides(c);
    const metric = new KrsMetric({ task: 'regression', similarity: 'procrustes', pairs: [{ teacher: 'h', student: 'h' }], intervals: { groups: 5 } });
    const out = (t: Tensor) => rows(t, 0, c.n);
    await metric.update({
      teacher: { h: x },
      student: { h: y },
      teacherOutput: tensor(out(x).data.slice(0, c.n), [c.n, 1]),
      studentOutput: tensor(out(y).data.slice(0, c.n), [c.n, 1]),
    });
    const r = await metric.compute();
    expect(r.layers[0]!.similarity).toBe('procrustes');
    expectClose(r.layers[0]!.score, 100 * c.similarity, 1e-12);
    expect(r.fss).toBeCloseTo(100 * c.similarity, 10);
  });
});
