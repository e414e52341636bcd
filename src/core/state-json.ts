/**
 * The primitive checks under declared states (src/core/state.ts) and the few hand-read JSON
 * documents (KrsMetric, shard documents, Gram shares): each names the measure and the field,
 * so a corrupt state is a one-line BAD_VALUE error (never a state that fails later). Internal
 * (not re-exported by the barrel).
 */
import { errors } from './errors.js';

/** A plain-object view of a parsed JSON value, or a BAD_VALUE naming the measure. */
export function asRecord(json: unknown, measure: string, what = 'state'): Record<string, unknown> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw errors.badState(measure, `${what} must be a JSON object, got ${json === null ? 'null' : Array.isArray(json) ? 'an array' : typeof json}`);
  }
  return json as Record<string, unknown>;
}

/** Check the `measure` and `version` tags of a serialised state. */
export function checkTag(obj: Record<string, unknown>, measure: string, version: number): void {
  if (obj.measure !== measure) {
    throw errors.badState(measure, `it was written by ${JSON.stringify(obj.measure)}, not ${JSON.stringify(measure)}`);
  }
  if (obj.version !== version) {
    throw errors.badState(measure, `unsupported version ${JSON.stringify(obj.version)} (expected ${version})`);
  }
}

/** Throw unless two configurations are equal (same keys, same primitive values). */
export function assertSameConfig<C extends object>(a: C, b: C, measure: string, verb: 'merge' | 'update' | 'restore'): void {
  const ka = Object.keys(a).sort();
  for (const k of ka) {
    const va = (a as Record<string, unknown>)[k];
    const vb = (b as Record<string, unknown>)[k];
    if (!Object.is(va, vb)) {
      const reason = `option ${k} differs (${JSON.stringify(va)} vs ${JSON.stringify(vb)})`;
      if (verb === 'restore') throw errors.badState(measure, reason);
      throw errors.incompatibleStates(measure, verb === 'merge' ? 'merge' : 'update a', `it was made with other options: ${reason}`);
    }
  }
}

/** An integer ≥ `min` stored under `key`. */
export function getInteger(obj: Record<string, unknown>, key: string, measure: string, min = 0): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    throw errors.badState(measure, `${key} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  }
  return v;
}
