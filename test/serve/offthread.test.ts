/**
 * Nothing slow on the event loop (docs/service.md §"Threads"): while the API takes batches and
 * states (JSON and binary) and serves windows, series, comparisons, the chart and deletions,
 * no metric state is restored, updated, merged, scored or serialised on the server's own
 * thread — the compute and store threads do it (they load their own copies of the modules, so
 * the spies here count this thread's calls alone). With no compute threads the same test fails.
 */
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { encodeStateFile } from '../../src/io/state-file.js';
import { KrsMetric } from '../../src/krs/metric.js';
import { batch, RUN, sqliteStore, type TestStore, testApp } from './helpers.js';

describe('the event loop only routes', () => {
  let ts: TestStore;
  let app: FastifyInstance;

  beforeAll(async () => {
    ts = await sqliteStore();
    ({ app } = await testApp(ts.store, { threads: 2 }));
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await app?.close();
    await ts?.cleanup();
  });

  it('no state is restored, updated, merged, scored or serialised on this thread', async () => {
    // A state made before the spies start: the client's work, not the server's.
    const local = new KrsMetric({ task: 'classification', pairs: [{ teacher: 'fc', student: 'fc' }], intervals: { groups: 5 } });
    await local.update(batch(30, 3));
    const json = local.toJSON();
    const file = Buffer.from(encodeStateFile(json));
    const spies = [
      vi.spyOn(KrsMetric.prototype, 'update'),
      vi.spyOn(KrsMetric.prototype, 'merge'),
      vi.spyOn(KrsMetric.prototype, 'compute'),
      vi.spyOn(KrsMetric.prototype, 'toJSON'),
      vi.spyOn(KrsMetric, 'fromJSON'),
    ];
    const ok = async (o: InjectOptions | string, status = 200) => {
      const r = await app.inject(o);
      expect(r.statusCode, r.body.slice(0, 300)).toBe(status);
      return r;
    };
    await ok({ method: 'POST', url: '/v1/runs', payload: { name: 'a', ...RUN } }, 201);
    await ok({ method: 'POST', url: '/v1/runs', payload: { name: 'b', ...RUN } }, 201);
    await ok({ method: 'POST', url: '/v1/runs/a/alerts', payload: { kind: 'krs_drop', threshold: 5, window: 3 } }, 201);
    for (let step = 0; step < 4; step++) {
      await ok({ method: 'POST', url: '/v1/runs/a/batches', payload: { step, ...batch(25, step) } }, 201);
      await ok({ method: 'POST', url: '/v1/runs/b/states', payload: { step, state: json } }, 201);
    }
    await ok({ method: 'POST', url: '/v1/runs/b/states?step=4', headers: { 'content-type': 'application/x-krs-state' }, payload: file }, 201);
    await ok({ method: 'POST', url: '/v1/runs/a/batches?step=4', payload: batch(25, 9) }, 201);
    await ok('/v1/runs/a/window?state=true');
    await ok('/v1/runs/a/series');
    await ok('/v1/runs/a/series?by=time&bucket=60');
    await ok('/v1/runs/a/chart.svg');
    await ok('/v1/compare?runs=a,b');
    await ok({ method: 'DELETE', url: '/v1/runs/a/points?fromStep=1&toStep=1' });
    await ok('/v1/runs/a/window');
    await ok('/v1/runs');
    for (const s of spies) expect(s, s.getMockName()).not.toHaveBeenCalled();
  });
});
