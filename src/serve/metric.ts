/**
 * What a run scores: its settings, the state one post adds, and the scores of any merge of
 * states. A run with layer pairs uses {@link KrsMetric} (FSS, AOA and KRS with jackknife
 * intervals; states are `KrsMetric.toJSON()`, merged with `KrsMetric.merge`). A run without
 * pairs is output-only: it scores the task's output agreement (AOA) alone — `KrsMetric`
 * needs at least one layer pair — and its states are `{ version: 1, kind: 'outputs',
 * options: { task, output }, state }` with the agreement measure's own exact state; such a
 * run has no FSS or KRS (null) and no intervals.
 *
 * Merging is exact: the score of a window is the score of the merged states, never an
 * average of the points' scores.
 */
import type { OutputBatch } from '../agreement/spec.js';
import { errors, type KrsError, nameOptionsIn } from '../core/errors.js';
import type { Measure } from '../core/measure.js';
import { asRecord } from '../core/state-json.js';
import { asTensor } from '../core/tensor.js';
import { DEFAULT_GROUPS } from '../krs/groups.js';
import { type KrsBatch, KrsMetric, type KrsMetricOptions, type KrsResult } from '../krs/metric.js';
import { taskSpec } from '../tasks/registry.js';
import type { OutputOptions, OutputResult } from '../tasks/spec.js';

/** A run's KRS settings: `KrsMetricOptions` without the backend (plain JSON); `pairs: []` makes an output-only run. */
export type RunSettings = Omit<KrsMetricOptions, 'backend'>;

/** Scores of one point or one merged window (points, 0–100). */
export interface PointScores {
  n: number;
  fss: number | null;
  aoa: number;
  krs: number | null;
  ci95: { fss: [number, number] | null; aoa: [number, number] | null; krs: [number, number] | null };
  layers: { teacher: string; student: string; similarity: string; score: number; n: number; ci95: [number, number] | null }[];
  /** The output agreement's result (metric name, aoa, n and its own figures). */
  output: OutputResult;
  warnings: string[];
}

/** A state of a run's metric: fold batches in, merge, compute, serialise. */
export interface ServedState {
  update(batch: KrsBatch): Promise<void>;
  merge(other: ServedState): ServedState;
  compute(): Promise<{ scores: PointScores; result: KrsResult | null }>;
  toJSON(): unknown;
}

/** Checks the settings (as the metric's constructor does) and returns an empty state. @throws KrsError BAD_OPTION. */
export function emptyState(settings: RunSettings): ServedState {
  return settings.pairs.length === 0 ? new OutputsState(settings) : new KrsState(new KrsMetric(settings));
}

/**
 * A posted state, validated field by field and checked against the run's settings.
 * @throws KrsError BAD_VALUE naming the field or the setting that differs.
 */
export function restoreState(settings: RunSettings, json: unknown): ServedState {
  if (settings.pairs.length === 0) {
    const s = OutputsState.fromJSON(json);
    const want = new OutputsState(settings);
    if (canonical(s.key()) !== canonical(want.key())) throw mismatch(s.key(), want.key());
    return s;
  }
  const expected = new KrsMetric(settings);
  precheck(json, expected);
  const m = KrsMetric.fromJSON(json);
  const want = settingsKey(expected);
  const got = settingsKey(m);
  if (canonical(got) !== canonical(want)) throw mismatch(got, want);
  return new KrsState(m);
}

/**
 * Cheap checks of a posted state's options before it is restored: restoring sizes arrays by
 * the state's own group count, so a state claiming a billion groups must be refused first.
 */
function precheck(json: unknown, expected: KrsMetric): void {
  const o = (json as { options?: { intervals?: unknown; pairs?: unknown } } | null)?.options;
  if (!o || typeof o !== 'object') return; // fromJSON names what is missing
  const iv = o.intervals;
  const groups = iv === false ? 1 : iv && typeof iv === 'object' ? ((iv as { groups?: unknown }).groups ?? DEFAULT_GROUPS) : DEFAULT_GROUPS;
  if (groups !== expected.groups) throw errors.badValue("the state's groups", JSON.stringify(groups), `the run's groups ${expected.groups}`);
  if (Array.isArray(o.pairs) && o.pairs.length !== expected.options.pairs.length)
    throw errors.badValue("the state's pairs", o.pairs.length, `the run's ${expected.options.pairs.length} layer pairs`);
}

function mismatch(got: Record<string, unknown>, want: Record<string, unknown>): KrsError {
  const diff = Object.keys(want).filter((k) => canonical(got[k]) !== canonical(want[k]));
  const k = diff[0] ?? 'settings';
  return errors.badValue(`the state's ${k}`, canonical(got[k]), `the run's ${k} ${canonical(want[k])}`);
}

/** The settings that must agree for two states to merge into one meaningful score. */
function settingsKey(m: KrsMetric): Record<string, unknown> {
  const o = m.options;
  return {
    task: o.task,
    pairs: o.pairs.map((p) => ({ teacher: p.teacher, student: p.student })),
    alpha: m.alpha,
    similarity: o.similarity ?? null,
    pool: m.pool,
    groups: m.groups,
    output: o.output ?? {},
    estimator: o.estimator ?? null,
    channelsLast: o.channelsLast ?? null,
  };
}

/** JSON with sorted keys. */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x,
  );
}

class KrsState implements ServedState {
  constructor(readonly metric: KrsMetric) {}
  update(batch: KrsBatch): Promise<void> {
    return this.metric.update(batch);
  }
  merge(other: ServedState): ServedState {
    return new KrsState(this.metric.merge((other as KrsState).metric));
  }
  async compute(): Promise<{ scores: PointScores; result: KrsResult }> {
    // Reasons and warnings name the library's options as such (no option markers in the API).
    const r = nameOptionsIn(await this.metric.compute());
    return {
      result: r,
      scores: {
        n: r.n,
        fss: r.fss,
        aoa: r.aoa,
        krs: r.krs,
        ci95: r.ci95,
        layers: r.layers.map((l) => ({ teacher: l.teacher, student: l.student, similarity: l.similarity, score: l.score, n: l.n, ci95: l.ci95 })),
        output: r.output,
        warnings: r.warnings,
      },
    };
  }
  toJSON(): unknown {
    return this.metric.toJSON();
  }
}

const OUTPUTS_VERSION = 1;

/** Output agreement only (a run without layer pairs). */
class OutputsState implements ServedState {
  private readonly m: Measure<unknown, OutputBatch, OutputResult>;
  state: unknown;
  readonly task: string;
  readonly output: OutputOptions;
  constructor(settings: Pick<RunSettings, 'task' | 'output'>, state?: unknown) {
    const spec = taskSpec(settings.task);
    this.task = settings.task;
    this.output = settings.output ?? {};
    this.m = spec.agreement.measure(this.output) as Measure<unknown, OutputBatch, OutputResult>;
    this.state = state === undefined ? this.m.init() : this.m.fromJSON(state);
  }
  static fromJSON(json: unknown): OutputsState {
    const what = 'output-agreement';
    const o = asRecord(json, what);
    if (o.kind !== 'outputs') throw errors.badState(what, `kind must be "outputs" for a run without layer pairs (got ${JSON.stringify(o.kind)})`);
    if (o.version !== OUTPUTS_VERSION) throw errors.badState(what, `unsupported version ${JSON.stringify(o.version)} (expected ${OUTPUTS_VERSION})`);
    const options = asRecord(o.options, what, 'options');
    if (typeof options.task !== 'string') throw errors.badState(what, 'options.task must be a task name');
    return new OutputsState({ task: options.task as RunSettings['task'], output: (options.output ?? {}) as OutputOptions }, o.state);
  }
  key(): Record<string, unknown> {
    return { task: this.task, output: this.output };
  }
  async update(batch: KrsBatch): Promise<void> {
    const { teacherOutput: t, studentOutput: s, outputMask } = batch;
    if (t === undefined || s === undefined) throw errors.badValue('batch', 'no outputs', 'teacherOutput and studentOutput (this run has no layer pairs)');
    await this.m.update(this.state, {
      teacherOutput: asTensor(t, 'teacher outputs'),
      studentOutput: asTensor(s, 'student outputs'),
      ...(outputMask ? { outputMask } : {}),
    });
  }
  merge(other: ServedState): ServedState {
    const o = other as OutputsState;
    const merged = new OutputsState({ task: this.task as RunSettings['task'], output: this.output });
    merged.state = this.m.merge(this.state, o.state);
    return merged;
  }
  async compute(): Promise<{ scores: PointScores; result: null }> {
    const r = this.m.compute(this.state);
    if (!(r.n > 0)) throw errors.undefinedResult('AOA', 'no samples were seen');
    return {
      result: null,
      scores: { n: r.n, fss: null, aoa: r.aoa, krs: null, ci95: { fss: null, aoa: null, krs: null }, layers: [], output: r, warnings: [] },
    };
  }
  toJSON(): unknown {
    return { version: OUTPUTS_VERSION, kind: 'outputs', options: { task: this.task, output: this.output }, state: this.m.toJSON(this.state) };
  }
}

/** Merge states in order (none: null). */
export function mergeStates(states: readonly ServedState[]): ServedState | null {
  let acc: ServedState | null = null;
  for (const s of states) acc = acc === null ? s : acc.merge(s);
  return acc;
}
