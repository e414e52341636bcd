/**
 * Minimal zip reader over a {@link ByteSource}: the central directory, and one entry's
 * bytes as a source of its own, so only the entry asked for is read (and inflated).
 *
 * Format (PKWARE APPNOTE 6.3): the end-of-central-directory record (EOCD, signature
 * PK\5\6) sits in the last 22 + 65535 bytes; when a count, size or offset overflows it
 * holds 0xFFFF/0xFFFFFFFF and a zip64 EOCD locator (PK\6\7) just before it points to the
 * zip64 EOCD record (PK\6\6) with 64-bit values. Each central-directory header (PK\1\2)
 * gives an entry's method, CRC-32, sizes and local-header offset, any of which may be
 * 0xFFFFFFFF with the real value in the zip64 extra field (id 0x0001, values in the
 * order uncompressed size, compressed size, offset, disk). The data follow the local
 * header (PK\3\4), whose own sizes are ignored (they are 0 when bit 3 of the flags says
 * a data descriptor follows the data, as streaming writers do).
 *
 * Supported: methods 0 (stored) and 8 (deflate, inflated with fflate), zip64, data
 * descriptors. Not supported: encryption, multi-disk archives, other methods.
 * Integrity: every entry source has `verify()`, which checks the entry's CRC-32 (and, for
 * a deflated entry, that it inflates to exactly the declared size) in one streaming pass
 * over the whole entry, once; the readers call it before returning any value decoded from
 * the entry, so a row-range read of a corrupt entry fails as a full read does; `verifyAsync()`
 * is the same pass in chunks of 8 MiB with a stop point after each (src/io/interrupt.ts), which
 * callers that can wait run first, so that Ctrl-C during a large entry acts within a chunk. Headers
 * (e.g. an .npy header, for listing shapes) may be read without it. Inflation never
 * produces more than the declared size: each step pushes no more compressed bytes than the
 * output still wanted (at least 1 KiB, at most 32 KiB), and output past the declared size is
 * an error at once, so an entry that claims to be small but expands to gigabytes is refused
 * after about a megabyte of output, and reading a header inflates little more than it.
 */
import { Inflate } from 'fflate';
import { errors, KrsError, q } from '../core/errors.js';
import { CRC32_INIT, crc32Final, crc32Update } from './crc32.js';
import { CHUNK_BYTES, checkInterrupt, pauseAtSync } from './interrupt.js';
import { type ByteSource, checkRange, readInto } from './source.js';

/** One file of a zip archive, as listed by its central directory. */
export interface ZipEntry {
  readonly name: string;
  /** 0 = stored, 8 = deflate. */
  readonly method: number;
  readonly flags: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly localHeaderOffset: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;

/**
 * List the entries of a zip archive from its central directory (reads only the tail
 * and the directory).
 * @throws KrsError BAD_FILE if the source is not a zip archive, is truncated, or its
 *   directory is corrupt.
 */
export function readZipDirectory(source: ByteSource): ZipEntry[] {
  const name = source.name;
  const { count, cdSize, cdOffset } = findCentralDirectory(source);
  const cd = source.read(cdOffset, cdSize);
  const cv = view(cd);
  const utf8 = new TextDecoder('utf-8');
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let k = 0; k < count; k++) {
    if (p + 46 > cdSize || cv.getUint32(p, true) !== SIG_CENTRAL) {
      throw errors.badFile(name, `corrupt central directory: entry ${k} of ${count} is missing or has a bad signature`);
    }
    const flags = cv.getUint16(p + 8, true);
    const method = cv.getUint16(p + 10, true);
    const crc = cv.getUint32(p + 16, true);
    let compressedSize = cv.getUint32(p + 20, true);
    let uncompressedSize = cv.getUint32(p + 24, true);
    const nameLen = cv.getUint16(p + 28, true);
    const extraLen = cv.getUint16(p + 30, true);
    const commentLen = cv.getUint16(p + 32, true);
    const disk = cv.getUint16(p + 34, true);
    let localHeaderOffset = cv.getUint32(p + 42, true);
    if (p + 46 + nameLen + extraLen + commentLen > cdSize) {
      throw errors.badFile(name, `corrupt central directory: entry ${k} runs past the directory's end`);
    }
    const entryName = utf8.decode(cd.subarray(p + 46, p + 46 + nameLen));
    if (uncompressedSize === 0xffffffff || compressedSize === 0xffffffff || localHeaderOffset === 0xffffffff || disk === 0xffff) {
      const z = zip64Extra(cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen));
      let i = 0;
      const next = (what: string): number => {
        if (z === undefined || i + 8 > z.byteLength) {
          throw errors.badFile(name, `corrupt central directory: entry ${q(entryName)} lacks the zip64 ${what}`);
        }
        const v = u64(z, i, name);
        i += 8;
        return v;
      };
      if (uncompressedSize === 0xffffffff) uncompressedSize = next('uncompressed size');
      if (compressedSize === 0xffffffff) compressedSize = next('compressed size');
      if (localHeaderOffset === 0xffffffff) localHeaderOffset = next('local header offset');
    } else if (disk !== 0) {
      throw errors.badFile(name, 'multi-disk zip archives are not supported');
    }
    entries.push({ name: entryName, method, flags, crc32: crc, compressedSize, uncompressedSize, localHeaderOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/**
 * Finds the central directory from the end-of-central-directory record (searched backwards over
 * the last 64 KiB + 22 bytes) and, when present, the zip64 record; rejects multi-disk archives
 * and a directory outside the file.
 */
function findCentralDirectory(source: ByteSource): { count: number; cdSize: number; cdOffset: number } {
  const name = source.name;
  if (source.size < 22) throw errors.badFile(name, `not a zip archive: only ${source.size} bytes`);
  const tailLen = Math.min(source.size, 22 + 65535);
  const tailStart = source.size - tailLen;
  const tail = source.read(tailStart, tailLen);
  const tv = view(tail);
  let at = -1;
  for (let i = tailLen - 22; i >= 0; i--) {
    if (tv.getUint32(i, true) === SIG_EOCD && i + 22 + tv.getUint16(i + 20, true) <= tailLen) {
      at = i;
      break;
    }
  }
  if (at < 0) throw errors.badFile(name, 'not a zip archive, or truncated: no end-of-central-directory record');
  const eocdPos = tailStart + at;
  let count = tv.getUint16(at + 10, true);
  let cdSize = tv.getUint32(at + 12, true);
  let cdOffset = tv.getUint32(at + 16, true);
  let disks = [tv.getUint16(at + 4, true), tv.getUint16(at + 6, true)];
  if (eocdPos >= 20) {
    const loc = source.read(eocdPos - 20, 20);
    const lv = view(loc);
    if (lv.getUint32(0, true) === SIG_ZIP64_LOCATOR) {
      const recOffset = u64(lv, 8, name);
      if (recOffset + 56 > source.size) {
        throw errors.badFile(
          name,
          `truncated or corrupt: zip64 end-of-central-directory record at offset ${recOffset} lies outside the file (${source.size} bytes)`,
        );
      }
      const rv = view(source.read(recOffset, 56));
      if (rv.getUint32(0, true) !== SIG_ZIP64_EOCD) {
        throw errors.badFile(name, `corrupt: no zip64 end-of-central-directory record at offset ${recOffset}`);
      }
      count = u64(rv, 32, name);
      cdSize = u64(rv, 40, name);
      cdOffset = u64(rv, 48, name);
      disks = [rv.getUint32(16, true), rv.getUint32(20, true)];
    }
  }
  if (disks.some((d) => d !== 0 && d !== 0xffff)) throw errors.badFile(name, 'multi-disk zip archives are not supported');
  if (cdOffset + cdSize > source.size) {
    throw errors.badFile(name, `truncated or corrupt: central directory at offset ${cdOffset} (${cdSize} bytes) lies outside the file (${source.size} bytes)`);
  }
  return { count, cdSize, cdOffset };
}

/**
 * The uncompressed bytes of one entry as a source named `archive[entry]`. Stored
 * entries are a window on the archive; deflated ones inflate lazily (see the module doc).
 * @throws KrsError BAD_FILE for a bad local header, a truncated entry, encryption or an
 *   unsupported method; reads throw BAD_FILE for corrupt data or a CRC mismatch.
 */
export function openZipEntry(archive: ByteSource, entry: ZipEntry): ByteSource {
  const label = `entry ${q(entry.name)}`;
  const name = `${archive.name}[${entry.name}]`;
  if (entry.flags & 1) throw errors.badFile(archive.name, `${label} is encrypted`);
  if (entry.method !== 0 && entry.method !== 8) {
    throw errors.badFile(archive.name, `${label} uses compression method ${entry.method}; only stored (0) and deflate (8) are supported`);
  }
  const off = entry.localHeaderOffset;
  if (off + 30 > archive.size) {
    throw errors.badFile(archive.name, `truncated: ${label} starts at offset ${off}, archive has ${archive.size} bytes`);
  }
  const lv = view(archive.read(off, 30));
  if (lv.getUint32(0, true) !== SIG_LOCAL) throw errors.badFile(archive.name, `corrupt: ${label} has no local header at offset ${off}`);
  const dataStart = off + 30 + lv.getUint16(26, true) + lv.getUint16(28, true);
  if (dataStart + entry.compressedSize > archive.size) {
    throw errors.badFile(archive.name, `truncated: ${label} needs bytes up to ${dataStart + entry.compressedSize}, archive has ${archive.size}`);
  }
  if (entry.method === 0) {
    if (entry.compressedSize !== entry.uncompressedSize) {
      throw errors.badFile(archive.name, `corrupt: stored ${label} has compressed size ${entry.compressedSize} ≠ size ${entry.uncompressedSize}`);
    }
    return new StoredEntrySource(archive, dataStart, entry, name);
  }
  return new InflateEntrySource(archive, dataStart, entry, name);
}

/** A stored entry: a window on the archive; `verify` checks the CRC in one pass. */
class StoredEntrySource implements ByteSource {
  readonly size: number;
  private verified = false;

  constructor(
    private readonly archive: ByteSource,
    private readonly base: number,
    private readonly entry: ZipEntry,
    readonly name: string,
  ) {
    this.size = entry.uncompressedSize;
  }

  read(offset: number, length: number): Uint8Array {
    checkRange(this, offset, length);
    return this.archive.read(this.base + offset, length);
  }

  readInto(offset: number, dest: Uint8Array): void {
    checkRange(this, offset, dest.length);
    readInto(this.archive, this.base + offset, dest);
  }

  verify(): void {
    if (this.verified) return;
    for (const _ of this.crcPass());
  }

  /** {@link verify} with a stop point after every 8 MiB (an interrupt acts within a chunk). */
  async verifyAsync(): Promise<void> {
    if (this.verified) return;
    for (const _ of this.crcPass()) await stopPoint();
  }

  /** The CRC pass in chunks of 8 MiB (views when the archive has them, else one reused buffer), yielding after each. */
  private *crcPass(): Generator<void, void> {
    let crc = CRC32_INIT;
    const buf = this.archive.view ? null : new Uint8Array(Math.min(CHUNK_BYTES, this.size));
    for (let at = 0; at < this.size; at += CHUNK_BYTES) {
      const len = Math.min(CHUNK_BYTES, this.size - at);
      let part: Uint8Array;
      if (buf) {
        part = buf.subarray(0, len);
        readInto(this.archive, this.base + at, part);
      } else part = this.archive.view!(this.base + at, len);
      crc = crc32Update(crc, part);
      yield;
    }
    const got = crc32Final(crc);
    if (got !== this.entry.crc32) throw badCrc(this.name, this.entry.crc32, got);
    this.verified = true;
  }
}

/** Where a long CRC pass may be paused (tests) or interrupted: after each 8 MiB. */
async function stopPoint(): Promise<void> {
  pauseAtSync('verify-chunk');
  await checkInterrupt();
}

/** Compressed bytes pushed to the inflater per step. */
const CHUNK = 1 << 15;
/** Fewest compressed bytes pushed per step (up to ~1 MB of output at deflate's best ratio). */
const MIN_PUSH = 1 << 10;
/** The first output bytes are kept, so headers can be re-read without re-inflating. */
const HEAD_MAX = 1 << 16;

/**
 * A deflated entry, inflated on demand with fflate's streaming Inflate. Reads at or after
 * the current stream position continue the stream (sequential row batches cost O(total));
 * a read behind it restarts from the beginning. The first 64 KiB and the most recent
 * output chunk are cached.
 */
class InflateEntrySource implements ByteSource {
  readonly size: number;
  private inflater: Inflate | undefined;
  private produced = 0;
  private consumed = 0;
  private crc = CRC32_INIT;
  private head: Uint8Array = new Uint8Array(0);
  private last: Uint8Array = new Uint8Array(0);
  private lastStart = 0;
  // The request being served while pushing.
  private dest: Uint8Array | undefined;
  private destOffset = 0;
  private verified = false;

  constructor(
    private readonly archive: ByteSource,
    private readonly base: number,
    private readonly entry: ZipEntry,
    readonly name: string,
  ) {
    this.size = entry.uncompressedSize;
  }

  read(offset: number, length: number): Uint8Array {
    checkRange(this, offset, length);
    if (offset + length <= this.head.length) return this.head.subarray(offset, offset + length);
    const out = new Uint8Array(length);
    this.readInto(offset, out);
    return out;
  }

  readInto(offset: number, dest: Uint8Array): void {
    checkRange(this, offset, dest.length);
    const end = offset + dest.length;
    let from = offset;
    from = this.serve(this.head, 0, dest, offset, from, end);
    from = this.serve(this.last, this.lastStart, dest, offset, from, end);
    if (from >= end) return;
    if (this.inflater === undefined || from < this.produced) this.restart();
    this.dest = dest;
    this.destOffset = offset;
    try {
      // Continue to the end of the compressed data when the read reaches the entry's end,
      // so that the size and CRC are always checked on a full read.
      const target = end === this.size ? Infinity : end;
      while (this.produced < target && this.consumed < this.entry.compressedSize) this.pushNext(target - this.produced);
      if (this.produced < end) {
        throw errors.badFile(this.name, `truncated: deflate data end after ${this.produced} of ${this.size} bytes`);
      }
    } finally {
      this.dest = undefined;
    }
  }

  /**
   * Inflate the whole entry once more, keeping nothing but the count and the CRC, unless an
   * earlier inflation already reached the end and matched (see the module doc).
   */
  verify(): void {
    if (this.verified) return;
    for (const _ of this.crcPass());
  }

  /** {@link verify} with a stop point after every 8 MiB of output (an interrupt acts within about that much inflating). */
  async verifyAsync(): Promise<void> {
    if (this.verified) return;
    for (const _ of this.crcPass()) await stopPoint();
  }

  /** The inflating CRC pass, yielding after every 8 MiB of output. */
  private *crcPass(): Generator<void, void> {
    let produced = 0;
    let since = 0;
    let crc = CRC32_INIT;
    const inflater = new Inflate((chunk) => {
      produced += chunk.length;
      since += chunk.length;
      if (produced > this.size) throw errors.badFile(this.name, `corrupt: inflates to more than the declared ${this.size} bytes`);
      crc = crc32Update(crc, chunk);
    });
    for (let consumed = 0; consumed < this.entry.compressedSize || consumed === 0; ) {
      // No more input than the output still expected needs (see pushNext), so a lying size shows early.
      const len = Math.min(CHUNK, Math.max(MIN_PUSH, this.size - produced), this.entry.compressedSize - consumed);
      const bytes = this.archive.read(this.base + consumed, len);
      consumed += len;
      try {
        inflater.push(bytes, consumed === this.entry.compressedSize);
      } catch (e) {
        if (e instanceof KrsError) throw e;
        throw errors.badFile(this.name, `corrupt or truncated deflate data (${(e as Error).message})`);
      }
      if (len === 0) break;
      if (since >= CHUNK_BYTES) {
        since = 0;
        yield;
      }
    }
    if (produced !== this.size) {
      throw errors.badFile(this.name, `corrupt or truncated: inflates to ${produced} bytes, the directory says ${this.size}`);
    }
    const got = crc32Final(crc);
    if (got !== this.entry.crc32) throw badCrc(this.name, this.entry.crc32, got);
    this.verified = true;
  }

  /** Copy the overlap of cached `chunk` (starting at `start`) into dest; return the new `from`. */
  private serve(chunk: Uint8Array, start: number, dest: Uint8Array, offset: number, from: number, end: number): number {
    if (from >= end || from < start || from >= start + chunk.length) return from;
    const to = Math.min(end, start + chunk.length);
    dest.set(chunk.subarray(from - start, to - start), from - offset);
    return to;
  }

  private restart(): void {
    this.inflater = new Inflate((chunk, final) => this.onData(chunk, final));
    this.produced = 0;
    this.consumed = 0;
    this.crc = CRC32_INIT;
  }

  /**
   * Push the next compressed bytes: enough for `want` more output bytes (deflate never
   * needs more input than output, give or take a block header), at least 1 KiB and at most
   * {@link CHUNK}, so reading a header does not inflate megabytes of a highly compressed entry.
   */
  private pushNext(want: number): void {
    const len = Math.min(CHUNK, Math.max(MIN_PUSH, want), this.entry.compressedSize - this.consumed);
    const bytes = this.archive.read(this.base + this.consumed, len);
    this.consumed += len;
    const final = this.consumed === this.entry.compressedSize;
    try {
      this.inflater!.push(bytes, final);
    } catch (e) {
      this.inflater = undefined;
      if (e instanceof KrsError) throw e;
      throw errors.badFile(this.name, `corrupt or truncated deflate data (${(e as Error).message})`);
    }
  }

  private onData(chunk: Uint8Array, final: boolean): void {
    const start = this.produced;
    const end = start + chunk.length;
    if (end > this.size) {
      throw errors.badFile(this.name, `corrupt: inflates to more than the declared ${this.size} bytes`);
    }
    this.crc = crc32Update(this.crc, chunk);
    this.produced = end;
    if (chunk.length > 0) {
      this.last = chunk;
      this.lastStart = start;
    }
    if (this.head.length < HEAD_MAX && start <= this.head.length && end > this.head.length) {
      const grown = new Uint8Array(Math.min(HEAD_MAX, end));
      grown.set(this.head);
      grown.set(chunk.subarray(this.head.length - start, grown.length - start), this.head.length);
      this.head = grown;
    }
    const dest = this.dest;
    if (dest) {
      const lo = Math.max(start, this.destOffset);
      const hi = Math.min(end, this.destOffset + dest.length);
      if (lo < hi) dest.set(chunk.subarray(lo - start, hi - start), lo - this.destOffset);
    }
    if (final) {
      if (end !== this.size) {
        throw errors.badFile(this.name, `corrupt or truncated: inflates to ${end} bytes, the directory says ${this.size}`);
      }
      const got = crc32Final(this.crc);
      if (got !== this.entry.crc32) throw badCrc(this.name, this.entry.crc32, got);
      this.verified = true;
    }
  }
}

function badCrc(name: string, expected: number, got: number) {
  return errors.badFile(name, `corrupt: CRC-32 mismatch (expected ${hex(expected)}, data give ${hex(got)})`);
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** An unsigned 64-bit little-endian integer, which must fit a double exactly. */
function u64(v: DataView, at: number, file: string): number {
  const lo = v.getUint32(at, true);
  const hi = v.getUint32(at + 4, true);
  if (hi > 0x1fffff) throw errors.badFile(file, `corrupt: a 64-bit size or offset exceeds 2^53`);
  return hi * 2 ** 32 + lo;
}

/** The data of the zip64 extended-information extra field (id 0x0001), if present. */
function zip64Extra(extra: Uint8Array): DataView | undefined {
  const v = view(extra);
  for (let p = 0; p + 4 <= extra.length; ) {
    const id = v.getUint16(p, true);
    const len = v.getUint16(p + 2, true);
    if (id === 0x0001) return view(extra.subarray(p + 4, Math.min(extra.length, p + 4 + len)));
    p += 4 + len;
  }
  return undefined;
}
