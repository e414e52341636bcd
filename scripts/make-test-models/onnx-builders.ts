/**
 * Small builders for the ONNX graphs of the test models, on top of the project's own encoder
 * (src/runtime/onnx-proto.ts): float and int64 initializers (inline, little-endian raw data,
 * or in an external data file), nodes with their attributes, and the model itself.
 */
import {
  encodeModel,
  intAttribute,
  intsAttribute,
  type OnnxAttribute,
  OnnxDataType,
  type OnnxNode,
  type OnnxTensor,
  type OnnxValueInfo,
} from '../../src/runtime/onnx-proto.js';

/** Little-endian bytes of float32 values (the layout ONNX `raw_data` prescribes on every machine). */
export function float32Bytes(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return out;
}

/** A float32 initializer stored in the model file. `values.length` must equal the product of `dims`. */
export function floatInitializer(name: string, dims: readonly number[], values: Float32Array): OnnxTensor {
  checkSize(name, dims, values.length);
  return { name, dims: [...dims], dataType: OnnxDataType.FLOAT, rawData: float32Bytes(values) };
}

/** An int64 initializer (e.g. a Reshape target shape), stored in the model file. */
export function int64Initializer(name: string, values: readonly number[]): OnnxTensor {
  return { name, dims: [values.length], dataType: OnnxDataType.INT64, int64Data: [...values] };
}

/**
 * A float32 initializer whose bytes live in an external data file: `location` (relative to
 * the model's folder), from byte `offset`, `length` bytes (= 4 × element count).
 */
export function externalInitializer(name: string, dims: readonly number[], location: string, offset: number, length: number): OnnxTensor {
  checkSize(name, dims, length / 4);
  return {
    name,
    dims: [...dims],
    dataType: OnnxDataType.FLOAT,
    dataLocation: 1,
    externalData: [
      { key: 'location', value: location },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(length) },
    ],
  };
}

function checkSize(name: string, dims: readonly number[], count: number): void {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (expected !== count) throw new Error(`initializer ${name}: ${count} values for dims [${dims.join(', ')}]`);
}

/** A node; `name` defaults to its first output. */
export function node(opType: string, input: string[], output: string[], attribute: OnnxAttribute[] = []): OnnxNode {
  return { opType, input, output, name: output[0]!, attribute };
}

/** A Gemm node Y = A·B + C with B stored [in, out] (no transposes, α = β = 1). */
export function gemm(a: string, b: string, c: string, y: string): OnnxNode {
  return node('Gemm', [a, b, c], [y]);
}

/** A 2-D convolution, square kernel `k`, `stride`, symmetric padding `pad`. */
export function conv2d(x: string, w: string, b: string, y: string, k: number, stride: number, pad: number): OnnxNode {
  return node(
    'Conv',
    [x, w, b],
    [y],
    [intsAttribute('kernel_shape', [k, k]), intsAttribute('strides', [stride, stride]), intsAttribute('pads', [pad, pad, pad, pad])],
  );
}

/** Max pooling over `k`×`k` windows with stride `k`. */
export function maxPool(x: string, y: string, k: number): OnnxNode {
  return node('MaxPool', [x], [y], [intsAttribute('kernel_shape', [k, k]), intsAttribute('strides', [k, k])]);
}

/** Flatten to [N, rest]. */
export function flatten(x: string, y: string): OnnxNode {
  return node('Flatten', [x], [y], [intAttribute('axis', 1)]);
}

/** A Constant node holding an int64 vector (a per-model, not per-sample, tensor). */
export function int64Constant(y: string, values: readonly number[]): OnnxNode {
  return {
    opType: 'Constant',
    input: [],
    output: [y],
    name: y,
    attribute: [{ name: 'value', type: 4, t: { dims: [values.length], dataType: OnnxDataType.INT64, int64Data: [...values] } }],
  };
}

export interface ModelSpec {
  name: string;
  opset: number;
  /** Written as the model's doc string: what the model is and how it was made. */
  doc: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

/** Encode a model (IR version 9, producer `krs make-test-models`). */
export function encodeSpec(m: ModelSpec): Uint8Array {
  return encodeModel({
    irVersion: 9,
    producerName: 'krs make-test-models',
    producerVersion: '1',
    docString: m.doc,
    opsetImport: [{ domain: '', version: m.opset }],
    graph: { name: m.name, node: m.nodes, initializer: m.initializers, input: m.inputs, output: m.outputs },
  });
}
