/**
 * Hand-built zip archives for the reader tests: entries with any method, CRC and declared
 * sizes, so corrupt and hostile archives (wrong CRC, lying sizes, deflate bombs) can be
 * written exactly. Plain zip (no zip64): sizes below 4 GiB.
 */
import { deflateRawSync, constants as zlib } from 'node:zlib';
import { crc32 } from '../../src/io/crc32.js';

/** One entry: its stored bytes (`data`, raw deflate when method 8) and what the directory declares. */
export interface RawEntry {
  readonly name: string;
  readonly method: 0 | 8;
  readonly data: Uint8Array;
  readonly crc: number;
  readonly uncompressedSize: number;
}

/** A stored entry with the right CRC and size. */
export function stored(name: string, bytes: Uint8Array): RawEntry {
  return { name, method: 0, data: bytes, crc: crc32(bytes), uncompressedSize: bytes.length };
}

/** A deflated entry with the right CRC and size. */
export function deflated(name: string, bytes: Uint8Array): RawEntry {
  return { name, method: 8, data: new Uint8Array(deflateRawSync(bytes)), crc: crc32(bytes), uncompressedSize: bytes.length };
}

/**
 * Raw deflate data for `prefix` followed by `zeroMiB` MiB of zero bytes, made without
 * holding the zeros: one MiB of zeros is deflated with a sync flush (byte-aligned, not final)
 * and repeated, then a final empty block ends the stream. About 1 KiB per MiB.
 */
export function deflatedZeros(prefix: Uint8Array, zeroMiB: number): Uint8Array {
  const head = new Uint8Array(deflateRawSync(prefix, { finishFlush: zlib.Z_SYNC_FLUSH }));
  const mib = new Uint8Array(deflateRawSync(new Uint8Array(2 ** 20), { finishFlush: zlib.Z_SYNC_FLUSH }));
  const end = new Uint8Array([0x03, 0x00]); // final fixed-Huffman block holding only end-of-block
  const out = new Uint8Array(head.length + mib.length * zeroMiB + end.length);
  out.set(head, 0);
  for (let i = 0; i < zeroMiB; i++) out.set(mib, head.length + i * mib.length);
  out.set(end, head.length + zeroMiB * mib.length);
  return out;
}

/** The archive: local headers and data, the central directory, the end record. */
export function buildZip(entries: readonly RawEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = new TextEncoder().encode(e.name);
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(8, e.method, true);
    lv.setUint32(14, e.crc, true);
    lv.setUint32(18, e.data.length, true);
    lv.setUint32(22, e.uncompressedSize, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const cd = new Uint8Array(46 + name.length);
    const cv = new DataView(cd.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, e.method, true);
    cv.setUint32(16, e.crc, true);
    cv.setUint32(20, e.data.length, true);
    cv.setUint32(24, e.uncompressedSize, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    cd.set(name, 46);
    parts.push(local, e.data);
    central.push(cd);
    offset += local.length + e.data.length;
  }
  const cdSize = central.reduce((n, c) => n + c.length, 0);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  const all = [...parts, ...central, eocd];
  const out = new Uint8Array(all.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of all) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
