/**
 * Errors of the HTTP API: a status and a JSON body `{ error: { code, message } }` whose
 * message is one line naming what is wrong (docs/service.md §"Errors").
 */
import { KrsError } from '../core/errors.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const httpErrors = {
  notFound: (what: string, name: string) => new HttpError(404, 'NOT_FOUND', `${what} ${JSON.stringify(name)} does not exist`),
  badRequest: (message: string, code = 'BAD_REQUEST') => new HttpError(400, code, message),
  conflict: (message: string) => new HttpError(409, 'CONFLICT', message),
  unauthorized: (message: string) => new HttpError(401, 'UNAUTHORIZED', message),
  forbidden: (message: string) => new HttpError(403, 'FORBIDDEN', message),
  unavailable: (message: string) => new HttpError(503, 'UNAVAILABLE', message),
};

/** The status and body for any error: ours, a KrsError (bad data: 400), a fastify error (its status), or an internal one (500). */
export function errorReply(err: unknown): { status: number; body: { error: { code: string; message: string } } } {
  const one = (s: string) => s.split('\n')[0]!.slice(0, 2000);
  if (err instanceof HttpError) return { status: err.status, body: { error: { code: err.code, message: one(err.message) } } };
  if (err instanceof KrsError) {
    const status = err.kind === 'usage' || err.kind === 'data' ? 400 : 500;
    return { status, body: { error: { code: err.code, message: one(err.message) } } };
  }
  const e = err as { statusCode?: number; code?: string; message?: string };
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const code = e.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'TOO_LARGE' : e.statusCode === 429 ? 'RATE_LIMITED' : (e.code ?? 'BAD_REQUEST');
    return { status: e.statusCode, body: { error: { code, message: one(e.message ?? 'bad request') } } };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: `internal error: ${one(e?.message ?? String(err))}` } } };
}
