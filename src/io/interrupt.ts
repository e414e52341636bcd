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

/**
 * Let the event loop turn until it has polled for events once, so that a signal that arrived
 * during synchronous work reaches its handler (which sets the request). Two macrotask turns:
 * a callback queued from the check phase runs only after the next poll phase. Browser-safe
 * (`setTimeout` where there is no `setImmediate`).
 */
export async function yieldToEvents(): Promise<void> {
  const later = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate ?? ((f: () => void) => setTimeout(f, 0));
  for (let i = 0; i < 2; i++) await new Promise<void>((r) => void later(r));
}

/**
 * An asynchronous stop point: let the signal handlers run ({@link yieldToEvents}), then throw
 * when an interrupt was requested. Long work calls it between chunks (see {@link pacer}).
 * @throws KrsError INTERRUPTED, as {@link throwIfInterrupted}.
 */
export async function checkInterrupt(): Promise<void> {
  await yieldToEvents();
  throwIfInterrupted();
}

/** Bytes of a read, write or checksum pass between two stop points. */
export const CHUNK_BYTES = 8 * 2 ** 20;

/**
 * Stop points for a long pass done in pieces: call the returned function after each piece with
 * its size (bytes, or any unit of work); once `every` units have passed since the last stop
 * point, it makes one ({@link checkInterrupt}). Between stop points the work runs without
 * yielding, so an interrupt acts within about `every` units of work.
 */
export function pacer(every: number = CHUNK_BYTES): (done: number) => Promise<void> {
  let since = 0;
  return async (done) => {
    since += done;
    if (since < every) return;
    since = 0;
    await checkInterrupt();
  };
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
 * With `KRS_PAUSE_UNTIL=<file>`, {@link pauseAtSync} blocks instead until that file exists (at
 * most `KRS_PAUSE_MS`, default 120 000): a test creates it once it has sent its signal, so the
 * signal is known to arrive during the synchronous step however slow the machine. Without
 * `KRS_PAUSE_AT` both return at once.
 */
export async function pauseAt(point: string): Promise<void> {
  const pause = announcePause(point, 10_000);
  if (pause === null) return;
  const until = Date.now() + pause.ms;
  while (requested === null && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
}

/** The blocking form of {@link pauseAt}. */
export function pauseAtSync(point: string): void {
  const pause = announcePause(point, 1000);
  if (pause === null) return;
  const cell = new Int32Array(new SharedArrayBuffer(4));
  if (!pause.file) {
    Atomics.wait(cell, 0, 0, pause.ms);
    return;
  }
  const until = Date.now() + pause.ms;
  while (!pause.exists(pause.file) && Date.now() < until) Atomics.wait(cell, 0, 0, 10);
}

interface Pause {
  ms: number;
  file: string | null;
  exists: (file: string) => boolean;
}

function announcePause(point: string, defaultMs: number): Pause | null {
  const proc = (
    globalThis as {
      process?: {
        env?: Record<string, string | undefined>;
        stderr?: { write(s: string): unknown };
        getBuiltinModule?: (name: string) => { existsSync(file: string): boolean } | undefined;
      };
    }
  ).process;
  const at = proc?.env?.KRS_PAUSE_AT;
  if (!at?.split(',').includes(point)) return null;
  proc?.stderr?.write(`krs: paused at ${point}\n`);
  const file = proc?.env?.KRS_PAUSE_UNTIL || null;
  const ms = Number(proc?.env?.KRS_PAUSE_MS);
  const fs = proc?.getBuiltinModule?.('node:fs');
  return {
    ms: proc?.env?.KRS_PAUSE_MS !== undefined && Number.isFinite(ms) && ms >= 0 ? ms : file ? 120_000 : defaultMs,
    file,
    // Without Node's fs (a browser, or Node < 20.16) there is no file to wait for.
    exists: (f) => fs?.existsSync(f) ?? true,
  };
}
