/** Stored states as the store's queries meet them: blobs as bytes, a point's state, the merge of several. */
import type { Kysely } from 'kysely';
import { errors } from '../../core/errors.js';
import { mergeStates, restoreState, type RunSettings, type ServedState } from '../metric.js';
import type { Database } from './schema.js';

/** A blob as a Uint8Array (better-sqlite3 and pg both give Buffers). */
export function toBytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return new Uint8Array(v as ArrayBuffer);
}

/** The stored state of a point. */
export async function pointState(db: Kysely<Database>, pointId: number): Promise<Uint8Array> {
  const r = await db.selectFrom('krs_state').select('bytes').where('point_id', '=', pointId).executeTakeFirst();
  if (!r) throw errors.internal(`point ${pointId} has no stored state`);
  return toBytes(r.bytes);
}

/** The merge of state documents, each restored (validated field by field) with the run's settings. */
export function merged(settings: RunSettings, docs: readonly unknown[]): ServedState {
  const m = mergeStates(docs.map((d) => restoreState(settings, d)));
  if (!m) throw errors.internal('merging no states');
  return m;
}
