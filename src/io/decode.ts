/**
 * Raw bytes → typed arrays, shared by the .npy, .npz and .safetensors readers.
 *
 * Conventions (see `src/core/tensor.ts`): float16 and bfloat16 are widened to Float32Array
 * (the dtype keeps the stored type), bool becomes a Uint8Array of 0/1 (any non-zero
 * byte is true), 64-bit integers stay BigInt64Array / BigUint64Array. Big-endian data
 * are byte-swapped in place. Raw buffers are allocated here, so a typed array can be a
 * zero-copy view of them.
 */
import { errors } from '../core/errors.js';
import type { DType, NumericArray } from '../core/tensor.js';
import { checkLimit, type Limits, resolveLimits } from './limits.js';
import { type ByteSource, readInto } from './source.js';

/** Bytes per element as stored in a file. */
export const ITEM_SIZE: Readonly<Record<DType, number>> = {
  float16: 2,
  bfloat16: 2,
  float32: 4,
  float64: 8,
  int8: 1,
  int16: 2,
  int32: 4,
  int64: 8,
  uint8: 1,
  uint16: 2,
  uint32: 4,
  uint64: 8,
  bool: 1,
};

/**
 * A fresh, 8-byte-aligned byte buffer of length `bytes`, for data `file` declares.
 * @param limits the limits in force (`maxArrayBytes` is checked before allocating)
 * @throws KrsError BAD_VALUE (overLimit) above `maxArrayBytes`; BAD_VALUE (tooLarge) if the
 *   platform cannot allocate it (4 GiB on Node 20).
 */
export function allocBytes(bytes: number, file: string, limits: Limits = resolveLimits()): Uint8Array {
  checkLimit(limits, 'maxArrayBytes', file, 'the size of the array data read (bytes)', bytes);
  try {
    return new Uint8Array(bytes);
  } catch {
    throw errors.tooLarge(file, bytes);
  }
}

/**
 * Read `count` elements of `dtype` stored at `offset` of `source` into a fresh typed array.
 * The decoded size (float16/bfloat16 widen to 4 bytes) is checked against `maxArrayBytes`
 * before anything is allocated or read.
 * @throws KrsError BAD_FILE if the bytes run past the end of the source; BAD_VALUE above the
 *   limit or if too large for the platform.
 */
export function readElements(
  source: ByteSource,
  offset: number,
  count: number,
  dtype: DType,
  littleEndian: boolean,
  limits: Limits = resolveLimits(),
): NumericArray {
  checkLimit(limits, 'maxArrayBytes', source.name, `the size of ${count} ${dtype} values in memory (bytes)`, count * decodedItemSize(dtype));
  const raw = allocBytes(count * ITEM_SIZE[dtype], source.name, limits);
  readInto(source, offset, raw);
  return decodeOwned(raw, dtype, littleEndian, source.name);
}

/** Bytes per element once decoded: float16 and bfloat16 widen to float32. */
export function decodedItemSize(dtype: DType): number {
  return dtype === 'float16' || dtype === 'bfloat16' ? 4 : ITEM_SIZE[dtype];
}

/**
 * Interpret `raw` (which the caller owns and gives up; byteOffset 0) as elements of
 * `dtype`, swapping bytes in place when big-endian and widening float16/bfloat16.
 */
export function decodeOwned(raw: Uint8Array, dtype: DType, littleEndian: boolean, file: string): NumericArray {
  const size = ITEM_SIZE[dtype];
  if (raw.byteOffset !== 0 || raw.length % size !== 0) throw errors.internal(`decodeOwned: misaligned buffer for ${file}`);
  if (!littleEndian && size > 1) swapBytes(raw, size);
  const n = raw.length / size;
  const buf = raw.buffer;
  switch (dtype) {
    case 'float16':
      return halfToFloat(new Uint16Array(buf, 0, n), file);
    case 'bfloat16':
      return bfloatToFloat(new Uint16Array(buf, 0, n), file);
    case 'float32':
      return new Float32Array(buf, 0, n);
    case 'float64':
      return new Float64Array(buf, 0, n);
    case 'int8':
      return new Int8Array(buf, 0, n);
    case 'int16':
      return new Int16Array(buf, 0, n);
    case 'int32':
      return new Int32Array(buf, 0, n);
    case 'int64':
      return new BigInt64Array(buf, 0, n);
    case 'uint8':
      return raw;
    case 'uint16':
      return new Uint16Array(buf, 0, n);
    case 'uint32':
      return new Uint32Array(buf, 0, n);
    case 'uint64':
      return new BigUint64Array(buf, 0, n);
    case 'bool':
      for (let i = 0; i < n; i++) if (raw[i] !== 0) raw[i] = 1;
      return raw;
  }
}

/** Reverse the byte order of every `size`-byte element, in place. */
function swapBytes(b: Uint8Array, size: number): void {
  const n = b.length;
  if (size === 2) {
    for (let i = 0; i < n; i += 2) {
      const t = b[i]!;
      b[i] = b[i + 1]!;
      b[i + 1] = t;
    }
  } else {
    const h = size >> 1;
    for (let i = 0; i < n; i += size) {
      for (let k = 0; k < h; k++) {
        const t = b[i + k]!;
        b[i + k] = b[i + size - 1 - k]!;
        b[i + size - 1 - k] = t;
      }
    }
  }
}

let HALF_TABLE: Float32Array | undefined;

/** float32 value of every IEEE 754 binary16 bit pattern (built once, 256 KiB). */
function halfTable(): Float32Array {
  if (HALF_TABLE) return HALF_TABLE;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) t[h] = sign * frac * 2 ** -24;
    else if (exp === 31) t[h] = frac ? NaN : sign * Infinity;
    else t[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  HALF_TABLE = t;
  return t;
}

function allocFloat32(n: number, file: string): Float32Array {
  try {
    return new Float32Array(n);
  } catch {
    throw errors.tooLarge(file, n * 4);
  }
}

/** Widen binary16 bit patterns to float32 (exact). */
function halfToFloat(h: Uint16Array, file: string): Float32Array {
  const t = halfTable();
  const out = allocFloat32(h.length, file);
  for (let i = 0; i < h.length; i++) out[i] = t[h[i]!]!;
  return out;
}

/** Widen bfloat16 bit patterns (the upper half of a float32) to float32 (exact). */
function bfloatToFloat(h: Uint16Array, file: string): Float32Array {
  const out = allocFloat32(h.length, file);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < h.length; i++) bits[i] = h[i]! << 16;
  return out;
}
