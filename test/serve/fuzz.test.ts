/**
 * Fuzzed bodies (fast-check) never crash the service: whatever arrives at the posting and
 * creating routes — random JSON, JSON shaped like a batch or a state with random leaves,
 * random bytes as .npz / .safetensors — gets a JSON answer with a 2xx or 4xx status (never
 * a 500), and the server keeps answering.
 */
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeStateFile } from '../../src/io/state-file.js';
import { KrsMetric } from '../../src/krs/metric.js';
import { ERROR_STATUS } from '../../src/serve/http-error.js';
import { batch, RUN, sqliteStore, type TestStore, testApp } from './helpers.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);

describe('fuzzed bodies', () => {
  let ts: TestStore;
  let app: FastifyInstance;
  let state: ReturnType<KrsMetric['toJSON']>;
  beforeAll(async () => {
    ts = await sqliteStore();
    ({ app } = await testApp(ts.store, { bodyLimit: 1024 * 1024 }));
    await app.inject({ method: 'POST', url: '/v1/runs', payload: { name: 'f', ...RUN } });
    const m = new KrsMetric({ task: 'classification', pairs: [{ teacher: 'fc', student: 'fc' }], intervals: { groups: 5 } });
    await m.update(batch(12, 1));
    state = m.toJSON();
  });
  afterAll(async () => {
    await app?.close();
    await ts?.cleanup();
  });

  const check = async (r: { statusCode: number; body: string; headers: Record<string, unknown> }, what: string) => {
    expect(r.statusCode, `${what}: ${r.body.slice(0, 300)}`).toBeLessThan(500);
    if (r.statusCode >= 400) {
      const e = JSON.parse(r.body).error;
      // One documented code with its status; never a framework's own code or shape.
      expect(ERROR_STATUS[e.code], `${what}: ${e.code}`).toBe(r.statusCode);
      expect(e.message).not.toContain('\n');
      expect(e.message).not.toMatch(/FST_/);
    }
  };
  const leaf = fc.oneof(fc.double(), fc.integer(), fc.string({ maxLength: 5 }), fc.constant(null), fc.boolean());
  /** Replace random leaves of a JSON value. */
  const mutate = (v: unknown, r: () => number, leafValue: () => unknown): unknown => {
    if (Array.isArray(v)) return v.map((x) => mutate(x, r, leafValue));
    if (v && typeof v === 'object')
      return Object.fromEntries(
        Object.entries(v)
          .filter(() => r() > 0.05)
          .map(([k, x]) => [k, mutate(x, r, leafValue)]),
      );
    return r() < 0.03 ? leafValue() : v;
  };

  it('random JSON at every posting route', { timeout: 60_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/v1/runs', '/v1/runs/f/batches', '/v1/runs/f/states', '/v1/runs/f/alerts'),
        fc.jsonValue({ maxDepth: 4 }),
        async (url, body) => {
          const r = await app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
          await check(r, url);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('batches and states with random leaves and fields dropped', { timeout: 60_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.integer(), fc.array(leaf, { minLength: 1, maxLength: 8 }), async (isState, seed, leaves) => {
        let s = seed >>> 0 || 1;
        const r = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s / 2 ** 32);
        let i = 0;
        const next = () => leaves[i++ % leaves.length];
        const body = isState ? { step: 1, state: mutate(state, r, next) } : mutate({ step: 1, ...batch(12, 2) }, r, next);
        const res = await app.inject({ method: 'POST', url: isState ? '/v1/runs/f/states' : '/v1/runs/f/batches', payload: body as object });
        await check(res, isState ? 'state' : 'batch');
      }),
      { numRuns: RUNS },
    );
  });

  it('random and truncated bytes as state files', { timeout: 60_000 }, async () => {
    const file = encodeStateFile(state);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: file.length }), fc.uint8Array({ minLength: 1, maxLength: 16 }), fc.nat(), async (cut, noise, at) => {
        const body = Buffer.from(file.subarray(0, cut));
        if (body.length) {
          const o = at % body.length;
          body.set(noise.subarray(0, body.length - o), o);
        }
        const res = await app.inject({ method: 'POST', url: '/v1/runs/f/states', headers: { 'content-type': 'application/x-krs-state' }, payload: body });
        await check(res, 'state file');
      }),
      { numRuns: RUNS },
    );
  });

  it('random and truncated bytes as .npz / .safetensors', { timeout: 60_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 600 }),
        fc.constantFrom(new Uint8Array([0x50, 0x4b, 3, 4]), new Uint8Array([16, 0, 0, 0, 0, 0, 0, 0, 0x7b]), new Uint8Array()),
        async (bytes, head) => {
          const body = Buffer.concat([head, bytes]);
          const res = await app.inject({ method: 'POST', url: '/v1/runs/f/batches', headers: { 'content-type': 'application/octet-stream' }, payload: body });
          await check(res, 'bytes');
        },
      ),
      { numRuns: RUNS },
    );
    expect((await app.inject({ url: '/v1/health' })).statusCode).toBe(200);
  });
});
