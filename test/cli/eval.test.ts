/**
 * `krs eval`, `krs capture` and `krs layers` end to end with the built-in mnist digits (the
 * built CLI, as users run it), on the project's own test models (test/fixtures/models, made
 * by scripts/make-test-models.ts) and — when ../shared/models (or KRS_MODELS_DIR) holds them —
 * on the three public MNIST models.
 *
 * Own models: trained on rows 2000–9999 of the built-in data set, pixels in [0, 1]; on the 2000
 * held-out digits (`--limit 2000`): CNN 96.10 %, MLP teacher 94.70 %, distilled student 91.45 %,
 * sigmoid MLP 91.10 %, one-conv 91.40 %.
 *
 * Public models: all three were trained on digits normalised to [−1, 1]
 * (`--preprocess symmetric`); measured on the 10 000 digits: CNN 99.36 %, one-conv 98.18 %,
 * MLP 94.25 % (with [0, 1] inputs: 96.17 %, 83.74 %, 61.37 %).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { krs } from '../helpers/cli.js';
import { notePublicModels, ownModel, publicModel, publicModelsAvailable } from '../helpers/models.js';

notePublicModels();

const CNN = ownModel('cnn.onnx');
const ONE_CONV = ownModel('one-conv.onnx');
const SIGMOID_MLP = ownModel('mlp-sigmoid.onnx');
const TEACHER = ownModel('mlp-teacher.onnx');
const STUDENT = ownModel('mlp-student.onnx');

async function json(args: string[]): Promise<any> {
  const r = await krs(...args, '--json', ...(args[0] === 'eval' || args[0] === 'capture' ? ['--no-progress'] : []));
  if (r.status !== 0) throw new Error(`krs ${args[0]} exited ${r.status}: ${r.stderr}`);
  return { ...JSON.parse(r.stdout), stderr: r.stderr };
}

describe('krs eval on the test models with the mnist digits', () => {
  it('MLP teacher vs its distilled student, the 2000 held-out digits: accuracies and KRS', async () => {
    const r = await json(['eval', '--teacher', TEACHER, '--student', STUDENT, '--input', 'mnist', '--task', 'classification', '--limit', '2000']);
    expect(r.n).toBe(2000);
    expect(r.teacher.accuracy).toBeCloseTo(0.947, 2);
    expect(r.student.accuracy).toBeCloseTo(0.9145, 2);
    expect(r.layers).toEqual([expect.objectContaining({ teacher: 'relu2', student: 'relu1', estimator: 'exact', teacherWidth: 64, studentWidth: 32 })]);
    expect(r.output.top1Agreement).toBeGreaterThan(0.93);
    expect(r.aoa).toBeGreaterThan(90);
    expect(r.fss).toBeGreaterThan(85);
    expect(r.krs).toBeCloseTo(0.3 * r.fss + 0.7 * r.aoa, 10);
    expect(r.stderr).toMatch(/warning: no layer pairs given: .*'relu2' \(teacher\) with 'relu1' \(student\)/);
  });

  it('CNN teacher vs the one-conv student (external data): exact CKA for a wide pair, the all-pairs matrix', async () => {
    const r = await json(['eval', '--teacher', CNN, '--student', ONE_CONV, '--input', 'mnist', '--task', 'classification', '--all-pairs', '--limit', '2000']);
    expect(r.teacher.accuracy).toBeCloseTo(0.961, 2);
    expect(r.student.accuracy).toBeCloseTo(0.914, 2);
    expect(r.layers).toEqual([expect.objectContaining({ teacher: 'relu2', student: 'flatten', estimator: 'exact', teacherWidth: 64, studentWidth: 784 })]);
    expect(r.layers[0].route).toMatch(/^(feature|sample)-space$/);
    expect(r.fss).toBeGreaterThan(50);
    expect(r.fss).toBeLessThan(80);
    expect(r.aoa).toBeGreaterThan(80);
    const c = r.crossLayer;
    expect(c.teacherLayers).toEqual(['conv1', 'relu1', 'fc1', 'relu2', 'output']);
    expect(c.studentLayers).toEqual(['conv', 'relu', 'output']);
    const cell = (t: string, s: string) => c.cka[c.teacherLayers.indexOf(t)][c.studentLayers.indexOf(s)];
    // Both first layers are fixed 3×3 edge-like filters of the same digits: nearly the same maps; the logits agree
    // with each other more than with the conv maps, and the teacher's dense layers resemble the student's logits more than its conv maps.
    expect(cell('conv1', 'conv')).toBeGreaterThan(0.9);
    expect(cell('output', 'output')).toBeGreaterThan(cell('output', 'conv'));
    expect(cell('fc1', 'output')).toBeGreaterThan(cell('fc1', 'conv'));
    for (const row of c.cka) for (const v of row) expect(v).toBeGreaterThan(0), expect(v).toBeLessThanOrEqual(1);
  });

  it('CNN teacher vs the rank-3 sigmoid MLP: sigmoid scores read as logits, all-pairs CKA, captures that krs score agrees with', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'krs-cli-eval-'));
    const r = await json([
      'eval',
      '--teacher',
      CNN,
      '--student',
      SIGMOID_MLP,
      '--input',
      'mnist',
      '--task',
      'classification',
      '--student-outputs',
      'sigmoid',
      '--pair',
      'relu2:relu1',
      '--pair',
      'fc1:fc1',
      '--all-pairs',
      '--limit',
      '2000',
      '--save-captures',
      dir,
    ]);
    expect(r.n).toBe(2000);
    expect(r.teacher.accuracy).toBeGreaterThan(0.95);
    expect(r.student.accuracy).toBeGreaterThan(0.9);
    expect(r.student.output).toBe('output');
    expect(r.student.inputs[0].sampleShape).toEqual([28, 28]);
    expect(r.layers.map((l: any) => [l.teacher, l.student, l.estimator])).toEqual([
      ['relu2', 'relu1', 'exact'],
      ['fc1', 'fc1', 'exact'],
    ]);
    // Conv, Gemm and ReLU outputs of both models.
    expect(r.crossLayer.teacherLayers).toEqual(['conv1', 'relu1', 'fc1', 'relu2', 'output']);
    expect(r.crossLayer.studentLayers).toEqual(['fc1', 'relu1', 'fc2']);
    expect(r.crossLayer.cka).toHaveLength(5);
    for (const row of r.crossLayer.cka) for (const v of row) expect(v).toBeGreaterThan(0.2), expect(v).toBeLessThanOrEqual(1);
    expect(readdirSync(dir).sort()).toEqual(['student.npz', 'teacher.npz']);
    // The saved captures, scored by `krs score`, give the same exact CKA and AOA (float32 products: 1e-4 on the 0–100 scale).
    const s = await json([
      'score',
      '--task',
      'classification',
      '--teacher',
      join(dir, 'teacher.npz'),
      '--student',
      join(dir, 'student.npz'),
      '--pair',
      'fc1:fc1',
    ]);
    expect(s.layers[0].score).toBeCloseTo(r.layers[1].score, 4);
    expect(s.aoa).toBeCloseTo(r.aoa, 9);
  });

  it('prints a readable summary with timings', async () => {
    const r = await krs(
      'eval',
      '--teacher',
      CNN,
      '--student',
      SIGMOID_MLP,
      '--input',
      'mnist',
      '--task',
      'classification',
      '--student-outputs',
      'sigmoid',
      '--limit',
      '300',
      '--no-progress',
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/teacher .*cnn\.onnx: accuracy \d+\.\d\d%/);
    expect(r.stdout).toMatch(/^KRS +\d+\.\d\d/m);
    expect(r.stdout).toMatch(/300 samples in .* samples\/s; inference teacher/);
  });
});

describe('bad input: one line, non-zero exit', () => {
  const cases: [string, string[], number, RegExp][] = [
    [
      'unknown tensor, with the closest names',
      ['eval', '--teacher', CNN, '--student', SIGMOID_MLP, '--input', 'mnist', '--task', 'classification', '--pair', 'pool:relu1', '--limit', '10'],
      2,
      /teacher layer 'pool' is not a tensor of .*cnn\.onnx; closest: 'pool1'/,
    ],
    [
      'input shape that does not fit',
      ['capture', '--model', CNN, '--input', 'mnist', '--shape', '28,28', '--out', 'x.npz', '--limit', '10'],
      3,
      /input 'input' expects \[batch, 1, 28, 28\], got --shape \[28, 28\]/,
    ],
    ['corrupt model', ['layers', '--model', fileURLToPath(new URL('./eval.test.ts', import.meta.url))], 3, /not a valid ONNX model/],
    ['missing model', ['layers', '--model', '/nonexistent/m.onnx'], 3, /\/nonexistent\/m\.onnx: no such file or directory/],
    [
      'bad preprocessing',
      ['eval', '--teacher', CNN, '--student', SIGMOID_MLP, '--input', 'mnist', '--task', 'classification', '--preprocess', 'mean=a'],
      2,
      /invalid --preprocess "mean=a"/,
    ],
    [
      'CSV without a window',
      ['capture', '--model', CNN, '--input', fileURLToPath(new URL('../../package.json', import.meta.url)).replace(/json$/, 'csv'), '--out', 'x.npz'],
      3,
      /package\.csv: no such file/,
    ],
  ];
  for (const [name, args, status, pattern] of cases) {
    it(name, async () => {
      const r = await krs(...args, ...(args[0] === 'layers' ? [] : ['--no-progress']));
      expect(r.status).toBe(status);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(pattern);
      expect(r.stdout).toBe('');
    });
  }

  it('missing external data file: named as the model records it, with where it was looked for', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'krs-cli-ext-'));
    spawnSync('cp', [ONE_CONV, join(dir, 'one.onnx')]);
    const r = await krs('layers', '--model', join(dir, 'one.onnx'));
    expect(r.status).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/one\.onnx: external data file 'one-conv\.weights' of initializer 'conv\.weight' is missing \(looked for .*one-conv\.weights/);
    const e = await krs(
      'eval',
      '--teacher',
      CNN,
      '--student',
      join(dir, 'one.onnx'),
      '--input',
      'mnist',
      '--task',
      'classification',
      '--limit',
      '10',
      '--no-progress',
    );
    expect(e.status).toBe(3);
    expect(e.stderr).toMatch(/external data file 'one-conv\.weights'/);
  });

  it('teacher and student seeing different numbers of samples', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'krs-cli-n-'));
    const a = join(dir, 'a.npz');
    const b = join(dir, 'b.npz');
    expect((await krs('capture', '--model', SIGMOID_MLP, '--input', 'mnist', '--limit', '20', '--layers', 'flatten', '--out', a, '--no-progress')).status).toBe(
      0,
    );
    expect((await krs('capture', '--model', SIGMOID_MLP, '--input', 'mnist', '--limit', '25', '--layers', 'flatten', '--out', b, '--no-progress')).status).toBe(
      0,
    );
    const r = await krs(
      'eval',
      '--teacher',
      SIGMOID_MLP,
      '--student',
      SIGMOID_MLP,
      '--teacher-input',
      a,
      '--student-input',
      b,
      '--input-key',
      'flatten',
      '--teacher-shape',
      '28,28',
      '--student-shape',
      '28,28',
      '--task',
      'classification',
      '--no-progress',
    );
    expect(r.stderr).toMatch(/teacher has 20 samples, student has 25/);
    expect(r.status).toBe(3);
  });
});

describe('krs capture and krs layers', () => {
  it('layers lists every tappable tensor with inferred shapes, as JSON too', async () => {
    const r = await krs('layers', '--model', CNN);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/relu1 +Relu +float32 +\[batch, 4, 28, 28\]/);
    expect(r.stdout).toMatch(/pool1 +MaxPool +float32 +\[batch, 4, 14, 14\]/);
    expect(r.stdout).toMatch(/flatten_shape +Constant +int64 +\[2\]/);
    expect(r.stdout).toMatch(/output +Gemm +float32 +\[batch, 10\] +output/);
    const j = await json(['layers', '--model', ONE_CONV]);
    expect(j.externalData).toEqual(['one-conv.weights']);
    expect(j.tensors.map((t: any) => t.name)).toEqual(['input', 'conv', 'relu', 'flatten', 'output']);
    const m = await json(['layers', '--model', SIGMOID_MLP]);
    expect(m.tensors.find((t: any) => t.name === 'input').shape).toEqual(['batch_size', 28, 28]);
  });

  it('capture writes layers, logits, targets and ids; numbers agree with eval', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'krs-cli-cap-'));
    const out = join(dir, 'mlp.npz');
    const r = await json([
      'capture',
      '--model',
      SIGMOID_MLP,
      '--input',
      'mnist',
      '--layers',
      '@Relu,fc1',
      '--outputs',
      'sigmoid',
      '--limit',
      '500',
      '--out',
      out,
    ]);
    expect(r.arrays.map((a: any) => a.key)).toEqual(['relu1', 'fc1', 'logits', 'targets', 'ids']);
    expect(r.accuracy).toBeGreaterThan(0.89);
    expect(r.arrays.find((a: any) => a.key === 'logits').shape).toEqual([500, 10]);
    expect(readdirSync(dir)).toEqual(['mlp.npz']);
  });

  it('an interrupted capture leaves no capture file behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'krs-cli-int-'));
    const out = join(dir, 'big.npz');
    const main = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
    const child = spawn(process.execPath, [
      main,
      'capture',
      '--model',
      CNN,
      '--input',
      'mnist',
      '--layers',
      '@Conv,@Relu',
      '--batch-size',
      '50',
      '--out',
      out,
      '--no-progress',
    ]);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // Wait until the writer has started (its temporary folder exists), then interrupt.
    const started = Date.now();
    while (!readdirSync(dir).some((n) => n.includes('.partial-')) && Date.now() - started < 20_000) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGINT');
    const status = await new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    expect(status).toBe(130);
    expect(stderr).toMatch(/interrupted/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe.skipIf(!publicModelsAvailable)('krs eval on the public models (../shared/models) with the mnist digits', () => {
  const CNN = publicModel('zoo-mnist-8.onnx');
  const ONECONV = publicModel('zuramai-mnist.onnx');
  const MLP = publicModel('michbogos-mnist.onnx');

  it('CNN teacher vs the one-conv student (external data), all 10 000 digits: accuracies and KRS', async () => {
    const r = await json([
      'eval',
      '--teacher',
      CNN,
      '--student',
      ONECONV,
      '--input',
      'mnist',
      '--task',
      'classification',
      '--preprocess',
      'symmetric',
      '--pair',
      'output:output',
    ]);
    expect(r.n).toBe(10_000);
    expect(r.teacher.accuracy).toBeCloseTo(0.9936, 4);
    expect(r.student.accuracy).toBeCloseTo(0.9818, 4);
    expect(r.output.top1Agreement).toBeGreaterThan(0.97);
    expect(r.aoa).toBeGreaterThan(90);
    expect(r.krs).toBeCloseTo(0.3 * r.fss + 0.7 * r.aoa, 10);
    expect(r.timing.samplesPerSecond).toBeGreaterThan(100);
  }, 120_000);

  it('the 21 632-wide pair of the issue: exact CKA 64.61 on 2000 raw digits, as NumPy computes it from the captures (the minibatch estimator gave 65.64 / 65.09 / 64.58 by batch size)', async () => {
    const r = await json([
      'eval',
      '--teacher',
      CNN,
      '--student',
      ONECONV,
      '--input',
      'mnist',
      '--task',
      'classification',
      '--pair',
      '/fc1/Gemm_output_0:relu',
      '--limit',
      '2000',
    ]);
    expect(r.layers).toEqual([expect.objectContaining({ estimator: 'exact', teacherWidth: 128, studentWidth: 21632 })]);
    expect(r.layers[0].score).toBeCloseTo(64.61, 2);
  }, 120_000);

  it('CNN teacher vs the sigmoid MLP student (rank-3 input): sigmoid scores read as logits, all-pairs CKA, captures that krs score agrees with', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'krs-cli-eval-'));
    const r = await json([
      'eval',
      '--teacher',
      CNN,
      '--student',
      MLP,
      '--input',
      'mnist',
      '--task',
      'classification',
      '--preprocess',
      'symmetric',
      '--student-outputs',
      'sigmoid',
      '--pair',
      '/relu_2/Relu_output_0:onnx::Gemm_8',
      '--pair',
      '/fc1/Gemm_output_0:input.1',
      '--all-pairs',
      '--limit',
      '1000',
      '--save-captures',
      dir,
    ]);
    expect(r.n).toBe(1000);
    expect(r.teacher.accuracy).toBeGreaterThan(0.99);
    expect(r.student.accuracy).toBeGreaterThan(0.93);
    expect(r.student.output).toBe('output');
    expect(r.student.inputs[0].sampleShape).toEqual([28, 28]);
    expect(r.layers.map((l: any) => l.estimator)).toEqual(['exact', 'exact']);
    // Conv, Gemm and ReLU outputs of both models.
    expect(r.crossLayer.teacherLayers).toEqual([
      '/conv1/Conv_output_0',
      '/relu/Relu_output_0',
      '/conv2/Conv_output_0',
      '/relu_1/Relu_output_0',
      '/fc1/Gemm_output_0',
      '/relu_2/Relu_output_0',
      'output',
    ]);
    expect(r.crossLayer.studentLayers).toEqual(['input.1', 'onnx::Gemm_8', 'onnx::Sigmoid_9']);
    expect(r.crossLayer.cka).toHaveLength(7);
    for (const row of r.crossLayer.cka) for (const v of row) expect(v).toBeGreaterThan(0.2), expect(v).toBeLessThanOrEqual(1);
    expect(readdirSync(dir).sort()).toEqual(['student.npz', 'teacher.npz']);
    // The saved captures, scored by `krs score`, give the same exact CKA and AOA (float32 products: 1e-4 on the 0–100 scale).
    const s = await json([
      'score',
      '--task',
      'classification',
      '--teacher',
      join(dir, 'teacher.npz'),
      '--student',
      join(dir, 'student.npz'),
      '--pair',
      '/fc1/Gemm_output_0:input.1',
    ]);
    expect(s.layers[0].score).toBeCloseTo(r.layers[1].score, 4);
    expect(s.aoa).toBeCloseTo(r.aoa, 9);
  });

  it('CNN teacher vs the one-conv student: the all-pairs matrix of their conv/gemm/relu outputs', async () => {
    const r = await json([
      'eval',
      '--teacher',
      CNN,
      '--student',
      ONECONV,
      '--input',
      'mnist',
      '--task',
      'classification',
      '--preprocess',
      'symmetric',
      '--all-pairs',
      '--limit',
      '600',
    ]);
    const c = r.crossLayer;
    expect(c.studentLayers).toEqual(['conv2d', 'relu', 'output']);
    expect(c.estimator).toBe('exact');
    const cell = (t: string, s: string) => c.cka[c.teacherLayers.indexOf(t)][c.studentLayers.indexOf(s)];
    // First conv layers of two MNIST CNNs look alike; the logits agree with each other more than with conv maps.
    expect(cell('/conv1/Conv_output_0', 'conv2d')).toBeGreaterThan(0.9);
    expect(cell('output', 'output')).toBeGreaterThan(cell('output', 'conv2d'));
  });

  it('layers lists the external data file; a copy without it fails in one line', async () => {
    const j = await json(['layers', '--model', ONECONV]);
    expect(j.externalData).toEqual(['mnist.onnx.data']);
    expect(j.tensors.map((t: any) => t.name)).toEqual(['input', 'val_0', 'conv2d', 'relu', 'val_4', 'view', 'output']);
    const dir = mkdtempSync(join(tmpdir(), 'krs-cli-ext-'));
    spawnSync('cp', [ONECONV, join(dir, 'one.onnx')]);
    const r = await krs('layers', '--model', join(dir, 'one.onnx'));
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/external data file 'mnist\.onnx\.data' of initializer '\w+\.weight' is missing/);
  });
});
