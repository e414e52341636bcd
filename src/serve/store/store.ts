/**
 * The run store: one query layer (kysely) over SQLite (better-sqlite3, the default file
 * `./krs.db`) or PostgreSQL (pg, `postgres://…`), same schema and migrations
 * (`migrations.ts`, docs/service.md).
 *
 * Durability: a write returns only after its transaction has committed. SQLite runs in WAL
 * mode with `synchronous = FULL`, so a committed transaction survives a crash of the process
 * and of the machine (NORMAL would only survive the process); PostgreSQL commits with its
 * default `synchronous_commit = on`.
 *
 * PostgreSQL URLs may carry `?schema=NAME`: the store then creates that schema if needed and
 * works inside it (the tests use one schema per run and drop it).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, type Selectable, SqliteDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import { errors } from '../../core/errors.js';
import type { AlertEventTable, AlertRuleTable, Database, PointTable, RunTable, TokenTable } from './schema.js';
import { type DialectKind, migrationProvider } from './migrations.js';

export type RunRow = Selectable<RunTable>;
export type PointRow = Selectable<PointTable>;
export type AlertRuleRow = Selectable<AlertRuleTable>;
export type AlertEventRow = Selectable<AlertEventTable>;
export type TokenRow = Selectable<TokenTable>;
export type NewPoint = Omit<PointTable, 'id' | 'run_id'>;
export type Scope = 'read' | 'write';

/** Points of a run within a window (bounds inclusive; absent: open). */
export interface Window {
  fromStep?: number;
  toStep?: number;
  /** ISO times. */
  from?: string;
  to?: string;
}

export interface Store {
  readonly dialect: DialectKind;
  /** Where it is (file path, or the URL without credentials). */
  readonly location: string;
  readonly db: Kysely<Database>;
  createRun(run: Omit<RunTable, 'id'>): Promise<RunRow>;
  listRuns(): Promise<RunRow[]>;
  getRun(name: string): Promise<RunRow | undefined>;
  /**
   * Insert a point and run `after` in the same transaction (alert evaluation); resolves once
   * committed.
   */
  addPoint<T>(runId: number, point: NewPoint, after?: (trx: Transaction<Database>, id: number) => Promise<T>): Promise<{ id: number; after: T | undefined }>;
  /** Points in order (step, then time, then id); `withState` reads the stored states too. */
  points(runId: number, window?: Window, withState?: boolean): Promise<PointRow[]>;
  /** The last `count` points of every run (for the fleet page), by run id. */
  latestPoints(count: number): Promise<Map<number, PointRow[]>>;
  countPoints(runId: number): Promise<number>;
  addRule(rule: Omit<AlertRuleTable, 'id' | 'state' | 'since' | 'value' | 'message' | 'created'>): Promise<AlertRuleRow>;
  rules(runId?: number): Promise<AlertRuleRow[]>;
  deleteRule(runId: number, id: number): Promise<boolean>;
  events(runId: number, limit: number): Promise<AlertEventRow[]>;
  /** A new token (returned once; only its hash is stored). */
  createToken(name: string, scope: Scope): Promise<{ token: string; row: TokenRow }>;
  tokenScope(token: string): Promise<Scope | null>;
  countTokens(): Promise<number>;
  /**
   * PostgreSQL: publish `payload` to every process sharing the store when `trx` commits
   * (NOTIFY is transactional); SQLite: nothing (one process per file).
   */
  notify(trx: Transaction<Database>, payload: string): Promise<void>;
  /** PostgreSQL: receive the payloads of {@link notify} (a dedicated LISTEN connection); SQLite: never called. */
  listen(onPayload: (payload: string) => void): Promise<void>;
  close(): Promise<void>;
}

/** The channel of live events between processes sharing a PostgreSQL store. */
export const EVENT_CHANNEL = 'krs_events';

export const DEFAULT_STORE = './krs.db';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function isPostgres(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** Credentials dropped, for messages and the banner. */
export function describeLocation(location: string): string {
  if (location === ':memory:') return location;
  if (!isPostgres(location)) return resolve(location);
  try {
    const u = new URL(location);
    u.password = '';
    u.username = u.username ? u.username : '';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}

/**
 * Open (creating if needed) and migrate a store.
 * @throws KrsError STORE_UNAVAILABLE-like environment errors (BAD_TARGET) when it cannot be opened.
 */
export async function openStore(location: string = DEFAULT_STORE): Promise<Store> {
  const dialect: DialectKind = isPostgres(location) ? 'postgres' : 'sqlite';
  let db: Kysely<Database>;
  let schema: string | undefined;
  let listenUrl: string | undefined;
  if (dialect === 'postgres') {
    const url = new URL(location);
    schema = url.searchParams.get('schema') ?? undefined;
    url.searchParams.delete('schema');
    listenUrl = url.toString();
    if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
      throw errors.badOption('store', schema, 'a schema name of lower-case letters, digits and _');
    if (schema) {
      const ddl = new pg.Client({ connectionString: url.toString() });
      try {
        await ddl.connect();
        await ddl.query(`create schema if not exists "${schema}"`);
      } catch (e) {
        throw errors.badOption('store', describeLocation(location), `a PostgreSQL server that answers (${(e as Error).message.split('\n')[0]})`);
      } finally {
        await ddl.end().catch(() => {});
      }
    }
    // Every connection works in the schema (set at connection start, before any query).
    const pool = new pg.Pool({ connectionString: url.toString(), max: 10, ...(schema ? { options: `-c search_path=${schema}` } : {}) });
    pool.on('error', () => {}); // an idle client's failure surfaces on the next query
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  } else {
    const file = location === ':memory:' ? location : resolve(location);
    if (file !== ':memory:') {
      try {
        mkdirSync(dirname(file), { recursive: true });
      } catch {}
    }
    let database: BetterSqlite3.Database;
    try {
      database = new BetterSqlite3(file);
      database.pragma('journal_mode = WAL');
      database.pragma('synchronous = FULL');
      database.pragma('foreign_keys = ON');
      database.pragma('busy_timeout = 10000');
    } catch (e) {
      throw errors.badOption('store', file, `a SQLite file that can be opened (${(e as Error).message})`);
    }
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  }
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
    throw errors.badOption('store', describeLocation(location), `a store that can be migrated (${msg})`);
  }
  return makeStore(db, dialect, describeLocation(location), listenUrl);
}

/** Points per group commit at most. */
const GROUP_COMMIT = 64;

interface Pending {
  runId: number;
  point: NewPoint;
  after?: (trx: Transaction<Database>, id: number) => Promise<unknown>;
  resolve: (r: { id: number; after: unknown }) => void;
  reject: (e: unknown) => void;
}

function makeStore(db: Kysely<Database>, dialect: DialectKind, location: string, listenUrl?: string): Store {
  const now = () => new Date().toISOString();
  let listener: pg.Client | null = null;
  /**
   * Group commit: points posted while a transaction is committing wait in the queue and are
   * then written together in the next one (up to GROUP_COMMIT), so one fsync acknowledges
   * them all. Each is acknowledged only after its transaction committed. If a group fails,
   * its points are retried one per transaction, so one bad point fails alone.
   */
  const queue: Pending[] = [];
  let flushing = false;
  const write = async (group: Pending[]) => {
    const results = await db.transaction().execute(async (trx) => {
      const out: { id: number; after: unknown }[] = [];
      for (const p of group) {
        const { id } = await trx
          .insertInto('krs_point')
          .values({ ...p.point, run_id: p.runId })
          .returning('id')
          .executeTakeFirstOrThrow();
        out.push({ id, after: p.after ? await p.after(trx, id) : undefined });
      }
      return out;
    });
    group.forEach((p, i) => p.resolve(results[i]!));
  };
  const flush = async () => {
    flushing = true;
    while (queue.length) {
      const group = queue.splice(0, GROUP_COMMIT);
      try {
        await write(group);
      } catch (e) {
        if (group.length === 1) group[0]!.reject(e);
        else for (const p of group) await write([p]).catch((err) => p.reject(err));
      }
    }
    flushing = false;
  };
  return {
    dialect,
    location,
    db,
    async createRun(run) {
      return db.insertInto('krs_run').values(run).returningAll().executeTakeFirstOrThrow();
    },
    listRuns: () => db.selectFrom('krs_run').selectAll().orderBy('id').execute(),
    getRun: (name) => db.selectFrom('krs_run').selectAll().where('name', '=', name).executeTakeFirst(),
    addPoint(runId, point, after) {
      return new Promise((resolve, reject) => {
        queue.push({ runId, point, after, resolve, reject } as Pending);
        if (!flushing) void flush();
      });
    },
    async points(runId, w = {}, withState = false) {
      let q = db.selectFrom('krs_point').where('run_id', '=', runId);
      if (w.fromStep !== undefined) q = q.where('step', '>=', w.fromStep);
      if (w.toStep !== undefined) q = q.where('step', '<=', w.toStep);
      if (w.from !== undefined) q = q.where('time', '>=', w.from);
      if (w.to !== undefined) q = q.where('time', '<=', w.to);
      const cols = ['id', 'run_id', 'step', 'time', 'n', 'fss', 'aoa', 'krs', 'scores', 'source', 'received'] as const;
      const rows = withState
        ? await q.selectAll().orderBy('step').orderBy('time').orderBy('id').execute()
        : await q.select(cols).orderBy('step').orderBy('time').orderBy('id').execute();
      return rows.map((r) => ({ state: '', ...r }));
    },
    async latestPoints(count) {
      const out = new Map<number, PointRow[]>();
      const runs = await db.selectFrom('krs_run').select('id').execute();
      for (const { id } of runs) {
        const rows = await db
          .selectFrom('krs_point')
          .select(['id', 'run_id', 'step', 'time', 'n', 'fss', 'aoa', 'krs', 'scores', 'source', 'received'])
          .where('run_id', '=', id)
          .orderBy('id', 'desc')
          .limit(count)
          .execute();
        out.set(
          id,
          rows.reverse().map((r) => ({ state: '', ...r })),
        );
      }
      return out;
    },
    async countPoints(runId) {
      const r = await db
        .selectFrom('krs_point')
        .select((e) => e.fn.countAll<number>().as('c'))
        .where('run_id', '=', runId)
        .executeTakeFirstOrThrow();
      return Number(r.c);
    },
    addRule: (rule) =>
      db
        .insertInto('krs_alert_rule')
        .values({ ...rule, state: 'ok', since: null, value: null, message: null, created: now() })
        .returningAll()
        .executeTakeFirstOrThrow(),
    async rules(runId) {
      let q = db.selectFrom('krs_alert_rule').selectAll();
      if (runId !== undefined) q = q.where('run_id', '=', runId);
      return q.orderBy('id').execute();
    },
    async deleteRule(runId, id) {
      const r = await db.deleteFrom('krs_alert_rule').where('run_id', '=', runId).where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    events: (runId, limit) => db.selectFrom('krs_alert_event').selectAll().where('run_id', '=', runId).orderBy('id', 'desc').limit(limit).execute(),
    async createToken(name, scope) {
      const token = `krs_${randomBytes(24).toString('base64url')}`;
      const row = await db
        .insertInto('krs_token')
        .values({ name, scope, hash: hashToken(token), created: now() })
        .returningAll()
        .executeTakeFirstOrThrow();
      return { token, row };
    },
    async tokenScope(token) {
      const r = await db.selectFrom('krs_token').select('scope').where('hash', '=', hashToken(token)).executeTakeFirst();
      return r ? (r.scope as Scope) : null;
    },
    async countTokens() {
      const r = await db
        .selectFrom('krs_token')
        .select((e) => e.fn.countAll<number>().as('c'))
        .executeTakeFirstOrThrow();
      return Number(r.c);
    },
    async notify(trx, payload) {
      if (dialect === 'postgres') await sql`select pg_notify(${EVENT_CHANNEL}, ${payload})`.execute(trx);
    },
    async listen(onPayload) {
      if (dialect !== 'postgres' || !listenUrl) return;
      const client = new pg.Client({ connectionString: listenUrl });
      client.on('error', () => {}); // a lost listener only stops cross-process events
      client.on('notification', (n) => {
        if (n.channel === EVENT_CHANNEL && n.payload) onPayload(n.payload);
      });
      await client.connect();
      await client.query(`listen ${EVENT_CHANNEL}`);
      listener = client;
    },
    async close() {
      await listener?.end().catch(() => {});
      listener = null;
      await db.destroy();
    },
  };
}

/** Drop a PostgreSQL schema (tests). */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}

export { sql };
