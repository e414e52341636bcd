/**
 * Alert rules evaluated on each point (KRS below x, AOA below z, a KRS drop against the
 * merged reference window), their state and events in the API, and webhooks POSTed with
 * retries to a local receiver that fails the first attempts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { KrsMetric } from '../../src/krs/metric.js';
import { batch, RUN, sqliteStore, type TestStore, testApp } from './helpers.js';

describe('alerts', () => {
  let ts: TestStore;
  let app: FastifyInstance;
  let receiver: Server;
  let hookUrl: string;
  const received: unknown[] = [];
  let attempts = 0;
  const post = (url: string, body: unknown) => app.inject({ method: 'POST', url, payload: body as object });

  beforeAll(async () => {
    ts = await sqliteStore();
    ({ app } = await testApp(ts.store));
    // Fails the first two attempts of every delivery with 500, then takes it.
    let failures = 0;
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        attempts++;
        if (failures < 2) {
          failures++;
          res.writeHead(500).end();
          return;
        }
        failures = 0;
        received.push(JSON.parse(body));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    await app?.close();
    await new Promise((r) => receiver?.close(r));
    await ts?.cleanup();
  });

  it('checks rules and names the bad field', async () => {
    await post('/v1/runs', { name: 'r', ...RUN });
    for (const [rule, pattern] of [
      [{ kind: 'krs_above', threshold: 1 }, /kind/],
      [{ kind: 'krs_below', threshold: 101 }, /threshold/],
      [{ kind: 'krs_below', threshold: 50, window: 3 }, /window/],
      [{ kind: 'krs_drop', threshold: 5, window: 0 }, /window/],
      [{ kind: 'aoa_below', threshold: 50, webhook: 'ftp://x' }, /webhook/],
    ] as const) {
      const r = await post('/v1/runs/r/alerts', rule);
      expect(r.statusCode, JSON.stringify(rule)).toBe(400);
      expect(r.json().error.message).toMatch(pattern);
    }
    expect((await app.inject({ url: '/v1/runs/r/alerts' })).json().rules).toEqual([]);
  });

  it('fires and clears on points, records events, and delivers webhooks with retries', async () => {
    const good = batch(40, 1);
    const bad = {
      ...good,
      studentOutput: good.studentOutput.map((r) => r.map((x) => -x)),
      student: { fc: good.student.fc.map((r) => r.map((x, k) => (k % 2 ? -x : x * 0.1))) },
    };
    const goodKrs = (
      await (async () => {
        const m = new KrsMetric({ task: 'classification', pairs: [{ teacher: 'fc', student: 'fc' }], intervals: { groups: 5 } });
        await m.update(good);
        return m.compute();
      })()
    ).krs;
    const below = (await post('/v1/runs/r/alerts', { kind: 'krs_below', threshold: goodKrs - 1, webhook: hookUrl })).json();
    expect(below).toMatchObject({ kind: 'krs_below', state: 'ok' });
    await post('/v1/runs/r/alerts', { kind: 'krs_drop', threshold: 10, window: 2 });
    await post('/v1/runs/r/alerts', { kind: 'aoa_below', threshold: 0.5 });
    let r = (await post('/v1/runs/r/batches', { step: 0, ...good })).json();
    expect(r.alerts.map((a: { state: string }) => a.state)).toEqual(['ok', 'ok', 'ok']);
    expect(r.alerts[1].message).toMatch(/no reference/);
    await post('/v1/runs/r/batches', { step: 1, ...good });
    r = (await post('/v1/runs/r/batches', { step: 2, ...bad })).json();
    expect(r.point.krs).toBeLessThan(goodKrs - 10);
    expect(r.alerts.map((a: { state: string }) => a.state)).toEqual(['firing', 'firing', 'ok']);
    expect((await app.inject({ url: '/v1/runs' })).json().runs[0].alert).toBe('firing');
    // The drop is measured against the merged states of the two points before (exact: = goodKrs, both were the same batch).
    expect(r.alerts[1].value).toBeCloseTo(goodKrs - r.point.krs, 8);
    r = (await post('/v1/runs/r/batches', { step: 3, ...good })).json();
    expect(r.alerts[0].state).toBe('ok');
    const a = (await app.inject({ url: '/v1/runs/r/alerts' })).json();
    // Newest first: both rules cleared at step 3 (the good batch is above the merged good + bad reference), fired at step 2.
    expect(a.events.map((e: { rule: number; state: string }) => [e.rule - below.id, e.state])).toEqual([
      [1, 'ok'],
      [0, 'ok'],
      [1, 'firing'],
      [0, 'firing'],
    ]);
    expect(a.rules.map((x: { state: string }) => x.state)).toEqual(['ok', 'ok', 'ok']);
    expect((await app.inject({ url: '/v1/runs' })).json().runs[0].alert).toBe('ok');
    // Delivered through the outbox, in order, each after its retries.
    await vi.waitFor(() => expect(received).toHaveLength(2), { timeout: 30_000, interval: 50 });
    // Two transitions of the webhook rule (firing, then ok), each after two failed attempts.
    expect(received).toHaveLength(2);
    expect(attempts).toBe(6);
    expect(received[0]).toMatchObject({ type: 'krs.alert', run: 'r', state: 'firing' });
    expect(received[1]).toMatchObject({ state: 'ok' });
    expect((await app.inject({ method: 'DELETE', url: `/v1/runs/r/alerts/${below.id}` })).statusCode).toBe(204);
    expect((await app.inject({ method: 'DELETE', url: `/v1/runs/r/alerts/${below.id}` })).statusCode).toBe(404);
  });
});
