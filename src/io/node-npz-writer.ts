/**
 * Node-only: writing a capture as an `.npz` archive (the format `np.load` reads), batch by
 * batch with bounded memory, atomically.
 *
 * Each array is streamed to its own temporary `.npy` file (header first: the number of
 * rows is known up front), its CRC-32 computed on the way; appends smaller than
 * {@link STAGE_BYTES} (a batch's logits, targets, ids) are gathered per array and written
 * together, so a capture makes a system call per quarter mebibyte of such an array, not one
 * per batch. {@link NpzWriter.finish} then copies them into a stored (uncompressed) zip —
 * with zip64 records where sizes or offsets pass 4 GiB, as NumPy writes them — in a
 * temporary folder beside the target
 * (`.<name>.partial-<host>-<pid>-<random>/`), flushes it to the disk, and renames it into
 * place (the commit, see `node-atomic-write.ts`). Until that rename nothing changes under the
 * target name, so a failed or interrupted run never leaves a partial capture that looks
 * complete, and an existing capture stays as it was; {@link NpzWriter.abort} (called on every
 * error path) removes the temporary files, and so does an exit of the process. A pending
 * interrupt (`interrupt.ts`) stops {@link NpzWriter.finish} before the commit;
 * {@link NpzWriter.finishAsync} also stops between chunks of the copy. Temporary
 * folders of killed processes are removed by the next writer of the same target.
 *
 * Failures of the machine (a read-only or full file system, no permission, the target a
 * folder) are KrsErrors of kind `environment` naming the target.
 *
 * Arrays are written little-endian, C order. Float16 data (held as float32 in krs) is
 * written as float32.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { errors, fmtShape } from '../core/errors.js';
import { type DType, sizeOf, type Tensor } from '../core/tensor.js';
import { CRC32_INIT, crc32Final, crc32Update } from './crc32.js';
import { CHUNK_BYTES, checkInterrupt, pacer, pauseAtSync, throwIfInterrupted } from './interrupt.js';
import { commitFile, ensureDir, partialPath, removeStalePartials, writeAll, writeFailure, writeTarget } from './node-atomic-write.js';

const WHAT = 'the capture';

/** Temporary folders of unfinished writers, removed if the process exits first. */
const live = new Set<string>();
let exitHook = false;
function track(dir: string): void {
  live.add(dir);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const d of live) fs.rmSync(d, { recursive: true, force: true });
    });
  }
}

const DESCR: Record<DType, string> = {
  float16: '<f4',
  bfloat16: '<f4',
  float32: '<f4',
  float64: '<f8',
  int8: '|i1',
  int16: '<i2',
  int32: '<i4',
  int64: '<i8',
  uint8: '|u1',
  uint16: '<u2',
  uint32: '<u4',
  uint64: '<u8',
  bool: '|b1',
};

/** The bytes of a .npy header (format 1.0, or 2.0 when the header is long) for a C-order array. */
export function npyHeader(dtype: DType, shape: readonly number[]): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  let version = 1;
  let prefix = 10;
  let total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  if (total - prefix > 0xffff) {
    version = 2;
    prefix = 12;
    total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  }
  const headerLen = total - prefix;
  const text = `${dict.padEnd(headerLen - 1, ' ')}\n`;
  const out = new Uint8Array(total);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const dv = new DataView(out.buffer);
  if (version === 1) dv.setUint16(8, headerLen, true);
  else dv.setUint32(8, headerLen, true);
  for (let i = 0; i < text.length; i++) out[prefix + i] = text.charCodeAt(i);
  return out;
}

/** Appends smaller than this are gathered per array and written together: 256 KiB. */
export const STAGE_BYTES = 1 << 18;

interface Entry {
  key: string;
  tmp: string;
  fd: number;
  dtype: DType;
  shape: number[];
  rows: number;
  /** CRC-32 and byte count of what has been written to `tmp` (not what is staged). */
  crc: number;
  size: number;
  /** Bytes appended but not yet written (the first `staged` bytes of `stage`; allocated at the first small append). */
  stage: Uint8Array | null;
  staged: number;
  /** The array's whole size in bytes, header included (more than `stage` ever needs). */
  total: number;
}

/** Streams arrays into a new `.npz` file; see the module comment. */
export class NpzWriter {
  readonly file: string;
  private readonly tmpDir: string;
  private readonly entries = new Map<string, Entry>();
  private readonly extras = new Map<string, Uint8Array>();
  private done = false;

  /**
   * @param file the `.npz` to create (replaced if it exists, but only at {@link finish});
   *   its folder is created if needed
   * @param rows the number of samples every array will hold
   * @throws KrsError BAD_TARGET when `file` is a folder or a file stands where its folder
   *   should be, NOT_WRITABLE when the folder cannot be written (before any work is done).
   */
  constructor(
    file: string,
    readonly rows: number,
  ) {
    ensureDir(path.dirname(path.resolve(file)), WHAT);
    this.file = writeTarget(file, WHAT);
    removeStalePartials(this.file);
    const tmp = partialPath(this.file);
    try {
      fs.mkdirSync(tmp);
    } catch (e) {
      throw writeFailure(file, e, WHAT);
    }
    this.tmpDir = tmp;
    track(this.tmpDir);
  }

  /**
   * Add a member that is not an array (e.g. `krs.json` metadata), stored after the arrays.
   * Readers of captures skip members not ending in `.npy`; `np.load` returns its bytes.
   * @throws KrsError INTERNAL for a name ending in `.npy` or given twice.
   */
  attach(name: string, bytes: Uint8Array): void {
    if (this.done || name.endsWith('.npy') || this.extras.has(name)) throw errors.internal(`NpzWriter: cannot attach ${JSON.stringify(name)} to ${this.file}`);
    this.extras.set(name, bytes);
  }

  /** Keys written so far, in order. */
  keys(): string[] {
    return [...this.entries.keys()];
  }

  /** Name, dtype and full shape of every array, in order. */
  arrays(): { key: string; dtype: DType; shape: number[] }[] {
    return [...this.entries.values()].map((e) => ({ key: e.key, dtype: e.dtype, shape: [...e.shape] }));
  }

  /**
   * Append rows to array `key` (created by the first call, with that batch's dtype and row shape).
   * @throws KrsError SHAPE_MISMATCH for a batch whose row shape or dtype differs from the first,
   *   or rows beyond the declared count.
   */
  append(key: string, t: Tensor): void {
    if (this.done) throw errors.internal(`NpzWriter: append after finish/abort (${this.file})`);
    let e = this.entries.get(key);
    const dtype: DType = t.dtype === 'float16' || t.dtype === 'bfloat16' ? 'float32' : t.dtype;
    if (!e) {
      const tmp = path.join(this.tmpDir, `${this.entries.size}.npy`);
      const shape = [this.rows, ...t.shape.slice(1)];
      let fd: number;
      try {
        fd = fs.openSync(tmp, 'w');
      } catch (err) {
        throw writeFailure(this.file, err, WHAT);
      }
      const header = npyHeader(dtype, shape);
      const total = header.length + sizeOf(shape) * t.data.BYTES_PER_ELEMENT;
      e = { key, tmp, fd, dtype, shape, rows: 0, crc: CRC32_INIT, size: 0, stage: null, staged: 0, total };
      this.entries.set(key, e);
      this.writeNow(e, header);
    }
    const row = t.shape.slice(1);
    if (dtype !== e.dtype || row.length !== e.shape.length - 1 || row.some((d, i) => d !== e!.shape[i + 1])) {
      throw errors.shapeMismatch(`array '${key}' written to ${this.file}`, `rows of ${e.dtype}${fmtShape(e.shape.slice(1))}`, `${dtype}${fmtShape(row)}`);
    }
    const n = t.shape[0] ?? 0;
    if (e.rows + n > this.rows) throw errors.shapeMismatch(`array '${key}' written to ${this.file}`, `${this.rows} rows in all`, `${e.rows + n}`);
    const d = t.data;
    this.write(e, new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    e.rows += n;
  }

  /** Append `bytes` to the array's file: gathered in its stage when small, written at once (after the stage) when not. */
  private write(e: Entry, bytes: Uint8Array): void {
    if (bytes.length >= STAGE_BYTES) {
      this.flush(e);
      this.writeNow(e, bytes);
      return;
    }
    if (e.staged + bytes.length > STAGE_BYTES) this.flush(e);
    e.stage ??= new Uint8Array(Math.min(STAGE_BYTES, e.total));
    e.stage.set(bytes, e.staged);
    e.staged += bytes.length;
  }

  /** Write what the array has staged. */
  private flush(e: Entry): void {
    if (e.staged === 0 || !e.stage) return;
    const staged = e.stage.subarray(0, e.staged);
    e.staged = 0;
    this.writeNow(e, staged);
  }

  private writeNow(e: Entry, bytes: Uint8Array): void {
    e.crc = crc32Update(e.crc, bytes);
    try {
      writeAll(e.fd, bytes);
    } catch (err) {
      throw writeFailure(this.file, err, WHAT);
    }
    e.size += bytes.length;
  }

  /**
   * Assemble the archive, flush it to the disk and move it into place (the commit).
   * @throws KrsError SHAPE_MISMATCH when an array holds fewer rows than declared,
   *   INTERRUPTED when an interrupt is pending (before or after assembling), environment
   *   kinds when the disk fills up or the rename fails; in every case nothing changes at the
   *   target and the temporary files are removed.
   */
  finish(): void {
    const tmpZip = this.prepare();
    try {
      for (const _ of this.archiveSteps(tmpZip));
      commitFile(tmpZip, this.file, WHAT);
    } catch (e) {
      this.abort();
      throw e;
    }
    this.cleanUp();
  }

  /**
   * {@link finish} with stop points: the archive is copied together in chunks of 8 MiB with a
   * stop point (`checkInterrupt`) after each, so a signal during the copy of a large capture is
   * acted on within a chunk (INTERRUPTED, nothing changed at the target).
   * @throws as {@link finish}.
   */
  async finishAsync(): Promise<void> {
    const tmpZip = this.prepare();
    try {
      const pace = pacer();
      for (const bytes of this.archiveSteps(tmpZip)) {
        pauseAtSync('npz-copy');
        await pace(bytes);
      }
      await checkInterrupt();
      commitFile(tmpZip, this.file, WHAT);
    } catch (e) {
      this.abort();
      throw e;
    }
    this.cleanUp();
  }

  /** Stop if an interrupt is pending, close the arrays' files and check their rows; the archive's temporary path. */
  private prepare(): string {
    if (this.done) throw errors.internal(`NpzWriter: finish twice (${this.file})`);
    try {
      throwIfInterrupted();
      for (const e of this.entries.values()) {
        this.flush(e);
        e.stage = null;
        fs.closeSync(e.fd);
        e.fd = -1;
        if (e.rows !== this.rows) throw errors.shapeMismatch(`array '${e.key}' written to ${this.file}`, `${this.rows} rows`, `${e.rows}`);
      }
    } catch (e) {
      this.abort();
      throw e;
    }
    return path.join(this.tmpDir, 'archive.npz');
  }

  /** Assemble the archive at `tmpZip`, yielding the bytes of each chunk copied. */
  private *archiveSteps(tmpZip: string): Generator<number> {
    try {
      const extras = [...this.extras].map(([name, bytes], i) => {
        const file = path.join(this.tmpDir, `extra-${i}`);
        fs.writeFileSync(file, bytes);
        return { name, file, size: bytes.length, crc: crc32Final(crc32Update(CRC32_INIT, bytes)) };
      });
      yield* storedZipSteps(tmpZip, [
        ...[...this.entries.values()].map((e) => ({ name: `${e.key}.npy`, file: e.tmp, size: e.size, crc: crc32Final(e.crc) })),
        ...extras,
      ]);
    } catch (e) {
      throw writeFailure(this.file, e, WHAT);
    }
  }

  private cleanUp(): void {
    this.done = true;
    fs.rmSync(this.tmpDir, { recursive: true, force: true });
    live.delete(this.tmpDir);
  }

  /** Remove every temporary file; the target is left untouched. Idempotent. */
  abort(): void {
    this.done = true;
    for (const e of this.entries.values()) {
      if (e.fd >= 0) {
        try {
          fs.closeSync(e.fd);
        } catch {
          /* already closed */
        }
        e.fd = -1;
      }
    }
    fs.rmSync(this.tmpDir, { recursive: true, force: true });
    live.delete(this.tmpDir);
  }
}

const U32 = 0xffffffff;

/**
 * Write a stored zip of existing files (name, file, size, crc), with zip64 records when needed;
 * a generator that yields the bytes of each chunk of data copied (at most {@link CHUNK_BYTES}),
 * so that a caller can make stop points between chunks.
 */
function* storedZipSteps(out: string, members: { name: string; file: string; size: number; crc: number }[]): Generator<number> {
  const fd = fs.openSync(out, 'w');
  try {
    let offset = 0;
    const put = (b: Uint8Array) => {
      writeAll(fd, b);
      offset += b.length;
    };
    const central: Uint8Array[] = [];
    const enc = new TextEncoder();
    for (const m of members) {
      const name = enc.encode(m.name);
      const utf8 = /[^\x20-\x7e]/.test(m.name) ? 0x0800 : 0;
      const big = m.size >= U32;
      const localOffset = offset;
      put(localHeader(name, utf8, m, big));
      // Data, copied in chunks.
      const src = fs.openSync(m.file, 'r');
      try {
        const buf = new Uint8Array(Math.min(m.size, CHUNK_BYTES) || 1);
        let done = 0;
        while (done < m.size) {
          const got = fs.readSync(src, buf, 0, Math.min(buf.length, m.size - done), done);
          if (got <= 0) throw errors.badFile(m.file, 'temporary capture file shrank while being archived');
          put(buf.subarray(0, got));
          done += got;
          yield got;
        }
      } finally {
        fs.closeSync(src);
      }
      central.push(centralRecord(name, utf8, m, big, localOffset));
    }
    const cdOffset = offset;
    for (const c of central) put(c);
    const cdSize = offset - cdOffset;
    const count = members.length;
    for (const b of endRecords(count, cdSize, cdOffset)) put(b);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** A member's local file header: stored, no time, 1980-01-01; a zip64 extra field when the member is ≥ 4 GiB. */
function localHeader(name: Uint8Array, utf8: number, m: { name: string; file: string; size: number; crc: number }, big: boolean): Uint8Array {
  const lextra = big ? 20 : 0;
  const lh = new DataView(new ArrayBuffer(30 + name.length + lextra));
  lh.setUint32(0, 0x04034b50, true);
  lh.setUint16(4, big ? 45 : 20, true);
  lh.setUint16(6, utf8, true);
  lh.setUint16(8, 0, true); // stored
  lh.setUint16(10, 0, true); // time
  lh.setUint16(12, 0x21, true); // date 1980-01-01
  lh.setUint32(14, m.crc, true);
  lh.setUint32(18, big ? U32 : m.size, true);
  lh.setUint32(22, big ? U32 : m.size, true);
  lh.setUint16(26, name.length, true);
  lh.setUint16(28, lextra, true);
  new Uint8Array(lh.buffer).set(name, 30);
  if (big) {
    lh.setUint16(30 + name.length, 1, true);
    lh.setUint16(32 + name.length, 16, true);
    lh.setBigUint64(34 + name.length, BigInt(m.size), true);
    lh.setBigUint64(42 + name.length, BigInt(m.size), true);
  }
  return new Uint8Array(lh.buffer);
}

/** A member's central directory record, with a zip64 extra field for its sizes (≥ 4 GiB) and offset (past 4 GiB) when needed. */
function centralRecord(
  name: Uint8Array,
  utf8: number,
  m: { name: string; file: string; size: number; crc: number },
  big: boolean,
  localOffset: number,
): Uint8Array {
  const bigOff = localOffset >= U32;
  const z: bigint[] = [];
  if (big) z.push(BigInt(m.size), BigInt(m.size));
  if (bigOff) z.push(BigInt(localOffset));
  const cextra = z.length ? 4 + 8 * z.length : 0;
  const ch = new DataView(new ArrayBuffer(46 + name.length + cextra));
  ch.setUint32(0, 0x02014b50, true);
  ch.setUint16(4, 45, true);
  ch.setUint16(6, big || bigOff ? 45 : 20, true);
  ch.setUint16(8, utf8, true);
  ch.setUint16(10, 0, true);
  ch.setUint16(12, 0, true);
  ch.setUint16(14, 0x21, true);
  ch.setUint32(16, m.crc, true);
  ch.setUint32(20, big ? U32 : m.size, true);
  ch.setUint32(24, big ? U32 : m.size, true);
  ch.setUint16(28, name.length, true);
  ch.setUint16(30, cextra, true);
  ch.setUint16(32, 0, true);
  ch.setUint16(34, 0, true);
  ch.setUint16(36, 0, true);
  ch.setUint32(38, 0, true);
  ch.setUint32(42, bigOff ? U32 : localOffset, true);
  new Uint8Array(ch.buffer).set(name, 46);
  if (z.length) {
    ch.setUint16(46 + name.length, 1, true);
    ch.setUint16(48 + name.length, 8 * z.length, true);
    z.forEach((v, i) => ch.setBigUint64(50 + name.length + 8 * i, v, true));
  }
  return new Uint8Array(ch.buffer);
}

/** The end records after the central directory (which ends where the first of them starts): zip64 record and locator when needed, then the end-of-central-directory record. */
function endRecords(count: number, cdSize: number, cdOffset: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  if (count >= 0xffff || cdOffset >= U32 || cdSize >= U32) {
    const eocd64Offset = cdOffset + cdSize;
    const r = new DataView(new ArrayBuffer(56));
    r.setUint32(0, 0x06064b50, true);
    r.setBigUint64(4, 44n, true);
    r.setUint16(12, 45, true);
    r.setUint16(14, 45, true);
    r.setUint32(16, 0, true);
    r.setUint32(20, 0, true);
    r.setBigUint64(24, BigInt(count), true);
    r.setBigUint64(32, BigInt(count), true);
    r.setBigUint64(40, BigInt(cdSize), true);
    r.setBigUint64(48, BigInt(cdOffset), true);
    out.push(new Uint8Array(r.buffer));
    const l = new DataView(new ArrayBuffer(20));
    l.setUint32(0, 0x07064b50, true);
    l.setUint32(4, 0, true);
    l.setBigUint64(8, BigInt(eocd64Offset), true);
    l.setUint32(16, 1, true);
    out.push(new Uint8Array(l.buffer));
  }
  const e = new DataView(new ArrayBuffer(22));
  e.setUint32(0, 0x06054b50, true);
  e.setUint16(8, Math.min(count, 0xffff), true);
  e.setUint16(10, Math.min(count, 0xffff), true);
  e.setUint32(12, Math.min(cdSize, U32), true);
  e.setUint32(16, Math.min(cdOffset, U32), true);
  out.push(new Uint8Array(e.buffer));
  return out;
}
