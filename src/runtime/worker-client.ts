/**
 * The main-thread side of the model worker: start it with the models to run, send it data
 * batches, get every model's outputs back. Several batches may be in flight, so the main
 * thread can score batch k while the worker runs batch k + 1.
 *
 * From the build, the worker is started from `model-worker.js` beside this module. From the
 * TypeScript sources (tests), it is started from the built worker named by the environment
 * variable `KRS_MODEL_WORKER` when that file exists (the test setup builds dist/ from the
 * same sources and points it there: a worker then starts in ~0.1 s), and otherwise from
 * `model-worker.ts` through `tsx` (~0.5 s: tsx compiles the worker's imports in each worker).
 *
 * Stopping: once an interrupt is requested (`src/io/interrupt.ts`), `run` rejects with
 * INTERRUPTED without sending the batch, so the caller stops feeding the worker; `close`
 * lets the worker finish the run it is in (batches queued behind it are dropped), release
 * its ONNX Runtime sessions and exit on its own. A worker is terminated only when it has
 * failed, or has not exited {@link CLOSE_TIMEOUT_MS} after being asked to: terminating it
 * during a native run can abort the whole process.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ERROR_KINDS, type ErrorCode, errors, KrsError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { pauseAt, throwIfInterrupted } from '../io/interrupt.js';
import type { TapPooling } from './capture-pool.js';
import type { ModelJob, ModelRunner } from './model-run.js';
import type { SerialisedError, WorkerReply, WorkerRequest } from './model-worker.js';

/** Post `m`, moving `transfer`; a buffer that cannot be moved makes it a copy, as without `give`. */
function postTo(worker: Worker, m: WorkerRequest, transfer: ArrayBuffer[]): void {
  if (transfer.length === 0) {
    worker.postMessage(m);
    return;
  }
  try {
    worker.postMessage(m, transfer);
  } catch {
    worker.postMessage(m);
  }
}

/** The distinct (non-shared) buffers of `arrays`, to transfer to the worker. */
function buffersOf(arrays: Readonly<Record<string, Tensor>>): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const t of Object.values(arrays)) if (t.data.buffer instanceof ArrayBuffer) out.add(t.data.buffer);
  return [...out];
}

/** Outputs of every model for one batch, with each model's inference time. */
export interface BatchOutputs {
  outputs: Record<string, Record<string, Tensor>>;
  /** Per model, the taps pooled before they were returned (see `ModelJob.pool`), and how. */
  pooled: Record<string, Record<string, TapPooling>>;
  /** Milliseconds of inference per model (inside the worker). */
  ms: Record<string, number>;
}

/** Runs models on batches, in a worker thread or in-process. */
export interface ModelPool {
  /**
   * The models' outputs on a batch; rejects with INTERRUPTED, running nothing, once an interrupt
   * is pending. `give`: the arrays' buffers are the caller's alone and no longer needed by it
   * (`DataBatch.owned`, `data/dataset.ts`): a worker pool then transfers them instead of copying them (they
   * are detached here afterwards); the in-process pool ignores it.
   */
  run(arrays: Record<string, Tensor>, n: number, give?: boolean): Promise<BatchOutputs>;
  /** Wait for the run in progress (if any), release the sessions; never rejects. */
  close(): Promise<void>;
}

/** How long `close` waits for a worker to finish its run and exit before terminating it. */
export const CLOSE_TIMEOUT_MS = 120_000;

export function deserialiseError(e: SerialisedError): Error {
  if (e.krs && e.code && e.code in ERROR_KINDS) return new KrsError(e.code as ErrorCode, e.message, e.details ?? {});
  const err = new Error(e.message);
  if (e.stack) err.stack = e.stack;
  return err;
}

function startWorker(): Worker {
  const js = fileURLToPath(new URL('./model-worker.js', import.meta.url));
  if (existsSync(js)) return new Worker(js, { stdout: false, stderr: false });
  const built = process.env.KRS_MODEL_WORKER;
  if (built && existsSync(built)) return new Worker(built, { stdout: false, stderr: false });
  // Running from the TypeScript sources (tests): load the worker through tsx's ESM hooks.
  const ts = new URL('./model-worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(ts)}); })`;
  return new Worker(boot, { eval: true, stdout: false, stderr: false });
}

/**
 * Start a worker thread running `jobs` (each model opened once).
 * @throws KrsError as `openRunner` (a model ONNX Runtime refuses), re-thrown on this thread.
 */
export async function startWorkerPool(jobs: ModelJob[]): Promise<ModelPool> {
  const worker = startWorker();
  worker.unref();
  let nextId = 1;
  const pending = new Map<number, { resolve: (r: BatchOutputs) => void; reject: (e: Error) => void }>();
  let ready: { resolve: () => void; reject: (e: Error) => void } | null = null;
  let dead: Error | null = null;
  const failAll = (e: Error) => {
    dead = e;
    ready?.reject(e);
    ready = null;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  worker.on('message', (msg: WorkerReply) => {
    if (msg.type === 'ready') {
      ready?.resolve();
      ready = null;
    } else if (msg.type === 'result') {
      pending.get(msg.id)?.resolve({ outputs: msg.outputs, pooled: msg.pooled, ms: msg.ms });
      pending.delete(msg.id);
    } else if (msg.type === 'error') {
      const e = deserialiseError(msg.error);
      if (msg.id === undefined) {
        ready?.reject(e);
        ready = null;
      } else {
        pending.get(msg.id)?.reject(e);
        pending.delete(msg.id);
      }
    }
  });
  worker.on('error', (e) => failAll(e instanceof Error ? e : new Error(String(e))));
  worker.on('exit', (code) => {
    if (pending.size || ready) failAll(errors.internal(`the model worker exited (code ${code}) while work was pending`));
  });
  const post = (m: WorkerRequest, transfer: ArrayBuffer[] = []) => postTo(worker, m, transfer);
  await new Promise<void>((resolve, reject) => {
    ready = { resolve, reject };
    worker.ref();
    post({ type: 'init', jobs });
  }).finally(() => worker.unref());
  let closed = false;
  let runs = 0;
  return {
    async run(arrays, n, give) {
      await pauseAt(`batch:${runs++}`);
      if (dead) throw dead;
      if (closed) throw errors.internal('model worker used after close');
      throwIfInterrupted();
      const id = nextId++;
      worker.ref();
      return new Promise<BatchOutputs>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        post({ type: 'run', id, arrays, n }, give ? buffersOf(arrays) : []);
      }).finally(() => {
        if (pending.size === 0) worker.unref();
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      if (dead) {
        await worker.terminate();
        return;
      }
      const exited = new Promise<void>((r) => worker.once('exit', () => r()));
      worker.ref();
      post({ type: 'close' });
      const timer = setTimeout(() => void worker.terminate(), CLOSE_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * The same interface, running the models on this thread (no worker). Each run first lets the
 * event loop turn once, so that a signal handler gets to run between batches (ONNX Runtime
 * holds this thread while it runs), then checks for an interrupt.
 */
export async function startLocalPool(jobs: ModelJob[]): Promise<ModelPool> {
  // Loaded here, not with this module: a run in the worker leaves ONNX Runtime out of this thread.
  const { openRunner, runPooled } = await import('./model-run.js');
  const runners: ModelRunner[] = [];
  try {
    for (const j of jobs) runners.push(await openRunner(j));
  } catch (e) {
    await Promise.allSettled(runners.map((r) => r.release()));
    throw e;
  }
  let runs = 0;
  return {
    async run(arrays, n) {
      await new Promise<void>((r) => setImmediate(r));
      await pauseAt(`batch:${runs++}`);
      throwIfInterrupted();
      const outputs: Record<string, Record<string, Tensor>> = {};
      const pooled: Record<string, Record<string, TapPooling>> = {};
      const ms: Record<string, number> = {};
      for (const r of runners) {
        const t0 = performance.now();
        const o = await runPooled(r, arrays, n);
        outputs[r.job.side] = o.outputs;
        pooled[r.job.side] = o.pooled;
        ms[r.job.side] = performance.now() - t0;
      }
      return { outputs, pooled, ms };
    },
    async close() {
      await Promise.allSettled(runners.map((r) => r.release()));
    },
  };
}
