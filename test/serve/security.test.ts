/**
 * The threat model of docs/service.md, attack first: DNS rebinding against a token-less
 * loopback server (Host), cross-site writes from a browser (Origin, CORS), the security
 * headers, and hostile bodies and paths (deep nesting, long parameters, unknown fields, type
 * coercion, framework errors) — each answered with a documented 4xx JSON error that changes
 * nothing.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_STATUS } from '../../src/serve/http-error.js';
import { batch, RUN, sqliteStore, type TestStore, testApp } from './helpers.js';

describe('security', () => {
  let ts: TestStore;
  let app: FastifyInstance;
  let open: FastifyInstance;
  const EDGE = 'https://edge.example.com';

  beforeAll(async () => {
    ts = await sqliteStore();
    // No tokens (as on loopback), one extra host name, one browser origin allowed.
    ({ app } = await testApp(ts.store, { allowedHosts: ['krs.internal'], cors: [EDGE] }));
    ({ app: open } = await testApp(ts.store, { allowedHosts: ['*'] }));
    expect((await app.inject({ method: 'POST', url: '/v1/runs', payload: { name: 'r', ...RUN } })).statusCode).toBe(201);
  });
  afterAll(async () => {
    await app?.close();
    await open?.close();
    await ts?.cleanup();
  });

  it('answers only loopback names and --allowed-host without tokens (DNS rebinding)', async () => {
    for (const host of ['attacker.example', 'attacker.example:8080', '192.168.1.9', 'localhost.attacker.example']) {
      const r = await app.inject({ url: '/v1/runs', headers: { host } });
      expect(r.statusCode, host).toBe(403);
      expect(r.json().error).toMatchObject({ code: 'FORBIDDEN' });
      expect(r.json().error.message).toMatch(/allowed-host/);
      expect((await app.inject({ url: '/', headers: { host } })).statusCode, host).toBe(403);
    }
    for (const host of ['localhost', 'localhost:8080', '127.0.0.1:9', '[::1]:8080', 'krs.internal', 'KRS.internal:80']) {
      expect((await app.inject({ url: '/v1/runs', headers: { host } })).statusCode, host).toBe(200);
    }
    expect((await open.inject({ url: '/v1/runs', headers: { host: 'anything.example' } })).statusCode).toBe(200);
  });

  it('refuses writes from other origins; CORS for the origins given with --cors', async () => {
    const before = (await app.inject({ url: '/v1/runs/r' })).json().points;
    const evil = await app.inject({ method: 'POST', url: '/v1/runs/r/batches', headers: { origin: 'https://evil.example' }, payload: batch(20, 1) });
    expect(evil.statusCode).toBe(403);
    expect(evil.json().error.message).toMatch(/--cors/);
    expect((await app.inject({ method: 'DELETE', url: '/v1/runs/r', headers: { origin: 'https://evil.example' } })).statusCode).toBe(403);
    expect((await app.inject({ url: '/v1/runs/r' })).json().points).toBe(before);
    // A preflight from an allowed origin, then its post.
    const pre = await app.inject({ method: 'OPTIONS', url: '/v1/runs/r/states', headers: { origin: EDGE, 'access-control-request-method': 'POST' } });
    expect(pre.statusCode).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe(EDGE);
    expect(pre.headers['access-control-allow-headers']).toMatch(/authorization/);
    expect(pre.headers['access-control-allow-credentials']).toBeUndefined();
    const denied = await app.inject({
      method: 'OPTIONS',
      url: '/v1/runs/r/states',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(denied.statusCode).toBe(403);
    expect(denied.headers['access-control-allow-origin']).toBeUndefined();
    const ok = await app.inject({ method: 'POST', url: '/v1/runs/r/batches', headers: { origin: EDGE }, payload: batch(20, 2) });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.headers['access-control-allow-origin']).toBe(EDGE);
    expect(ok.headers.vary).toMatch(/Origin/);
    // Reads from other origins get no CORS header (the browser keeps the answer from the page).
    expect((await app.inject({ url: '/v1/runs', headers: { origin: 'https://evil.example' } })).headers['access-control-allow-origin']).toBeUndefined();
    // The page's own origin may write.
    expect(
      (await app.inject({ method: 'POST', url: '/v1/runs/r/batches', headers: { origin: 'http://localhost:80', host: 'localhost:80' }, payload: batch(20, 3) }))
        .statusCode,
    ).toBe(201);
  });

  it('sends the security headers on every answer', async () => {
    for (const url of ['/v1/health', '/v1/runs', '/v1/runs/nope', '/no/such/route']) {
      const r = await app.inject({ url });
      expect(r.headers['x-content-type-options'], url).toBe('nosniff');
      expect(r.headers['x-frame-options'], url).toBe('DENY');
      expect(r.headers['referrer-policy'], url).toBe('no-referrer');
      expect(r.headers['content-security-policy'], url).toMatch(/frame-ancestors 'none'/);
    }
    expect((await app.inject({ url: '/v1/runs' })).headers['cache-control']).toBe('no-store');
  });

  it('keeps what the URL says out of the dashboard page', async () => {
    const xss = '/runs/%3C%2Fscript%3E%3Cscript%3Ealert(sessionStorage%5B%27krs-token%27%5D)%3C%2Fscript%3E';
    const r = await app.inject({ url: xss });
    expect(r.statusCode).toBe(200);
    expect(r.body).not.toMatch(/alert\(/);
    expect(r.body).not.toMatch(/<script>(?!<\/script>)[^<]*\S/);
    expect(r.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(r.headers['content-security-policy']).not.toMatch(/unsafe-inline/);
  });

  it('answers hostile bodies and paths with one documented 4xx JSON error', async () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const cases: [string, () => Promise<{ statusCode: number; json: () => { error: { code: string; message: string } } }>, number, RegExp][] = [
      [
        'deep JSON on runs',
        () => app.inject({ method: 'POST', url: '/v1/runs', headers: { 'content-type': 'application/json' }, payload: deep }),
        400,
        /nested deeper/,
      ],
      [
        'deep JSON on batches',
        () => app.inject({ method: 'POST', url: '/v1/runs/r/batches', headers: { 'content-type': 'application/json' }, payload: `{"teacher":${deep}}` }),
        400,
        /nested deeper/,
      ],
      [
        'deep JSON on states',
        () => app.inject({ method: 'POST', url: '/v1/runs/r/states', headers: { 'content-type': 'application/json' }, payload: `{"state":${deep}}` }),
        400,
        /nested deeper/,
      ],
      ['long run name', () => app.inject({ url: `/v1/runs/${'x'.repeat(1500)}` }), 400, /run name/],
      ['longer still', () => app.inject({ url: `/v1/runs/${'x'.repeat(12_000)}/window` }), 400, /run name/],
      ['unknown field', () => app.inject({ method: 'POST', url: '/v1/runs', payload: { name: 'u', ...RUN, colour: 'red' } }), 400, /colour|additional/],
      ['tag not text', () => app.inject({ method: 'POST', url: '/v1/runs', payload: { name: 'u', ...RUN, tags: { a: 1 } } }), 400, /tags/],
      [
        'not UTF-8',
        () => app.inject({ method: 'POST', url: '/v1/runs', headers: { 'content-type': 'application/json' }, payload: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) }),
        400,
        /UTF-8/,
      ],
      [
        'form post',
        () => app.inject({ method: 'POST', url: '/v1/runs/r/batches', headers: { 'content-type': 'text/plain' }, payload: 'teacher=1' }),
        415,
        /content-type/,
      ],
      [
        'npz to states',
        () => app.inject({ method: 'POST', url: '/v1/runs/r/states', headers: { 'content-type': 'application/x-npz' }, payload: Buffer.from('PK') }),
        415,
        /content-type/,
      ],
      ['query type', () => app.inject({ url: '/v1/runs/r/window?fromStep=abc' }), 400, /fromStep/],
      [
        'bad Idempotency-Key',
        () => app.inject({ method: 'POST', url: '/v1/runs/r/batches', headers: { 'idempotency-key': 'a b' }, payload: batch(20, 1) }),
        400,
        /Idempotency-Key/,
      ],
      ['unknown route', () => app.inject({ method: 'PUT', url: '/v1/runs/r' }), 404, /no route/],
    ];
    const before = (await app.inject({ url: '/v1/runs' })).json().runs.length;
    for (const [what, send, status, pattern] of cases) {
      const r = await send();
      expect(r.statusCode, what).toBe(status);
      const e = r.json().error;
      expect(Object.keys(ERROR_STATUS), what).toContain(e.code);
      expect(ERROR_STATUS[e.code], what).toBe(status);
      expect(e.message, what).toMatch(pattern);
      expect(e.message, what).not.toMatch(/FST_|\n/);
    }
    expect((await app.inject({ url: '/v1/runs' })).json().runs.length).toBe(before);
  });
});
