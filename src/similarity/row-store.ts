/**
 * The rows of one layer's pooled features kept for the sample-space route of exact CKA:
 * float32 rows stay float32 (half the memory; the products are float32 on the fast backend
 * anyway), float64 rows stay float64. Column sums are accumulated in float64 as rows arrive,
 * so the column means that centre the Gram blocks are exact. Merging concatenates (exact).
 * Memory: rows × cols × 4 or 8 bytes.
 */
import { errors } from '../core/errors.js';
import { decodeFiniteFloat64, encodeFloat64 } from '../core/serialize.js';
import { asRecord, getInteger } from '../core/state-json.js';

export interface RowStore {
  readonly cols: number;
  rows: number;
  /** Row-major chunks, each holding whole rows. */
  chunks: (Float32Array | Float64Array)[];
  /** Σ over rows of each column, float64. */
  colSums: Float64Array;
}

export function initRowStore(cols: number): RowStore {
  return { cols, rows: 0, chunks: [], colSums: new Float64Array(cols) };
}

/** Append a copy of `rows` rows (row-major; the caller's array is neither kept nor modified). */
export function appendRows(store: RowStore, data: Float32Array | Float64Array, rows: number): void {
  const { cols, colSums } = store;
  const copy = data instanceof Float32Array ? Float32Array.from(data.subarray(0, rows * cols)) : Float64Array.from(data.subarray(0, rows * cols));
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    for (let j = 0; j < cols; j++) colSums[j] += copy[o + j]!;
  }
  store.chunks.push(copy);
  store.rows += rows;
}

/** A new store holding a's rows then b's (both untouched). */
export function mergeRowStores(a: RowStore, b: RowStore): RowStore {
  if (a.cols !== b.cols) throw errors.shapeMismatch('merging stored feature rows', `width ${a.cols}`, `width ${b.cols}`);
  const colSums = Float64Array.from(a.colSums);
  for (let j = 0; j < a.cols; j++) colSums[j] += b.colSums[j]!;
  return { cols: a.cols, rows: a.rows + b.rows, chunks: [...a.chunks, ...b.chunks], colSums };
}

/** Column means (float64). */
export function columnMeansOf(store: RowStore): Float64Array {
  return store.colSums.map((s) => s / store.rows);
}

/**
 * Rows [start, end) as one contiguous array: a view when they lie in one chunk, else a copy
 * (float64 when any chunk is float64).
 */
export function readRowBlock(store: RowStore, start: number, end: number): Float32Array | Float64Array {
  const { cols } = store;
  let offset = 0;
  const parts: (Float32Array | Float64Array)[] = [];
  for (const chunk of store.chunks) {
    const rows = chunk.length / cols;
    const lo = Math.max(start, offset);
    const hi = Math.min(end, offset + rows);
    if (lo < hi) parts.push(chunk.subarray((lo - offset) * cols, (hi - offset) * cols));
    offset += rows;
    if (offset >= end) break;
  }
  if (parts.length === 1) return parts[0]!;
  const out = parts.every((p) => p instanceof Float32Array) ? new Float32Array((end - start) * cols) : new Float64Array((end - start) * cols);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Plain JSON (rows stored bit for bit as float64). */
export function rowStoreToJSON(store: RowStore): Record<string, unknown> {
  return {
    cols: store.cols,
    rows: store.rows,
    float32: store.chunks.every((c) => c instanceof Float32Array),
    data: encodeFloat64(Float64Array.from(readRowBlock(store, 0, store.rows))),
    colSums: encodeFloat64(store.colSums),
  };
}

/** Inverse of {@link rowStoreToJSON}. @throws BAD_VALUE naming the bad field. */
export function rowStoreFromJSON(json: unknown, what: string): RowStore {
  const o = asRecord(json, what, 'stored rows');
  const cols = getInteger(o, 'cols', what, 1);
  const rows = getInteger(o, 'rows', what);
  const data = decodeFiniteFloat64(o.data, `serialised ${what} rows`);
  const colSums = decodeFiniteFloat64(o.colSums, `serialised ${what} column sums`);
  if (data.length !== rows * cols) throw errors.badState(what, `the stored rows hold ${data.length} values, not rows × cols = ${rows * cols}`);
  if (colSums.length !== cols) throw errors.badState(what, `colSums must have ${cols} entries, got ${colSums.length}`);
  const chunk = o.float32 === true ? Float32Array.from(data) : data;
  return { cols, rows, chunks: rows ? [chunk] : [], colSums };
}
