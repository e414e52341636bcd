import { copyFileSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KrsError } from '../../src/core/errors.js';
import { openCapture } from '../../src/io/node-capture.js';
import { NpzWriter } from '../../src/io/node-npz-writer.js';
import { runCapture } from '../../src/runtime/capture-run.js';
import { mnistDataset } from '../../src/runtime/data/mnist.js';
import { openDataset } from '../../src/runtime/data/open.js';
import { resolvePair, runEval } from '../../src/runtime/eval.js';
import { listLayers } from '../../src/runtime/inspect.js';
import { loadModel } from '../../src/runtime/node-onnx.js';
import { encodeModel, OnnxDataType, tensorValueInfo } from '../../src/runtime/onnx-proto.js';
import { PREPROCESS_PRESETS } from '../../src/runtime/preprocess.js';
import { expectKrsError } from '../helpers/fixtures.js';
import { model } from '../helpers/models.js';

const sym = PREPROCESS_PRESETS.symmetric!;
const tmp = () => mkdtempSync(join(tmpdir(), 'krs-eval-'));
const F = OnnxDataType.FLOAT;

describe('runEval on the real models (worker thread)', () => {
  it('CNN teacher vs the MLP student: sigmoid outputs read exactly, accuracies, cross-layer matrix', async () => {
    const r = await runEval({
      task: 'classification',
      data: mnistDataset(600),
      teacher: { file: model('zoo-mnist-8.onnx'), preprocess: sym },
      student: { file: model('michbogos-mnist.onnx'), preprocess: sym, outputs: 'sigmoid' },
      pairs: ['/relu_2/Relu_output_0:onnx::Gemm_8'],
      allPairs: true,
      teacherLayers: ['/fc1/Gemm_output_0', '/relu_2/Relu_output_0'],
      batchSize: 200,
    });
    expect(r.n).toBe(600);
    expect(r.layers).toHaveLength(1);
    expect(r.layers[0]).toMatchObject({ teacher: '/relu_2/Relu_output_0', student: 'onnx::Gemm_8', estimator: 'exact', teacherWidth: 128, studentWidth: 100 });
    expect(r.teacher.accuracy).toBeGreaterThan(0.97);
    expect(r.student.accuracy).toBeGreaterThan(0.88);
    expect(r.student.output).toBe('onnx::Sigmoid_9');
    expect(r.student.inputs[0]).toMatchObject({ name: 'input', sampleShape: [28, 28], preprocess: 'symmetric' });
    expect(r.aoa).toBeGreaterThan(80);
    expect(r.warnings.join('\n')).toMatch(/Sigmoid of 'onnx::Sigmoid_9'/);
    const c = r.crossLayer!;
    expect(c.teacherLayers).toEqual(['/fc1/Gemm_output_0', '/relu_2/Relu_output_0']);
    expect(c.studentLayers).toEqual(['input.1', 'onnx::Gemm_8', 'onnx::Sigmoid_9']);
    expect(c.estimator).toBe('exact');
    // The matrix cell of the scored pair is the same exact linear CKA.
    expect(c.cka[1]![1]! * 100).toBeCloseTo(r.layers[0]!.score, 8);
    expect(r.timing.samplesPerSecond).toBeGreaterThan(0);
    expect(r.timing.inferenceMs.teacher).toBeGreaterThan(0);
  });

  it('warns when outputs look like probabilities and nobody said', async () => {
    const r = await runEval({
      task: 'classification',
      data: mnistDataset(100),
      teacher: { file: model('zoo-mnist-8.onnx'), preprocess: sym },
      student: { file: model('michbogos-mnist.onnx'), preprocess: sym },
      worker: false,
    });
    expect(r.warnings.join('\n')).toMatch(
      /student outputs 'output' of .*michbogos-mnist\.onnx look like sigmoid scores, not logits.*Sigmoid node.*--student-outputs sigmoid/,
    );
    expect(r.warnings.join('\n')).toMatch(/no --pair given: paired the penultimate features/);
    expect(r.warnings.join('\n')).not.toMatch(/teacher outputs/);
  });

  it('saves captures that krs score reads: layers, logits, targets, ids', async () => {
    const dir = tmp();
    const r = await runEval({
      task: 'classification',
      data: mnistDataset(64),
      teacher: { file: model('zoo-mnist-8.onnx'), preprocess: sym },
      student: { file: model('zuramai-mnist.onnx'), preprocess: sym },
      pairs: [{ teacher: '/relu/Relu_output_0', student: 'relu' }],
      pool: 'gap',
      saveCaptures: dir,
    });
    expect(r.layers[0]).toMatchObject({ teacherWidth: 32, studentWidth: 32, estimator: 'exact' });
    const t = openCapture(join(dir, 'teacher.npz'));
    expect(t.keys()).toEqual(['/relu/Relu_output_0', 'logits', 'targets', 'ids']);
    expect(t.info('/relu/Relu_output_0').shape).toEqual([64, 32, 28, 28]);
    expect(openCapture(join(dir, 'student.npz')).info('relu').shape).toEqual([64, 32, 26, 26]);
    expect(readdirSync(dir).sort()).toEqual(['student.npz', 'teacher.npz']);
  });

  it('bad input: unknown pair names, different sample counts, missing external data', async () => {
    const zoo = loadModel(model('zoo-mnist-8.onnx'));
    const mlp = loadModel(model('michbogos-mnist.onnx'));
    expect(resolvePair('output:onnx::Sigmoid_9', zoo, mlp)).toEqual({ teacher: 'output', student: 'onnx::Sigmoid_9' });
    await expectKrsError(() => resolvePair('output:onnx::Gemm', zoo, mlp), 'UNKNOWN_KEY', /student layer 'onnx::Gemm'/, /closest: 'onnx::Gemm_6'/);
    await expectKrsError(() => resolvePair('relu_2:onnx::Gemm_8', zoo, mlp), 'UNKNOWN_KEY', /teacher layer 'relu_2'/, /\/relu_2\/Relu_output_0/);
    await expectKrsError(() => resolvePair('output', zoo, mlp), 'BAD_OPTION');

    await expectKrsError(
      () =>
        runEval({
          task: 'classification',
          data: mnistDataset(10),
          studentData: mnistDataset(9),
          teacher: { file: model('zoo-mnist-8.onnx') },
          student: { file: model('zoo-mnist-8.onnx') },
        }),
      'SHAPE_MISMATCH',
      /teacher has 10 samples, student has 9/,
    );
    const dir = tmp();
    copyFileSync(model('zuramai-mnist.onnx'), join(dir, 'z.onnx'));
    await expectKrsError(
      () => loadModel(join(dir, 'z.onnx')),
      'FILE_NOT_FOUND',
      /external data file 'mnist\.onnx\.data' of initializer '(conv1|fc1)\.weight' is missing/,
    );
  });
});

describe('runCapture', () => {
  it('writes the tapped layers (@Op selectors), logits, targets and ids; accuracy on the labels', async () => {
    const dir = tmp();
    const out = join(dir, 'zoo.npz');
    const r = await runCapture({ model: { file: model('zoo-mnist-8.onnx'), preprocess: sym, layers: ['@Relu'] }, data: mnistDataset(100), out, batchSize: 30 });
    expect(r.arrays.map((a) => a.key)).toEqual(['/relu/Relu_output_0', '/relu_1/Relu_output_0', '/relu_2/Relu_output_0', 'logits', 'targets', 'ids']);
    expect(r.arrays[2]).toEqual({ key: '/relu_2/Relu_output_0', dtype: 'float32', shape: [100, 128] });
    expect(r.accuracy).toBeGreaterThan(0.95);
    const c = openCapture(out);
    expect([...(c.readRows('targets', 0, 3).data as Int32Array)]).toEqual([0, 1, 2]);
  });

  it('a failure mid-run leaves no file under the target name, nor temporary files', async () => {
    const dir = tmp();
    const out = join(dir, 'x.npz');
    await expectKrsError(
      () => runCapture({ model: { file: model('zoo-mnist-8.onnx'), layers: ['/Constant_output_0'] }, data: mnistDataset(10), out }),
      'SHAPE_MISMATCH',
      /'\/Constant_output_0'.*not per-sample/,
    );
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('models as they really are', () => {
  it('a fixed batch axis is run in chunks (padding the last); several inputs are fed by name', async () => {
    const dir = tmp();
    const m = join(dir, 'add.onnx');
    writeFileSync(
      m,
      encodeModel({
        opsetImport: [{ domain: '', version: 13 }],
        graph: {
          name: 'add',
          node: [
            { opType: 'Add', input: ['a', 'b'], output: ['sum'] },
            { opType: 'Relu', input: ['sum'], output: ['y'] },
          ],
          input: [tensorValueInfo('a', F, [2, 3]), tensorValueInfo('b', F, [2, 3])],
          output: [tensorValueInfo('y', F, [2, 3])],
        },
      }),
    );
    const data = join(dir, 'd.npz');
    const w = new NpzWriter(data, 5);
    w.append('a', { dtype: 'float32', shape: [5, 3], data: Float32Array.from({ length: 15 }, (_, i) => i) });
    w.append('bb', { dtype: 'float64', shape: [5, 3], data: Float64Array.from({ length: 15 }, () => -5) });
    w.finish();
    const out = join(dir, 'c.npz');
    const r = await runCapture({ model: { file: m, feeds: { b: 'bb' }, layers: ['sum'] }, data: openDataset(data), out });
    expect(r.model.inputs.map((i) => [i.name, i.array])).toEqual([
      ['a', 'a'],
      ['b', 'bb'],
    ]);
    const c = openCapture(out);
    expect([...(c.read('sum').data as Float32Array)]).toEqual(Array.from({ length: 15 }, (_, i) => i - 5));
    expect([...(c.read('logits').data as Float32Array)]).toEqual(Array.from({ length: 15 }, (_, i) => Math.max(0, i - 5)));
    const e = await expectKrsError(() => runCapture({ model: { file: m }, data: openDataset(data), out }), 'UNKNOWN_KEY', /model input "b"/, /--feed b=ARRAY/);
    expect(e).toBeInstanceOf(KrsError);
  });

  it('a model ONNX Runtime refuses is a one-line BAD_FILE error from the worker', async () => {
    const dir = tmp();
    const m = join(dir, 'bad.onnx');
    writeFileSync(
      m,
      encodeModel({
        opsetImport: [{ domain: '', version: 13 }],
        graph: {
          name: 'g',
          node: [{ opType: 'NoSuchOp', input: ['x'], output: ['y'] }],
          input: [tensorValueInfo('x', F, ['N', 2])],
          output: [tensorValueInfo('y', F, ['N', 2])],
        },
      }),
    );
    await expectKrsError(() => runCapture({ model: { file: m }, data: mnistDataset(4), out: join(dir, 'o.npz') }), 'SHAPE_MISMATCH');
    const npy = join(dir, 'x.npz');
    const w = new NpzWriter(npy, 4);
    w.append('x', { dtype: 'float32', shape: [4, 2], data: new Float32Array(8) });
    w.finish();
    await expectKrsError(
      () => runCapture({ model: { file: m }, data: openDataset(npy), out: join(dir, 'o.npz') }),
      'BAD_FILE',
      /bad\.onnx: ONNX Runtime could not load the model/,
    );
    expect(existsSync(join(dir, 'o.npz'))).toBe(false);
  });

  it('listLayers infers shapes by running on zeros, naming the batch axis', async () => {
    const r = await listLayers(model('michbogos-mnist.onnx'));
    expect(r.shapes).toBe('inferred');
    expect(r.tensors.find((t) => t.name === 'onnx::Gemm_8')).toMatchObject({ op: 'Relu', dtype: 'float32', shape: ['batch_size', 100] });
    const z = await listLayers(model('zuramai-mnist.onnx'));
    expect(z.externalData).toEqual(['mnist.onnx.data']);
    expect(z.tensors.find((t) => t.name === 'relu')!.shape).toEqual(['s77', 32, 26, 26]);
  });
});
