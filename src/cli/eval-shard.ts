/**
 * `krs eval --shard i/N --state-out FILE` and the eval half of `krs merge`: a shard runs both
 * models on its contiguous run of whole batches and writes the metric state (`student0`), the
 * counts that add across shards (accuracy, errors, timings) and the result's context; the merge
 * turns them into the result `krs eval` prints (src/krs/shards.ts).
 */
import { basename } from 'node:path';
import { errors } from '../core/errors.js';
import { fingerprint } from '../io/node-fingerprint.js';
import { writeStateFileAsync } from '../io/node-state-file.js';
import { KrsMetric } from '../krs/metric.js';
import { documentMetrics, type ShardDocument, type ShardSpec, shardDocument } from '../krs/shards.js';
import type { MatrixBackend } from '../linalg/backend.js';
import { type EvalContext, type EvalResult, finishEval } from '../runtime/eval.js';

/** Write the state of one eval shard (see {@link runEvalShard}). */
export async function writeEvalShard(
  part: Awaited<ReturnType<typeof import('../runtime/eval.js').runEvalShard>>,
  spec: ShardSpec,
  file: string,
): Promise<{ document: ShardDocument; bytes: number }> {
  const { backend: _b, firstSample: _f, ...options } = part.metric.options;
  const c = part.context;
  const settings = JSON.parse(
    JSON.stringify({
      teacher: basename(c.teacher.file),
      student: basename(c.student.file),
      // The models' bytes: shards of other models are refused even when the file names agree.
      inputs: { teacher: fingerprint(c.teacher.file), student: fingerprint(c.student.file) },
      data: c.data.name,
      samples: c.samples,
      batchSize: c.batchSize,
      backend: part.metric.options.backend?.name ?? null,
      metric: options,
    }),
  );
  const document = shardDocument({
    command: 'eval',
    settings,
    samples: c.samples,
    range: part.range,
    shard: spec,
    metrics: { student0: part.metric.toJSON() },
    sums: part.sums,
    context: c as unknown as Record<string, unknown>,
  });
  return { document, bytes: await writeStateFileAsync(file, document) };
}

/** The eval result of a merged document. Captures written by several shards are per shard: not named in the result. */
export async function finishEvalDocument(document: ShardDocument, backend: MatrixBackend): Promise<EvalResult> {
  const context = document.context as unknown as EvalContext;
  const side = (x: unknown) => Boolean(x) && typeof (x as { file?: unknown }).file === 'string' && Array.isArray((x as { inputs?: unknown }).inputs);
  if (
    !Number.isInteger(context.samples) ||
    !side(context.teacher) ||
    !side(context.student) ||
    !Array.isArray(context.warnings) ||
    !context.data ||
    typeof context.data.name !== 'string' ||
    !Number.isInteger(context.batchSize)
  ) {
    throw errors.badState('eval state', 'its context lacks the models, data or samples (not written by krs eval --state-out)');
  }
  const metrics = documentMetrics(document);
  if (metrics.student0 === undefined) throw errors.badState('eval state', "it holds no metric 'student0'");
  const metric = KrsMetric.fromJSON(metrics.student0, backend);
  const shards = document.parts.reduce((a, p) => a + p.shards.length, 0);
  const merged = shards > 1 ? { ...context, captures: null } : context;
  return finishEval(merged, metric, document.sums);
}
