/** The fetch client against a real server: runs, states, batches (typed arrays and nested arrays), errors as KrsErrors. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KrsError } from '../../src/core/errors.js';
import { KrsMetric } from '../../src/krs/metric.js';
import { serveClient } from '../../src/serve/client.js';
import { type RunningServer, startServer } from '../../src/serve/server.js';
import { batch, sqliteStore, type TestStore } from './helpers.js';

describe('serve client', () => {
  let ts: TestStore;
  let server: RunningServer;
  beforeAll(async () => {
    ts = await sqliteStore();
    await ts.store.close();
    server = await startServer({ store: ts.location, port: 0, auth: 'on', rateLimit: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await ts?.cleanup();
  });

  it('creates (or reuses) a run and posts states and batches', async () => {
    const { token } = await server.store.createToken('c', 'write');
    const c = serveClient({ url: `${server.url}/`, token });
    expect((await c.health()).store).toBe('sqlite');
    const run = { name: 'demo', task: 'classification', settings: { pairs: ['fc:fc'], intervals: { groups: 5 } } };
    await c.ensureRun(run);
    await c.ensureRun(run); // exists: reused
    const b = batch(30, 3);
    const m = new KrsMetric({ task: 'classification', pairs: [{ teacher: 'fc', student: 'fc' }], intervals: { groups: 5 } });
    await m.update(b);
    const want = (await m.compute()).krs;
    expect((await c.postState('demo', m.toJSON(), { step: 1 })).point.krs).toBeCloseTo(want, 12);
    // Typed arrays and Tensors go as {shape, data}; float64 survives JSON exactly.
    const tensor = (r: number[][]) => ({ dtype: 'float64' as const, shape: [r.length, r[0]!.length], data: Float64Array.from(r.flat()) });
    const posted = await c.postBatch(
      'demo',
      { teacher: { fc: tensor(b.teacher.fc) }, student: { fc: b.student.fc }, teacherOutput: tensor(b.teacherOutput), studentOutput: b.studentOutput },
      { step: 2 },
    );
    expect(posted.point.krs).toBeCloseTo(want, 12);
    const s = (await c.series('demo')) as { series: { step: number }[] };
    expect(s.series.map((p) => p.step)).toEqual([1, 2]);
  });

  it('retries a post whose answer was lost, with its Idempotency-Key: stored once', async () => {
    const { token } = await server.store.createToken('r', 'write');
    // A proxy that forwards every request but drops the answer to the first post (the server did store it).
    let dropped = 0;
    const proxy = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'content-length', 'connection'].includes(k))) as Record<
        string,
        string
      >;
      const r = await fetch(server.url + req.url, { method: req.method, headers, ...(chunks.length ? { body: Buffer.concat(chunks) } : {}) });
      const body = Buffer.from(await r.arrayBuffer());
      if (req.method === 'POST' && req.url!.includes('/states') && dropped === 0) {
        dropped++;
        res.destroy();
        return;
      }
      res
        .writeHead(r.status, {
          'content-type': r.headers.get('content-type') ?? 'application/json',
          ...(r.headers.get('idempotent-replayed') ? { 'idempotent-replayed': 'true' } : {}),
        })
        .end(body);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const c = serveClient({ url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, token });
      await c.ensureRun({ name: 'flaky', task: 'classification', settings: { pairs: ['fc:fc'], intervals: { groups: 5 } } });
      const m = new KrsMetric({ task: 'classification', pairs: [{ teacher: 'fc', student: 'fc' }], intervals: { groups: 5 } });
      await m.update(batch(20, 4));
      const reply = await c.postState('flaky', m.toJSON(), { step: 1 }, { binary: true });
      expect(dropped).toBe(1);
      expect(reply.point.krs).toBeCloseTo((await m.compute()).krs, 12);
      const run = (await (await fetch(`${server.url}/v1/runs/flaky`, { headers: { authorization: `Bearer ${token}` } })).json()) as { points: number };
      expect(run.points).toBe(1);
      // Without retries the lost answer is an error, and nothing is sent twice.
      dropped = 0;
      const once = serveClient({ url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, token, retries: 0 });
      await expect(once.postState('flaky', m.toJSON(), { step: 2 })).rejects.toThrow(/krs serve that answers/);
    } finally {
      await new Promise((r) => proxy.close(r));
    }
  });

  it('turns server errors and unreachable servers into KrsErrors', async () => {
    const c = serveClient({ url: server.url });
    const e1 = await c.postState('demo', {}).catch((e) => e);
    expect(e1).toBeInstanceOf(KrsError);
    expect(e1.details).toMatchObject({ status: 401, serverCode: 'UNAUTHORIZED' });
    const { token } = await server.store.createToken('w', 'write');
    const e2 = await serveClient({ url: server.url, token })
      .postState('demo', { version: 3 })
      .catch((e) => e);
    expect(e2.code).toBe('BAD_VALUE');
    expect(e2.message).toMatch(/^krs serve POST \/v1\/runs\/demo\/states: cannot restore/);
    // A port nothing listens on (just freed).
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const e3 = await serveClient({ url: `http://127.0.0.1:${port}`, timeoutMs: 2000 })
      .health()
      .catch((e) => e);
    expect(e3.code).toBe('BAD_OPTION');
    expect(e3.message).toBe(`invalid serve "http://127.0.0.1:${port}": expected a krs serve that answers (ECONNREFUSED)`);
  });
});
