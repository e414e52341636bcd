/**
 * The service's CPU work, as plain functions of plain data (docs/service.md §"Threads"): read
 * and score a posted batch or state, merge and score stored states, compare runs. The compute
 * pool (compute/pool.ts) runs them on worker threads, so none of it blocks the event loop.
 */
import { createHash } from 'node:crypto';
import { errors, KrsError } from '../../core/errors.js';
import { stateFileDocument } from '../../io/state-file.js';
import { type Comparison, compareTwo } from '../../krs/compare.js';
import type { KrsResult } from '../../krs/metric.js';
import { batchFromBytes, batchFromJson, type ParsedBatch } from '../batch.js';
import { httpErrors } from '../http-error.js';
import { parseJsonBody } from '../json-body.js';
import { emptyState, mergeStates, type PointScores, type RunSettings, restoreState, type ServedState } from '../metric.js';
import { restoreBytes, type ShapeSignature, shapeSignature, stateBytes } from '../state-codec.js';

/** How a body was sent: JSON, or bytes (npz/safetensors batch, or a state file). */
export type BodyKind = 'json' | 'binary';

export interface PostBody {
  kind: BodyKind;
  bytes: Uint8Array;
  /** `step` and `time` of the query string (a JSON body's own fields win). */
  query: { step?: number; time?: string };
  /** Make a hash of the request (for an Idempotency-Key). */
  hash: boolean;
}

/** A post read and scored: what the store commits. */
export interface Ingested {
  at: { step?: unknown; time?: unknown };
  n: number;
  scores: PointScores;
  state: Uint8Array;
  signature: ShapeSignature;
  hash?: string;
}

function requestHash(route: string, b: PostBody): string {
  return createHash('sha256').update(route).update(JSON.stringify(b.query)).update(b.bytes).digest('hex');
}

/**
 * A state's scores, bytes and shapes. `bytes`: the state as posted in a state file, kept as
 * sent (it was validated by restoring it); otherwise the state is encoded.
 */
async function scored(state: ServedState, what: string, bytes?: Uint8Array): Promise<Pick<Ingested, 'n' | 'scores' | 'state' | 'signature'>> {
  const { scores } = await state.compute().catch((e) => {
    if (e instanceof KrsError && e.code === 'UNDEFINED') throw httpErrors.badRequest(`the posted ${what} scores nothing: ${e.message}`, 'EMPTY');
    throw e;
  });
  const file = bytes ?? stateBytes(state);
  return { n: scores.n, scores, state: file, signature: shapeSignature(stateFileDocument(file, `the ${what}`)) };
}

/**
 * Read a posted batch. A run whose teacher runs on the server gets the parsed batch back
 * (`teacher`: the service runs the teacher, then {@link scoreBatch}); otherwise it is scored.
 */
export async function ingestBatch(
  settings: RunSettings,
  body: PostBody,
  teacherOnServer: boolean,
): Promise<Ingested | { parsed: ParsedBatch; at: Ingested['at']; hash?: string }> {
  let batch: ParsedBatch;
  let at: Ingested['at'] = body.query;
  if (body.kind === 'binary') batch = batchFromBytes(body.bytes);
  else {
    const json = parseJsonBody(body.bytes) as Record<string, unknown>;
    batch = batchFromJson(json);
    at = { step: json.step ?? body.query.step, time: json.time ?? body.query.time };
  }
  const hash = body.hash ? requestHash('batches', body) : undefined;
  const hasInputs = batch.inputs !== undefined && Object.keys(batch.inputs).length > 0;
  if (teacherOnServer) {
    if (!hasInputs) throw httpErrors.badRequest("this run runs its teacher on the server: post the inputs (inputs / input.<name>) with the student's outputs");
    if (batch.teacherOutput !== undefined || Object.keys(batch.teacher ?? {}).length)
      throw httpErrors.badRequest('this run runs its teacher on the server: post no teacher arrays');
    return { parsed: batch, at, ...(hash ? { hash } : {}) };
  }
  if (hasInputs) throw httpErrors.badRequest("this run has no teacher model on the server: post the teacher's arrays, not inputs");
  return { ...(await scoreBatch(settings, batch)), at, ...(hash ? { hash } : {}) };
}

/** Fold a whole batch (teacher arrays included) into an empty state of the run and score it. */
export async function scoreBatch(settings: RunSettings, batch: ParsedBatch): Promise<Omit<Ingested, 'at'>> {
  const state = emptyState(settings);
  await state.update(batch);
  return scored(state, 'batch');
}

/** Read a posted metric state (JSON `{state, step?, time?}` or a state file), validated and checked against the run's settings, and score it. */
export async function ingestState(settings: RunSettings, body: PostBody): Promise<Ingested> {
  let state: ServedState;
  let at: Ingested['at'] = body.query;
  const hash = body.hash ? requestHash('states', body) : undefined;
  if (body.kind === 'binary') {
    state = restoreBytes(settings, body.bytes, 'the posted state file');
    return { ...(await scored(state, 'state', body.bytes)), at, ...(hash ? { hash } : {}) };
  } else {
    const b = parseJsonBody(body.bytes);
    if (!b || typeof b !== 'object' || Array.isArray(b) || (b as { state?: unknown }).state === undefined)
      throw httpErrors.badRequest('body: expected {state, step?, time?} with state = KrsMetric.toJSON()', 'BAD_VALUE');
    const o = b as Record<string, unknown>;
    const extra = Object.keys(o).find((k) => !['state', 'step', 'time'].includes(k));
    if (extra) throw httpErrors.badRequest(`body field ${JSON.stringify(extra)}: expected only state, step and time`, 'BAD_VALUE');
    state = restoreState(settings, o.state);
    at = { step: o.step ?? body.query.step, time: o.time ?? body.query.time };
  }
  return { ...(await scored(state, 'state')), at, ...(hash ? { hash } : {}) };
}

/** What reading merged states may also return. */
export interface ScoreOptions {
  /** The merged state as JSON text (`window?state=true`). */
  stateJson?: boolean;
  /** The full KrsResult (for comparisons). */
  result?: boolean;
}

function mergeBytes(settings: RunSettings, states: readonly Uint8Array[]): ServedState {
  const m = mergeStates(states.map((s) => restoreBytes(settings, s, 'a stored state')));
  if (!m) throw errors.internal('scoring no states');
  return m;
}

/** Scores of the merge of stored states (and, on request, the merged state or the full result). */
export async function scoreStates(
  settings: RunSettings,
  states: readonly Uint8Array[],
  o: ScoreOptions = {},
): Promise<{ scores: PointScores; stateJson?: string; result?: KrsResult | null }> {
  const m = mergeBytes(settings, states);
  const { scores, result } = await m.compute();
  return { scores, ...(o.stateJson ? { stateJson: JSON.stringify(m.toJSON()) } : {}), ...(o.result ? { result } : {}) };
}

/** The merge of stored states, as bytes (a bucket's state to keep). */
export function mergeToBytes(settings: RunSettings, states: readonly Uint8Array[]): Uint8Array {
  return stateBytes(mergeBytes(settings, states));
}

export interface CompareInput {
  name: string;
  settings: RunSettings;
  points: number;
  states: Uint8Array[];
}

/** Each run's window merged and scored, and every pair compared (Δ = later − earlier, paired jackknife). */
export async function compareRuns(
  runs: readonly CompareInput[],
): Promise<{ runs: { name: string; points: number; scores: PointScores }[]; comparisons: Comparison[] }> {
  const scoredRuns = [];
  for (const r of runs) scoredRuns.push({ name: r.name, points: r.points, ...(await scoreStates(r.settings, r.states, { result: true })) });
  const comparisons: Comparison[] = [];
  for (let i = 0; i < scoredRuns.length; i++) for (let j = i + 1; j < scoredRuns.length; j++) comparisons.push(comparePair(scoredRuns[i]!, scoredRuns[j]!));
  return { runs: scoredRuns.map((r) => ({ name: r.name, points: r.points, scores: r.scores })), comparisons };
}

function comparePair(a: { name: string; scores: PointScores; result?: KrsResult | null }, b: typeof a): Comparison {
  if (a.result && b.result) return compareTwo({ name: a.name, result: a.result }, { name: b.name, result: b.result });
  const reason = 'output-only runs have no leave-one-group-out values';
  const d = (x: number | null, y: number | null) => (x === null || y === null ? null : y - x);
  return {
    a: a.name,
    b: b.name,
    delta: { krs: d(a.scores.krs, b.scores.krs), fss: d(a.scores.fss, b.scores.fss), aoa: b.scores.aoa - a.scores.aoa } as Comparison['delta'],
    ci95: { krs: null, fss: null, aoa: null },
    se: { krs: null, fss: null, aoa: null },
    p: { krs: null, fss: null, aoa: null },
    groups: 0,
    reasons: { krs: reason, fss: reason, aoa: reason },
  };
}

/** The run page's chart as SVG (vega, loaded on first use): rendering takes tens of milliseconds, so it runs here too. */
export async function renderChart(name: string, series: import('../charts.js').SeriesLike): Promise<string> {
  const { runChartSvg } = await import('../charts.js');
  return runChartSvg(name, series);
}

/** Every task, by name (what the pool and its threads call). */
export const COMPUTE_TASKS = { ingestBatch, ingestState, scoreBatch, scoreStates, mergeToBytes, compareRuns, renderChart };
