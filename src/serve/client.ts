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

export interface ClientOptions {
  /** The server's base URL, e.g. http://127.0.0.1:8080. */
  url: string;
  /** A token with write scope (read scope for the reading calls), when the server needs one. */
  token?: string;
  /** Per-request timeout in ms (default 30 000). */
  timeoutMs?: number;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
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
  postState(run: string, state: unknown, at?: At): Promise<PointReply>;
  postBatch(run: string, batch: ClientBatch, at?: At): Promise<PointReply>;
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

export function serveClient(o: ClientOptions): ServeClient {
  const base = o.url.replace(/\/+$/, '');
  const doFetch = o.fetch ?? fetch;
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    let r: Response;
    try {
      r = await doFetch(base + path, {
        method,
        headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(o.token ? { authorization: `Bearer ${o.token}` } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(o.timeoutMs ?? 30_000),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (e as Error).message;
      throw new KrsError('BAD_OPTION', `invalid ${opt('serve')} ${JSON.stringify(base)}: expected a krs serve that answers (${why})`, {
        option: 'serve',
        value: base,
      });
    }
    const text = await r.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {}
    if (!r.ok) {
      const e = (json as { error?: { code?: string; message?: string } } | null)?.error;
      const serverCode = e?.code ?? `HTTP_${r.status}`;
      const code: ErrorCode = serverCode in ERROR_KINDS ? (serverCode as ErrorCode) : 'BAD_VALUE';
      throw new KrsError(code, `krs serve ${method} ${path}: ${e?.message ?? `HTTP ${r.status}`}`, { status: r.status, serverCode });
    }
    return json as T;
  };
  const enc = encodeURIComponent;
  const client: ServeClient = {
    health: () => call('GET', '/v1/health'),
    createRun: (run) => call('POST', '/v1/runs', run),
    async ensureRun(run) {
      try {
        return await client.createRun(run);
      } catch (e) {
        if (e instanceof KrsError && e.details.serverCode === 'CONFLICT') return call('GET', `/v1/runs/${enc(run.name)}`);
        throw e;
      }
    },
    postState: (run, state, at = {}) => call('POST', `/v1/runs/${enc(run)}/states`, { state, ...at }),
    postBatch: (run, b, at = {}) =>
      call('POST', `/v1/runs/${enc(run)}/batches`, {
        ...at,
        ...(b.teacher ? { teacher: jsonArrays(b.teacher) } : {}),
        ...(b.student ? { student: jsonArrays(b.student) } : {}),
        ...(b.teacherOutput !== undefined ? { teacherOutput: jsonArray(b.teacherOutput) } : {}),
        ...(b.studentOutput !== undefined ? { studentOutput: jsonArray(b.studentOutput) } : {}),
        ...(b.outputMask !== undefined ? { outputMask: jsonArray(b.outputMask) } : {}),
        ...(b.inputs ? { inputs: jsonArrays(b.inputs) } : {}),
      }),
    series: (run, by = 'step') => call('GET', `/v1/runs/${enc(run)}/series?by=${by}`),
    window: (run, q = {}) =>
      call('GET', `/v1/runs/${enc(run)}/window?${new URLSearchParams(Object.entries(q).map(([k, v]): [string, string] => [k, String(v)]))}`),
  };
  return client;
}
