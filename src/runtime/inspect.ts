/**
 * `krs layers` as a library function: every tensor of a model that can be tapped, in graph
 * order, with the op producing it, its element type and its shape.
 *
 * Shapes come from the file's value_info where it has them; otherwise (most exported models
 * record none for intermediate tensors) they are inferred by running the model on zeros
 * twice, with batch sizes 1 and 2: a dimension that follows the batch size is shown by the
 * input's batch name (e.g. `batch_size`), the others as the numbers they came out.
 * This needs every input's non-batch dimensions to be fixed; otherwise those shapes stay unknown.
 */
import { type NumericArray, sizeOf, type Tensor } from '../core/tensor.js';
import { type LoadedModel, loadModel } from './node-onnx.js';
import type { Dim, ModelDescription, TensorDescription } from './onnx-model.js';
import { appendGraphOutputs } from './onnx-proto.js';
import { createSession } from './ort-session.js';

export interface LayersResult {
  file: string;
  irVersion: number | null;
  opset: number | null;
  producer: string;
  inputs: TensorDescription[];
  outputs: TensorDescription[];
  tensors: TensorDescription[];
  externalData: string[];
  /** How shapes were found: from the file only, or also by running the model on zeros. */
  shapes: 'file' | 'inferred';
  notes: string[];
}

/**
 * @throws KrsError FILE_NOT_FOUND / BAD_FILE as {@link loadModel}.
 */
export async function listLayers(file: string, options: { infer?: boolean } = {}): Promise<LayersResult> {
  const m = loadModel(file);
  const d = m.description;
  const notes: string[] = [];
  let tensors = [...d.tensors];
  let how: LayersResult['shapes'] = 'file';
  if (options.infer !== false && tensors.some((t) => !t.shape || !t.dtype)) {
    try {
      const inferred = await inferShapes(m);
      if (inferred) {
        tensors = tensors.map((t) => {
          const i = inferred.get(t.name);
          return i ? { ...t, dtype: t.dtype ?? i.dtype, shape: t.shape ?? i.shape } : t;
        });
        how = 'inferred';
      } else notes.push('shapes of intermediate tensors are unknown: an input has symbolic dimensions besides the batch axis');
    } catch (e) {
      notes.push(`shapes of intermediate tensors are unknown: running the model on zeros failed (${(e as Error).message.split('\n')[0]})`);
    }
  }
  const byName = new Map(tensors.map((t) => [t.name, t]));
  return {
    file,
    irVersion: d.irVersion,
    opset: d.opset,
    producer: d.producer,
    inputs: d.inputs.map((i) => byName.get(i.name) ?? i),
    outputs: d.outputs.map((o) => ({ ...o, ...(byName.get(o.name) ? { dtype: byName.get(o.name)!.dtype, shape: byName.get(o.name)!.shape } : {}) })),
    tensors,
    externalData: [...new Set(d.externalData.map((e) => e.location))],
    shapes: how,
    notes,
  };
}

/** Shapes and types of every node output by running on zeros with batch 1 and 2; null when inputs are not fixed. */
async function inferShapes(m: LoadedModel): Promise<Map<string, { dtype: TensorDescription['dtype']; shape: Dim[] }> | null> {
  const d: ModelDescription = m.description;
  const batchName = new Map<number, string>();
  for (const input of d.inputs) {
    if (!input.shape || !input.dtype || input.dtype === 'string') return null;
    if (input.shape.slice(1).some((x) => typeof x !== 'number')) return null;
  }
  const names = d.tensors.filter((t) => t.role !== 'input').map((t) => t.name);
  const existing = new Set(d.outputs.map((o) => o.name));
  const bytes = appendGraphOutputs(
    m.bytes,
    names.filter((n) => !existing.has(n)).map((name) => ({ name })),
  );
  const session = await createSession(m.file, bytes, m.dir, { threads: 1 });
  try {
    const runs: Record<string, Tensor>[] = [];
    for (const b of [1, 2]) {
      const feeds: Record<string, Tensor> = {};
      for (const input of d.inputs) {
        const d0 = input.shape![0];
        const shape = [typeof d0 === 'number' ? d0 : b, ...(input.shape!.slice(1) as number[])];
        if (typeof d0 === 'string') batchName.set(b, d0);
        feeds[input.name] = zeros(input.dtype!, shape);
      }
      runs.push(await session.run(feeds, names));
    }
    const label = batchName.get(1) ?? 'N';
    const out = new Map<string, { dtype: TensorDescription['dtype']; shape: Dim[] }>();
    for (const name of names) {
      const a = runs[0]![name]!;
      const b = runs[1]![name]!;
      const shape: Dim[] = a.shape.map((x, i) =>
        b.shape.length === a.shape.length && b.shape[i] === 2 * x && x === 1 ? label : b.shape.length === a.shape.length && b.shape[i] !== x ? null : x,
      );
      out.set(name, { dtype: a.dtype, shape });
    }
    return out;
  } finally {
    await session.release();
  }
}

function zeros(dtype: string, shape: number[]): Tensor {
  const n = sizeOf(shape);
  const data: NumericArray =
    dtype === 'int64'
      ? new BigInt64Array(n)
      : dtype === 'int32'
        ? new Int32Array(n)
        : dtype === 'float64'
          ? new Float64Array(n)
          : dtype === 'uint8' || dtype === 'bool'
            ? new Uint8Array(n)
            : dtype === 'int8'
              ? new Int8Array(n)
              : new Float32Array(n);
  return { dtype: (dtype === 'float16' ? 'float32' : dtype) as Tensor['dtype'], shape, data };
}
