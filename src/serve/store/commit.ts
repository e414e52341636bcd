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
import { errors, KrsError } from '../../core/errors.js';
import { stateFileParts, withStateFileDocument } from '../../io/state-file.js';
import { HttpError, httpErrors } from '../http-error.js';
import { checkSignature, rotateGroups, type SampleCounts, type ShapeSignature, seenOf } from '../state-codec.js';
import { pointView, ruleView } from '../views.js';
import { type BucketKey, bucketsOf } from './buckets.js';
import type { DialectKind } from './migrations.js';
import type { Database } from './schema.js';
import { type Tx, transaction } from './transaction.js';
import type { AlertTransition, CommitReply, PointCommit, RunRow } from './types.js';

/** Posts per group commit at most. */
const GROUP_COMMIT = 64;

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

/** A post that passed the checks, ready to write. */
interface Checked {
  post: PointCommit;
  run: RunInGroup;
  seq: number;
  bytes: Uint8Array;
  received: string;
}

/** What became of one post of a group: its answer, its refusal, its place in the writes, or "the same request as post i". */
type Outcome = { ok: CommitReply } | { error: unknown } | { checked: Checked } | { sameAs: number };

/** Keys of the group's posts already used: an earlier request's hash and reply, or the index of the group's post that uses it. */
type UsedKeys = Map<string, { hash: string; reply: string } | { index: number; hash: string }>;

async function writeGroup(ctx: CommitContext, group: Pending[]): Promise<void> {
  const outcomes = await transaction(ctx.db, ctx.dialect, async (trx) => {
    const runs = await lockRuns(ctx, trx, group);
    const used = await usedKeys(trx, group);
    const out: Outcome[] = group.map(({ post }, i) => {
      try {
        return checkPost(runs, used, post, i);
      } catch (e) {
        if (!isRefusal(e)) throw e;
        return { error: e };
      }
    });
    await writePosts(ctx, trx, out);
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
  outcomes.forEach((o, i) => {
    if ('ok' in o) return group[i]!.resolve(o.ok);
    if ('error' in o) return group[i]!.reject(o.error);
    const first = 'sameAs' in o ? outcomes[o.sameAs] : undefined;
    if (first && 'ok' in first) return group[i]!.resolve({ reply: first.ok.reply, replayed: true, transitions: [] });
    group[i]!.reject(first && 'error' in first ? first.error : errors.internal('a post of the group was not settled'));
  });
}

/** The group's Idempotency-Keys already used in their runs (one query). */
async function usedKeys(trx: Tx, group: Pending[]): Promise<UsedKeys> {
  const used: UsedKeys = new Map();
  const keyed = group.filter((p) => p.post.idempotency);
  if (keyed.length === 0) return used;
  const rows = await trx
    .selectFrom('krs_idempotency')
    .select(['run_id', 'key', 'hash', 'reply'])
    .where((e) => e.or(keyed.map((p) => e.and([e('run_id', '=', p.post.runId), e('key', '=', p.post.idempotency!.key)]))))
    .execute();
  for (const r of rows) used.set(`${r.run_id}:${r.key}`, { hash: r.hash, reply: r.reply });
  return used;
}

/**
 * Check one post against its run as the group has moved it so far: the run exists and is not
 * archived; its Idempotency-Key is new, or answers again for the same request (another request
 * under it is refused); its shapes agree. Then relabel its groups, give it the run's next
 * sequence number and count it in the run.
 */
function checkPost(runs: Map<number, RunInGroup>, used: UsedKeys, post: PointCommit, index: number): Outcome {
  const run = runs.get(post.runId);
  if (!run) throw httpErrors.notFound('run', `#${post.runId}`);
  if (run.row.archived) throw httpErrors.conflict(`run ${JSON.stringify(run.row.name)} is archived: it takes no new points`);
  if (post.idempotency) {
    const key = `${post.runId}:${post.idempotency.key}`;
    const earlier = used.get(key);
    if (earlier && earlier.hash !== post.idempotency.hash)
      throw httpErrors.conflict(`Idempotency-Key ${JSON.stringify(post.idempotency.key)} was used for another request to this run`);
    if (earlier && 'reply' in earlier) return { ok: { reply: JSON.parse(earlier.reply), replayed: true, transitions: [] } };
    if (earlier) return { sameAs: earlier.index };
    used.set(key, { index, hash: post.idempotency.hash });
  }
  const shapes = checkSignature(run.shapes, post.signature);
  const parts = stateFileParts(post.state, 'the posted state');
  const doc = parts.document;
  const rotated = rotateGroups(doc, run.seen);
  const bytes = rotated === doc ? post.state : withStateFileDocument(post.state, parts, rotated);
  const s = seenOf(doc);
  run.seen = { features: run.seen.features + s.features, outputs: run.seen.outputs + s.outputs };
  run.shapes = shapes;
  run.seq++;
  run.added++;
  return { checked: { post, run, seq: run.seq, bytes, received: new Date().toISOString() } };
}

/** Write a group's checked posts: points and states (one statement each), alert transitions, replies, keys, bucket counts, one notice. */
async function writePosts(ctx: CommitContext, trx: Tx, out: Outcome[]): Promise<void> {
  const checked = out.flatMap((o, i) => ('checked' in o ? [{ i, c: o.checked }] : []));
  if (checked.length === 0) return;
  const row = (c: Checked) => ({
    run_id: c.run.row.id,
    step: c.post.step,
    time: c.post.time,
    n: c.post.n,
    fss: c.post.fss,
    aoa: c.post.aoa,
    krs: c.post.krs,
    scores: JSON.stringify(c.post.scores),
    state: '',
    source: c.post.source,
    received: c.received,
    seq: c.seq,
  });
  const inserted = await trx
    .insertInto('krs_point')
    .values(checked.map(({ c }) => row(c)))
    .returning(['id', 'run_id', 'seq'])
    .execute();
  // Matched by (run, sequence number): the order of RETURNING is not promised.
  const ids = new Map(inserted.map((r) => [`${r.run_id}:${r.seq}`, r.id]));
  const idOf = (c: Checked) => ids.get(`${c.run.row.id}:${c.seq}`)!;
  await trx
    .insertInto('krs_state')
    .values(checked.map(({ c }) => ({ point_id: idOf(c), bytes: c.bytes })))
    .execute();
  const counts = new Map<string, BucketCount>();
  const keys: { run_id: number; key: string; hash: string; reply: string; created: string }[] = [];
  for (const { i, c } of checked) {
    const { alerts, transitions } = await applyVerdicts(ctx, trx, c.run.row, c.post);
    const reply = { point: pointView({ ...row(c), id: idOf(c) }), alerts };
    if (c.post.idempotency)
      keys.push({ run_id: c.run.row.id, key: c.post.idempotency.key, hash: c.post.idempotency.hash, reply: JSON.stringify(reply), created: c.received });
    count(counts, c.run.row.id, c.post);
    out[i] = { ok: { reply, replayed: false, transitions } };
  }
  if (keys.length) await trx.insertInto('krs_idempotency').values(keys).execute();
  await countPoints(trx, [...counts.values()]);
  // PostgreSQL takes notices of at most 8000 bytes: one per few points.
  const points = checked.map(({ c }) => ({ run: c.run.row.name, id: idOf(c) }));
  for (let k = 0; k < points.length; k += NOTICE_POINTS)
    await ctx.notify(trx, JSON.stringify({ origin: ctx.instance, type: 'points', points: points.slice(k, k + NOTICE_POINTS) }));
}

/** Points per notice: run names are at most 100 characters, so a notice stays under 8000 bytes. */
const NOTICE_POINTS = 40;

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
