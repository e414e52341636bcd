/** Shared pieces of the service tests: stores (SQLite temp files, PostgreSQL schemas), apps, data. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { buildApp } from '../../src/serve/app.js';
import { startComputePool } from '../../src/serve/compute/pool.js';
import { RunService } from '../../src/serve/service.js';
import { dropSchema, openStore } from '../../src/serve/store/store.js';
import type { Store } from '../../src/serve/store/types.js';
import { startTeacher } from '../../src/serve/teacher.js';

export const PG_URL = process.env.KRS_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Whether PostgreSQL answers (checked once); the reason when it does not. */
let pgCheck: Promise<string | null> | null = null;
export function pgUnavailable(): Promise<string | null> {
  pgCheck ??= (async () => {
    const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
    try {
      await c.connect();
      await c.query('select 1');
      return null;
    } catch (e) {
      return `no PostgreSQL at ${PG_URL} (${(e as Error).message.split('\n')[0]})`;
    } finally {
      await c.end().catch(() => {});
    }
  })();
  return pgCheck;
}

/** A unique schema name for one test store. */
export function uniqueSchema(): string {
  return `krs_test_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
}

export interface TestStore {
  store: Store;
  location: string;
  cleanup(): Promise<void>;
}

export async function sqliteStore(): Promise<TestStore> {
  const dir = mkdtempSync(join(tmpdir(), 'krs-serve-'));
  const location = join(dir, 'krs.db');
  const store = await openStore(location);
  return {
    store,
    location,
    async cleanup() {
      await store.close().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function postgresStore(): Promise<TestStore> {
  const schema = uniqueSchema();
  const location = `${PG_URL}?schema=${schema}`;
  const store = await openStore(location);
  return {
    store,
    location,
    async cleanup() {
      await store.close().catch(() => {});
      await dropSchema(PG_URL, schema);
    },
  };
}

export interface TestAppOptions {
  auth?: boolean;
  bodyLimit?: number;
  rateLimit?: number;
  models?: string;
  allowedHosts?: string[];
  cors?: string[];
  retainDays?: number | null;
  /** Compute threads (default 1; 0 computes in the test's thread). */
  threads?: number;
  tokenCacheMs?: number;
}

/** An app over `store` (not listening: `app.inject`), with a compute pool and fast webhook retries. */
export async function testApp(store: Store, o: TestAppOptions = {}) {
  const compute = await startComputePool(o.threads ?? 1);
  const service = new RunService({
    store,
    compute,
    models: o.models,
    retainDays: o.retainDays ?? null,
    tokenCacheMs: o.tokenCacheMs,
    teacherRunner: startTeacher,
    webhook: { attempts: 4, backoffMs: 20, timeoutMs: 2000, pollMs: 50 },
  });
  await service.start();
  const app = await buildApp({
    service,
    auth: o.auth ?? false,
    bodyLimit: o.bodyLimit,
    rateLimit: o.rateLimit ?? 0,
    allowedHosts: o.allowedHosts,
    cors: o.cors,
  });
  app.addHook('onClose', async () => {
    await service.close();
    await compute.close();
  });
  await app.ready();
  return { app, service };
}

/** Deterministic pseudo-random rows (a small LCG), n × p, as nested arrays. */
export function rows(n: number, p: number, seed: number): number[][] {
  let s = seed >>> 0 || 1;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  return Array.from({ length: n }, () => Array.from({ length: p }, () => next()));
}

/** A batch whose student is a noisy copy of the teacher (so scores are high but not perfect). */
export function batch(n: number, seed: number) {
  const t = rows(n, 8, seed);
  const noise = rows(n, 8, seed + 1000);
  const s = t.map((r, i) => r.slice(0, 6).map((x, k) => x + 0.3 * noise[i]![k]!));
  const to = rows(n, 5, seed + 7);
  const so = to.map((r, i) => r.map((x, k) => 2 * x + 0.4 * noise[i]![k]!));
  return { teacher: { fc: t }, student: { fc: s }, teacherOutput: to, studentOutput: so };
}

export const RUN = { task: 'classification', teacher: 'teacher-net', student: 'student-net', settings: { pairs: ['fc:fc'], intervals: { groups: 5 } } };
