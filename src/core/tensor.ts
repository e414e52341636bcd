/**
 * The array type every reader produces and every metric consumes.
 *
 * Data are row-major (C order) whatever the file's order; float16 and bfloat16
 * are widened to Float32Array on load (the `dtype` keeps the file's type), bool
 * is a Uint8Array of 0/1, and 64-bit integers stay BigInt64Array/BigUint64Array
 * so that sample ids keep every digit.
 */

export type DType = 'float16' | 'bfloat16' | 'float32' | 'float64' | 'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'uint16' | 'uint32' | 'uint64' | 'bool';

export type NumericArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/** A dense n-dimensional array, row-major. `data.length` equals the product of `shape`. */
export interface Tensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: NumericArray;
}

/** Shape and dtype of a stored array, known without reading its data. */
export interface TensorInfo {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/** Product of the dimensions (1 for a scalar). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** True for the floating-point dtypes. */
export function isFloat(dtype: DType): boolean {
  return dtype === 'float16' || dtype === 'bfloat16' || dtype === 'float32' || dtype === 'float64';
}

/** Make a tensor, checking that data length and shape agree. */
export function tensor(data: NumericArray, shape: readonly number[], dtype?: DType): Tensor {
  const n = sizeOf(shape);
  if (data.length !== n) throw new RangeError(`tensor: data length ${data.length} does not match shape [${shape.join(', ')}]`);
  return { data, shape: [...shape], dtype: dtype ?? dtypeOfArray(data) };
}

/** The dtype a typed array naturally holds. */
export function dtypeOfArray(data: NumericArray): DType {
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Uint16Array) return 'uint16';
  if (data instanceof Uint32Array) return 'uint32';
  if (data instanceof BigInt64Array) return 'int64';
  return 'uint64';
}

/** Element i as a JS number (64-bit integers beyond 2^53 lose precision; ids use {@link idAt}). */
export function numberAt(data: NumericArray, i: number): number {
  const v = data[i]!;
  return typeof v === 'bigint' ? Number(v) : v;
}

/** Element i as an exact id string (64-bit integers keep every digit). */
export function idAt(data: NumericArray, i: number): string {
  return String(data[i]);
}

/** Copy any numeric array into float64. */
export function toFloat64(data: NumericArray): Float64Array {
  if (data instanceof Float64Array) return data;
  const out = new Float64Array(data.length);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  } else {
    out.set(data);
  }
  return out;
}

/** Rows [start, end) of a tensor along axis 0, as a view when possible. */
export function sliceRows(t: Tensor, start: number, end: number): Tensor {
  const row = sizeOf(t.shape.slice(1));
  const data = t.data.subarray(start * row, end * row) as NumericArray;
  return { dtype: t.dtype, shape: [end - start, ...t.shape.slice(1)], data };
}

/**
 * Rows `rowsOf[start]`, …, `rowsOf[end − 1]` of a tensor along axis 0, copied in that order
 * (to put one side's samples in the other side's order). Same dtype.
 */
export function gatherRows(t: Tensor, rowsOf: Int32Array, start: number, end: number): Tensor {
  const row = sizeOf(t.shape.slice(1));
  const Ctor = t.data.constructor as { new (n: number): NumericArray };
  const data = new Ctor((end - start) * row);
  for (let i = start; i < end; i++) {
    const j = rowsOf[i]!;
    (data as Float64Array).set((t.data as Float64Array).subarray(j * row, (j + 1) * row), (i - start) * row);
  }
  return { dtype: t.dtype, shape: [end - start, ...t.shape.slice(1)], data };
}
