/**
 * Errors of the HTTP API (docs/service.md §"Errors"): every refusal, ours or the framework's,
 * is a status from {@link ERROR_STATUS} and the body `{ error: { code, message } }` whose
 * message is one line naming what is wrong. A failure inside the server is 500 INTERNAL with a
 * generic message (its details go to the server's standard error, not to the client).
 */
import { ERROR_KINDS, KrsError } from '../core/errors.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Every error code the API answers, with its status. KrsError codes of bad data or usage are 400. */
export const ERROR_STATUS: Readonly<Record<string, number>> = {
  BAD_REQUEST: 400,
  EMPTY: 400,
  ...Object.fromEntries(
    Object.entries(ERROR_KINDS)
      .filter(([, kind]) => kind === 'data' || kind === 'usage')
      .map(([code]) => [code, 400]),
  ),
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  BUSY: 503,
  UNAVAILABLE: 503,
};

export const httpErrors = {
  notFound: (what: string, name: string) => new HttpError(404, 'NOT_FOUND', `${what} ${JSON.stringify(name)} does not exist`),
  badRequest: (message: string, code = 'BAD_REQUEST') => new HttpError(400, code, message),
  conflict: (message: string) => new HttpError(409, 'CONFLICT', message),
  unauthorized: (message: string) => new HttpError(401, 'UNAUTHORIZED', message),
  forbidden: (message: string) => new HttpError(403, 'FORBIDDEN', message),
  unavailable: (message: string) => new HttpError(503, 'UNAVAILABLE', message),
};

export interface ErrorBody {
  error: { code: string; message: string };
}

const oneLine = (s: string) => s.split('\n')[0]!.slice(0, 2000);

/** Fastify's own refusals, in our codes. */
function frameworkError(e: { statusCode?: number; code?: string; message?: string }): { status: number; code: string; message: string } | null {
  const status = e.statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return null;
  const message = oneLine(e.message ?? 'bad request');
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, code: 'TOO_LARGE', message: 'request body: larger than this server takes (--body-limit)' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: `content-type: ${message.replace(/^Unsupported Media Type:?\s*/i, '') || 'missing'} is not one this route takes`,
      };
    case 'FST_ERR_VALIDATION':
      return { status: 400, code: 'BAD_REQUEST', message };
    default:
      return { status: status === 404 ? 404 : 400, code: status === 404 ? 'NOT_FOUND' : 'BAD_REQUEST', message };
  }
}

/** The status and body for any error. `log` receives what a 500 hides from the client. */
export function errorReply(err: unknown, log: (line: string) => void = () => {}): { status: number; body: ErrorBody } {
  if (err instanceof HttpError) return { status: err.status, body: { error: { code: err.code, message: oneLine(err.message) } } };
  if (err instanceof KrsError && (err.kind === 'usage' || err.kind === 'data'))
    return { status: 400, body: { error: { code: err.code, message: oneLine(err.message) } } };
  if (err instanceof KrsError && err.kind === 'environment') return { status: 503, body: { error: { code: 'UNAVAILABLE', message: oneLine(err.message) } } };
  const f = frameworkError(err as { statusCode?: number; code?: string; message?: string });
  if (f) return { status: f.status, body: { error: { code: f.code, message: f.message } } };
  const e = err as { message?: string; stack?: string };
  log(`krs serve: internal error: ${e?.stack ?? e?.message ?? String(err)}`);
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'internal error (details are in the server log)' } } };
}
