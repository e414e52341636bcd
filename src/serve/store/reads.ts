/**
 * Reading merged states out of the buckets (docs/service.md §"Buckets"): a window is the
 * merge of the few whole buckets that cover it ({@link cover}) and of the points at its ends
 * finer than the lowest level; a series row is one stored bucket, or a span to merge. A bucket
 * out of date is merged from the level below (or, on the lowest level, from its points) when
 * read, and the result is kept if no post changed the bucket meanwhile (compare-and-set on its
 * version), so every later read of it is one row.
 */
import type { Kysely, Selectable } from 'kysely';
import { errors } from '../../core/errors.js';
import type { RunSettings } from '../metric.js';
import { stateBytes, stateDocument } from '../state-codec.js';
import { type Axis, childWidth, cover, LEVELS } from './buckets.js';
import { merged, pointState, toBytes } from './states.js';
import type { BucketTable, Database } from './schema.js';
import type { SeriesRow, Window } from './types.js';

type BucketRow = Selectable<BucketTable>;

const iso = (ms: number) => new Date(ms).toISOString();

export class BucketReader {
  constructor(private readonly db: Kysely<Database>) {}

  private async settings(runId: number): Promise<RunSettings> {
    const r = await this.db.selectFrom('krs_run').select('settings').where('id', '=', runId).executeTakeFirst();
    if (!r) throw errors.internal(`run #${runId} vanished`);
    return JSON.parse(r.settings) as RunSettings;
  }

  /** A bucket's merged state; merged now from the level below when out of date (and kept unless it changed meanwhile). */
  async fresh(row: BucketRow, settings: RunSettings): Promise<Uint8Array> {
    if (row.built === row.version) {
      if (row.state) return toBytes(row.state);
      if (row.point_id !== null) return pointState(this.db, row.point_id);
    }
    const below = childWidth(row.axis as Axis, Number(row.width));
    const parts =
      below === null
        ? await this.pointStates(row.run_id, row.axis as Axis, Number(row.start), Number(row.start) + Number(row.width))
        : await this.childStates(row, below, settings);
    if (parts.states.length === 0) throw errors.internal(`bucket ${row.id} holds no points`);
    const single = below === null && parts.states.length === 1 ? parts.ids[0]! : null;
    const bytes =
      parts.states.length === 1
        ? parts.states[0]!
        : stateBytes(
            merged(
              settings,
              parts.states.map((s) => stateDocument(s, 'a stored state')),
            ),
          );
    await this.db
      .updateTable('krs_bucket')
      .set({ state: single === null ? bytes : null, point_id: single, built: row.version })
      .where('id', '=', row.id)
      .where('version', '=', row.version)
      .execute();
    return bytes;
  }

  private async childStates(row: BucketRow, width: number, settings: RunSettings) {
    const children = await this.rows(row.run_id, row.axis as Axis, width, Number(row.start), Number(row.start) + Number(row.width));
    const states: Uint8Array[] = [];
    for (const c of children) states.push(await this.fresh(c, settings));
    return { states, ids: children.map((c) => c.id) };
  }

  /** The points in [from, to) on an axis, with their states, in id order. */
  private async pointStates(runId: number, axis: Axis, from: number, to: number): Promise<{ states: Uint8Array[]; ids: number[] }> {
    let q = this.db
      .selectFrom('krs_point')
      .innerJoin('krs_state', 'krs_state.point_id', 'krs_point.id')
      .select(['krs_point.id', 'krs_state.bytes'])
      .where('run_id', '=', runId);
    q = axis === 'step' ? q.where('step', '>=', from).where('step', '<', to) : q.where('time', '>=', iso(from)).where('time', '<', iso(to));
    const rows = await q.orderBy('krs_point.id').execute();
    return { states: rows.map((r) => toBytes(r.bytes)), ids: rows.map((r) => r.id) };
  }

  private rows(runId: number, axis: Axis, width: number, from: number, to: number): Promise<BucketRow[]> {
    return this.db
      .selectFrom('krs_bucket')
      .selectAll()
      .where('run_id', '=', runId)
      .where('axis', '=', axis)
      .where('width', '=', width)
      .where('start', '>=', from)
      .where('start', '<', to)
      .orderBy('start')
      .execute();
  }

  /** [first, last + 1) of the run's points on an axis (lowest-level buckets), or null without points. */
  async extent(runId: number, axis: Axis): Promise<[number, number] | null> {
    const w = LEVELS[axis][0]!;
    const r = await this.db
      .selectFrom('krs_bucket')
      .select((e) => [e.fn.min('start').as('lo'), e.fn.max('start').as('hi')])
      .where('run_id', '=', runId)
      .where('axis', '=', axis)
      .where('width', '=', w)
      .executeTakeFirst();
    if (!r || r.lo === null || r.hi === null) return null;
    return [Number(r.lo), Number(r.hi) + w];
  }

  /** The points in [from, to) on an axis and the states that merge into theirs. */
  async cover(runId: number, axis: Axis, from: number, to: number): Promise<{ points: number; states: Uint8Array[] }> {
    const settings = await this.settings(runId);
    const c = cover(axis, from, to);
    const states: Uint8Array[] = [];
    let points = 0;
    for (const range of c.ranges) {
      for (const row of await this.rows(runId, axis, range.width, range.from, range.to)) {
        states.push(await this.fresh(row, settings));
        points += row.points;
      }
    }
    for (const rest of c.rest) {
      const p = await this.pointStates(runId, axis, rest.from, rest.to);
      states.push(...p.states);
      points += p.states.length;
    }
    return { points, states };
  }

  /** The window's points and states: by step bounds, by time bounds, or (both given) point by point. */
  async window(runId: number, w: Window): Promise<{ points: number; states: Uint8Array[] }> {
    const steps = w.fromStep !== undefined || w.toStep !== undefined;
    const times = w.from !== undefined || w.to !== undefined;
    if (steps && times) return this.pointsIn(runId, w);
    const axis: Axis = steps ? 'step' : 'time';
    const range = await this.range(runId, axis, w);
    return range ? this.cover(runId, axis, range[0], range[1]) : { points: 0, states: [] };
  }

  /** The window's bounds on an axis as [from, to), open ends taken from the run's points; null when empty. */
  async range(runId: number, axis: Axis, w: Window): Promise<[number, number] | null> {
    const lo = axis === 'step' ? w.fromStep : w.from !== undefined ? Date.parse(w.from) : undefined;
    const hi = axis === 'step' ? w.toStep : w.to !== undefined ? Date.parse(w.to) : undefined;
    const extent = lo === undefined || hi === undefined ? await this.extent(runId, axis) : null;
    const from = lo ?? extent?.[0];
    const to = hi !== undefined ? hi + 1 : extent?.[1];
    if (from === undefined || to === undefined || from >= to) return null;
    return [from, to];
  }

  private async pointsIn(runId: number, w: Window): Promise<{ points: number; states: Uint8Array[] }> {
    let q = this.db.selectFrom('krs_point').innerJoin('krs_state', 'krs_state.point_id', 'krs_point.id').select('krs_state.bytes').where('run_id', '=', runId);
    if (w.fromStep !== undefined) q = q.where('step', '>=', w.fromStep);
    if (w.toStep !== undefined) q = q.where('step', '<=', w.toStep);
    if (w.from !== undefined) q = q.where('time', '>=', w.from);
    if (w.to !== undefined) q = q.where('time', '<=', w.to);
    const rows = await q.orderBy('krs_point.id').execute();
    return { points: rows.length, states: rows.map((r) => toBytes(r.bytes)) };
  }

  /**
   * The rows of a series of `width` (steps, or ms) over the window: for a stored level, its
   * buckets (with their scores when current); otherwise, or where the window cuts a bucket,
   * spans to merge.
   */
  async series(runId: number, axis: Axis, width: number, w: Window): Promise<SeriesRow[]> {
    const range = await this.range(runId, axis, w);
    if (!range) return [];
    const [from, to] = range;
    const stored = LEVELS[axis].includes(width);
    const first = Math.floor(from / width) * width;
    const out: SeriesRow[] = [];
    if (stored) {
      for (const row of await this.rows(runId, axis, width, first, to)) {
        const start = Number(row.start);
        const whole = start >= from && start + width <= to;
        out.push({
          start,
          points: row.points,
          n: Number(row.n),
          source: whole ? { bucket: { id: row.id, version: row.version } } : { range: [Math.max(start, from), Math.min(start + width, to)] },
          scores:
            whole && row.scores_version === row.version && row.aoa !== null
              ? { fss: row.fss, aoa: row.aoa, krs: row.krs, ci95: JSON.parse(row.ci95 ?? 'null') }
              : null,
        });
      }
      return out;
    }
    // Another width: the spans that hold points, from the lowest level's counts.
    const base = LEVELS[axis][0]!;
    const spans = new Map<number, { points: number; n: number }>();
    for (const row of await this.rows(runId, axis, base, Math.floor(from / base) * base, to)) {
      const start = Math.floor(Number(row.start) / width) * width;
      const s = spans.get(start) ?? { points: 0, n: 0 };
      s.points += row.points;
      s.n += Number(row.n);
      spans.set(start, s);
    }
    for (const [start, s] of [...spans].sort((a, b) => a[0] - b[0]))
      out.push({ start, points: s.points, n: s.n, source: { range: [Math.max(start, from), Math.min(start + width, to)] }, scores: null });
    return out;
  }

  /** A stored bucket's state (merged now when out of date) and the version it reflects. */
  async bucket(id: number): Promise<{ state: Uint8Array; version: number }> {
    const row = await this.db.selectFrom('krs_bucket').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw errors.internal(`bucket ${id} vanished`);
    return { state: await this.fresh(row, await this.settings(row.run_id)), version: row.version };
  }
}
