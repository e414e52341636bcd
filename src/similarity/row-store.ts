/**
 * The rows of one layer's pooled features kept for the sample-space route of exact CKA:
 * float32 rows stay float32 (half the memory; the products are float32 on the fast backend
 * anyway), float64 rows stay float64. Column sums are accumulated in float64 as rows arrive,
 * so the column means that centre the Gram blocks are exact. Merging concatenates (exact; {@link ROW_STORE}).
 * Memory: rows × cols × 4 or 8 bytes.
 */
import { errors } from '../core/errors.js';
import { declareState, fixed, integer, rowChunks, sum, sumFloat64 } from '../core/state.js';
import { addColumnSumsInOrder } from '../linalg/vector.js';

export interface RowStore {
  readonly cols: number;
  rows: number;
  /** Row-major chunks, each holding whole rows. */
  chunks: (Float32Array | Float64Array)[];
  /** Σ over rows of each column, float64. */
  colSums: Float64Array;
}

/**
 * The store, declared once (src/core/state.ts): rows concatenated in sample order (a's then
 * b's, float32 kept float32), column sums added; the width must match (SHAPE_MISMATCH). Stored
 * as `{cols, rows, float32, data, colSums}`, the rows bit for bit as float64.
 */
export const ROW_STORE = declareState<RowStore>({
  measure: 'sample-space CKA',
  fields: {
    cols: fixed(integer(1), { merge: (a, b) => errors.shapeMismatch('merging stored feature rows', `width ${a.cols}`, `width ${b.cols}`) }),
    rows: sum(integer()),
    chunks: rowChunks('rows', 'cols'),
    colSums: sumFloat64((s) => s.cols!),
  },
});

export function initRowStore(cols: number): RowStore {
  return ROW_STORE.init({ cols });
}

/**
 * Append `rows` rows (row-major; the caller's array is never modified). By default the store
 * keeps a copy. With `keep`, the caller hands the array over: the store keeps a view of it as it
 * is — no copy, and no second full copy of the rows next to the Gram pass's centred one — so
 * no one may write to the array while the store (or a merge of it) lives. Stored rows are never
 * written to, so views and copies read alike.
 */
export function appendRows(store: RowStore, data: Float32Array | Float64Array, rows: number, keep = false): void {
  const { cols, colSums } = store;
  // slice copies the bytes (Float32Array.from walks an iterator: ~50× slower on wide rows).
  const copy = keep ? data.subarray(0, rows * cols) : data.slice(0, rows * cols);
  addColumnSumsInOrder(colSums, copy, rows, cols);
  store.chunks.push(copy);
  store.rows += rows;
}

/** A new store holding a's rows then b's (both untouched). */
export const mergeRowStores: (a: RowStore, b: RowStore) => RowStore = ROW_STORE.merge;

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
