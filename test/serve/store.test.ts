/**
 * The store on SQLite and PostgreSQL: the same migrations, recorded in krs_migration and
 * applied once (reopening is a no-op, two servers may start together); a store written by the
 * first release (JSON states) migrated to binary states and buckets with the same scores;
 * SQLite's durability settings; live events between processes; the OpenAPI document in the
 * repo matching the code.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { KrsMetric } from '../../src/krs/metric.js';
import { startComputePool } from '../../src/serve/compute/pool.js';
import type { PostBody } from '../../src/serve/compute/tasks.js';
import { openapiDocument } from '../../src/serve/openapi.js';
import { RunService } from '../../src/serve/service.js';
import { migrations } from '../../src/serve/store/migrations.js';
import { openStore } from '../../src/serve/store/store.js';
import { batch, PG_URL, pgUnavailable, postgresStore, RUN, sqliteStore, testApp } from './helpers.js';

const reason = await pgUnavailable();
if (reason) console.warn(`PostgreSQL store tests skipped: ${reason}`);

const json = (body: unknown): PostBody => ({ kind: 'json', bytes: new TextEncoder().encode(JSON.stringify(body)), query: {}, hash: false });

describe('store', () => {
  it('SQLite: WAL with synchronous FULL, foreign keys on, migrations recorded once', async () => {
    const ts = await sqliteStore();
    try {
      expect(await ts.store.durability()).toEqual({ journal_mode: 'wal', synchronous: 2, foreign_keys: 1 });
      await ts.store.close();
      ts.store = await openStore(ts.location); // reopening applies nothing new
      const db = new BetterSqlite3(ts.location, { readonly: true });
      const applied = db.prepare('select name from krs_migration order by name').all() as { name: string }[];
      db.close();
      expect(applied.map((r) => r.name)).toEqual(Object.keys(migrations('sqlite')));
    } finally {
      await ts.cleanup();
    }
  });

  it.skipIf(reason !== null)('PostgreSQL: the same migrations in a schema of its own; concurrent opens migrate once', async () => {
    const ts = await postgresStore();
    const client = new pg.Client({ connectionString: PG_URL });
    try {
      const again = await Promise.all([openStore(ts.location), openStore(ts.location)]);
      await Promise.all(again.map((s) => s.close()));
      expect(await ts.store.durability()).toEqual({ synchronous_commit: 'on' });
      await client.connect();
      const schema = new URL(ts.location).searchParams.get('schema');
      const applied = await client.query(`select name from "${schema}".krs_migration order by name`);
      expect(applied.rows.map((r) => r.name)).toEqual(Object.keys(migrations('postgres')));
      const tables = await client.query('select table_name from information_schema.tables where table_schema = $1 order by 1', [schema]);
      expect(tables.rows.map((r) => r.table_name)).toEqual([
        'krs_alert_event',
        'krs_alert_rule',
        'krs_bucket',
        'krs_idempotency',
        'krs_migration',
        'krs_migration_lock',
        'krs_outbox',
        'krs_point',
        'krs_run',
        'krs_state',
        'krs_token',
      ]);
    } finally {
      await client.end();
      await ts.cleanup();
    }
  });

  it('migrates a store of the first release: JSON states become bytes and buckets, with the same scores', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'krs-old-store-'));
    const location = join(dir, 'krs.db');
    // The first release's store: migration 0001 only, states as JSON text.
    const db = new Kysely<Record<string, Record<string, unknown>>>({ dialect: new SqliteDialect({ database: new BetterSqlite3(location) }) });
    const first = { '0001_initial': migrations('sqlite')['0001_initial']! };
    await new Migrator({
      db,
      provider: { getMigrations: async () => first },
      migrationTableName: 'krs_migration',
      migrationLockTableName: 'krs_migration_lock',
    }).migrateToLatest();
    const settings = { task: 'classification' as const, pairs: [{ teacher: 'fc', student: 'fc' }], intervals: { groups: 5 } };
    const raw = db;
    const { id } = (await raw
      .insertInto('krs_run')
      .values({
        name: 'old',
        kind: 'training',
        teacher: '',
        student: '',
        task: 'classification',
        settings: JSON.stringify(settings),
        tags: '{}',
        teacher_model: null,
        created: '2026-01-01T00:00:00.000Z',
      })
      .returning('id')
      .executeTakeFirstOrThrow()) as { id: number };
    const bs = [batch(30, 1), batch(30, 2), batch(30, 3)];
    for (const [i, b] of bs.entries()) {
      const m = new KrsMetric(settings);
      await m.update(b);
      const r = await m.compute();
      await raw
        .insertInto('krs_point')
        .values({
          run_id: id,
          step: i === 2 ? 1 : i,
          time: `2026-01-01T00:0${i}:00.000Z`,
          n: 30,
          fss: r.fss,
          aoa: r.aoa,
          krs: r.krs,
          scores: JSON.stringify({ n: 30, fss: r.fss, aoa: r.aoa, krs: r.krs, ci95: r.ci95, layers: [], warnings: [] }),
          state: JSON.stringify(m.toJSON()),
          source: 'batch',
          received: '2026-01-01T00:00:00.000Z',
        })
        .execute();
    }
    await db.destroy();
    const store = await openStore(location);
    const { app } = await testApp(store);
    try {
      const all = new KrsMetric(settings);
      for (const b of bs) await all.update(b);
      const w = (await app.inject({ url: '/v1/runs/old/window' })).json();
      expect(w.points).toBe(3);
      expect(w.scores.krs).toBeCloseTo((await all.compute()).krs, 10);
      const series = (await app.inject({ url: '/v1/runs/old/series' })).json().series;
      expect(series.map((e: { step: number; points: number }) => [e.step, e.points])).toEqual([
        [0, 1],
        [1, 2],
      ]);
      const run = (await app.inject({ url: '/v1/runs/old' })).json();
      expect(run.points).toBe(3);
      expect(run.run.shapes).toMatchObject({
        "teacher width of layer pair 'fc':'fc'": 8,
        "student width of layer pair 'fc':'fc'": 6,
        'class count of the outputs': 5,
      });
      const plain = new BetterSqlite3(location, { readonly: true });
      expect(plain.prepare("select count(*) as c from krs_point where state != ''").get()).toEqual({ c: 0 });
      expect(plain.prepare('select count(*) as c from krs_state').get()).toEqual({ c: 3 });
      plain.close();
    } finally {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(reason !== null)('PostgreSQL: a point committed by one process reaches the live events of another (LISTEN/NOTIFY)', async () => {
    const ts = await postgresStore();
    const other = await openStore(ts.location);
    const compute = await startComputePool(0);
    const a = new RunService({ store: ts.store, compute });
    const b = new RunService({ store: other, compute });
    try {
      await a.start();
      await b.start();
      const seen: { type: string; run: string }[] = [];
      b.on('run', (r: { name: string }) => seen.push({ type: 'run', run: r.name }));
      b.on('point', (e: { run: string; point: { krs: number } }) => seen.push({ type: 'point', run: e.run }));
      const mine: string[] = [];
      a.on('point', () => mine.push('point'));
      await a.createRun({ name: 'shared', ...RUN });
      const p = await a.postBatch('shared', json({ step: 0, ...batch(20, 1) }));
      await expect.poll(() => seen.length, { timeout: 10_000 }).toBe(2);
      expect(seen).toEqual([
        { type: 'run', run: 'shared' },
        { type: 'point', run: 'shared' },
      ]);
      expect(mine).toEqual(['point']); // its own point once, not again through PostgreSQL
      expect(p.reply.point.krs).toBeGreaterThan(0);
    } finally {
      await a.close();
      await b.close();
      await other.close();
      await ts.cleanup();
    }
  });

  it('an unreachable store is a one-line error naming it', async () => {
    await expect(openStore('postgres://nobody@127.0.0.1:1/none?schema=x')).rejects.toThrow(/store.*127\.0\.0\.1:1/);
  });

  it('docs/openapi.json is the document the code builds (regenerate: krs serve openapi > docs/openapi.json)', async () => {
    const committed = JSON.parse(readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8'));
    expect(await openapiDocument()).toEqual(committed);
  });
});
