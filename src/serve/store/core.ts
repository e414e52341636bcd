/**
 * The store itself (the {@link Store} interface over an open database): runs, points, buckets,
 * rules, tokens and the webhook outbox. It runs where the database is opened — on the store's
 * own thread in `krs serve` (store/worker.ts), in the calling thread for one-off commands.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { httpErrors } from '../http-error.js';
import { type Axis, bucketsOf } from './buckets.js';
import { groupCommitter } from './commit.js';
import type { DialectKind } from './migrations.js';
import type { OpenDatabase } from './open.js';
import { BucketReader } from './reads.js';
import type { Database } from './schema.js';
import { toBytes } from './states.js';
import { storeFailure, transaction } from './transaction.js';
import type { RunRow, RunSummary, Store, Window } from './types.js';

/** The channel of live events between processes sharing a PostgreSQL store. */
export const EVENT_CHANNEL = 'krs_events';

/** How long an Idempotency-Key is remembered, and a settled webhook delivery kept (ms). */
const IDEMPOTENCY_TTL_MS = 24 * 3600_000;
const OUTBOX_TTL_MS = 7 * 24 * 3600_000;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

const POINT_COLUMNS = ['id', 'run_id', 'step', 'time', 'n', 'fss', 'aoa', 'krs', 'scores', 'source', 'received', 'seq'] as const;
const isUnique = (e: unknown) => /unique|duplicate/i.test((e as Error).message ?? '');

export function storeOver(o: OpenDatabase, instance: string): Store {
  const { db, dialect } = o;
  const reader = new BucketReader(db);
  const notify = async (trx: Kysely<Database>, payload: string) => {
    if (dialect === 'postgres') await sql`select pg_notify(${EVENT_CHANNEL}, ${payload})`.execute(trx);
  };
  const commit = groupCommitter({ db, dialect, notify, instance });
  let listener: pg.Client | null = null;
  const now = () => new Date().toISOString();
  const runEvent = (name: string) => notify(db, JSON.stringify({ origin: instance, type: 'run', run: name }));

  const store: Store = {
    dialect,
    location: o.location,
    instance,
    async createRun(run) {
      try {
        const row = await db.insertInto('krs_run').values(run).returningAll().executeTakeFirstOrThrow();
        await runEvent(run.name);
        return row;
      } catch (e) {
        if (isUnique(e)) throw httpErrors.conflict(`run ${JSON.stringify(run.name)} already exists`);
        throw e;
      }
    },
    async getRun(name) {
      return (await db.selectFrom('krs_run').selectAll().where('name', '=', name).executeTakeFirst()) ?? null;
    },
    listRuns(withArchived) {
      let q = db.selectFrom('krs_run').selectAll();
      if (!withArchived) q = q.where('archived', '=', 0);
      return q.orderBy('id').execute();
    },
    async updateRun(id, patch) {
      const set: Partial<RunRow> = {};
      if (patch.archived !== undefined) set.archived = patch.archived ? 1 : 0;
      if (patch.tags !== undefined) set.tags = patch.tags;
      if (patch.retain_days !== undefined) set.retain_days = patch.retain_days;
      const row = await db.updateTable('krs_run').set(set).where('id', '=', id).returningAll().executeTakeFirst();
      if (!row) throw httpErrors.notFound('run', `#${id}`);
      await runEvent(row.name);
      return row;
    },
    async deleteRun(id) {
      const row = await db.deleteFrom('krs_run').where('id', '=', id).returning('name').executeTakeFirst();
      if (row) await runEvent(row.name);
    },
    summaries: (ids, spark) => Promise.all(ids.map((id) => summary(db, reader, id, spark))),
    commitPoint: (p) => commit(p),
    async points(runId, w, page) {
      let q = windowed(db.selectFrom('krs_point').select(POINT_COLUMNS).where('run_id', '=', runId), w);
      if (page.afterId !== undefined) q = q.where('id', '>', page.afterId);
      return q.orderBy('id').limit(page.limit).execute();
    },
    async lastStates(runId, count) {
      const rows = await db
        .selectFrom('krs_point')
        .innerJoin('krs_state', 'krs_state.point_id', 'krs_point.id')
        .select('krs_state.bytes')
        .where('run_id', '=', runId)
        .orderBy('krs_point.id', 'desc')
        .limit(count)
        .execute();
      return rows.reverse().map((r) => toBytes(r.bytes));
    },
    deletePoints: (runId, which) => deletePoints(db, dialect, runId, which),
    async prune(at, defaultDays) {
      let points = 0;
      const t = Date.parse(at);
      for (const run of await db.selectFrom('krs_run').select(['id', 'retain_days']).execute()) {
        const days = run.retain_days ?? defaultDays;
        if (days === null) continue;
        points += await deletePoints(db, dialect, run.id, { before: new Date(t - days * 86_400_000).toISOString() });
      }
      await db
        .deleteFrom('krs_idempotency')
        .where('created', '<', new Date(t - IDEMPOTENCY_TTL_MS).toISOString())
        .execute();
      await db
        .deleteFrom('krs_outbox')
        .where('state', '!=', 'pending')
        .where('created', '<', new Date(t - OUTBOX_TTL_MS).toISOString())
        .execute();
      return { points };
    },
    windowStates: (runId, w) => reader.window(runId, w),
    coverStates: (runId, axis, from, to) => reader.cover(runId, axis, from, to),
    seriesRows: (runId, axis, width, w) => reader.series(runId, axis, width, w),
    bucketMaterial: (id, limit) => reader.material(id, limit),
    keepBucket: (id, k) => reader.keep(id, k),
    async cacheScores(id, version, s) {
      await db
        .updateTable('krs_bucket')
        .set({ fss: s.fss, aoa: s.aoa, krs: s.krs, ci95: JSON.stringify(s.ci95), scores_version: version })
        .where('id', '=', id)
        .where('version', '=', version)
        .execute();
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
      const r = await db.selectFrom('krs_token').select(['id', 'scope']).where('hash', '=', hashToken(token)).executeTakeFirst();
      return r ? { id: r.id, scope: r.scope as 'read' | 'write' } : null;
    },
    listTokens: () => db.selectFrom('krs_token').select(['id', 'name', 'scope', 'created']).orderBy('id').execute(),
    async revokeToken(id) {
      const r = await db.deleteFrom('krs_token').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async countTokens() {
      const r = await db
        .selectFrom('krs_token')
        .select((e) => e.fn.countAll<number>().as('c'))
        .executeTakeFirstOrThrow();
      return Number(r.c);
    },
    async claimDeliveries(at, leaseMs, limit) {
      // One delivery per rule at a time, oldest first: a rule's transitions arrive in order.
      const pending = await db.selectFrom('krs_outbox').selectAll().where('state', '=', 'pending').orderBy('id').limit(1000).execute();
      const first = new Map<number, (typeof pending)[number]>();
      for (const d of pending) if (!first.has(d.rule_id)) first.set(d.rule_id, d);
      const due = [...first.values()].filter((d) => d.next_at <= at).slice(0, limit);
      const lease = new Date(Date.parse(at) + leaseMs).toISOString();
      const claimed = [];
      for (const d of due) {
        const r = await db
          .updateTable('krs_outbox')
          .set({ next_at: lease, attempts: d.attempts + 1 })
          .where('id', '=', d.id)
          .where('next_at', '=', d.next_at)
          .where('state', '=', 'pending')
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) === 1) claimed.push({ ...d, attempts: d.attempts + 1, next_at: lease });
      }
      return claimed;
    },
    async settleDelivery(id, outcome) {
      if ('delivered' in outcome) await db.updateTable('krs_outbox').set({ state: 'delivered', last_error: null }).where('id', '=', id).execute();
      else if ('failed' in outcome) await db.updateTable('krs_outbox').set({ state: 'failed', last_error: outcome.error }).where('id', '=', id).execute();
      else await db.updateTable('krs_outbox').set({ next_at: outcome.retryAt, last_error: outcome.error }).where('id', '=', id).execute();
    },
    async durability() {
      if (dialect === 'postgres') {
        const r = await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(db);
        return { synchronous_commit: r.rows[0]!.synchronous_commit };
      }
      const out: Record<string, string | number> = {};
      for (const p of ['journal_mode', 'synchronous', 'foreign_keys']) out[p] = Object.values((await sql.raw(`pragma ${p}`).execute(db)).rows[0] as object)[0];
      return out;
    },
    async listen(onPayload) {
      if (dialect !== 'postgres' || !o.listenUrl) return;
      const client = new pg.Client({ connectionString: o.listenUrl });
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
  return mapFailures(store, o.location);
}

/** The store with every method's database failures reported as STORE_UNAVAILABLE (transaction.ts). */
function mapFailures(store: Store, location: string): Store {
  const out = { ...store } as Record<string, unknown>;
  for (const [k, v] of Object.entries(store)) {
    if (typeof v !== 'function') continue;
    out[k] = async (...args: unknown[]) => {
      try {
        return await (v as (...a: unknown[]) => Promise<unknown>).apply(store, args);
      } catch (e) {
        throw storeFailure(e, location);
      }
    };
  }
  return out as unknown as Store;
}

// biome-ignore lint/suspicious/noExplicitAny: the window filters apply to any query over krs_point.
function windowed<Q extends { where: (...a: any[]) => Q }>(q: Q, w: Window): Q {
  if (w.fromStep !== undefined) q = q.where('step', '>=', w.fromStep);
  if (w.toStep !== undefined) q = q.where('step', '<=', w.toStep);
  if (w.from !== undefined) q = q.where('time', '>=', w.from);
  if (w.to !== undefined) q = q.where('time', '<=', w.to);
  return q;
}

async function summary(db: Kysely<Database>, reader: BucketReader, runId: number, spark: number): Promise<RunSummary> {
  const [run, last, firing, steps, times] = await Promise.all([
    db.selectFrom('krs_run').select('point_count').where('id', '=', runId).executeTakeFirst(),
    db.selectFrom('krs_point').select(POINT_COLUMNS).where('run_id', '=', runId).orderBy('id', 'desc').limit(spark).execute(),
    db.selectFrom('krs_alert_rule').select('id').where('run_id', '=', runId).where('state', '=', 'firing').executeTakeFirst(),
    reader.extent(runId, 'step'),
    reader.extent(runId, 'time'),
  ]);
  return {
    runId,
    points: run?.point_count ?? 0,
    latest: last[0] ?? null,
    spark: last.reverse().map((p) => p.krs ?? p.aoa),
    firing: firing !== undefined,
    steps: steps ? [steps[0], steps[1] - 1] : null,
    times: times ? [new Date(times[0]).toISOString(), new Date(times[1] - 1).toISOString()] : null,
  };
}

/**
 * Delete points (one by id, a window, or everything before a time) in one transaction: every
 * bucket they were in loses them (and is merged again when next read; an emptied bucket goes),
 * the run's count drops. The running sample count does not: later posts continue it.
 */
async function deletePoints(db: Kysely<Database>, dialect: string, runId: number, which: { id?: number; window?: Window; before?: string }): Promise<number> {
  return transaction(db, dialect as DialectKind, async (trx) => {
    let lock = trx.selectFrom('krs_run').select('id').where('id', '=', runId);
    if (dialect === 'postgres') lock = lock.forUpdate();
    if (!(await lock.executeTakeFirst())) return 0;
    let q = trx.selectFrom('krs_point').select(['id', 'step', 'time', 'n']).where('run_id', '=', runId);
    if (which.id !== undefined) q = q.where('id', '=', which.id);
    if (which.window) q = windowed(q, which.window);
    if (which.before !== undefined) q = q.where('time', '<', which.before);
    const rows = await q.execute();
    if (rows.length === 0) return 0;
    const loss = new Map<string, { axis: Axis; width: number; start: number; points: number; n: number }>();
    for (const r of rows) {
      for (const k of [...(r.step === null ? [] : bucketsOf('step', r.step)), ...bucketsOf('time', Date.parse(r.time))]) {
        const key = `${k.axis}:${k.width}:${k.start}`;
        const l = loss.get(key) ?? { ...k, points: 0, n: 0 };
        l.points++;
        l.n += r.n;
        loss.set(key, l);
      }
    }
    for (let i = 0; i < rows.length; i += 500) {
      await trx
        .deleteFrom('krs_point')
        .where(
          'id',
          'in',
          rows.slice(i, i + 500).map((r) => r.id),
        )
        .execute();
    }
    for (const l of [...loss.values()].sort((a, b) => (a.axis + a.width + a.start < b.axis + b.width + b.start ? -1 : 1))) {
      const where = trx
        .updateTable('krs_bucket')
        .where('run_id', '=', runId)
        .where('axis', '=', l.axis)
        .where('width', '=', l.width)
        .where('start', '=', l.start);
      // What was merged included the deleted points: start again (a new epoch drops merges in flight).
      await where
        .set({ points: sql`points - ${l.points}`, n: sql`n - ${l.n}`, version: sql`version + 1`, epoch: sql`epoch + 1`, built_seq: 0, state: null })
        .execute();
    }
    await trx.deleteFrom('krs_bucket').where('run_id', '=', runId).where('points', '<=', 0).execute();
    await trx
      .updateTable('krs_run')
      .set({ point_count: sql`point_count - ${rows.length}` })
      .where('id', '=', runId)
      .execute();
    return rows.length;
  });
}
