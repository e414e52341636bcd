/**
 * A run's integrity (docs/service.md §"States" and §"Runs"), on SQLite and PostgreSQL:
 * - a window's intervals are those of one KrsMetric fed every post's batches in order, for
 *   posts of any size (groups relabelled to continue the run's sample count);
 * - the first post fixes the run's shapes: a post of other widths or class count is refused,
 *   naming the field and both values, and stores nothing (the run stays readable);
 * - an Idempotency-Key makes a retried post answer the first reply and store nothing;
 * - points can be deleted (one, or a window), runs archived and deleted, and retention prunes
 *   old points without changing the windows that remain.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeStateFile } from '../../src/io/state-file.js';
import { KrsMetric } from '../../src/krs/metric.js';
import type { RunService } from '../../src/serve/service.js';
import { batch, pgUnavailable, postgresStore, rows, sqliteStore, type TestStore, testApp } from './helpers.js';
import { checked } from './openapi.js';

const reason = await pgUnavailable();
if (reason) console.warn(`PostgreSQL integrity tests skipped: ${reason}`);

const settings = { task: 'classification' as const, pairs: [{ teacher: 'fc', student: 'fc' }], intervals: { groups: 5 } };
const RUN = { task: 'classification', settings: { pairs: ['fc:fc'], intervals: { groups: 5 } } };

async function metricOf(...batches: ReturnType<typeof batch>[]) {
  const m = new KrsMetric(settings);
  for (const b of batches) await m.update(b);
  return m;
}

type Ci = [number, number] | null;
function expectSameIntervals(got: { ci95: Record<string, Ci>; layers: { ci95: Ci }[] }, want: { ci95: Record<string, Ci>; layers: { ci95: Ci }[] }) {
  for (const k of ['fss', 'aoa', 'krs']) {
    expect(got.ci95[k], k).not.toBeNull();
    expect(got.ci95[k]![0], k).toBeCloseTo(want.ci95[k]![0], 10);
    expect(got.ci95[k]![1], k).toBeCloseTo(want.ci95[k]![1], 10);
  }
  expect(got.layers[0]!.ci95![0]).toBeCloseTo(want.layers[0]!.ci95![0], 10);
}

function suite(kind: 'sqlite' | 'postgres', skip: boolean) {
  describe.skipIf(skip)(`run integrity on ${kind}`, () => {
    let ts: TestStore;
    let app: FastifyInstance;
    let service: RunService;
    let inject: ReturnType<typeof checked>;
    const post = (url: string, body: unknown, headers: Record<string, string> = {}) => inject({ method: 'POST', url, payload: body as object, headers });
    const points = async (name: string) => (await inject(`/v1/runs/${name}`)).json().points as number;

    beforeAll(async () => {
      ts = kind === 'sqlite' ? await sqliteStore() : await postgresStore();
      ({ app, service } = await testApp(ts.store));
      inject = checked(app);
    });
    afterAll(async () => {
      await app?.close();
      await ts?.cleanup();
    });

    it('a window over posts of any size has the intervals of one KrsMetric fed the same batches', async () => {
      const sizes = [7, 11, 13, 9, 6];
      const bs = sizes.map((n, i) => batch(n, 100 + i));
      const whole = await (await metricOf(...bs)).compute();
      // Server-scored batches.
      expect((await post('/v1/runs', { name: 'uneven', ...RUN })).statusCode).toBe(201);
      for (const [step, b] of bs.entries()) expect((await post('/v1/runs/uneven/batches', { step, ...b })).statusCode).toBe(201);
      const w = (await inject('/v1/runs/uneven/window')).json().scores;
      expect(w.n).toBe(46);
      expect(w.krs).toBeCloseTo(whole.krs, 10);
      expectSameIntervals(w, whole);
      // States from devices, each a metric of its own that grouped its samples from 0; one sent as a state file.
      expect((await post('/v1/runs', { name: 'devices', ...RUN })).statusCode).toBe(201);
      for (const [i, b] of bs.entries()) {
        const state = (await metricOf(b)).toJSON();
        const r =
          i === 2
            ? await inject({
                method: 'POST',
                url: '/v1/runs/devices/states?step=2',
                headers: { 'content-type': 'application/x-krs-state' },
                payload: Buffer.from(encodeStateFile(state)),
              })
            : await post('/v1/runs/devices/states', { step: i, state });
        expect(r.statusCode, r.body).toBe(201);
      }
      expectSameIntervals((await inject('/v1/runs/devices/window')).json().scores, whole);
      // What the test guards against: merging the posts' own groupings gives other intervals.
      let naive = await metricOf(bs[0]!);
      for (const b of bs.slice(1)) naive = naive.merge(await metricOf(b));
      const n = await naive.compute();
      expect(Math.abs(n.ci95.krs![0] - whole.ci95.krs![0])).toBeGreaterThan(1e-6);
    });

    it('refuses a post whose shapes differ from the first post, naming the field and both values, and stays readable', async () => {
      expect((await post('/v1/runs', { name: 'shapes', ...RUN })).statusCode).toBe(201);
      expect((await post('/v1/runs/shapes/alerts', { kind: 'krs_drop', threshold: 50, window: 3 })).statusCode).toBe(201);
      const good = batch(20, 1);
      expect((await post('/v1/runs/shapes/batches', { step: 0, ...good })).statusCode).toBe(201);
      const shapes = (await inject('/v1/runs/shapes')).json().run.shapes;
      expect(shapes).toEqual({
        "teacher width of layer pair 'fc':'fc'": 8,
        "student width of layer pair 'fc':'fc'": 6,
        "similarity of layer pair 'fc':'fc'": 'cka',
        'class count of the outputs': 5,
      });
      const narrow = { ...good, student: { fc: rows(20, 7, 3) } };
      const fewer = { ...good, teacherOutput: rows(20, 4, 4), studentOutput: rows(20, 4, 5) };
      const cases: [string, () => Promise<{ statusCode: number; json: () => { error: { code: string; message: string } } }>, RegExp][] = [
        ['wider student (batch)', () => post('/v1/runs/shapes/batches', narrow), /student width of layer pair 'fc':'fc'.*6.*got 7/],
        ['fewer classes (batch)', () => post('/v1/runs/shapes/batches', fewer), /class count of the outputs.*5.*got 4/],
        ['wider student (state)', async () => post('/v1/runs/shapes/states', { state: (await metricOf(narrow)).toJSON() }), /student width.*6.*got 7/],
      ];
      for (const [what, send, pattern] of cases) {
        const r = await send();
        expect(r.statusCode, what).toBe(400);
        expect(r.json().error.code, what).toBe('SHAPE_MISMATCH');
        expect(r.json().error.message, what).toMatch(pattern);
      }
      expect(await points('shapes')).toBe(1);
      // Still readable, and later valid posts are taken (the krs_drop reference merges).
      expect((await post('/v1/runs/shapes/batches', { step: 1, ...batch(20, 2) })).statusCode).toBe(201);
      expect((await inject('/v1/runs/shapes/window')).statusCode).toBe(200);
      expect((await inject('/v1/runs/shapes/series')).json().series).toHaveLength(2);
    });

    it('answers a retried post with its first reply and stores it once (Idempotency-Key)', async () => {
      expect((await post('/v1/runs', { name: 'retry', ...RUN })).statusCode).toBe(201);
      const body = { step: 3, ...batch(20, 7) };
      const first = await post('/v1/runs/retry/batches', body, { 'idempotency-key': 'upload-3' });
      expect(first.statusCode).toBe(201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      const again = await post('/v1/runs/retry/batches', body, { 'idempotency-key': 'upload-3' });
      expect(again.statusCode).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json()).toEqual(first.json());
      const other = await post('/v1/runs/retry/batches', { step: 4, ...batch(20, 8) }, { 'idempotency-key': 'upload-3' });
      expect(other.statusCode).toBe(409);
      expect(other.json().error.message).toMatch(/Idempotency-Key "upload-3"/);
      // Duplicates in flight together: one point.
      const state = (await metricOf(batch(20, 9))).toJSON();
      const dup = await Promise.all(Array.from({ length: 5 }, () => post('/v1/runs/retry/states', { state }, { 'idempotency-key': 'device-7:0001' })));
      expect(dup.map((r) => r.statusCode)).toEqual([201, 201, 201, 201, 201]);
      expect(new Set(dup.map((r) => r.json().point.id)).size).toBe(1);
      expect(await points('retry')).toBe(2);
    });

    it('deletes one point or a window of them; the windows are the merges of what is left', async () => {
      expect((await post('/v1/runs', { name: 'prune', ...RUN })).statusCode).toBe(201);
      const bs = [0, 1, 2, 3, 4].map((i) => batch(15 + i, 200 + i));
      const ids: number[] = [];
      for (const [step, b] of bs.entries()) ids.push((await post('/v1/runs/prune/batches', { step, ...b })).json().point.id);
      const before = (await inject('/v1/runs/prune/window')).json().scores;
      expect((await inject({ method: 'DELETE', url: `/v1/runs/prune/points/${ids[1]}` })).statusCode).toBe(204);
      expect((await inject({ method: 'DELETE', url: `/v1/runs/prune/points/${ids[1]}` })).statusCode).toBe(404);
      const after = (await inject('/v1/runs/prune/window')).json().scores;
      const left = await (await metricOf(bs[0]!, bs[2]!, bs[3]!, bs[4]!)).compute();
      expect(after.n).toBe(before.n - 16);
      expect(after.krs).toBeCloseTo(left.krs, 10);
      expect(after.fss).toBeCloseTo(left.fss, 10);
      const range = await inject({ method: 'DELETE', url: '/v1/runs/prune/points?fromStep=3&toStep=4' });
      expect(range.json()).toEqual({ deleted: 2 });
      expect((await inject('/v1/runs/prune/series')).json().series.map((e: { step: number }) => e.step)).toEqual([0, 2]);
      expect((await inject('/v1/runs/prune/window')).json().scores.krs).toBeCloseTo((await (await metricOf(bs[0]!, bs[2]!)).compute()).krs, 10);
      const all = await inject({ method: 'DELETE', url: '/v1/runs/prune/points' });
      expect(all.statusCode).toBe(400);
      expect(all.json().error.message).toMatch(/needs a window/);
    });

    it('archives, restores, retags and deletes runs', async () => {
      expect((await post('/v1/runs', { name: 'old-run', ...RUN, tags: { team: 'vision' } })).statusCode).toBe(201);
      const patch = await inject({ method: 'PATCH', url: '/v1/runs/old-run', payload: { archived: true, tags: { team: 'nlp', note: 'superseded' } } });
      expect(patch.json()).toMatchObject({ archived: true, tags: { team: 'nlp', note: 'superseded' } });
      const refused = await post('/v1/runs/old-run/batches', batch(20, 1));
      expect(refused.statusCode).toBe(409);
      expect(refused.json().error.message).toMatch(/archived/);
      const names = async (q: string) => (await inject(`/v1/runs${q}`)).json().runs.map((r: { run: { name: string } }) => r.run.name);
      expect(await names('')).not.toContain('old-run');
      expect(await names('?archived=true')).toContain('old-run');
      await inject({ method: 'PATCH', url: '/v1/runs/old-run', payload: { archived: false } });
      expect((await post('/v1/runs/old-run/batches', batch(20, 1))).statusCode).toBe(201);
      expect((await inject({ method: 'PATCH', url: '/v1/runs/old-run', payload: {} })).statusCode).toBe(400);
      expect((await inject({ method: 'DELETE', url: '/v1/runs/old-run' })).statusCode).toBe(204);
      expect((await inject('/v1/runs/old-run')).statusCode).toBe(404);
      expect((await post('/v1/runs/old-run/batches', batch(20, 1))).statusCode).toBe(404);
    });

    it('retention prunes old points and leaves the windows that remain as they were', async () => {
      const day = 86_400_000;
      const now = Date.now();
      expect((await post('/v1/runs', { name: 'fleet', kind: 'deployment', ...RUN, retainDays: 2 })).statusCode).toBe(201);
      const ages = [5, 4, 3, 1.5, 0.5, 0.1];
      for (const [i, age] of ages.entries()) {
        const r = await post('/v1/runs/fleet/batches', { time: new Date(now - age * day).toISOString(), ...batch(12, 300 + i) });
        expect(r.statusCode, r.body).toBe(201);
      }
      const recent = `from=${encodeURIComponent(new Date(now - 1.9 * day).toISOString())}`;
      const keptBefore = (await inject(`/v1/runs/fleet/window?${recent}`)).json();
      const hourly = (await inject('/v1/runs/fleet/series?by=time&bucket=3600')).json().series.slice(-3);
      expect(await service.prune(new Date(now))).toEqual({ points: 3 });
      expect(await points('fleet')).toBe(3);
      expect((await inject(`/v1/runs/fleet/window?${recent}`)).json()).toEqual(keptBefore);
      expect((await inject('/v1/runs/fleet/series?by=time&bucket=3600')).json().series).toEqual(hourly);
      expect((await inject('/v1/runs/fleet/window')).json().points).toBe(3);
    });
  });
}

suite('sqlite', false);
suite('postgres', reason !== null);
