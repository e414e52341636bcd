/**
 * Exact, compact JSON encoding of float64 arrays for serialised metric states:
 * the IEEE-754 bytes (little-endian) in base64, so a state survives a JSON round trip
 * bit for bit. Works in browsers and Node (uses btoa/atob).
 */
import { errors } from './errors.js';

const CHUNK = 0x8000;

export interface EncodedFloat64 {
  readonly f64: string;
  readonly length: number;
}

/** Encode a Float64Array as base64 of its little-endian bytes. */
export function encodeFloat64(a: Float64Array): EncodedFloat64 {
  const bytes = new Uint8Array(a.length * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < a.length; i++) view.setFloat64(i * 8, a[i]!, true);
  let binary = '';
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK) as unknown as number[]);
  }
  return { f64: btoa(binary), length: a.length };
}

/** Decode {@link encodeFloat64}'s output. @throws BAD_VALUE for a malformed encoding. */
export function decodeFloat64(e: unknown, what = 'serialised state'): Float64Array {
  const enc = e as EncodedFloat64;
  if (!enc || typeof enc.f64 !== 'string' || typeof enc.length !== 'number') {
    throw errors.badValue(what, typeof e, 'an encoded float64 array {f64, length}');
  }
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
