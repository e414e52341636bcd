/**
 * The store on SQLite and PostgreSQL: the same migrations, recorded in krs_migration and
 * applied once (reopening is a no-op, two servers may start together), SQLite's durability
 * settings, and the OpenAPI document in the repo matching the code.
 */
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openapiDocument } from '../../src/cli/serve.js';
import { migrations } from '../../src/serve/store/migrations.js';
import { openStore } from '../../src/serve/store/store.js';
import { RunService } from '../../src/serve/service.js';
import { batch, pgUnavailable, postgresStore, RUN, sqliteStore } from './helpers.js';

const reason = await pgUnavailable();
if (reason) console.warn(`PostgreSQL store tests skipped: ${reason}`);

describe('store', () => {
  it('SQLite: WAL with synchronous FULL, foreign keys on, migrations recorded once', async () => {
    const ts = await sqliteStore();
    try {
      const pragma = async (p: string) => Object.values((await sql.raw(`pragma ${p}`).execute(ts.store.db)).rows[0] as object)[0];
      expect(await pragma('journal_mode')).toBe('wal');
      expect(await pragma('synchronous')).toBe(2); // FULL
      expect(await pragma('foreign_keys')).toBe(1);
      await ts.store.close();
      ts.store = await openStore(ts.location); // reopening applies nothing new
      const applied = await sql<{ name: string }>`select name from krs_migration order by name`.execute(ts.store.db);
      expect(applied.rows.map((r) => r.name)).toEqual(Object.keys(migrations('sqlite')));
    } finally {
      await ts.cleanup();
    }
  });

  it.skipIf(reason !== null)('PostgreSQL: the same migrations in a schema of its own; concurrent opens migrate once', async () => {
    const ts = await postgresStore();
    try {
      const again = await Promise.all([openStore(ts.location), openStore(ts.location)]);
      await Promise.all(again.map((s) => s.close()));
      const applied = await sql<{ name: string }>`select name from krs_migration order by name`.execute(ts.store.db);
      expect(applied.rows.map((r) => r.name)).toEqual(Object.keys(migrations('postgres')));
      const tables = await sql<{
        table_name: string;
      }>`select table_name from information_schema.tables where table_schema = current_schema() order by 1`.execute(ts.store.db);
      expect(tables.rows.map((r) => r.table_name)).toEqual([
        'krs_alert_event',
        'krs_alert_rule',
        'krs_migration',
        'krs_migration_lock',
        'krs_point',
        'krs_run',
        'krs_token',
      ]);
      const run = await ts.store.createRun({
        name: 'x',
        kind: 'training',
        teacher: '',
        student: '',
        task: 'classification',
        settings: '{}',
        tags: '{}',
        teacher_model: null,
        created: new Date().toISOString(),
      });
      expect(run.id).toBeGreaterThan(0);
      expect((await ts.store.getRun('x'))?.name).toBe('x');
    } finally {
      await ts.cleanup();
    }
  });

  it.skipIf(reason !== null)('PostgreSQL: a point committed by one process reaches the live events of another (LISTEN/NOTIFY)', async () => {
    const ts = await postgresStore();
    const other = await openStore(ts.location);
    const a = new RunService({ store: ts.store });
    const b = new RunService({ store: other });
    try {
      await a.listen();
      await b.listen();
      const seen: { type: string; run: string }[] = [];
      b.on('run', (r: { name: string }) => seen.push({ type: 'run', run: r.name }));
      b.on('point', (e: { run: string; point: { krs: number } }) => seen.push({ type: 'point', run: e.run }));
      const mine: string[] = [];
      a.on('point', () => mine.push('point'));
      await a.createRun({ name: 'shared', ...RUN });
      const p = await a.postBatch('shared', batch(20, 1), { step: 0 });
      await expect.poll(() => seen.length, { timeout: 5000 }).toBe(2);
      expect(seen).toEqual([
        { type: 'run', run: 'shared' },
        { type: 'point', run: 'shared' },
      ]);
      expect(mine).toEqual(['point']); // its own point once, not again through PostgreSQL
      expect(p.point.krs).toBeGreaterThan(0);
    } finally {
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
