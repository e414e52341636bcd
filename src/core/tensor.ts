/**
 * The array type every reader produces and every metric consumes.
 *
 * Data are row-major (C order) whatever the file's order; float16 and bfloat16
 * are widened to Float32Array on load (the `dtype` keeps the file's type), bool
 * is a Uint8Array of 0/1, and 64-bit integers stay BigInt64Array/BigUint64Array
 * so that sample ids keep every digit.
 */
import { errors, fmtShape } from './errors.js';

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
function dtypeOfArray(data: NumericArray): DType {
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

/** The kinds of value {@link asTensor} accepts. */
export type TensorLike = Tensor | NumericArray | NestedNumbers;
/** Plain JS arrays of numbers, nested to any depth (`number[]`, `number[][]`, …); rows may be typed arrays. */
export type NestedNumbers = readonly (number | NestedNumbers | NumericArray)[];

const ACCEPTED = 'a Tensor, a typed array, or rectangular nested arrays of numbers';

function isNumericArray(v: unknown): v is NumericArray {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

function isTensorObject(v: unknown): v is Tensor {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || ArrayBuffer.isView(v)) return false;
  const t = v as Partial<Tensor>;
  return isNumericArray(t.data) && Array.isArray(t.shape) && typeof t.dtype === 'string';
}

/** A short, bounded description of a value for an error message. */
function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return `the string '${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`;
  if (typeof v === 'bigint') return `the bigint ${v}`;
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${v}`;
  if (typeof v === 'function') return 'a function';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return `an object (${Object.prototype.toString.call(v).slice(8, -1)})`;
}

/** `row 3` for a top-level index, `element [3][1]` deeper down. */
function position(path: readonly number[]): string {
  return path.length === 1 ? `row ${path[0]}` : `element [${path.join('][')}]`;
}

/**
 * Accept the array-like values a library user is likely to pass and return a {@link Tensor}.
 *
 * - A Tensor (`{ dtype, shape, data }` with a typed array) is returned as it is, after
 *   checking that its shape holds non-negative integers whose product is `data.length`.
 * - A typed array becomes a 1-D tensor of its own dtype (a view, no copy).
 * - Plain nested arrays of numbers of any depth (`[1, 2]`, `[[1, 2], [3, 4]]`, …) become a
 *   float64 tensor whose shape is read from the nesting (`number[][]` of n rows of p values is
 *   [n, p]). The innermost level may also be a typed array (e.g. an array of Float32Array
 *   rows). NaN and ±Infinity are numbers and are kept (metrics reject them where it matters,
 *   naming the position).
 *
 * `what` names the value in messages, e.g. `teacher layer 'fc'`.
 *
 * @throws KrsError SHAPE_MISMATCH for ragged nesting, naming the position and both lengths
 *   (`teacher layer 'fc' row 3: expected 5 values (as row 0 has), got 4`), for an array with
 *   no values (an empty axis), or for a Tensor whose shape and data disagree; BAD_VALUE for
 *   a leaf that is not a number (a string, null, a bigint, an object…) or for anything that
 *   is not a Tensor, typed array or array at all.
 */
export function asTensor(value: unknown, what: string): Tensor {
  if (isTensorObject(value)) {
    const shape = value.shape;
    if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw errors.badValue(`${what} shape`, JSON.stringify(shape), 'non-negative integer dimensions');
    }
    if (sizeOf(shape) !== value.data.length) {
      throw errors.shapeMismatch(what, `${sizeOf(shape)} values for shape ${fmtShape(shape)}`, `${value.data.length} in its data`);
    }
    return value;
  }
  if (isNumericArray(value)) {
    if (value.length === 0) throw errors.shapeMismatch(what, 'at least one value', 'an empty typed array');
    return { dtype: dtypeOfArray(value), shape: [value.length], data: value };
  }
  if (!Array.isArray(value)) throw errors.badValue(what, describeValue(value), ACCEPTED);
  // The shape, read down the first elements.
  const shape: number[] = [];
  let probe: unknown = value;
  while (Array.isArray(probe) || isNumericArray(probe)) {
    const len = (probe as ArrayLike<unknown>).length;
    shape.push(len);
    if (len === 0) break;
    probe = Array.isArray(probe) ? probe[0] : undefined;
  }
  if (shape.includes(0)) throw errors.shapeMismatch(what, 'at least one value on every axis', `shape ${fmtShape(shape)}`);
  const out = new Float64Array(sizeOf(shape));
  let k = 0;
  const path: number[] = [];
  const walk = (node: unknown, depth: number): void => {
    const expected = shape[depth]!;
    const leafLevel = depth === shape.length - 1;
    if (isNumericArray(node)) {
      if (!leafLevel) throw errors.shapeMismatch(`${what} ${position(path)}`, `an array of ${expected} arrays`, `a typed array of ${node.length} values`);
      if (node.length !== expected) throw errors.shapeMismatch(`${what} ${position(path)}`, `${expected} values (as the first has)`, `${node.length}`);
      for (let i = 0; i < node.length; i++) out[k++] = Number(node[i]);
      return;
    }
    if (!Array.isArray(node)) {
      throw errors.badValue(`${what} ${position(path)}`, describeValue(node), leafLevel ? `an array of ${expected} numbers` : `an array of ${expected} arrays`);
    }
    if (node.length !== expected) {
      const unit = leafLevel ? 'values' : 'arrays';
      throw errors.shapeMismatch(`${what}${path.length ? ` ${position(path)}` : ''}`, `${expected} ${unit} (as the first has)`, `${node.length}`);
    }
    for (let i = 0; i < node.length; i++) {
      const v: unknown = node[i];
      path.push(i);
      if (leafLevel) {
        if (typeof v !== 'number') throw errors.badValue(`${what} ${position(path)}`, describeValue(v), 'a number');
        out[k++] = v;
      } else walk(v, depth + 1);
      path.pop();
    }
  };
  walk(value, 0);
  return { dtype: 'float64', shape, data: out };
}
