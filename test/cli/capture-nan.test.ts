/**
 * A model whose outputs hold NaN gives no accuracy (and says why) instead of an accuracy
 * computed from NaN arg-maxes.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/core/tensor.js';
import { NpzWriter } from '../../src/io/node-npz-writer.js';
import { countCorrect } from '../../src/runtime/model-side.js';
import { krs } from '../helpers/cli.js';

const TEACHER = 'test/fixtures/models/mlp-teacher.onnx';

describe('accuracy from outputs with NaN', () => {
  it('countCorrect skips rows with NaN or ±Inf and says how many', () => {
    const out = tensor(Float32Array.from([0, 1, NaN, 0, 2, 1, Infinity, 0]), [4, 2]);
    expect(countCorrect(out, tensor(Int32Array.from([1, 0, 0, 0]), [4]))).toEqual([2, 2, 2]);
    expect(countCorrect(tensor(Float32Array.from([1, 2]), [2]), tensor(Int32Array.from([1, 0]), [2]))).toEqual([0, 0, 0]);
  });

  it('krs capture: NaN inputs → NaN logits → no accuracy, and a warning with the count', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'krs-nan-'));
    const n = 8;
    const x = new Float32Array(n * 784).fill(0.5);
    x.fill(Number.NaN, 3 * 784, 4 * 784); // sample 3 is NaN
    const w = new NpzWriter(join(dir, 'in.npz'), n);
    w.append('x', { dtype: 'float32', shape: [n, 1, 28, 28], data: x });
    w.append('y', { dtype: 'int32', shape: [n], data: Int32Array.from({ length: n }, (_, i) => i % 10) });
    w.finish();
    const r = await krs(
      'capture',
      '--model',
      TEACHER,
      '--input',
      join(dir, 'in.npz'),
      '--input-key',
      'x',
      '--target-key',
      'y',
      '--out',
      join(dir, 'c.npz'),
      '--json',
      '--no-progress',
    );
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.accuracy).toBeNull();
    expect(j.warnings.join(' ')).toMatch(/no accuracy on the targets: 1 of 8 output rows hold NaN or ±Inf/);
  });
});
