/**
 * Node-only: an ONNX Runtime (onnxruntime-node) session over a model's bytes, fed and read as
 * krs tensors. Kept apart from the model reading and tapping of `node-onnx.ts` (which decodes
 * the model with protobufjs) so that the model worker, which only runs sessions, starts
 * without loading the ONNX decoder.
 */
import * as ort from 'onnxruntime-node';
import { errors, fmtShape } from '../core/errors.js';
import { type DType, type NumericArray, sizeOf, type Tensor } from '../core/tensor.js';

export interface SessionOptions {
  /** ONNX Runtime intra-op threads (default: ONNX Runtime's choice). */
  threads?: number;
}

/** An ONNX Runtime session over (tapped) model bytes. */
export interface ModelSession {
  readonly file: string;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Run on feeds and return the requested outputs as krs tensors (float16 widened to float32). */
  run(feeds: Readonly<Record<string, Tensor>>, fetch: readonly string[]): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}

/**
 * Create a session. `dir` is where the model's external data files are.
 * @throws KrsError BAD_FILE when ONNX Runtime refuses the model (its reason quoted).
 */
export async function createSession(file: string, bytes: Uint8Array, dir: string, options: SessionOptions = {}): Promise<ModelSession> {
  const so: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    interOpNumThreads: 1,
    logSeverityLevel: 3,
    extra: { session: { model_external_initializers_file_folder_path: dir } },
  };
  if (options.threads) so.intraOpNumThreads = options.threads;
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, so);
  } catch (e) {
    throw errors.modelFailed(file, 'load the model', firstLine(e));
  }
  return {
    file,
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(feeds, fetch) {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = toOrt(t);
      let out: ort.InferenceSession.OnnxValueMapType;
      try {
        out = await session.run(ortFeeds, [...fetch]);
      } catch (e) {
        const shapes = Object.entries(feeds)
          .map(([k, t]) => `'${k}' ${t.dtype}${fmtShape(t.shape)}`)
          .join(', ');
        throw errors.modelFailed(file, `run on ${shapes}`, firstLine(e));
      }
      const result: Record<string, Tensor> = {};
      for (const name of fetch) {
        const v = out[name] as ort.Tensor | undefined;
        if (!v) throw errors.internal(`${file}: ONNX Runtime returned no '${name}'`);
        result[name] = fromOrt(v, `${file} tensor '${name}'`);
      }
      return result;
    },
    release: () => session.release(),
  };
}

function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.replace(/\s+/g, ' ').trim().slice(0, 500);
}

const ORT_TYPES: Partial<Record<DType, ort.Tensor.Type>> = {
  float32: 'float32',
  float64: 'float64',
  int8: 'int8',
  int16: 'int16',
  int32: 'int32',
  int64: 'int64',
  uint8: 'uint8',
  uint16: 'uint16',
  uint32: 'uint32',
  uint64: 'uint64',
  bool: 'bool',
};

function toOrt(t: Tensor): ort.Tensor {
  const type = ORT_TYPES[t.dtype];
  if (!type) throw errors.unsupportedDtype('model feed', t.dtype);
  return new ort.Tensor(type as 'float32', t.data as Float32Array, [...t.shape]);
}

/** An ONNX Runtime tensor as a krs tensor (data copied out of ONNX Runtime's buffer only when it must be). */
export function fromOrt(v: ort.Tensor, what: string): Tensor {
  const shape = v.dims.map(Number);
  const data = v.data;
  switch (v.type) {
    case 'float32':
    case 'float64':
    case 'int8':
    case 'int16':
    case 'int32':
    case 'int64':
    case 'uint8':
    case 'uint16':
    case 'uint32':
    case 'uint64':
      return { dtype: v.type, shape, data: data as NumericArray };
    case 'bool':
      return { dtype: 'bool', shape, data: Uint8Array.from(data as ArrayLike<number>, (x) => (x ? 1 : 0)) };
    case 'float16': {
      const src = data as unknown as ArrayLike<number>;
      const out = new Float32Array(sizeOf(shape));
      if (src instanceof Uint16Array) for (let i = 0; i < out.length; i++) out[i] = halfToFloat(src[i]!);
      else for (let i = 0; i < out.length; i++) out[i] = src[i]!;
      return { dtype: 'float32', shape, data: out };
    }
    default:
      throw errors.unsupportedDtype(what, v.type);
  }
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}
