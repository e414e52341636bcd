/**
 * A capture: the named arrays one model produced on an evaluation set (docs/data-model.md §"Captures"),
 * each with a leading sample axis. Implementations exist for `.npz`
 * ({@link npzCapture} in `npz.ts`), `.safetensors` (`safetensorsCapture` in
 * `safetensors.ts`) and `.npy` files, one per key ({@link npyCapture}, used for a
 * folder of .npy files and for a single .npy). All are lazy: listing keys and shapes
 * reads headers only, and `readRows` reads only the bytes of the rows asked for.
 * `openCapture(path)` in `node-capture.ts` picks the implementation for a path.
 */
import { errors, fmtShape, KrsError } from '../core/errors.js';
import { idAt, type Tensor, type TensorInfo } from '../core/tensor.js';
import type { LimitOptions } from './limits.js';
import { type NpyInfo, readNpy, readNpyInfo, readNpyRows, readNpyStrings } from './npy.js';
import type { ByteSource } from './source.js';

/** Named arrays with a leading sample axis, read lazily. */
export interface Capture {
  /** The file or folder the arrays come from, for messages. */
  readonly source: string;
  /** Array names, in the order the file stores them (sorted for a folder of .npy). */
  keys(): string[];
  /**
   * dtype and shape of an array, without reading its data.
   * @throws KrsError UNKNOWN_KEY if absent; BAD_FILE / UNSUPPORTED_DTYPE for a bad array.
   */
  info(key: string): TensorInfo;
  /** The whole array, row-major. @throws as {@link Capture.info}. */
  read(key: string): Tensor;
  /**
   * Rows [start, end) along axis 0 (samples), reading only those bytes where the
   * format allows.
   * @throws KrsError BAD_OPTION for a range outside [0, shape[0]]; as {@link Capture.info}.
   */
  readRows(key: string, start: number, end: number): Tensor;
  /**
   * A 1-D array of sample ids as exact strings: integers of any width (int64 keeps every
   * digit) or, where the format has them, strings (NumPy `<U…` / `|S…`).
   * @throws KrsError SHAPE_MISMATCH unless 1-D; as {@link Capture.info}.
   */
  readIds(key: string): string[];
  /**
   * Optional: check the integrity of an array's bytes ahead of reading it (an npz entry's
   * CRC-32), in chunks with a stop point after each (src/io/interrupt.ts), so that the first
   * read of a large array does not hold the thread for the whole check. Reads check anyway;
   * this only moves the check to where the caller can wait. Formats without checksums omit it.
   */
  verify?(key: string): Promise<void>;
}

/**
 * Run {@link Capture.verify} for every key of `keys` the capture has (others, and undefined
 * ones, are skipped: the reads report them).
 */
export async function verifyArrays(capture: Capture, keys: readonly (string | undefined | null)[]): Promise<void> {
  if (!capture.verify) return;
  const have = new Set(capture.keys());
  for (const key of new Set(keys)) if (key && have.has(key)) await capture.verify(key);
}

/** Options of the capture readers. */
export interface CaptureOptions {
  /** Resource limits (src/io/limits.ts); unset ones come from the environment or the defaults. */
  readonly limits?: LimitOptions;
}

/** Ids from a numeric 1-D tensor, as exact strings. */
export function idsOf(t: Tensor, key: string, source: string): string[] {
  if (t.shape.length !== 1) throw errors.shapeMismatch(`id array '${key}' in ${source}`, 'a 1-D array', fmtShape(t.shape));
  const out: string[] = new Array(t.shape[0]!);
  for (let i = 0; i < out.length; i++) out[i] = idAt(t.data, i);
  return out;
}

/** Ids from a .npy source: numeric or NumPy strings. */
export function readNpyIds(source: ByteSource, key: string, limits: LimitOptions = {}): string[] {
  try {
    return idsOf(readNpy(source, undefined, limits), key, source.name);
  } catch (e) {
    if (e instanceof KrsError && e.code === 'UNSUPPORTED_DTYPE') return readNpyStrings(source, limits);
    throw e;
  }
}

/**
 * Look `key` up in `map`.
 * @throws KrsError UNKNOWN_KEY naming the key, the capture and the keys it has.
 */
export function lookup<V>(map: ReadonlyMap<string, V>, key: string, source: string): V {
  const v = map.get(key);
  if (v === undefined) throw errors.unknownKey('array', key, source, [...map.keys()]);
  return v;
}

/**
 * A capture whose arrays are separate .npy sources, keyed by name.
 * @param name the folder (or file) the capture is called by in messages
 * @param sources key → .npy source, in the order `keys()` should list them
 * @param options `limits`: resource limits (src/io/limits.ts) for every read
 * @example npyCapture('acts/', new Map([['logits', bytesSource('logits.npy', b)]]))
 */
export function npyCapture(name: string, sources: ReadonlyMap<string, ByteSource>, options: CaptureOptions = {}): Capture {
  const limits = options.limits ?? {};
  const infos = new Map<string, NpyInfo>();
  const src = (key: string) => lookup(sources, key, name);
  const info = (key: string): NpyInfo => {
    let i = infos.get(key);
    if (!i) {
      i = readNpyInfo(src(key), limits);
      infos.set(key, i);
    }
    return i;
  };
  return {
    source: name,
    keys: () => [...sources.keys()],
    info: (key) => {
      const { dtype, shape } = info(key);
      return { dtype, shape };
    },
    read: (key) => readNpy(src(key), info(key), limits),
    readRows: (key, start, end) => readNpyRows(src(key), start, end, info(key), limits),
    readIds: (key) => readNpyIds(src(key), key, limits),
  };
}
