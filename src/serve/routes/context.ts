/** What every route module receives: the service and the settings of the HTTP side. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { httpErrors } from '../http-error.js';
import type { SecurityOptions } from '../security.js';
import type { RunService } from '../service.js';
import type { Window } from '../store/types.js';

export interface RouteContext {
  app: FastifyInstance;
  service: RunService;
  security: SecurityOptions;
  /** Largest body of the posting routes, bytes. */
  bodyLimit: number;
}

export const sec = { security: [{ bearer: [] }] };

/** The `name` path parameter. */
export const nameOf = (req: FastifyRequest) => (req.params as { name: string }).name;

/** The window of a query string (times normalised to ISO-8601 UTC). @throws 400 naming a bad time. */
export function windowOf(q: Record<string, unknown>): Window {
  const w: Window = {};
  if (q.fromStep !== undefined) w.fromStep = q.fromStep as number;
  if (q.toStep !== undefined) w.toStep = q.toStep as number;
  for (const k of ['from', 'to'] as const) {
    if (q[k] === undefined) continue;
    const t = Date.parse(String(q[k]));
    if (!Number.isFinite(t)) throw httpErrors.badRequest(`${k}: ${JSON.stringify(q[k])} is not an ISO-8601 time`, 'BAD_OPTION');
    w[k] = new Date(t).toISOString();
  }
  return w;
}
