import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { appendGraphOutputs, decodeModel, encodeModel, intsAttribute, OnnxDataType, type OnnxModel, tensorValueInfo } from '../../src/runtime/onnx-proto.js';

const F = OnnxDataType.FLOAT;

/** C = Transpose(A) · B with symbolic dims; the transpose `At` is an internal tensor. */
function transposeMatMul(): OnnxModel {
  return {
    producerName: 'krs-test',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'atb',
      node: [
        { opType: 'Transpose', name: 't', input: ['A'], output: ['At'], attribute: [intsAttribute('perm', [1, 0])] },
        { opType: 'MatMul', name: 'mm', input: ['At', 'B'], output: ['C'] },
      ],
      input: [tensorValueInfo('A', F, ['n', 'p']), tensorValueInfo('B', F, ['n', 'q'])],
      output: [tensorValueInfo('C', F, ['p', 'q'])],
    },
  };
}

const A = Float32Array.from([1, 2, 3, 4, 5, 6]); // 3 × 2
const B = Float32Array.from([1, 0, 0, 1, 1, 1]); // 3 × 2
const AtB = [1 + 5, 3 + 5, 2 + 6, 4 + 6]; // AᵀB

describe('onnx-proto', () => {
  it('encodes a model ONNX Runtime runs, with symbolic dims', async () => {
    const s = await ort.InferenceSession.create(encodeModel(transposeMatMul()));
    expect(s.inputNames).toEqual(['A', 'B']);
    const out = await s.run({ A: new ort.Tensor('float32', A, [3, 2]), B: new ort.Tensor('float32', B, [3, 2]) });
    expect(Array.from(out.C!.data as Float32Array)).toEqual(AtB);
    await s.release();
  });

  it('decodes what it encodes', () => {
    const m = decodeModel(encodeModel(transposeMatMul()));
    expect(m.irVersion).toBe(9);
    expect(m.opsetImport).toEqual([{ domain: '', version: 17 }]);
    expect(m.graph!.node!.map((n) => n.opType)).toEqual(['Transpose', 'MatMul']);
    expect(m.graph!.node![0]!.attribute![0]!.ints).toEqual([1, 0]);
    expect(m.graph!.input![0]!.type!.tensorType!.shape!.dim).toEqual([{ dimParam: 'n' }, { dimParam: 'p' }]);
  });

  it('appendGraphOutputs taps an internal tensor without decoding the model', async () => {
    const bytes = appendGraphOutputs(encodeModel(transposeMatMul()), [tensorValueInfo('At', F, ['p', 'n'])]);
    expect(decodeModel(bytes).graph!.output!.map((o) => o.name)).toEqual(['C', 'At']);
    const s = await ort.InferenceSession.create(bytes);
    expect(s.outputNames).toEqual(['C', 'At']);
    const out = await s.run({ A: new ort.Tensor('float32', A, [3, 2]), B: new ort.Tensor('float32', B, [3, 2]) });
    expect(Array.from(out.C!.data as Float32Array)).toEqual(AtB);
    expect(out.At!.dims).toEqual([2, 3]);
    expect(Array.from(out.At!.data as Float32Array)).toEqual([1, 3, 5, 2, 4, 6]);
    await s.release();
  });

  it('rejects a malformed model object', () => {
    expect(() => encodeModel({ graph: { node: [{ opType: 5 as unknown as string }] } })).toThrow(/invalid ONNX model/);
  });
});
