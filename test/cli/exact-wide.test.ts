/**
 * `krs score` and `krs heatmap` on layers wider than any fixed exact-width limit: exact CKA by
 * the sample-space route, the same value in the table, the JSON and the cross-layer matrix,
 * independent of --batch-size; the minibatch estimator only with --estimator minibatch.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tensor } from '../../src/core/tensor.js';
import { NpzWriter } from '../../src/io/node-npz-writer.js';
import { similarityOf } from '../../src/similarity/layer-similarity.js';
import { krs } from '../helpers/cli.js';
import { expectClose } from '../helpers/fixtures.js';

const n = 80;
const P = 6000; // wider than the old 4096 exact-width limit
const Q = 300;
let dir = '';
let teacherFile = '';
let studentFile = '';
let reference = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'krs-wide-'));
  let s = 7;
  const r = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31 - 0.5;
  };
  const z = Float32Array.from({ length: n * 4 }, r);
  const wide = new Float32Array(n * P);
  const narrow = new Float32Array(n * Q);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < P; j++) wide[i * P + j] = z[i * 4 + (j % 4)]! + r();
    for (let j = 0; j < Q; j++) narrow[i * Q + j] = z[i * 4 + ((j + 1) % 4)]! * 2 + r();
  }
  const logits = Float32Array.from({ length: n * 3 }, r);
  const ids = Int32Array.from({ length: n }, (_, i) => i);
  for (const [file, feat, width] of [
    ['t.npz', wide, P],
    ['s.npz', narrow, Q],
  ] as const) {
    const w = new NpzWriter(join(dir, file), n);
    w.append('feat', { dtype: 'float32', shape: [n, width], data: feat });
    w.append('logits', { dtype: 'float32', shape: [n, 3], data: logits });
    w.append('ids', { dtype: 'int32', shape: [n], data: ids });
    w.finish();
  }
  teacherFile = join(dir, 't.npz');
  studentFile = join(dir, 's.npz');
  // float64 TypeScript backend (the routes agree with NumPy's Gram form: test/similarity/exact-routes.test.ts): the reference value.
  reference = (await similarityOf(tensor(wide, [n, P]), tensor(narrow, [n, Q]), { exactRoute: 'sample-space' })).value * 100;
}, 120_000);

describe('exact CKA of wide layers on the command line', () => {
  it('score: exact, sample-space, the reference value, whatever --batch-size', async () => {
    const values: number[] = [];
    for (const batch of ['7', '32', '80']) {
      const r = await krs(
        'score',
        '--task',
        'classification',
        '--teacher',
        teacherFile,
        '--student',
        studentFile,
        '--pair',
        'feat:feat',
        '--batch-size',
        batch,
        '--json',
      );
      expect(r.status, r.stderr).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j.layers[0].estimator).toBe('exact');
      expect(j.layers[0].route).toBe('sample-space');
      values.push(j.layers[0].score);
    }
    for (const v of values) expectClose(v, reference, 1e-6);
    const table = await krs('score', '--task', 'classification', '--teacher', teacherFile, '--student', studentFile, '--pair', 'feat:feat');
    expect(table.stdout).toMatch(/feat\s+feat\s+cka\s+exact/);
  });

  it('heatmap: the cross-layer cell equals the pair score', async () => {
    const r = await krs('heatmap', '--teacher', teacherFile, '--student', studentFile, '--teacher-layers', 'feat', '--student-layers', 'feat', '--json');
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expectClose(j.cka[0][0] * 100, reference, 1e-6);
    expect(j.estimator).toBe('exact');
  });

  it('--estimator minibatch: a different quantity, named in the table, the JSON and a warning', async () => {
    const r = await krs(
      'score',
      '--task',
      'classification',
      '--teacher',
      teacherFile,
      '--student',
      studentFile,
      '--pair',
      'feat:feat',
      '--estimator',
      'minibatch',
      '--batch-size',
      '20',
      '--json',
    );
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.layers[0].estimator).toBe('minibatch-unbiased-hsic');
    expect(j.warnings.join(' ')).toMatch(/minibatch unbiased-HSIC estimator was asked for/);
    const bad = await krs('score', '--task', 'classification', '--teacher', teacherFile, '--student', studentFile, '--estimator', 'approximate');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/invalid --estimator "approximate": expected one of exact, minibatch/);
  });

  it('a memory budget too small for either exact route is a one-line error naming the flag', async () => {
    const r = await krs('score', '--task', 'classification', '--teacher', teacherFile, '--student', studentFile, '--pair', 'feat:feat', '--memory-budget', '1');
    expect(r.status).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/memory budget 1 MiB: raise --memory-budget/);
  });
});
