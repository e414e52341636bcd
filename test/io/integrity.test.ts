/**
 * Files that lie, and resource limits: every case of the reliability issue's bad-input run
 * that krs got wrong, each with the right number or a clean one-line error (exit 3 for bad
 * data, 2 for usage), and the limits of src/io/limits.ts (options, environment variables).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseCocoResults } from '../../src/io/coco.js';
import { crc32 } from '../../src/io/crc32.js';
import { DEFAULT_LIMITS, resolveLimits } from '../../src/io/limits.js';
import { openCapture } from '../../src/io/node-capture.js';
import { readCocoResults } from '../../src/io/node-coco.js';
import { readLabelMap, readLabelMapFolder } from '../../src/io/node-label-map.js';
import { fileSource } from '../../src/io/node-source.js';
import { readNpy } from '../../src/io/npy.js';
import { npzCapture } from '../../src/io/npz.js';
import { type ByteSource, bytesSource } from '../../src/io/source.js';
import { readZipDirectory } from '../../src/io/zip.js';
import { alphaSweep } from '../../src/stats/sensitivity.js';
import { krs } from '../helpers/cli.js';
import { fixturePath } from '../helpers/fixtures.js';
import { expectKrsError, npyBytes, tempDir } from './helpers.js';
import { buildZip, deflated, deflatedZeros, stored } from './zip-builder.js';

const tmp = tempDir();
afterAll(tmp.cleanup);
const write = (name: string, bytes: Uint8Array | string): string => {
  const p = path.join(tmp.dir, name);
  fs.writeFileSync(p, bytes);
  return p;
};
const f32 = (...v: number[]) => new Uint8Array(new Float32Array(v).buffer);

/** `bytes` with one byte of `entry`'s stored data flipped (`at` bytes into its .npy data). */
function flipInEntry(bytes: Uint8Array, entry: string, at: number): Uint8Array {
  const out = bytes.slice();
  const e = readZipDirectory(bytesSource('x.npz', out)).find((x) => x.name === entry)!;
  expect(e.method, 'the fixture stores the entry').toBe(0);
  const v = new DataView(out.buffer);
  const data = e.localHeaderOffset + 30 + v.getUint16(e.localHeaderOffset + 26, true) + v.getUint16(e.localHeaderOffset + 28, true);
  const headerLen = v.getUint16(data + 8, true);
  out[data + 10 + headerLen + at]! ^= 0x40;
  return out;
}

/** A source over `bytes` that counts the bytes read from it. */
function counted(name: string, bytes: Uint8Array): { source: ByteSource; reads: { bytes: number } } {
  const inner = bytesSource(name, bytes);
  const reads = { bytes: 0 };
  return {
    reads,
    source: {
      name,
      size: inner.size,
      read: (o, n) => {
        reads.bytes += n;
        return inner.read(o, n);
      },
    },
  };
}

describe('zip entries are verified before any value is used', () => {
  it('krs explain refuses a corrupted logits entry (it read the one row unchecked), as krs score does', async () => {
    const teacher = fs.readFileSync(fixturePath('explain/teacher.npz'));
    const student = fixturePath('explain/student.npz');
    const bad = write('explain-teacher.npz', flipInEntry(teacher, 'logits.npy', 4 * 10 * 4 + 3));
    const ok = await krs('explain', '--teacher', fixturePath('explain/teacher.npz'), '--student', student, '--sample', '4');
    expect(ok.status).toBe(0);
    for (const args of [
      ['--sample', '4'],
      ['--sample', '0'],
      ['--worst', '2'],
    ]) {
      const r = await krs('explain', '--teacher', bad, '--student', student, ...args);
      expect(r.status, r.stderr).toBe(3);
      expect(r.stderr.trim()).toBe(
        `krs: ${bad}[logits.npy]: corrupt: CRC-32 mismatch (expected ${hexCrc(teacher, 'logits.npy')}, data give ${r.stderr.match(/give (0x[0-9a-f]{8})/)![1]})`,
      );
    }
    const score = await krs('score', '--task', 'classification', '--teacher', bad, '--student', student);
    expect(score.status).toBe(3);
    expect(score.stderr).toContain('CRC-32 mismatch');
  });

  it('a row range of a stored or deflated entry with a bad CRC is BAD_FILE, whichever rows', () => {
    const values = f32(...Array.from({ length: 40 }, (_, i) => i));
    const npy = npyBytes('<f4', [10, 4], values);
    for (const make of [stored, deflated]) {
      const good = make('x.npy', npy);
      const zip = buildZip([{ ...good, crc: (good.crc ^ 1) >>> 0 }]);
      const c = npzCapture(bytesSource('bad.npz', zip));
      // Listing reads the header only; a small deflated entry inflates to its end at once, so its CRC is checked there.
      if (make === stored) expect(c.info('x').shape).toEqual([10, 4]);
      for (const [s, e] of [
        [0, 1],
        [3, 4],
        [9, 10],
      ] as const) {
        expectKrsError(() => c.readRows('x', s, e), 'BAD_FILE', 'bad.npz[x.npy]', 'CRC-32 mismatch');
      }
      expectKrsError(() => c.readIds('x'), 'BAD_FILE', 'CRC-32 mismatch');
      const fine = npzCapture(bytesSource('good.npz', buildZip([good])));
      expect(Array.from(fine.readRows('x', 3, 4).data as Float32Array)).toEqual([12, 13, 14, 15]);
    }
  });

  it('a deflate bomb that declares a small size is stopped at the declared size, after ~1 MB of output', () => {
    const npy = npyBytes('<f4', [100], new Uint8Array(400));
    const data = deflatedZeros(npy.subarray(0, npy.length - 400), 1024); // inflates to 1 GiB + header
    expect(data.length).toBeLessThan(1.2e6);
    const zip = buildZip([{ name: 'x.npy', method: 8, data, crc: 0, uncompressedSize: npy.length }]);
    const { source, reads } = counted('bomb.npz', zip);
    const c = npzCapture(source);
    reads.bytes = 0;
    expectKrsError(() => c.readRows('x', 0, 1), 'BAD_FILE', 'bomb.npz[x.npy]', `inflates to more than the declared ${npy.length} bytes`);
    expectKrsError(() => c.read('x'), 'BAD_FILE', 'inflates to more than the declared');
    expect(reads.bytes, 'compressed bytes read (of ~1 MB)').toBeLessThan(8192);
  });

  it('an entry that holds more than its .npy (1 GiB of zeros after a 400-byte array) is refused from the header', () => {
    const npy = npyBytes('<f4', [100], new Uint8Array(400));
    const data = deflatedZeros(npy, 1024);
    const zip = buildZip([{ name: 'x.npy', method: 8, data, crc: 0, uncompressedSize: npy.length + 2 ** 30 }]);
    const { source, reads } = counted('trailing.npz', zip);
    const c = npzCapture(source);
    reads.bytes = 0; // the directory (the archive's last 64 KiB) is read on open
    expectKrsError(() => c.read('x'), 'BAD_FILE', 'trailing.npz[x.npy]', `holds ${npy.length + 2 ** 30} bytes`, `take ${npy.length}`);
    expect(reads.bytes, 'compressed bytes read (of ~1 MB)').toBeLessThan(4096);
  });

  it('an honest 1 GiB entry is checked against maxArrayBytes before it is inflated or allocated', () => {
    const header = npyBytes('<f4', [2 ** 18, 1024], new Uint8Array(0));
    const zip = buildZip([{ name: 'x.npy', method: 8, data: deflatedZeros(header, 1024), crc: 0, uncompressedSize: header.length + 2 ** 30 }]);
    const { source, reads } = counted('big.npz', zip);
    const c = npzCapture(source, { limits: { maxArrayBytes: 2 ** 28 } });
    reads.bytes = 0;
    expect(c.info('x').shape).toEqual([2 ** 18, 1024]);
    expectKrsError(() => c.read('x'), 'BAD_VALUE', 'big.npz[x.npy]', `is ${2 ** 30}`, 'maxArrayBytes = 268435456', 'KRS_MAX_ARRAY_BYTES');
    expectKrsError(() => c.readRows('x', 0, 2 ** 17), 'BAD_VALUE', 'rows [0, 131072)', 'maxArrayBytes');
    expect(reads.bytes, 'compressed bytes read (of ~1 MB)').toBeLessThan(4096);
  });
});

describe('safetensors that lie', () => {
  const file = (header: object | string, buffer: number): Uint8Array => {
    const text = typeof header === 'string' ? header : JSON.stringify(header);
    const h = new TextEncoder().encode(text);
    const out = new Uint8Array(8 + h.length + buffer);
    new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
    out.set(h, 8);
    out.set(f32(1, 2, 3), 8 + h.length);
    return out;
  };

  it('two tensors sharing bytes are BAD_FILE naming both', () => {
    const p = write(
      'overlap.safetensors',
      file({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12),
    );
    expectKrsError(() => openCapture(p), 'BAD_FILE', p, "'a'", "'b'", 'overlap');
    const gaps = write(
      'gaps.safetensors',
      file({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, 12),
    );
    expect(Array.from(openCapture(gaps).read('b').data as Float32Array)).toEqual([3]);
  });

  it('a name given twice is BAD_FILE (JSON.parse would keep the last one)', () => {
    const header =
      '{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}, "a": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}';
    const p = write('dup.safetensors', file(header, 12));
    expectKrsError(() => openCapture(p), 'BAD_FILE', p, "tensor 'a' more than once");
    const escaped = '{"x\\"y": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "x\\u0022y": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}';
    expectKrsError(() => openCapture(write('dup2.safetensors', file(escaped, 12))), 'BAD_FILE', `tensor 'x"y' more than once`);
  });

  it('krs score exits 3 on either', async () => {
    const p = write(
      'dup3.safetensors',
      file('{"h": {"dtype": "F32", "shape": [1, 1], "data_offsets": [0, 4]}, "h": {"dtype": "F32", "shape": [1, 1], "data_offsets": [4, 8]}}', 12),
    );
    const r = await krs('score', '--task', 'classification', '--teacher', p, '--student', p);
    expect(r).toMatchObject({ status: 3, stderr: expect.stringContaining("names tensor 'h' more than once") });
  });
});

describe('folders whose entries are not files', () => {
  it('a capture folder where h1.npy is a directory is BAD_FILE, not a capture without h1', async () => {
    const dir = path.join(tmp.dir, 'acts');
    fs.mkdirSync(path.join(dir, 'h1.npy'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'h0.npy'), npyBytes('<f4', [2, 1], f32(1, 2)));
    const where = path.join(dir, 'h1.npy');
    expectKrsError(() => openCapture(dir), 'BAD_FILE', where, 'is a directory, expected a .npy file');
    const r = await krs('score', '--task', 'classification', '--teacher', dir, '--student', dir);
    expect(r).toMatchObject({ status: 3, stderr: `krs: ${where}: is a directory, expected a .npy file\n` });
  });

  it('a label-map folder where a.png is a directory is BAD_FILE', () => {
    const dir = path.join(tmp.dir, 'maps');
    fs.mkdirSync(path.join(dir, 'a.png'), { recursive: true });
    expectKrsError(() => readLabelMapFolder(dir), 'BAD_FILE', path.join(dir, 'a.png'), 'is a directory');
  });
});

/** A PNG of the given header with one small IDAT (correct chunk CRCs). */
function png(width: number, height: number, colorType = 3, idat = new Uint8Array([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])): Uint8Array {
  const chunk = (type: string, data: Uint8Array) => {
    const out = new Uint8Array(12 + data.length);
    const v = new DataView(out.buffer);
    v.setUint32(0, data.length);
    out.set(new TextEncoder().encode(type), 4);
    out.set(data, 8);
    v.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
    return out;
  };
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, width);
  new DataView(ihdr.buffer).setUint32(4, height);
  ihdr.set([8, colorType, 0, 0, 0], 8);
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('PLTE', new Uint8Array(6)),
    chunk('IDAT', idat),
    chunk('IEND', new Uint8Array(0)),
  ];
  return new Uint8Array(Buffer.concat(parts));
}

describe('PNG label maps: the declared size is checked before inflating', () => {
  it('a 20000 × 20000 label map is refused from its IHDR, before anything is inflated', async () => {
    const dir = path.join(tmp.dir, 'huge-maps');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'a.png'), png(20000, 20000));
    const f = path.join(dir, 'a.png');
    expectKrsError(() => readLabelMap(f), 'BAD_VALUE', f, 'image size 20000×20000 (pixels) is 400000000', 'maxImagePixels = 89478485', 'KRS_MAX_IMAGE_PIXELS');
    const r = await krs('score', '--task', 'segmentation', '--teacher', dir, '--student', dir);
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toContain('maxImagePixels');
    // The limit can be raised (here lowered) per call.
    expectKrsError(() => readLabelMap(f, { limits: { maxImagePixels: 10 } }), 'BAD_VALUE', 'maxImagePixels = 10');
  });
});

describe('COCO results and text files', () => {
  const dets = '[{"image_id": 1, "category_id": 2, "bbox": [0, 0, 4, 3], "score": 0.9}]';

  it('a UTF-8 byte-order mark is dropped', () => {
    expect(parseCocoResults(`\uFEFF${dets}`, 'bom.json')).toEqual(parseCocoResults(dets, 'plain.json'));
    const p = write('bom.json', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(dets)]));
    expect(readCocoResults(p)).toEqual([{ imageId: '1', categoryId: 2, bbox: [0, 0, 4, 3], score: 0.9 }]);
  });

  it('krs score --task detection gives the same AOA with a BOM', async () => {
    const t = write('t-bom.json', `\uFEFF${dets}`);
    const s = write('s.json', dets.replace('0.9', '0.8').replace('[0, 0, 4, 3]', '[0, 0, 4, 2]'));
    const feats = path.join(tmp.dir, 'feats');
    fs.mkdirSync(feats, { recursive: true });
    const rng = Array.from({ length: 24 }, (_, i) => Math.sin(i * 1.7) + (i % 5));
    fs.writeFileSync(path.join(feats, 'h.npy'), npyBytes('<f4', [8, 3], f32(...rng)));
    const run = (teacher: string) =>
      krs('score', '--task', 'detection', '--teacher', teacher, '--student', s, '--teacher-features', feats, '--student-features', feats, '--json');
    const [a, b] = [await run(t), await run(write('t.json', dets))];
    expect(a.status, a.stderr).toBe(0);
    expect(JSON.parse(a.stdout).aoa).toBe(JSON.parse(b.stdout).aoa);
    expect(JSON.parse(a.stdout).aoa).toBeCloseTo((2 / 3) * 100, 10);
  });

  it('a text file above maxTextBytes is refused before it is read', () => {
    const p = write('big.json', dets);
    expectKrsError(() => readCocoResults(p, { limits: { maxTextBytes: 10 } }), 'BAD_VALUE', p, `is ${dets.length}`, 'maxTextBytes = 10');
  });
});

describe('the α grid', () => {
  it('--alpha-step 1e-9 is a usage error at once (it ran out of memory after 40 s)', async () => {
    const r = await krs('analyze', fixturePath('stats/analysis-table.csv'), '--alpha-step', '1e-9');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /^krs: invalid --alpha-step 1e-9: expected a step of at least 0\.0001: this one makes a grid of 1000000001 points, more than the limit maxAlphaPoints = 10001 \(set KRS_MAX_ALPHA_POINTS to raise it\)\n$/,
    );
    expect((await krs('analyze', fixturePath('stats/analysis-table.csv'), '--alpha-step', '1e-4', '--json')).status).toBe(0);
  });

  it('the library takes the limit as an option', () => {
    expect(alphaSweep(10, 20, { step: 0.001 }).points).toHaveLength(1001);
    expectKrsError(
      () => alphaSweep(10, 20, { step: 0.001, limits: { maxAlphaPoints: 1000 } }),
      'BAD_OPTION',
      'alphaStep',
      '1001 points',
      'maxAlphaPoints = 1000',
    );
  });
});

describe('limits: options over environment variables over defaults', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of Object.keys(process.env)) if (k.startsWith('KRS_MAX_')) delete process.env[k];
    Object.assign(process.env, saved);
  });

  it('resolves each limit; a bad variable is BAD_OPTION naming it', () => {
    expect(resolveLimits()).toEqual(DEFAULT_LIMITS);
    process.env.KRS_MAX_ARRAY_BYTES = '64';
    expect(resolveLimits().maxArrayBytes).toBe(64);
    expect(resolveLimits({ maxArrayBytes: 128 }).maxArrayBytes).toBe(128);
    const npy = bytesSource('x.npy', npyBytes('<f8', [10], new Uint8Array(80)));
    expectKrsError(() => readNpy(npy), 'BAD_VALUE', 'x.npy', 'is 80', 'maxArrayBytes = 64');
    process.env.KRS_MAX_ARRAY_BYTES = '1e3';
    expectKrsError(() => resolveLimits(), 'BAD_OPTION', 'KRS_MAX_ARRAY_BYTES="1e3"', 'positive integer');
    delete process.env.KRS_MAX_ARRAY_BYTES;
    expectKrsError(() => resolveLimits({ maxImagePixels: -1 }), 'BAD_OPTION', 'maxImagePixels');
  });

  it('the CLI reads them: exit 3 above a limit, 2 for a bad value', async () => {
    const p = write('ten.npy', npyBytes('<f8', [10, 1], f32(...Array.from({ length: 20 }, (_, i) => i))));
    process.env.KRS_MAX_ARRAY_BYTES = '16';
    const r = await krs('score', '--task', 'regression', '--teacher', p, '--student', p, '--output-key', 'ten', '--pair', 'ten:ten');
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toContain('KRS_MAX_ARRAY_BYTES');
    process.env.KRS_MAX_ARRAY_BYTES = 'lots';
    expect((await krs('score', '--task', 'regression', '--teacher', p, '--student', p)).status).toBe(2);
  });
});

function hexCrc(archive: Uint8Array, entry: string): string {
  const e = readZipDirectory(bytesSource('x.npz', archive)).find((x) => x.name === entry)!;
  return `0x${e.crc32.toString(16).padStart(8, '0')}`;
}

it('fileSource sources have no checksum to verify', () => {
  const p = write('plain.npy', npyBytes('<f4', [1], f32(5)));
  expect(fileSource(p).verify).toBeUndefined();
});
