/**
 * CRC-32 (IEEE 802.3, polynomial 0xEDB88320, reflected), as used by zip archives and
 * PNG chunks. Incremental: start from {@link CRC32_INIT}, feed bytes with
 * {@link crc32Update}, finish with {@link crc32Final}. Slicing-by-8, O(bytes).
 *
 * @example crc32Final(crc32Update(CRC32_INIT, new TextEncoder().encode('123456789'))) === 0xcbf43926
 */

const TABLES: Uint32Array[] = (() => {
  const t0 = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t0[n] = c >>> 0;
  }
  const tables = [t0];
  for (let s = 1; s < 8; s++) {
    const prev = tables[s - 1]!;
    const t = new Uint32Array(256);
    for (let n = 0; n < 256; n++) t[n] = (prev[n]! >>> 8) ^ t0[prev[n]! & 0xff]!;
    tables.push(t);
  }
  return tables;
})();

/** The running value before any byte is fed. */
export const CRC32_INIT = 0xffffffff;

/** A native CRC-32 (zlib's: `crc32(data, previous CRC) → CRC`), when the platform has one. */
type NativeCrc32 = (data: Uint8Array, value: number) => number;
let native: NativeCrc32 | null = null;

/**
 * Use a native CRC-32 from now on (Node's `zlib.crc32`, registered by the Node entry points:
 * the same values, several times faster than slicing-by-8 in JavaScript on megabytes).
 */
export function useNativeCrc32(fn: NativeCrc32 | null): void {
  native = fn;
}

/** Feed `bytes` into a running CRC (as returned by this function or {@link CRC32_INIT}). */
export function crc32Update(crc: number, bytes: Uint8Array): number {
  // zlib's value is the finished CRC: the running one with its bits flipped.
  if (native && bytes.length >= 4096) return (native(bytes, (crc ^ 0xffffffff) >>> 0) ^ 0xffffffff) >>> 0;
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  let c = crc >>> 0;
  let i = 0;
  const n = bytes.length;
  for (; i + 8 <= n; i += 8) {
    const a = (c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))) >>> 0;
    c =
      t7[a & 0xff]! ^
      t6[(a >>> 8) & 0xff]! ^
      t5[(a >>> 16) & 0xff]! ^
      t4[a >>> 24]! ^
      t3[bytes[i + 4]!]! ^
      t2[bytes[i + 5]!]! ^
      t1[bytes[i + 6]!]! ^
      t0[bytes[i + 7]!]!;
  }
  for (; i < n; i++) c = t0[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return c >>> 0;
}

/** The CRC-32 of everything fed so far, as an unsigned 32-bit integer. */
export function crc32Final(crc: number): number {
  return (crc ^ 0xffffffff) >>> 0;
}

/** CRC-32 of one buffer. */
export function crc32(bytes: Uint8Array): number {
  return crc32Final(crc32Update(CRC32_INIT, bytes));
}
