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
