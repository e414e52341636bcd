import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { NpzWriter } from '../../src/io/node-npz-writer.js';
import { digitValues, loadMnist, MNIST_SIZE, mnistDataset } from '../../src/runtime/data/mnist.js';
import { openDataset } from '../../src/runtime/data/open.js';
import { expectKrsError } from '../helpers/fixtures.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'krs-data-'));

describe('the built-in mnist data set', () => {
  it('holds all 10 000 digits of the mnist package, interleaved by digit, with labels', () => {
    const d = mnistDataset();
    expect(d.size).toBe(MNIST_SIZE);
    expect(d.arrays.x!.shape).toEqual([10_000, 1, 28, 28]);
    const all = d.read(0, d.size);
    const labels = all.targets!.data as Int32Array;
    const counts = new Array(10).fill(0);
    for (const l of labels) counts[l]++;
    // The package's per-digit files: 1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978.
    expect(counts).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    expect([...labels.slice(0, 12)]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    const x = all.arrays.x!.data as Float32Array;
    let min = Infinity;
    let max = -Infinity;
    for (const v of x) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect([min, max]).toEqual([0, 1]);
    expect([...(all.ids.data as Int32Array).slice(0, 3)]).toEqual([0, 1, 2]);
  });

  it("the digit files' bytes read straight into float32 give JSON.parse's values, interleaved", () => {
    // Reference: the package's files through JSON.parse, interleaved round-robin by digit.
    const require = createRequire(import.meta.url);
    const perDigit = Array.from(
      { length: 10 },
      (_, d) => (JSON.parse(readFileSync(require.resolve(`mnist/src/digits/${d}.json`), 'utf8')) as { data: number[] }).data,
    );
    const want: number[] = [];
    const labels: number[] = [];
    const next = new Array(10).fill(0);
    while (labels.length < MNIST_SIZE) {
      for (let d = 0; d < 10; d++) {
        const i = next[d]++;
        if (i * 784 >= perDigit[d]!.length) continue;
        for (let k = 0; k < 784; k++) want.push(perDigit[d]![i * 784 + k]!);
        labels.push(d);
      }
    }
    const got = loadMnist();
    expect(Buffer.from(got.images.buffer, got.images.byteOffset, got.images.byteLength).equals(Buffer.from(Float32Array.from(want).buffer))).toBe(true);
    expect([...got.labels]).toEqual(labels);
  });

  it('digitValues: plain decimals as JSON.parse reads them; anything else left to JSON.parse (null)', () => {
    const text = '{ "data": [0,1,0.2,0.624,0.992156862745098, 0.5 ,0.1234567890123456,\n0.0001]}\n';
    expect(digitValues(Buffer.from(text))).toEqual(Float32Array.from(JSON.parse(text).data));
    expect(digitValues(Buffer.from('{"data":[]}'))).toEqual(new Float32Array(0));
    for (const bad of [
      '{"data":[1e-3]}',
      '{"data":[-0.5]}',
      '{"data":[0.]}',
      '{"data":[0,,1]}',
      '{"data":[0.12345678901234567]}',
      '{"other":[1],"data":[0]}',
      '{"data":[0]',
      '{"data":[0],"more":1}',
    ]) {
      expect(digitValues(Buffer.from(bad)), bad).toBeNull();
    }
  });

  it('a limit keeps a balanced prefix; reads return row ranges', () => {
    const d = openDataset('mnist', { limit: 50 });
    expect(d.size).toBe(50);
    const b = d.read(10, 20);
    expect(b.arrays.x!.shape).toEqual([10, 1, 28, 28]);
    expect([...(b.targets!.data as Int32Array)]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...(b.ids.data as Int32Array)]).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  });
});

describe('npy / npz data', () => {
  it('picks x and y, reads row ranges, honours --input-key', async () => {
    const dir = tmp();
    const f = join(dir, 'd.npz');
    const w = new NpzWriter(f, 6);
    w.append('x', { dtype: 'float32', shape: [6, 2], data: Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]) });
    w.append('y', { dtype: 'int64', shape: [6], data: BigInt64Array.from([0n, 1n, 0n, 1n, 0n, 1n]) });
    w.append('other', { dtype: 'float64', shape: [6], data: new Float64Array(6) });
    w.finish();
    const d = openDataset(f, { limit: 4 });
    expect(d.primary).toBe('x');
    expect(d.size).toBe(4);
    expect(Object.keys(d.arrays).sort()).toEqual(['other', 'x']);
    const b = d.read(1, 3, ['x']);
    expect([...(b.arrays.x!.data as Float32Array)]).toEqual([2, 3, 4, 5]);
    expect(b.arrays.other).toBeUndefined();
    expect([...(b.targets!.data as BigInt64Array)]).toEqual([1n, 0n]);
    expect(openDataset(f, { inputKey: 'other' }).primary).toBe('other');
    await expectKrsError(() => openDataset(f, { inputKey: 'nope' }), 'UNKNOWN_KEY', /input array 'nope' not found/);
    await expectKrsError(() => openDataset(join(dir, 'missing.npz')), 'FILE_NOT_FOUND', /missing\.npz/);
  });
});

describe('image folders', () => {
  it('class sub-folders become labels; PNG and JPEG, greyscale, resized', () => {
    const dir = tmp();
    for (const [ci, cls] of ['cat', 'dog'].entries()) {
      mkdirSync(join(dir, cls));
      const png = new PNG({ width: 4, height: 4 });
      png.data.fill(ci === 0 ? 0 : 255);
      for (let i = 3; i < png.data.length; i += 4) png.data[i] = 255;
      writeFileSync(join(dir, cls, 'a.png'), PNG.sync.write(png));
      const rgba = Buffer.alloc(4 * 4 * 4, ci === 0 ? 0 : 255);
      writeFileSync(join(dir, cls, 'b.jpg'), jpeg.encode({ data: rgba, width: 4, height: 4 }, 100).data);
    }
    const d = openDataset(dir, { imageSize: [2, 2] });
    expect(d.kind).toBe('images');
    expect(d.classes).toEqual(['cat', 'dog']);
    expect(d.arrays.x!.shape).toEqual([4, 1, 2, 2]);
    const b = d.read(0, 4);
    expect([...(b.targets!.data as Int32Array)]).toEqual([0, 0, 1, 1]);
    const x = b.arrays.x!.data as Float32Array;
    expect(Math.max(...x.slice(0, 8))).toBeLessThan(0.02);
    expect(Math.min(...x.slice(8))).toBeGreaterThan(0.98);
    const rgb = openDataset(dir, { color: 'rgb', channelsLast: true });
    expect(rgb.arrays.x!.shape).toEqual([4, 4, 4, 3]);
    expect(rgb.channelAxis).toBe(2);
  });

  it('an undecodable image is an error naming the file', async () => {
    const dir = tmp();
    const png = new PNG({ width: 2, height: 2 });
    writeFileSync(join(dir, 'a.png'), PNG.sync.write(png));
    writeFileSync(join(dir, 'b.png'), Buffer.from([0x89, 0x50, 1, 2, 3]));
    const d = openDataset(dir);
    await expectKrsError(() => d.read(0, 2), 'BAD_FILE', /b\.png: cannot be decoded/);
  });
});

describe('CSV time series windows', () => {
  it('cuts sliding windows of the numeric columns with the next horizon values as targets', async () => {
    const dir = tmp();
    const f = join(dir, 's.csv');
    const rows = ['date,load,temp'];
    for (let t = 0; t < 10; t++) rows.push(`2024-01-${String(t + 1).padStart(2, '0')},${t},${100 + t}`);
    writeFileSync(f, `${rows.join('\n')}\n`);
    const d = openDataset(f, { window: 3, horizon: 2, targetColumn: 'load' });
    expect(d.kind).toBe('csv-windows');
    expect(d.size).toBe(6); // 10 − 3 − 2 + 1
    expect(d.arrays.x!.shape).toEqual([6, 3, 2]);
    expect(d.channelAxis).toBe(1);
    const b = d.read(1, 3);
    expect([...(b.arrays.x!.data as Float32Array)]).toEqual([1, 101, 2, 102, 3, 103, 2, 102, 3, 103, 4, 104]);
    expect([...(b.targets!.data as Float32Array)]).toEqual([4, 5, 5, 6]);
    expect(openDataset(f, { window: 2, stride: 3, targetColumn: 'load' }).size).toBe(3);
    await expectKrsError(() => openDataset(f), 'BAD_OPTION', /window/);
    await expectKrsError(() => openDataset(f, { window: 3, columns: ['date'] }), 'BAD_FILE', /column 'date' is not numeric \(line 2/);
    await expectKrsError(() => openDataset(f, { window: 20, targetColumn: 'load' }), 'BAD_OPTION', /within the 10 rows/);
  });
});
