/**
 * The buckets behind windows and series (src/serve/store/buckets.ts, reads.ts): the cover of a
 * range is exact (whole aligned buckets and finer ends, no gap, no overlap), and windows and
 * series served from buckets score exactly what a metric fed the points inside scores — for
 * random step and time windows, stored and other bucket widths, after changes invalidate
 * buckets.
 */
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KrsMetric } from '../../src/krs/metric.js';
import { bucketsOf, cover, LEVELS } from '../../src/serve/store/buckets.js';
import { batch, sqliteStore, type TestStore, testApp } from './helpers.js';
import { checked } from './openapi.js';

describe('bucket geometry', () => {
  it('covers a range exactly with aligned whole buckets and finer ends', () => {
    for (const axis of ['step', 'time'] as const) {
      const top = LEVELS[axis].at(-1)! * 3;
      fc.assert(
        fc.property(fc.integer({ min: 0, max: top }), fc.integer({ min: 0, max: top }), (a, b) => {
          const [from, to] = a <= b ? [a, b] : [b, a];
          const c = cover(axis, from, to);
          const parts = [
            ...c.ranges.flatMap((r) =>
              Array.from({ length: (r.to - r.from) / r.width }, (_, i) => [r.from + i * r.width, r.from + (i + 1) * r.width, r.width]),
            ),
            ...c.rest.map((r) => [r.from, r.to, 0]),
          ].sort((x, y) => x[0]! - y[0]!);
          let at = from;
          for (const [s, e, w] of parts) {
            expect(s).toBe(at);
            if (w) expect(s! % w!).toBe(0);
            else expect(e! - s!).toBeLessThan(LEVELS[axis][0]! * 2);
            at = e!;
          }
          expect(at).toBe(to);
          // Few buckets however long the range: at most 2 × (ratio − 1) per level, and the widest level's span.
          expect(parts.length).toBeLessThanOrEqual(LEVELS[axis].length * 2 * 60 + 2 + Math.ceil((to - from) / LEVELS[axis].at(-1)!));
        }),
        { numRuns: 300 },
      );
    }
  });

  it('puts a point in one aligned bucket per level', () => {
    const t = Date.parse('2026-03-04T05:06:07.089Z');
    const keys = bucketsOf('time', t);
    expect(keys.map((k) => new Date(k.start).toISOString())).toEqual([
      '2026-03-04T05:06:00.000Z',
      '2026-03-04T05:00:00.000Z',
      '2026-03-04T00:00:00.000Z',
      new Date(Math.floor(t / 604_800_000) * 604_800_000).toISOString(),
    ]);
    expect(bucketsOf('step', 1000).map((k) => k.start)).toEqual([1000, 992, 768, 0, 0]);
  });
});

describe('windows and series from buckets equal direct merges', () => {
  let ts: TestStore;
  let app: FastifyInstance;
  let inject: ReturnType<typeof checked>;
  const settings = { task: 'classification' as const, pairs: [{ teacher: 'fc', student: 'fc' }], intervals: { groups: 4 } };
  const start = Date.parse('2026-06-01T00:00:00Z');
  const points: { step: number; time: number; b: ReturnType<typeof batch> }[] = [];

  async function direct(pick: (p: (typeof points)[number]) => boolean) {
    const inside = points.filter(pick);
    if (inside.length === 0) return null;
    const m = new KrsMetric(settings);
    for (const p of inside) await m.update(p.b);
    return { n: inside.length, r: await m.compute() };
  }

  beforeAll(async () => {
    ts = await sqliteStore();
    ({ app } = await testApp(ts.store, { threads: 2 }));
    inject = checked(app);
    expect(
      (
        await inject({
          method: 'POST',
          url: '/v1/runs',
          payload: { name: 'grid', task: 'classification', settings: { pairs: ['fc:fc'], intervals: { groups: 4 } } },
        })
      ).statusCode,
    ).toBe(201);
    // 60 points: steps 0–1200 (some repeated), times over ten days (some in the same minute).
    let seed = 7;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    for (let i = 0; i < 60; i++) {
      const step = i % 7 === 6 ? points[i - 1]!.step : Math.floor(next() * 1200);
      const time = i % 5 === 4 ? points[i - 1]!.time + 5000 : start + Math.floor(next() * 10 * 86_400_000);
      const b = batch(5 + (i % 9), 500 + i);
      points.push({ step, time, b });
      const r = await inject({ method: 'POST', url: '/v1/runs/grid/batches', payload: { step, time: new Date(time).toISOString(), ...b } });
      expect(r.statusCode, r.body).toBe(201);
    }
  });
  afterAll(async () => {
    await app?.close();
    await ts?.cleanup();
  });

  it('random step and time windows', async () => {
    let seed = 3;
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return Math.floor((seed / 2 ** 32) * n);
    };
    for (let k = 0; k < 25; k++) {
      const [a, b] = [rnd(1300), rnd(1300)].sort((x, y) => x - y);
      const want = await direct((p) => p.step >= a! && p.step <= b!);
      const r = await inject(`/v1/runs/grid/window?fromStep=${a}&toStep=${b}`);
      if (!want) {
        expect(r.statusCode).toBe(404);
        continue;
      }
      expect(r.json().points, `steps ${a}–${b}`).toBe(want.n);
      expect(r.json().scores.n).toBe(want.r.n);
      expect(r.json().scores.krs).toBeCloseTo(want.r.krs, 9);
      expect(r.json().scores.aoa).toBeCloseTo(want.r.aoa, 9);
    }
    for (let k = 0; k < 25; k++) {
      const [a, b] = [start + rnd(11 * 86_400_000), start + rnd(11 * 86_400_000)].sort((x, y) => x - y);
      const want = await direct((p) => p.time >= a! && p.time <= b!);
      const r = await inject(`/v1/runs/grid/window?from=${new Date(a!).toISOString()}&to=${new Date(b!).toISOString()}`);
      if (!want) {
        expect(r.statusCode).toBe(404);
        continue;
      }
      expect(r.json().points).toBe(want.n);
      expect(r.json().scores.krs).toBeCloseTo(want.r.krs, 9);
    }
    // Both bounds: the points in both.
    const both = await direct((p) => p.step >= 100 && p.step <= 900 && p.time <= start + 5 * 86_400_000);
    const r = (await inject(`/v1/runs/grid/window?fromStep=100&toStep=900&to=${new Date(start + 5 * 86_400_000).toISOString()}`)).json();
    expect(r.scores.krs).toBeCloseTo(both!.r.krs, 9);
  });

  it('concurrent reads of buckets that must be merged each get the whole answer', async () => {
    // New points in existing buckets: the next reads merge them, many at once.
    for (let i = 0; i < 3; i++) {
      const p = { step: points[i]!.step, time: points[i]!.time + 2000, b: batch(7, 900 + i) };
      points.push(p);
      expect(
        (await inject({ method: 'POST', url: '/v1/runs/grid/batches', payload: { step: p.step, time: new Date(p.time).toISOString(), ...p.b } })).statusCode,
      ).toBe(201);
    }
    const urls = ['/v1/runs/grid/window', '/v1/runs/grid/window?fromStep=0&toStep=2000', '/v1/runs/grid/series?by=time&bucket=86400', '/v1/runs/grid/series'];
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => inject(urls[i % urls.length]!)));
    expect(answers.map((r) => r.statusCode)).toEqual(new Array(12).fill(200));
    const whole = (await direct(() => true))!;
    for (const r of answers.filter((_, i) => i % urls.length === 0)) expect(r.json().scores.krs).toBeCloseTo(whole.r.krs, 9);
    for (let i = 0; i < urls.length; i++) expect(answers[i + urls.length]!.json()).toEqual(answers[i]!.json());
  });

  it('series of stored and other widths, and again after a change', async () => {
    const check = async (url: string, key: (p: (typeof points)[number]) => number) => {
      const s = (await inject(url)).json().series as { step?: number; time?: string; points: number; n: number; krs: number }[];
      const groups = new Map<number, number>();
      for (const p of points) groups.set(key(p), (groups.get(key(p)) ?? 0) + 1);
      expect(s.map((e) => e.step ?? Date.parse(e.time!))).toEqual([...groups.keys()].sort((a, b) => a - b));
      for (const e of s.slice(0, 12)) {
        const at = e.step ?? Date.parse(e.time!);
        const want = (await direct((p) => key(p) === at))!;
        expect(e.points, url).toBe(want.n);
        expect(e.krs, url).toBeCloseTo(want.r.krs, 9);
      }
      return s;
    };
    await check('/v1/runs/grid/series', (p) => p.step);
    await check('/v1/runs/grid/series?bucket=16', (p) => Math.floor(p.step / 16) * 16);
    await check('/v1/runs/grid/series?bucket=100', (p) => Math.floor(p.step / 100) * 100);
    const hourly = await check('/v1/runs/grid/series?by=time&bucket=3600', (p) => Math.floor(p.time / 3_600_000) * 3_600_000);
    await check('/v1/runs/grid/series?by=time&bucket=86400', (p) => Math.floor(p.time / 86_400_000) * 86_400_000);
    await check('/v1/runs/grid/series?by=time&bucket=7200', (p) => Math.floor(p.time / 7_200_000) * 7_200_000);
    // Read again: the same (from the scores kept with the buckets).
    expect((await inject('/v1/runs/grid/series?by=time&bucket=3600')).json().series).toEqual(hourly);
    // A new point in a bucket already scored: that bucket changes, and equals the direct merge.
    const extra = { step: points[0]!.step, time: points[0]!.time + 1000, b: batch(9, 999) };
    points.push(extra);
    expect(
      (await inject({ method: 'POST', url: '/v1/runs/grid/batches', payload: { step: extra.step, time: new Date(extra.time).toISOString(), ...extra.b } }))
        .statusCode,
    ).toBe(201);
    await check('/v1/runs/grid/series?by=time&bucket=3600', (p) => Math.floor(p.time / 3_600_000) * 3_600_000);
    await check('/v1/runs/grid/series', (p) => p.step);
    const bad = await inject('/v1/runs/grid/series?by=time&bucket=90');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/multiple of 60/);
  });
});
