import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCapture } from '../../src/io/node-capture.js';
import { NpzWriter, npyHeader, STAGE_BYTES } from '../../src/io/node-npz-writer.js';
import { expectKrsError } from '../helpers/fixtures.js';

const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

describe('NpzWriter', () => {
  it('writes batches into an npz that the krs readers read back exactly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'krs-npz-'));
    const f = join(dir, 'cap.npz');
    const w = new NpzWriter(f, 5);
    w.append('/conv1/Conv_output_0', { dtype: 'float32', shape: [2, 2, 3], data: Float32Array.from({ length: 12 }, (_, i) => i / 4) });
    w.append('ids', { dtype: 'int64', shape: [2], data: BigInt64Array.from([2n ** 60n, -1n]) });
    w.append('/conv1/Conv_output_0', { dtype: 'float32', shape: [3, 2, 3], data: Float32Array.from({ length: 18 }, (_, i) => 3 + i / 4) });
    w.append('ids', { dtype: 'int64', shape: [3], data: BigInt64Array.from([7n, 8n, 9n]) });
    expect(existsSync(f)).toBe(false); // nothing under the target name until finish
    w.finish();
    expect(readdirSync(dir)).toEqual(['cap.npz']);
    const c = openCapture(f);
    expect(c.keys()).toEqual(['/conv1/Conv_output_0', 'ids']);
    const a = c.read('/conv1/Conv_output_0');
    expect(a.shape).toEqual([5, 2, 3]);
    expect(a.data[12]).toBe(3);
    expect([...(c.read('ids').data as BigInt64Array)]).toEqual([2n ** 60n, -1n, 7n, 8n, 9n]);
    expect(w.arrays()).toEqual([
      { key: '/conv1/Conv_output_0', dtype: 'float32', shape: [5, 2, 3] },
      { key: 'ids', dtype: 'int64', shape: [5] },
    ]);
  });

  it.skipIf(!hasNumpy)('NumPy reads it (np.load, CRCs checked)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'krs-npz-'));
    const f = join(dir, 'cap.npz');
    const w = new NpzWriter(f, 3);
    w.append('logits', { dtype: 'float32', shape: [3, 2], data: Float32Array.from([1, 2, 3, 4, 5, 6.5]) });
    w.append('targets', { dtype: 'int32', shape: [3], data: Int32Array.from([4, 5, 6]) });
    w.finish();
    const py = `import numpy as np, zipfile, json\nz = zipfile.ZipFile(${JSON.stringify(f)}); assert z.testzip() is None\nd = np.load(${JSON.stringify(f)})\nprint(json.dumps({k: [str(d[k].dtype), list(d[k].shape), d[k].ravel().tolist()] for k in d.files}))`;
    const r = spawnSync('python3', ['-c', py], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ logits: ['float32', [3, 2], [1, 2, 3, 4, 5, 6.5]], targets: ['int32', [3], [4, 5, 6]] });
  });

  it('small appends gathered per array and large ones written through keep every byte in order (contents and CRCs)', () => {
    // Two arrays interleaved: 'small' only ever gets appends far below the stage size (it fills
    // and flushes its stage several times); 'mixed' gets small ones, then one larger than the
    // stage (written after what was staged), then small ones again, which finish() flushes.
    const dir = mkdtempSync(join(tmpdir(), 'krs-npz-'));
    const f = join(dir, 'cap.npz');
    const rows = 3 * (STAGE_BYTES / 4) + 777;
    const bigRows = STAGE_BYTES / 4 + 5;
    const w = new NpzWriter(f, rows);
    const mixedCuts = [10, 250, 250 + bigRows, rows];
    let m = 0;
    for (let s = 0, k = 0; s < rows; k++) {
      const e = Math.min(rows, s + 100 + (k % 7) * 37);
      w.append('small', { dtype: 'int32', shape: [e - s], data: Int32Array.from({ length: e - s }, (_, i) => s + i) });
      while (m < mixedCuts.length && mixedCuts[m]! <= e) {
        const a = m === 0 ? 0 : mixedCuts[m - 1]!;
        const b = mixedCuts[m]!;
        w.append('mixed', { dtype: 'float32', shape: [b - a], data: Float32Array.from({ length: b - a }, (_, i) => -(a + i) / 8) });
        m++;
      }
      s = e;
    }
    w.finish();
    const c = openCapture(f);
    const small = c.read('small').data as Int32Array;
    const mixed = c.read('mixed').data as Float32Array;
    expect(small.length).toBe(rows);
    expect(small.every((v, i) => v === i)).toBe(true);
    expect(mixed.every((v, i) => v === -i / 8)).toBe(true);
    if (hasNumpy) {
      const py = `import zipfile, numpy as np\nz = zipfile.ZipFile(${JSON.stringify(f)}); assert z.testzip() is None\nd = np.load(${JSON.stringify(f)}); assert (d['small'] == np.arange(${rows})).all(); assert (d['mixed'] == -np.arange(${rows}, dtype=np.float32) / 8).all(); print('ok')`;
      const r = spawnSync('python3', ['-c', py], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('ok');
    }
  });

  it('a short or inconsistent capture is refused and leaves nothing behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'krs-npz-'));
    const f = join(dir, 'cap.npz');
    const w = new NpzWriter(f, 4);
    w.append('x', { dtype: 'float32', shape: [2, 3], data: new Float32Array(6) });
    await expectKrsError(() => w.append('x', { dtype: 'float32', shape: [2, 4], data: new Float32Array(8) }), 'SHAPE_MISMATCH', /rows of float32\[3\]/);
    await expectKrsError(() => w.finish(), 'SHAPE_MISMATCH', /'x'.*4 rows, got 2/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('headers are 64-byte aligned NumPy 1.0 headers', () => {
    const h = npyHeader('float64', [10, 3]);
    expect(h.length % 64).toBe(0);
    const text = new TextDecoder().decode(h.subarray(10));
    expect(text).toMatch(/^\{'descr': '<f8', 'fortran_order': False, 'shape': \(10, 3\), \}\s*\n$/);
    expect(new TextDecoder().decode(npyHeader('int32', [7]))).toMatch(/'shape': \(7,\)/);
  });
});
