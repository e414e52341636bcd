/**
 * `krs score --shard i/N --state-out FILE` and the score half of `krs merge`: a shard folds its
 * batches of every student (and of the null level and the baseline) into metric states and
 * writes them with the context each result reports; the merge turns the merged states into
 * the very results `krs score` prints (src/krs/shards.ts).
 *
 * Metric names in the document: `student<k>`, `null<k>` (the null level, unless --no-null) and
 * `baseline<k>` (with --baseline) for the k-th --student.
 */
import { basename } from 'node:path';
import { errors } from '../core/errors.js';
import { fingerprint } from '../io/node-fingerprint.js';
import { writeStateFileAsync } from '../io/node-state-file.js';
import { type GramShareJSON, gramShare, sampleSpacePairs } from '../krs/gram-shards.js';
import { KrsMetric, type KrsMetricOptions } from '../krs/metric.js';
import {
  finishScore,
  foldScore,
  nullRowOf,
  planScore,
  type ScoreCapturesResult,
  type ScoreContext,
  type ScorePlan,
  scoreContext,
  verifyScoreArrays,
} from '../krs/score-captures.js';
import { documentMetrics, documentReducedPairs, type ShardDocument, type ShardSpec, shardBatches, shardDocument, shardRange } from '../krs/shards.js';
import type { MatrixBackend } from '../linalg/backend.js';
import { attachBaseline, baselineFlags, type ScoreFlags, withScoreOptions } from './score-flags.js';

/** What a merged score document holds in its context. */
interface ScoreShardContext {
  names: string[];
  students: ScoreContext[];
  baselines: (ScoreContext | null)[];
  baseline: string | null;
  /** The flags the report's capture charts read (paths of the captures). */
  report: Record<string, unknown>;
}

/**
 * The settings of a plan that every shard must share (everything but the shard's own first
 * sample), with fingerprints of the input files (src/io/node-fingerprint.ts): shards of other
 * files are refused by the merge even when the files' names agree.
 */
function planSettings(plan: ScorePlan, o: ScoreFlags, file: string): Record<string, unknown> {
  const { backend, firstSample: _f, ...options }: KrsMetricOptions = plan.metricOptions;
  const inputs = {
    teacher: fingerprint(o.teacher),
    student: fingerprint(file),
    ...(o.teacherFeatures ? { teacherFeatures: fingerprint(o.teacherFeatures) } : {}),
    ...(o.studentFeatures ? { studentFeatures: fingerprint(o.studentFeatures) } : {}),
  };
  return JSON.parse(
    JSON.stringify({
      teacher: basename(plan.options.teacher.source),
      student: basename(file),
      inputs,
      // How the output kinds were decided (set by flag, or told from the values): shards of a
      // run decide them alike, even where both ways reach the same kind.
      outputKinds: { teacher: o.teacherOutputs ?? 'from the values', student: o.studentOutputs ?? 'from the values' },
      samples: plan.n,
      batches: plan.batches.length,
      batchSize: plan.batchSize,
      reference: plan.reference,
      backend: backend?.name ?? null,
      metric: options,
    }),
  );
}

/** Fold shard `spec` of every student into one document and write it to `file`. */
export async function writeScoreShard(
  o: ScoreFlags,
  students: readonly string[],
  spec: ShardSpec,
  file: string,
): Promise<{ document: ShardDocument; bytes: number; range: [number, number] }> {
  const metrics: Record<string, unknown> = {};
  const gram: Record<string, Record<string, GramShareJSON>> = {};
  const settings: Record<string, unknown>[] = [];
  const context: ScoreShardContext = { names: [...students], students: [], baselines: [], baseline: o.baseline ?? null, report: reportFlags(o) };
  let samples = 0;
  let range: [number, number] = [0, 0];
  const fold = async (flags: ScoreFlags, label: string) =>
    withScoreOptions(
      flags,
      async (options) => {
        await verifyScoreArrays(options);
        const plan = planScore(options);
        const batches = shardBatches(plan.batches, spec);
        const folded = await foldScore(plan, batches);
        // Sample-space pairs: this shard's share of the Gram pass over all samples replaces its rows.
        const wide = sampleSpacePairs(plan);
        const gram = {
          metric: await gramShare(plan, folded.metric, wide, plan.studentRowOf, spec),
          null: folded.nullMetric ? await gramShare(plan, folded.nullMetric, wide, nullRowOf(plan), spec) : {},
        };
        return { plan, folded, gram, range: shardRange(plan.batches, spec, plan.n) };
      },
      label,
    );
  for (const [k, student] of students.entries()) {
    const flags = { ...o, student };
    const s = await fold(flags, `score ${spec.index}/${spec.count}`);
    samples = s.plan.n;
    range = s.range;
    metrics[`student${k}`] = s.folded.metric.toJSON();
    gram[`student${k}`] = s.gram.metric;
    if (s.folded.nullMetric) {
      metrics[`null${k}`] = s.folded.nullMetric.toJSON();
      gram[`null${k}`] = s.gram.null;
    }
    context.students.push(scoreContext(s.plan));
    settings.push(planSettings(s.plan, flags, student));
    if (o.baseline) {
      const b = await fold(baselineFlags(flags), `baseline ${spec.index}/${spec.count}`);
      metrics[`baseline${k}`] = b.folded.metric.toJSON();
      gram[`baseline${k}`] = b.gram.metric;
      context.baselines.push(scoreContext(b.plan));
      settings.push(planSettings(b.plan, baselineFlags(flags), o.baseline));
    } else {
      context.baselines.push(null);
    }
  }
  const document = shardDocument({
    command: 'score',
    settings: { students: settings },
    samples,
    range,
    shard: spec,
    metrics,
    gram,
    sums: {},
    context: context as unknown as Record<string, unknown>,
  });
  const bytes = await writeStateFileAsync(file, document);
  return { document, bytes, range };
}

/** The flags a score report reads the captures with (for its cross-layer heatmap and forecast charts). */
function reportFlags(o: ScoreFlags): Record<string, unknown> {
  const { teacher, student, teacherFeatures, studentFeatures, ids, pool, channelsLast, batchSize, outputKey, task } = o;
  return JSON.parse(JSON.stringify({ teacher, student, teacherFeatures, studentFeatures, ids, pool, channelsLast, batchSize, outputKey, task }));
}

/** The context of a score document, checked field by field (a state file is input like any other). @throws BAD_VALUE naming the field. */
function checkedContext(raw: Record<string, unknown>): ScoreShardContext {
  const bad = (field: string) => errors.badState('score state', `context.${field} is missing or malformed (not written by krs score --state-out)`);
  const names = raw.names;
  if (!Array.isArray(names) || names.length === 0 || !names.every((x) => typeof x === 'string')) throw bad('names');
  const one = (c: unknown, field: string): ScoreContext => {
    const o = c as Record<string, unknown> | null;
    if (!o || typeof o !== 'object') throw bad(field);
    for (const k of ['teacherFile', 'studentFile'] as const) if (typeof o[k] !== 'string') throw bad(`${field}.${k}`);
    if (!Array.isArray(o.warnings) || !o.warnings.every((w) => typeof w === 'string')) throw bad(`${field}.warnings`);
    if (!Number.isInteger(o.batchSize) || !Number.isInteger(o.nullSeed)) throw bad(`${field}.batchSize`);
    if (o.idKey !== null && typeof o.idKey !== 'string') throw bad(`${field}.idKey`);
    if (o.kinds !== null && (typeof o.kinds !== 'object' || !o.kinds)) throw bad(`${field}.kinds`);
    return o as unknown as ScoreContext;
  };
  if (!Array.isArray(raw.students) || raw.students.length !== names.length) throw bad('students');
  if (!Array.isArray(raw.baselines) || raw.baselines.length !== names.length) throw bad('baselines');
  if (raw.baseline !== null && typeof raw.baseline !== 'string') throw bad('baseline');
  if (!raw.report || typeof raw.report !== 'object') throw bad('report');
  return {
    names: names as string[],
    students: raw.students.map((c, k) => one(c, `students[${k}]`)),
    baselines: raw.baselines.map((c, k) => (c === null ? null : one(c, `baselines[${k}]`))),
    baseline: raw.baseline as string | null,
    report: raw.report as Record<string, unknown>,
  };
}

/** The results of a merged score document, one per student, with the names they were given. */
export async function finishScoreDocument(
  document: ShardDocument,
  backend: MatrixBackend,
): Promise<{ results: ScoreCapturesResult[]; names: string[]; report: Record<string, unknown> }> {
  const context = checkedContext(document.context);
  const metrics = documentMetrics(document);
  const reduced = documentReducedPairs(document);
  const metric = (name: string) => (metrics[name] === undefined ? null : KrsMetric.fromJSON(metrics[name], backend));
  const results: ScoreCapturesResult[] = [];
  const need = (name: string, why: string) => {
    const m = metric(name);
    if (!m) throw errors.badState('score state', `it holds no metric '${name}' for ${why}`);
    return m;
  };
  for (const [k, name] of context.names.entries()) {
    let result = await finishScore(context.students[k]!, {
      metric: need(`student${k}`, `--student ${name}`),
      nullMetric: metric(`null${k}`),
      reduced: { metric: reduced.get(`student${k}`), null: reduced.get(`null${k}`) },
    });
    const bctx = context.baselines[k];
    if (bctx && context.baseline) {
      const base = await finishScore(bctx, {
        metric: need(`baseline${k}`, `--baseline ${context.baseline}`),
        nullMetric: null,
        reduced: { metric: reduced.get(`baseline${k}`) },
      });
      result = attachBaseline(name, result, context.baseline, base);
    }
    results.push(result);
  }
  return { results, names: context.names, report: { ...context.report, student: context.names[0] } };
}
