/**
 * Small float64 vector and matrix helpers for O(p²) bookkeeping (never the O(n·p²) work,
 * which belongs to a {@link MatrixBackend}).
 */

/** Σᵢ aᵢbᵢ. */
export function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** M·v for M (rows × cols, row-major) and v (cols). */
export function matVec(m: Float64Array, rows: number, cols: number, v: Float64Array): Float64Array {
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    const o = i * cols;
    for (let j = 0; j < cols; j++) s += m[o + j]! * v[j]!;
    out[i] = s;
  }
  return out;
}

/** Mᵀ·v for M (rows × cols, row-major) and v (rows). */
export function matTVec(m: Float64Array, rows: number, cols: number, v: Float64Array): Float64Array {
  const out = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const vi = v[i]!;
    if (vi === 0) continue;
    const o = i * cols;
    for (let j = 0; j < cols; j++) out[j] += m[o + j]! * vi;
  }
  return out;
}

/** ‖M‖²_F. */
export function frobeniusSquared(m: Float64Array): number {
  let s = 0;
  for (let i = 0; i < m.length; i++) s += m[i]! * m[i]!;
  return s;
}

/** Trace of a square row-major matrix of side n. */
export function trace(m: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += m[i * n + i]!;
  return s;
}

/**
 * Column sums of an n × p row-major matrix, in float64. Four rows at a time, so each
 * accumulator update does four loads: about twice as fast as a row-by-row loop.
 */
export function columnSums(data: Float64Array | Float32Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(cols);
  const rows4 = rows - (rows % 4);
  for (let i = 0; i < rows4; i += 4) {
    const o = i * cols;
    for (let j = 0; j < cols; j++) {
      const k = o + j;
      out[j] += data[k]! + data[k + cols]! + (data[k + 2 * cols]! + data[k + 3 * cols]!);
    }
  }
  for (let i = rows4; i < rows; i++) {
    const o = i * cols;
    for (let j = 0; j < cols; j++) out[j] += data[o + j]!;
  }
  return out;
}

/**
 * Add the rows of an n × p row-major matrix into `sums` (float64), one row after another: the
 * very additions, in the same order, of a row-by-row loop (so the same bits, whatever else
 * sums the same rows that way), but four rows per pass over the accumulators — each `sums[j]`
 * is loaded and stored once per four values, about 2.5× faster on wide rows.
 */
export function addColumnSumsInOrder(sums: Float64Array, data: Float64Array | Float32Array, rows: number, cols: number): void {
  const rows4 = rows - (rows % 4);
  for (let i = 0; i < rows4; i += 4) {
    const o = i * cols;
    for (let j = 0; j < cols; j++) {
      const k = o + j;
      let v = sums[j]!;
      v += data[k]!;
      v += data[k + cols]!;
      v += data[k + 2 * cols]!;
      v += data[k + 3 * cols]!;
      sums[j] = v;
    }
  }
  for (let i = rows4; i < rows; i++) {
    const o = i * cols;
    for (let j = 0; j < cols; j++) sums[j] += data[o + j]!;
  }
}

/** Column means of an n × p row-major matrix. */
export function columnMeans(data: Float64Array | Float32Array, rows: number, cols: number): Float64Array {
  const out = columnSums(data, rows, cols);
  for (let j = 0; j < cols; j++) out[j] /= rows;
  return out;
}

/** Subtract a row vector from every row, in float64 (returns a new array). */
export function subtractRow(data: Float64Array | Float32Array, rows: number, cols: number, row: Float64Array): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    for (let j = 0; j < cols; j++) out[o + j] = data[o + j]! - row[j]!;
  }
  return out;
}

/** Squared Euclidean norm of every row. */
export function rowSquaredNorms(data: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    const o = i * cols;
    for (let j = 0; j < cols; j++) s += data[o + j]! * data[o + j]!;
    out[i] = s;
  }
  return out;
}

/** target += source, element-wise. */
export function addInto(target: Float64Array, source: Float64Array): void {
  for (let i = 0; i < target.length; i++) target[i] += source[i]!;
}
