/**
 * The service behind the HTTP API, independent of HTTP: runs, points (scored server-side
 * from batches, or posted as metric states), series and windows by exact merging of the
 * stored states, comparisons, alert rules; it emits `point` and `alert` events for the live
 * dashboard. Every method validates everything before it writes, and writes in one
 * transaction, so a rejected request changes nothing and an accepted one is committed when
 * the method resolves.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { isAbsolute, relative, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { errors, KrsError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { type Comparison, compareTwo } from '../krs/compare.js';
import type { KrsBatch, KrsResult } from '../krs/metric.js';
import { isTask } from '../tasks/registry.js';
import { checkRule, evaluateRule, postWebhook, type Verdict, type WebhookOptions } from './alerts.js';
import { HttpError, httpErrors } from './http-error.js';
import { emptyState, mergeStates, type PointScores, restoreState, type RunSettings, type ServedState } from './metric.js';
import type { AlertRuleRow, PointRow, RunRow, Store, Window } from './store/store.js';
import type { TeacherRunner } from './teacher.js';

export interface RunView {
  name: string;
  kind: 'training' | 'deployment';
  teacher: string;
  student: string;
  task: string;
  settings: RunSettings;
  tags: Record<string, string>;
  teacherModel: string | null;
  created: string;
}

export interface PointView {
  id: number;
  step: number | null;
  time: string;
  n: number;
  fss: number | null;
  aoa: number;
  krs: number | null;
  source: string;
  scores: PointScores;
}

export interface RuleView {
  id: number;
  kind: string;
  threshold: number;
  window: number | null;
  webhook: string | null;
  state: string;
  since: string | null;
  value: number | null;
  message: string | null;
}

/** Where a point sits: a training step and/or a time (default: when it was received). */
export interface PointAt {
  step?: number | null;
  time?: string;
}

export interface ServiceOptions {
  store: Store;
  /** Folder of teacher ONNX models runs may name (`teacherModel` is relative to it); absent: no teacher on the server. */
  models?: string;
  webhook?: WebhookOptions;
  /** Starts the teacher of a run (teacher.ts); injected so the service stays free of ONNX Runtime until needed. */
  teacherRunner?: (file: string, settings: RunSettings) => Promise<TeacherRunner>;
}

/** Most jackknife groups a run may ask for (each point stores one state per group). */
const MAX_GROUPS = 200;
const RUN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
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
  'rbfThreshold',
  'memoryBudget',
];

export class RunService extends EventEmitter {
  readonly store: Store;
  private readonly options: ServiceOptions;
  private readonly teachers = new Map<number, Promise<TeacherRunner>>();
  /** This process, in live events shared through PostgreSQL (its own are not emitted twice). */
  readonly instance = randomUUID();
  /** Webhook deliveries in flight (tests wait for them). */
  readonly deliveries = new Set<Promise<boolean>>();

  constructor(options: ServiceOptions) {
    super();
    this.setMaxListeners(0);
    this.store = options.store;
    this.options = options;
  }

  /**
   * Emit the points and runs other processes sharing a PostgreSQL store commit (LISTEN/NOTIFY),
   * so every process's dashboards update live; SQLite: nothing to do.
   */
  async listen(): Promise<void> {
    await this.store.listen((payload) => {
      void (async () => {
        const e = JSON.parse(payload) as { origin: string; type: string; run: string; id?: number };
        if (e.origin === this.instance) return;
        if (e.type === 'run') {
          const r = await this.store.getRun(e.run);
          if (r) this.emit('run', runView(r));
        } else if (e.type === 'point' && e.id !== undefined) {
          const row = await this.store.db
            .selectFrom('krs_point')
            .select(['id', 'run_id', 'step', 'time', 'n', 'fss', 'aoa', 'krs', 'scores', 'source', 'received'])
            .where('id', '=', e.id)
            .executeTakeFirst();
          if (row) {
            const point = pointView({ ...row, state: '' });
            this.emit('point', { run: e.run, point: { ...point, scores: { ...point.scores, output: undefined } } });
          }
        }
      })().catch(() => {});
    });
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.deliveries]);
    for (const t of this.teachers.values()) await t.then((r) => r.close()).catch(() => {});
    this.teachers.clear();
  }

  // ---- runs ----

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
    for (const k of ['teacher', 'student'] as const) if (b[k] !== undefined && typeof b[k] !== 'string') throw errors.badOption(k, b[k], 'a name (text)');
    const raw = b.settings === undefined ? {} : asObject(b.settings, 'settings');
    const unknown = Object.keys(raw).filter((k) => !SETTING_KEYS.includes(k));
    if (unknown.length) throw errors.badOption('settings', unknown[0], `one of ${SETTING_KEYS.join(', ')}`);
    const pairs = raw.pairs ?? [];
    if (!Array.isArray(pairs)) throw errors.badOption('pairs', pairs, 'an array of {teacher, student} layer names or "teacher:student" strings');
    const settings = { ...raw, task, pairs: pairs.map(asPair) } as RunSettings;
    const groups = (settings.intervals || undefined)?.groups;
    if (groups !== undefined && !(Number.isInteger(groups) && groups >= 1 && groups <= MAX_GROUPS))
      throw errors.badOption('intervals', JSON.stringify(settings.intervals), `groups: an integer from 1 to ${MAX_GROUPS}`);
    emptyState(settings); // validates the settings as KrsMetric does
    const tags = b.tags === undefined ? {} : asObject(b.tags, 'tags');
    for (const [k, v] of Object.entries(tags)) if (typeof v !== 'string') throw errors.badOption('tags', `${k}=${JSON.stringify(v)}`, 'text values');
    let teacherModel: string | null = null;
    if (b.teacherModel !== undefined && b.teacherModel !== null) {
      teacherModel = this.modelPath(b.teacherModel);
      if (settings.pairs.length === 0 && !settings.output) {
        /* output-only with a server teacher is fine */
      }
    }
    if (await this.store.getRun(name)) throw httpErrors.conflict(`run ${JSON.stringify(name)} already exists`);
    try {
      const row = await this.store.createRun({
        name,
        kind,
        teacher: (b.teacher as string | undefined) ?? '',
        student: (b.student as string | undefined) ?? '',
        task,
        settings: JSON.stringify(settings),
        tags: JSON.stringify(tags),
        teacher_model: teacherModel,
        created: new Date().toISOString(),
      });
      const view = runView(row);
      await this.store.db.transaction().execute((trx) => this.store.notify(trx, JSON.stringify({ origin: this.instance, type: 'run', run: name })));
      this.emit('run', view);
      return view;
    } catch (e) {
      if (/unique|duplicate/i.test((e as Error).message)) throw httpErrors.conflict(`run ${JSON.stringify(name)} already exists`);
      throw e;
    }
  }

  private modelPath(v: unknown): string {
    const dir = this.options.models;
    if (!dir) throw httpErrors.badRequest('teacherModel: this server runs no teachers (start it with --models DIR)', 'BAD_OPTION');
    if (typeof v !== 'string' || !v.endsWith('.onnx')) throw errors.badOption('teacherModel', v, "an .onnx file in the server's models folder");
    const file = resolve(dir, v);
    const rel = relative(resolve(dir), file);
    if (rel.startsWith('..') || isAbsolute(rel)) throw errors.badOption('teacherModel', v, "a file inside the server's models folder");
    if (!existsSync(file)) throw errors.badOption('teacherModel', v, `an .onnx file in the server's models folder (${v} is not there)`);
    return rel;
  }

  async run(name: string): Promise<RunRow> {
    const r = await this.store.getRun(name);
    if (!r) throw httpErrors.notFound('run', name);
    return r;
  }

  async listRuns(sparkline = 30): Promise<{ run: RunView; points: number; latest: PointView | null; spark: (number | null)[]; alert: 'ok' | 'firing' }[]> {
    const [runs, latest, rules] = await Promise.all([this.store.listRuns(), this.store.latestPoints(sparkline), this.store.rules()]);
    return Promise.all(
      runs.map(async (r) => {
        const pts = latest.get(r.id) ?? [];
        const last = pts.at(-1);
        return {
          run: runView(r),
          points: await this.store.countPoints(r.id),
          latest: last ? pointView(last) : null,
          spark: pts.map((p) => p.krs ?? p.aoa),
          alert: rules.some((x) => x.run_id === r.id && x.state === 'firing') ? 'firing' : 'ok',
        };
      }),
    );
  }

  async getRun(name: string) {
    const r = await this.run(name);
    const [points, rules, latest] = await Promise.all([this.store.countPoints(r.id), this.store.rules(r.id), this.store.latestPoints(1)]);
    const last = latest.get(r.id)?.[0];
    return { run: runView(r), points, latest: last ? pointView(last) : null, alerts: rules.map(ruleView) };
  }

  // ---- posting ----

  /** Score a batch server-side and store its state. `batch` holds parsed arrays (see http parsing); `inputs` feed the run's teacher model. */
  async postBatch(name: string, batch: KrsBatch & { inputs?: Record<string, Tensor> }, at: PointAt): Promise<{ point: PointView; alerts: RuleView[] }> {
    const run = await this.run(name);
    const settings = JSON.parse(run.settings) as RunSettings;
    const when = checkAt(at);
    let full: KrsBatch = batch;
    let source = 'batch';
    if (run.teacher_model) {
      if (!batch.inputs || Object.keys(batch.inputs).length === 0)
        throw httpErrors.badRequest(
          `run ${JSON.stringify(name)} runs its teacher on the server: post the inputs (inputs / input.<name>) with the student's outputs`,
        );
      if (batch.teacherOutput !== undefined || Object.keys(batch.teacher ?? {}).length)
        throw httpErrors.badRequest(`run ${JSON.stringify(name)} runs its teacher on the server: post no teacher arrays`);
      const teacher = await this.teacherFor(run, settings);
      const t = await teacher.run(batch.inputs);
      full = { ...batch, teacher: t.layers, teacherOutput: t.output };
      source = 'teacher';
    } else if (batch.inputs && Object.keys(batch.inputs).length) {
      throw httpErrors.badRequest(`run ${JSON.stringify(name)} has no teacher model on the server: post the teacher's arrays, not inputs`);
    }
    const state = emptyState(settings);
    await state.update(full);
    return this.commit(run, state, when, source);
  }

  /** Store a metric state computed elsewhere (`KrsMetric.toJSON()`), validated and checked against the run's settings. */
  async postState(name: string, body: unknown, at: PointAt): Promise<{ point: PointView; alerts: RuleView[] }> {
    const run = await this.run(name);
    const settings = JSON.parse(run.settings) as RunSettings;
    const when = checkAt(at);
    const state = restoreState(settings, body);
    // Stored as posted (validated by restoring it): re-encoding a large state costs more than scoring it.
    return this.commit(run, state, when, 'state', JSON.stringify(body));
  }

  private async teacherFor(run: RunRow, settings: RunSettings): Promise<TeacherRunner> {
    let t = this.teachers.get(run.id);
    if (!t) {
      if (!this.options.teacherRunner || !this.options.models) throw httpErrors.unavailable('this server runs no teachers (start it with --models DIR)');
      t = this.options.teacherRunner(resolve(this.options.models, run.teacher_model!), settings);
      this.teachers.set(run.id, t);
      t.catch(() => this.teachers.delete(run.id));
    }
    return t;
  }

  private async commit(run: RunRow, state: ServedState, at: { step: number | null; time: string }, source: string, posted?: string) {
    const { scores } = await state.compute().catch((e) => {
      if (e instanceof KrsError && e.code === 'UNDEFINED')
        throw httpErrors.badRequest(`the posted ${source === 'state' ? 'state' : 'batch'} scores nothing: ${e.message}`, 'EMPTY');
      throw e;
    });
    const rules = await this.store.rules(run.id);
    const verdicts = new Map<number, Verdict>();
    for (const rule of rules) {
      const ref = rule.kind === 'krs_drop' && scores.krs !== null ? await this.reference(run, rule.window ?? 10) : null;
      verdicts.set(rule.id, evaluateRule(rule, scores, ref));
    }
    const stateJson = posted ?? JSON.stringify(state.toJSON());
    const time = at.time;
    const changed: { rule: AlertRuleRow; verdict: Verdict }[] = [];
    const { id } = await this.store.addPoint(
      run.id,
      {
        step: at.step,
        time,
        n: scores.n,
        fss: scores.fss,
        aoa: scores.aoa,
        krs: scores.krs,
        scores: JSON.stringify(scores),
        state: stateJson,
        source,
        received: new Date().toISOString(),
      },
      async (trx, pointId) => {
        changed.length = 0; // a group commit that failed runs this again for the point alone
        await this.store.notify(trx, JSON.stringify({ origin: this.instance, type: 'point', run: run.name, id: pointId }));
        for (const rule of rules) {
          const v = verdicts.get(rule.id)!;
          const next = v.firing ? 'firing' : 'ok';
          // The rule's state as committed now (other points may have moved it since it was read).
          let q = trx.selectFrom('krs_alert_rule').select(['state', 'since']).where('id', '=', rule.id);
          if (this.store.dialect === 'postgres') q = q.forUpdate();
          const cur = await q.executeTakeFirst();
          if (!cur) continue; // removed meanwhile
          rule.state = cur.state;
          rule.since = cur.since;
          const since = next !== rule.state ? time : rule.since;
          await trx.updateTable('krs_alert_rule').set({ state: next, since, value: v.value, message: v.message }).where('id', '=', rule.id).execute();
          if (next !== rule.state) {
            await trx
              .insertInto('krs_alert_event')
              .values({ rule_id: rule.id, run_id: run.id, time, state: next, value: v.value, message: v.message })
              .execute();
            changed.push({ rule: { ...rule, state: next, since, value: v.value, message: v.message }, verdict: v });
          }
        }
      },
    );
    const point: PointView = { id, step: at.step, time, n: scores.n, fss: scores.fss, aoa: scores.aoa, krs: scores.krs, source, scores };
    const alerts = rules.map((r) => {
      const v = verdicts.get(r.id)!;
      const next = v.firing ? 'firing' : 'ok';
      return ruleView({ ...r, state: next, since: next !== r.state ? time : r.since, value: v.value, message: v.message });
    });
    this.emit('point', { run: run.name, point: { ...point, scores: { ...scores, output: undefined } } });
    for (const c of changed) {
      const event = { run: run.name, rule: ruleView(c.rule), state: c.rule.state, time, value: c.verdict.value, message: c.verdict.message };
      this.emit('alert', event);
      if (c.rule.webhook) {
        const d = postWebhook(c.rule.webhook, { type: 'krs.alert', ...event }, this.options.webhook);
        this.deliveries.add(d);
        void d.finally(() => this.deliveries.delete(d));
      }
    }
    return { point, alerts };
  }

  /** KRS of the merged states of the last `w` points of a run (before the one being added), or null. */
  private async reference(run: RunRow, w: number): Promise<number | null> {
    const rows = await this.store.db.selectFrom('krs_point').select('state').where('run_id', '=', run.id).orderBy('id', 'desc').limit(w).execute();
    if (rows.length === 0) return null;
    const settings = JSON.parse(run.settings) as RunSettings;
    const merged = mergeStates(rows.reverse().map((r) => restoreState(settings, JSON.parse(r.state))));
    return merged ? (await merged.compute()).scores.krs : null;
  }

  // ---- reading ----

  async points(name: string, window: Window): Promise<PointView[]> {
    const run = await this.run(name);
    return (await this.store.points(run.id, window)).map(pointView);
  }

  /**
   * The run's series: one entry per step (`by: 'step'`) or per time bucket of `bucket`
   * seconds (`by: 'time'`), each the score of the merged states of its points (a single
   * point's stored scores are that already).
   */
  async series(name: string, by: 'step' | 'time', bucket: number, window: Window) {
    const run = await this.run(name);
    const settings = JSON.parse(run.settings) as RunSettings;
    const rows = await this.store.points(run.id, window);
    const groups = new Map<string, PointRow[]>();
    for (const r of rows) {
      const key = by === 'step' ? (r.step === null ? null : String(r.step)) : String(Math.floor(Date.parse(r.time) / 1000 / bucket) * bucket);
      if (key === null) continue;
      const g = groups.get(key);
      if (g) g.push(r);
      else groups.set(key, [r]);
    }
    const out: { step?: number; time?: string; points: number; n: number; fss: number | null; aoa: number; krs: number | null; ci95: PointScores['ci95'] }[] =
      [];
    const needStates = [...groups.values()].some((g) => g.length > 1);
    const withState = needStates ? new Map((await this.store.points(run.id, window, true)).map((r) => [r.id, r.state])) : null;
    for (const [key, g] of groups) {
      let s: PointScores;
      if (g.length === 1) s = JSON.parse(g[0]!.scores) as PointScores;
      else s = (await mergeStates(g.map((r) => restoreState(settings, JSON.parse(withState!.get(r.id)!))))!.compute()).scores;
      const at = by === 'step' ? { step: Number(key) } : { time: new Date(Number(key) * 1000).toISOString() };
      out.push({ ...at, points: g.length, n: s.n, fss: s.fss, aoa: s.aoa, krs: s.krs, ci95: s.ci95 });
    }
    if (by === 'step') out.sort((a, b) => a.step! - b.step!);
    else out.sort((a, b) => (a.time! < b.time! ? -1 : 1));
    return { run: run.name, by, ...(by === 'time' ? { bucket } : {}), series: out };
  }

  /** The merged state of every point in a window, scored (and, on request, the merged state itself). */
  async window(name: string, window: Window, withState = false): Promise<{ points: number; scores: PointScores; state?: unknown; result: KrsResult | null }> {
    const run = await this.run(name);
    const settings = JSON.parse(run.settings) as RunSettings;
    const rows = await this.store.points(run.id, window, true);
    const merged = mergeStates(rows.map((r) => restoreState(settings, JSON.parse(r.state))));
    if (!merged) throw new HttpError(404, 'NOT_FOUND', `run ${JSON.stringify(name)} has no points${describeWindow(window)}`);
    const { scores, result } = await merged.compute();
    return { points: rows.length, scores, result, ...(withState ? { state: merged.toJSON() } : {}) };
  }

  /** Paired comparisons (src/krs/compare.ts) of runs' windows: every pair, Δ = later − earlier. */
  async compare(
    names: readonly string[],
    window: Window,
  ): Promise<{ runs: { name: string; points: number; scores: PointScores }[]; comparisons: Comparison[] }> {
    if (names.length < 2) throw httpErrors.badRequest('compare: name at least two runs (runs=a,b)');
    const ws = [];
    for (const n of names) ws.push({ name: n, ...(await this.window(n, window)) });
    const comparisons: Comparison[] = [];
    for (let i = 0; i < ws.length; i++)
      for (let j = i + 1; j < ws.length; j++) {
        const a = ws[i]!;
        const b = ws[j]!;
        if (a.result && b.result) comparisons.push(compareTwo({ name: a.name, result: a.result }, { name: b.name, result: b.result }));
        else {
          const reason = 'output-only runs have no leave-one-group-out values';
          const d = (x: number | null, y: number | null) => (x === null || y === null ? Number.NaN : y - x);
          comparisons.push({
            a: a.name,
            b: b.name,
            delta: { krs: d(a.scores.krs, b.scores.krs), fss: d(a.scores.fss, b.scores.fss), aoa: b.scores.aoa - a.scores.aoa },
            ci95: { krs: null, fss: null, aoa: null },
            se: { krs: null, fss: null, aoa: null },
            p: { krs: null, fss: null, aoa: null },
            groups: 0,
            reasons: { krs: reason, fss: reason, aoa: reason },
          });
        }
      }
    return { runs: ws.map((w) => ({ name: w.name, points: w.points, scores: w.scores })), comparisons };
  }

  // ---- alerts ----

  async addRule(name: string, body: unknown): Promise<RuleView> {
    const run = await this.run(name);
    const r = checkRule(body);
    const row = await this.store.addRule({ run_id: run.id, kind: r.kind, threshold: r.threshold, window: r.window ?? null, webhook: r.webhook ?? null });
    return ruleView(row);
  }

  async alerts(name: string) {
    const run = await this.run(name);
    const [rules, events] = await Promise.all([this.store.rules(run.id), this.store.events(run.id, 100)]);
    return { rules: rules.map(ruleView), events: events.map((e) => ({ rule: e.rule_id, time: e.time, state: e.state, value: e.value, message: e.message })) };
  }

  async deleteRule(name: string, id: number): Promise<void> {
    const run = await this.run(name);
    if (!(await this.store.deleteRule(run.id, id))) throw httpErrors.notFound(`alert rule of run ${JSON.stringify(name)}`, String(id));
  }
}

function describeWindow(w: Window): string {
  const parts = Object.entries(w).filter(([, v]) => v !== undefined);
  return parts.length ? ` in ${parts.map(([k, v]) => `${k}=${v}`).join(', ')}` : '';
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

function checkAt(at: PointAt): { step: number | null; time: string } {
  const step = at.step ?? null;
  if (step !== null && !(Number.isInteger(step) && step >= 0 && step <= 2_147_483_647)) throw errors.badOption('step', at.step, 'a non-negative integer');
  let time = new Date().toISOString();
  if (at.time !== undefined) {
    const t = typeof at.time === 'string' ? Date.parse(at.time) : Number.NaN;
    if (!Number.isFinite(t)) throw errors.badOption('time', at.time, 'an ISO-8601 time, e.g. 2026-12-01T03:00:00Z');
    time = new Date(t).toISOString();
  }
  return { step, time };
}

export function runView(r: RunRow): RunView {
  return {
    name: r.name,
    kind: r.kind as RunView['kind'],
    teacher: r.teacher,
    student: r.student,
    task: r.task,
    settings: JSON.parse(r.settings),
    tags: JSON.parse(r.tags),
    teacherModel: r.teacher_model,
    created: r.created,
  };
}

export function pointView(r: PointRow): PointView {
  return { id: r.id, step: r.step, time: r.time, n: r.n, fss: r.fss, aoa: r.aoa, krs: r.krs, source: r.source, scores: JSON.parse(r.scores) };
}

function ruleView(r: AlertRuleRow): RuleView {
  return {
    id: r.id,
    kind: r.kind,
    threshold: r.threshold,
    window: r.window,
    webhook: r.webhook,
    state: r.state,
    since: r.since,
    value: r.value,
    message: r.message,
  };
}
