/**
 * A hand-written subset of `onnx.proto` (ONNX IR v10, field numbers as in
 * github.com/onnx/onnx/blob/main/onnx/onnx.proto), encoded and decoded with protobufjs 7.
 *
 * Covered: ModelProto, GraphProto, NodeProto, AttributeProto, ValueInfoProto,
 * TypeProto (tensor, sequence, map, optional), TensorShapeProto, TensorProto,
 * OperatorSetIdProto, StringStringEntryProto. Not covered (and therefore dropped by a
 * decode → encode round trip, because protobufjs does not keep unknown fields):
 * training_info, functions, sparse tensors and quantization annotations. (External-data
 * entries of TensorProto, fields 13 and 14, are described, so that a model's external
 * data files can be listed.) To add outputs to a real model without such a round trip, use
 * {@link appendGraphOutputs}, which relies on protobuf's merge semantics instead.
 *
 * Why not the `onnx-proto` npm package: it is a generated static module pinned to
 * protobufjs 6, and krs already depends on protobufjs 7; this file is the ~150 lines we
 * need, with nothing generated.
 */
import protobuf from 'protobufjs';

/** ONNX TensorProto.DataType values used by krs. */
export const OnnxDataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  BFLOAT16: 16,
} as const;

/** ONNX AttributeProto.AttributeType values. */
export const OnnxAttributeType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
} as const;

/** The IR version written by {@link encodeModel} when none is given (ONNX 1.15+, IR v9). */
export const DEFAULT_IR_VERSION = 9;

// int64 fields decode to numbers or Long objects depending on the value; krs only
// writes numbers.
type Int64 = number | { toNumber(): number };

export interface OnnxDimension {
  dimValue?: Int64;
  dimParam?: string;
  denotation?: string;
}
export interface OnnxTensorShape {
  dim?: OnnxDimension[];
}
export interface OnnxTypeProto {
  tensorType?: { elemType?: number; shape?: OnnxTensorShape };
  sequenceType?: { elemType?: OnnxTypeProto };
  mapType?: { keyType?: number; valueType?: OnnxTypeProto };
  optionalType?: { elemType?: OnnxTypeProto };
  denotation?: string;
}
export interface OnnxValueInfo {
  name: string;
  type?: OnnxTypeProto;
  docString?: string;
}
export interface OnnxTensor {
  dims?: Int64[];
  dataType?: number;
  floatData?: number[];
  int32Data?: number[];
  stringData?: Uint8Array[];
  int64Data?: Int64[];
  name?: string;
  docString?: string;
  rawData?: Uint8Array;
  doubleData?: number[];
  uint64Data?: Int64[];
  /** Where the data lives when `dataLocation` is 1 (EXTERNAL): keys `location`, `offset`, `length`, `checksum`. */
  externalData?: { key?: string; value?: string }[];
  /** 0 = DEFAULT (in the file), 1 = EXTERNAL (see `externalData`). */
  dataLocation?: number;
}
export interface OnnxAttribute {
  name: string;
  type?: number;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: OnnxTensor;
  g?: OnnxGraph;
  floats?: number[];
  ints?: Int64[];
  strings?: Uint8Array[];
  tensors?: OnnxTensor[];
  graphs?: OnnxGraph[];
  refAttrName?: string;
  docString?: string;
}
export interface OnnxNode {
  input?: string[];
  output?: string[];
  name?: string;
  opType: string;
  domain?: string;
  attribute?: OnnxAttribute[];
  docString?: string;
}
export interface OnnxGraph {
  node?: OnnxNode[];
  name?: string;
  initializer?: OnnxTensor[];
  docString?: string;
  input?: OnnxValueInfo[];
  output?: OnnxValueInfo[];
  valueInfo?: OnnxValueInfo[];
}
export interface OnnxOpsetId {
  domain?: string;
  version: Int64;
}
export interface OnnxModel {
  irVersion?: Int64;
  opsetImport?: OnnxOpsetId[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: Int64;
  docString?: string;
  graph?: OnnxGraph;
  metadataProps?: { key?: string; value?: string }[];
}

const f = (id: number, type: string, rule?: 'repeated') => (rule ? { id, type, rule } : { id, type });

const descriptor = {
  nested: {
    onnx: {
      nested: {
        StringStringEntryProto: { fields: { key: f(1, 'string'), value: f(2, 'string') } },
        OperatorSetIdProto: { fields: { domain: f(1, 'string'), version: f(2, 'int64') } },
        TensorShapeProto: {
          fields: { dim: f(1, 'Dimension', 'repeated') },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
              fields: { dimValue: f(1, 'int64'), dimParam: f(2, 'string'), denotation: f(3, 'string') },
            },
          },
        },
        TypeProto: {
          oneofs: { value: { oneof: ['tensorType', 'sequenceType', 'mapType', 'optionalType'] } },
          fields: {
            tensorType: f(1, 'Tensor'),
            sequenceType: f(4, 'Sequence'),
            mapType: f(5, 'Map'),
            optionalType: f(9, 'Optional'),
            denotation: f(6, 'string'),
          },
          nested: {
            Tensor: { fields: { elemType: f(1, 'int32'), shape: f(2, 'TensorShapeProto') } },
            Sequence: { fields: { elemType: f(1, 'TypeProto') } },
            Map: { fields: { keyType: f(1, 'int32'), valueType: f(2, 'TypeProto') } },
            Optional: { fields: { elemType: f(1, 'TypeProto') } },
          },
        },
        ValueInfoProto: {
          fields: {
            name: f(1, 'string'),
            type: f(2, 'TypeProto'),
            docString: f(3, 'string'),
            metadataProps: f(4, 'StringStringEntryProto', 'repeated'),
          },
        },
        TensorProto: {
          fields: {
            dims: f(1, 'int64', 'repeated'),
            dataType: f(2, 'int32'),
            floatData: f(4, 'float', 'repeated'),
            int32Data: f(5, 'int32', 'repeated'),
            stringData: f(6, 'bytes', 'repeated'),
            int64Data: f(7, 'int64', 'repeated'),
            name: f(8, 'string'),
            rawData: f(9, 'bytes'),
            doubleData: f(10, 'double', 'repeated'),
            uint64Data: f(11, 'uint64', 'repeated'),
            docString: f(12, 'string'),
            externalData: f(13, 'StringStringEntryProto', 'repeated'),
            dataLocation: f(14, 'int32'),
            metadataProps: f(16, 'StringStringEntryProto', 'repeated'),
          },
        },
        AttributeProto: {
          fields: {
            name: f(1, 'string'),
            f: f(2, 'float'),
            i: f(3, 'int64'),
            s: f(4, 'bytes'),
            t: f(5, 'TensorProto'),
            g: f(6, 'GraphProto'),
            floats: f(7, 'float', 'repeated'),
            ints: f(8, 'int64', 'repeated'),
            strings: f(9, 'bytes', 'repeated'),
            tensors: f(10, 'TensorProto', 'repeated'),
            graphs: f(11, 'GraphProto', 'repeated'),
            docString: f(13, 'string'),
            tp: f(14, 'TypeProto'),
            typeProtos: f(15, 'TypeProto', 'repeated'),
            type: f(20, 'int32'),
            refAttrName: f(21, 'string'),
          },
        },
        NodeProto: {
          fields: {
            input: f(1, 'string', 'repeated'),
            output: f(2, 'string', 'repeated'),
            name: f(3, 'string'),
            opType: f(4, 'string'),
            attribute: f(5, 'AttributeProto', 'repeated'),
            docString: f(6, 'string'),
            domain: f(7, 'string'),
            overload: f(8, 'string'),
            metadataProps: f(9, 'StringStringEntryProto', 'repeated'),
          },
        },
        GraphProto: {
          fields: {
            node: f(1, 'NodeProto', 'repeated'),
            name: f(2, 'string'),
            initializer: f(5, 'TensorProto', 'repeated'),
            docString: f(10, 'string'),
            input: f(11, 'ValueInfoProto', 'repeated'),
            output: f(12, 'ValueInfoProto', 'repeated'),
            valueInfo: f(13, 'ValueInfoProto', 'repeated'),
            metadataProps: f(16, 'StringStringEntryProto', 'repeated'),
          },
        },
        ModelProto: {
          fields: {
            irVersion: f(1, 'int64'),
            producerName: f(2, 'string'),
            producerVersion: f(3, 'string'),
            domain: f(4, 'string'),
            modelVersion: f(5, 'int64'),
            docString: f(6, 'string'),
            graph: f(7, 'GraphProto'),
            opsetImport: f(8, 'OperatorSetIdProto', 'repeated'),
            metadataProps: f(14, 'StringStringEntryProto', 'repeated'),
          },
        },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(descriptor);
const ModelProto = root.lookupType('onnx.ModelProto');
const GraphProto = root.lookupType('onnx.GraphProto');

/** Serialise a model to the bytes `InferenceSession.create` accepts. */
export function encodeModel(model: OnnxModel): Uint8Array {
  const m = { irVersion: DEFAULT_IR_VERSION, ...model };
  const err = ModelProto.verify(m);
  if (err) throw new TypeError(`invalid ONNX model: ${err}`);
  return ModelProto.encode(ModelProto.fromObject(m)).finish();
}

/**
 * Parse model bytes into plain objects (int64 fields as numbers; bytes as Uint8Array).
 * Fields outside the subset above are skipped. Several `graph` fields (as written by
 * {@link appendGraphOutputs}) are merged as protobuf specifies, which protobufjs alone
 * does not do (it keeps the last).
 */
export function decodeModel(bytes: Uint8Array): OnnxModel {
  const msg = ModelProto.decode(joinGraphFields(bytes));
  return ModelProto.toObject(msg, { longs: Number, defaults: false, arrays: true }) as OnnxModel;
}

/**
 * Rewrite top-level ModelProto bytes so that every `graph` field (number 7) becomes one,
 * its payloads concatenated — protobuf's merge of a singular message field. Other fields
 * are copied unchanged. Returns the input when there is at most one graph field.
 */
function joinGraphFields(bytes: Uint8Array): Uint8Array {
  const reader = protobuf.Reader.create(bytes);
  const graphs: Uint8Array[] = [];
  const others: Uint8Array[] = [];
  while (reader.pos < reader.len) {
    const start = reader.pos;
    const tag = reader.uint32();
    if (tag >>> 3 === 7 && (tag & 7) === 2) {
      graphs.push(reader.bytes());
    } else {
      reader.skipType(tag & 7);
      others.push(bytes.subarray(start, reader.pos));
    }
  }
  if (graphs.length <= 1) return bytes;
  const w = protobuf.Writer.create();
  const total = graphs.reduce((n, g) => n + g.length, 0);
  const joined = new Uint8Array(total);
  let o = 0;
  for (const g of graphs) {
    joined.set(g, o);
    o += g.length;
  }
  w.uint32((7 << 3) | 2).bytes(joined);
  const graphField = w.finish();
  const out = new Uint8Array(others.reduce((n, x) => n + x.length, 0) + graphField.length);
  o = 0;
  for (const x of others) {
    out.set(x, o);
    o += x.length;
  }
  out.set(graphField, o);
  return out;
}

/**
 * Add graph outputs to a serialised model without decoding it: appends a second
 * `graph` field holding only the new outputs, which a protobuf parser merges into the
 * first (repeated fields concatenate). Every field of the original model, including
 * those this subset does not describe, is kept byte for byte. This is how intermediate
 * tensors are tapped for capture.
 */
export function appendGraphOutputs(model: Uint8Array, outputs: readonly OnnxValueInfo[]): Uint8Array {
  const graph = GraphProto.encode(GraphProto.fromObject({ output: outputs })).finish();
  const writer = protobuf.Writer.create();
  writer.uint32((7 << 3) | 2).bytes(graph);
  const tail = writer.finish();
  const out = new Uint8Array(model.length + tail.length);
  out.set(model, 0);
  out.set(tail, model.length);
  return out;
}

/** A float tensor value-info with named (symbolic) or fixed dimensions. */
export function tensorValueInfo(name: string, elemType: number, dims: readonly (number | string)[] | undefined): OnnxValueInfo {
  const tensorType: { elemType: number; shape?: OnnxTensorShape } = { elemType };
  if (dims) tensorType.shape = { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) };
  return { name, type: { tensorType } };
}

/** An INTS attribute (e.g. Transpose `perm`). */
export function intsAttribute(name: string, values: readonly number[]): OnnxAttribute {
  return { name, type: OnnxAttributeType.INTS, ints: [...values] };
}

/** An INT attribute. */
export function intAttribute(name: string, value: number): OnnxAttribute {
  return { name, type: OnnxAttributeType.INT, i: value };
}
