/**
 * The HTTP side of `krs serve` (fastify): the `/v1/` JSON API, tokens and the rate limit,
 * the security hooks, the OpenAPI document (@fastify/swagger), server-sent events and the
 * dashboard. docs/service.md is its spec. Routes only route: the service does the work, off
 * this thread.
 */
import swagger from '@fastify/swagger';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, { type FastifyInstance } from 'fastify';
import { VERSION } from '../version.js';
import { registerAuth } from './auth.js';
import { registerDashboard } from './dashboard.js';
import { errorReply } from './http-error.js';
import { parseJsonBody } from './json-body.js';
import { registerAlertRoutes } from './routes/alerts.js';
import type { RouteContext } from './routes/context.js';
import { registerPointRoutes } from './routes/points.js';
import { registerReadRoutes } from './routes/reads.js';
import { registerRunRoutes } from './routes/runs.js';
import { SHARED_SCHEMAS } from './schemas.js';
import { registerSecurity, type SecurityOptions } from './security.js';
import type { RunService } from './service.js';

export interface AppOptions {
  service: RunService;
  /** Whether requests need a token (default true; `krs serve` turns it off on loopback unless --auth on). */
  auth?: boolean;
  /** Largest body of a posted batch or state, bytes (default 64 MiB). */
  bodyLimit?: number;
  /** Requests per minute per token (or address); 0 turns the limit off (default 6000). */
  rateLimit?: number;
  /** Host names answered besides loopback names (checked without tokens, or when given). */
  allowedHosts?: readonly string[];
  /** Origins whose browser pages may call the API (CORS). */
  cors?: readonly string[];
  /** Where a 500's details go (default: standard error). */
  log?: (line: string) => void;
}

const DEFAULT_BODY_LIMIT = 64 * 1024 * 1024;
const DEFAULT_RATE_LIMIT = 6000;
/** Largest body of the other routes (runs, rules), bytes. */
const SMALL_BODY_LIMIT = 1024 * 1024;

/**
 * Validators: bodies strictly (no coercion, no defaults added, unknown fields refused by the
 * schemas); query strings and path parameters with type coercion (they arrive as text). The
 * posting routes' bodies (`x-raw`) are read on the compute threads instead.
 */
function validators(): (o: { schema: Record<string, unknown>; httpPart?: string }) => (data: unknown) => boolean {
  const strict = new Ajv.default({ coerceTypes: false, useDefaults: false, removeAdditional: false, allErrors: false, strict: false });
  const loose = new Ajv.default({ coerceTypes: 'array', useDefaults: true, removeAdditional: false, allErrors: false, strict: false });
  for (const a of [strict, loose]) {
    addFormats.default(a);
    a.addKeyword({ keyword: 'x-raw' });
    for (const s of SHARED_SCHEMAS) a.addSchema(s);
  }
  return ({ schema, httpPart }) => {
    if (schema['x-raw']) return () => true;
    return (httpPart === 'body' ? strict : loose).compile(schema) as (data: unknown) => boolean;
  };
}

export async function buildApp(o: AppOptions): Promise<FastifyInstance> {
  const { service } = o;
  const auth = o.auth ?? true;
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const app = Fastify({
    bodyLimit: SMALL_BODY_LIMIT,
    logger: false,
    forceCloseConnections: true,
    routerOptions: { maxParamLength: 16_384 },
    return503OnClosing: true,
  });
  app.setValidatorCompiler(validators());
  // Answers are written as they are (the schemas document them; the tests check them).
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => {
    try {
      done(null, (body as Buffer).length === 0 ? undefined : parseJsonBody(body as Buffer));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
  app.setErrorHandler((e, _req, reply) => {
    const { status, body } = errorReply(e, log);
    void reply.status(status).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]!.slice(0, 200)}` } });
  });
  for (const s of SHARED_SCHEMAS) app.addSchema(s);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'krs serve', version: VERSION, description: 'Live KRS: runs, points, series, comparisons and alerts (docs/service.md).' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    refResolver: { buildLocalReference: (json, _base, _frag, i) => (json.$id as string) || `def-${i}` },
  });
  const security: SecurityOptions = {
    allowedHosts: o.allowedHosts ?? [],
    checkHost: !auth || (o.allowedHosts?.length ?? 0) > 0,
    cors: o.cors ?? [],
  };
  registerSecurity(app, security);
  registerAuth(app, service, { auth, rateLimit: o.rateLimit ?? DEFAULT_RATE_LIMIT });
  const ctx: RouteContext = { app, service, security, bodyLimit: o.bodyLimit ?? DEFAULT_BODY_LIMIT };
  registerRunRoutes(ctx);
  await registerPointRoutes(ctx);
  registerReadRoutes(ctx);
  registerAlertRoutes(ctx);
  registerDashboard(app);
  return app;
}
