/**
 * Data sets that models are run on: a fixed number of samples read batch by batch.
 *
 * A data set has a main array (what a one-input model is fed), possibly other arrays (for
 * models with several inputs, fed by name), and optionally targets (labels or regression
 * targets, stored in captures as `targets`). Every array has a leading sample axis.
 */
import type { Tensor, TensorInfo } from '../../core/tensor.js';

/** Rows [start, end) of every array of a data set. */
export interface DataBatch {
  /** Arrays by name, each [end − start, ...sample]. */
  readonly arrays: Readonly<Record<string, Tensor>>;
  /** Labels (int32 [b]) or regression targets ([b, h]). */
  readonly targets?: Tensor;
  /** Sample ids: the sample's row in the whole data set (int32 [b]). */
  readonly ids: Tensor;
  /**
   * True when every array's buffer was made for this batch alone — the reader keeps no
   * reference to it and it holds nothing else (not the targets, not the ids): the runs then
   * hand the buffers to the model worker instead of copying them (transferred, so they are
   * unusable here afterwards). Absent or false: the arrays are copied to the worker.
   */
  readonly owned?: boolean;
}

export interface Dataset {
  /** What the data set is called in messages and results (a path, or `mnist`). */
  readonly name: string;
  /** Number of samples (after any limit). */
  readonly size: number;
  /** Name of the main array (what a one-input model is fed); null when an .npz holds several arrays and none has a usual name. */
  readonly primary: string | null;
  /** Shapes of the arrays: [size, ...sample]. */
  readonly arrays: Readonly<Record<string, TensorInfo>>;
  /** Axis of the main array's sample shape that holds channels (per-channel mean/std). */
  readonly channelAxis: number;
  /** Shape and type of the targets, or null when the data set has none. */
  readonly targets: TensorInfo | null;
  /** Class names of the targets (image folders), when known. */
  readonly classes?: readonly string[];
  /** What kind of reader: `mnist`, `npy`, `npz`, `images`, `csv-windows`. */
  readonly kind: string;
  /**
   * What the reader did to the data that results should record (CSV windows: rows skipped,
   * values filled, the standardisation), as plain JSON; written to a capture's `krs.json` as `data`.
   */
  readonly preparation?: Readonly<Record<string, unknown>>;
  /** One line per thing the reader did that the user should be told (printed as warnings). */
  readonly notes?: readonly string[];
  /** Rows [start, end) of the named arrays (default: all), the targets and the ids. */
  read(start: number, end: number, arrays?: readonly string[]): DataBatch;
}

/** Int32 ids start, start+1, …, end−1. */
export function rowIds(start: number, end: number): Tensor {
  const data = new Int32Array(end - start);
  for (let i = 0; i < data.length; i++) data[i] = start + i;
  return { dtype: 'int32', shape: [data.length], data };
}

/** Apply a limit to a size: min(size, limit). */
export function limited(size: number, limit: number | undefined): number {
  return limit === undefined ? size : Math.min(size, limit);
}
