/**
 * Routes of points: post a batch or a state (bodies handed unread to the compute threads),
 * list points, delete one point or a window of them.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { BodyKind, PostBody } from '../compute/tasks.js';
import { HttpError, httpErrors } from '../http-error.js';
import { atQuery, batchBody, deletedResponse, errorResponses, pointsResponse, runParams, stateBody, windowQuery } from '../schemas.js';
import type { CommitReply } from '../store/types.js';
import { nameOf, type RouteContext, sec, windowOf } from './context.js';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,200}$/;
const idempotencyHeader = {
  type: 'object',
  properties: {
    'idempotency-key': {
      type: 'string',
      description: 'a retry with the same key gets the first answer again and stores nothing (1–200 of A–Z a–z 0–9 . _ : -)',
    },
  },
};

/** The Idempotency-Key of a post, checked. */
function idempotencyKey(req: FastifyRequest): string | undefined {
  const k = req.headers['idempotency-key'];
  if (k === undefined) return undefined;
  if (typeof k !== 'string' || !IDEMPOTENCY_KEY.test(k)) throw httpErrors.badRequest('Idempotency-Key: expected 1–200 letters, digits, ., _, : or -');
  return k;
}

/** The raw body of a post, as the compute threads read it. */
function postBody(req: FastifyRequest, binaryTypes: readonly string[]): PostBody {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const kind: BodyKind = type === 'application/json' ? 'json' : 'binary';
  if (kind === 'binary' && !binaryTypes.includes(type))
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `content-type ${JSON.stringify(type)}: expected application/json or ${binaryTypes.join(', ')}`);
  const buf = req.body as Buffer;
  const q = req.query as { step?: number; time?: string };
  return {
    kind,
    bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength),
    query: { ...(q.step !== undefined ? { step: q.step } : {}), ...(q.time !== undefined ? { time: q.time } : {}) },
    hash: req.headers['idempotency-key'] !== undefined,
  };
}

function answer(reply: FastifyReply, r: CommitReply) {
  if (r.replayed) void reply.header('idempotent-replayed', 'true');
  return reply.status(201).send(r.reply);
}

/** One posting route in a context of its own, whose parsers hand the body over as bytes. */
function postRoute(
  ctx: RouteContext,
  path: string,
  types: readonly string[],
  summary: string,
  body: unknown,
  post: (name: string, b: PostBody, key?: string) => Promise<CommitReply>,
) {
  return ctx.app.register(async (child: FastifyInstance) => {
    child.removeContentTypeParser(['application/json']);
    child.addContentTypeParser(['application/json', ...types], { parseAs: 'buffer', bodyLimit: ctx.bodyLimit }, (_req, b, done) => done(null, b));
    child.post(
      path,
      {
        bodyLimit: ctx.bodyLimit,
        config: { scope: 'write' },
        schema: {
          summary,
          tags: ['points'],
          ...sec,
          params: runParams,
          headers: idempotencyHeader,
          querystring: { type: 'object', properties: atQuery },
          body,
          response: { 201: { $ref: 'PointReply#' }, ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429, 503) },
        },
      },
      async (req, reply) => answer(reply, await post(nameOf(req), postBody(req, types), idempotencyKey(req))),
    );
  });
}

export async function registerPointRoutes(ctx: RouteContext): Promise<void> {
  const { app, service } = ctx;
  await postRoute(
    ctx,
    '/v1/runs/:name/batches',
    ['application/x-npz', 'application/x-safetensors', 'application/octet-stream'],
    'Post a batch of teacher and student outputs and activations (JSON, .npz or .safetensors); scored on the server',
    batchBody,
    (n, b, k) => service.postBatch(n, b, k),
  );
  await postRoute(
    ctx,
    '/v1/runs/:name/states',
    ['application/x-krs-state', 'application/octet-stream'],
    'Post a metric state computed elsewhere: JSON {state: KrsMetric.toJSON(), step?, time?}, or a state file',
    stateBody,
    (n, b, k) => service.postState(n, b, k),
  );
  app.get(
    '/v1/runs/:name/points',
    {
      config: { scope: 'read' },
      schema: {
        summary: "A run's points (scores, no states), oldest first, a page at a time",
        tags: ['points'],
        ...sec,
        params: runParams,
        querystring: {
          type: 'object',
          properties: {
            ...windowQuery,
            limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 1000 },
            afterId: { type: 'integer', minimum: 0, description: 'points after this id (the `next` of the previous page)' },
          },
        },
        response: { 200: pointsResponse, ...errorResponses(400, 401, 404, 429) },
      },
    },
    async (req) => {
      const q = req.query as { limit: number; afterId?: number };
      const points = await service.points(nameOf(req), windowOf(req.query as Record<string, unknown>), { limit: q.limit, afterId: q.afterId });
      return { points, ...(points.length === q.limit ? { next: points.at(-1)!.id } : {}) };
    },
  );
  app.delete(
    '/v1/runs/:name/points/:id',
    {
      config: { scope: 'write' },
      schema: {
        summary: 'Delete one point (the buckets it was in are merged again when next read)',
        tags: ['points'],
        ...sec,
        params: { type: 'object', required: ['name', 'id'], properties: { name: { type: 'string' }, id: { type: 'integer', minimum: 1 } } },
        response: { 204: { description: 'deleted', type: 'null' }, ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    async (req, reply) => {
      await service.deletePoint(nameOf(req), (req.params as { id: number }).id);
      return reply.status(204).send();
    },
  );
  app.delete(
    '/v1/runs/:name/points',
    {
      config: { scope: 'write' },
      schema: {
        summary: 'Delete every point in a window (a step or time range; at least one bound)',
        tags: ['points'],
        ...sec,
        params: runParams,
        querystring: { type: 'object', properties: windowQuery },
        response: { 200: deletedResponse, ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    async (req) => ({ deleted: await service.deletePoints(nameOf(req), windowOf(req.query as Record<string, unknown>)) }),
  );
}
