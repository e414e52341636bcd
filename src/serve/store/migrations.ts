/**
 * Versioned migrations of the store, applied in order by kysely's `Migrator`, which records
 * each applied one in the `krs_migration` table (and serialises concurrent servers with the
 * `krs_migration_lock` table), so several `krs serve` processes on one PostgreSQL can start
 * together. A migration is never edited once released: changes are new migrations.
 */
import { type ColumnDefinitionBuilder, type Kysely, type Migration, type MigrationProvider, sql } from 'kysely';

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
  };
}

export function migrationProvider(dialect: DialectKind): MigrationProvider {
  return { getMigrations: async () => migrations(dialect) };
}
