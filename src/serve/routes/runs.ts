/** Routes of runs: health, create, list, read, update (archive, tags, retention), delete. */
import { VERSION } from '../../version.js';
import { canWrite } from '../auth.js';
import { errorResponses, healthResponse, newRunBody, runDetail, runEntry, runParams, runPatchBody } from '../schemas.js';
import { nameOf, type RouteContext, sec } from './context.js';

export function registerRunRoutes(ctx: RouteContext): void {
  registerRunCollection(ctx);
  registerRunItem(ctx);
}

/** Health, create a run, list runs. */
function registerRunCollection({ app, service }: RouteContext): void {
  app.get(
    '/v1/health',
    { config: { unlimited: true }, schema: { summary: 'Liveness and the store kind', tags: ['service'], security: [], response: { 200: healthResponse } } },
    async () => ({ ok: true, version: VERSION, store: service.store.dialect }),
  );
  app.post(
    '/v1/runs',
    {
      config: { scope: 'write' },
      schema: {
        summary: 'Create a run (a training run or a deployment)',
        tags: ['runs'],
        ...sec,
        body: newRunBody,
        response: { 201: { $ref: 'Run#' }, ...errorResponses(400, 401, 403, 409, 413, 415, 429) },
      },
    },
    async (req, reply) => reply.status(201).send(await service.createRun(req.body)),
  );
  app.get(
    '/v1/runs',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Every run with its latest point, sparkline and alert state (archived runs with archived=true)',
        tags: ['runs'],
        ...sec,
        querystring: { type: 'object', properties: { archived: { type: 'boolean', default: false } } },
        response: { 200: { type: 'object', required: ['runs'], properties: { runs: { type: 'array', items: runEntry } } }, ...errorResponses(400, 401, 429) },
      },
    },
    async (req) => ({ runs: await service.listRuns((req.query as { archived: boolean }).archived) }),
  );
}

/** Read, update (archive, tags, retention) and delete one run. */
function registerRunItem({ app, service }: RouteContext): void {
  app.get(
    '/v1/runs/:name',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'One run, its point count and extent, latest point and alert rules',
        tags: ['runs'],
        ...sec,
        params: runParams,
        response: { 200: runDetail, ...errorResponses(400, 401, 404, 429) },
      },
    },
    async (req) => service.getRun(nameOf(req), canWrite(req)),
  );
  app.patch(
    '/v1/runs/:name',
    {
      config: { scope: 'write' },
      schema: {
        summary: 'Archive or restore a run, replace its tags, set its retention',
        tags: ['runs'],
        ...sec,
        params: runParams,
        body: runPatchBody,
        response: { 200: { $ref: 'Run#' }, ...errorResponses(400, 401, 403, 404, 415, 429) },
      },
    },
    async (req) => service.updateRun(nameOf(req), req.body),
  );
  app.delete(
    '/v1/runs/:name',
    {
      config: { scope: 'write' },
      schema: {
        summary: 'Delete a run with all its points, buckets, rules and events',
        tags: ['runs'],
        ...sec,
        params: runParams,
        response: { 204: { description: 'deleted', type: 'null' }, ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    async (req, reply) => {
      await service.deleteRun(nameOf(req));
      return reply.status(204).send();
    },
  );
}
