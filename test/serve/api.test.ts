/**
 * The /v1/ API end to end (fastify inject) on SQLite and, when it answers, PostgreSQL:
 * runs, batches (JSON, .npz, .safetensors) scored on the server, posted states, series and
 * windows that equal a local KrsMetric fed the same batches (exact merging), comparisons,
 * and every kind of rejected post leaving the store unchanged.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareTwo } from '../../src/krs/compare.js';
import { KrsMetric } from '../../src/krs/metric.js';
import { npyBytes } from '../io/helpers.js';
import { buildZip, stored } from '../io/zip-builder.js';
import { batch, pgUnavailable, postgresStore, RUN, sqliteStore, type TestStore, testApp } from './helpers.js';
import { checked } from './openapi.js';

const reason = await pgUnavailable();
if (reason) console.warn(`PostgreSQL API tests skipped: ${reason}`);

const settings = { task: 'classification' as const, pairs: [{ teacher: 'fc', student: 'fc' }], intervals: { groups: 5 } };
async function local(...batches: ReturnType<typeof batch>[]) {
  const m = new KrsMetric(settings);
  for (const b of batches) await m.update(b);
  return m;
}

function f64(rows: number[][]): Uint8Array {
  return new Uint8Array(Float64Array.from(rows.flat()).buffer);
}
function npzBody(b: ReturnType<typeof batch>): Uint8Array {
  const e = (name: string, r: number[][]) => stored(`${name}.npy`, npyBytes('<f8', [r.length, r[0]!.length], f64(r)));
  return buildZip([e('teacher.fc', b.teacher.fc), e('student.fc', b.student.fc), e('teacher_output', b.teacherOutput), e('student_output', b.studentOutput)]);
}
function safetensorsBody(b: ReturnType<typeof batch>): Uint8Array {
  const arrays: [string, number[][]][] = [
    ['teacher.fc', b.teacher.fc],
    ['student.fc', b.student.fc],
    ['teacher_output', b.teacherOutput],
    ['student_output', b.studentOutput],
  ];
  const header: Record<string, unknown> = {};
  let off = 0;
  for (const [k, r] of arrays) {
    const bytes = r.length * r[0]!.length * 8;
    header[k] = { dtype: 'F64', shape: [r.length, r[0]!.length], data_offsets: [off, off + bytes] };
    off += bytes;
  }
  let h = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - (h.length % 8)) % 8;
  h = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(pad));
  const out = new Uint8Array(8 + h.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  let at = 8 + h.length;
  for (const [, r] of arrays) {
    const b8 = f64(r);
    out.set(b8, at);
    at += b8.length;
  }
  return out;
}

function suite(kind: 'sqlite' | 'postgres', skip: boolean) {
  describe.skipIf(skip)(`API on ${kind}`, () => {
    let ts: TestStore;
    let app: FastifyInstance;
    let inject: ReturnType<typeof checked>;
    const post = (url: string, body: unknown) => inject({ method: 'POST', url, payload: body as object });
    const count = async (name: string) => (await inject({ url: `/v1/runs/${name}` })).json().points as number;

    beforeAll(async () => {
      ts = kind === 'sqlite' ? await sqliteStore() : await postgresStore();
      ({ app } = await testApp(ts.store, { bodyLimit: 256 * 1024 }));
      inject = checked(app);
    });
    afterAll(async () => {
      await app?.close();
      await ts?.cleanup();
    });

    it('creates, lists and gets runs; names are unique; bad settings are 400s naming the setting', async () => {
      const r = await post('/v1/runs', { name: 'a', ...RUN, tags: { lr: '0.1' } });
      expect(r.statusCode).toBe(201);
      expect(r.json()).toMatchObject({
        name: 'a',
        kind: 'training',
        task: 'classification',
        tags: { lr: '0.1' },
        settings: { pairs: [{ teacher: 'fc', student: 'fc' }] },
      });
      expect((await post('/v1/runs', { name: 'a', ...RUN })).json().error.code).toBe('CONFLICT');
      const bad = await post('/v1/runs', { name: 'x', ...RUN, settings: { pairs: ['fc:fc'], alpha: 2 } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.message).toMatch(/alpha/);
      expect((await post('/v1/runs', { name: 'y', ...RUN, task: 'poetry' })).json().error.message).toMatch(/task/);
      expect((await post('/v1/runs', { name: 'y', ...RUN, settings: { pairs: ['fc:fc'], intervals: { groups: 1e9 } } })).json().error.message).toMatch(
        /groups/,
      );
      expect((await post('/v1/runs', { name: 'b', ...RUN })).statusCode).toBe(201);
      const list = (await inject({ url: '/v1/runs' })).json().runs.map((x: { run: { name: string } }) => x.run.name);
      expect(list).toEqual(['a', 'b']);
      expect((await inject({ url: '/v1/runs/zz' })).statusCode).toBe(404);
    });

    it('similarity options: one similarityOptions object, the flat key of older clients nested, bad values 400s naming the option', async () => {
      const nested = await post('/v1/runs', {
        name: 'r1',
        ...RUN,
        settings: { pairs: ['fc:fc'], similarity: 'cka-rbf', similarityOptions: { rbfThreshold: 0.5 } },
      });
      expect(nested.statusCode).toBe(201);
      expect(nested.json().settings).toMatchObject({ similarity: 'cka-rbf', similarityOptions: { rbfThreshold: 0.5 } });
      const flat = await post('/v1/runs', { name: 'r2', ...RUN, settings: { pairs: ['fc:fc'], similarity: 'cka-rbf', rbfThreshold: 0.5 } });
      expect(flat.statusCode).toBe(201);
      expect(flat.json().settings.similarityOptions).toEqual({ rbfThreshold: 0.5 });
      expect(flat.json().settings.rbfThreshold).toBeUndefined();
      const bad = await post('/v1/runs', { name: 'r3', ...RUN, settings: { pairs: ['fc:fc'], similarityOptions: { rbfThreshold: -1 } } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.message).toMatch(/rbfThreshold -1: expected a finite number > 0/);
      const stranger = await post('/v1/runs', { name: 'r4', ...RUN, settings: { pairs: ['fc:fc'], similarityOptions: { nope: 1 } } });
      expect(stranger.statusCode).toBe(400);
    });

    it('scores JSON batches on the server; a window is the exact merge of the stored states', async () => {
      const bs = [batch(40, 1), batch(40, 2), batch(40, 3)];
      for (const [step, b] of bs.entries()) expect((await post('/v1/runs/a/batches', { step, ...b })).statusCode).toBe(201);
      const whole = await (await local(...bs)).compute();
      const w = (await inject({ url: '/v1/runs/a/window' })).json();
      expect(w.points).toBe(3);
      expect(w.scores.n).toBe(120);
      expect(w.scores.krs).toBeCloseTo(whole.krs, 10);
      expect(w.scores.fss).toBeCloseTo(whole.fss, 10);
      expect(w.scores.ci95.krs[0]).toBeCloseTo(whole.ci95.krs![0], 8);
      // Not the average of the points' KRS (the merge is of states).
      const pts = (await inject({ url: '/v1/runs/a/points' })).json().points;
      const mean = pts.reduce((a: number, p: { krs: number }) => a + p.krs, 0) / pts.length;
      expect(Math.abs(mean - whole.krs)).toBeGreaterThan(1e-6);
      const part = (await inject({ url: '/v1/runs/a/window?fromStep=1&toStep=2' })).json();
      expect(part.scores.krs).toBeCloseTo((await (await local(bs[1]!, bs[2]!)).compute()).krs, 10);
      const series = (await inject({ url: '/v1/runs/a/series' })).json().series;
      expect(series.map((p: { step: number }) => p.step)).toEqual([0, 1, 2]);
      expect(series[1].krs).toBeCloseTo((await (await local(bs[1]!)).compute()).krs, 10);
      // The merged state itself comes back on request and restores.
      const st = (await inject({ url: '/v1/runs/a/window?state=true' })).json().state;
      expect((await KrsMetric.fromJSON(st).compute()).krs).toBeCloseTo(whole.krs, 10);
    });

    it('takes a serialised metric state, and merges it with batches of the same step', async () => {
      const m = await local(batch(30, 9));
      const r = await post('/v1/runs/b/states', { step: 5, state: m.toJSON() });
      expect(r.statusCode).toBe(201);
      expect(r.json().point.krs).toBeCloseTo((await m.compute()).krs, 12);
      expect((await post('/v1/runs/b/batches', { step: 5, ...batch(30, 10) })).statusCode).toBe(201);
      const s = (await inject({ url: '/v1/runs/b/series' })).json().series;
      expect(s).toHaveLength(1);
      expect(s[0].points).toBe(2);
      expect(s[0].krs).toBeCloseTo((await (await local(batch(30, 9), batch(30, 10))).compute()).krs, 10);
    });

    it('reads .npz and .safetensors bodies like JSON', async () => {
      const b = batch(24, 21);
      const want = (await (await local(b)).compute()).krs;
      for (const [type, body] of [
        ['application/x-npz', npzBody(b)],
        ['application/x-safetensors', safetensorsBody(b)],
        ['application/octet-stream', npzBody(b)],
      ] as const) {
        const r = await inject({ method: 'POST', url: '/v1/runs/b/batches?step=7', headers: { 'content-type': type }, payload: Buffer.from(body) });
        expect(r.statusCode, r.body).toBe(201);
        expect(r.json().point.step).toBe(7);
        expect(r.json().point.krs).toBeCloseTo(want, 10);
      }
    });

    it('rejects bad posts with a 4xx JSON error naming the problem, and stores nothing', async () => {
      const before = await count('a');
      const good = batch(20, 5);
      const cases: [string, () => Promise<{ statusCode: number; json: () => { error: { code: string; message: string } } }>, RegExp][] = [
        ['ragged rows', () => post('/v1/runs/a/batches', { ...good, student: { fc: [[1, 2], [3]] } }), /student layer 'fc'/],
        [
          'infinite value',
          () =>
            inject({
              method: 'POST',
              url: '/v1/runs/a/batches',
              headers: { 'content-type': 'application/json' },
              payload: JSON.stringify({
                ...good,
                teacher: { fc: good.teacher.fc.map((r, i) => (i === 3 ? [Number.POSITIVE_INFINITY, ...r.slice(1)] : r)) },
              }).replace('null', '1e999'),
            }),
          /teacher|finite|Infinity|NaN/i,
        ],
        ['mismatched n', () => post('/v1/runs/a/batches', { ...good, studentOutput: good.studentOutput.slice(1) }), /20|19/],
        ['unknown layer', () => post('/v1/runs/a/batches', { ...good, student: { fc2: good.student.fc } }), /fc/],
        ['unknown field', () => post('/v1/runs/a/batches', { ...good, extra: 1 }), /extra/],
        ['bad step', () => post('/v1/runs/a/batches', { ...good, step: -1 }), /step/],
        ['bad time', () => post('/v1/runs/a/batches', { ...good, time: 'yesterday' }), /time/],
        [
          'not JSON',
          () => inject({ method: 'POST', url: '/v1/runs/a/batches', headers: { 'content-type': 'application/json' }, payload: '{"teacher": [' }),
          /JSON/,
        ],
        [
          'corrupt npz',
          () =>
            inject({
              method: 'POST',
              url: '/v1/runs/a/batches',
              headers: { 'content-type': 'application/x-npz' },
              payload: Buffer.from(npzBody(good).subarray(0, 300)),
            }),
          /posted body/,
        ],
        ['too large', () => post('/v1/runs/a/batches', batch(2000, 1)), /too large|limit/i],
        ['foreign state', () => post('/v1/runs/a/states', { state: { version: 3, options: {}, state: {} } }), /state|pairs/],
        [
          'state of other settings',
          async () => post('/v1/runs/a/states', { state: new KrsMetric({ ...settings, intervals: { groups: 4 } }).toJSON() }),
          /groups/,
        ],
        [
          'state claiming a billion groups',
          async () => post('/v1/runs/a/states', { state: { ...(await local(good)).toJSON(), options: { ...settings, intervals: { groups: 1e9 } } } }),
          /groups/,
        ],
        ['state with no samples', async () => post('/v1/runs/a/states', { state: new KrsMetric(settings).toJSON() }), /nothing|no samples/],
        ['state missing', () => post('/v1/runs/a/states', { step: 1 }), /state/],
      ];
      for (const [what, send, pattern] of cases) {
        const r = await send();
        expect(r.statusCode, what).toBeGreaterThanOrEqual(400);
        expect(r.statusCode, what).toBeLessThan(500);
        const e = r.json().error;
        expect(e.code, what).toMatch(/^[A-Z_]+$/);
        expect(e.message, what).toMatch(pattern);
        expect(e.message, what).not.toContain('\n');
      }
      expect((await post('/v1/runs/nope/batches', good)).statusCode).toBe(404);
      expect(await count('a')).toBe(before);
    });

    it('compares runs with the paired jackknife of src/krs/compare.ts', async () => {
      const base = [batch(40, 31), batch(40, 32)];
      await post('/v1/runs', { name: 'c1', ...RUN });
      await post('/v1/runs', { name: 'c2', ...RUN });
      const worse = base.map((b) => ({ ...b, studentOutput: b.studentOutput.map((r) => r.map((x) => -x)) }));
      for (const b of base) await post('/v1/runs/c1/batches', b);
      for (const b of worse) await post('/v1/runs/c2/batches', b);
      const r = (await inject({ url: '/v1/compare?runs=c1,c2' })).json();
      const a = await (await local(...base)).compute();
      const b = await (await local(...worse)).compute();
      const want = compareTwo({ name: 'c1', result: a }, { name: 'c2', result: b });
      expect(r.comparisons[0].delta.krs).toBeCloseTo(want.delta.krs, 10);
      expect(r.comparisons[0].ci95.krs[0]).toBeCloseTo(want.ci95.krs![0], 8);
      expect(r.comparisons[0].p.krs).toBeCloseTo(want.p.krs!, 8);
      expect((await inject({ url: '/v1/compare?runs=c1' })).statusCode).toBe(400);
    });

    it('buckets a deployment by time, and scores output-only runs (AOA alone)', async () => {
      await post('/v1/runs', { name: 'edge', kind: 'deployment', task: 'classification', settings: { pairs: [] } });
      const times = ['2026-01-01T00:10:00Z', '2026-01-01T00:50:00Z', '2026-01-01T01:20:00Z'];
      const bs = times.map((_, i) => batch(30, 40 + i));
      for (const [i, time] of times.entries()) {
        const r = await post('/v1/runs/edge/batches', { time, teacherOutput: bs[i]!.teacherOutput, studentOutput: bs[i]!.studentOutput });
        expect(r.statusCode, r.body).toBe(201);
        expect(r.json().point.krs).toBeNull();
      }
      const s = (await inject({ url: '/v1/runs/edge/series?by=time&bucket=3600' })).json().series;
      expect(s.map((p: { time: string; points: number }) => [p.time, p.points])).toEqual([
        ['2026-01-01T00:00:00.000Z', 2],
        ['2026-01-01T01:00:00.000Z', 1],
      ]);
      const w = (await inject({ url: '/v1/runs/edge/window?to=2026-01-01T00:59:59Z' })).json();
      expect(w.points).toBe(2);
      expect(w.scores.n).toBe(60);
      expect(w.scores.aoa).toBeCloseTo(s[0].aoa, 12);
      const chart = await inject({ url: '/v1/runs/edge/chart.svg?bucket=3600' });
      expect(chart.headers['content-type']).toMatch(/image\/svg\+xml/);
      expect(chart.body).toMatch(/^<svg[\s\S]*time \(UTC\)[\s\S]*AOA/);
      const none = await inject({ url: '/v1/runs/edge/window?from=2027-01-01T00:00:00Z' });
      expect(none.statusCode).toBe(404);
      expect(none.json().error.message).toBe('run "edge" has no points in from=2027-01-01T00:00:00.000Z');
    });
  });
}

suite('sqlite', false);
suite('postgres', reason !== null);
