/**
 * The compute pool of `krs serve` (docs/service.md §"Threads"): worker threads running
 * compute/tasks.ts — reading and scoring posts, merging and scoring stored states — so the
 * event loop only routes requests. Each call goes to the thread with the fewest calls waiting;
 * past {@link ComputePool.limit} waiting calls the pool refuses new work (503 BUSY, retry
 * later) instead of queueing without end. With 0 threads the tasks run in the calling thread.
 */
import { availableParallelism } from 'node:os';
import { HttpError } from '../http-error.js';
import { startThread, type Thread, transferables } from '../threads.js';
import { COMPUTE_TASKS } from './tasks.js';

type Tasks = typeof COMPUTE_TASKS;
type TaskName = keyof Tasks;

export interface ComputePool {
  run<K extends TaskName>(task: K, ...args: Parameters<Tasks[K]>): ReturnType<Tasks[K]>;
  readonly threads: number;
  /** Most calls waiting at once (across threads). */
  readonly limit: number;
  close(): Promise<void>;
}

/** Threads by default: one per core (the store has a thread of its own). */
function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

export async function startComputePool(threads = defaultThreads(), o: { limit?: number; onFailure?: (e: Error) => void } = {}): Promise<ComputePool> {
  const limit = o.limit ?? 64 * Math.max(1, threads);
  if (threads === 0) {
    return {
      threads,
      limit,
      run: (task, ...args) => (COMPUTE_TASKS[task] as (...a: unknown[]) => unknown)(...args) as never,
      close: async () => {},
    };
  }
  const url = new URL('./worker.js', import.meta.url);
  const pool: Thread[] = await Promise.all(Array.from({ length: threads }, () => startThread(url, { onFailure: o.onFailure })));
  return {
    threads,
    limit,
    run(task, ...args) {
      const waiting = pool.reduce((a, t) => a + t.pending, 0);
      if (waiting >= limit) return Promise.reject(new HttpError(503, 'BUSY', `the server is busy (${waiting} requests being scored); retry later`)) as never;
      const idlest = pool.reduce((a, t) => (t.pending < a.pending ? t : a));
      return idlest.call(task, args, transferables(args)) as never;
    },
    async close() {
      await Promise.all(pool.map((t) => t.terminate()));
    },
  };
}
