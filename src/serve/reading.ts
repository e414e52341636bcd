/**
 * Reading a run (docs/service.md §"Buckets"): series, windows and comparisons, each the score
 * of merged stored states — never an average of points' scores. A read names the few buckets
 * that cover it (store/reads.ts); each is brought up to date by merging its kept state with the
 * states of the points committed since, on a compute thread, a chunk at a time, and kept by the
 * store (so each point is merged into a bucket once); the compute pool then merges and scores
 * the buckets' states. A bucket's scores, once computed, are kept with it until it changes.
 * Nothing here touches a state on the event loop.
 */
import type { Comparison } from '../krs/compare.js';
import type { ComputePool } from './compute/pool.js';
import { HttpError, httpErrors } from './http-error.js';
import type { PointScores, RunSettings } from './metric.js';
import type { Axis } from './store/buckets.js';
import type { SeriesRow, Store, Window } from './store/types.js';

type Summary = Pick<PointScores, 'fss' | 'aoa' | 'krs' | 'ci95'>;

export interface SeriesEntry {
  step?: number;
  time?: string;
  points: number;
  n: number;
  fss: number | null;
  aoa: number;
  krs: number | null;
  ci95: PointScores['ci95'];
}

interface RunRef {
  row: { id: number; name: string };
  settings: RunSettings;
}

/** Most rows a series may have (ask for wider buckets beyond). */
const MAX_SERIES_ROWS = 20_000;
/** Points merged into a bucket per compute call. */
const CHUNK = 64;

export class RunReader {
  /** Buckets being brought up to date now (concurrent reads of one bucket share the work). */
  private readonly refreshing = new Map<number, Promise<Uint8Array | null>>();

  constructor(
    private readonly store: Store,
    private readonly compute: ComputePool,
    private readonly run: (name: string) => Promise<RunRef>,
  ) {}

  /**
   * A bucket's current state (null when it is gone), merged up to date and kept. Each caller
   * gets bytes of its own (they are moved to a compute thread, which would take them from the
   * others).
   */
  async bucketState(settings: RunSettings, id: number): Promise<Uint8Array | null> {
    let p = this.refreshing.get(id);
    if (!p) {
      p = this.refresh(settings, id).finally(() => this.refreshing.delete(id));
      this.refreshing.set(id, p);
    }
    return (await p)?.slice() ?? null;
  }

  private async refresh(settings: RunSettings, id: number): Promise<Uint8Array | null> {
    for (;;) {
      const m = await this.store.bucketMaterial(id, CHUNK);
      if (m.kind === 'gone') return null;
      if (m.kind === 'single') return m.state;
      if (m.news.length === 0) return m.state;
      const parts = m.state ? [m.state, ...m.news] : m.news;
      const state = parts.length === 1 ? parts[0]! : await this.compute.run('mergeToBytes', settings, parts);
      // Keeping is a saving, not a need: a store that cannot write now still answers reads.
      await this.store.keepBucket(id, { epoch: m.epoch, fromSeq: m.builtSeq, toSeq: m.lastSeq, state: state.slice() }).catch(() => false);
      if (!m.more) return state;
    }
  }

  /** The states of a cover: its buckets' (up to date) and its ends' points'. */
  private async coverStates(run: RunRef, c: { buckets: number[]; states: Uint8Array[] }): Promise<Uint8Array[]> {
    const buckets = await mapLimited(c.buckets, this.compute.threads * 2 || 2, (id) => this.bucketState(run.settings, id));
    return [...buckets.filter((s): s is Uint8Array => s !== null), ...c.states];
  }

  /**
   * One entry per step bucket (`by: 'step'`, `bucket` steps, default 1) or time bucket
   * (`by: 'time'`, `bucket` seconds, a multiple of 60), each the score of its merged states.
   */
  async series(name: string, by: Axis, bucket: number, window: Window) {
    const run = await this.run(name);
    checkSeriesWindow(by, window);
    const width = by === 'step' ? bucket : bucket * 1000;
    if (by === 'time' && bucket % 60 !== 0)
      throw httpErrors.badRequest(`bucket: ${bucket} seconds; expected a multiple of 60 (the finest stored bucket is a minute)`, 'BAD_OPTION');
    const rows = await this.store.seriesRows(run.row.id, by, width, window);
    if (rows.length > MAX_SERIES_ROWS)
      throw httpErrors.badRequest(`the series has ${rows.length} rows (at most ${MAX_SERIES_ROWS}): ask for a wider bucket`, 'BAD_OPTION');
    const series = await mapLimited(rows, this.compute.threads * 2 || 2, (r) => this.entry(run, by, r));
    return { run: run.row.name, by, bucket, series: series.filter((e): e is SeriesEntry => e !== null) };
  }

  private async entry(run: RunRef, by: Axis, r: SeriesRow): Promise<SeriesEntry | null> {
    let s: Summary;
    let points = r.points;
    let n = r.n;
    if (r.scores) s = r.scores;
    else if ('bucket' in r.source) {
      const { id, version } = r.source.bucket;
      const state = await this.bucketState(run.settings, id);
      if (!state) return null;
      s = (await this.compute.run('scoreStates', run.settings, [state])).scores;
      await this.store.cacheScores(id, version, { fss: s.fss, aoa: s.aoa, krs: s.krs, ci95: s.ci95 }).catch(() => {});
    } else {
      const [from, to] = r.source.range;
      const c = await this.store.coverStates(run.row.id, by, from, to);
      const states = await this.coverStates(run, c);
      if (states.length === 0) return null;
      const scored = (await this.compute.run('scoreStates', run.settings, states)).scores;
      s = scored;
      points = c.points;
      n = scored.n;
    }
    const at = by === 'step' ? { step: r.start } : { time: new Date(r.start).toISOString() };
    return { ...at, points, n, fss: s.fss, aoa: s.aoa, krs: s.krs, ci95: s.ci95 };
  }

  /** The score of the merge of every point in the window (and, on request, the merged state as JSON text). */
  async window(name: string, window: Window, withState: boolean): Promise<{ points: number; scores: PointScores; stateJson?: string }> {
    const run = await this.run(name);
    const c = await this.store.windowStates(run.row.id, window);
    const states = await this.coverStates(run, c);
    if (c.points === 0 || states.length === 0) throw new HttpError(404, 'NOT_FOUND', `run ${JSON.stringify(name)} has no points${describeWindow(window)}`);
    const points = c.points;
    const r = await this.compute.run('scoreStates', run.settings, states, { stateJson: withState });
    return { points, scores: r.scores, ...(r.stateJson ? { stateJson: r.stateJson } : {}) };
  }

  /** Paired comparisons (src/krs/compare.ts) of runs' windows: every pair, Δ = later − earlier. */
  async compare(
    names: readonly string[],
    window: Window,
  ): Promise<{ runs: { name: string; points: number; scores: PointScores }[]; comparisons: Comparison[] }> {
    if (names.length < 2 || names.length > 20) throw httpErrors.badRequest('compare: name 2 to 20 runs (runs=a,b)');
    const inputs = [];
    for (const name of names) {
      const run = await this.run(name);
      const c = await this.store.windowStates(run.row.id, window);
      const states = await this.coverStates(run, c);
      if (c.points === 0 || states.length === 0) throw new HttpError(404, 'NOT_FOUND', `run ${JSON.stringify(name)} has no points${describeWindow(window)}`);
      inputs.push({ name, settings: run.settings, points: c.points, states });
    }
    return this.compute.run('compareRuns', inputs);
  }
}

/** A series runs along one axis: step bounds for `by=step`, time bounds for `by=time`. */
function checkSeriesWindow(by: Axis, w: Window): void {
  const other = by === 'step' ? (['from', 'to'] as const) : (['fromStep', 'toStep'] as const);
  const given = other.find((k) => w[k] !== undefined);
  if (given) throw httpErrors.badRequest(`${given}: a series by ${by} takes ${by === 'step' ? 'fromStep and toStep' : 'from and to'} only`, 'BAD_OPTION');
}

function describeWindow(w: Window): string {
  const parts = Object.entries(w).filter(([, v]) => v !== undefined);
  return parts.length ? ` in ${parts.map(([k, v]) => `${k}=${v}`).join(', ')}` : '';
}

/** `f` over `items`, at most `limit` at a time, results in order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, f: (x: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
