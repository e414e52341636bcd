/**
 * `krs capture` as a library function: run one ONNX model on a data set batch by batch and
 * write a capture (docs/data-model.md §"ONNX captures") holding the tapped layers, the model output (`logits`, or
 * `probs` when the outputs are declared probabilities), the targets when the data set has
 * them, and `ids` (each sample's row in the data set). Written atomically (see
 * {@link NpzWriter}): a failed run leaves no file under the target name.
 *
 * An interrupt (`src/io/interrupt.ts`) stops the run at the next batch: no batch is sent to
 * the model after it, the one running finishes, the sessions are released, the temporary
 * files are removed and INTERRUPTED is thrown; an existing file at `out` is left as it was.
 * Only an interrupt that comes after the commit (the rename at the end) leaves the new
 * capture, and the commit journal says so.
 *
 * With `pool`, taps are pooled in the model worker before they are written (see
 * `capture-pool.ts`); the capture then also holds a `krs.json` member recording, per pooled
 * array, the pooling and the shape it had before:
 * `{"krs_capture": 1, "pooled": {"conv1": {"pool": "gap", "channels_last": false, "shape": [4, 28, 28]}}}`.
 * A data set that records its preparation (a CSV: rows skipped, values filled, the
 * standardisation, `csv-windows.ts`) adds it as `data`, and the member is written for it
 * even without pooling. Capture readers skip it (it is not a .npy); `np.load` returns its bytes.
 */
import { errors } from '../core/errors.js';
import { NpzWriter } from '../io/node-npz-writer.js';
import { batchBounds } from '../krs/score-captures.js';
import { type CapturePooling, checkPooling, type TapPooling } from './capture-pool.js';
import type { Dataset } from './data/dataset.js';
import { writeCaptureBatch } from './eval.js';
import { countCorrect, type ModelSideOptions, prepareSide, probabilityWarning, type SideSummary } from './model-side.js';
import { type ModelPool, startLocalPool, startWorkerPool } from './worker-client.js';

export interface CaptureOptions {
  model: ModelSideOptions;
  data: Dataset;
  /** The `.npz` file to write. */
  out: string;
  batchSize?: number;
  worker?: boolean;
  threads?: number;
  /** Pool taps before writing them (default: every tap as the model gives it). */
  pool?: CapturePooling;
  onProgress?: (done: number, total: number) => void;
}

export interface CaptureResult {
  out: string;
  n: number;
  model: SideSummary;
  /** `preparation`: what the reader did to the data (CSV: skipped windows, filled values, standardisation), when it says; also in `krs.json` as `data`. */
  data: { name: string; kind: string; preparation?: Readonly<Record<string, unknown>> };
  /** Arrays written: name, dtype, shape. */
  arrays: { key: string; dtype: string; shape: number[] }[];
  /** The taps pooled at capture time, with their pooling and per-sample shape before it (empty without `pool`). */
  pooled: Record<string, TapPooling>;
  /** Top-1 accuracy on integer targets, else null. */
  accuracy: number | null;
  warnings: string[];
  timing: { totalMs: number; inferenceMs: number; samplesPerSecond: number };
}

/**
 * @throws KrsError as `prepareSide` and the data readers; BAD_OPTION for a pooling naming a
 *   tensor that is not tapped (before any model runs) or not fitting a tap's shape (after
 *   the first batch); BAD_TARGET / NOT_WRITABLE for an `out` that cannot be written (before
 *   any model runs), NO_SPACE when the disk fills up, INTERRUPTED; nothing is left at `out`
 *   on failure.
 */
export async function runCapture(options: CaptureOptions): Promise<CaptureResult> {
  const t0 = performance.now();
  const { data } = options;
  const n = data.size;
  if (n === 0) throw errors.badValue(`sample count of ${data.name}`, 0, 'at least one sample');
  if (!options.out.toLowerCase().endsWith('.npz')) throw errors.badOption('--out', options.out, 'a path ending in .npz');
  const side = prepareSide('model', options.model, data, '', [], options.threads);
  if (options.pool) checkPooling(options.pool, side.layers, side.outputTensor);
  const taps = side.layers.filter((l) => l !== side.outputTensor);
  const job = options.pool ? { ...side.job, pool: { taps, pooling: options.pool } } : side.job;
  const warnings = [...(data.notes ?? []), ...side.notes];
  let pooled: Record<string, TapPooling> = {};
  const batchSize = options.batchSize ?? 256;
  const writer = new NpzWriter(options.out, n);
  let pool: ModelPool | null = null;
  let inference = 0;
  let correct = 0;
  let counted = 0;
  let nonFinite = 0;
  try {
    pool = options.worker === false ? await startLocalPool([job]) : await startWorkerPool([job]);
    const names = [...new Set(side.job.plans.map((p) => p.array))];
    const bounds = batchBounds(n, batchSize);
    const submit = (k: number) => {
      const b = data.read(bounds[k]![0], bounds[k]![1], names);
      // An owned batch's arrays are not used here after this: they are moved to the worker.
      const result = pool!.run(b.arrays as Record<string, never>, bounds[k]![1] - bounds[k]![0], b.owned === true);
      result.catch(() => {});
      return { b, result };
    };
    let inflight = submit(0);
    for (let k = 0; k < bounds.length; k++) {
      const next = k + 1 < bounds.length ? submit(k + 1) : null;
      const out = await inflight.result;
      inference += out.ms.model ?? 0;
      const o = out.outputs.model!;
      if (k === 0) {
        const w = probabilityWarning(side, o[side.outputTensor]!);
        if (w) warnings.push(w);
        pooled = out.pooled.model ?? {};
      }
      if (inflight.b.targets) {
        const [c, m, bad] = countCorrect(o[side.outputTensor]!, inflight.b.targets);
        nonFinite += bad;
        correct += c;
        counted += m;
      }
      writeCaptureBatch(writer, side, o, inflight.b.targets, inflight.b.ids);
      options.onProgress?.(bounds[k]![1], n);
      if (next) inflight = next;
    }
    if (Object.keys(pooled).length || data.preparation) writer.attach('krs.json', captureMetadata(pooled, data.preparation));
    await writer.finishAsync();
  } catch (e) {
    writer.abort();
    throw e;
  } finally {
    await pool?.close();
  }
  const totalMs = performance.now() - t0;
  if (nonFinite > 0)
    warnings.push(`no accuracy on the targets: ${nonFinite} of ${n} output rows hold NaN or ±Inf (the capture holds them as the model gave them)`);
  const arrays = writer.arrays();
  return {
    out: options.out,
    n,
    model: side.summary,
    data: { name: data.name, kind: data.kind, ...(data.preparation ? { preparation: data.preparation } : {}) },
    arrays,
    pooled,
    accuracy: counted === n && counted > 0 ? correct / counted : null,
    warnings,
    timing: { totalMs, inferenceMs: inference, samplesPerSecond: n / (totalMs / 1000) },
  };
}

/** The `krs.json` member of a pooled capture (see the module comment). */
function captureMetadata(pooled: Record<string, TapPooling>, data: Readonly<Record<string, unknown>> | undefined): Uint8Array {
  const entries = Object.fromEntries(Object.entries(pooled).map(([k, p]) => [k, { pool: p.pool, channels_last: p.channelsLast, shape: p.shape }]));
  return new TextEncoder().encode(`${JSON.stringify({ krs_capture: 1, pooled: entries, ...(data ? { data } : {}) })}\n`);
}
