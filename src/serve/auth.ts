/**
 * Tokens, scopes and the rate limit (docs/service.md §"Access").
 *
 * A request's token is `Authorization: Bearer <token>` (the scheme in any case), or
 * `access_token=<token>` in the query of `GET /v1/events` alone (EventSource cannot send
 * headers). It is checked against the store's hashes (a known token's scope is remembered for
 * ten seconds). Each route needs `read` or `write` scope (write includes read); a server
 * without tokens treats every request as write.
 *
 * The rate limit counts requests per minute per *verified* token, and per client address for
 * everything else — requests without a token, with an unknown one, or with one not yet
 * verified — so random bearer strings cannot each get a budget of their own.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError, httpErrors } from './http-error.js';
import type { RunService } from './service.js';
import type { Scope } from './store/types.js';

export interface Principal {
  /** The token's id (null without tokens). */
  tokenId: number | null;
  scope: Scope;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** The scope a route needs; absent: open (health, dashboard shells). */
    scope?: Scope;
    /** Not counted by the rate limit (health). */
    unlimited?: boolean;
  }
}

export interface AuthOptions {
  /** Whether requests need tokens. */
  auth: boolean;
  /** Requests per minute per token or address; 0: no limit. */
  rateLimit: number;
}

/** The token a request carries, or null. */
function tokenOf(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (typeof h === 'string') {
    const m = /^bearer\s+(\S+)\s*$/i.exec(h);
    return m ? m[1]! : null;
  }
  if (req.method === 'GET' && req.routeOptions.url === '/v1/events') {
    const q = (req.query as Record<string, unknown> | undefined)?.access_token;
    return typeof q === 'string' && q ? q : null;
  }
  return null;
}

/** A fixed one-minute window per key. */
class RateLimit {
  private readonly counts = new Map<string, number>();
  private window = 0;
  constructor(readonly max: number) {}
  /** Counts one request of `key`; the seconds to wait when over the limit, else 0. */
  take(key: string): { remaining: number; retryAfter: number } {
    const minute = Math.floor(Date.now() / 60_000);
    if (minute !== this.window) {
      this.window = minute;
      this.counts.clear();
    }
    const c = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, c);
    const retryAfter = c > this.max ? Math.max(1, Math.ceil(((minute + 1) * 60_000 - Date.now()) / 1000)) : 0;
    return { remaining: Math.max(0, this.max - c), retryAfter };
  }
}

export function registerAuth(app: FastifyInstance, service: RunService, o: AuthOptions): void {
  const limit = o.rateLimit > 0 ? new RateLimit(o.rateLimit) : null;
  app.decorateRequest('principal', null);
  const count = (req: FastifyRequest, reply: FastifyReply, key: string) => {
    if (!limit || req.routeOptions.config?.unlimited) return;
    const { remaining, retryAfter } = limit.take(key);
    void reply.header('x-ratelimit-limit', String(limit.max)).header('x-ratelimit-remaining', String(remaining));
    if (retryAfter > 0) {
      void reply.header('retry-after', String(retryAfter));
      throw new HttpError(429, 'RATE_LIMITED', `rate limit: at most ${limit.max} requests per minute; retry in ${retryAfter} s`);
    }
  };
  app.addHook('preHandler', async (req, reply) => {
    const scope = req.routeOptions.config?.scope;
    const token = o.auth ? tokenOf(req) : null;
    // A token not verified yet is counted against the address before the store is asked.
    const cached = token ? service.cachedToken(token) : null;
    count(req, reply, cached ? `token:${cached.id}` : `ip:${req.ip}`);
    const known = cached ?? (token ? await service.tokenScope(token) : null);
    req.principal = o.auth ? (known ? { tokenId: known.id, scope: known.scope } : null) : { tokenId: null, scope: 'write' };
    if (!scope) return;
    if (token && !known) throw httpErrors.unauthorized('the token is not known to this server');
    if (!req.principal) throw httpErrors.unauthorized(`this request needs a token with ${scope} scope (Authorization: Bearer <token>)`);
    if (scope === 'write' && req.principal.scope !== 'write') throw httpErrors.forbidden('the token has read scope; this request needs write scope');
  });
}

/** Whether the request may see webhook URLs (write scope). */
export function canWrite(req: FastifyRequest): boolean {
  return req.principal?.scope === 'write';
}
