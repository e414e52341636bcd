/**
 * Tensors on disk as a data set: an `.npy` file, an `.npz` archive (or `.safetensors`, or a
 * folder of `.npy` files), read lazily row range by row range through the capture readers.
 *
 * The main array is `inputKey` if given, else the first of x, inputs, input, images, data,
 * X present, else the only array that is not targets or ids. Targets are `targetKey` if
 * given, else the first of y, labels, targets, target, Y present. Every other array with
 * the same number of samples can feed a model input of the same name.
 */
import { errors } from '../../core/errors.js';
import type { Tensor, TensorInfo } from '../../core/tensor.js';
import type { Capture } from '../../io/capture.js';
import { openCapture } from '../../io/node-capture.js';
import { type Dataset, limited, rowIds } from './dataset.js';

export const INPUT_KEYS = ['x', 'inputs', 'input', 'images', 'data', 'X'];
export const TARGET_KEYS = ['y', 'labels', 'targets', 'target', 'Y'];
const ID_KEYS = ['ids', 'sample_ids'];

export interface ArrayDatasetOptions {
  inputKey?: string;
  targetKey?: string;
  limit?: number;
}

/**
 * @throws KrsError FILE_NOT_FOUND / BAD_FILE from the readers; UNKNOWN_KEY for a named
 *   array that is absent or when no main array can be chosen; SHAPE_MISMATCH when the
 *   targets do not have one row per sample.
 */
export function arrayDataset(path: string, options: ArrayDatasetOptions = {}): Dataset {
  const c: Capture = openCapture(path);
  const keys = c.keys();
  const pick = (explicit: string | undefined, defaults: string[], what: string): string | undefined => {
    if (explicit !== undefined) {
      if (!keys.includes(explicit)) throw errors.unknownKey(what, explicit, path, keys);
      return explicit;
    }
    return defaults.find((k) => keys.includes(k));
  };
  const targetKey = pick(options.targetKey, TARGET_KEYS, 'target array');
  const rest = keys.filter((k) => k !== targetKey && !ID_KEYS.includes(k));
  if (rest.length === 0) throw errors.badFile(path, `holds no input array (only ${keys.join(', ') || 'nothing'})`);
  // With several candidates and none of the usual names, there is no main array: a model
  // with one input then needs --input-key (models with several inputs are fed by name).
  const primary = pick(options.inputKey, INPUT_KEYS, 'input array') ?? (rest.length === 1 ? rest[0]! : null);
  const first = primary ?? rest[0]!;
  const mainInfo = c.info(first);
  if (mainInfo.shape.length === 0) throw errors.shapeMismatch(`input array '${first}' in ${path}`, 'a leading sample axis', 'a scalar');
  const total = mainInfo.shape[0]!;
  const size = limited(total, options.limit);
  const arrays: Record<string, TensorInfo> = {};
  for (const k of keys) {
    if (k === targetKey || ID_KEYS.includes(k)) continue;
    const info = c.info(k);
    if (info.shape[0] !== total) continue; // arrays of other lengths are not per-sample inputs
    arrays[k] = { dtype: info.dtype, shape: [size, ...info.shape.slice(1)] };
  }
  let targets: TensorInfo | null = null;
  if (targetKey) {
    const t = c.info(targetKey);
    if (t.shape[0] !== total) {
      throw errors.shapeMismatch(`target array '${targetKey}' in ${path}`, `${total} rows (as '${first}')`, `shape [${t.shape.join(', ')}]`);
    }
    targets = { dtype: t.dtype, shape: [size, ...t.shape.slice(1)] };
  }
  return {
    name: path,
    kind: c.source.toLowerCase().endsWith('.npy') ? 'npy' : 'npz',
    size,
    primary,
    arrays,
    channelAxis: 0,
    targets,
    read(start, end, names) {
      const out: Record<string, Tensor> = {};
      for (const k of names ?? Object.keys(arrays)) out[k] = c.readRows(k, start, end);
      return { arrays: out, ...(targetKey ? { targets: c.readRows(targetKey, start, end) } : {}), ids: rowIds(start, end) };
    },
  };
}
