/**
 * The service behind the HTTP API, independent of HTTP (docs/service.md): runs, posts, reads,
 * alert rules, retention and live events. It only routes: posts are read and scored on the
 * compute pool (compute/pool.ts), committed by the store's thread (store/worker.ts), and reads
 * merge stored states there too — the event loop never parses, scores, merges or waits on a
 * disk. It emits `point`, `alert` and `run` events for the live dashboard.
 */
import { EventEmitter } from 'node:events';
import { errors } from '../core/errors.js';
import type { KrsBatch } from '../krs/metric.js';
import { nestSimilarityOptions, SIMILARITY_OPTIONS } from '../similarity/registry.js';
import { isTask } from '../tasks/registry.js';
import { checkRule, evaluateRule } from './alerts.js';
import type { ComputePool } from './compute/pool.js';
import type { Ingested, PostBody } from './compute/tasks.js';
import { httpErrors } from './http-error.js';
import { emptyState, type RunSettings } from './metric.js';
import { confinedModel } from './models.js';
import { type Outbox, startOutbox, type WebhookOptions } from './outbox.js';
import { RunReader } from './reading.js';
import type { AlertRuleRow, CommitReply, RuleVerdict, RunRow, Scope, Store, Window } from './store/types.js';
import type { TeacherRunner } from './teacher.js';
import { type PointView, pointView, type RuleView, type RunView, ruleView, runView } from './views.js';

export interface ServiceOptions {
  store: Store;
  compute: ComputePool;
  /** Folder of teacher ONNX models runs may name; absent: no teacher on the server. */
  models?: string;
  webhook?: WebhookOptions;
  /** Days points are kept unless their run says otherwise (null: for ever). */
  retainDays?: number | null;
  /** Starts the teacher of a run (teacher.ts); injected so the service stays free of ONNX Runtime until needed. */
  teacherRunner?: (file: string, settings: RunSettings) => Promise<TeacherRunner>;
  /** How long a verified token is trusted before the store is asked again, ms (default {@link TOKEN_CACHE_MS}). */
  tokenCacheMs?: number;
}

/** A run as the service keeps it between requests. */
export interface CachedRun {
  row: RunRow;
  settings: RunSettings;
  at: number;
}

/** Most jackknife groups a run may ask for (each point stores one state per group). */
const MAX_GROUPS = 200;
const RUN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const TAG_KEY = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/;
const SETTING_KEYS = [
  'pairs',
  'alpha',
  'beta',
  'similarity',
  'pool',
  'output',
  'intervals',
  'estimator',
  'channelsLast',
  'exactRoute',
  'similarityOptions',
  'memoryBudget',
  // The similarities' options given flat, as runs made before similarityOptions have them.
  ...SIMILARITY_OPTIONS.map((o) => o.key),
];
/** How long a token's scope and a run's row are trusted without asking the store again (ms). */
const TOKEN_CACHE_MS = 10_000;
const RUN_CACHE_MS = 60_000;
const RULE_CACHE_MS = 1000;
const RETENTION_EVERY_MS = 3600_000;

export class RunService extends EventEmitter {
  readonly store: Store;
  readonly compute: ComputePool;
  readonly reader: RunReader;
  readonly outbox: Outbox;
  private readonly options: ServiceOptions;
  private readonly teachers = new Map<number, Promise<TeacherRunner>>();
  private readonly runs = new Map<string, CachedRun>();
  private readonly tokens = new Map<string, { id: number; scope: Scope; at: number }>();
  private readonly ruleCache = new Map<number, { rules: AlertRuleRow[]; at: number }>();
  private retention: NodeJS.Timeout | null = null;

  constructor(options: ServiceOptions) {
    super();
    this.setMaxListeners(0);
    this.store = options.store;
    this.compute = options.compute;
    this.options = options;
    this.reader = new RunReader(this.store, this.compute, (name) => this.run(name));
    this.outbox = startOutbox(this.store, options.webhook);
  }

  /** Start retention (hourly) and, on PostgreSQL, live events from other processes sharing the store. */
  async start(): Promise<void> {
    await this.store.listen((payload) => this.onNotify(payload));
    void this.prune();
    this.retention = setInterval(() => void this.prune(), RETENTION_EVERY_MS);
    this.retention.unref();
  }

  private onNotify(payload: string): void {
    let e: { origin?: string; type?: string; run?: string; points?: { run: string; id: number }[] };
    try {
      e = JSON.parse(payload);
    } catch {
      return;
    }
    if (e.origin === this.store.instance) return;
    if (e.type === 'run' && typeof e.run === 'string') {
      this.runs.delete(e.run);
      void this.store
        .getRun(e.run)
        .then((run) => run && this.emit('run', runView(run)))
        .catch(() => {});
    }
    if (e.type === 'points' && Array.isArray(e.points)) for (const p of e.points) void this.emitStored(p.run, p.id).catch(() => {});
  }

  /** Emit a point another process committed (read back from the store). */
  private async emitStored(name: string, id: number): Promise<void> {
    const run = await this.store.getRun(name);
    if (!run) return;
    const [row] = await this.store.points(run.id, {}, { limit: 1, afterId: id - 1 });
    if (row?.id === id) this.emit('point', { run: run.name, point: livePoint(pointView(row)) });
  }

  /** Delete points past their run's retention (or the server's). */
  async prune(now = new Date()): Promise<{ points: number }> {
    return this.store.prune(now.toISOString(), this.options.retainDays ?? null).catch(() => ({ points: 0 }));
  }

  async close(): Promise<void> {
    if (this.retention) clearInterval(this.retention);
    await this.outbox.stop();
    for (const t of this.teachers.values()) await t.then((r) => r.close()).catch(() => {});
    this.teachers.clear();
  }

  // ---- tokens ----

  /** A token's scope when verified within the last {@link TOKEN_CACHE_MS}, else null (ask {@link tokenScope}). */
  cachedToken(token: string): { id: number; scope: Scope } | null {
    const hit = this.tokens.get(token);
    return hit && Date.now() - hit.at < (this.options.tokenCacheMs ?? TOKEN_CACHE_MS) ? hit : null;
  }

  /** The scope of a token (remembered for {@link TOKEN_CACHE_MS}), or null when unknown. */
  async tokenScope(token: string): Promise<{ id: number; scope: Scope } | null> {
    const hit = this.cachedToken(token);
    if (hit) return hit;
    const found = await this.store.tokenScope(token);
    if (!found) {
      this.tokens.delete(token);
      return null;
    }
    if (this.tokens.size > 10_000) this.tokens.clear();
    this.tokens.set(token, { ...found, at: Date.now() });
    return found;
  }

  // ---- runs ----

  /** A run by name (remembered between requests). @throws HttpError 400 for a malformed name, 404 for an unknown run. */
  async run(name: string): Promise<CachedRun> {
    if (!RUN_NAME.test(name))
      throw httpErrors.badRequest(
        `run name ${JSON.stringify(name.length > 120 ? `${name.slice(0, 117)}...` : name)}: expected 1–100 letters, digits, '.', '_' or '-', starting with a letter or digit`,
      );
    const hit = this.runs.get(name);
    if (hit && Date.now() - hit.at < RUN_CACHE_MS) return hit;
    const row = await this.store.getRun(name);
    if (!row) throw httpErrors.notFound('run', name);
    const cached = { row, settings: nestSimilarityOptions(JSON.parse(row.settings) as RunSettings), at: Date.now() };
    this.runs.set(name, cached);
    return cached;
  }

  async createRun(body: unknown): Promise<RunView> {
    const b = asObject(body, 'run');
    const name = b.name;
    if (typeof name !== 'string' || !RUN_NAME.test(name))
      throw httpErrors.badRequest(`run name ${JSON.stringify(name)}: expected 1–100 letters, digits, '.', '_' or '-', starting with a letter or digit`);
    const kind = b.kind ?? 'training';
    if (kind !== 'training' && kind !== 'deployment') throw errors.badOption('kind', kind, 'training or deployment');
    const task = b.task;
    if (typeof task !== 'string' || !isTask(task))
      throw errors.badOption('task', task, 'a task name (classification, detection, segmentation, nlp, regression)');
    for (const k of ['teacher', 'student'] as const)
      if (b[k] !== undefined && (typeof b[k] !== 'string' || (b[k] as string).length > 200))
        throw errors.badOption(k, b[k], 'a name (text of at most 200 characters)');
    const settings = checkSettings(b.settings, task);
    const tags = checkTags(b.tags);
    const retain = checkRetain(b.retainDays);
    const teacherModel = b.teacherModel === undefined || b.teacherModel === null ? null : confinedModel(this.options.models, b.teacherModel);
    const row = await this.store.createRun({
      name,
      kind,
      teacher: (b.teacher as string | undefined) ?? '',
      student: (b.student as string | undefined) ?? '',
      task,
      settings: JSON.stringify(settings),
      tags: JSON.stringify(tags),
      teacher_model: teacherModel,
      retain_days: retain,
      created: new Date().toISOString(),
    });
    const view = runView(row);
    this.emit('run', view);
    return view;
  }

  /** Archive or restore a run, replace its tags, set its retention. */
  async updateRun(name: string, body: unknown): Promise<RunView> {
    const run = await this.run(name);
    const b = asObject(body, 'run update');
    const patch: { archived?: boolean; tags?: string; retain_days?: number | null } = {};
    if (b.archived !== undefined) {
      if (typeof b.archived !== 'boolean') throw errors.badOption('archived', b.archived, 'true or false');
      patch.archived = b.archived;
    }
    if (b.tags !== undefined) patch.tags = JSON.stringify(checkTags(b.tags));
    if (b.retainDays !== undefined) patch.retain_days = checkRetain(b.retainDays);
    const row = await this.store.updateRun(run.row.id, patch);
    this.runs.delete(name);
    const view = runView(row);
    this.emit('run', view);
    return view;
  }

  async deleteRun(name: string): Promise<void> {
    const run = await this.run(name);
    await this.store.deleteRun(run.row.id);
    this.runs.delete(name);
    const t = this.teachers.get(run.row.id);
    this.teachers.delete(run.row.id);
    await t?.then((r) => r.close()).catch(() => {});
    this.emit('run', { name, deleted: true });
  }

  async listRuns(withArchived: boolean, spark = 30) {
    const rows = await this.store.listRuns(withArchived);
    const sums = await this.store.summaries(
      rows.map((r) => r.id),
      spark,
    );
    return rows.map((r, i) => {
      const s = sums[i]!;
      return {
        run: runView(r),
        points: s.points,
        latest: s.latest ? pointView(s.latest) : null,
        spark: s.spark,
        alert: s.firing ? 'firing' : 'ok',
        steps: s.steps,
        times: s.times,
      };
    });
  }

  async getRun(name: string, withWebhooks: boolean) {
    // Read afresh: shapes, archiving and tags change after the run is cached.
    await this.run(name);
    const row = await this.store.getRun(name);
    if (!row) {
      this.runs.delete(name);
      throw httpErrors.notFound('run', name);
    }
    const [[s], rules] = await Promise.all([this.store.summaries([row.id], 1), this.store.rules(row.id)]);
    return {
      run: runView(row),
      points: s!.points,
      latest: s!.latest ? pointView(s!.latest) : null,
      steps: s!.steps,
      times: s!.times,
      alerts: rules.map((r) => ruleView(r, withWebhooks)),
    };
  }

  // ---- posting ----

  /** Read, score and commit a posted batch (scored on the server; the teacher run here when the run names one). */
  async postBatch(name: string, body: PostBody, idempotencyKey?: string): Promise<CommitReply> {
    const run = await this.run(name);
    const got = await this.compute.run('ingestBatch', run.settings, body, run.row.teacher_model !== null);
    if (!('parsed' in got)) return this.commit(run, got, 'batch', idempotencyKey);
    const teacher = await this.teacherFor(run);
    const t = await teacher.run(got.parsed.inputs!);
    const full: KrsBatch = { ...got.parsed, teacher: t.layers, teacherOutput: t.output };
    const scored = await this.compute.run('scoreBatch', run.settings, full as never);
    return this.commit(run, { ...scored, at: got.at, ...(got.hash ? { hash: got.hash } : {}) }, 'teacher', idempotencyKey);
  }

  /** Read, check against the run's settings, score and commit a metric state computed elsewhere. */
  async postState(name: string, body: PostBody, idempotencyKey?: string): Promise<CommitReply> {
    const run = await this.run(name);
    return this.commit(run, await this.compute.run('ingestState', run.settings, body), 'state', idempotencyKey);
  }

  private async teacherFor(run: CachedRun): Promise<TeacherRunner> {
    let t = this.teachers.get(run.row.id);
    if (!t) {
      const { teacherRunner, models } = this.options;
      if (!teacherRunner || !models) throw httpErrors.unavailable('this server runs no teachers (start it with --models DIR)');
      t = teacherRunner(confinedModel(models, run.row.teacher_model!, true), run.settings);
      this.teachers.set(run.row.id, t);
      t.catch(() => this.teachers.delete(run.row.id));
    }
    return t;
  }

  private async commit(run: CachedRun, got: Ingested, source: string, idempotencyKey?: string): Promise<CommitReply> {
    const at = checkAt(got.at);
    const s = got.scores;
    const rules = await this.rulesOf(run.row.id);
    const verdicts: RuleVerdict[] = [];
    for (const rule of rules) {
      const ref = rule.kind === 'krs_drop' && s.krs !== null ? await this.reference(run, rule) : null;
      verdicts.push({ ruleId: rule.id, ...evaluateRule(rule, s, ref) });
    }
    const r = await this.store.commitPoint({
      runId: run.row.id,
      ...at,
      n: s.n,
      fss: s.fss,
      aoa: s.aoa,
      krs: s.krs,
      scores: s,
      source,
      state: got.state,
      signature: got.signature,
      verdicts,
      ...(idempotencyKey ? { idempotency: { key: idempotencyKey, hash: got.hash ?? '' } } : {}),
    });
    if (r.replayed) return r;
    this.emit('point', { run: run.row.name, point: livePoint(r.reply.point) });
    for (const t of r.transitions) {
      const { webhook: _w, ...rule } = t.rule;
      this.emit('alert', { run: run.row.name, rule, state: t.state, time: t.time, value: t.value, message: t.message });
    }
    if (r.transitions.some((t) => t.rule.webhook)) this.outbox.wake();
    return r;
  }

  /**
   * A run's alert rules for judging a post, remembered for {@link RULE_CACHE_MS} (a rule added
   * or removed here is seen at once; one added by another process sharing the store within that
   * time). The rules' states are read again in the post's transaction.
   */
  private async rulesOf(runId: number): Promise<AlertRuleRow[]> {
    const hit = this.ruleCache.get(runId);
    if (hit && Date.now() - hit.at < RULE_CACHE_MS) return hit.rules;
    const rules = await this.store.rules(runId);
    this.ruleCache.set(runId, { rules, at: Date.now() });
    return rules;
  }

  /** KRS of the merged states of the last `window` points of a run (before the one being added), or null. */
  private async reference(run: CachedRun, rule: AlertRuleRow): Promise<number | null> {
    const states = await this.store.lastStates(run.row.id, rule.window ?? 10);
    if (states.length === 0) return null;
    return (await this.compute.run('scoreStates', run.settings, states)).scores.krs;
  }

  // ---- points ----

  async points(name: string, window: Window, page: { limit: number; afterId?: number }): Promise<PointView[]> {
    const { row } = await this.run(name);
    return (await this.store.points(row.id, window, page)).map(pointView);
  }

  /** Delete one point. @throws 404 when the run has no such point. */
  async deletePoint(name: string, id: number): Promise<void> {
    const { row } = await this.run(name);
    if ((await this.store.deletePoints(row.id, { id })) === 0) throw httpErrors.notFound(`point of run ${JSON.stringify(name)}`, String(id));
    this.emit('run', { ...runView(row), changed: 'points' });
  }

  /** Delete every point in a window (at least one bound). */
  async deletePoints(name: string, window: Window): Promise<number> {
    const { row } = await this.run(name);
    if (Object.values(window).every((v) => v === undefined))
      throw httpErrors.badRequest('deleting points needs a window: fromStep, toStep, from or to (to delete the run: DELETE /v1/runs/{name})');
    const n = await this.store.deletePoints(row.id, { window });
    if (n > 0) this.emit('run', { ...runView(row), changed: 'points' });
    return n;
  }

  // ---- alerts ----

  async addRule(name: string, body: unknown): Promise<RuleView> {
    const { row } = await this.run(name);
    const r = checkRule(body);
    const added = await this.store.addRule({ run_id: row.id, kind: r.kind, threshold: r.threshold, window: r.window ?? null, webhook: r.webhook ?? null });
    this.ruleCache.delete(row.id);
    return ruleView(added, true);
  }

  async alerts(name: string, withWebhooks: boolean) {
    const { row } = await this.run(name);
    const [rules, events] = await Promise.all([this.store.rules(row.id), this.store.events(row.id, 100)]);
    return {
      rules: rules.map((r) => ruleView(r, withWebhooks)),
      events: events.map((e) => ({ rule: e.rule_id, time: e.time, state: e.state, value: e.value, message: e.message })),
    };
  }

  async deleteRule(name: string, id: number): Promise<void> {
    const { row } = await this.run(name);
    const deleted = await this.store.deleteRule(row.id, id);
    this.ruleCache.delete(row.id);
    if (!deleted) throw httpErrors.notFound(`alert rule of run ${JSON.stringify(name)}`, String(id));
  }
}

/** A point as live events carry it: scores without the output agreement's details. */
function livePoint(p: PointView) {
  const { output: _o, ...scores } = p.scores;
  return { ...p, scores };
}

function asObject(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw errors.badValue(what, Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v, 'a JSON object');
  return v as Record<string, unknown>;
}

function asPair(p: unknown): { teacher: string; student: string } {
  if (typeof p === 'string') {
    const i = p.indexOf(':');
    if (i <= 0 || i === p.length - 1) throw errors.badOption('pairs', p, '"teacher:student" layer names');
    return { teacher: p.slice(0, i), student: p.slice(i + 1) };
  }
  const o = asObject(p, 'layer pair');
  if (typeof o.teacher !== 'string' || typeof o.student !== 'string' || !o.teacher || !o.student)
    throw errors.badOption('pairs', JSON.stringify(p), '{teacher, student} layer names');
  return { teacher: o.teacher, student: o.student };
}

/** A run's settings, checked as KrsMetric checks its options; interval groups bounded, no `samples` (a stream has no total). */
function checkSettings(raw: unknown, task: string): RunSettings {
  const o = raw === undefined ? {} : asObject(raw, 'settings');
  const unknown = Object.keys(o).filter((k) => !SETTING_KEYS.includes(k));
  if (unknown.length) throw errors.badOption('settings', unknown[0], `one of ${SETTING_KEYS.join(', ')}`);
  const pairs = o.pairs ?? [];
  if (!Array.isArray(pairs) || pairs.length > 64)
    throw errors.badOption(
      'pairs',
      Array.isArray(pairs) ? `${pairs.length} pairs` : pairs,
      'an array of at most 64 {teacher, student} layer names or "teacher:student" strings',
    );
  const settings = nestSimilarityOptions({ ...o, task, pairs: pairs.map(asPair) } as RunSettings);
  const iv = settings.intervals;
  if (iv && typeof iv === 'object') {
    const groups = iv.groups;
    if (groups !== undefined && !(Number.isInteger(groups) && groups >= 1 && groups <= MAX_GROUPS))
      throw errors.badOption('intervals', JSON.stringify(iv), `groups: an integer from 1 to ${MAX_GROUPS}`);
    if (iv.samples !== undefined) throw errors.badOption('intervals', JSON.stringify(iv), 'no samples: a run is a stream, its groups are interleaved');
  }
  emptyState(settings); // validates the settings as KrsMetric does
  return settings;
}

/** Tags: at most 50, keys of letters, digits and . _ : / -, values text of at most 256 characters. */
function checkTags(raw: unknown): Record<string, string> {
  const tags = raw === undefined ? {} : asObject(raw, 'tags');
  const entries = Object.entries(tags);
  if (entries.length > 50) throw errors.badOption('tags', `${entries.length} tags`, 'at most 50');
  for (const [k, v] of entries) {
    if (!TAG_KEY.test(k)) throw errors.badOption('tags', k, "keys of 1–64 letters, digits, '.', '_', ':', '/' or '-'");
    if (typeof v !== 'string' || v.length > 256) throw errors.badOption('tags', `${k}=${JSON.stringify(v)}`, 'text values of at most 256 characters');
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

function checkRetain(v: unknown): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !(v > 0) || v > 36_500) throw errors.badOption('retainDays', v, 'a number of days in (0, 36500], or null (keep for ever)');
  return v;
}

function checkAt(at: { step?: unknown; time?: unknown }): { step: number | null; time: string } {
  const step = at.step ?? null;
  if (step !== null && !(Number.isInteger(step) && (step as number) >= 0 && (step as number) <= 2_147_483_647))
    throw errors.badOption('step', at.step, 'a non-negative integer');
  let time = new Date().toISOString();
  if (at.time !== undefined && at.time !== null) {
    const t = typeof at.time === 'string' ? Date.parse(at.time) : Number.NaN;
    if (!Number.isFinite(t) || t < 0 || t > 253_402_300_799_000)
      throw errors.badOption('time', at.time, 'an ISO-8601 time between 1970 and 9999, e.g. 2026-12-01T03:00:00Z');
    time = new Date(t).toISOString();
  }
  return { step: step as number | null, time };
}
