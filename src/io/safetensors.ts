/**
 * `.safetensors` reader (https://huggingface.co/docs/safetensors).
 *
 * Layout: an unsigned 64-bit little-endian header length N; N bytes of UTF-8 JSON
 * `{"<name>": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, …,
 * "__metadata__": {"k": "v"}}` (may be padded with spaces); then the byte buffer. Offsets
 * are relative to the start of the buffer (byte 8 + N); data are little-endian, row-major.
 *
 * dtypes: F16, BF16, F32, F64, I8, I16, I32, I64, U8, U16, U32, U64, BOOL. Others (F8_*,
 * C64…) are listed by `keys()` but throw UNSUPPORTED_DTYPE when read, so the rest of the
 * file stays usable. On open the header is validated: a sane length (at most 100 MB, as
 * the reference implementation requires, and inside the file), valid JSON, every entry
 * with a shape of non-negative integers and offsets inside the buffer that span exactly
 * shape × itemsize bytes, no name given twice (JSON.parse would keep the last silently),
 * and no two tensors sharing a byte (ranges may leave gaps). The header's declared length
 * is checked against `maxHeaderBytes` and every read against `maxArrayBytes`
 * (src/io/limits.ts).
 */
import { errors, fmtShape, q } from '../core/errors.js';
import { type DType, sizeOf, type Tensor, type TensorInfo } from '../core/tensor.js';
import { type Capture, type CaptureOptions, idsOf, lookup } from './capture.js';
import { ITEM_SIZE, readElements } from './decode.js';
import { checkLimit, type LimitOptions, resolveLimits } from './limits.js';
import type { ByteSource } from './source.js';

const DTYPES: Readonly<Record<string, DType>> = {
  F16: 'float16',
  BF16: 'bfloat16',
  F32: 'float32',
  F64: 'float64',
  I8: 'int8',
  I16: 'int16',
  I32: 'int32',
  I64: 'int64',
  U8: 'uint8',
  U16: 'uint16',
  U32: 'uint32',
  U64: 'uint64',
  BOOL: 'bool',
};

/** One tensor of a safetensors header, with absolute byte offsets into the file. */
export interface SafetensorsEntry {
  /** The header's dtype string, e.g. `BF16`. */
  readonly stored: string;
  /** The krs dtype, or undefined when the stored dtype is unsupported. */
  readonly dtype: DType | undefined;
  readonly shape: readonly number[];
  /** Absolute offset of the first byte. */
  readonly begin: number;
  /** Absolute offset one past the last byte. */
  readonly end: number;
}

/** A parsed safetensors header. */
export interface SafetensorsHeader {
  /** Tensors in header order. */
  readonly tensors: ReadonlyMap<string, SafetensorsEntry>;
  /** The optional `__metadata__` string map. */
  readonly metadata: Readonly<Record<string, string>> | undefined;
  /** Absolute offset of the byte buffer (8 + header length). */
  readonly dataOffset: number;
}

/**
 * Read and validate the header of a safetensors file (reads only the header bytes).
 * @throws KrsError BAD_FILE (truncated, header length beyond the file, invalid JSON, a
 *   repeated name, malformed entry, offsets outside the buffer, inconsistent with the shape
 *   or overlapping another tensor's); BAD_VALUE for a header longer than `maxHeaderBytes`.
 */
export function readSafetensorsHeader(source: ByteSource, limits: LimitOptions = {}): SafetensorsHeader {
  const name = source.name;
  if (source.size < 8) throw errors.badFile(name, `not a safetensors file: only ${source.size} bytes`);
  const lenBytes = source.read(0, 8);
  const v = new DataView(lenBytes.buffer, lenBytes.byteOffset, 8);
  const headerLen = v.getUint32(0, true) + v.getUint32(4, true) * 2 ** 32;
  if (8 + headerLen > source.size) {
    throw errors.badFile(name, `truncated: header length ${headerLen} runs beyond the file (${source.size} bytes)`);
  }
  checkLimit(resolveLimits(limits), 'maxHeaderBytes', name, 'the declared safetensors header length (bytes)', headerLen);
  let json: unknown;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(source.read(8, headerLen));
    json = JSON.parse(text);
  } catch (e) {
    throw errors.badFile(name, `header is not valid JSON (${(e as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw errors.badFile(name, 'header is not a JSON object');
  const repeated = repeatedTopLevelKey(text);
  if (repeated !== undefined) throw errors.badFile(name, `header names tensor ${q(repeated)} more than once`);
  const dataOffset = 8 + headerLen;
  const bufferSize = source.size - dataOffset;
  const tensors = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> | undefined;
  for (const [key, raw] of Object.entries(json as Record<string, unknown>)) {
    if (key === '__metadata__') {
      if (raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) throw errors.badFile(name, `'__metadata__' is not an object`);
      metadata = (raw ?? {}) as Record<string, string>;
      continue;
    }
    const bad = (what: string) => errors.badFile(name, `tensor ${q(key)}: ${what}`);
    if (raw === null || typeof raw !== 'object') throw bad('entry is not an object');
    const { dtype: stored, shape, data_offsets: offsets } = raw as Record<string, unknown>;
    if (typeof stored !== 'string') throw bad(`'dtype' is missing or not a string`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw bad(`'shape' is not a list of non-negative integers: ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw bad(`'data_offsets' is not [begin, end]: ${JSON.stringify(offsets)}`);
    }
    const [b, e] = offsets as [number, number];
    if (b > e || e > bufferSize) {
      throw bad(`data_offsets [${b}, ${e}] lie outside the ${bufferSize}-byte data buffer (file truncated or corrupt)`);
    }
    const dtype = DTYPES[stored];
    if (dtype !== undefined) {
      const need = sizeOf(shape as number[]) * ITEM_SIZE[dtype];
      if (e - b !== need) {
        throw bad(`data_offsets [${b}, ${e}] span ${e - b} bytes, but ${stored} ${fmtShape(shape as number[])} needs ${need}`);
      }
    }
    tensors.set(key, { stored, dtype, shape: shape as number[], begin: dataOffset + b, end: dataOffset + e });
  }
  const byStart = [...tensors].filter(([, t]) => t.end > t.begin).sort((x, y) => x[1].begin - y[1].begin);
  for (let i = 1; i < byStart.length; i++) {
    const [pk, p] = byStart[i - 1]!;
    const [k, t] = byStart[i]!;
    if (t.begin < p.end) {
      throw errors.badFile(
        name,
        `tensors ${q(pk)} (data_offsets [${p.begin - dataOffset}, ${p.end - dataOffset}]) and ${q(k)} ([${t.begin - dataOffset}, ${t.end - dataOffset}]) overlap`,
      );
    }
  }
  return { tensors, metadata, dataOffset };
}

/**
 * The tensors of a safetensors file as a lazy {@link Capture}.
 * @throws KrsError as {@link readSafetensorsHeader}; reads throw UNSUPPORTED_DTYPE for
 *   dtypes krs cannot hold and UNKNOWN_KEY for absent names.
 * @example safetensorsCapture(bytesSource('s.safetensors', bytes)).read('logits')
 */
export function safetensorsCapture(source: ByteSource, options: CaptureOptions = {}): Capture {
  const limits = resolveLimits(options.limits);
  const header = readSafetensorsHeader(source, limits);
  const get = (key: string): SafetensorsEntry & { dtype: DType } => {
    const e = lookup(header.tensors, key, source.name);
    if (e.dtype === undefined) throw errors.unsupportedDtype(source.name, e.stored, key);
    return e as SafetensorsEntry & { dtype: DType };
  };
  return {
    source: source.name,
    keys: () => [...header.tensors.keys()],
    info: (key): TensorInfo => {
      const { dtype, shape } = get(key);
      return { dtype, shape: [...shape] };
    },
    read: (key): Tensor => {
      const e = get(key);
      return { dtype: e.dtype, shape: [...e.shape], data: readElements(source, e.begin, sizeOf(e.shape), e.dtype, true, limits) };
    },
    readRows: (key, start, end): Tensor => {
      const e = get(key);
      if (e.shape.length === 0) {
        throw errors.shapeMismatch(`${source.name} (${q(key)}): reading rows`, 'an array with at least one axis', 'shape []');
      }
      const n = e.shape[0]!;
      if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || start > end || end > n) {
        throw errors.rowRange(source.name, key, start, end, n);
      }
      const rest = e.shape.slice(1);
      const rowLen = sizeOf(rest);
      const data = readElements(source, e.begin + start * rowLen * ITEM_SIZE[e.dtype], (end - start) * rowLen, e.dtype, true, limits);
      return { dtype: e.dtype, shape: [end - start, ...rest], data };
    },
    readIds(key) {
      return idsOf(this.read(key), key, source.name);
    },
  };
}

/**
 * The first key that occurs twice at the top level of a JSON object's text (already known to
 * be valid JSON), or undefined. Strings are compared after JSON unescaping. O(length).
 */
function repeatedTopLevelKey(text: string): string | undefined {
  const seen = new Set<string>();
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (seen.has(key)) return key;
        seen.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      depth++;
      if (depth === 1) expectKey = true;
    } else if (c === '}' || c === ']') depth--;
    else if (c === ',' && depth === 1) expectKey = true;
  }
  return undefined;
}
