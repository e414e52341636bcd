/**
 * Running one model on one data batch: build its feeds (preprocess, reshape, convert), run
 * the session — in chunks of the model's fixed batch size if it declares one, padding the
 * last chunk — and check that every fetched tensor has the batch's sample axis.
 *
 * Used inside the worker thread (`model-worker.ts`) and, for in-process runs, directly.
 */
import { errors, fmtShape } from '../core/errors.js';
import { type NumericArray, sizeOf, type Tensor } from '../core/tensor.js';
import { type CapturePooling, poolTaps, type TapPooling } from './capture-pool.js';
import { createSession, type ModelSession } from './ort-session.js';
import { buildFeeds, type FeedPlan } from './preprocess.js';

/** Everything needed to run one model; plain data, so it can be posted to a worker. */
export interface ModelJob {
  /** `teacher`, `student` or `model`: names the model in results. */
  readonly side: string;
  readonly file: string;
  /** Model bytes with the taps added. */
  readonly bytes: Uint8Array;
  /** Folder holding the model's external data files. */
  readonly dir: string;
  readonly plans: readonly FeedPlan[];
  /** Channel axis of the data's main array samples (for per-channel preprocessing). */
  readonly channelAxis: number;
  /** Tensors to fetch: taps and the output. */
  readonly fetch: readonly string[];
  /** ONNX Runtime intra-op threads. */
  readonly threads?: number;
  /** Taps to pool before the outputs leave the runner (`krs capture --pool`), and how. */
  readonly pool?: { readonly taps: readonly string[]; readonly pooling: CapturePooling };
}

/** A model's outputs on one batch, with the taps pooled as its job says. */
export interface PooledOutputs {
  outputs: Record<string, Tensor>;
  /** What each pooled tap got (empty without pooling). */
  pooled: Record<string, TapPooling>;
}

/**
 * Run a model on a batch and pool its taps as `runner.job.pool` says (in the worker thread,
 * so only pooled arrays cross to the main thread).
 * @throws KrsError as {@link ModelRunner.run}, and BAD_OPTION from {@link poolTaps}.
 */
export async function runPooled(runner: ModelRunner, arrays: Readonly<Record<string, Tensor>>, n: number): Promise<PooledOutputs> {
  const outputs = await runner.run(arrays, n);
  const p = runner.job.pool;
  if (!p) return { outputs, pooled: {} };
  return poolTaps(outputs, p.taps, p.pooling, runner.job.file);
}

export interface ModelRunner {
  readonly job: ModelJob;
  /** Outputs of the model on a batch of `n` samples, each [n, ...]. */
  run(arrays: Readonly<Record<string, Tensor>>, n: number): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}

/** @throws KrsError BAD_FILE when ONNX Runtime refuses the model. */
export async function openRunner(job: ModelJob): Promise<ModelRunner> {
  const session: ModelSession = await createSession(job.file, job.bytes, job.dir, { threads: job.threads });
  const fixed = job.plans.find((p) => p.fixedBatch !== null)?.fixedBatch ?? null;
  const runOnce = async (arrays: Readonly<Record<string, Tensor>>, n: number): Promise<Record<string, Tensor>> => {
    const feeds = buildFeeds(job.plans, arrays, job.channelAxis, job.file);
    const out = await session.run(feeds, job.fetch);
    for (const [name, t] of Object.entries(out)) {
      if (t.shape.length === 0 || t.shape[0] !== n) {
        throw errors.shapeMismatch(
          `${job.file} tensor '${name}'`,
          `a leading sample axis of ${n} (the batch size)`,
          `shape ${fmtShape(t.shape)}: it is not per-sample, so it cannot be captured`,
          { file: job.file, tensor: name },
        );
      }
    }
    return out;
  };
  return {
    job,
    async run(arrays, n) {
      if (fixed === null || fixed === n) return runOnce(arrays, n);
      // Fixed batch axis: run in chunks of `fixed`, zero-padding the last one.
      const parts: Record<string, Tensor>[] = [];
      for (let s = 0; s < n; s += fixed) {
        const e = Math.min(n, s + fixed);
        const chunk: Record<string, Tensor> = {};
        for (const [k, t] of Object.entries(arrays)) chunk[k] = padRows(t, s, e, fixed);
        const out = await runOnce(chunk, fixed);
        const trimmed: Record<string, Tensor> = {};
        for (const [k, t] of Object.entries(out)) trimmed[k] = rows(t, 0, e - s);
        parts.push(trimmed);
      }
      const result: Record<string, Tensor> = {};
      for (const k of Object.keys(parts[0]!)) result[k] = concatRows(parts.map((p) => p[k]!));
      return result;
    },
    release: () => session.release(),
  };
}

function rows(t: Tensor, s: number, e: number): Tensor {
  const row = sizeOf(t.shape.slice(1));
  return { dtype: t.dtype, shape: [e - s, ...t.shape.slice(1)], data: t.data.subarray(s * row, e * row) as NumericArray };
}

function padRows(t: Tensor, s: number, e: number, size: number): Tensor {
  const row = sizeOf(t.shape.slice(1));
  const Ctor = t.data.constructor as { new (n: number): NumericArray };
  const data = new Ctor(size * row);
  (data as Float32Array).set(t.data.subarray(s * row, e * row) as Float32Array);
  return { dtype: t.dtype, shape: [size, ...t.shape.slice(1)], data };
}

/** Concatenate tensors along axis 0. */
export function concatRows(parts: readonly Tensor[]): Tensor {
  const first = parts[0]!;
  const n = parts.reduce((a, p) => a + p.shape[0]!, 0);
  const row = sizeOf(first.shape.slice(1));
  const Ctor = first.data.constructor as { new (n: number): NumericArray };
  const data = new Ctor(n * row);
  let off = 0;
  for (const p of parts) {
    (data as Float32Array).set(p.data as Float32Array, off);
    off += p.data.length;
  }
  return { dtype: first.dtype, shape: [n, ...first.shape.slice(1)], data };
}
