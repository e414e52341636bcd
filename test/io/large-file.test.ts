/**
 * Files over 2 GiB (fs.readFileSync refuses them): sparse .npy files in os.tmpdir(),
 * written as a header plus ftruncate, with a few known values, deleted afterwards.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { crc32 } from '../../src/io/crc32.js';
import { openCapture } from '../../src/io/node-capture.js';
import { fileSource } from '../../src/io/node-source.js';
import { readNpy, readNpyInfo, readNpyRows } from '../../src/io/npy.js';
import { npzEntries } from '../../src/io/npz.js';
import type { ByteSource } from '../../src/io/source.js';
import { openZipEntry } from '../../src/io/zip.js';
import { expectKrsError, npyBytes } from './helpers.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'krs-large-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Write `header`, extend the file sparsely to `total` bytes, then write `patches`. */
function sparse(file: string, header: Uint8Array, total: number, patches: [number, Uint8Array][]): void {
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, header, 0, header.length, 0);
    fs.ftruncateSync(fd, total);
    for (const [at, bytes] of patches) fs.writeSync(fd, bytes, 0, bytes.length, at);
  } finally {
    fs.closeSync(fd);
  }
}

const f32 = (...v: number[]) => new Uint8Array(new Float32Array(v).buffer);

describe('a float32 .npy over 2 GiB', () => {
  const N = 2 ** 19 + 2; // N × 1024 × 4 bytes = 2^31 + 8192
  const W = 1024;
  const file = path.join(dir, 'big.npy');
  const header = npyBytes('<f4', [N, W], new Uint8Array(0));
  const H = header.length;
  const straddle = Math.floor((2 ** 31 - H) / (W * 4)); // the row that crosses byte 2^31
  const rowOf = (_r: number, base: number) => f32(...Array.from({ length: W }, (_, j) => base + j));
  sparse(file, header, H + N * W * 4, [
    [H, f32(1, 2, 3, 4)],
    [H + straddle * W * 4, rowOf(straddle, 1000)],
    [H + (N - 1) * W * 4, rowOf(N - 1, -5000)],
  ]);

  it('is really over 2 GiB', () => {
    expect(fs.statSync(file).size).toBeGreaterThan(2 ** 31);
  });

  it('lists its shape without reading the data', () => {
    expect(openCapture(file).info('big')).toEqual({ dtype: 'float32', shape: [N, W] });
    expect(readNpyInfo(fileSource(file)).dataOffset).toBe(H);
  });

  it('reads the last rows and the row across the 2 GiB boundary', () => {
    const src = fileSource(file);
    const last = readNpyRows(src, N - 2, N);
    expect(last.shape).toEqual([2, W]);
    expect(last.data[0]).toBe(0);
    expect(last.data[W]).toBe(-5000);
    expect(last.data[2 * W - 1]).toBe(-5000 + W - 1);
    const mid = openCapture(file).readRows('big', straddle, straddle + 1);
    expect(Array.from(mid.data.subarray(0, 3) as Float32Array)).toEqual([1000, 1001, 1002]);
    expect(mid.data[W - 1]).toBe(1000 + W - 1);
  });

  it('reads the whole array (2 GiB in one Float32Array)', () => {
    const t = readNpy(fileSource(file));
    expect(t.data.length).toBe(N * W);
    expect(Array.from(t.data.subarray(0, 5) as Float32Array)).toEqual([1, 2, 3, 4, 0]);
    expect(t.data[straddle * W + 7]).toBe(1007);
    expect(t.data[N * W - 1]).toBe(-5000 + W - 1);
  });
});

describe('Fortran-order row ranges of an array over 64 MiB', () => {
  it('uses one read per column run and gets the right values', () => {
    const n = 8200; // 8200 × 8200 uint8 = 67.24 MB > 64 MiB
    const file = path.join(dir, 'fortran.npy');
    const header = npyBytes('|u1', [n, n], new Uint8Array(0), true);
    const cols = [0, 1, 4000, n - 1];
    const patches: [number, Uint8Array][] = cols.map((c) => [header.length + c * n + 100, new Uint8Array([c % 251, 7, 9])]);
    sparse(file, header, header.length + n * n, patches);
    const src = fileSource(file);
    let reads = 0;
    const counting = { name: src.name, size: src.size, read: (o: number, l: number) => (reads++, src.read(o, l)) };
    const t = readNpyRows(counting, 100, 103);
    expect(t.shape).toEqual([3, n]);
    expect(reads).toBeGreaterThanOrEqual(n); // strided, not one 67 MB read
    for (const c of cols) expect([t.data[c], t.data[n + c], t.data[2 * n + c]]).toEqual([c % 251, 7, 9]);
    expect(t.data[2]).toBe(0);
    fs.rmSync(file);
  });
});

describe('beyond 4 GiB', () => {
  const N = 2 ** 20 + 1; // N × 1024 × 4 bytes = 2^32 + 4096
  const W = 1024;

  it('a .npy: rows past byte 2^32 read; a whole read fails cleanly at the 4 GiB array limit, before allocating', () => {
    const file = path.join(dir, 'huge.npy');
    const header = npyBytes('<f4', [N, W], new Uint8Array(0));
    sparse(file, header, header.length + N * W * 4, [[header.length + (N - 1) * W * 4, f32(42, 43)]]);
    const t = readNpyRows(fileSource(file), N - 1, N);
    expect([t.data[0], t.data[1], t.data[2]]).toEqual([42, 43, 0]);
    expectKrsError(() => readNpy(fileSource(file)), 'BAD_VALUE', file, 'maxArrayBytes = 4294967296', 'KRS_MAX_ARRAY_BYTES');
    // Above the limit, the platform's own ceiling still gives a clean error.
    expectKrsError(() => readNpy(fileSource(file), undefined, { maxArrayBytes: 2 ** 40 }), 'BAD_VALUE', file, 'too large', 'row ranges');
    fs.rmSync(file);
  });

  it('an .npz whose entry sizes and offsets exceed 4 GiB (zip64 fields and records)', () => {
    const file = path.join(dir, 'huge.npz');
    const bigHeader = npyBytes('<f4', [N, W], new Uint8Array(0));
    const bigSize = bigHeader.length + N * W * 4;
    const small = npyBytes('<i2', [3], new Uint8Array(new Int16Array([7, -8, 9]).buffer));
    const enc = (s: string) => new TextEncoder().encode(s);
    const u = (bytes: number[][]) => new Uint8Array(bytes.flat());
    const le = (v: number | bigint, n: number) => {
      const out: number[] = [];
      let x = BigInt(v);
      for (let i = 0; i < n; i++, x >>= 8n) out.push(Number(x & 0xffn));
      return out;
    };
    const local = (name: string, size: number, crc: number) =>
      u([
        le(0x04034b50, 4),
        le(45, 2),
        le(0, 2),
        le(0, 2),
        le(0, 4),
        le(crc, 4),
        le(0xffffffff, 4),
        le(0xffffffff, 4),
        le(name.length, 2),
        le(20, 2),
        [...enc(name)],
        le(1, 2),
        le(16, 2),
        le(size, 8),
        le(size, 8),
      ]);
    const central = (name: string, size: number, crc: number, offset: number) =>
      u([
        le(0x02014b50, 4),
        le(45, 2),
        le(45, 2),
        le(0, 2),
        le(0, 2),
        le(0, 4),
        le(crc, 4),
        le(0xffffffff, 4),
        le(0xffffffff, 4),
        le(name.length, 2),
        le(28, 2),
        le(0, 2),
        le(0, 2),
        le(0, 2),
        le(0, 4),
        le(0xffffffff, 4),
        [...enc(name)],
        le(1, 2),
        le(24, 2),
        le(size, 8),
        le(size, 8),
        le(offset, 8),
      ]);
    const bigLocal = local('big.npy', bigSize, 0);
    const smallOffset = bigLocal.length + bigSize;
    const smallLocal = local('small.npy', small.length, crc32(small));
    const cdOffset = smallOffset + smallLocal.length + small.length;
    const cd = [central('big.npy', bigSize, 0, 0), central('small.npy', small.length, crc32(small), smallOffset)];
    const cdSize = cd[0]!.length + cd[1]!.length;
    const z64 = cdOffset + cdSize;
    const tail = u([
      le(0x06064b50, 4),
      le(44, 8),
      le(45, 2),
      le(45, 2),
      le(0, 4),
      le(0, 4),
      le(2, 8),
      le(2, 8),
      le(cdSize, 8),
      le(cdOffset, 8),
      le(0x07064b50, 4),
      le(0, 4),
      le(z64, 8),
      le(1, 4),
      le(0x06054b50, 4),
      le(0, 2),
      le(0, 2),
      le(0xffff, 2),
      le(0xffff, 2),
      le(0xffffffff, 4),
      le(0xffffffff, 4),
      le(0, 2),
    ]);
    const lastRow = bigLocal.length + bigHeader.length + (N - 1) * W * 4;
    sparse(file, bigLocal, z64 + tail.length, [
      [bigLocal.length, bigHeader],
      [lastRow, f32(5, 6)],
      [smallOffset, smallLocal],
      [smallOffset + smallLocal.length, small],
      [cdOffset, cd[0]!],
      [cdOffset + cd[0]!.length, cd[1]!],
      [z64, tail],
    ]);
    expect(fs.statSync(file).size).toBeGreaterThan(2 ** 32);
    const c = openCapture(file);
    expect(c.keys()).toEqual(['big', 'small']);
    expect(c.info('big')).toEqual({ dtype: 'float32', shape: [N, W] });
    expect(Array.from(c.read('small').data as Int16Array)).toEqual([7, -8, 9]);
    // Reading values verifies the whole entry's CRC first (5 GiB here, too slow for a unit
    // test), so the offsets past 2^32 are read through the entry without its verify().
    const src = fileSource(file);
    const entry = openZipEntry(src, npzEntries(src).get('big')!);
    expect(entry.size).toBe(bigSize);
    const unverified: ByteSource = { name: entry.name, size: entry.size, read: (o, n) => entry.read(o, n) };
    const t = readNpyRows(unverified, N - 1, N);
    expect([t.data[0], t.data[1], t.data[2]]).toEqual([5, 6, 0]);
    fs.rmSync(file);
  });
});
