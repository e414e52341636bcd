/**
 * Group commit of posts (docs/service.md §"Durability"): posts that arrive while a
 * transaction commits wait, and are then written together in the next one (up to
 * {@link GROUP_COMMIT}), so one fsync acknowledges them all; each is answered only after its
 * transaction committed. A post refused in the transaction is answered alone while the others
 * commit; if a whole transaction fails, each post is retried alone.
 *
 * In the transaction, per post: the run (locked on PostgreSQL, so the processes sharing a store
 * take turns per run) must exist and not be archived; an Idempotency-Key already used answers
 * the first reply again (another request under the same key is refused); the post's shapes
 * must agree with the run's (the first post fixes them); its groups are relabelled to continue
 * the run's sample count (state-codec.ts: the file's document only, no array is touched); it
 * gets the run's next sequence number; then the point, its state, its alert transitions (with
 * their webhook deliveries, in the outbox) and its reply are written. Last, every bucket the
 * group's posts fall in counts them (one statement): buckets are merged when read, on the
 * compute threads, never here.
 */
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { KrsError } from '../../core/errors.js';
import { stateFileDocument, withStateFileDocument } from '../../io/state-file.js';
import { HttpError, httpErrors } from '../http-error.js';
import { checkSignature, rotateGroups, type SampleCounts, seenOf, type ShapeSignature } from '../state-codec.js';
import { pointView, ruleView } from '../views.js';
import { type BucketKey, bucketsOf } from './buckets.js';
import type { DialectKind } from './migrations.js';
import type { Database } from './schema.js';
import { transaction, type Tx } from './transaction.js';
import type { AlertTransition, CommitReply, PointCommit, RunRow } from './types.js';

/** Posts per group commit at most. */
export const GROUP_COMMIT = 64;

interface Pending {
  post: PointCommit;
  resolve: (r: CommitReply) => void;
  reject: (e: unknown) => void;
}

/** A run as a group commit sees it: its row, and its counters as the group's posts move them. */
interface RunInGroup {
  row: RunRow;
  shapes: ShapeSignature;
  seen: SampleCounts;
  seq: number;
  added: number;
}

/** What one bucket gains in a group. */
interface BucketCount {
  runId: number;
  key: BucketKey;
  points: number;
  n: number;
}

export interface CommitContext {
  db: Kysely<Database>;
  dialect: DialectKind;
  /** Publish a payload to other processes when the transaction commits (PostgreSQL NOTIFY). */
  notify(trx: Tx, payload: string): Promise<void>;
  instance: string;
}

/** The committer: `commit(post)` resolves once the post's transaction has committed. */
export function groupCommitter(ctx: CommitContext): (post: PointCommit) => Promise<CommitReply> {
  const queue: Pending[] = [];
  let flushing = false;
  const flush = async () => {
    flushing = true;
    for (;;) {
      // Let the posts that arrived while the last transaction committed in first (on the
      // store's thread a commit blocks, so they are still waiting as messages).
      await new Promise((r) => setImmediate(r));
      if (queue.length === 0) break;
      const group = queue.splice(0, GROUP_COMMIT);
      try {
        await writeGroup(ctx, group);
      } catch (e) {
        if (group.length === 1) group[0]!.reject(e);
        else for (const p of group) await writeGroup(ctx, [p]).catch((err) => p.reject(err));
      }
    }
    flushing = false;
  };
  return (post) =>
    new Promise((resolve, reject) => {
      queue.push({ post, resolve, reject });
      if (!flushing) void flush();
    });
}

/** A refusal of one post (the others of its group go on). */
function isRefusal(e: unknown): boolean {
  return e instanceof HttpError || (e instanceof KrsError && (e.kind === 'data' || e.kind === 'usage'));
}

async function writeGroup(ctx: CommitContext, group: Pending[]): Promise<void> {
  const outcomes = await transaction(ctx.db, ctx.dialect, async (trx) => {
    const runs = await lockRuns(ctx, trx, group);
    const counts = new Map<string, BucketCount>();
    const out: ({ ok: CommitReply } | { error: unknown })[] = [];
    for (const { post } of group) {
      try {
        out.push({ ok: await writePost(ctx, trx, runs, counts, post) });
      } catch (e) {
        if (!isRefusal(e)) throw e;
        out.push({ error: e });
      }
    }
    await countPoints(trx, [...counts.values()]);
    for (const r of runs.values()) {
      if (r.added === 0) continue;
      await trx
        .updateTable('krs_run')
        .set({
          seen_features: r.seen.features,
          seen_outputs: r.seen.outputs,
          shapes: JSON.stringify(r.shapes),
          point_seq: r.seq,
          point_count: sql`point_count + ${r.added}`,
        })
        .where('id', '=', r.row.id)
        .execute();
    }
    return out;
  });
  outcomes.forEach((o, i) => ('ok' in o ? group[i]!.resolve(o.ok) : group[i]!.reject(o.error)));
}

/** The group's runs, locked in id order (PostgreSQL: FOR UPDATE, so processes sharing the store take turns per run). */
async function lockRuns(ctx: CommitContext, trx: Tx, group: Pending[]): Promise<Map<number, RunInGroup>> {
  const ids = [...new Set(group.map((p) => p.post.runId))].sort((a, b) => a - b);
  const runs = new Map<number, RunInGroup>();
  for (const id of ids) {
    let q = trx.selectFrom('krs_run').selectAll().where('id', '=', id);
    if (ctx.dialect === 'postgres') q = q.forUpdate();
    const row = await q.executeTakeFirst();
    if (!row) continue;
    runs.set(id, {
      row,
      shapes: JSON.parse(row.shapes || '{}') as ShapeSignature,
      seen: { features: Number(row.seen_features), outputs: Number(row.seen_outputs) },
      seq: Number(row.point_seq),
      added: 0,
    });
  }
  return runs;
}

async function writePost(
  ctx: CommitContext,
  trx: Tx,
  runs: Map<number, RunInGroup>,
  counts: Map<string, BucketCount>,
  post: PointCommit,
): Promise<CommitReply> {
  const run = runs.get(post.runId);
  if (!run) throw httpErrors.notFound('run', `#${post.runId}`);
  if (run.row.archived) throw httpErrors.conflict(`run ${JSON.stringify(run.row.name)} is archived: it takes no new points`);
  if (post.idempotency) {
    const seen = await trx
      .selectFrom('krs_idempotency')
      .select(['hash', 'reply'])
      .where('run_id', '=', run.row.id)
      .where('key', '=', post.idempotency.key)
      .executeTakeFirst();
    if (seen) {
      if (seen.hash !== post.idempotency.hash)
        throw httpErrors.conflict(`Idempotency-Key ${JSON.stringify(post.idempotency.key)} was used for another request to this run`);
      return { reply: JSON.parse(seen.reply), replayed: true, transitions: [] };
    }
  }
  const shapes = checkSignature(run.shapes, post.signature);
  const doc = stateFileDocument(post.state, 'the posted state');
  const rotated = rotateGroups(doc, run.seen);
  const bytes = rotated === doc ? post.state : withStateFileDocument(post.state, rotated, 'the posted state');
  const received = new Date().toISOString();
  const seq = run.seq + 1;
  const { id } = await trx
    .insertInto('krs_point')
    .values({
      run_id: run.row.id,
      step: post.step,
      time: post.time,
      n: post.n,
      fss: post.fss,
      aoa: post.aoa,
      krs: post.krs,
      scores: JSON.stringify(post.scores),
      state: '',
      source: post.source,
      received,
      seq,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await trx.insertInto('krs_state').values({ point_id: id, bytes }).execute();
  const { alerts, transitions } = await applyVerdicts(ctx, trx, run.row, post);
  const reply = {
    point: pointView({
      id,
      run_id: run.row.id,
      step: post.step,
      time: post.time,
      n: post.n,
      fss: post.fss,
      aoa: post.aoa,
      krs: post.krs,
      scores: JSON.stringify(post.scores),
      source: post.source,
      received,
      seq,
    }),
    alerts,
  };
  if (post.idempotency)
    await trx
      .insertInto('krs_idempotency')
      .values({ run_id: run.row.id, key: post.idempotency.key, hash: post.idempotency.hash, reply: JSON.stringify(reply), created: received })
      .execute();
  const s = seenOf(doc);
  run.seen = { features: run.seen.features + s.features, outputs: run.seen.outputs + s.outputs };
  run.shapes = shapes;
  run.seq = seq;
  run.added++;
  count(counts, run.row.id, post);
  await ctx.notify(trx, JSON.stringify({ origin: ctx.instance, type: 'point', run: run.row.name, id }));
  return { reply, replayed: false, transitions };
}

/**
 * Write the rules' new states, as committed now (another post may have moved them since the
 * verdicts were made): an event for each transition, and a webhook delivery in the outbox.
 */
async function applyVerdicts(ctx: CommitContext, trx: Tx, run: RunRow, post: PointCommit) {
  const alerts: CommitReply['reply']['alerts'] = [];
  const transitions: AlertTransition[] = [];
  for (const v of post.verdicts) {
    let q = trx.selectFrom('krs_alert_rule').selectAll().where('id', '=', v.ruleId).where('run_id', '=', run.id);
    if (ctx.dialect === 'postgres') q = q.forUpdate();
    const rule = await q.executeTakeFirst();
    if (!rule) continue; // removed meanwhile
    const next = v.firing ? 'firing' : 'ok';
    const changed = next !== rule.state;
    const since = changed ? post.time : rule.since;
    await trx.updateTable('krs_alert_rule').set({ state: next, since, value: v.value, message: v.message }).where('id', '=', rule.id).execute();
    const view = ruleView({ ...rule, state: next, since, value: v.value, message: v.message }, true);
    alerts.push(view);
    if (!changed) continue;
    await trx
      .insertInto('krs_alert_event')
      .values({ rule_id: rule.id, run_id: run.id, time: post.time, state: next, value: v.value, message: v.message })
      .execute();
    transitions.push({ rule: view, state: next, time: post.time, value: v.value, message: v.message });
    if (rule.webhook) {
      const { webhook: _w, ...shown } = view;
      const payload = { type: 'krs.alert', run: run.name, rule: shown, state: next, time: post.time, value: v.value, message: v.message };
      const now = new Date().toISOString();
      await trx
        .insertInto('krs_outbox')
        .values({
          run_id: run.id,
          rule_id: rule.id,
          url: rule.webhook,
          payload: JSON.stringify(payload),
          attempts: 0,
          next_at: now,
          state: 'pending',
          last_error: null,
          created: now,
        })
        .execute();
    }
  }
  return { alerts, transitions };
}

const bucketId = (runId: number, k: BucketKey) => `${runId}:${k.axis}:${k.width}:${k.start}`;

/** Count a post in every bucket it falls in: one per level of the step axis (when it has a step) and of the time axis. */
function count(counts: Map<string, BucketCount>, runId: number, post: PointCommit): void {
  const keys = [...(post.step === null ? [] : bucketsOf('step', post.step)), ...bucketsOf('time', Date.parse(post.time))];
  for (const key of keys) {
    const id = bucketId(runId, key);
    const c = counts.get(id) ?? { runId, key, points: 0, n: 0 };
    c.points++;
    c.n += post.n;
    counts.set(id, c);
  }
}

/** Add a group's counts to their buckets, creating the missing ones (one upsert, in a fixed order so concurrent groups lock alike). */
async function countPoints(trx: Tx, counts: BucketCount[]): Promise<void> {
  if (counts.length === 0) return;
  counts.sort((a, b) => (bucketId(a.runId, a.key) < bucketId(b.runId, b.key) ? -1 : 1));
  await trx
    .insertInto('krs_bucket')
    .values(counts.map((c) => ({ run_id: c.runId, ...c.key, points: c.points, n: c.n, version: 1 })))
    .onConflict((oc) =>
      oc.columns(['run_id', 'axis', 'width', 'start']).doUpdateSet({
        points: sql`krs_bucket.points + excluded.points`,
        n: sql`krs_bucket.n + excluded.n`,
        version: sql`krs_bucket.version + 1`,
      }),
    )
    .execute();
}
