/**
 * Stopping a run cleanly, and knowing what it wrote.
 *
 * Interrupt requests: the owner of the process (the `krs` bin, on SIGINT/SIGTERM; or a library
 * user) calls {@link requestInterrupt}; long-running loops call {@link throwIfInterrupted} at
 * their stop points — before feeding a model worker another batch, before committing a file —
 * and unwind through their `finally` blocks (temporary files removed, model sessions and
 * workers shut down) with a KrsError INTERRUPTED. A request is process-wide: it is meant for
 * a process that runs one job, as the bin does. In-process CLI runs never make one.
 *
 * The commit journal: every file krs writes goes through a commit (a rename of a complete
 * temporary file into place, see `node-atomic-write.ts` and `node-npz-writer.ts`), which
 * calls {@link recordCommit}; {@link onCommit} listeners (the bin) learn which files a run
 * wrote in full, so that an interrupt message names exactly those.
 *
 * No Node built-ins: this module is browser-safe.
 */
import { errors } from '../core/errors.js';

let requested: string | null = null;
const listeners = new Set<(file: string) => void>();

/** Ask every running krs loop of this process to stop at its next stop point; `signal` names the cause ('SIGINT'). */
export function requestInterrupt(signal: string): void {
  requested ??= signal;
}

/** Withdraw a request (the bin does, when its run has ended). */
export function clearInterrupt(): void {
  requested = null;
}

/** The pending request's signal name, or null. */
export function interruptRequested(): string | null {
  return requested;
}

/**
 * A stop point: throw when an interrupt was requested.
 * @throws KrsError INTERRUPTED naming the signal (the CLI rewords it with the files written; see `errors.interrupted`).
 */
export function throwIfInterrupted(): void {
  if (requested !== null) throw errors.interrupted(requested, []);
}

/** Call `listener` with the path of every file committed from now on; returns the unsubscriber. */
export function onCommit(listener: (file: string) => void): () => void {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}

/** Report that `file` now holds a complete new content (called right after the rename). */
export function recordCommit(file: string): void {
  for (const l of listeners) l(file);
}

/**
 * Test failpoints: when the environment variable `KRS_PAUSE_AT` names `point` (a
 * comma-separated list, e.g. `batch:0,commit`), write `krs: paused at <point>` to stderr and
 * wait there, so a test can send a signal at exactly that moment. {@link pauseAt} waits
 * asynchronously (signal handlers run) until an interrupt is requested or `KRS_PAUSE_MS`
 * (default 10 000) pass; {@link pauseAtSync} blocks the thread for `KRS_PAUSE_MS` (default
 * 1000): a signal sent then is handled when the synchronous step ends, as in real life.
 * Without the variable both return at once.
 */
export async function pauseAt(point: string): Promise<void> {
  const ms = announcePause(point, 10_000);
  if (ms === null) return;
  const until = Date.now() + ms;
  while (requested === null && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
}

/** The blocking form of {@link pauseAt}. */
export function pauseAtSync(point: string): void {
  const ms = announcePause(point, 1000);
  if (ms !== null) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function announcePause(point: string, defaultMs: number): number | null {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined>; stderr?: { write(s: string): unknown } } }).process;
  const at = env?.env?.KRS_PAUSE_AT;
  if (!at?.split(',').includes(point)) return null;
  env?.stderr?.write(`krs: paused at ${point}\n`);
  const ms = Number(env?.env?.KRS_PAUSE_MS);
  return Number.isFinite(ms) && ms >= 0 ? ms : defaultMs;
}
