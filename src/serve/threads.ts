/**
 * Calls into worker threads: what keeps `krs serve`'s event loop free of everything slow
 * (docs/service.md §"Threads"). A thread module exports its handlers with {@link serveThread};
 * the main thread starts it with {@link startThread} and calls `call(method, ...args)`, which
 * resolves with the handler's result or rejects with its error, rebuilt as the same class
 * (KrsError with its code, HttpError with its status). Typed arrays in arguments and results
 * are moved, not copied, when the caller lists their buffers in `transfer`.
 *
 * Where the compiled `.js` file is missing (tests run from the TypeScript sources), the
 * thread loads `$KRS_DIST/<path>.js` when that exists, else the `.ts` source through tsx.
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { ERROR_KINDS, type ErrorCode, errors, KrsError } from '../core/errors.js';
import { HttpError } from './http-error.js';

interface Request {
  id: number;
  method: string;
  args: unknown[];
}
interface Reply {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: SerialisedError;
}
/** A message a thread sends unasked (`emit`): the main side's `onEvent` receives it. */
interface EventMessage {
  event: string;
  data: unknown;
}

export interface SerialisedError {
  kind: 'krs' | 'http' | 'other';
  message: string;
  code?: string;
  status?: number;
  details?: Record<string, unknown>;
  stack?: string;
}

export function serialiseError(e: unknown): SerialisedError {
  if (e instanceof HttpError) return { kind: 'http', message: e.message, code: e.code, status: e.status };
  if (e instanceof KrsError) return { kind: 'krs', message: e.message, code: e.code, details: JSON.parse(JSON.stringify(e.details ?? {})) };
  const err = e as { message?: string; stack?: string; code?: string };
  return { kind: 'other', message: err?.message ?? String(e), stack: err?.stack, ...(typeof err?.code === 'string' ? { code: err.code } : {}) };
}

export function deserialiseError(e: SerialisedError): Error {
  if (e.kind === 'http') return new HttpError(e.status ?? 500, e.code ?? 'INTERNAL', e.message);
  if (e.kind === 'krs' && e.code && e.code in ERROR_KINDS) return new KrsError(e.code as ErrorCode, e.message, e.details ?? {});
  const err = new Error(e.message) as Error & { code?: string };
  if (e.stack) err.stack = e.stack;
  if (e.code) err.code = e.code;
  return err;
}

// biome-ignore lint/suspicious/noExplicitAny: handlers take and return structured-clonable values of any shape.
export type Handlers = Record<string, (...args: any[]) => unknown>;

/** A value and the buffers to move with it (instead of copying). */
export class Transfer<T> {
  constructor(
    readonly value: T,
    readonly buffers: ArrayBuffer[],
  ) {}
}

/**
 * The buffers of the typed arrays in `value` that own their whole buffer: moving those is
 * free, while a view into a shared buffer (a small Buffer from Node's pool) is copied.
 */
export function transferables(value: unknown): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const visit = (v: unknown, depth: number) => {
    if (depth > 8 || v === null || typeof v !== 'object') return;
    if (ArrayBuffer.isView(v)) {
      const b = v.buffer;
      if (b instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === b.byteLength && b.byteLength > 0) out.add(b);
      return;
    }
    for (const x of Array.isArray(v) ? v : Object.values(v)) visit(x, depth + 1);
  };
  visit(value, 0);
  return [...out];
}

/** `value` with its {@link transferables} to move. */
export function moving<T>(value: T): Transfer<T> {
  return new Transfer(value, transferables(value));
}

/**
 * In a worker: answer calls with `handlers` (a handler may return a {@link Transfer} to move
 * buffers back). Returns `emit`, which sends an unasked event to the main thread.
 */
export function serveThread(handlers: Handlers): (event: string, data: unknown) => void {
  const port = parentPort;
  if (isMainThread || !port) throw errors.internal('serveThread called outside a worker thread');
  port.on('message', async (m: Request) => {
    const handler = handlers[m.method];
    try {
      if (!handler) throw errors.internal(`no thread method ${m.method}`);
      const out = await handler(...m.args);
      if (out instanceof Transfer) port.postMessage({ id: m.id, ok: true, value: out.value } satisfies Reply, out.buffers);
      else port.postMessage({ id: m.id, ok: true, value: out } satisfies Reply);
    } catch (e) {
      port.postMessage({ id: m.id, ok: false, error: serialiseError(e) } satisfies Reply);
    }
  });
  return (event, data) => port.postMessage({ event, data } satisfies EventMessage);
}

export interface Thread {
  /** Call a handler; `transfer` lists buffers of the arguments to move. */
  call<T>(method: string, args: unknown[], transfer?: ArrayBuffer[]): Promise<T>;
  /** Calls sent and not yet answered. */
  readonly pending: number;
  /** Stop the thread (pending calls reject). */
  terminate(): Promise<void>;
}

export interface ThreadOptions {
  /** Unasked events from the thread. */
  onEvent?: (event: string, data: unknown) => void;
  /** The thread died (an uncaught error or exit) while it was in use. */
  onFailure?: (e: Error) => void;
  /** Data the thread reads as `workerData`. */
  workerData?: unknown;
}

/**
 * What a worker runs for `moduleUrl` (the `.js` name of a module of src/): that file where it
 * exists (the built dist/); else, running from the TypeScript sources (tests), the same file
 * in `$KRS_DIST` when built, or the `.ts` source through tsx.
 */
function threadEntry(moduleUrl: URL): { file: string } | { boot: string } {
  const js = fileURLToPath(moduleUrl);
  if (existsSync(js)) return { file: js };
  const dist = process.env.KRS_DIST;
  if (dist) {
    const src = fileURLToPath(new URL('../', import.meta.url));
    const built = join(dist, relative(src, js));
    if (existsSync(built)) return { file: built };
  }
  const ts = moduleUrl.href.replace(/\.js$/, '.ts');
  return { boot: `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(ts)}); })` };
}

/**
 * Start the worker module at `moduleUrl` (a file that calls {@link serveThread}); resolves
 * once it answers.
 */
export async function startThread(moduleUrl: URL, o: ThreadOptions = {}): Promise<Thread> {
  const entry = threadEntry(moduleUrl);
  const worker = 'file' in entry ? new Worker(entry.file, { workerData: o.workerData }) : new Worker(entry.boot, { eval: true, workerData: o.workerData });
  let nextId = 1;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let dead: Error | null = null;
  const fail = (e: Error) => {
    if (dead) return;
    dead = e;
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
    o.onFailure?.(e);
  };
  worker.on('message', (m: Reply | EventMessage) => {
    if ('event' in m) {
      o.onEvent?.(m.event, m.data);
      return;
    }
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (m.ok) w.resolve(m.value);
    else w.reject(deserialiseError(m.error!));
  });
  worker.on('error', (e) => fail(e instanceof Error ? e : new Error(String(e))));
  worker.on('exit', (code) => fail(errors.internal(`a service thread exited (code ${code})`)));
  const thread: Thread = {
    call<T>(method: string, args: unknown[], transfer: ArrayBuffer[] = []) {
      if (dead) return Promise.reject(dead);
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
        worker.postMessage({ id, method, args } satisfies Request, transfer);
      });
    },
    get pending() {
      return waiting.size;
    },
    async terminate() {
      dead ??= errors.internal('the service thread was stopped');
      await worker.terminate();
    },
  };
  await thread.call('ping', []);
  return thread;
}
