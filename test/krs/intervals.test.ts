/**
 * Jackknife intervals of KrsMetric (docs/formulas.md §"Intervals"): against the grouped
 * jackknife computed from scratch in NumPy (test/fixtures/intervals/make_interval_fixtures.py),
 * invariance to batching, merging and JSON, the memory budget, coverage by simulation and
 * paired comparisons.
 */
import { describe, expect, it } from 'vitest';
import { sliceRows, type Tensor, tensor } from '../../src/core/tensor.js';
import { openCapture } from '../../src/io/node-capture.js';
import { compareStudents } from '../../src/krs/compare.js';
import { KrsMetric, type KrsMetricOptions, type KrsResult } from '../../src/krs/metric.js';
import { scoreCaptures } from '../../src/krs/score-captures.js';
import { forEachLeaveOneOut, jackknifeInterval, pairedJackknife } from '../../src/stats/jackknife.js';
import { expectClose, fixturePath, loadJson } from '../helpers/fixtures.js';

const fx = loadJson('intervals/interval-fixtures.json');
const pairs = [
  { teacher: 'h1', student: 'h1' },
  { teacher: 'h2', student: 'h2' },
];
const read = (file: string) => {
  const c = openCapture(fixturePath(`intervals/${file}`));
  return { h1: c.read('h1'), h2: c.read('h2'), logits: c.read('logits') };
};
const T = read('teacher.npz');
const A = read('student-a.npz');
const B = read('student-b.npz');
const N = 60;

async function fed(student: typeof A, options: Partial<KrsMetricOptions>, cuts = [0, N]): Promise<KrsMetric> {
  const m = new KrsMetric({ task: 'classification', pairs, ...options });
  for (let i = 0; i + 1 < cuts.length; i++) {
    const [a, b] = [cuts[i]!, cuts[i + 1]!];
    await m.update({
      teacher: { h1: sliceRows(T.h1, a, b), h2: sliceRows(T.h2, a, b) },
      student: { h1: sliceRows(student.h1, a, b), h2: sliceRows(student.h2, a, b) },
      teacherOutput: sliceRows(T.logits, a, b),
      studentOutput: sliceRows(student.logits, a, b),
    });
  }
  return m;
}

function expectInterval(got: [number, number] | null, want: number[], tol = 1e-9): void {
  expect(got).not.toBeNull();
  expectClose(got![0], want[0]!, tol);
  expectClose(got![1], want[1]!, tol);
}

function expectMatchesNumpy(r: KrsResult, ref: any): void {
  expectClose(r.krs, ref.whole.krs, 1e-12);
  for (const k of ['fss', 'aoa', 'krs'] as const) {
    expectInterval(r.ci95[k], ref.intervals[k].ci95);
    expectClose(r.intervals.se[k]!, ref.intervals[k].se);
    r.intervals.replicates[k]!.forEach((v, g) => expectClose(v, ref.replicates[k][g], 1e-11));
  }
  r.layers.forEach((l, i) => {
    expectInterval(l.ci95, ref.layers[i].ci95);
    expectClose(l.se!, ref.layers[i].se);
  });
}

describe('jackknife helpers', () => {
  it('leave-one-out merges give every sum but one', async () => {
    const got: number[] = [];
    await forEachLeaveOneOut(
      [1, 2, 4, 8, 16, 32, 64],
      (a, b) => a + b,
      (g, s) => {
        got[g] = s;
      },
    );
    expect(got).toEqual([126, 125, 123, 119, 111, 95, 63]);
  });

  it('undefined intervals are null with a reason, never NaN', () => {
    expect(jackknifeInterval(1, [1])).toMatchObject({ ci95: null, reason: /at least 2 groups/ });
    expect(jackknifeInterval(1, [1, 1, 1])).toMatchObject({ ci95: null, se: 0, reason: /zero jackknife variance/ });
    // Replicates of a constant that differ in their last bits (summed in another order) are no spread…
    expect(jackknifeInterval(100, [100, 100 - 2 ** -46, 100, 100 - 2 ** -45], 'FSS', 0.95, [0, 100])).toMatchObject({ ci95: null, se: 0 });
    // …but a spread just above float64 rounding is one.
    expect(jackknifeInterval(100, [100, 100 - 1e-9, 100, 100 - 2e-9], 'FSS', 0.95, [0, 100]).ci95).not.toBeNull();
    expect(jackknifeInterval(1, [1, Number.NaN])).toMatchObject({ ci95: null, reason: /group 2 is NaN/ });
    expect(pairedJackknife({ estimate: 3, replicates: [1, 2, 3] }, { estimate: 3, replicates: [1, 2, 3] })).toEqual({ delta: 0, ci95: [0, 0], se: 0, p: 1 });
  });
});

describe('KrsMetric intervals', () => {
  it('equal the grouped jackknife computed from scratch in NumPy (G = 6, contiguous), to 1e-9', async () => {
    for (const [student, ref] of [
      [A, fx.G6.a],
      [B, fx.G6.b],
    ] as const) {
      const r = await (await fed(student, { intervals: { groups: 6, samples: N } })).compute();
      expect(r.intervals).toMatchObject({ method: 'grouped-jackknife', groups: 6, blocks: 'contiguous', groupRows: [10, 10, 10, 10, 10, 10] });
      expectMatchesNumpy(r, ref);
    }
  });

  it('scoreCaptures (default 20 groups) equals NumPy, and paired B − A matches the paired jackknife', async () => {
    const score = (s: string) =>
      scoreCaptures({
        task: 'classification',
        teacher: openCapture(fixturePath('intervals/teacher.npz')),
        student: openCapture(fixturePath(`intervals/${s}`)),
      });
    const ra = await score('student-a.npz');
    const rb = await score('student-b.npz');
    expect(ra.intervals.groups).toBe(20);
    expectMatchesNumpy(ra, fx.G20.a);
    expectMatchesNumpy(rb, fx.G20.b);
    const [c] = compareStudents([
      { name: 'a', result: ra },
      { name: 'b', result: rb },
    ]);
    for (const k of ['krs', 'fss', 'aoa'] as const) {
      const ref = fx.G20.paired[k];
      expectClose(c!.delta[k], ref.delta, 1e-12);
      expectInterval(c!.ci95[k], ref.ci95);
      expectClose(c!.p[k]!, ref.p, 1e-7);
    }
    // B is clearly better: KRS interval excludes 0, p small.
    expect(c!.ci95.krs![0]).toBeGreaterThan(0);
    expect(c!.p.krs!).toBeLessThan(1e-4);
    // Identical students: Δ = 0 exactly, interval [0, 0], p = 1.
    const [same] = compareStudents([
      { name: 'a', result: ra },
      { name: 'a again', result: await score('student-a.npz') },
    ]);
    expect(same!.delta).toEqual({ krs: 0, fss: 0, aoa: 0 });
    expect(same!.ci95.krs).toEqual([0, 0]);
    expect(same!.p.krs).toBe(1);
  });

  it('agrees with a percentile bootstrap of 4000 resamples (NumPy) as a sanity band', async () => {
    const r = await (await fed(A, { intervals: { groups: 20, samples: N } })).compute();
    const boot = fx.bootstrapKrsA;
    expect(r.intervals.se.krs! / boot.se).toBeGreaterThan(0.67);
    expect(r.intervals.se.krs! / boot.se).toBeLessThan(1.5);
    const [lo, hi] = r.ci95.krs!;
    const width = boot.ci95[1] - boot.ci95[0];
    expect(Math.abs(lo - boot.ci95[0])).toBeLessThan(0.5 * width);
    expect(Math.abs(hi - boot.ci95[1])).toBeLessThan(0.5 * width);
  });

  it('k batches, merged shards and JSON round trips give identical intervals (contiguous and interleaved)', async () => {
    for (const intervals of [{ groups: 7, samples: N }, { groups: 7 }]) {
      const one = await (await fed(A, { intervals })).compute();
      const k = await fed(A, { intervals }, [0, 5, 13, 33, 34, 60]);
      const kr = await k.compute();
      // Same groups; the sums inside a group's CKA state differ only by float64 rounding across batchings.
      expect(kr.intervals.groupRows).toEqual(one.intervals.groupRows);
      for (const key of ['fss', 'aoa', 'krs'] as const) {
        expectClose(kr.ci95[key]![0], one.ci95[key]![0], 1e-12);
        expectClose(kr.ci95[key]![1], one.ci95[key]![1], 1e-12);
        kr.intervals.replicates[key]!.forEach((v, g) => expectClose(v, one.intervals.replicates[key]![g]!, 1e-12));
      }
      kr.layers.forEach((l, i) => expectClose(l.se!, one.layers[i]!.se!, 1e-10));
      // A JSON round trip is exact: bit-identical intervals.
      const round = KrsMetric.fromJSON(JSON.parse(JSON.stringify(k.toJSON())));
      expect((await round.compute()).intervals).toEqual(kr.intervals);
      // Half restored from JSON mid-stream, then the rest streamed in.
      const half = KrsMetric.fromJSON(JSON.parse(JSON.stringify((await fed(A, { intervals }, [0, 30])).toJSON())));
      await half.update({
        teacher: { h1: sliceRows(T.h1, 30, 60), h2: sliceRows(T.h2, 30, 60) },
        student: { h1: sliceRows(A.h1, 30, 60), h2: sliceRows(A.h2, 30, 60) },
        teacherOutput: sliceRows(T.logits, 30, 60),
        studentOutput: sliceRows(A.logits, 30, 60),
      });
      const hr = await half.compute();
      for (const key of ['fss', 'aoa', 'krs'] as const) {
        expectClose(hr.ci95[key]![0], one.ci95[key]![0], 1e-12);
        expectClose(hr.ci95[key]![1], one.ci95[key]![1], 1e-12);
      }
    }
    // Shards merged group by group: the same groups as one metric fed by explicit groups.
    const shardA = await fed(A, { intervals: { groups: 6, samples: N } }, [0, 60]);
    const merged = shardA.merge(new KrsMetric({ task: 'classification', pairs, intervals: { groups: 6, samples: N } }));
    expect((await merged.compute()).ci95).toEqual((await shardA.compute()).ci95);
  });

  it('the memory budget coarsens groups (never below 5) or leaves the pair without an interval, and says so', async () => {
    // One group's CKA state of h2 (3 and 6 features) takes a few hundred bytes.
    const coarse = await (await fed(A, { intervals: { groups: 20, samples: N, memoryBudget: 12 * 1024 } })).compute();
    const full = await (await fed(A, { intervals: { groups: 20, samples: N } })).compute();
    expect(full.layers.map((l) => l.groups)).toEqual([20, 20]);
    const g = coarse.layers.map((l) => l.groups);
    expect(Math.min(...g)).toBeGreaterThanOrEqual(5);
    expect(Math.min(...g)).toBeLessThan(20);
    expect(coarse.intervals.groups).toBe(Math.min(...g));
    expect(coarse.warnings.join('\n')).toMatch(/groups instead of 20/);
    expect(coarse.krs).toBeCloseTo(full.krs, 10);

    const none = await (await fed(A, { intervals: { groups: 20, samples: N, memoryBudget: 64 } })).compute();
    expect(none.layers[0]!.ci95).toBeNull();
    expect(none.layers[0]!.ciReason).toMatch(/exceed the interval memory budget/);
    expect(none.ci95.fss).toBeNull();
    expect(none.ci95.krs).toBeNull();
    expect(none.intervals.reasons.krs).toMatch(/memoryBudget/);
    expect(none.ci95.aoa).not.toBeNull(); // outputs keep their groups
    expectClose(none.krs, full.krs, 1e-12);
  });

  it('a layer undefined without one group: that interval is null with the reason', async () => {
    // h is constant except in the first 3 samples (group 0): leaving group 0 out makes CKA undefined.
    const n = 30;
    const h = tensor(
      Float64Array.from({ length: n * 2 }, (_, i) => (i < 6 ? Math.sin(i) : 0)),
      [n, 2],
    );
    const z = tensor(
      Float64Array.from({ length: n * 3 }, (_, i) => Math.cos(i * 0.7)),
      [n, 3],
    );
    const m = new KrsMetric({ task: 'classification', pairs: [{ teacher: 'h', student: 'h' }], intervals: { groups: 10, samples: n } });
    await m.update({ teacher: { h }, student: { h }, teacherOutput: z, studentOutput: z });
    const r = await m.compute();
    expect(r.layers[0]!.ci95).toBeNull();
    expect(r.layers[0]!.ciReason).toMatch(/without one group of samples it is undefined/);
    expect(r.ci95.krs).toBeNull();
    expect(Number.isFinite(r.krs)).toBe(true);
  });

  it('intervals: false gives null intervals and no per-group states', async () => {
    const r = await (await fed(A, { intervals: false })).compute();
    expect(r.ci95).toEqual({ fss: null, aoa: null, krs: null });
    expect(r.intervals.method).toBe('none');
    expectClose(r.krs, fx.G6.a.whole.krs, 1e-12);
  });
});

/** Seeded normal draws (mulberry32 + Box–Muller), for the coverage simulation. */
function normals(seed: number): () => number {
  let s = seed >>> 0;
  const u = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

function matmul(x: Float64Array, n: number, k: number, w: number[][]): Float64Array {
  const m = w[0]!.length;
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) for (let l = 0; l < k; l++) out[i * m + j]! += x[i * k + l]! * w[l]![j]!;
  return out;
}

describe('coverage by simulation', () => {
  // x ~ N(0, I₄), y = x Aᵀ + e, logits x·Wt and y·Ws; population CKA analytic, AOA from 4·10⁶ draws (fixture script).
  const pop = fx.population;
  const At = (pop.A as number[][])[0]!.map((_, j) => (pop.A as number[][]).map((row) => row[j]!)); // 4 × 3
  const draws = Number(process.env.KRS_COVERAGE_DRAWS ?? 200);
  const n = 400;

  it(`≥ 93 % of ${draws} seeded 95 % intervals (n = ${n}, 20 groups) cover the population CKA, AOA and KRS`, async () => {
    const covered = { layer: 0, aoa: 0, krs: 0 };
    for (let d = 0; d < draws; d++) {
      const z = normals(1000 + d);
      const x = Float64Array.from({ length: n * 4 }, z);
      const y = matmul(x, n, 4, At).map((v) => v + z());
      const m = new KrsMetric({ task: 'classification', pairs: [{ teacher: 'x', student: 'y' }], intervals: { groups: 20, samples: n } });
      const t = (a: Float64Array, w: number): Tensor => tensor(a, [n, w]);
      await m.update({
        teacher: { x: t(x, 4) },
        student: { y: t(y, 3) },
        teacherOutput: t(matmul(x, n, 4, pop.Wt), 3),
        studentOutput: t(matmul(y, n, 3, pop.Ws), 3),
      });
      const r = await m.compute();
      const inside = (ci: [number, number] | null, v: number) => (ci && ci[0] <= v && v <= ci[1] ? 1 : 0);
      covered.layer += inside(r.layers[0]!.ci95, pop.cka);
      covered.aoa += inside(r.ci95.aoa, pop.aoa);
      covered.krs += inside(r.ci95.krs, pop.krs);
    }
    const rate = { layer: covered.layer / draws, aoa: covered.aoa / draws, krs: covered.krs / draws };
    if (process.env.KRS_COVERAGE_DRAWS) console.log('coverage', draws, rate);
    expect(rate.layer).toBeGreaterThanOrEqual(0.93);
    expect(rate.aoa).toBeGreaterThanOrEqual(0.93);
    expect(rate.krs).toBeGreaterThanOrEqual(0.93);
  }, 120_000);
});

describe('intervals near the top of the scale', () => {
  // x ~ N(0, I₄), y = x Aᵀ + 0.1·e, logits fitted exactly: population AOA ≈ 99.1. Small samples
  // (n = 60, 20 groups of 3), where the plain jackknife interval of AOA reached past 100.
  const pop = fx.population;
  const high = fx.populationHigh;
  const At = (pop.A as number[][])[0]!.map((_, j) => (pop.A as number[][]).map((row) => row[j]!));
  const draws = Number(process.env.KRS_COVERAGE_DRAWS ?? 200);
  const n = 40;

  it(`no interval of ${draws} leaves 0–100, and ≥ 90 % cover the population AOA and KRS`, async () => {
    const covered = { aoa: 0, krs: 0, plainAoa: 0 };
    let plainOutside = 0;
    for (let d = 0; d < draws; d++) {
      const z = normals(5000 + d);
      const x = Float64Array.from({ length: n * 4 }, z);
      const y = matmul(x, n, 4, At).map((v) => v + high.sigma * z());
      const m = new KrsMetric({ task: 'classification', pairs: [{ teacher: 'x', student: 'y' }], intervals: { groups: 20, samples: n } });
      await m.update({
        teacher: { x: tensor(x, [n, 4]) },
        student: { y: tensor(y, [n, 3]) },
        teacherOutput: tensor(matmul(x, n, 4, high.Wt), [n, 3]),
        studentOutput: tensor(matmul(y, n, 3, high.Ws), [n, 3]),
      });
      const r = await m.compute();
      for (const ci of [r.ci95.aoa, r.ci95.krs, r.ci95.fss, r.layers[0]!.ci95]) {
        expect(ci).not.toBeNull();
        expect(ci![0]).toBeGreaterThanOrEqual(0);
        expect(ci![1]).toBeLessThanOrEqual(100);
      }
      const inside = (ci: [number, number] | null, v: number) => (ci && ci[0] <= v && v <= ci[1] ? 1 : 0);
      covered.aoa += inside(r.ci95.aoa, high.aoa);
      covered.krs += inside(r.ci95.krs, high.krs);
      // The plain interval, for the record (docs/formulas.md).
      const h = 2.093 * r.intervals.se.aoa!; // t(0.975, 19)
      if (r.aoa + h > 100) plainOutside++;
      covered.plainAoa += inside([r.aoa - h, r.aoa + h], high.aoa);
    }
    if (process.env.KRS_COVERAGE_DRAWS)
      console.log('near the top', draws, {
        aoa: covered.aoa / draws,
        krs: covered.krs / draws,
        plainAoa: covered.plainAoa / draws,
        plainOutside: plainOutside / draws,
      });
    expect(covered.aoa / draws).toBeGreaterThanOrEqual(0.9);
    expect(covered.krs / draws).toBeGreaterThanOrEqual(0.9);
  }, 120_000);
});

describe('interval work budget', () => {
  it('a pair whose leave-outs need more work than intervals.workBudget has no interval, with the reason', async () => {
    const r = await (await fed(A, { intervals: { groups: 20, samples: N, workBudget: 10 } })).compute();
    expect(r.layers[0]!.ci95).toBeNull();
    expect(r.layers[0]!.ciReason).toMatch(
      /need about [\d.]+e\+\d+ multiply-adds \(20 merges of states of widths 5 \+ 4\), over the interval work budget of 1\.0e\+1 \(.*intervals.*\.workBudget\)/,
    );
    expect(r.ci95.krs).toBeNull();
    expect(r.ci95.aoa).not.toBeNull();
    expect(r.warnings.join('\n')).toMatch(/work budget/);
  });

  it('is a size rule: the same data and options give the same intervals, and timeBudget is refused', async () => {
    const a = await (await fed(A, { intervals: { groups: 20, samples: N } })).compute();
    const b = await (await fed(A, { intervals: { groups: 20, samples: N } })).compute();
    expect(a.layers[0]!.ci95).not.toBeNull();
    expect(b.layers.map((l) => l.ci95)).toEqual(a.layers.map((l) => l.ci95));
    await expect(fed(A, { intervals: { groups: 20, samples: N, timeBudget: 20_000 } as never })).rejects.toThrow(/workBudget.*timeBudget is gone/);
  });
});
