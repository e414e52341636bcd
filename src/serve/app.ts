/**
 * The HTTP side of `krs serve` (fastify): the `/v1/` JSON API, tokens, body and rate limits,
 * the OpenAPI document (@fastify/swagger), server-sent events and the dashboard pages.
 * docs/service.md is its spec.
 */
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { VERSION } from '../version.js';
import { batchFromBytes, batchFromJson } from './batch.js';
import { runChartSvg } from './charts.js';
import { registerDashboard } from './dashboard.js';
import { errorReply, httpErrors } from './http-error.js';
import type { RunService } from './service.js';
import type { Scope, Window } from './store/store.js';

export interface AppOptions {
  service: RunService;
  /** Whether requests need a token (default true; `krs serve` turns it off on loopback unless --auth on). */
  auth?: boolean;
  /** Largest request body, bytes (default 64 MiB). */
  bodyLimit?: number;
  /** Requests per minute per token (or address); 0 turns the limit off (default 6000). */
  rateLimit?: number;
}

export const DEFAULT_BODY_LIMIT = 64 * 1024 * 1024;
export const DEFAULT_RATE_LIMIT = 6000;

const BINARY_TYPES = ['application/octet-stream', 'application/x-npz', 'application/x-safetensors'];

const err = { $ref: 'Error#' };
const runParams = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } as const;
const windowQuery = {
  fromStep: { type: 'integer', minimum: 0, description: 'first step (inclusive)' },
  toStep: { type: 'integer', minimum: 0, description: 'last step (inclusive)' },
  from: { type: 'string', description: 'first time, ISO-8601 (inclusive)' },
  to: { type: 'string', description: 'last time, ISO-8601 (inclusive)' },
} as const;
const atQuery = {
  step: { type: 'integer', minimum: 0, description: 'training step or epoch of the point' },
  time: { type: 'string', description: 'time of the point, ISO-8601 (default: when received)' },
} as const;

function windowOf(q: Record<string, unknown>): Window {
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

/** The bearer token of a request (Authorization header, or `access_token` in the query for EventSource). */
function tokenOf(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (h?.startsWith('Bearer ')) return h.slice(7).trim();
  const q = (req.query as Record<string, unknown> | undefined)?.access_token;
  return typeof q === 'string' && q ? q : null;
}

export async function buildApp(o: AppOptions): Promise<FastifyInstance> {
  const service = o.service;
  const auth = o.auth ?? true;
  const app = Fastify({ bodyLimit: o.bodyLimit ?? DEFAULT_BODY_LIMIT, logger: false, forceCloseConnections: true });
  app.addContentTypeParser(BINARY_TYPES, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.setErrorHandler((e, _req, reply) => {
    const { status, body } = errorReply(e);
    void reply.status(status).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
  });
  app.addSchema({
    $id: 'Error',
    type: 'object',
    properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } }, required: ['code', 'message'] } },
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'krs serve', version: VERSION, description: 'Live KRS: runs, points, series, comparisons and alerts (docs/service.md).' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    refResolver: { buildLocalReference: (json, _base, _frag, i) => (json.$id as string) || `def-${i}` },
  });
  const limit = o.rateLimit ?? DEFAULT_RATE_LIMIT;
  if (limit > 0) {
    await app.register(rateLimit, {
      max: limit,
      timeWindow: '1 minute',
      keyGenerator: (req) => tokenOf(req) ?? req.ip,
      errorResponseBuilder: (_req, ctx) => ({
        statusCode: 429,
        code: 'RATE_LIMITED',
        message: `rate limit: at most ${ctx.max} requests per ${ctx.after}; retry later`,
      }),
    });
  }

  /** A preHandler requiring `scope` (write implies read). */
  const need = (scope: Scope) => async (req: FastifyRequest) => {
    if (!auth) return;
    const token = tokenOf(req);
    if (!token) throw httpErrors.unauthorized(`this request needs a token with ${scope} scope (Authorization: Bearer <token>)`);
    const has = await service.store.tokenScope(token);
    if (!has) throw httpErrors.unauthorized('the token is not known to this server');
    if (scope === 'write' && has !== 'write') throw httpErrors.forbidden('the token has read scope; this request needs write scope');
  };
  const read = need('read');
  const write = need('write');
  const sec = { security: [{ bearer: [] }] };
  const errors4 = { 400: err, 401: err, 403: err, 404: err };

  app.get('/v1/health', { schema: { summary: 'Liveness and the store kind', tags: ['service'], security: [] } }, async () => ({
    ok: true,
    version: VERSION,
    store: service.store.dialect,
  }));

  app.post(
    '/v1/runs',
    {
      preHandler: write,
      schema: {
        summary: 'Create a run (a training run or a deployment)',
        tags: ['runs'],
        ...sec,
        body: {
          type: 'object',
          required: ['name', 'task'],
          properties: {
            name: { type: 'string' },
            kind: { type: 'string', enum: ['training', 'deployment'] },
            teacher: { type: 'string' },
            student: { type: 'string' },
            task: { type: 'string' },
            settings: {
              type: 'object',
              description: 'KrsMetric options: pairs, alpha, similarity, pool, output, intervals… (pairs: [] = output-only)',
              additionalProperties: true,
            },
            tags: { type: 'object', additionalProperties: { type: 'string' } },
            teacherModel: { type: 'string', description: "an .onnx file in the server's --models folder: the server runs the teacher" },
          },
          additionalProperties: false,
        },
        response: { ...errors4, 409: err },
      },
    },
    async (req, reply) => reply.status(201).send(await service.createRun(req.body)),
  );
  app.get(
    '/v1/runs',
    { preHandler: read, schema: { summary: 'Every run with its latest point, sparkline and alert state', tags: ['runs'], ...sec } },
    async () => ({
      runs: await service.listRuns(),
    }),
  );
  app.get('/v1/runs/:name', { preHandler: read, schema: { summary: 'One run', tags: ['runs'], ...sec, params: runParams, response: errors4 } }, async (req) =>
    service.getRun((req.params as { name: string }).name),
  );
  app.post(
    '/v1/runs/:name/batches',
    {
      preHandler: write,
      schema: {
        summary: 'Post a batch of teacher and student outputs and activations (JSON, .npz or .safetensors); scored on the server',
        tags: ['points'],
        ...sec,
        params: runParams,
        querystring: { type: 'object', properties: atQuery },
        response: { ...errors4, 413: err, 429: err },
      },
    },
    async (req, reply) => {
      const name = (req.params as { name: string }).name;
      const q = req.query as { step?: number; time?: string };
      let batch: ReturnType<typeof batchFromJson>;
      let at = { step: q.step, time: q.time };
      if (Buffer.isBuffer(req.body)) batch = batchFromBytes(new Uint8Array(req.body.buffer, req.body.byteOffset, req.body.byteLength));
      else {
        batch = batchFromJson(req.body);
        const b = req.body as { step?: number; time?: string };
        at = { step: b.step ?? q.step, time: b.time ?? q.time };
      }
      return reply.status(201).send(await service.postBatch(name, batch, at));
    },
  );
  app.post(
    '/v1/runs/:name/states',
    {
      preHandler: write,
      schema: {
        summary: 'Post a metric state computed elsewhere (KrsMetric.toJSON()), as {state, step?, time?}',
        tags: ['points'],
        ...sec,
        params: runParams,
        querystring: { type: 'object', properties: atQuery },
        response: { ...errors4, 413: err, 429: err },
      },
    },
    async (req, reply) => {
      const name = (req.params as { name: string }).name;
      const b = req.body as { state?: unknown; step?: number; time?: string } | null;
      if (!b || typeof b !== 'object' || Array.isArray(b) || b.state === undefined)
        throw httpErrors.badRequest('body: expected {state, step?, time?} with state = KrsMetric.toJSON()', 'BAD_VALUE');
      const extra = Object.keys(b).find((k) => !['state', 'step', 'time'].includes(k));
      if (extra) throw httpErrors.badRequest(`body field ${JSON.stringify(extra)}: expected only state, step and time`, 'BAD_VALUE');
      const q = req.query as { step?: number; time?: string };
      return reply.status(201).send(await service.postState(name, b.state, { step: b.step ?? q.step, time: b.time ?? q.time }));
    },
  );
  app.get(
    '/v1/runs/:name/points',
    {
      preHandler: read,
      schema: {
        summary: "A run's points (scores, no states)",
        tags: ['points'],
        ...sec,
        params: runParams,
        querystring: { type: 'object', properties: windowQuery },
        response: errors4,
      },
    },
    async (req) => ({ points: await service.points((req.params as { name: string }).name, windowOf(req.query as Record<string, unknown>)) }),
  );
  app.get(
    '/v1/runs/:name/series',
    {
      preHandler: read,
      schema: {
        summary: "A run's series: the merged states per step, or per time bucket",
        tags: ['points'],
        ...sec,
        params: runParams,
        querystring: {
          type: 'object',
          properties: {
            ...windowQuery,
            by: { type: 'string', enum: ['step', 'time'], default: 'step' },
            bucket: { type: 'integer', minimum: 1, default: 3600, description: 'seconds per time bucket' },
          },
        },
        response: errors4,
      },
    },
    async (req) => {
      const q = req.query as { by: 'step' | 'time'; bucket: number };
      return service.series((req.params as { name: string }).name, q.by, q.bucket, windowOf(req.query as Record<string, unknown>));
    },
  );
  app.get(
    '/v1/runs/:name/window',
    {
      preHandler: read,
      schema: {
        summary: 'The score of the merged states of every point in a window (state=true: and the merged state)',
        tags: ['points'],
        ...sec,
        params: runParams,
        querystring: { type: 'object', properties: { ...windowQuery, state: { type: 'boolean', default: false } } },
        response: errors4,
      },
    },
    async (req) => {
      const q = req.query as { state: boolean };
      const { result: _r, ...w } = await service.window((req.params as { name: string }).name, windowOf(req.query as Record<string, unknown>), q.state);
      return w;
    },
  );
  app.get(
    '/v1/runs/:name/chart.svg',
    {
      preHandler: read,
      schema: {
        summary: 'FSS, AOA and KRS over steps or time, as SVG',
        tags: ['points'],
        ...sec,
        params: runParams,
        querystring: { type: 'object', properties: { by: { type: 'string', enum: ['step', 'time'] }, bucket: { type: 'integer', minimum: 1, default: 60 } } },
      },
    },
    async (req, reply) => {
      const name = (req.params as { name: string }).name;
      const q = req.query as { by?: 'step' | 'time'; bucket: number };
      const run = await service.getRun(name);
      const by = q.by ?? (run.run.kind === 'training' ? 'step' : 'time');
      const s = await service.series(name, by, q.bucket, {});
      return reply.type('image/svg+xml').send(await runChartSvg(name, s));
    },
  );
  app.get(
    '/v1/compare',
    {
      preHandler: read,
      schema: {
        summary: 'Paired comparisons of runs over a window (Δ = later − earlier, paired jackknife)',
        tags: ['points'],
        ...sec,
        querystring: { type: 'object', required: ['runs'], properties: { runs: { type: 'string', description: 'comma-separated run names' }, ...windowQuery } },
        response: errors4,
      },
    },
    async (req) => {
      const q = req.query as { runs: string };
      return service.compare(q.runs.split(',').filter(Boolean), windowOf(req.query as Record<string, unknown>));
    },
  );
  app.post(
    '/v1/runs/:name/alerts',
    {
      preHandler: write,
      schema: {
        summary: 'Add an alert rule',
        tags: ['alerts'],
        ...sec,
        params: runParams,
        body: {
          type: 'object',
          required: ['kind', 'threshold'],
          properties: {
            kind: { type: 'string', enum: ['krs_below', 'aoa_below', 'krs_drop'] },
            threshold: { type: 'number' },
            window: { type: 'integer' },
            webhook: { type: 'string' },
          },
          additionalProperties: false,
        },
        response: errors4,
      },
    },
    async (req, reply) => (reply as FastifyReply).status(201).send(await service.addRule((req.params as { name: string }).name, req.body)),
  );
  app.get(
    '/v1/runs/:name/alerts',
    {
      preHandler: read,
      schema: { summary: "A run's alert rules with their state, and recent events", tags: ['alerts'], ...sec, params: runParams, response: errors4 },
    },
    async (req) => service.alerts((req.params as { name: string }).name),
  );
  app.delete(
    '/v1/runs/:name/alerts/:id',
    {
      preHandler: write,
      schema: {
        summary: 'Remove an alert rule',
        tags: ['alerts'],
        ...sec,
        params: { type: 'object', properties: { name: { type: 'string' }, id: { type: 'integer' } }, required: ['name', 'id'] },
        response: errors4,
      },
    },
    async (req, reply) => {
      const p = req.params as { name: string; id: number };
      await service.deleteRule(p.name, p.id);
      return (reply as FastifyReply).status(204).send();
    },
  );
  app.get(
    '/v1/events',
    {
      preHandler: read,
      schema: {
        summary: 'Server-sent events: run, point and alert (token as access_token when EventSource cannot send headers)',
        tags: ['service'],
        ...sec,
        querystring: { type: 'object', properties: { run: { type: 'string', description: 'only this run' }, access_token: { type: 'string' } } },
      },
    },
    (req, reply) => sse(service, req, reply),
  );

  // Dashboard pages: shells without data; their scripts read the API with the token they are given.
  registerDashboard(app);
  return app;
}

function sse(service: RunService, req: FastifyRequest, reply: FastifyReply): void {
  const only = (req.query as { run?: string }).run;
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.write(': krs events\n\n');
  const send = (type: string) => (data: { run?: string; name?: string }) => {
    const run = data.run ?? data.name;
    if (only && run !== only) return;
    res.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const onPoint = send('point');
  const onAlert = send('alert');
  const onRun = send('run');
  service.on('point', onPoint);
  service.on('alert', onAlert);
  service.on('run', onRun);
  const beat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
  beat.unref();
  req.raw.on('close', () => {
    clearInterval(beat);
    service.off('point', onPoint);
    service.off('alert', onAlert);
    service.off('run', onRun);
  });
}
