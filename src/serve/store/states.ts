/** Stored states as the store's queries meet them: blobs as bytes. */

/** A blob as a Uint8Array (better-sqlite3 and pg both give Buffers). */
export function toBytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return new Uint8Array(v as ArrayBuffer);
}
