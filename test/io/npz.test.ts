import * as fs from 'node:fs';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../src/io/crc32.js';
import { fileSource } from '../../src/io/node-source.js';
import { npzCapture, npzEntries } from '../../src/io/npz.js';
import { type ByteSource, bytesSource } from '../../src/io/source.js';
import { readZipDirectory } from '../../src/io/zip.js';
import { EXPECTED, type Expected, expectedRows, expectKrsError, expectTensor, fixture, npyBytes } from './helpers.js';

const arrays = EXPECTED.npz.arrays as Record<string, Expected>;

describe.each(['savez.npz', 'savez_compressed.npz'])('%s', (file) => {
  const open = () => npzCapture(fileSource(fixture('npz', file)));

  it('lists keys in archive order, without .npy', () => {
    expect(open().keys()).toEqual(Object.keys(arrays));
  });

  it.each(Object.keys(arrays))('reads %s', (key) => {
    const c = open();
    expect(c.info(key)).toEqual({ dtype: arrays[key]!.dtype, shape: arrays[key]!.shape });
    expectTensor(c.read(key), arrays[key]!);
  });

  it.each(Object.keys(arrays))('reads rows of %s', (key) => {
    const c = open();
    expectTensor(c.readRows(key, 2, 5), expectedRows(arrays[key]!, 2, 5));
    expectTensor(c.readRows(key, 0, 1), expectedRows(arrays[key]!, 0, 1));
    expectTensor(c.readRows(key, 4, 6), expectedRows(arrays[key]!, 4, 6));
  });

  it('names the archive for an unknown key', () => {
    expectKrsError(() => open().read('nope'), 'UNKNOWN_KEY', "'nope'", file, 'features');
  });
});

describe('npz variants', () => {
  it('reads a zip64 archive (zip64 EOCD record, every size and offset in zip64 fields)', () => {
    const e = EXPECTED.npz.zip64 as Record<string, Expected>;
    const c = npzCapture(fileSource(fixture('npz', 'zip64.npz')));
    expect(c.keys()).toEqual(['stored', 'deflated']);
    for (const k of c.keys()) {
      expectTensor(c.read(k), e[k]!);
      expectTensor(c.readRows(k, 1, 3), expectedRows(e[k]!, 1, 3));
    }
  });

  it('reads np.savez archives, whose local headers carry zip64 extra fields', () => {
    const bytes = fs.readFileSync(fixture('npz', 'savez.npz'));
    // local header of the first entry: sizes are 0xFFFFFFFF, the real ones in the extra field
    expect(new DataView(bytes.buffer, bytes.byteOffset).getUint32(18, true)).toBe(0xffffffff);
  });

  it('reads entries written with data descriptors, and ignores non-.npy entries', () => {
    const e = EXPECTED.npz.streamed as Record<string, Expected>;
    const src = fileSource(fixture('npz', 'streamed.npz'));
    expect(readZipDirectory(src).map((x) => x.name)).toEqual(['a.npy', 'b.npy', 'notes.txt']);
    const c = npzCapture(src);
    expect(c.keys()).toEqual(['a', 'b']);
    for (const k of c.keys()) expectTensor(c.read(k), e[k]!);
  });

  it('lists shapes of a deflated entry by inflating only its first chunk', () => {
    const { src, reads } = bigDeflatedNpz();
    const compressed = npzEntries(src).get('big')!.compressedSize;
    const c = npzCapture(src);
    reads.bytes = 0;
    expect(c.info('big')).toEqual({ dtype: 'float32', shape: [4000, 64] });
    expect(compressed).toBeGreaterThan(500_000);
    expect(reads.bytes).toBeLessThan(compressed / 4);
  });

  it('streams row batches of a large deflated entry, in any order, after verifying its CRC once', () => {
    const { src, values, reads } = bigDeflatedNpz();
    const c = npzCapture(src);
    const compressed = npzEntries(src).get('big')!.compressedSize;
    const check = (start: number, end: number) => {
      const t = c.readRows('big', start, end);
      expect([...t.shape]).toEqual([end - start, 64]);
      expect(sameBytes(t.data, values.subarray(start * 64, end * 64))).toBe(true);
    };
    reads.bytes = 0;
    for (let s = 0; s < 4000; s += 512) check(s, Math.min(4000, s + 512)); // sequential
    // One pass to verify the CRC before the first values are returned, then one streaming pass.
    expect(reads.bytes).toBeLessThan(compressed * 2.2);
    check(10, 20); // behind the stream: restarts
    check(3990, 4000);
    check(0, 4000);
    expect(sameBytes(c.read('big').data, values)).toBe(true);
  });
});

function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

/** A 1 MB float32 [4000, 64] array, deflated by fflate into an in-memory npz, with a read counter. */
function bigDeflatedNpz(): { src: ByteSource; values: Float32Array; reads: { bytes: number } } {
  const values = new Float32Array(4000 * 64);
  let x = 12345;
  for (let i = 0; i < values.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    values[i] = (x - 2 ** 31) / 3; // 32 noisy bits: barely compressible
  }
  const zip = zipSync({ 'big.npy': [npyBytes('<f4', [4000, 64], new Uint8Array(values.buffer)), { level: 1 }] });
  const inner = bytesSource('big.npz', zip);
  const reads = { bytes: 0 };
  const src: ByteSource = {
    name: inner.name,
    size: inner.size,
    read: (o, n) => {
      reads.bytes += n;
      return inner.read(o, n);
    },
  };
  return { src, values, reads };
}

describe('crc32', () => {
  it('matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
});
