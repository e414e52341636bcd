/** Routes of alert rules, and the server-sent event streams of the live dashboard (events.ts). */
import { canWrite } from '../auth.js';
import { EventHub, MAX_STREAMS } from '../events.js';
import { HttpError } from '../http-error.js';
import { alertsResponse, errorResponses, newRuleBody, runParams } from '../schemas.js';
import { baseHeaders } from '../security.js';
import { nameOf, type RouteContext, sec } from './context.js';

export function registerAlertRoutes(ctx: RouteContext): void {
  registerRuleRoutes(ctx);
  registerEventStream(ctx);
}

/** Add, list and remove alert rules. */
function registerRuleRoutes({ app, service }: RouteContext): void {
  app.post(
    '/v1/runs/:name/alerts',
    {
      config: { scope: 'write' },
      schema: {
        summary: 'Add an alert rule',
        tags: ['alerts'],
        ...sec,
        params: runParams,
        body: newRuleBody,
        response: { 201: { $ref: 'Rule#' }, ...errorResponses(400, 401, 403, 404, 415, 429) },
      },
    },
    async (req, reply) => reply.status(201).send(await service.addRule(nameOf(req), req.body)),
  );
  app.get(
    '/v1/runs/:name/alerts',
    {
      config: { scope: 'read' },
      schema: {
        summary: "A run's alert rules with their state (webhooks to write tokens only), and the last 100 events",
        tags: ['alerts'],
        ...sec,
        params: runParams,
        response: { 200: alertsResponse, ...errorResponses(400, 401, 404, 429) },
      },
    },
    async (req) => service.alerts(nameOf(req), canWrite(req)),
  );
  app.delete(
    '/v1/runs/:name/alerts/:id',
    {
      config: { scope: 'write' },
      schema: {
        summary: 'Remove an alert rule',
        tags: ['alerts'],
        ...sec,
        params: { type: 'object', required: ['name', 'id'], properties: { name: { type: 'string' }, id: { type: 'integer' } } },
        response: { 204: { description: 'removed', type: 'null' }, ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    async (req, reply) => {
      await service.deleteRule(nameOf(req), (req.params as { id: number }).id);
      return reply.status(204).send();
    },
  );
}

/** The server-sent event stream (closed with the app). */
function registerEventStream(ctx: RouteContext): void {
  const { app, service } = ctx;
  const hub = new EventHub(service);
  app.addHook('onClose', async () => hub.close());
  app.get(
    '/v1/events',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Server-sent events: run, point and alert (webhook URLs never included); token as access_token where EventSource cannot send headers',
        tags: ['service'],
        ...sec,
        querystring: {
          type: 'object',
          properties: { run: { type: 'string', maxLength: 100, description: 'only this run' }, access_token: { type: 'string' } },
        },
        response: {
          200: { description: 'the event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
          ...errorResponses(401, 429, 503),
        },
      },
    },
    async (req, reply) => {
      if (hub.open >= MAX_STREAMS) throw new HttpError(503, 'BUSY', `${hub.open} event streams are open (at most ${MAX_STREAMS}); retry later`);
      reply.hijack();
      reply.raw.writeHead(200, {
        ...baseHeaders(req, ctx.security),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      hub.add(reply.raw, (req.query as { run?: string }).run);
    },
  );
}
