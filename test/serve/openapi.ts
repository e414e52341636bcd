/**
 * Every answer checked against docs/openapi.json: the route's documented status codes, and the
 * body against the documented schema (JSON Schema with OpenAPI's `nullable`). `checked(app)`
 * wraps `app.inject` so a test that reads an answer has it validated first.
 */
import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';

type Doc = {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>;
  components: { schemas: Record<string, unknown> };
};

const doc = JSON.parse(readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8')) as Doc;
const ajv = new Ajv.default({ strict: false, allErrors: true });
addFormats.default(ajv);
ajv.addKeyword({ keyword: 'x-raw' });
for (const [name, schema] of Object.entries(doc.components.schemas)) ajv.addSchema(schema as object, `#/components/schemas/${name}`);

const routes = Object.entries(doc.paths).map(([path, ops]) => ({
  path,
  pattern: new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`),
  ops,
}));

/** Check one answer: a documented status, and a body matching the documented schema. @throws naming the route and the first mismatch. */
export function checkAnswer(method: string, url: string, r: LightMyRequestResponse): void {
  const path = url.split('?')[0]!;
  if (!path.startsWith('/v1/')) return;
  const route = routes.find((x) => x.pattern.test(path));
  const op = route?.ops[method.toLowerCase()];
  if (!op) {
    if (r.statusCode === 404) return; // an unknown route: the generic not-found answer
    throw new Error(`${method} ${path}: not in docs/openapi.json`);
  }
  const documented = op.responses[String(r.statusCode)];
  if (!documented) throw new Error(`${method} ${route!.path}: status ${r.statusCode} is not documented (${r.body.slice(0, 200)})`);
  const schema = documented.content?.['application/json']?.schema;
  if (!schema) return;
  const validate = ajv.compile(schema as object);
  if (!validate(r.json())) throw new Error(`${method} ${route!.path} ${r.statusCode}: ${ajv.errorsText(validate.errors)} in ${r.body.slice(0, 300)}`);
}

/** `app.inject`, with every answer checked against docs/openapi.json. */
export function checked(app: FastifyInstance): (o: InjectOptions | string) => Promise<LightMyRequestResponse> {
  return async (o) => {
    const opts = typeof o === 'string' ? { url: o } : o;
    const r = await app.inject(opts);
    checkAnswer(opts.method ?? 'GET', String(opts.url ?? opts.path ?? '/'), r);
    return r;
  };
}
