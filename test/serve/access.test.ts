/**
 * Access: tokens (read / write scope, stored hashed, made, listed and revoked by
 * `krs serve token`), required when auth is on; nothing from the store reaches a request
 * without read scope; webhook URLs only to write tokens; the rate limit counts verified tokens
 * and addresses, never unverified bearer strings; body limits answer 413 TOO_LARGE.
 */
import BetterSqlite3 from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { isLoopback } from '../../src/serve/server.js';
import { hashToken, openStore } from '../../src/serve/store/store.js';
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

async function cli(...args: string[]) {
  const c = capture();
  const code = await runCli(['serve', 'token', ...args], c.io as never);
  return { code, out: c.out().trim(), err: c.err() };
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
    readToken = (await cli('create', '--store', ts.location, '--scope', 'read', '--name', 'dash')).out;
    writeToken = (await cli('create', '--store', ts.location, '--scope', 'write', '--name', 'trainer')).out;
    const bad = await cli('create', '--store', ts.location, '--scope', 'admin');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--scope.*admin.*read, write/);
    ts.store = await openStore(ts.location);
    ({ app } = await testApp(ts.store, { auth: true, bodyLimit: 64 * 1024, rateLimit: 40, tokenCacheMs: 0 }));
  });
  afterAll(async () => {
    await app?.close();
    await ts?.cleanup();
  });

  it('stores only the hash of a token; lists tokens without them', async () => {
    const db = new BetterSqlite3(ts.location, { readonly: true });
    const rows = db.prepare('select * from krs_token').all() as { scope: string; hash: string }[];
    db.close();
    expect(rows.map((r) => r.scope).sort()).toEqual(['read', 'write']);
    expect(rows.map((r) => r.hash)).toContain(hashToken(readToken));
    expect(JSON.stringify(rows)).not.toContain(readToken);
    const list = await cli('list', '--store', ts.location);
    expect(list.out.split('\n').map((l) => l.split('\t').slice(1, 3))).toEqual([
      ['read', 'dash'],
      ['write', 'trainer'],
    ]);
    expect(list.out).not.toContain(readToken);
  });

  it('needs a token for everything but health; read scope reads, write scope writes; any case of "Bearer"', async () => {
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
    expect((await app.inject({ ...create, headers: { authorization: `bearer ${writeToken}` } })).statusCode).toBe(201);
    const post = await app.inject({ method: 'POST', url: '/v1/runs/a/batches', payload: batch(20, 1), headers: as(readToken) });
    expect(post.statusCode).toBe(403);
    expect(
      (await app.inject({ method: 'POST', url: '/v1/runs/a/batches', payload: batch(20, 1), headers: { authorization: `BEARER  ${writeToken}` } })).statusCode,
    ).toBe(201);
    const list = await app.inject({ url: '/v1/runs', headers: as(readToken) });
    expect(list.statusCode).toBe(200);
    expect(list.json().runs[0].points).toBe(1);
    // A token in the query string is taken by the event stream alone (EventSource cannot send headers).
    expect((await app.inject({ url: `/v1/runs/a/points?access_token=${readToken}` })).statusCode).toBe(401);
    // The dashboard shells carry no data.
    const page = await app.inject({ url: '/runs/a' });
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('teacher-net');
  });

  it('shows webhook URLs to write tokens only', async () => {
    const hook = 'https://hooks.example/secret-path-123';
    const rule = await app.inject({
      method: 'POST',
      url: '/v1/runs/a/alerts',
      headers: as(writeToken),
      payload: { kind: 'krs_below', threshold: 10, webhook: hook },
    });
    expect(rule.statusCode).toBe(201);
    expect(rule.json().webhook).toBe(hook);
    for (const url of ['/v1/runs/a/alerts', '/v1/runs/a']) {
      expect((await app.inject({ url, headers: as(readToken) })).body, url).not.toContain('secret-path');
      expect((await app.inject({ url, headers: as(writeToken) })).body, url).toContain('secret-path');
    }
  });

  it('a revoked token stops working', async () => {
    const { out: token } = await cli('create', '--store', ts.location, '--scope', 'read', '--name', 'temp');
    expect((await app.inject({ url: '/v1/runs', headers: as(token) })).statusCode).toBe(200);
    const id = (await cli('list', '--store', ts.location)).out
      .split('\n')
      .find((l) => l.includes('\ttemp\t'))!
      .split('\t')[0]!;
    expect((await cli('revoke', id, '--store', ts.location)).code).toBe(0);
    expect((await app.inject({ url: '/v1/runs', headers: as(token) })).statusCode).toBe(401);
    const again = await cli('revoke', id, '--store', ts.location);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/token list/);
  });

  it('refuses bodies over the limit with 413 TOO_LARGE', async () => {
    const big = await app.inject({ method: 'POST', url: '/v1/runs/a/batches', payload: batch(1000, 2), headers: as(writeToken) });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('TOO_LARGE');
  });

  it('counts unverified tokens against the address: random bearer strings get no budget of their own', async () => {
    // A fresh app whose limit is 10 a minute.
    const { app: limited } = await testApp(ts.store, { auth: true, rateLimit: 10 });
    try {
      const random = await Promise.all(
        Array.from({ length: 15 }, (_, i) => limited.inject({ url: '/v1/runs', headers: as(`krs_random-${i}`), remoteAddress: '10.0.0.7' })),
      );
      const codes = random.map((r) => r.statusCode);
      expect(codes.filter((c) => c === 401)).toHaveLength(10);
      expect(codes.filter((c) => c === 429)).toHaveLength(5);
      expect(random.find((r) => r.statusCode === 429)!.json().error).toMatchObject({ code: 'RATE_LIMITED' });
      // Another address has its own budget; a verified token has its own too (after its first request).
      expect((await limited.inject({ url: '/v1/runs', headers: as(readToken), remoteAddress: '10.0.0.8' })).statusCode).toBe(200);
      const byToken = await Promise.all(
        Array.from({ length: 10 }, () => limited.inject({ url: '/v1/runs', headers: as(readToken), remoteAddress: '10.0.0.7' })),
      );
      expect(byToken.every((r) => r.statusCode === 200)).toBe(true);
      expect((await limited.inject({ url: '/v1/runs', headers: as(readToken) })).statusCode).toBe(429);
      expect((await limited.inject({ url: '/v1/health', remoteAddress: '10.0.0.7' })).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('requires tokens by default except on loopback', () => {
    expect(['127.0.0.1', 'localhost', '::1'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '10.0.0.2', '::'].some(isLoopback)).toBe(false);
  });
});
