import { describe, expect, it } from 'vitest';
import { klAgreement } from '../../src/agreement/classification.js';
import { regressionAgreement } from '../../src/agreement/regression.js';
import { sliceRows, type Tensor, tensor } from '../../src/core/tensor.js';
import { type KrsBatch, KrsMetric, type KrsMetricOptions } from '../../src/krs/metric.js';
import { similarityOf } from '../../src/similarity/layer-similarity.js';
import { asTensor, expectClose, expectKrsError, loadJson } from '../helpers/fixtures.js';

const fx = loadJson('similarity/similarity-fixtures.json');
const X = asTensor(fx.google.X); // 100 × 10
const Y = asTensor(fx.google.Y);
const W = asTensor({ shape: [100, 4], data: fx.wide.X.data.slice(0, 400) });
const logitsT = tensor(
  Float64Array.from({ length: 300 }, (_, i) => Math.sin(i * 1.7) * 3),
  [100, 3],
);
const logitsS = tensor(
  Float64Array.from({ length: 300 }, (_, i) => Math.sin(i * 1.7) * 2.5 + Math.cos(i) * 0.4),
  [100, 3],
);

const rows = (t: Tensor, a: number, b: number) => sliceRows(t, a, b);
function batch(a: number, b: number): KrsBatch {
  return {
    teacher: { h1: rows(X, a, b), h2: rows(X, a, b) },
    student: { h1: rows(Y, a, b), h2s: rows(W, a, b) },
    teacherOutput: rows(logitsT, a, b),
    studentOutput: rows(logitsS, a, b),
  };
}
const options: KrsMetricOptions = {
  task: 'classification',
  pairs: [
    { teacher: 'h1', student: 'h1' },
    { teacher: 'h2', student: 'h2s' },
  ],
};

describe('KrsMetric', () => {
  it('composes per-layer similarity and output agreement exactly as the parts compute them', async () => {
    const m = new KrsMetric(options);
    await m.update(batch(0, 100));
    const r = await m.compute();
    const s1 = (await similarityOf(X, Y)).value;
    const s2 = (await similarityOf(X, W)).value;
    const aoa = klAgreement(logitsT, logitsS).aoa;
    expectClose(r.fss, ((s1 + s2) / 2) * 100, 1e-12);
    expectClose(r.aoa, aoa, 1e-12);
    expectClose(r.krs, 0.3 * r.fss + 0.7 * aoa, 1e-12);
    expect(r.layers.map((l) => l.n)).toEqual([100, 100]);
    expect(r).toMatchObject({ task: 'classification', n: 100, alpha: 0.3, similarity: 'cka', pool: 'flatten', backend: 'typescript-f64' });
  });

  it('sample space: rows handed over are kept as they are (so later writes show), others copied; the same KRS', async () => {
    // One group, so the pair gets the batch's own arrays (interval groups without a sample count gather copies).
    const opts: KrsMetricOptions = { ...options, pairs: [{ teacher: 'h1', student: 'h1' }], exactRoute: 'sample-space', intervals: false };
    const run = async (handOver: boolean) => {
      const t = { ...X, data: Float64Array.from(X.data as Float64Array) };
      const m = new KrsMetric(opts);
      await m.update({ teacher: { h1: t }, student: { h1: Y }, teacherOutput: logitsT, studentOutput: logitsS, handOver });
      const first = await m.compute();
      (t.data as Float64Array).reverse(); // what a caller must not do after handing the rows over
      return { first, after: await m.compute() };
    };
    const copied = await run(false);
    const handed = await run(true);
    expect(handed.first.layers[0]!.route).toBe('sample-space');
    expect(handed.first.krs).toBe(copied.first.krs);
    expect(copied.after.krs).toBe(copied.first.krs);
    expect(handed.after.krs).not.toBe(handed.first.krs);
  });

  it('k batches = one shot; merged shards = whole; reset restores; inputs untouched; JSON round trip', async () => {
    const whole = new KrsMetric(options);
    const before = Float64Array.from(X.data as Float64Array);
    await whole.update(batch(0, 100));
    expect(Float64Array.from(X.data as Float64Array)).toEqual(before);
    const one = await whole.compute();

    const k = new KrsMetric(options);
    const a = new KrsMetric(options);
    const b = new KrsMetric(options);
    const cuts = [0, 13, 40, 77, 100];
    for (let i = 0; i + 1 < cuts.length; i++) {
      await k.update(batch(cuts[i]!, cuts[i + 1]!));
      await (i % 2 ? b : a).update(batch(cuts[i]!, cuts[i + 1]!));
    }
    const kr = await k.compute();
    expectClose(kr.krs, one.krs, 1e-12);
    expectClose(kr.fss, one.fss, 1e-12);
    const aBefore = (await a.compute()).krs;
    const merged = a.merge(b);
    expectClose((await merged.compute()).krs, one.krs, 1e-12);
    expect((await a.compute()).krs).toBe(aBefore);

    const restored = KrsMetric.fromJSON(JSON.parse(JSON.stringify(k.toJSON())));
    expect((await restored.compute()).krs).toBe(kr.krs);
    await restored.update(batch(0, 10)); // restored metrics keep streaming
    expect((await restored.compute()).n).toBe(110);

    k.reset();
    await expectKrsError(() => k.compute(), 'UNDEFINED', /no samples/);
    await k.update(batch(0, 100));
    expect((await k.compute()).krs).toBe(one.krs);
  });

  it('regression preset: cosine for equal widths, normalised MSE; α 0.5', async () => {
    const m = new KrsMetric({ task: 'regression', pairs: [{ teacher: 'h', student: 'h' }] });
    const pt = tensor(
      Float64Array.from({ length: 100 }, (_, i) => Math.sin(i)),
      [100, 1],
    );
    const ps = tensor(
      Float64Array.from({ length: 100 }, (_, i) => Math.sin(i) + 0.1 * Math.cos(3 * i)),
      [100, 1],
    );
    await m.update({ teacher: { h: X }, student: { h: Y }, teacherOutput: pt, studentOutput: ps });
    const r = await m.compute();
    expect(r.similarity).toBe('cosine');
    expectClose(r.fss, 100 * fx.google.cosine, 1e-12);
    expectClose(r.aoa, regressionAgreement(pt, ps).aoa, 1e-12);
    expect(r.alpha).toBe(0.5);
  });

  it('rejects bad options and bad batches with KrsErrors', async () => {
    await expectKrsError(() => new KrsMetric({ ...options, alpha: 1.01 }), 'BAD_WEIGHT', /1.01/);
    await expectKrsError(() => new KrsMetric({ ...options, alpha: 0.4, beta: 0.5 }), 'BAD_WEIGHT');
    await expectKrsError(() => new KrsMetric({ ...options, pairs: [] }), 'BAD_OPTION', /layer pair/);
    await expectKrsError(() => new KrsMetric({ ...options, task: 'ranking' as never }), 'BAD_OPTION', /ranking/);
    const m = new KrsMetric(options);
    await expectKrsError(() => m.update({ ...batch(0, 10), teacher: { h1: rows(X, 0, 10) } }), 'UNKNOWN_KEY', /teacher layer 'h2'/);
    await expectKrsError(() => m.update({ ...batch(0, 10), studentOutput: rows(logitsS, 0, 9) }), 'SHAPE_MISMATCH');
  });
});

describe('KrsMetric similarity options', () => {
  const rbf: KrsMetricOptions = { ...options, similarity: 'cka-rbf', similarityOptions: { rbfThreshold: 0.5 } };
  it('reach every pair as one object, and a state records them', async () => {
    const m = new KrsMetric(rbf);
    await m.update(batch(0, 100));
    const r = await m.compute();
    expectClose(r.layers[0]!.score, 100 * (await similarityOf(X, Y, { similarity: 'cka-rbf', similarityOptions: { rbfThreshold: 0.5 } })).value, 1e-12);
    expect(r.layers[0]!.score).not.toBeCloseTo(100 * (await similarityOf(X, Y, { similarity: 'cka-rbf' })).value, 3);
    expect(m.toJSON().options.similarityOptions).toEqual({ rbfThreshold: 0.5 });
  });
  it('a state written before similarityOptions (rbfThreshold flat in its options) restores with the same threshold', async () => {
    const m = new KrsMetric(rbf);
    await m.update(batch(0, 100));
    const json = m.toJSON();
    const { similarityOptions: _s, ...rest } = json.options;
    const old = { ...json, options: { ...rest, rbfThreshold: 0.5 } };
    const back = KrsMetric.fromJSON(JSON.parse(JSON.stringify(old)));
    expect((await back.compute()).layers[0]!.score).toBe((await m.compute()).layers[0]!.score);
  });
  it('a bad similarity option is refused by the constructor, naming it', async () => {
    await expectKrsError(
      () => new KrsMetric({ ...options, similarityOptions: { rbfThreshold: 0 } }),
      'BAD_OPTION',
      /rbfThreshold 0: expected a finite number > 0/,
    );
    await expectKrsError(() => new KrsMetric({ ...options, similarityOptions: { theta: 1 } as never }), 'BAD_OPTION', /similarityOptions "theta"/);
  });
});
