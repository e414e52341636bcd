import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closestNames, describeModel, editDistance, penultimateTensor, resolveTensors } from '../../src/runtime/onnx-model.js';
import { decodeModel, encodeModel, OnnxDataType, tensorValueInfo } from '../../src/runtime/onnx-proto.js';
import { expectKrsError } from '../helpers/fixtures.js';
import { notePublicModels, OWN_MODELS_DIR, ownModel, publicModel, publicModelsAvailable } from '../helpers/models.js';

notePublicModels();

describe('the committed test models (scripts/make-test-models.ts)', () => {
  it('every file matches SHA256SUMS, and SHA256SUMS lists every model file', () => {
    const sums = readFileSync(join(OWN_MODELS_DIR, 'SHA256SUMS'), 'utf8').trim().split('\n');
    const listed = sums.map((line) => {
      const m = /^([0-9a-f]{64}) {2}(\S+)$/.exec(line);
      expect(m, line).not.toBeNull();
      const [, hash, file] = m!;
      expect(
        createHash('sha256')
          .update(readFileSync(join(OWN_MODELS_DIR, file!)))
          .digest('hex'),
        file,
      ).toBe(hash);
      return file!;
    });
    expect(listed).toEqual(['cnn.onnx', 'mlp-sigmoid.onnx', 'mlp-student.onnx', 'mlp-teacher.onnx', 'one-conv.onnx', 'one-conv.weights']);
    const onDisk = readdirSync(OWN_MODELS_DIR).filter((f) => f !== 'SHA256SUMS' && f !== 'README.md');
    expect(onDisk.sort()).toEqual([...listed].sort());
    const bytes = onDisk.reduce((n, f) => n + statSync(join(OWN_MODELS_DIR, f)).size, 0);
    expect(bytes).toBeLessThan(1_500_000);
  });

  it('the CNN: one input with a symbolic batch, every node output in graph order (the Constant shape included)', () => {
    const d = describeModel(readFileSync(ownModel('cnn.onnx')), 'cnn.onnx');
    expect(d.opset).toBe(13);
    expect(d.irVersion).toBe(9);
    expect(d.producer).toBe('krs make-test-models 1');
    expect(d.inputs).toHaveLength(1);
    expect(d.inputs[0]).toMatchObject({ name: 'input', dtype: 'float32', shape: ['batch', 1, 28, 28], role: 'input' });
    expect(d.outputs.map((o) => o.name)).toEqual(['output']);
    expect(d.tensors.map((t) => [t.name, t.op])).toEqual([
      ['input', 'input'],
      ['conv1', 'Conv'],
      ['relu1', 'Relu'],
      ['pool1', 'MaxPool'],
      ['flatten_shape', 'Constant'],
      ['flatten', 'Reshape'],
      ['fc1', 'Gemm'],
      ['relu2', 'Relu'],
      ['output', 'Gemm'],
    ]);
    expect(d.tensors.find((t) => t.name === 'output')).toMatchObject({ op: 'Gemm', role: 'output', shape: ['batch', 10] });
    expect(d.externalData).toEqual([]);
  });

  it('the one-conv network: opset 20 and both weights in its external data file, at their offsets', () => {
    const d = describeModel(readFileSync(ownModel('one-conv.onnx')), 'one-conv.onnx');
    expect(d.opset).toBe(20);
    expect(d.inputs[0]!.shape).toEqual(['N', 1, 28, 28]);
    expect(d.externalData).toEqual([
      { initializer: 'conv.weight', location: 'one-conv.weights', offset: 0, length: 4 * 4 * 9 },
      { initializer: 'fc.weight', location: 'one-conv.weights', offset: 4 * 4 * 9, length: 4 * 784 * 10 },
    ]);
    expect(statSync(ownModel('one-conv.weights')).size).toBe(4 * (4 * 9 + 784 * 10));
    expect(d.tensors.map((t) => t.name)).toEqual(['input', 'conv', 'relu', 'flatten', 'output']);
  });

  it('the sigmoid MLP: opset 10, rank-3 input; penultimate features before each head', () => {
    const bytes = readFileSync(ownModel('mlp-sigmoid.onnx'));
    const d = describeModel(bytes, 'mlp-sigmoid.onnx');
    expect(d.opset).toBe(10);
    expect(d.inputs[0]!.shape).toEqual(['batch_size', 28, 28]);
    expect(d.tensors.at(-1)).toMatchObject({ name: 'output', op: 'Sigmoid', role: 'output' });
    // Through the Sigmoid to the Gemm, whose input is the hidden ReLU.
    expect(penultimateTensor(decodeModel(bytes))).toBe('relu1');
    expect(penultimateTensor(decodeModel(readFileSync(ownModel('cnn.onnx'))))).toBe('relu2');
    expect(penultimateTensor(decodeModel(readFileSync(ownModel('mlp-teacher.onnx'))))).toBe('relu2');
    expect(penultimateTensor(decodeModel(readFileSync(ownModel('mlp-student.onnx'))))).toBe('relu1');
    // The one-conv network's head reads the Reshape of the ReLU maps.
    expect(penultimateTensor(decodeModel(readFileSync(ownModel('one-conv.onnx'))))).toBe('flatten');
  });

  it('the student: its hidden layer is MatMul + Add, as tf2onnx writes it', () => {
    const d = describeModel(readFileSync(ownModel('mlp-student.onnx')), 'mlp-student.onnx');
    expect(d.opset).toBe(17);
    expect(d.tensors.map((t) => `${t.name}:${t.op}`)).toEqual(['input:input', 'flatten:Flatten', 'fc1:MatMul', 'fc1_biased:Add', 'relu1:Relu', 'output:Gemm']);
  });
});

describe('describeModel', () => {
  it('rejects bytes that are not a model, in one line', async () => {
    await expectKrsError(() => describeModel(new TextEncoder().encode('hello world'), 'junk.onnx'), 'BAD_FILE', /junk\.onnx: not a valid ONNX model/);
    const noOutputs = encodeModel({ graph: { name: 'g', node: [], input: [tensorValueInfo('x', OnnxDataType.FLOAT, [1])] } });
    await expectKrsError(() => describeModel(noOutputs, 'empty.onnx'), 'BAD_FILE', /without outputs/);
  });
});

describe('tensor names', () => {
  it('suggests the closest names for an unknown tensor', async () => {
    const d = describeModel(readFileSync(ownModel('cnn.onnx')), 'cnn.onnx');
    expect(resolveTensors(d, ['output', 'relu1', 'output'], 'layer')).toEqual(['output', 'relu1']);
    const e = await expectKrsError(
      () => resolveTensors(d, ['pool'], 'teacher layer'),
      'UNKNOWN_KEY',
      /teacher layer 'pool' is not a tensor of cnn\.onnx/,
      /closest: 'pool1'/,
      /krs layers --model cnn\.onnx/,
    );
    expect(e.kind).toBe('usage');
  });

  it('edit distance and closest names', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(closestNames('conv2', ['/conv1/Conv_output_0', '/conv2/Conv_output_0', 'output'])[0]).toBe('/conv2/Conv_output_0');
    expect(closestNames('zzzzzzzzzz', ['a', 'b'])).toEqual([]);
  });
});

describe.skipIf(!publicModelsAvailable)('describeModel on the public models (../shared/models)', () => {
  it('the CNN: one input with a symbolic batch, every node output in graph order', () => {
    const d = describeModel(readFileSync(publicModel('zoo-mnist-8.onnx')), 'zoo.onnx');
    expect(d.opset).toBe(11);
    expect(d.inputs).toHaveLength(1);
    expect(d.inputs[0]).toMatchObject({ name: 'input', dtype: 'float32', shape: ['batch_size', 1, 28, 28], role: 'input' });
    expect(d.outputs.map((o) => o.name)).toEqual(['output']);
    expect(d.tensors.map((t) => t.name)).toEqual([
      'input',
      '/conv1/Conv_output_0',
      '/relu/Relu_output_0',
      '/pool/MaxPool_output_0',
      '/conv2/Conv_output_0',
      '/relu_1/Relu_output_0',
      '/pool_1/MaxPool_output_0',
      '/Constant_output_0',
      '/Reshape_output_0',
      '/fc1/Gemm_output_0',
      '/relu_2/Relu_output_0',
      'output',
    ]);
    expect(d.tensors.find((t) => t.name === 'output')).toMatchObject({ op: 'Gemm', role: 'output' });
    expect(d.externalData).toEqual([]);
  });

  it('the one-conv network: opset 20 and its external data file', () => {
    const d = describeModel(readFileSync(publicModel('zuramai-mnist.onnx')), 'z.onnx');
    expect(d.opset).toBe(20);
    expect(d.inputs[0]!.shape).toEqual(['s77', 1, 28, 28]);
    expect(new Set(d.externalData.map((e) => e.location))).toEqual(new Set(['mnist.onnx.data']));
    expect(d.externalData.map((e) => e.initializer).sort()).toEqual(['conv1.weight', 'fc1.weight']);
  });

  it('the MLP: opset 10, rank-3 input, penultimate features before the sigmoid head', () => {
    const bytes = readFileSync(publicModel('michbogos-mnist.onnx'));
    const d = describeModel(bytes, 'm.onnx');
    expect(d.opset).toBe(10);
    expect(d.inputs[0]!.shape).toEqual(['batch_size', 28, 28]);
    expect(penultimateTensor(decodeModel(bytes))).toBe('onnx::Gemm_8');
    expect(penultimateTensor(decodeModel(readFileSync(publicModel('zoo-mnist-8.onnx'))))).toBe('/relu_2/Relu_output_0');
  });
});
