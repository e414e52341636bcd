import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { closestNames, describeModel, editDistance, penultimateTensor, resolveTensors } from '../../src/runtime/onnx-model.js';
import { decodeModel, encodeModel, OnnxDataType, tensorValueInfo } from '../../src/runtime/onnx-proto.js';
import { expectKrsError } from '../helpers/fixtures.js';
import { model } from '../helpers/models.js';

describe('describeModel on the real models', () => {
  it('the CNN: one input with a symbolic batch, every node output in graph order', () => {
    const d = describeModel(readFileSync(model('zoo-mnist-8.onnx')), 'zoo.onnx');
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
    const d = describeModel(readFileSync(model('zuramai-mnist.onnx')), 'z.onnx');
    expect(d.opset).toBe(20);
    expect(d.inputs[0]!.shape).toEqual(['s77', 1, 28, 28]);
    expect(new Set(d.externalData.map((e) => e.location))).toEqual(new Set(['mnist.onnx.data']));
    expect(d.externalData.map((e) => e.initializer).sort()).toEqual(['conv1.weight', 'fc1.weight']);
  });

  it('the MLP: opset 10, rank-3 input, penultimate features before the sigmoid head', () => {
    const bytes = readFileSync(model('michbogos-mnist.onnx'));
    const d = describeModel(bytes, 'm.onnx');
    expect(d.opset).toBe(10);
    expect(d.inputs[0]!.shape).toEqual(['batch_size', 28, 28]);
    expect(penultimateTensor(decodeModel(bytes))).toBe('onnx::Gemm_8');
    expect(penultimateTensor(decodeModel(readFileSync(model('zoo-mnist-8.onnx'))))).toBe('/relu_2/Relu_output_0');
  });

  it('rejects bytes that are not a model, in one line', async () => {
    await expectKrsError(() => describeModel(new TextEncoder().encode('hello world'), 'junk.onnx'), 'BAD_FILE', /junk\.onnx: not a valid ONNX model/);
    const noOutputs = encodeModel({ graph: { name: 'g', node: [], input: [tensorValueInfo('x', OnnxDataType.FLOAT, [1])] } });
    await expectKrsError(() => describeModel(noOutputs, 'empty.onnx'), 'BAD_FILE', /without outputs/);
  });
});

describe('tensor names', () => {
  it('suggests the closest names for an unknown tensor', async () => {
    const d = describeModel(readFileSync(model('zoo-mnist-8.onnx')), 'zoo.onnx');
    expect(resolveTensors(d, ['output', '/relu/Relu_output_0', 'output'], 'layer')).toEqual(['output', '/relu/Relu_output_0']);
    const e = await expectKrsError(
      () => resolveTensors(d, ['/relu/Relu'], 'teacher layer'),
      'UNKNOWN_KEY',
      /teacher layer '\/relu\/Relu' is not a tensor of zoo\.onnx/,
      /closest: '\/relu\/Relu_output_0'/,
      /krs layers --model zoo\.onnx/,
    );
    expect(e.kind).toBe('usage');
  });

  it('edit distance and closest names', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(closestNames('conv2', ['/conv1/Conv_output_0', '/conv2/Conv_output_0', 'output'])[0]).toBe('/conv2/Conv_output_0');
    expect(closestNames('zzzzzzzzzz', ['a', 'b'])).toEqual([]);
  });
});
