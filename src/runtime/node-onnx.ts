/**
 * Node-only: reading ONNX model files, tapping intermediate tensors, and running the model
 * with onnxruntime-node (the session itself is in `ort-session.ts`: the model worker imports it
 * without the ONNX decoding here, and the main thread of a worker run without ONNX Runtime).
 *
 * Taps are added with {@link appendGraphOutputs} to a copy of the model's bytes; the file
 * is never changed. A model loaded from bytes cannot find its external data files by itself,
 * so the session is told the model's folder (ONNX Runtime's
 * `session.model_external_initializers_file_folder_path`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { errors, KrsError } from '../core/errors.js';
import { fsError, regularFileStat } from '../io/node-source.js';
import { describeDecoded, type ModelDescription, resolveTensors } from './onnx-model.js';
import { appendGraphOutputs, decodeModel, type OnnxModel } from './onnx-proto.js';

/** A model file read and checked. */
export interface LoadedModel {
  readonly file: string;
  /** Folder of the model: where its external data files must be. */
  readonly dir: string;
  readonly bytes: Uint8Array;
  readonly model: OnnxModel;
  readonly description: ModelDescription;
}

/**
 * Read an ONNX model and check that it parses and that its external data files exist.
 * @throws KrsError FILE_NOT_FOUND for a missing model or external data file; BAD_FILE for a
 *   file that is not an ONNX model.
 */
export function loadModel(file: string): LoadedModel {
  let bytes: Uint8Array;
  try {
    regularFileStat(file, 'an .onnx file');
    bytes = fs.readFileSync(file);
  } catch (e) {
    if (e instanceof KrsError) throw e;
    throw fsError(file, e);
  }
  let model: OnnxModel;
  try {
    model = decodeModel(bytes);
  } catch (e) {
    throw errors.badFile(file, `not a valid ONNX model (${(e as Error).message.split('\n')[0]})`);
  }
  const description = describeDecoded(model, file);
  const dir = path.dirname(path.resolve(file));
  for (const ref of description.externalData) {
    const where = path.resolve(dir, ref.location);
    let size: number;
    try {
      const st = fs.statSync(where);
      if (!st.isFile()) throw new Error('not a file');
      size = st.size;
    } catch {
      throw errors.externalData(file, ref.initializer, ref.location, where, 'is missing');
    }
    const end = ref.offset + (ref.length ?? 0);
    if (end > size)
      throw errors.externalData(file, ref.initializer, ref.location, where, `is too short (${size} bytes, the initializer needs bytes up to ${end})`);
  }
  return { file, dir, bytes, model, description };
}

/**
 * The model's bytes with `taps` added to the graph outputs (names must be tensors of the
 * graph; they are checked with closest-name suggestions).
 */
export function tapModel(m: LoadedModel, taps: readonly string[], what = 'layer'): Uint8Array {
  const names = resolveTensors(m.description, taps, what);
  const existing = new Set(m.description.outputs.map((o) => o.name));
  const extra = names.filter((n) => !existing.has(n));
  return extra.length
    ? appendGraphOutputs(
        m.bytes,
        extra.map((name) => ({ name })),
      )
    : m.bytes;
}
