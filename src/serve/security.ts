/**
 * What every request meets before a route (docs/service.md §"Threat model"):
 *
 * - **Host**: a server that answers without tokens answers only Host values that are loopback
 *   names (`localhost`, `127.x.x.x`, `[::1]`) or given with `--allowed-host`, so a page on
 *   another site that rebinds its DNS name to 127.0.0.1 cannot read or write through the
 *   visitor's browser. `--allowed-host` restricts a server with tokens the same way.
 * - **Origin**: a browser request from another origin that changes something (POST, PATCH,
 *   DELETE) is refused unless that origin was given with `--cors`; so is a CORS preflight from
 *   any other origin. Allowed origins get CORS headers (no cookies are used, so none are
 *   allowed with credentials).
 * - **Headers** on every answer: `X-Content-Type-Options: nosniff`, `Referrer-Policy:
 *   no-referrer`, `X-Frame-Options: DENY`, a Content-Security-Policy (the dashboard sets its
 *   own, stricter for pages), `Cache-Control: no-store` on the API.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { normaliseOrigin } from './defaults.js';
import { httpErrors } from './http-error.js';

export interface SecurityOptions {
  /** Host names (without port) the server answers besides loopback names; `*` for any. */
  allowedHosts: readonly string[];
  /** Whether Host must be a loopback name or allowed (true without tokens, or when hosts are given). */
  checkHost: boolean;
  /** Origins (`scheme://host[:port]`) whose browser pages may call the API. */
  cors: readonly string[];
}

const API_CSP = "default-src 'none'; frame-ancestors 'none'";
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const CORS_METHODS = 'GET, POST, PATCH, DELETE';
const CORS_HEADERS = 'authorization, content-type, idempotency-key';
const EXPOSED = 'idempotent-replayed, retry-after, x-ratelimit-limit, x-ratelimit-remaining';

/** The host name of a Host header, without its port (IPv6 in brackets kept). */
function hostName(host: string | undefined): string {
  if (!host) return '';
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  return h.replace(/:\d*$/, '');
}

function isLoopbackName(name: string): boolean {
  return name === 'localhost' || name.endsWith('.localhost') || name === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

export { normaliseOrigin };

/** Headers every answer carries (also written by hand where a route takes over the response: server-sent events). */
export function baseHeaders(req: FastifyRequest, o: SecurityOptions): Record<string, string> {
  const h: Record<string, string> = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' };
  const origin = allowedOrigin(req, o);
  if (origin) Object.assign(h, { 'access-control-allow-origin': origin, 'access-control-expose-headers': EXPOSED, vary: 'Origin' });
  return h;
}

function allowedOrigin(req: FastifyRequest, o: SecurityOptions): string | null {
  const origin = req.headers.origin;
  if (typeof origin !== 'string') return null;
  const n = normaliseOrigin(origin);
  return n && o.cors.includes(n) ? n : null;
}

/** Host and port of an origin or a Host header, the port defaulting to the origin's scheme's. */
function endpoint(host: string, scheme: string): string {
  const u = new URL(`${scheme}//${host}`);
  return `${u.hostname.toLowerCase()}:${u.port || (scheme === 'https:' ? '443' : '80')}`;
}

function sameOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (typeof origin !== 'string') return true; // not a browser's cross-site request
  try {
    const o = new URL(origin);
    return endpoint(o.host, o.protocol) === endpoint(req.headers.host ?? '', o.protocol);
  } catch {
    return false;
  }
}

export function registerSecurity(app: FastifyInstance, o: SecurityOptions): void {
  const hosts = new Set(o.allowedHosts.map((h) => hostName(h)));
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (o.checkHost && !hosts.has('*')) {
      const name = hostName(req.headers.host);
      if (!isLoopbackName(name) && !hosts.has(name))
        throw httpErrors.forbidden(`Host ${JSON.stringify(req.headers.host ?? '')} is not a name this server answers (loopback names, or --allowed-host)`);
    }
    const origin = allowedOrigin(req, o);
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
      if (!origin) throw httpErrors.forbidden(`origin ${JSON.stringify(req.headers.origin ?? '')} may not call this server (--cors)`);
      void reply
        .headers({
          ...baseHeaders(req, o),
          'access-control-allow-methods': CORS_METHODS,
          'access-control-allow-headers': CORS_HEADERS,
          'access-control-max-age': '600',
        })
        .status(204)
        .send();
      return reply;
    }
    if (UNSAFE.has(req.method) && !origin && !sameOrigin(req))
      throw httpErrors.forbidden(`origin ${JSON.stringify(req.headers.origin)} may not change this server's data (--cors)`);
  });
  app.addHook('onSend', async (req, reply, payload) => {
    for (const [k, v] of Object.entries(baseHeaders(req, o))) if (!reply.hasHeader(k)) void reply.header(k, v);
    if (!reply.hasHeader('content-security-policy')) void reply.header('content-security-policy', API_CSP);
    if (req.url.startsWith('/v1/') && !reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
    return payload;
  });
}
