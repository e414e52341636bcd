/**
 * Reading buckets (docs/service.md §"Buckets"). A bucket keeps the merged state of its points
 * up to point id `built_seq`; what it needs to be current is that state and the states of its
 * points after it ({@link BucketReader.material}), which the compute threads merge and the
 * store keeps ({@link BucketReader.keep}: compare-and-set on the id it started from and on the
 * bucket's epoch, so a merge raced by a deletion or by another merge is dropped, never kept).
 * A run's points get increasing ids in the order they commit (posts to a run lock its row, and
 * take their ids inside that lock), so "the points after built_seq" misses none.
 *
 * A window is covered by the fewest whole buckets ({@link cover}) and the points at its ends
 * finer than the lowest level; a series row is one stored bucket or a span to cover.
 */
import type { Kysely, Selectable } from 'kysely';
import { type Axis, cover, LEVELS } from './buckets.js';
import type { BucketTable, Database } from './schema.js';
import { toBytes } from './states.js';
import type { BucketMaterial, SeriesRow, Window } from './types.js';

type BucketRow = Selectable<BucketTable>;

const iso = (ms: number) => new Date(ms).toISOString();

export class BucketReader {
  constructor(private readonly db: Kysely<Database>) {}

  /** The points of a run in [from, to) on an axis, as a query (of the point table). */
  private inRange(runId: number, axis: Axis, from: number, to: number) {
    const q = this.db.selectFrom('krs_point').innerJoin('krs_state', 'krs_state.point_id', 'krs_point.id').where('krs_point.run_id', '=', runId);
    return axis === 'step' ? q.where('step', '>=', from).where('step', '<', to) : q.where('time', '>=', iso(from)).where('time', '<', iso(to));
  }

  /**
   * What bucket `id` needs to be current: its kept state and the states of up to `limit` of its
   * points committed after it (oldest first; `more` when there are others), or its one point's
   * state, or nothing when the bucket is gone.
   */
  async material(id: number, limit: number): Promise<BucketMaterial> {
    const row = await this.db.selectFrom('krs_bucket').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || row.points <= 0) return { kind: 'gone' };
    const [from, to] = [Number(row.start), Number(row.start) + Number(row.width)];
    if (row.points === 1 && !row.state) {
      const one = await this.inRange(row.run_id, row.axis as Axis, from, to)
        .select('krs_state.bytes')
        .limit(2)
        .execute();
      if (one.length === 1) return { kind: 'single', state: toBytes(one[0]!.bytes), version: row.version };
    }
    const news = await this.inRange(row.run_id, row.axis as Axis, from, to)
      .select(['krs_point.id', 'krs_state.bytes'])
      .where('krs_point.id', '>', Number(row.built_seq))
      .orderBy('krs_point.id')
      .limit(limit + 1)
      .execute();
    const more = news.length > limit;
    const taken = news.slice(0, limit);
    return {
      kind: 'merge',
      version: row.version,
      epoch: row.epoch,
      builtSeq: Number(row.built_seq),
      state: row.state ? toBytes(row.state) : null,
      news: taken.map((r) => toBytes(r.bytes)),
      lastSeq: taken.length ? taken.at(-1)!.id : Number(row.built_seq),
      more,
    };
  }

  /** Keep a bucket's state merged up to `toSeq`, unless another merge or a deletion got there first. */
  async keep(id: number, k: { epoch: number; fromSeq: number; toSeq: number; state: Uint8Array }): Promise<boolean> {
    const r = await this.db
      .updateTable('krs_bucket')
      .set({ state: k.state, built_seq: k.toSeq })
      .where('id', '=', id)
      .where('epoch', '=', k.epoch)
      .where('built_seq', '=', k.fromSeq)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
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
      .where('points', '>', 0)
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
      .where('points', '>', 0)
      .executeTakeFirst();
    if (!r || r.lo === null || r.hi === null) return null;
    return [Number(r.lo), Number(r.hi) + w];
  }

  /** The points in [from, to) on an axis: the whole buckets that cover it, and the states of the points at its ends. */
  async cover(runId: number, axis: Axis, from: number, to: number): Promise<{ points: number; buckets: number[]; states: Uint8Array[] }> {
    const c = cover(axis, from, to);
    const buckets: number[] = [];
    const states: Uint8Array[] = [];
    let points = 0;
    for (const range of c.ranges) {
      for (const row of await this.rows(runId, axis, range.width, range.from, range.to)) {
        buckets.push(row.id);
        points += row.points;
      }
    }
    for (const rest of c.rest) {
      const rows = await this.inRange(runId, axis, rest.from, rest.to).select('krs_state.bytes').orderBy('krs_point.id').execute();
      states.push(...rows.map((r) => toBytes(r.bytes)));
      points += rows.length;
    }
    return { points, buckets, states };
  }

  /** The window's points: by step bounds, by time bounds, or (both given) point by point. */
  async window(runId: number, w: Window): Promise<{ points: number; buckets: number[]; states: Uint8Array[] }> {
    const steps = w.fromStep !== undefined || w.toStep !== undefined;
    const times = w.from !== undefined || w.to !== undefined;
    if (steps && times) return this.pointsIn(runId, w);
    const axis: Axis = steps ? 'step' : 'time';
    const range = await this.range(runId, axis, w);
    return range ? this.cover(runId, axis, range[0], range[1]) : { points: 0, buckets: [], states: [] };
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

  private async pointsIn(runId: number, w: Window): Promise<{ points: number; buckets: number[]; states: Uint8Array[] }> {
    let q = this.db.selectFrom('krs_point').innerJoin('krs_state', 'krs_state.point_id', 'krs_point.id').select('krs_state.bytes').where('run_id', '=', runId);
    if (w.fromStep !== undefined) q = q.where('step', '>=', w.fromStep);
    if (w.toStep !== undefined) q = q.where('step', '<=', w.toStep);
    if (w.from !== undefined) q = q.where('time', '>=', w.from);
    if (w.to !== undefined) q = q.where('time', '<=', w.to);
    const rows = await q.orderBy('krs_point.id').execute();
    return { points: rows.length, buckets: [], states: rows.map((r) => toBytes(r.bytes)) };
  }

  /**
   * The rows of a series of `width` (steps, or ms) over the window: for a stored level, its
   * buckets (with their scores when current); otherwise, or where the window cuts a bucket,
   * spans to cover.
   */
  async series(runId: number, axis: Axis, width: number, w: Window): Promise<SeriesRow[]> {
    const range = await this.range(runId, axis, w);
    if (!range) return [];
    const [from, to] = range;
    const out: SeriesRow[] = [];
    if (LEVELS[axis].includes(width)) {
      for (const row of await this.rows(runId, axis, width, Math.floor(from / width) * width, to)) {
        const start = Number(row.start);
        const whole = start >= from && start + width <= to;
        const current = whole && row.scores_version === row.version && row.aoa !== null;
        out.push({
          start,
          points: row.points,
          n: Number(row.n),
          source: whole ? { bucket: { id: row.id, version: row.version } } : { range: [Math.max(start, from), Math.min(start + width, to)] },
          scores: current ? { fss: row.fss, aoa: row.aoa!, krs: row.krs, ci95: JSON.parse(row.ci95 ?? 'null') } : null,
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
}
