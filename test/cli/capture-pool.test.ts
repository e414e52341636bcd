/**
 * `krs capture --pool`: taps pooled in the worker equal the flat capture pooled at score
 * time, the file shrinks by the pooling factor, the pooling is recorded in krs.json, and
 * bad values are one-line usage errors. Uses the project's own fixed-filter CNN
 * (test/fixtures/models/cnn.onnx: conv1/relu1 [4, 28, 28], pool1 [4, 14, 14], relu2 [64]).
 */
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tensor } from '../../src/core/tensor.js';
import { openCapture } from '../../src/io/node-capture.js';
import { parsePoolOption, poolTaps } from '../../src/runtime/capture-pool.js';
import { featureMatrix } from '../../src/similarity/features.js';
import { krs } from '../helpers/cli.js';
import { expectKrsError, fixturePath } from '../helpers/fixtures.js';

const CNN = fixturePath('models/cnn.onnx');
const dir = mkdtempSync(join(tmpdir(), 'krs-capture-pool-'));
const N = 60;
const capture = (out: string, ...more: string[]) =>
  krs('capture', '--model', CNN, '--input', 'mnist', '--limit', String(N), '--batch-size', '25', '--out', join(dir, out), '--no-progress', ...more);

/** The krs.json member of a capture (stored uncompressed, so its text is in the file). */
function metadata(file: string): unknown {
  const m = /\{"krs_capture":[^\n]*\}\n/.exec(readFileSync(file, 'latin1'));
  return m ? JSON.parse(m[0]) : null;
}

beforeAll(async () => {
  for (const [out, ...more] of [
    ['flat.npz', '--layers', 'relu1,pool1,relu2'],
    ['gap.npz', '--layers', 'relu1,pool1,relu2', '--pool', 'gap'],
    ['relu1-flat.npz', '--layers', 'relu1'],
    ['relu1-gap.npz', '--layers', 'relu1', '--pool', 'gap', '--json'],
    ['mixed.npz', '--layers', '@Relu,pool1', '--pool', 'gap', '--pool', 'pool1=flatten'],
  ] as const) {
    const r = await capture(out, ...more);
    if (r.status !== 0) throw new Error(`krs capture ${out} exited ${r.status}: ${r.stderr}`);
  }
}, 120_000);

describe('krs capture --pool', () => {
  it('gap of every tap equals the flat capture pooled by featureMatrix (float32), rank-2 taps kept', () => {
    const flat = openCapture(join(dir, 'flat.npz'));
    const gap = openCapture(join(dir, 'gap.npz'));
    for (const [key, channels] of [
      ['relu1', 4],
      ['pool1', 4],
    ] as const) {
      const pooled = gap.read(key);
      expect(pooled.dtype).toBe('float32');
      expect(pooled.shape).toEqual([N, channels]);
      const expected = featureMatrix(flat.read(key), key, { pool: 'gap' });
      expect(expected.cols).toBe(channels);
      let worst = 0;
      for (let i = 0; i < expected.data.length; i++) worst = Math.max(worst, Math.abs(Number(pooled.data[i]) - Math.fround(expected.data[i]!)));
      expect(worst).toBeLessThanOrEqual(1e-6);
    }
    expect(gap.read('relu2')).toEqual(flat.read('relu2'));
    expect(gap.read('logits')).toEqual(flat.read('logits'));
    expect(gap.read('ids')).toEqual(flat.read('ids'));
    expect(metadata(join(dir, 'gap.npz'))).toEqual({
      krs_capture: 1,
      pooled: { relu1: { pool: 'gap', channels_last: false, shape: [4, 28, 28] }, pool1: { pool: 'gap', channels_last: false, shape: [4, 14, 14] } },
    });
    expect(metadata(join(dir, 'flat.npz'))).toBeNull();
  });

  it('the file is smaller by the pooling factor (28·28 = 784 for relu1)', async () => {
    const flatBytes = statSync(join(dir, 'relu1-flat.npz')).size;
    const gapBytes = statSync(join(dir, 'relu1-gap.npz')).size;
    const mapBytes = N * 4 * 28 * 28 * 4;
    // The relu1 array shrinks from N·4·784 to N·4 float32 values; headers and krs.json add well under 1 KB.
    expect(flatBytes - gapBytes).toBeGreaterThan(mapBytes - mapBytes / 784 - 1024);
    expect(flatBytes - gapBytes).toBeLessThanOrEqual(mapBytes - mapBytes / 784);
    const j = await capture('relu1-gap-2.npz', '--layers', 'relu1', '--pool', 'gap', '--json');
    const r = JSON.parse(j.stdout);
    expect(r.pooled).toEqual({ relu1: { pool: 'gap', channelsLast: false, shape: [4, 28, 28] } });
    expect(r.arrays.find((a: { key: string }) => a.key === 'relu1').shape).toEqual([N, 4]);
  });

  it('NAME=POOL overrides the default for one tap; the readable summary says what was pooled', async () => {
    const mixed = openCapture(join(dir, 'mixed.npz'));
    expect(mixed.info('relu1').shape).toEqual([N, 4]);
    expect(mixed.info('pool1').shape).toEqual([N, 4, 14, 14]);
    expect(mixed.info('relu2').shape).toEqual([N, 64]);
    const r = await capture('mixed-2.npz', '--layers', 'relu1,pool1', '--pool', 'relu1=gap');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/relu1 {2}float32\[60, 4\] {2}\(gap of \[4, 28, 28\]\)/);
    expect(r.stdout).toMatch(/pool1 {2}float32\[60, 4, 14, 14\]\n/);
  });

  it('--no-worker pools the same way on the main thread', async () => {
    const r = await capture('gap-local.npz', '--layers', 'relu1,pool1,relu2', '--pool', 'gap', '--no-worker');
    expect(r.status, r.stderr).toBe(0);
    const local = openCapture(join(dir, 'gap-local.npz'));
    const worker = openCapture(join(dir, 'gap.npz'));
    for (const key of ['relu1', 'pool1', 'relu2', 'logits']) expect(local.read(key)).toEqual(worker.read(key));
    expect(metadata(join(dir, 'gap-local.npz'))).toEqual(metadata(join(dir, 'gap.npz')));
  });

  it('captures pooled at capture time score like flat captures pooled at score time', async () => {
    const score = async (t: string, s: string) => {
      const r = await krs(
        'score',
        '--task',
        'classification',
        '--teacher',
        join(dir, t),
        '--student',
        join(dir, s),
        '--pair',
        'relu1:pool1',
        '--pool',
        'gap',
        '--backend',
        'typescript',
        '--json',
      );
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout);
    };
    const atScore = await score('flat.npz', 'flat.npz');
    const atCapture = await score('gap.npz', 'gap.npz');
    expect(atCapture.layers[0].teacherWidth).toBe(4);
    expect(Math.abs(atCapture.fss - atScore.fss)).toBeLessThan(1e-4);
  });

  it('bad values: one line on stderr, exit 2, no file written', async () => {
    const cases: [string[], RegExp][] = [
      [['--layers', 'relu1', '--pool', 'nope'], /^krs: invalid --pool "nope": expected flatten, gap, mean for every tap, or TAP=flatten\|gap\|mean for one$/],
      [['--layers', 'relu1', '--pool', 'fc9=gap'], /invalid --pool "fc9=gap": expected a tapped layer \(--layers\); tapped: relu1$/],
      [
        ['--layers', 'relu1,relu2', '--pool', 'relu2=gap'],
        /invalid --pool "relu2=gap": .*gap needs a map \(N, C, …spatial\), the tap has per-sample shape \[64\]$/,
      ],
      [
        ['--layers', 'relu1', '--pool', 'relu1=mean'],
        /invalid --pool "relu1=mean": .*mean needs a sequence \(N, tokens, width\), the tap has per-sample shape \[4, 28, 28\]$/,
      ],
      [['--layers', 'relu1', '--pool', 'gap', '--pool', 'mean'], /invalid --pool "mean": expected one default pooling \(already gap\)$/],
      [['--layers', 'relu1', '--pool', '=gap'], /invalid --pool "=gap"/],
      [['--layers', 'relu1', '--pool', 'output=gap'], /'output' is the model output/],
    ];
    for (const [i, [args, pattern]] of cases.entries()) {
      const out = `bad-${i}.npz`;
      const r = await capture(out, ...args);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(pattern);
      expect(existsSync(join(dir, out))).toBe(false);
    }
  });
});

describe('poolTaps and parsePoolOption', () => {
  const seq = tensor(
    Float32Array.from({ length: 2 * 3 * 2 }, (_, i) => i),
    [2, 3, 2],
  );
  const fc = tensor(Float64Array.from([1, 2, 3, 4]), [2, 2]);

  it('mean over the tokens of (N, T, D); a default pooling leaves rank-2 taps alone; the output is never pooled', () => {
    const r = poolTaps({ seq, fc, out: fc }, ['seq', 'fc'], { default: 'mean' }, 'm.onnx');
    expect(r.outputs.seq).toEqual({ dtype: 'float32', shape: [2, 2], data: Float32Array.from([2, 3, 8, 9]) });
    expect(r.outputs.fc).toBe(fc);
    expect(r.outputs.out).toBe(fc);
    expect(r.pooled).toEqual({ seq: { pool: 'mean', channelsLast: false, shape: [3, 2] } });
  });

  it('gap with channelsLast averages over the leading axes of each sample', () => {
    const r = poolTaps({ seq }, ['seq'], { layers: { seq: 'gap' }, channelsLast: true }, 'm.onnx');
    expect([...r.outputs.seq!.data]).toEqual([2, 3, 8, 9]);
    expect(r.pooled.seq).toEqual({ pool: 'gap', channelsLast: true, shape: [3, 2] });
  });

  it('errors: mean by default on a 4-D map; gap named for a rank-2 tap', async () => {
    const map = tensor(new Float32Array(2 * 2 * 2 * 2), [2, 2, 2, 2]);
    await expectKrsError(() => poolTaps({ map }, ['map'], { default: 'mean' }, 'm.onnx'), 'BAD_OPTION', /--pool "mean".*tap 'map' of m\.onnx.*\[2, 2, 2\]/);
    await expectKrsError(() => poolTaps({ fc }, ['fc'], { layers: { fc: 'gap' } }, 'm.onnx'), 'BAD_OPTION', /--pool "fc=gap"/);
  });

  it('parses defaults and per-tap values (the last = splits), rejecting conflicts', async () => {
    let p = parsePoolOption('gap');
    p = parsePoolOption('onnx::Conv_3=flatten', p);
    p = parsePoolOption('a=b=mean', p);
    p = parsePoolOption('gap', p);
    expect(p).toEqual({ default: 'gap', layers: { 'onnx::Conv_3': 'flatten', 'a=b': 'mean' } });
    await expectKrsError(() => parsePoolOption('x=gap', parsePoolOption('x=mean')), 'BAD_OPTION', /'x' already has mean/);
    await expectKrsError(() => parsePoolOption('cls'), 'BAD_OPTION', /invalid --pool "cls"/);
  });
});
