/**
 * Access: tokens (read / write scope, stored hashed, made by `krs serve token create`),
 * required when auth is on; nothing from the store reaches a request without read scope;
 * the body size and rate limits answer with 4xx JSON errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { runCli } from '../../src/cli/run.js';
import { hashToken, openStore } from '../../src/serve/store/store.js';
import { isLoopback } from '../../src/serve/server.js';
import { batch, RUN, sqliteStore, type TestStore, testApp } from './helpers.js';

function capture() {
  let out = '';
  let err = '';
  return {
    io: { stdout: { write: (s: string) => ((out += s), true) }, stderr: { write: (s: string) => ((err += s), true) } },
    out: () => out,
    err: () => err,
  };
}

describe('tokens and limits', () => {
  let ts: TestStore;
  let app: FastifyInstance;
  let readToken: string;
  let writeToken: string;
  const as = (token: string | null) => (token ? { authorization: `Bearer ${token}` } : {});

  beforeAll(async () => {
    ts = await sqliteStore();
    // Tokens made by the CLI, into the same store file.
    await ts.store.close();
    const c1 = capture();
    expect(await runCli(['serve', 'token', 'create', '--store', ts.location, '--scope', 'read', '--name', 'dash'], c1.io as never)).toBe(0);
    readToken = c1.out().trim();
    const c2 = capture();
    expect(await runCli(['serve', 'token', 'create', '--store', ts.location, '--scope', 'write', '--name', 'trainer'], c2.io as never)).toBe(0);
    writeToken = c2.out().trim();
    const c3 = capture();
    expect(await runCli(['serve', 'token', 'create', '--store', ts.location, '--scope', 'admin'], c3.io as never)).toBe(2);
    expect(c3.err()).toMatch(/--scope.*admin.*read, write/);
    ts.store = await openStore(ts.location);
    ({ app } = await testApp(ts.store, { auth: true, bodyLimit: 64 * 1024, rateLimit: 40 }));
  });
  afterAll(async () => {
    await app?.close();
    await ts?.cleanup();
  });

  it('stores only the hash of a token', async () => {
    const rows = await ts.store.db.selectFrom('krs_token').selectAll().execute();
    expect(rows.map((r) => r.scope).sort()).toEqual(['read', 'write']);
    expect(rows.map((r) => r.hash)).toContain(hashToken(readToken));
    expect(JSON.stringify(rows)).not.toContain(readToken);
  });

  it('needs a token for everything but health; read scope reads, write scope writes', async () => {
    expect((await app.inject({ url: '/v1/health' })).statusCode).toBe(200);
    for (const url of ['/v1/runs', '/v1/runs/a', '/v1/runs/a/series', '/v1/runs/a/window', '/v1/runs/a/chart.svg', '/v1/compare?runs=a,b', '/v1/events']) {
      const none = await app.inject({ url });
      expect(none.statusCode, url).toBe(401);
      expect(none.json().error.message).toMatch(/token/);
      expect((await app.inject({ url, headers: as('krs_not-a-token') })).statusCode, url).toBe(401);
    }
    const create = { method: 'POST' as const, url: '/v1/runs', payload: { name: 'a', ...RUN } };
    const ro = await app.inject({ ...create, headers: as(readToken) });
    expect(ro.statusCode).toBe(403);
    expect(ro.json().error.message).toMatch(/write scope/);
    expect((await app.inject({ ...create, headers: as(writeToken) })).statusCode).toBe(201);
    const post = await app.inject({ method: 'POST', url: '/v1/runs/a/batches', payload: batch(20, 1), headers: as(readToken) });
    expect(post.statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url: '/v1/runs/a/batches', payload: batch(20, 1), headers: as(writeToken) })).statusCode).toBe(201);
    const list = await app.inject({ url: '/v1/runs', headers: as(readToken) });
    expect(list.statusCode).toBe(200);
    expect(list.json().runs[0].points).toBe(1);
    // EventSource cannot send headers: access_token in the query.
    expect((await app.inject({ url: `/v1/runs/a/points?access_token=${readToken}` })).statusCode).toBe(200);
    // The dashboard shells carry no data.
    const page = await app.inject({ url: '/runs/a' });
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('teacher-net');
  });

  it('refuses bodies over the limit with 413 and requests over the rate with 429', async () => {
    const big = await app.inject({ method: 'POST', url: '/v1/runs/a/batches', payload: batch(1000, 2), headers: as(writeToken) });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('TOO_LARGE');
    let limited = null;
    for (let i = 0; i < 60 && !limited; i++) {
      const r = await app.inject({ url: '/v1/health', headers: as(readToken) });
      if (r.statusCode === 429) limited = r;
    }
    expect(limited?.json().error.code).toBe('RATE_LIMITED');
    expect(limited?.json().error.message).toMatch(/at most 40 requests/);
  });

  it('requires tokens by default except on loopback', () => {
    expect(['127.0.0.1', 'localhost', '::1'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '10.0.0.2', '::'].some(isLoopback)).toBe(false);
  });
});
