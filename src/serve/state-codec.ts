/**
 * How the service stores, relabels and checks metric states (docs/service.md §"States").
 *
 * - **Bytes**: a stored state is the state file format (src/io/state-file.ts: safetensors whose
 *   F64 tensors are the state's float64 arrays and whose metadata holds the rest), never JSON
 *   text: a 1 MB state is stored as ~1 MB, and read back without base64.
 * - **Group rotation**: a post's metric groups its samples from 0 (sample j → group j mod G).
 *   Stored after S samples of the run, it is relabelled so that sample j is in group
 *   (S + j) mod G — what one KrsMetric fed every post's batches in order would have done — so a
 *   window's intervals are those of that metric. A relabelling of groups is exact (no value
 *   changes) and leaves the post's own scores as they are.
 * - **Shape signature**: the widths, similarities and class count a state was made with, by
 *   name. The first post fixes a run's; a later post that differs is refused, so one bad post
 *   cannot make a run's states unmergeable.
 */
import { errors } from '../core/errors.js';
import { decodeStateFile, encodeStateFile } from '../io/state-file.js';
import { type RunSettings, restoreState, type ServedState } from './metric.js';

/** Encode a state as bytes (the state file format). */
export function stateBytes(state: ServedState): Uint8Array {
  return encodeStateFile(state.toJSON());
}

/** Restore stored or posted bytes as a state of the run, validated field by field. @throws BAD_VALUE for bytes that are not a krs state file. */
export function restoreBytes(settings: RunSettings, bytes: Uint8Array, source = 'the state'): ServedState {
  return restoreState(settings, decodeStateFile(bytes, source));
}

/** Running sample counts of the two streams a KrsMetric groups (features and outputs). */
export interface SampleCounts {
  features: number;
  outputs: number;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The samples a state holds (its `seen` counts), or zeros for a state without groups. */
export function seenOf(doc: unknown): SampleCounts {
  const seen = isObject(doc) && isObject(doc.state) ? doc.state.seen : undefined;
  if (!isObject(seen)) return { features: 0, outputs: 0 };
  const n = (v: unknown) => (Number.isInteger(v) && (v as number) >= 0 ? (v as number) : 0);
  return { features: n(seen.features), outputs: n(seen.outputs) };
}

/**
 * Whether a metric state's groups may be relabelled: interleaved groups (no `samples` total:
 * contiguous blocks are not a cyclic assignment) and every pair keeping one state per group
 * (a coarsened pair merges adjacent groups, which a rotation would split).
 */
function rotatable(doc: unknown): boolean {
  if (!isObject(doc) || !isObject(doc.options) || !isObject(doc.state)) return false;
  const o = doc.options;
  if (o.samples !== undefined || (isObject(o.intervals) && o.intervals.samples !== undefined)) return false;
  if (o.firstSample !== undefined && o.firstSample !== 0) return false;
  const pairs = doc.state.pairs;
  return Array.isArray(pairs) && pairs.every((p) => isObject(p) && (p.factor === null || p.factor === 0 || p.factor === 1));
}

/** `a` turned by `k` places: element g moves to (g + k) mod length. */
function rotate<T>(a: readonly T[], k: number): T[] {
  const n = a.length;
  if (n === 0) return [...a];
  const out = new Array<T>(n);
  for (let g = 0; g < n; g++) out[(g + k) % n] = a[g]!;
  return out;
}

/**
 * A metric state document with its groups relabelled as if its first sample had running index
 * `offset` (per stream): group g becomes (g + offset) mod G. Returns the document unchanged
 * when it has no groups to turn or is not {@link rotatable}.
 */
export function rotateGroups(doc: unknown, offset: SampleCounts): unknown {
  if (!rotatable(doc)) return doc;
  const d = doc as Json & { state: Json };
  const state = d.state;
  const outputs = state.outputs as unknown[];
  const G = outputs.length;
  const kf = offset.features % G;
  const ko = offset.outputs % G;
  if (kf === 0 && ko === 0) return doc;
  const rows = state.rows as { features: number[]; outputs: number[] };
  const pairs = (state.pairs as Json[]).map((p) => (p.factor === 1 ? { ...p, slots: rotate(p.slots as unknown[], kf) } : p));
  return {
    ...d,
    state: { ...state, pairs, outputs: rotate(outputs, ko), rows: { features: rotate(rows.features, kf), outputs: rotate(rows.outputs, ko) } },
  };
}

/** A state's shapes by name: layer widths and similarities, the outputs' class count or width. */
export type ShapeSignature = Record<string, string | number>;

/**
 * The shapes a state document was made with. Pairs: teacher and student widths and the
 * similarity chosen (the first group that holds samples); outputs: the class count
 * (classification, nlp) or the output width (regression) of the first group that has one.
 */
export function shapeSignature(doc: unknown): ShapeSignature {
  const sig: ShapeSignature = {};
  if (!isObject(doc) || !isObject(doc.state)) return sig;
  const state = doc.state;
  const options = isObject(doc.options) ? doc.options : {};
  const names = Array.isArray(options.pairs) ? (options.pairs as { teacher?: unknown; student?: unknown }[]) : [];
  if (Array.isArray(state.pairs)) {
    state.pairs.forEach((p, i) => {
      if (!isObject(p) || !Array.isArray(p.slots)) return;
      const active = p.slots.find((s) => isObject(s) && s.mode === 'active') as Json | undefined;
      if (!active) return;
      const name = `layer pair '${String(names[i]?.teacher)}':'${String(names[i]?.student)}'`;
      sig[`teacher width of ${name}`] = active.p as number;
      sig[`student width of ${name}`] = active.q as number;
      if (typeof p.similarity === 'string') sig[`similarity of ${name}`] = p.similarity;
    });
  }
  const outputs = Array.isArray(state.outputs) ? state.outputs : [state];
  for (const o of outputs) {
    if (!isObject(o)) continue;
    if (Number.isInteger(o.classes)) {
      sig['class count of the outputs'] = o.classes as number;
      break;
    }
    if (Number.isInteger(o.d)) {
      sig['width of the outputs'] = o.d as number;
      break;
    }
  }
  return sig;
}

/**
 * Check a post's shapes against the run's (fields both have must agree) and return the run's
 * shapes with the post's new fields added.
 * @throws SHAPE_MISMATCH naming the field and both values.
 */
export function checkSignature(run: ShapeSignature, post: ShapeSignature): ShapeSignature {
  for (const [field, value] of Object.entries(post)) {
    const fixed = run[field];
    if (fixed !== undefined && fixed !== value) {
      throw errors.shapeMismatch(`the posted ${field}`, `the run's ${JSON.stringify(fixed)} (fixed by its first post)`, JSON.stringify(value));
    }
  }
  return { ...run, ...post };
}
