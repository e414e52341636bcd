/**
 * Open a store's database: SQLite (better-sqlite3, WAL, `synchronous = FULL`) or PostgreSQL
 * (pg; `?schema=NAME` works inside that schema), migrated to the latest version. Runs on the
 * store's own thread (store/worker.ts): better-sqlite3 is synchronous, so every query and
 * every commit's fsync happens there, never on the server's event loop.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { errors } from '../../core/errors.js';
import { type DialectKind, migrationProvider } from './migrations.js';
import type { Database } from './schema.js';

// int8 (bigint) columns hold bucket starts in ms and counts: numbers, not strings.
pg.types.setTypeParser(20, (v: string) => Number(v));

export interface OpenDatabase {
  db: Kysely<Database>;
  dialect: DialectKind;
  /** Where it is (file path, or the URL without credentials). */
  location: string;
  /** PostgreSQL: the URL for the LISTEN connection. */
  listenUrl?: string;
}

export function isPostgres(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** Credentials dropped, for messages and the banner. */
export function describeLocation(location: string): string {
  if (location === ':memory:') return location;
  if (!isPostgres(location)) return resolve(location);
  try {
    const u = new URL(location);
    u.password = '';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}

async function openPostgres(location: string): Promise<{ db: Kysely<Database>; schema?: string; listenUrl: string }> {
  const url = new URL(location);
  const schema = url.searchParams.get('schema') ?? undefined;
  url.searchParams.delete('schema');
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
    throw errors.badOption('store', schema, 'a schema name of lower-case letters, digits and _');
  const ddl = new pg.Client({ connectionString: url.toString() });
  try {
    await ddl.connect();
    if (schema) await ddl.query(`create schema if not exists "${schema}"`);
  } catch (e) {
    throw errors.storeUnavailable(describeLocation(location), `does not answer (${(e as Error).message.split('\n')[0]})`);
  } finally {
    await ddl.end().catch(() => {});
  }
  // Every connection works in the schema (set at connection start, before any query).
  const pool = new pg.Pool({ connectionString: url.toString(), max: 10, ...(schema ? { options: `-c search_path=${schema}` } : {}) });
  pool.on('error', () => {}); // an idle client's failure surfaces on the next query
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), schema, listenUrl: url.toString() };
}

function openSqlite(location: string): Kysely<Database> {
  const file = location === ':memory:' ? location : resolve(location);
  if (file !== ':memory:') {
    try {
      mkdirSync(dirname(file), { recursive: true });
    } catch {}
  }
  let database: BetterSqlite3.Database;
  try {
    database = new BetterSqlite3(file);
    // 8 KiB pages for a new file (an existing one keeps its own): states are blobs of tens of
    // kB to MBs, written with half the WAL frames of the default 4 KiB pages, while a small
    // post's transaction still dirties little (4, 8 and 16 KiB measured with bench/serve).
    database.pragma('page_size = 8192');
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = FULL');
    database.pragma('foreign_keys = ON');
    database.pragma('busy_timeout = 10000');
  } catch (e) {
    throw errors.storeUnavailable(file, `cannot be opened as a SQLite file (${(e as Error).message})`);
  }
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: preparedOnce(database) }) });
}

/** Most prepared statements kept (queries with lists of ids vary; the rest repeat). */
const STATEMENTS = 256;

/**
 * The database as kysely's SQLite driver sees it, with each statement prepared once: the
 * driver prepares every query it runs, which cost the store's thread as much as running them.
 */
function preparedOnce(database: BetterSqlite3.Database): { prepare(sql: string): BetterSqlite3.Statement; close(): void } {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (!stmt) {
        if (cache.size >= STATEMENTS) cache.clear();
        stmt = database.prepare(sql);
        cache.set(sql, stmt);
      }
      return stmt;
    },
    close: () => database.close(),
  };
}

/**
 * Open (creating if needed) and migrate a store's database.
 * @throws KrsError STORE_UNAVAILABLE naming the store when it cannot be opened or migrated (BAD_OPTION for a malformed schema name).
 */
export async function openDatabase(location: string): Promise<OpenDatabase> {
  const dialect: DialectKind = isPostgres(location) ? 'postgres' : 'sqlite';
  const opened = dialect === 'postgres' ? await openPostgres(location) : { db: openSqlite(location), schema: undefined, listenUrl: undefined };
  const { db, schema } = opened;
  const migrator = new Migrator({
    db,
    provider: migrationProvider(dialect),
    migrationTableName: 'krs_migration',
    migrationLockTableName: 'krs_migration_lock',
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error } = await migrator.migrateToLatest();
  if (error) {
    await db.destroy();
    const msg = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw errors.storeUnavailable(describeLocation(location), `cannot be migrated (${msg})`);
  }
  return { db, dialect, location: describeLocation(location), ...(opened.listenUrl ? { listenUrl: opened.listenUrl } : {}) };
}
