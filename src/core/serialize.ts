/**
 * Exact, compact JSON encoding of float64 arrays for serialised metric states:
 * the IEEE-754 bytes (little-endian) in base64, so a state survives a JSON round trip
 * bit for bit. Works in browsers and Node (uses btoa/atob).
 *
 * The base64 text is made only when asked for (JSON.stringify reads `f64`): an encoded
 * array also carries a copy of the values under {@link FLOAT64_VALUES}, which binary writers
 * (the state file, src/io/state-file.ts) store as bytes and {@link decodeFloat64} reads
 * directly — no base64 round trip for states that never become JSON text.
 */
import { errors } from './errors.js';

const CHUNK = 0x8000;

/** The values behind an encoded array, when it was made in this process (not parsed from JSON text). */
export const FLOAT64_VALUES: unique symbol = Symbol('krs.float64');

export interface EncodedFloat64 {
  readonly f64: string;
  readonly length: number;
  readonly [FLOAT64_VALUES]?: Float64Array;
}

/** Encode a Float64Array (copied: later changes to `a` do not show) as base64 of its little-endian bytes, made lazily. */
export function encodeFloat64(a: Float64Array): EncodedFloat64 {
  return float64Encoding(Float64Array.from(a));
}

/** An encoding over `values` (kept, not copied). */
export function float64Encoding(values: Float64Array): EncodedFloat64 {
  let text: string | undefined;
  return Object.defineProperties({} as EncodedFloat64, {
    f64: { enumerable: true, get: () => (text ??= toBase64(values)) },
    length: { enumerable: true, value: values.length },
    [FLOAT64_VALUES]: { enumerable: false, value: values },
  });
}

function toBase64(a: Float64Array): string {
  const bytes = new Uint8Array(a.length * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < a.length; i++) view.setFloat64(i * 8, a[i]!, true);
  let binary = '';
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK) as unknown as number[]);
  }
  return btoa(binary);
}

/** Decode {@link encodeFloat64}'s output (a copy of the values). @throws BAD_VALUE for a malformed encoding. */
export function decodeFloat64(e: unknown, what = 'serialised state'): Float64Array {
  const values = (e as EncodedFloat64 | null)?.[FLOAT64_VALUES];
  if (values instanceof Float64Array) return Float64Array.from(values);
  const enc = e as EncodedFloat64;
  if (!enc || typeof enc.f64 !== 'string' || typeof enc.length !== 'number') {
    throw errors.badValue(what, typeof e, 'an encoded float64 array {f64, length}');
  }
  const fast = nodeBase64(enc.f64, enc.length);
  if (fast) return fast;
  let binary: string;
  try {
    binary = atob(enc.f64);
  } catch {
    throw errors.badValue(`${what} f64`, enc.f64.length > 40 ? `${enc.f64.slice(0, 37)}...` : enc.f64, 'base64 text');
  }
  if (binary.length !== enc.length * 8) throw errors.badValue(`${what} byte length`, binary.length, `${enc.length * 8}`);
  const view = new DataView(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) view.setUint8(i, binary.charCodeAt(i));
  const out = new Float64Array(enc.length);
  for (let i = 0; i < enc.length; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}

/**
 * {@link decodeFloat64} for arrays that only finite inputs can produce (sums, moments, rows):
 * an infinity or NaN in a stored state is refused, naming the array and the index, instead of
 * turning into a score or interval bound outside the scale.
 */
export function decodeFiniteFloat64(e: unknown, what = 'serialised state'): Float64Array {
  const a = decodeFloat64(e, what);
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) throw errors.badValue(`${what} [${i}]`, String(a[i]), 'a finite number');
  return a;
}

/**
 * Node's native base64 decoding, when it runs in Node and the text has the length of the base64
 * of `length` float64s and decodes to that many bytes (Node skips characters outside the
 * alphabet, so a text with any leaves fewer bytes); anything else is left to the portable path
 * and its errors.
 */
function nodeBase64(text: string, length: number): Float64Array | null {
  const B = (globalThis as { Buffer?: { from(s: string, e: string): Uint8Array } }).Buffer;
  if (!B || text.length !== Math.ceil((length * 8) / 3) * 4) return null;
  const bytes = B.from(text, 'base64');
  if (bytes.length !== length * 8) return null;
  const out = new Float64Array(length);
  if (new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f) new Uint8Array(out.buffer).set(bytes);
  else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < length; i++) out[i] = view.getFloat64(i * 8, true);
  }
  return out;
}
