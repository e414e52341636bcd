/**
 * Group commit of posts (docs/service.md §"Durability"): posts that arrive while a
 * transaction commits wait, and are then written together in the next one (up to
 * {@link GROUP_COMMIT}), so one fsync acknowledges them all; each is answered only after its
 * transaction committed. If a group's transaction fails, each post is retried alone, so one
 * bad post fails alone.
 *
 * In the transaction, per post: the run (locked on PostgreSQL) must exist and not be archived;
 * an Idempotency-Key already used answers the first reply again (another request under the
 * same key is refused); the post's shapes must agree with the run's (the first post fixes
 * them); its groups are relabelled to continue the run's running sample count
 * (state-codec.ts); then the point, its state, its alert transitions (with their webhook
 * deliveries, in the outbox) and its reply are written. Last, every bucket the posts fall in
 * is updated once: the lowest level merged with the new states, the others marked changed.
 */
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { KrsError } from '../../core/errors.js';
import { encodeStateFile } from '../../io/state-file.js';
import { HttpError, httpErrors } from '../http-error.js';
import type { RunSettings } from '../metric.js';
import { checkSignature, rotateGroups, type SampleCounts, seenOf, type ShapeSignature, stateBytes, stateDocument } from '../state-codec.js';
import { pointView, ruleView } from '../views.js';
import { type BucketKey, bucketsOf, LEVELS } from './buckets.js';
import type { DialectKind } from './migrations.js';
import { merged, pointState } from './states.js';
import type { Database } from './schema.js';
import { transaction, type Tx } from './transaction.js';
import type { AlertTransition, CommitReply, PointCommit, RunRow } from './types.js';

/** Posts per group commit at most. */
export const GROUP_COMMIT = 64;

type Trx = Tx;

interface Pending {
  post: PointCommit;
  resolve: (r: CommitReply) => void;
  reject: (e: unknown) => void;
}

/** A run as a group commit sees it: its row, and its counters as the group's posts move them. */
interface RunInGroup {
  row: RunRow;
  settings: RunSettings;
  shapes: ShapeSignature;
  seen: SampleCounts;
  added: number;
}

/** New states of one bucket in this group. */
interface BucketWork {
  runId: number;
  key: BucketKey;
  points: number;
  n: number;
  /** Base level only: the new states (relabelled) and the point ids. */
  states: unknown[];
  pointIds: number[];
  scores: PointCommit['scores'] | null;
}

export interface CommitContext {
  db: Kysely<Database>;
  dialect: DialectKind;
  /** Publish a payload to other processes when `trx` commits (PostgreSQL NOTIFY). */
  notify(trx: Trx, payload: string): Promise<void>;
  instance: string;
}

/** The committer: `commit(post)` resolves once the post's transaction has committed. */
export function groupCommitter(ctx: CommitContext): (post: PointCommit) => Promise<CommitReply> {
  const queue: Pending[] = [];
  let flushing = false;
  const flush = async () => {
    flushing = true;
    while (queue.length) {
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
    const work = new Map<string, BucketWork>();
    const out: ({ ok: CommitReply } | { error: unknown })[] = [];
    for (const { post } of group) {
      try {
        out.push({ ok: await writePost(ctx, trx, runs, work, post) });
      } catch (e) {
        if (!isRefusal(e)) throw e;
        out.push({ error: e });
      }
    }
    for (const w of [...work.values()].sort(byBucket)) await applyBucket(ctx, trx, runs.get(w.runId)!, w);
    for (const r of runs.values()) {
      if (r.added === 0) continue;
      await trx
        .updateTable('krs_run')
        .set({
          seen_features: r.seen.features,
          seen_outputs: r.seen.outputs,
          shapes: JSON.stringify(r.shapes),
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
async function lockRuns(ctx: CommitContext, trx: Trx, group: Pending[]): Promise<Map<number, RunInGroup>> {
  const ids = [...new Set(group.map((p) => p.post.runId))].sort((a, b) => a - b);
  const runs = new Map<number, RunInGroup>();
  for (const id of ids) {
    let q = trx.selectFrom('krs_run').selectAll().where('id', '=', id);
    if (ctx.dialect === 'postgres') q = q.forUpdate();
    const row = await q.executeTakeFirst();
    if (!row) continue;
    runs.set(id, {
      row,
      settings: JSON.parse(row.settings) as RunSettings,
      shapes: JSON.parse(row.shapes || '{}') as ShapeSignature,
      seen: { features: Number(row.seen_features), outputs: Number(row.seen_outputs) },
      added: 0,
    });
  }
  return runs;
}

async function writePost(ctx: CommitContext, trx: Trx, runs: Map<number, RunInGroup>, work: Map<string, BucketWork>, post: PointCommit): Promise<CommitReply> {
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
  const doc = stateDocument(post.state, 'the posted state');
  const rotated = rotateGroups(doc, run.seen);
  const bytes = rotated === doc ? post.state : encodeStateFile(rotated);
  const received = new Date().toISOString();
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
    }),
    alerts,
  };
  if (post.idempotency)
    await trx
      .insertInto('krs_idempotency')
      .values({ run_id: run.row.id, key: post.idempotency.key, hash: post.idempotency.hash, reply: JSON.stringify(reply), created: received })
      .execute();
  const seen = seenOf(doc);
  run.seen = { features: run.seen.features + seen.features, outputs: run.seen.outputs + seen.outputs };
  run.shapes = shapes;
  run.added++;
  addWork(work, run.row.id, post, id, rotated);
  await ctx.notify(trx, JSON.stringify({ origin: ctx.instance, type: 'point', run: run.row.name, id }));
  return { reply, replayed: false, transitions };
}

/**
 * Write the rules' new states, as committed now (another post may have moved them since the
 * verdicts were made): an event for each transition, and a webhook delivery in the outbox.
 */
async function applyVerdicts(ctx: CommitContext, trx: Trx, run: RunRow, post: PointCommit) {
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
    const t: AlertTransition = { rule: view, state: next, time: post.time, value: v.value, message: v.message };
    transitions.push(t);
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
const byBucket = (a: BucketWork, b: BucketWork) => (bucketId(a.runId, a.key) < bucketId(b.runId, b.key) ? -1 : 1);

function addWork(work: Map<string, BucketWork>, runId: number, post: PointCommit, pointId: number, doc: unknown): void {
  const keys = [...(post.step === null ? [] : bucketsOf('step', post.step)), ...bucketsOf('time', Date.parse(post.time))];
  for (const key of keys) {
    const id = bucketId(runId, key);
    let w = work.get(id);
    if (!w) {
      w = { runId, key, points: 0, n: 0, states: [], pointIds: [], scores: null };
      work.set(id, w);
    }
    w.points++;
    w.n += post.n;
    if (key.width === LEVELS[key.axis][0]) {
      w.states.push(doc);
      w.pointIds.push(pointId);
      w.scores = post.scores;
    }
  }
}

/**
 * Add a group's points to one bucket. The lowest level is kept merged: a new bucket of one
 * point refers to that point's state (no copy); a current bucket is merged with the new
 * states. A bucket out of date, and the higher levels, only count the change (merged when read).
 */
async function applyBucket(ctx: CommitContext, trx: Trx, run: RunInGroup, w: BucketWork): Promise<void> {
  const base = w.key.width === LEVELS[w.key.axis][0];
  let q = trx
    .selectFrom('krs_bucket')
    .selectAll()
    .where('run_id', '=', w.runId)
    .where('axis', '=', w.key.axis)
    .where('width', '=', w.key.width)
    .where('start', '=', w.key.start);
  if (ctx.dialect === 'postgres') q = q.forUpdate();
  const row = await q.executeTakeFirst();
  if (!row) {
    const one = base && w.points === 1;
    const state = base && !one ? stateBytes(merged(run.settings, w.states)) : null;
    const s = one ? w.scores : null;
    await trx
      .insertInto('krs_bucket')
      .values({
        run_id: w.runId,
        ...w.key,
        points: w.points,
        n: w.n,
        version: 1,
        built: base ? 1 : 0,
        point_id: one ? w.pointIds[0]! : null,
        state,
        fss: s?.fss ?? null,
        aoa: s?.aoa ?? null,
        krs: s?.krs ?? null,
        ci95: s ? JSON.stringify(s.ci95) : null,
        scores_version: s ? 1 : 0,
      })
      .execute();
    return;
  }
  const version = row.version + 1;
  const current = row.built === row.version;
  if (base && current) {
    const old = row.state ?? (await pointState(trx, row.point_id!));
    const state = stateBytes(merged(run.settings, [stateDocument(old, 'a stored state'), ...w.states]));
    await trx
      .updateTable('krs_bucket')
      .set({ points: row.points + w.points, n: Number(row.n) + w.n, version, built: version, point_id: null, state })
      .where('id', '=', row.id)
      .execute();
    return;
  }
  await trx
    .updateTable('krs_bucket')
    .set({ points: row.points + w.points, n: Number(row.n) + w.n, version })
    .where('id', '=', row.id)
    .execute();
}
