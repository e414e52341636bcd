/**
 * NumPy `.npy` reader, hand-written over a {@link ByteSource}.
 *
 * Why not npyjs: it cannot read big-endian data or Fortran-ordered arrays, does not
 * detect truncated files, and always reads the whole file; this reader does all four
 * (row ranges read only the bytes of those rows).
 *
 * Format (numpy.lib.format): magic `\x93NUMPY`, major and minor version bytes, then the
 * header length — uint16 LE for version 1.0, uint32 LE for 2.0 and 3.0 — then the header,
 * a Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`
 * (latin-1 for 1.0/2.0, UTF-8 for 3.0) padded with spaces and a newline, then the raw data.
 *
 * Supported `descr`: float16/32/64 (`f2 f4 f8`), int8–int64 (`i1…i8`), uint8–uint64
 * (`u1…u8`) and bool (`b1`), with byte order `<` (little), `>` (big), `|` (not applicable)
 * or `=` (native, taken as little-endian). Complex, object, string, datetime, void and
 * structured dtypes are rejected. Fortran-ordered data are converted to row-major.
 * Bytes after the data are ignored, as NumPy does.
 *
 * Integrity and limits: before any value is decoded, the source is verified (a zip entry's
 * CRC, see `ByteSource.verify`) and the bytes to be held are checked against
 * `maxArrayBytes`; the header's declared length is checked against `maxHeaderBytes` and
 * the file's size before it is read (src/io/limits.ts).
 */
import { errors, fmtShape } from '../core/errors.js';
import { type DType, type NumericArray, sizeOf, type Tensor, type TensorInfo } from '../core/tensor.js';
import { allocBytes, decodedItemSize, decodeOwned, ITEM_SIZE, readElements } from './decode.js';
import { checkLimit, type LimitOptions, type Limits, resolveLimits } from './limits.js';
import { type PyValue, parsePyLiteral } from './py-literal.js';
import { type ByteSource, readInto, verifySource } from './source.js';

/** What a .npy header says, known without reading the data. */
export interface NpyInfo extends TensorInfo {
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** True if the data are stored column-major (readers still return row-major tensors). */
  readonly fortranOrder: boolean;
  /** Byte offset of the first data byte. */
  readonly dataOffset: number;
  /** Byte order of the stored data. */
  readonly littleEndian: boolean;
  /** The header's `descr` string, e.g. `'>f8'`. */
  readonly descr: string;
  /** Format version, e.g. `'1.0'`. */
  readonly version: string;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const DESCR_TYPES: Readonly<Record<string, DType>> = {
  f2: 'float16',
  f4: 'float32',
  f8: 'float64',
  i1: 'int8',
  i2: 'int16',
  i4: 'int32',
  i8: 'int64',
  u1: 'uint8',
  u2: 'uint16',
  u4: 'uint32',
  u8: 'uint64',
  b1: 'bool',
};

/** Above this many data bytes, Fortran-order row ranges use one read per column run. */
const FORTRAN_FULL_READ_LIMIT = 64 * 2 ** 20;

/**
 * Parse the header of a .npy file. Reads only the first bytes of the source.
 * @throws KrsError BAD_FILE (bad magic, unknown version, malformed header, truncated
 *   header or data), UNSUPPORTED_DTYPE (complex, object, strings, structured…).
 * @example readNpyInfo(bytesSource('x.npy', bytes)).shape // [3, 4]
 */
export function readNpyInfo(source: ByteSource, limits: LimitOptions = {}): NpyInfo {
  const { name, descr, fortran, dims, prefix, headerLen, version } = readNpyHeader(source, resolveLimits(limits));
  if (typeof descr !== 'string') throw errors.unsupportedDtype(name, `structured ${JSON.stringify(descr)}`);
  const m = /^([<>|=]?)([a-zA-Z])(\d+)$/.exec(descr);
  const dtype = m ? DESCR_TYPES[`${m[2]}${m[3]}`] : undefined;
  if (!m || !dtype) throw errors.unsupportedDtype(name, descr);
  const count = sizeOf(dims);
  const nbytes = count * ITEM_SIZE[dtype];
  const dataOffset = checkDataSize(source, dims, nbytes, prefix + headerLen, dtype);
  return { dtype, shape: dims, fortranOrder: fortran, dataOffset, littleEndian: m[1] !== '>', descr, version };
}

/** The raw header of a .npy file: its dict entries and where the data start. */
function readNpyHeader(
  source: ByteSource,
  limits: Limits,
): {
  name: string;
  descr: PyValue;
  fortran: boolean;
  dims: number[];
  prefix: number;
  headerLen: number;
  version: string;
} {
  const name = source.name;
  if (source.size < 10) throw errors.badFile(name, `not a .npy file: only ${source.size} bytes`);
  const pre = source.read(0, Math.min(12, source.size));
  if (!MAGIC.every((b, i) => pre[i] === b)) {
    throw errors.badFile(name, `not a .npy file: bad magic bytes ${describeBytes(pre.subarray(0, 6))} (expected \\x93NUMPY)`);
  }
  const major = pre[6]!;
  const minor = pre[7]!;
  const version = `${major}.${minor}`;
  let prefix: number;
  let headerLen: number;
  if (major === 1) {
    prefix = 10;
    headerLen = pre[8]! | (pre[9]! << 8);
  } else if (major === 2 || major === 3) {
    if (pre.length < 12) throw errors.badFile(name, `truncated: file ends inside the version ${version} preamble`);
    prefix = 12;
    headerLen = (pre[8]! | (pre[9]! << 8) | (pre[10]! << 16)) + pre[11]! * 2 ** 24;
  } else {
    throw errors.badFile(name, `unsupported .npy format version ${version} (expected 1.0, 2.0 or 3.0)`);
  }
  if (prefix + headerLen > source.size) {
    throw errors.badFile(name, `truncated: header promises ${headerLen} bytes of header, file has ${source.size - prefix} after the preamble`);
  }
  checkLimit(limits, 'maxHeaderBytes', name, 'the declared .npy header length (bytes)', headerLen);
  const headerBytes = source.read(prefix, headerLen);
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(headerBytes);
  let dict: PyValue;
  try {
    dict = parsePyLiteral(text);
  } catch (e) {
    throw errors.badFile(name, `malformed .npy header (${(e as Error).message}): ${clip(text)}`);
  }
  if (dict === null || typeof dict !== 'object' || Array.isArray(dict)) {
    throw errors.badFile(name, `malformed .npy header: not a dict: ${clip(text)}`);
  }
  const { descr, fortran_order: fortran, shape } = dict;
  if (descr === undefined || fortran === undefined || shape === undefined) {
    throw errors.badFile(name, `malformed .npy header: needs keys 'descr', 'fortran_order' and 'shape': ${clip(text)}`);
  }
  if (typeof fortran !== 'boolean') throw errors.badFile(name, `malformed .npy header: 'fortran_order' is not True/False`);
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw errors.badFile(name, `malformed .npy header: 'shape' is not a tuple of non-negative integers: ${clip(text)}`);
  }
  return { name, descr, fortran, dims: shape as number[], prefix, headerLen, version };
}

/** Check the file holds the `nbytes` of data the header promises; returns the data offset. */
function checkDataSize(source: ByteSource, dims: number[], nbytes: number, dataOffset: number, what: string): number {
  if (!Number.isSafeInteger(nbytes)) throw errors.badFile(source.name, `shape ${fmtShape(dims)} is too large`);
  if (dataOffset + nbytes > source.size) {
    throw errors.badFile(source.name, `truncated: header promises ${nbytes} bytes of data (${what} ${fmtShape(dims)}), file has ${source.size - dataOffset}`);
  }
  return dataOffset;
}

/**
 * Read a 1-D array of strings — NumPy's fixed-width unicode (`<U12`, UTF-32) or bytes
 * (`|S12`, read as UTF-8) — as JavaScript strings with the trailing NULs NumPy pads with
 * removed. This is how string sample ids are stored (`np.array(['a.png', …])`).
 * @throws KrsError UNSUPPORTED_DTYPE for any other dtype; SHAPE_MISMATCH unless 1-D;
 *   BAD_FILE for a truncated file.
 */
export function readNpyStrings(source: ByteSource, options: LimitOptions = {}): string[] {
  const limits = resolveLimits(options);
  const { name, descr, dims, prefix, headerLen } = readNpyHeader(source, limits);
  const m = typeof descr === 'string' ? /^([<>|=]?)([US])(\d+)$/.exec(descr) : null;
  if (!m) throw errors.unsupportedDtype(name, typeof descr === 'string' ? descr : JSON.stringify(descr));
  if (dims.length !== 1) throw errors.shapeMismatch(`string array in ${name}`, 'a 1-D array', fmtShape(dims));
  const width = Number(m[3]);
  const item = m[2] === 'U' ? 4 * width : width;
  const n = dims[0]!;
  const offset = checkDataSize(source, dims, n * item, prefix + headerLen, descr as string);
  checkLimit(limits, 'maxArrayBytes', name, `the size of string array ${fmtShape(dims)} of ${descr as string} (bytes)`, n * item);
  verifySource(source);
  const bytes = source.read(offset, n * item);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder('utf-8');
  const out: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    if (m[2] === 'S') {
      let end = i * item + item;
      while (end > i * item && bytes[end - 1] === 0) end--;
      out[i] = utf8.decode(bytes.subarray(i * item, end));
      continue;
    }
    let str = '';
    for (let k = 0; k < width; k++) {
      const cp = view.getUint32(i * item + 4 * k, m[1] !== '>');
      if (cp === 0) break;
      str += String.fromCodePoint(cp);
    }
    out[i] = str;
  }
  return out;
}

/**
 * Read a whole .npy array as a row-major tensor.
 * @param info the result of {@link readNpyInfo} if already known (saves re-reading the header)
 * @throws KrsError as {@link readNpyInfo}; BAD_VALUE if too large for one typed array (4 GiB on Node 20).
 */
export function readNpy(source: ByteSource, info?: NpyInfo, options: LimitOptions = {}): Tensor {
  const limits = resolveLimits(options);
  info ??= readNpyInfo(source, limits);
  const count = sizeOf(info.shape);
  checkLimit(
    limits,
    'maxArrayBytes',
    source.name,
    `the size of array ${fmtShape(info.shape)} of ${info.dtype} in memory (bytes)`,
    count * decodedItemSize(info.dtype),
  );
  verifySource(source);
  let data = readElements(source, info.dataOffset, count, info.dtype, info.littleEndian, limits);
  if (info.fortranOrder) data = fortranToC(data, info.shape);
  return { dtype: info.dtype, shape: [...info.shape], data };
}

/**
 * Rows [start, end) along axis 0 of a .npy array, reading only their bytes for C order.
 * For Fortran order the rows are scattered: arrays up to 64 MiB are read whole and
 * gathered, larger ones with one read per column run. The range must satisfy
 * 0 ≤ start ≤ end ≤ shape[0] (integers).
 * @throws KrsError BAD_OPTION (rowRange) for a bad range, SHAPE_MISMATCH for a 0-d array,
 *   and as {@link readNpyInfo}.
 * @example readNpyRows(src, 0, 32).shape // [32, ...rest]
 */
export function readNpyRows(source: ByteSource, start: number, end: number, info?: NpyInfo, options: LimitOptions = {}): Tensor {
  const limits = resolveLimits(options);
  info ??= readNpyInfo(source, limits);
  const shape = info.shape;
  if (shape.length === 0) {
    throw errors.shapeMismatch(`${source.name}: reading rows`, 'an array with at least one axis', `shape ${fmtShape(shape)}`);
  }
  const n = shape[0]!;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || start > end || end > n) {
    throw errors.rowRange(source.name, undefined, start, end, n);
  }
  const rest = shape.slice(1);
  const rowLen = sizeOf(rest);
  const rows = end - start;
  const outShape = [rows, ...rest];
  const isz = ITEM_SIZE[info.dtype];
  checkLimit(
    limits,
    'maxArrayBytes',
    source.name,
    `the size of rows [${start}, ${end}) of array ${fmtShape(shape)} of ${info.dtype} in memory (bytes)`,
    rows * rowLen * decodedItemSize(info.dtype),
  );
  verifySource(source);
  if (!info.fortranOrder || rest.length === 0 || rows === n) {
    if (info.fortranOrder && rows === n) return readNpy(source, info, limits);
    const data = readElements(source, info.dataOffset + start * rowLen * isz, rows * rowLen, info.dtype, info.littleEndian, limits);
    return { dtype: info.dtype, shape: outShape, data };
  }
  // Fortran order: for each index into the trailing axes, rows [start, end) are one run.
  const runBytes = rows * isz;
  const raw = allocBytes(rows * rowLen * isz, source.name, limits);
  const total = n * rowLen * isz;
  if (runBytes > 0) {
    if (total <= Math.min(FORTRAN_FULL_READ_LIMIT, limits.maxArrayBytes)) {
      const all = source.read(info.dataOffset, total);
      for (let r = 0; r < rowLen; r++) raw.set(all.subarray((r * n + start) * isz, (r * n + end) * isz), r * runBytes);
    } else {
      for (let r = 0; r < rowLen; r++) {
        readInto(source, info.dataOffset + (r * n + start) * isz, raw.subarray(r * runBytes, (r + 1) * runBytes));
      }
    }
  }
  const data = fortranToC(decodeOwned(raw, info.dtype, info.littleEndian, source.name), outShape);
  return { dtype: info.dtype, shape: outShape, data };
}

type Indexable = { [i: number]: number | bigint; readonly length: number };

/** Reorder column-major data of `shape` into row-major order (a fresh array). O(size). */
export function fortranToC(src: NumericArray, shape: readonly number[]): NumericArray {
  const rank = shape.length;
  const n = src.length;
  if (rank <= 1 || n === 0) return src;
  const out = new (src.constructor as new (n: number) => NumericArray)(n);
  const s = src as unknown as Indexable;
  const o = out as unknown as Indexable;
  const fstride: number[] = [1];
  for (let k = 1; k < rank; k++) fstride[k] = fstride[k - 1]! * shape[k - 1]!;
  const last = rank - 1;
  const len = shape[last]!;
  const step = fstride[last]!;
  const idx = new Array<number>(rank).fill(0);
  let at = 0;
  for (let r = 0, outer = n / len; r < outer; r++) {
    let base = 0;
    for (let k = 0; k < last; k++) base += idx[k]! * fstride[k]!;
    for (let j = 0; j < len; j++) o[at++] = s[base + j * step]!;
    for (let k = last - 1; k >= 0; k--) {
      if (++idx[k]! < shape[k]!) break;
      idx[k] = 0;
    }
  }
  return out;
}

/** `\x93NUMPY`-style rendering of a few bytes for a message. */
function describeBytes(b: Uint8Array): string {
  let s = '';
  for (const c of b) s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
  return JSON.stringify(s);
}

function clip(text: string): string {
  const t = text.trim();
  return t.length > 120 ? `${t.slice(0, 117)}...` : t;
}
