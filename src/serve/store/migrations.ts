/**
 * Versioned migrations of the store, applied in order by kysely's `Migrator`, which records
 * each applied one in the `krs_migration` table (and serialises concurrent servers with the
 * `krs_migration_lock` table), so several `krs serve` processes on one PostgreSQL can start
 * together. A migration is never edited once released: changes are new migrations.
 */
import { type ColumnDefinitionBuilder, type Kysely, type Migration, type MigrationProvider, sql } from 'kysely';
import { encodeStateFile } from '../../io/state-file.js';
import { seenOf, shapeSignature } from '../state-codec.js';
import { bucketsOf } from './buckets.js';

export type DialectKind = 'sqlite' | 'postgres';

/** The migrations, by name; names sort in the order they apply. */
export function migrations(dialect: DialectKind): Record<string, Migration> {
  const id = dialect === 'postgres' ? 'serial' : 'integer';
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists.
  type Db = Kysely<any>;
  const autoId = (c: ColumnDefinitionBuilder) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement());
  return {
    '0001_initial': {
      async up(db: Db) {
        await db.schema
          .createTable('krs_run')
          .addColumn('id', id, autoId)
          .addColumn('name', 'text', (c) => c.notNull().unique())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('teacher', 'text', (c) => c.notNull())
          .addColumn('student', 'text', (c) => c.notNull())
          .addColumn('task', 'text', (c) => c.notNull())
          .addColumn('settings', 'text', (c) => c.notNull())
          .addColumn('tags', 'text', (c) => c.notNull())
          .addColumn('teacher_model', 'text')
          .addColumn('created', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('krs_point')
          .addColumn('id', id, autoId)
          .addColumn('run_id', 'integer', (c) => c.notNull().references('krs_run.id').onDelete('cascade'))
          .addColumn('step', 'integer')
          .addColumn('time', 'text', (c) => c.notNull())
          .addColumn('n', 'integer', (c) => c.notNull())
          .addColumn('fss', 'double precision')
          .addColumn('aoa', 'double precision', (c) => c.notNull())
          .addColumn('krs', 'double precision')
          .addColumn('scores', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('source', 'text', (c) => c.notNull())
          .addColumn('received', 'text', (c) => c.notNull())
          .execute();
        if (dialect === 'postgres') {
          // States are large (MB) and mostly incompressible base64: store them out of line
          // without pglz compression, which costs more CPU than it saves.
          await sql`alter table krs_point alter column state set storage external`.execute(db);
        }
        await db.schema.createIndex('krs_point_run_step').on('krs_point').columns(['run_id', 'step']).execute();
        await db.schema.createIndex('krs_point_run_time').on('krs_point').columns(['run_id', 'time']).execute();
        await db.schema
          .createTable('krs_alert_rule')
          .addColumn('id', id, autoId)
          .addColumn('run_id', 'integer', (c) => c.notNull().references('krs_run.id').onDelete('cascade'))
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('threshold', 'double precision', (c) => c.notNull())
          .addColumn('window', 'integer')
          .addColumn('webhook', 'text')
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('since', 'text')
          .addColumn('value', 'double precision')
          .addColumn('message', 'text')
          .addColumn('created', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('krs_alert_event')
          .addColumn('id', id, autoId)
          .addColumn('rule_id', 'integer', (c) => c.notNull().references('krs_alert_rule.id').onDelete('cascade'))
          .addColumn('run_id', 'integer', (c) => c.notNull().references('krs_run.id').onDelete('cascade'))
          .addColumn('time', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('value', 'double precision')
          .addColumn('message', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('krs_alert_event_run').on('krs_alert_event').columns(['run_id', 'id']).execute();
        await db.schema
          .createTable('krs_token')
          .addColumn('id', id, autoId)
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('scope', 'text', (c) => c.notNull())
          .addColumn('hash', 'text', (c) => c.notNull().unique())
          .addColumn('created', 'text', (c) => c.notNull())
          .execute();
      },
    },
    '0002_buckets': {
      /**
       * Binary states in `krs_state` (the old JSON states converted), merged buckets, the run's
       * shapes, running sample counts and commit sequence, archiving and retention, idempotency
       * keys and the webhook outbox. Old points keep their own grouping (they were never
       * relabelled) and get sequence numbers in id order; their buckets start unbuilt and are
       * merged when first read.
       */
      async up(db: Db) {
        const big = dialect === 'postgres' ? 'bigint' : 'integer';
        const bytes = dialect === 'postgres' ? 'bytea' : 'blob';
        for (const [col, type, dflt] of [
          ['archived', 'integer', 0],
          ['shapes', 'text', '{}'],
          ['seen_features', big, 0],
          ['seen_outputs', big, 0],
          ['point_count', 'integer', 0],
          ['point_seq', big, 0],
        ] as const) {
          await db.schema
            .alterTable('krs_run')
            .addColumn(col, type, (c) => c.notNull().defaultTo(dflt))
            .execute();
        }
        await db.schema.alterTable('krs_run').addColumn('retain_days', 'double precision').execute();
        await db.schema.alterTable('krs_point').addColumn('seq', big).execute();
        await db.schema
          .createTable('krs_state')
          .addColumn('point_id', 'integer', (c) => c.primaryKey().references('krs_point.id').onDelete('cascade'))
          .addColumn('bytes', bytes, (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('krs_bucket')
          .addColumn('id', id, autoId)
          .addColumn('run_id', 'integer', (c) => c.notNull().references('krs_run.id').onDelete('cascade'))
          .addColumn('axis', 'text', (c) => c.notNull())
          .addColumn('width', big, (c) => c.notNull())
          .addColumn('start', big, (c) => c.notNull())
          .addColumn('points', 'integer', (c) => c.notNull())
          .addColumn('n', big, (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('epoch', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('built_seq', big, (c) => c.notNull().defaultTo(0))
          .addColumn('state', bytes)
          .addColumn('fss', 'double precision')
          .addColumn('aoa', 'double precision')
          .addColumn('krs', 'double precision')
          .addColumn('ci95', 'text')
          .addColumn('scores_version', 'integer', (c) => c.notNull().defaultTo(0))
          .addUniqueConstraint('krs_bucket_key', ['run_id', 'axis', 'width', 'start'])
          .execute();
        if (dialect === 'postgres') {
          await sql`alter table krs_state alter column bytes set storage external`.execute(db);
          await sql`alter table krs_bucket alter column state set storage external`.execute(db);
        }
        await db.schema
          .createTable('krs_idempotency')
          .addColumn('run_id', 'integer', (c) => c.notNull().references('krs_run.id').onDelete('cascade'))
          .addColumn('key', 'text', (c) => c.notNull())
          .addColumn('hash', 'text', (c) => c.notNull())
          .addColumn('reply', 'text', (c) => c.notNull())
          .addColumn('created', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('krs_idempotency_key', ['run_id', 'key'])
          .execute();
        await db.schema
          .createTable('krs_outbox')
          .addColumn('id', id, autoId)
          .addColumn('run_id', 'integer', (c) => c.notNull().references('krs_run.id').onDelete('cascade'))
          .addColumn('rule_id', 'integer', (c) => c.notNull())
          .addColumn('url', 'text', (c) => c.notNull())
          .addColumn('payload', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull())
          .addColumn('next_at', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('last_error', 'text')
          .addColumn('created', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('krs_outbox_due').on('krs_outbox').columns(['state', 'next_at']).execute();
        await db.schema.createIndex('krs_point_run_id').on('krs_point').columns(['run_id', 'id']).execute();
        await convertStates(db);
      },
    },
  };
}

/** Migration 0002's data step: JSON states to bytes, run counters and shapes, unbuilt buckets. */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists.
async function convertStates(db: Kysely<any>): Promise<void> {
  const runs = (await db.selectFrom('krs_run').select('id').execute()) as { id: number }[];
  for (const { id: runId } of runs) {
    let lastId = 0;
    const seen = { features: 0, outputs: 0 };
    let shapes: Record<string, unknown> = {};
    let count = 0;
    for (;;) {
      const rows = (await db
        .selectFrom('krs_point')
        .select(['id', 'step', 'time', 'n', 'state'])
        .where('run_id', '=', runId)
        .where('id', '>', lastId)
        .orderBy('id')
        .limit(200)
        .execute()) as { id: number; step: number | null; time: string; n: number; state: string }[];
      if (rows.length === 0) break;
      for (const r of rows) {
        lastId = r.id;
        count++;
        const doc = JSON.parse(r.state) as unknown;
        await db
          .insertInto('krs_state')
          .values({ point_id: r.id, bytes: encodeStateFile(doc) })
          .execute();
        await db.updateTable('krs_point').set({ state: '', seq: count }).where('id', '=', r.id).execute();
        const s = seenOf(doc);
        seen.features += s.features;
        seen.outputs += s.outputs;
        if (Object.keys(shapes).length === 0) shapes = shapeSignature(doc);
        const keys = [...(r.step === null ? [] : bucketsOf('step', Number(r.step))), ...bucketsOf('time', Date.parse(r.time))];
        for (const k of keys) {
          await db
            .insertInto('krs_bucket')
            .values({ run_id: runId, ...k, points: 1, n: r.n, version: 1 })
            .onConflict((oc) =>
              oc.columns(['run_id', 'axis', 'width', 'start']).doUpdateSet({
                points: sql`krs_bucket.points + 1`,
                n: sql`krs_bucket.n + ${r.n}`,
                version: sql`krs_bucket.version + 1`,
              }),
            )
            .execute();
        }
      }
    }
    await db
      .updateTable('krs_run')
      .set({ seen_features: seen.features, seen_outputs: seen.outputs, shapes: JSON.stringify(shapes), point_count: count, point_seq: count })
      .where('id', '=', runId)
      .execute();
  }
}

export function migrationProvider(dialect: DialectKind): MigrationProvider {
  return { getMigrations: async () => migrations(dialect) };
}
