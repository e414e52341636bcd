/**
 * CRC-32: the standard check value, incremental feeding in any chunks, and Node's native
 * zlib.crc32 (registered by src/io/node-crc32.ts) giving the same values as the JavaScript
 * slicing-by-8 on every length around the 4 KiB switch-over.
 */
import * as zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { CRC32_INIT, crc32, crc32Final, crc32Update, useNativeCrc32 } from '../../src/io/crc32.js';

const js = (bytes: Uint8Array) => {
  useNativeCrc32(null);
  return crc32(bytes);
};

describe('crc32', () => {
  afterEach(() => {
    const native = (zlib as { crc32?: (d: Uint8Array, v: number) => number }).crc32;
    if (native) useNativeCrc32(native);
  });

  it('has the standard check value, fed whole or in pieces', () => {
    const bytes = new TextEncoder().encode('123456789');
    expect(crc32(bytes)).toBe(0xcbf43926);
    let c = CRC32_INIT;
    for (const piece of [bytes.subarray(0, 2), bytes.subarray(2, 7), bytes.subarray(7)]) c = crc32Update(c, piece);
    expect(crc32Final(c)).toBe(0xcbf43926);
  });

  it.skipIf(typeof (zlib as { crc32?: unknown }).crc32 !== 'function')('native and JavaScript agree, in pieces on both sides of 4 KiB', () => {
    let seed = 7;
    const bytes = Uint8Array.from({ length: 70_000 }, () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed >>> 24;
    });
    for (const n of [0, 1, 4095, 4096, 4097, 65_536, 70_000]) {
      const part = bytes.subarray(0, n);
      const want = js(part);
      useNativeCrc32((zlib as unknown as { crc32: (d: Uint8Array, v: number) => number }).crc32);
      expect(crc32(part), `length ${n}`).toBe(want);
      let c = CRC32_INIT;
      for (let at = 0; at < n; at += 5000) c = crc32Update(c, part.subarray(at, at + 5000));
      expect(crc32Final(c), `length ${n} in pieces`).toBe(want);
    }
  });
});
