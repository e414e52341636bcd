/** Routes that read merged states: series, window, the chart, comparisons. */
import { compareResponse, errorResponses, runParams, seriesResponse, windowQuery, windowResponse } from '../schemas.js';
import { nameOf, type RouteContext, sec, windowOf } from './context.js';

export function registerReadRoutes(ctx: RouteContext): void {
  registerStateReads(ctx);
  registerViews(ctx);
}

/** A run's series of merged states, and the merged state of a window. */
function registerStateReads({ app, service }: RouteContext): void {
  const reader = service.reader;
  app.get(
    '/v1/runs/:name/series',
    {
      config: { scope: 'read' },
      schema: {
        summary: "A run's series: the merged states per step bucket or time bucket, scored",
        tags: ['reads'],
        ...sec,
        params: runParams,
        querystring: {
          type: 'object',
          properties: {
            ...windowQuery,
            by: { type: 'string', enum: ['step', 'time'], default: 'step' },
            bucket: { type: 'integer', minimum: 1, description: 'steps per bucket (by=step, default 1), or seconds (by=time, a multiple of 60, default 3600)' },
          },
        },
        response: { 200: seriesResponse, ...errorResponses(400, 401, 404, 429, 503) },
      },
    },
    async (req) => {
      const q = req.query as { by: 'step' | 'time'; bucket?: number };
      return reader.series(nameOf(req), q.by, q.bucket ?? (q.by === 'step' ? 1 : 3600), windowOf(req.query as Record<string, unknown>));
    },
  );
  app.get(
    '/v1/runs/:name/window',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'The score of the merged states of every point in a window (state=true: and the merged state)',
        tags: ['reads'],
        ...sec,
        params: runParams,
        querystring: { type: 'object', properties: { ...windowQuery, state: { type: 'boolean', default: false } } },
        response: { 200: windowResponse, ...errorResponses(400, 401, 404, 429, 503) },
      },
    },
    async (req, reply) => {
      const w = await reader.window(nameOf(req), windowOf(req.query as Record<string, unknown>), (req.query as { state: boolean }).state);
      const head = `{"points":${w.points},"scores":${JSON.stringify(w.scores)}`;
      return reply.type('application/json; charset=utf-8').send(w.stateJson ? `${head},"state":${w.stateJson}}` : `${head}}`);
    },
  );
}

/** The chart of a run, and paired comparisons of runs. */
function registerViews({ app, service }: RouteContext): void {
  const reader = service.reader;
  app.get(
    '/v1/runs/:name/chart.svg',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'FSS, AOA and KRS over steps or time, as SVG (rendered on a compute thread)',
        tags: ['reads'],
        ...sec,
        params: runParams,
        querystring: { type: 'object', properties: { by: { type: 'string', enum: ['step', 'time'] }, bucket: { type: 'integer', minimum: 1 } } },
        response: {
          200: { description: 'the chart', content: { 'image/svg+xml': { schema: { type: 'string' } } } },
          ...errorResponses(400, 401, 404, 429, 503),
        },
      },
    },
    async (req, reply) => {
      const name = nameOf(req);
      const q = req.query as { by?: 'step' | 'time'; bucket?: number };
      const run = await service.run(name);
      const by = q.by ?? (run.row.kind === 'training' ? 'step' : 'time');
      const s = await reader.series(name, by, q.bucket ?? (by === 'step' ? 1 : 60), {});
      return reply.type('image/svg+xml').send(await service.compute.run('renderChart', name, s));
    },
  );
  app.get(
    '/v1/compare',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Paired comparisons of runs over a window (Δ = later − earlier, paired jackknife)',
        tags: ['reads'],
        ...sec,
        querystring: {
          type: 'object',
          required: ['runs'],
          properties: { runs: { type: 'string', maxLength: 2100, description: 'comma-separated run names (2 to 20)' }, ...windowQuery },
        },
        response: { 200: compareResponse, ...errorResponses(400, 401, 404, 429, 503) },
      },
    },
    async (req) => reader.compare((req.query as { runs: string }).runs.split(',').filter(Boolean), windowOf(req.query as Record<string, unknown>)),
  );
}
