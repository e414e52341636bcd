/**
 * Worker-thread entry: runs the models of a job list on the batches it is sent, so that
 * ONNX Runtime's `session.run` (which blocks the JavaScript thread it is called from)
 * does not stop the main thread from drawing progress and scoring the previous batch.
 *
 * Protocol (see `worker-client.ts`):
 *   → { type: 'init', jobs }                     ← { type: 'ready' } | { type: 'error', error }
 *   → { type: 'run', id, arrays, n }             ← { type: 'result', id, outputs, pooled, ms } | { type: 'error', id, error }
 *   → { type: 'close' }                          (releases the sessions and exits)
 *
 * A close is seen as soon as it arrives: the run in progress finishes, runs queued behind it
 * are answered with an INTERNAL error instead of running (the main thread has stopped
 * waiting for them), then the sessions are released and the thread exits by itself.
 */
import { parentPort } from 'node:worker_threads';
import { errors, KrsError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import type { TapPooling } from './capture-pool.js';
import { type ModelJob, type ModelRunner, openRunner, runPooled } from './model-run.js';

export type WorkerRequest = { type: 'init'; jobs: ModelJob[] } | { type: 'run'; id: number; arrays: Record<string, Tensor>; n: number } | { type: 'close' };

export type WorkerReply =
  | { type: 'ready' }
  | {
      type: 'result';
      id: number;
      outputs: Record<string, Record<string, Tensor>>;
      pooled: Record<string, Record<string, TapPooling>>;
      ms: Record<string, number>;
    }
  | { type: 'error'; id?: number; error: SerialisedError };

export interface SerialisedError {
  krs: boolean;
  code?: string;
  message: string;
  details?: Record<string, unknown>;
  stack?: string;
}

export function serialiseError(e: unknown): SerialisedError {
  if (e instanceof KrsError) return { krs: true, code: e.code, message: e.message, details: { ...e.details } };
  return { krs: false, message: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined };
}

const port = parentPort;
if (port) {
  let runners: ModelRunner[] = [];
  // Messages are handled one at a time, in order (a close never overtakes a run).
  let queue: Promise<void> = Promise.resolve();
  let closing = false;
  port.on('message', (msg: WorkerRequest) => {
    if (msg.type === 'close') closing = true;
    queue = queue.then(() => handle(msg));
  });
  const handle = async (msg: WorkerRequest): Promise<void> => {
    if (msg.type === 'init') {
      try {
        for (const job of msg.jobs) runners.push(await openRunner(job));
        port.postMessage({ type: 'ready' } satisfies WorkerReply);
      } catch (e) {
        port.postMessage({ type: 'error', error: serialiseError(e) } satisfies WorkerReply);
      }
    } else if (msg.type === 'run') {
      if (closing) {
        port.postMessage({
          type: 'error',
          id: msg.id,
          error: serialiseError(errors.internal('batch dropped: the model worker is closing')),
        } satisfies WorkerReply);
        return;
      }
      try {
        const outputs: Record<string, Record<string, Tensor>> = {};
        const pooled: Record<string, Record<string, TapPooling>> = {};
        const ms: Record<string, number> = {};
        for (const r of runners) {
          const t0 = performance.now();
          const o = await runPooled(r, msg.arrays, msg.n);
          outputs[r.job.side] = o.outputs;
          pooled[r.job.side] = o.pooled;
          ms[r.job.side] = performance.now() - t0;
        }
        const transfer = new Set<ArrayBuffer>();
        for (const o of Object.values(outputs)) for (const t of Object.values(o)) if (t.data.buffer instanceof ArrayBuffer) transfer.add(t.data.buffer);
        const reply: WorkerReply = { type: 'result', id: msg.id, outputs, pooled, ms };
        try {
          port.postMessage(reply, [...transfer]);
        } catch {
          port.postMessage(reply);
        }
      } catch (e) {
        port.postMessage({ type: 'error', id: msg.id, error: serialiseError(e) } satisfies WorkerReply);
      }
    } else if (msg.type === 'close') {
      const rs = runners;
      runners = [];
      await Promise.allSettled(rs.map((r) => r.release()));
      port.close();
    }
  };
}
