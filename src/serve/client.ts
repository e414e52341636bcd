/**
 * A small client of `krs serve` (fetch only, no Node built-ins: it runs in Node, browsers and
 * edge runtimes). What `krs score/eval --serve URL --run NAME` and `krs demo --serve URL` use,
 * and what a device uses to send its metric state — only sufficient statistics, never inputs.
 *
 * @example
 *   const c = serveClient({ url: 'http://127.0.0.1:8080', token });
 *   await c.ensureRun({ name: 'distil-1', task: 'classification', settings: { pairs: ['fc1:fc1'] } });
 *   await c.postState('distil-1', metric.toJSON(), { step: 3 });
 *
 * Every failure is a KrsError: the server's 4xx error (its code when krs knows it, else
 * BAD_VALUE, with `details.status` and `details.serverCode`), or BAD_OPTION naming the URL
 * when no server answers.
 */
import { ERROR_KINDS, type ErrorCode, KrsError, opt } from '../core/errors.js';
import type { TensorLike } from '../core/tensor.js';
import { encodeStateFile } from '../io/state-file.js';

export interface ClientOptions {
  /** The server's base URL, e.g. http://127.0.0.1:8080. */
  url: string;
  /** A token with write scope (read scope for the reading calls), when the server needs one. */
  token?: string;
  /** Per-request timeout in ms (default 30 000). */
  timeoutMs?: number;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
  /**
   * Retries of a request that may succeed later — no answer, or 429/502/503/504 — after 0.25 s
   * doubling (or the server's Retry-After). Posts are retried only with an Idempotency-Key,
   * which every post gets (a random one, unless given), so a retry is never stored twice.
   * Default 2; 0 sends once and no key.
   */
  retries?: number;
}

/** Options of one post. */
export interface PostOptions {
  /** The Idempotency-Key to send (default: a random one per call when retries are on). */
  idempotencyKey?: string;
  /** Send a state as a state file (bytes: no base64, smaller and faster to read) instead of JSON. */
  binary?: boolean;
}

export interface NewRun {
  name: string;
  task: string;
  kind?: 'training' | 'deployment';
  teacher?: string;
  student?: string;
  /** KrsMetric options without the task: pairs (`[{teacher, student}]` or `'t:s'`), alpha, similarity, pool, output, intervals… */
  settings?: Record<string, unknown>;
  tags?: Record<string, string>;
  teacherModel?: string;
}

/** Where a point sits: a step (training) and/or a time (ISO-8601; default: when received). */
export interface At {
  step?: number;
  time?: string;
}

export interface PointReply {
  point: { id: number; step: number | null; time: string; n: number; fss: number | null; aoa: number; krs: number | null };
  alerts: { id: number; kind: string; state: string; message: string | null }[];
}

export interface ClientBatch {
  teacher?: Record<string, TensorLike>;
  student?: Record<string, TensorLike>;
  teacherOutput?: TensorLike;
  studentOutput?: TensorLike;
  outputMask?: TensorLike;
  /** For a run whose teacher runs on the server: what the teacher is fed. */
  inputs?: Record<string, TensorLike>;
}

export interface ServeClient {
  health(): Promise<{ ok: boolean; version: string; store: string }>;
  createRun(run: NewRun): Promise<unknown>;
  /** Create the run, or use the existing one of that name. */
  ensureRun(run: NewRun): Promise<unknown>;
  postState(run: string, state: unknown, at?: At, o?: PostOptions): Promise<PointReply>;
  postBatch(run: string, batch: ClientBatch, at?: At, o?: Omit<PostOptions, 'binary'>): Promise<PointReply>;
  series(run: string, by?: 'step' | 'time'): Promise<unknown>;
  window(run: string, query?: Record<string, string | number>): Promise<unknown>;
}

/** A JSON-able array: typed arrays and Tensors as {shape, data}, nested arrays as they are. */
function jsonArray(v: TensorLike): unknown {
  if (Array.isArray(v)) return v;
  const t = v as { shape?: readonly number[]; data?: ArrayLike<number | bigint> };
  if (t?.shape && t.data) return { shape: [...t.shape], data: Array.from(t.data as ArrayLike<number>, Number) };
  const a = v as unknown as ArrayLike<number>;
  return { shape: [a.length], data: Array.from(a, Number) };
}
const jsonArrays = (r?: Record<string, TensorLike>) => (r ? Object.fromEntries(Object.entries(r).map(([k, v]) => [k, jsonArray(v)])) : undefined);

/** Statuses worth a retry: the server is busy, limiting, restarting, or behind a proxy that could not reach it. */
const RETRIED = new Set([429, 502, 503, 504]);

/** A request: method, path, body (JSON, or bytes with their type) and an Idempotency-Key for posts. */
interface Request {
  method: string;
  path: string;
  json?: unknown;
  bytes?: { data: Uint8Array; type: string };
  key?: string;
}

/**
 * The JSON caller of a server: sends a request with the token and content type, retries what may
 * succeed later, and turns an error answer into a {@link KrsError} with the server's code.
 */
function httpCaller(o: ClientOptions): <T>(q: Request) => Promise<T> {
  const base = o.url.replace(/\/+$/, '');
  const doFetch = o.fetch ?? fetch;
  const retries = o.retries ?? 2;
  const unreachable = (e: unknown) => {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (e as Error).message;
    return new KrsError('BAD_OPTION', `invalid ${opt('serve')} ${JSON.stringify(base)}: expected a krs serve that answers (${why})`, {
      option: 'serve',
      value: base,
    });
  };
  const send = (q: Request) =>
    doFetch(base + q.path, {
      method: q.method,
      headers: {
        ...(q.json !== undefined ? { 'content-type': 'application/json' } : q.bytes ? { 'content-type': q.bytes.type } : {}),
        ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
        ...(q.key ? { 'idempotency-key': q.key } : {}),
      },
      ...(q.json !== undefined ? { body: JSON.stringify(q.json) } : q.bytes ? { body: q.bytes.data as BodyInit } : {}),
      signal: AbortSignal.timeout(o.timeoutMs ?? 30_000),
    });
  /** Send, retrying what may succeed later (a post only when it carries an Idempotency-Key, so a retry stores nothing twice). */
  const attempt = async (q: Request): Promise<Response> => {
    const again = q.method === 'GET' || q.key !== undefined ? retries : 0;
    for (let i = 0; ; i++) {
      let r: Response;
      try {
        r = await send(q);
      } catch (e) {
        if (i >= again) throw unreachable(e);
        await sleep(backoff(i, null));
        continue;
      }
      if (!RETRIED.has(r.status) || i >= again) return r;
      await r.arrayBuffer().catch(() => {});
      await sleep(backoff(i, r.headers.get('retry-after')));
    }
  };
  const call = async <T>(q: Request): Promise<T> => {
    const r = await attempt(q);
    const text = await r.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {}
    if (!r.ok) {
      const e = (json as { error?: { code?: string; message?: string } } | null)?.error;
      const serverCode = e?.code ?? `HTTP_${r.status}`;
      const code: ErrorCode = serverCode in ERROR_KINDS ? (serverCode as ErrorCode) : 'BAD_VALUE';
      throw new KrsError(code, `krs serve ${q.method} ${q.path}: ${e?.message ?? `HTTP ${r.status}`}`, { status: r.status, serverCode });
    }
    return json as T;
  };
  return call;
}

export function serveClient(o: ClientOptions): ServeClient {
  const retries = o.retries ?? 2;
  const call = httpCaller(o);
  const key = (p?: PostOptions) => p?.idempotencyKey ?? (retries > 0 ? globalThis.crypto.randomUUID() : undefined);
  const enc = encodeURIComponent;
  const query = (at: At) => {
    const q = new URLSearchParams(Object.entries(at).map(([k, v]): [string, string] => [k, String(v)])).toString();
    return q ? `?${q}` : '';
  };
  const client: ServeClient = {
    health: () => call({ method: 'GET', path: '/v1/health' }),
    createRun: (run) => call({ method: 'POST', path: '/v1/runs', json: run }),
    async ensureRun(run) {
      try {
        return await client.createRun(run);
      } catch (e) {
        if (e instanceof KrsError && e.details.serverCode === 'CONFLICT') return call({ method: 'GET', path: `/v1/runs/${enc(run.name)}` });
        throw e;
      }
    },
    postState: (run, state, at = {}, p) =>
      p?.binary
        ? call({
            method: 'POST',
            path: `/v1/runs/${enc(run)}/states${query(at)}`,
            bytes: { data: encodeStateFile(state), type: 'application/x-krs-state' },
            key: key(p),
          })
        : call({ method: 'POST', path: `/v1/runs/${enc(run)}/states`, json: { state, ...at }, key: key(p) }),
    postBatch: (run, b, at = {}, p) =>
      call({
        method: 'POST',
        path: `/v1/runs/${enc(run)}/batches`,
        key: key(p),
        json: batchBody(b, at),
      }),
    series: (run, by = 'step') => call({ method: 'GET', path: `/v1/runs/${enc(run)}/series?by=${by}` }),
    window: (run, q = {}) =>
      call({ method: 'GET', path: `/v1/runs/${enc(run)}/window?${new URLSearchParams(Object.entries(q).map(([k, v]): [string, string] => [k, String(v)]))}` }),
  };
  return client;
}

/** The JSON body of a posted batch: the point's step or time, and the arrays given. */
function batchBody(b: ClientBatch, at: At): Record<string, unknown> {
  return {
    ...at,
    ...(b.teacher ? { teacher: jsonArrays(b.teacher) } : {}),
    ...(b.student ? { student: jsonArrays(b.student) } : {}),
    ...(b.teacherOutput !== undefined ? { teacherOutput: jsonArray(b.teacherOutput) } : {}),
    ...(b.studentOutput !== undefined ? { studentOutput: jsonArray(b.studentOutput) } : {}),
    ...(b.outputMask !== undefined ? { outputMask: jsonArray(b.outputMask) } : {}),
    ...(b.inputs ? { inputs: jsonArrays(b.inputs) } : {}),
  };
}

/** Delay before retry i: the server's Retry-After when it gives one (at most 30 s), else 0.25 s doubling. */
function backoff(i: number, retryAfter: string | null): number {
  const s = retryAfter === null ? Number.NaN : Number(retryAfter);
  return Number.isFinite(s) && s >= 0 ? Math.min(30, s) * 1000 : 250 * 2 ** i;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
