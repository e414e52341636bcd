/**
 * The API's JSON schemas (docs/openapi.json is built from them): request bodies, query strings
 * and every response, shared ones by `$id`. Small JSON bodies are validated with them before a
 * route runs (no coercion, unknown fields refused); the posting routes' bodies (JSON or binary,
 * up to the body limit) are read and checked on the compute threads instead (`x-raw`), and the
 * tests validate every response against the built document.
 */
import { SIMILARITY_OPTIONS } from '../similarity/registry.js';
import { AGREEMENT_OPTIONS, defaultText } from '../tasks/agreement-options.js';
import { TASKS } from '../tasks/registry.js';
import { ERROR_STATUS } from './http-error.js';

const nullable = (schema: Record<string, unknown>) => ({ ...schema, nullable: true });
const num = { type: 'number' } as const;
const int = { type: 'integer' } as const;
const str = { type: 'string' } as const;
const time = { type: 'string', format: 'date-time' } as const;
const ci = nullable({ type: 'array', items: num, minItems: 2, maxItems: 2, description: '95 % interval, points' });
const triple = (s: Record<string, unknown>) => ({ type: 'object', required: ['krs', 'fss', 'aoa'], properties: { krs: s, fss: s, aoa: s } });

/** Shared schemas, by `$id`. */
export const SHARED_SCHEMAS = [
  {
    $id: 'Error',
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: { code: { type: 'string', enum: Object.keys(ERROR_STATUS) }, message: { ...str, description: 'one line naming what is wrong' } },
        additionalProperties: false,
      },
    },
    additionalProperties: false,
  },
  {
    $id: 'Scores',
    type: 'object',
    description: 'FSS, AOA and KRS (points, 0–100) with 95 % intervals; FSS and KRS are null for output-only runs',
    required: ['n', 'fss', 'aoa', 'krs', 'ci95', 'layers', 'warnings'],
    properties: {
      n: int,
      fss: nullable(num),
      aoa: num,
      krs: nullable(num),
      ci95: triple(ci),
      layers: {
        type: 'array',
        items: {
          type: 'object',
          required: ['teacher', 'student', 'similarity', 'score', 'n', 'ci95'],
          properties: { teacher: str, student: str, similarity: str, score: num, n: int, ci95: ci },
        },
      },
      output: { type: 'object', description: "the output agreement's result (metric, aoa, n and its own figures)", additionalProperties: true },
      warnings: { type: 'array', items: str },
    },
  },
  {
    $id: 'Point',
    type: 'object',
    required: ['id', 'step', 'time', 'n', 'fss', 'aoa', 'krs', 'source', 'scores'],
    properties: {
      id: int,
      step: nullable(int),
      time,
      n: int,
      fss: nullable(num),
      aoa: num,
      krs: nullable(num),
      source: { type: 'string', enum: ['batch', 'state', 'teacher'] },
      scores: { $ref: 'Scores#' },
    },
  },
  {
    $id: 'Run',
    type: 'object',
    required: ['name', 'kind', 'teacher', 'student', 'task', 'settings', 'tags', 'teacherModel', 'created', 'archived', 'retainDays', 'shapes'],
    properties: {
      name: str,
      kind: { type: 'string', enum: ['training', 'deployment'] },
      teacher: str,
      student: str,
      task: { type: 'string', enum: [...TASKS] },
      settings: { type: 'object', additionalProperties: true, description: 'KrsMetric options (pairs, alpha, similarity, pool, output, intervals…)' },
      tags: { type: 'object', additionalProperties: str },
      teacherModel: nullable(str),
      created: time,
      archived: { type: 'boolean' },
      retainDays: nullable(num),
      shapes: {
        type: 'object',
        additionalProperties: { oneOf: [str, num] },
        description: 'layer widths, similarities and class count fixed by the first post',
      },
    },
  },
  {
    $id: 'Rule',
    type: 'object',
    required: ['id', 'kind', 'threshold', 'window', 'state', 'since', 'value', 'message'],
    properties: {
      id: int,
      kind: { type: 'string', enum: ['krs_below', 'aoa_below', 'krs_drop'] },
      threshold: num,
      window: nullable(int),
      webhook: nullable({ ...str, description: 'shown to write tokens only' }),
      state: { type: 'string', enum: ['ok', 'firing'] },
      since: nullable(time),
      value: nullable(num),
      message: nullable(str),
    },
  },
  {
    $id: 'PointReply',
    type: 'object',
    required: ['point', 'alerts'],
    properties: { point: { $ref: 'Point#' }, alerts: { type: 'array', items: { $ref: 'Rule#' } } },
  },
  {
    $id: 'Comparison',
    type: 'object',
    required: ['a', 'b', 'delta', 'ci95', 'se', 'p', 'groups', 'reasons'],
    properties: {
      a: str,
      b: str,
      delta: triple(nullable(num)),
      ci95: triple(ci),
      se: triple(nullable(num)),
      p: triple(nullable(num)),
      groups: int,
      reasons: { type: 'object', additionalProperties: str },
    },
  },
];

const ref = (id: string) => ({ $ref: `${id}#` });
/** A shared schema, or null (OpenAPI 3.0 has no null type: a nullable object whose only value is null). */
const refOrNull = (id: string) => ({ oneOf: [ref(id), { type: 'object', nullable: true, enum: [null], description: 'none yet' }] });
export const errorResponses = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, { description: 'error', ...ref('Error') }]));

export const runEntry = {
  type: 'object',
  required: ['run', 'points', 'latest', 'spark', 'alert', 'steps', 'times'],
  properties: {
    run: ref('Run'),
    points: int,
    latest: refOrNull('Point'),
    spark: { type: 'array', items: nullable(num) },
    alert: { type: 'string', enum: ['ok', 'firing'] },
    steps: nullable({ type: 'array', items: int, minItems: 2, maxItems: 2 }),
    times: nullable({ type: 'array', items: time, minItems: 2, maxItems: 2 }),
  },
} as const;

export const runDetail = {
  type: 'object',
  required: ['run', 'points', 'latest', 'steps', 'times', 'alerts'],
  properties: { ...runEntry.properties, alerts: { type: 'array', items: ref('Rule') } },
} as const;

export const seriesResponse = {
  type: 'object',
  required: ['run', 'by', 'bucket', 'series'],
  properties: {
    run: str,
    by: { type: 'string', enum: ['step', 'time'] },
    bucket: { ...int, description: 'steps, or seconds' },
    series: {
      type: 'array',
      items: {
        type: 'object',
        required: ['points', 'n', 'fss', 'aoa', 'krs', 'ci95'],
        properties: { step: int, time, points: int, n: int, fss: nullable(num), aoa: num, krs: nullable(num), ci95: triple(ci) },
      },
    },
  },
} as const;

export const windowResponse = {
  type: 'object',
  required: ['points', 'scores'],
  properties: {
    points: int,
    scores: ref('Scores'),
    state: { type: 'object', description: 'the merged state (KrsMetric.toJSON()), with state=true', additionalProperties: true },
  },
} as const;

export const compareResponse = {
  type: 'object',
  required: ['runs', 'comparisons'],
  properties: {
    runs: { type: 'array', items: { type: 'object', required: ['name', 'points', 'scores'], properties: { name: str, points: int, scores: ref('Scores') } } },
    comparisons: { type: 'array', items: ref('Comparison') },
  },
} as const;

export const alertsResponse = {
  type: 'object',
  required: ['rules', 'events'],
  properties: {
    rules: { type: 'array', items: ref('Rule') },
    events: {
      type: 'array',
      items: {
        type: 'object',
        required: ['rule', 'time', 'state', 'value', 'message'],
        properties: { rule: int, time, state: str, value: nullable(num), message: str },
      },
    },
  },
} as const;

export const pointsResponse = {
  type: 'object',
  required: ['points'],
  properties: { points: { type: 'array', items: ref('Point') }, next: { ...int, description: 'afterId of the next page, when there may be more' } },
} as const;

export const deletedResponse = { type: 'object', required: ['deleted'], properties: { deleted: int } } as const;

export const healthResponse = {
  type: 'object',
  required: ['ok', 'version', 'store'],
  properties: { ok: { type: 'boolean' }, version: str, store: { type: 'string', enum: ['sqlite', 'postgres'] } },
} as const;

export const newRunBody = {
  type: 'object',
  required: ['name', 'task'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$' },
    kind: { type: 'string', enum: ['training', 'deployment'], default: 'training' },
    teacher: { type: 'string', maxLength: 200 },
    student: { type: 'string', maxLength: 200 },
    task: { type: 'string', enum: [...TASKS] },
    settings: {
      type: 'object',
      additionalProperties: true,
      description: 'KrsMetric options: pairs, alpha, similarity, pool, output, intervals… (pairs: [] = output-only)',
      properties: {
        // Generated from the similarities' declarations (src/similarity/registry.ts).
        similarityOptions: {
          type: 'object',
          additionalProperties: false,
          description: 'the similarities’ own options; each similarity reads its own',
          properties: Object.fromEntries(
            SIMILARITY_OPTIONS.map((o) => [o.key, { type: 'number', description: `${o.similarity}: ${o.help}; ${o.expected} (default ${o.default})` }]),
          ),
        },
        // Generated from the output agreements' declarations (src/tasks/agreement-options.ts).
        output: {
          type: 'object',
          additionalProperties: true,
          description: 'the output agreement’s options (and teacherInputs, studentInputs, channelsLast); each agreement reads its own',
          properties: Object.fromEntries(
            AGREEMENT_OPTIONS.map((o) => [
              o.key,
              nullable({ type: 'number', description: `${o.agreement}: ${o.help}; ${o.expected} (default${defaultText(o)})` }),
            ]),
          ),
        },
      },
    },
    tags: { type: 'object', additionalProperties: { type: 'string', maxLength: 256 } },
    teacherModel: { type: 'string', description: "an .onnx file in the server's --models folder: the server runs the teacher" },
    retainDays: nullable({ type: 'number', exclusiveMinimum: 0, maximum: 36_500, description: 'days points are kept (default: the server’s --retain)' }),
  },
} as const;

export const runPatchBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: { archived: { type: 'boolean' }, tags: newRunBody.properties.tags, retainDays: newRunBody.properties.retainDays },
} as const;

export const newRuleBody = {
  type: 'object',
  required: ['kind', 'threshold'],
  additionalProperties: false,
  properties: {
    kind: { type: 'string', enum: ['krs_below', 'aoa_below', 'krs_drop'] },
    threshold: { type: 'number', minimum: 0, maximum: 100 },
    window: { type: 'integer', minimum: 1, maximum: 1000 },
    webhook: { type: 'string', maxLength: 2000 },
  },
} as const;

const array = {
  oneOf: [
    { type: 'array', description: 'nested arrays of numbers' },
    { type: 'object', required: ['shape', 'data'], properties: { shape: { type: 'array', items: int }, data: { type: 'array', items: num } } },
  ],
};
const arrays = { type: 'object', additionalProperties: array };
const binary = { type: 'string', format: 'binary', 'x-raw': true };

/** The batches route's body: JSON, or an .npz / .safetensors file. */
export const batchBody = {
  content: {
    'application/json': {
      schema: {
        'x-raw': true,
        type: 'object',
        additionalProperties: false,
        properties: { step: int, time, teacher: arrays, student: arrays, teacherOutput: array, studentOutput: array, outputMask: array, inputs: arrays },
      },
    },
    'application/x-npz': {
      schema: { ...binary, description: 'arrays teacher.<layer>, student.<layer>, teacher_output, student_output, output_mask, input.<name>' },
    },
    'application/x-safetensors': { schema: { ...binary, description: 'as application/x-npz' } },
    'application/octet-stream': { schema: { ...binary, description: '.npz or .safetensors, told by its first bytes' } },
  },
};

/** The states route's body: JSON `{state, step?, time?}`, or a state file. */
export const stateBody = {
  content: {
    'application/json': {
      schema: {
        'x-raw': true,
        type: 'object',
        required: ['state'],
        additionalProperties: false,
        properties: { state: { type: 'object', description: 'KrsMetric.toJSON()' }, step: int, time },
      },
    },
    'application/x-krs-state': { schema: { ...binary, description: 'a krs state file (src/io/state-file.ts; encodeStateFile(metric.toJSON()))' } },
    'application/octet-stream': { schema: { ...binary, description: 'as application/x-krs-state' } },
  },
};

export const windowQuery = {
  fromStep: { type: 'integer', minimum: 0, description: 'first step (inclusive)' },
  toStep: { type: 'integer', minimum: 0, description: 'last step (inclusive)' },
  from: { type: 'string', format: 'date-time', description: 'first time, ISO-8601 (inclusive)' },
  to: { type: 'string', format: 'date-time', description: 'last time, ISO-8601 (inclusive)' },
} as const;

export const atQuery = {
  step: { type: 'integer', minimum: 0, maximum: 2_147_483_647, description: 'training step or epoch of the point' },
  time: { type: 'string', description: 'time of the point, ISO-8601 (default: when received)' },
} as const;

export const runParams = { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } as const;
