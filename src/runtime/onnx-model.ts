/**
 * What krs needs to know about an ONNX model's graph, read from its bytes without running
 * it: the inputs to feed, the outputs, every tensor a node produces (the tensors that can be
 * tapped), in graph order, with the op that produces it and its type and shape where the
 * file records them, and the external data files its initializers live in.
 *
 * Browser-safe: no Node module is imported here (files and sessions are in `node-onnx.ts`
 * and `session.ts`).
 */
import { errors, fmtShape } from '../core/errors.js';
import type { DType } from '../core/tensor.js';
import { decodeModel, OnnxDataType, type OnnxModel, type OnnxTypeProto, type OnnxValueInfo } from './onnx-proto.js';

/** A dimension: a fixed size, or a symbolic name (`batch_size`), or null when unknown. */
export type Dim = number | string | null;

/** One tensor of the graph. */
export interface TensorDescription {
  readonly name: string;
  /** Op type of the producing node; `input` for graph inputs. */
  readonly op: string;
  /** Name of the producing node ('' for graph inputs or unnamed nodes). */
  readonly node: string;
  /** Element type where known (graph inputs/outputs, value_info), else null. */
  readonly dtype: DType | 'string' | null;
  /** Shape where known, else null. */
  readonly shape: readonly Dim[] | null;
  /** `input` / `output` for the graph's inputs and outputs, else null. */
  readonly role: 'input' | 'output' | null;
}

/** An external data file the model's initializers refer to. */
export interface ExternalDataRef {
  readonly initializer: string;
  /** Path relative to the model's folder, as written in the model. */
  readonly location: string;
  readonly offset: number;
  /** Bytes, or null when the model does not say (then the rest of the file). */
  readonly length: number | null;
}

export interface ModelDescription {
  /** The model file, for messages. */
  readonly file: string;
  readonly irVersion: number | null;
  /** Default-domain opset version. */
  readonly opset: number | null;
  readonly producer: string;
  /** Graph inputs that are not initializers: what must be fed. */
  readonly inputs: readonly TensorDescription[];
  readonly outputs: readonly TensorDescription[];
  /** Inputs, then every node output in graph order (outputs marked). */
  readonly tensors: readonly TensorDescription[];
  readonly externalData: readonly ExternalDataRef[];
}

const DTYPES: Record<number, DType | 'string'> = {
  [OnnxDataType.FLOAT]: 'float32',
  [OnnxDataType.UINT8]: 'uint8',
  [OnnxDataType.INT8]: 'int8',
  [OnnxDataType.UINT16]: 'uint16',
  [OnnxDataType.INT16]: 'int16',
  [OnnxDataType.INT32]: 'int32',
  [OnnxDataType.INT64]: 'int64',
  [OnnxDataType.STRING]: 'string',
  [OnnxDataType.BOOL]: 'bool',
  [OnnxDataType.FLOAT16]: 'float16',
  [OnnxDataType.DOUBLE]: 'float64',
  [OnnxDataType.UINT32]: 'uint32',
  [OnnxDataType.UINT64]: 'uint64',
  [OnnxDataType.BFLOAT16]: 'bfloat16',
};

const num = (v: unknown): number =>
  typeof v === 'number' ? v : typeof v === 'object' && v && 'toNumber' in v ? (v as { toNumber(): number }).toNumber() : Number(v);

function typeOf(t: OnnxTypeProto | undefined): { dtype: DType | 'string' | null; shape: Dim[] | null } {
  const tt = t?.tensorType;
  if (!tt) return { dtype: null, shape: null };
  const dtype = tt.elemType !== undefined ? (DTYPES[tt.elemType] ?? null) : null;
  const shape = tt.shape ? (tt.shape.dim ?? []).map((d): Dim => (d.dimValue !== undefined ? num(d.dimValue) : d.dimParam ? d.dimParam : null)) : null;
  return { dtype, shape };
}

/**
 * Parse model bytes into a {@link ModelDescription}.
 * @throws KrsError BAD_FILE when the bytes are not an ONNX model (not protobuf, or no graph,
 *   or a graph without outputs).
 * @example describeModel(bytes, 'zoo-mnist-8.onnx').inputs[0].shape // ['batch_size', 1, 28, 28]
 */
export function describeModel(bytes: Uint8Array, file: string): ModelDescription {
  let model: OnnxModel;
  try {
    model = decodeModel(bytes);
  } catch (e) {
    throw errors.badFile(file, `not a valid ONNX model (${(e as Error).message.split('\n')[0]})`);
  }
  return describeDecoded(model, file);
}

/** {@link describeModel} for an already decoded model. */
export function describeDecoded(model: OnnxModel, file: string): ModelDescription {
  const g = model.graph;
  if (!g?.output || g.output.length === 0) {
    throw errors.badFile(file, 'not a valid ONNX model (no graph, or a graph without outputs)');
  }
  const initializers = new Set((g.initializer ?? []).map((t) => t.name ?? ''));
  const info = new Map<string, OnnxValueInfo>();
  for (const v of [...(g.valueInfo ?? []), ...(g.input ?? []), ...(g.output ?? [])]) info.set(v.name, v);
  const outputNames = new Set(g.output.map((o) => o.name));
  const roleOf = (name: string): TensorDescription['role'] => (outputNames.has(name) ? 'output' : null);

  const inputs: TensorDescription[] = (g.input ?? [])
    .filter((i) => !initializers.has(i.name))
    .map((i) => ({ name: i.name, op: 'input', node: '', ...typeOf(i.type), role: 'input' as const }));
  const tensors: TensorDescription[] = [...inputs];
  const seen = new Set(inputs.map((i) => i.name));
  for (const n of g.node ?? []) {
    for (const o of n.output ?? []) {
      if (!o || seen.has(o)) continue;
      seen.add(o);
      tensors.push({ name: o, op: n.opType, node: n.name ?? '', ...typeOf(info.get(o)?.type), role: roleOf(o) });
    }
  }
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const outputs = g.output.map((o) => {
    const t = byName.get(o.name);
    return { name: o.name, op: t?.op ?? 'input', node: t?.node ?? '', ...typeOf(o.type), role: 'output' as const };
  });
  const externalData: ExternalDataRef[] = [];
  for (const t of g.initializer ?? []) {
    if (t.dataLocation !== 1) continue;
    const kv = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
    externalData.push({
      initializer: t.name ?? '',
      location: kv.get('location') ?? '',
      offset: kv.has('offset') ? Number(kv.get('offset')) : 0,
      length: kv.has('length') ? Number(kv.get('length')) : null,
    });
  }
  const opset = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  return {
    file,
    irVersion: model.irVersion !== undefined ? num(model.irVersion) : null,
    opset: opset ? num(opset.version) : null,
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    inputs,
    outputs,
    tensors,
    externalData,
  };
}

/** The tensor that produces `name`'s values through elementwise/reshaping ops only, for "penultimate" lookups. */
const PASS_THROUGH = new Set(['Sigmoid', 'Softmax', 'LogSoftmax', 'Identity', 'Dropout', 'Relu', 'Tanh', 'Cast']);
const HEADS = new Set(['Gemm', 'MatMul', 'Conv', 'ConvTranspose']);

/**
 * The penultimate features of a model: the data input of the last Gemm/MatMul/Conv that
 * leads to its first output (walking back through activations), i.e. what the
 * classifier head reads. Null when there is no such node or its input is a graph input.
 */
export function penultimateTensor(model: OnnxModel, outputName?: string): string | null {
  const g = model.graph;
  if (!g) return null;
  const producer = new Map<string, { opType: string; input: string[] }>();
  for (const n of g.node ?? []) for (const o of n.output ?? []) producer.set(o, { opType: n.opType, input: n.input ?? [] });
  const inputs = new Set((g.input ?? []).map((i) => i.name));
  let name = outputName ?? g.output?.[0]?.name;
  for (let guard = 0; name && guard < 64; guard++) {
    const p = producer.get(name);
    if (!p) return null;
    if (HEADS.has(p.opType)) {
      const x = p.input[0];
      return x && !inputs.has(x) ? x : null;
    }
    if (!PASS_THROUGH.has(p.opType)) return null;
    name = p.input[0];
  }
  return null;
}

/** The op producing a tensor and its first input (null for graph inputs / unknown names). */
export function producerOf(model: OnnxModel, tensor: string): { opType: string; input: string } | null {
  for (const n of model.graph?.node ?? []) {
    if ((n.output ?? []).includes(tensor)) return { opType: n.opType, input: n.input?.[0] ?? '' };
  }
  return null;
}

/**
 * Up to `k` names of `candidates` closest to `name`: those containing it (or contained in
 * it) first, then by edit distance (case-insensitive).
 */
export function closestNames(name: string, candidates: readonly string[], k = 3): string[] {
  const lower = name.toLowerCase();
  const scored = candidates.map((c) => {
    const cl = c.toLowerCase();
    const contains = cl.includes(lower) || lower.includes(cl);
    return { c, score: (contains ? 0 : 1000) + editDistance(lower, cl) };
  });
  scored.sort((a, b) => a.score - b.score);
  const limit = Math.max(3, Math.ceil(name.length * 0.6));
  return scored
    .filter((s) => s.score < 1000 + limit)
    .slice(0, k)
    .map((s) => s.c);
}

/** Levenshtein distance. O(|a|·|b|). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * Resolve tensor names against a model.
 * @throws KrsError UNKNOWN_KEY naming the tensor and the closest names the model has.
 */
export function resolveTensors(model: ModelDescription, names: readonly string[], what: string): string[] {
  const all = model.tensors.map((t) => t.name);
  const known = new Set(all);
  for (const n of names) {
    if (!known.has(n)) throw errors.unknownTensor(what, n, model.file, closestNames(n, all), all.length);
  }
  return [...new Set(names)];
}

/** Shape for messages: `[N, 1, 28, 28]` with symbolic dims by name and unknown ones as `?`. */
export function fmtDims(shape: readonly Dim[] | null): string {
  if (!shape) return '?';
  return fmtShape(shape.map((d) => (d === null ? '?' : d)) as unknown as number[]);
}
