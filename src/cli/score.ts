/**
 * `krs score`: FSS, AOA and KRS of a student capture against a teacher capture.
 */
import type { EstimatorChoice } from '../similarity/spec.js';
import { ESTIMATOR_OPTION, GRAM_BLOCK_OPTION, MEMORY_BUDGET_OPTION } from './estimator-options.js';
import type { Command } from 'commander';
import { cliIo } from './io.js';
import type { ScoreKind } from '../agreement/output-kind.js';
import { STUDENT_OUTPUTS_OPTION, TEACHER_OUTPUTS_OPTION } from './output-kind-options.js';
import { readdirSync, statSync } from 'node:fs';
import { errors } from '../core/errors.js';
import { groupDetections } from '../agreement/detection.js';
import {
  finishScore,
  foldScore,
  planScore,
  scoreCaptures,
  type ScoreCapturesOptions,
  type ScoreCapturesResult,
  scoreContext,
  verifyScoreArrays,
} from '../krs/score-captures.js';
import type { KrsMetric } from '../krs/metric.js';
import { postToServe, RUN_KIND_OPTION, RUN_OPTION, runKindOf, SERVE_OPTION, STEP_OPTION, serveTarget } from './serve-options.js';
import { TASKS, type Task, taskSpec } from '../tasks/registry.js';
import { SIMILARITIES } from '../similarity/registry.js';
import { POOLINGS } from '../similarity/features.js';
import { openCapture } from '../io/node-capture.js';
import { readCocoResults } from '../io/node-coco.js';
import { readLabelMapFolder } from '../io/node-label-map.js';
import { chooseBackend, BACKENDS } from './backend.js';
import { collect, parseChoice, parseNumber, parsePositiveInt } from './options.js';
import { toJson } from './format.js';
import { krsSummary, printStudents, studentsSummary } from './krs-summary.js';
import { type Comparison, compareStudents } from '../krs/compare.js';
import { baselineLevelOf } from '../krs/reference-levels.js';
import { progressBar } from './progress.js';
import { CHARTS_OPTION, REPORT_OPTION, scoreReportInput, studentsReportInput, writeCliReport } from './report-options.js';
import { SHARD_OPTION, STATE_OUT_OPTION, shardRun, stateLine } from './shard-options.js';
import type { ShardSpec } from '../krs/shards.js';

export function registerScore(program: Command): void {
  program
    .command('score')
    .description('score a student capture against a teacher capture (FSS, AOA, KRS)')
    .requiredOption('--task <task>', `task: ${TASKS.join(', ')}`, parseChoice('--task', TASKS))
    .requiredOption(
      '--teacher <path>',
      'teacher capture (.npz, .safetensors, folder of .npy), COCO-results JSON (detection) or folder of PNG label maps (segmentation)',
    )
    .requiredOption('--student <path>', 'student capture, same kinds as --teacher; repeat it to compare several students on the same samples', collect)
    .option('--teacher-features <capture>', 'teacher activations, when --teacher holds only outputs (detection, PNG label maps)')
    .option('--student-features <capture>', 'student activations, when --student holds only outputs')
    .option('--pair <teacher:student>', 'a layer pair (repeatable); default: layers with the same name in both', collect)
    .option('--alpha <a>', 'weight of FSS in [0, 1]; default: the task preset', parseNumber('--alpha'))
    .option('--beta <b>', 'weight of AOA; must equal 1 − alpha', parseNumber('--beta'))
    .option('--similarity <kind>', `${SIMILARITIES.join(', ')}; default: the task preset`, parseChoice('--similarity', SIMILARITIES))
    .option('--pool <how>', `${POOLINGS.join(', ')}: how activations become vectors (default flatten; mean for nlp)`, parseChoice('--pool', POOLINGS))
    .option('--channels-last', 'spatial activations are NHWC, not NCHW')
    .option('--temperature <t>', 'softmax temperature for KL agreement (default 1)', parseNumber('--temperature'))
    .option(...TEACHER_OUTPUTS_OPTION)
    .option(...STUDENT_OUTPUTS_OPTION)
    .option('--output-key <key>', 'name of the output array in both captures (default by task: logits/probs, predictions, labels)')
    .option('--ids <key>', 'array of sample ids in both captures: align samples by id (default: ids or sample_ids when both have it)')
    .option('--score-min <s>', 'detection: keep boxes with score ≥ s (default 0.5)', parseNumber('--score-min'))
    .option('--iou-min <t>', 'detection: a matched pair needs IoU ≥ t (default 0.5)', parseNumber('--iou-min'))
    .option('--ignore-label <l>', 'segmentation: teacher label to skip (default 255)', parseNumber('--ignore-label'))
    .option('--mse-max <m>', 'regression: worst-case MSE normaliser (default: variance of the teacher outputs)', parseNumber('--mse-max'))
    .option('--rbf-threshold <θ>', 'cka-rbf: σ = θ·√(median squared distance) (default 0.8)', parseNumber('--rbf-threshold'))
    .option(...ESTIMATOR_OPTION)
    .option(...MEMORY_BUDGET_OPTION)
    .option(...GRAM_BLOCK_OPTION)
    .option('--batch-size <n>', 'samples per streamed batch (also the minibatch size of the minibatch estimator)', parsePositiveInt('--batch-size'))
    .option('--backend <name>', `matrix backend: ${BACKENDS.join(', ')} (default auto)`, parseChoice('--backend', BACKENDS))
    .option(
      '--baseline <capture>',
      "a baseline student capture (e.g. trained without distillation): its scores are shown next to the student's, with student − baseline and its paired interval and p-value",
    )
    .option('--baseline-features <capture>', "the baseline's activations, when --baseline holds only outputs (detection, PNG label maps)")
    .option('--no-null', "skip the null level (the student's samples shuffled against the teacher's: one more scoring pass)")
    .option('--null-seed <n>', "seed of the null level's permutation (default 1)", parseSeed)
    .option(...SHARD_OPTION)
    .option(...STATE_OUT_OPTION)
    .option(...SERVE_OPTION)
    .option(...RUN_OPTION)
    .option(...STEP_OPTION)
    .option(...RUN_KIND_OPTION)
    .option('--no-progress', 'no progress bar on stderr (shown only on a terminal)')
    .option('--json', 'print the result as JSON on stdout')
    .option(...REPORT_OPTION)
    .option(...CHARTS_OPTION)
    .action(async (o) => {
      const students: string[] = o.student;
      const shard = shardRun(o);
      const target = serveTarget(o);
      if (target && (shard || students.length > 1)) {
        throw errors.badOption(
          '--serve',
          o.serve,
          shard ? 'a whole run (post the merged result: krs merge has no --serve yet)' : 'one --student (a run follows one student)',
        );
      }
      if (shard) return scoreShard(o, students, shard);
      if (students.length > 1) return scoreStudents({ ...o, student: students[0]! }, students);
      const one = { ...o, student: students[0]! };
      const scored = await scoreWithMetric(one);
      const result = await withBaseline(one, scored.result);
      if (target) await postToServe(target, scored.metric, { teacher: one.teacher, student: one.student, kind: runKindOf(o) }, o.step);
      await writeCliReport(one, () => scoreReportInput(one, result, o.backend));
      cliIo().stdout.write(o.json ? `${toJson(result)}\n` : `${renderScore(result)}\n`);
      for (const w of result.warnings) cliIo().stderr.write(`warning: ${w}\n`);
    });
}

export interface ScoreFlags {
  task: Task;
  teacher: string;
  student: string;
  teacherFeatures?: string;
  studentFeatures?: string;
  pair?: string[];
  alpha?: number;
  beta?: number;
  similarity?: ScoreCapturesOptions['similarity'];
  pool?: ScoreCapturesOptions['pool'];
  channelsLast?: boolean;
  temperature?: number;
  teacherOutputs?: ScoreKind;
  studentOutputs?: ScoreKind;
  outputKey?: string;
  ids?: string;
  scoreMin?: number;
  iouMin?: number;
  ignoreLabel?: number;
  mseMax?: number;
  rbfThreshold?: number;
  estimator?: EstimatorChoice;
  memoryBudget?: number;
  gramBlock?: number;
  batchSize?: number;
  backend?: (typeof BACKENDS)[number];
  progress?: boolean;
  /** A baseline student capture (reference level). */
  baseline?: string;
  baselineFeatures?: string;
  /** The null level (default on: `--no-null` turns it off) and its seed. */
  null?: boolean;
  nullSeed?: number;
}

/** `--null-seed`: a non-negative integer. */
export function parseSeed(value: string): number {
  const v = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(v)) throw errors.badOption('--null-seed', value, 'a non-negative integer');
  return v;
}

/**
 * With `--baseline`: score the baseline capture against the same teacher with the same options
 * (no null level of its own), and add it to the student's reference levels with the paired
 * difference student − baseline (src/krs/reference-levels.ts).
 */
export async function withBaseline(o: ScoreFlags, result: ScoreCapturesResult): Promise<ScoreCapturesResult> {
  if (!o.baseline) return result;
  return attachBaseline(o.student, result, o.baseline, await runScore(baselineFlags(o)));
}

/** The flags that score the baseline capture of `o` (no null level of its own). */
export function baselineFlags(o: ScoreFlags): ScoreFlags {
  return { ...o, student: o.baseline!, studentFeatures: o.baselineFeatures, null: false, baseline: undefined };
}

/** The student's result with the baseline's level and the paired difference student − baseline. */
export function attachBaseline(student: string, result: ScoreCapturesResult, baselineName: string, base: ScoreCapturesResult): ScoreCapturesResult {
  const baseline = baselineLevelOf({ name: student, result }, { name: baselineName, result: base });
  return {
    ...result,
    reference: { ...result.reference, baseline },
    warnings: [...result.warnings, ...base.warnings.map((w) => `baseline ${baselineName}: ${w}`)],
  };
}

/** `--shard`/`--state-out`: fold the shard and write its state; print one line (or its JSON). */
async function scoreShard(o: ScoreFlags & { json?: boolean; report?: string; charts?: string }, students: string[], shard: { spec: ShardSpec; file: string }) {
  if (o.report || o.charts) {
    throw errors.badOption(
      o.report ? '--report' : '--charts',
      o.report ?? o.charts,
      'a whole run: a shard writes a state (make the report with krs merge --report)',
    );
  }
  const { writeScoreShard } = await import('./score-shard.js');
  const w = await writeScoreShard({ ...o, student: students[0]! }, students, shard.spec, shard.file);
  const line = stateLine(shard.spec, w.range, w.document.samples, shard.file, w.bytes);
  cliIo().stdout.write(
    o.json
      ? `${toJson({ shard: shard.spec, range: w.range, samples: w.document.samples, file: shard.file, bytes: w.bytes, metrics: Object.keys(w.document.parts[0]!.metrics) })}\n`
      : `${line}\n`,
  );
}

/** A folder of PNG label maps: .png files and no .npy files. */
function isPngFolder(path: string): boolean {
  try {
    if (!statSync(path).isDirectory()) return false;
  } catch {
    return false;
  }
  const names = readdirSync(path);
  return names.some((n) => n.toLowerCase().endsWith('.png')) && !names.some((n) => n.endsWith('.npy'));
}

export async function runScore(o: ScoreFlags): Promise<ScoreCapturesResult> {
  return withScoreOptions(o, (options) => scoreCaptures(options));
}

/** {@link runScore}, keeping the student's metric (to post its state with --serve). */
async function scoreWithMetric(o: ScoreFlags): Promise<{ result: ScoreCapturesResult; metric: KrsMetric }> {
  return withScoreOptions(o, async (options) => {
    await verifyScoreArrays(options);
    const plan = planScore(options);
    const folded = await foldScore(plan);
    return { result: await finishScore(scoreContext(plan), folded), metric: folded.metric };
  });
}

/**
 * Build the options of `scoreCaptures` from the flags (captures opened, backend chosen, a
 * progress bar on a terminal) and run `use` with them; the backend is disposed after.
 */
export async function withScoreOptions<T>(o: ScoreFlags, use: (options: ScoreCapturesOptions) => Promise<T>, label = 'score'): Promise<T> {
  const task = o.task;
  const spec = taskSpec(task);
  const backend = await chooseBackend(o.backend ?? 'auto');
  // Batches are scored on this thread, so the bar redraws between batches; on a terminal only.
  const bar = progressBar(label, o.progress !== false && Boolean(cliIo().stderr.isTTY));
  const common = {
    task,
    pairs: o.pair,
    alpha: o.alpha,
    beta: o.beta,
    similarity: o.similarity,
    pool: o.pool,
    channelsLast: o.channelsLast,
    outputKey: o.outputKey,
    ids: o.ids,
    batchSize: o.batchSize,
    estimator: o.estimator,
    memoryBudget: o.memoryBudget,
    gramBlock: o.gramBlock,
    rbfThreshold: o.rbfThreshold,
    backend: backend.backend,
    reference: { null: o.null !== false, seed: o.nullSeed },
    onProgress: (done: number, total: number) => bar.update(done, total),
    output: {
      temperature: o.temperature,
      teacherInputs: o.teacherOutputs,
      studentInputs: o.studentOutputs,
      scoreMin: o.scoreMin,
      iouMin: o.iouMin,
      ignoreLabel: o.ignoreLabel,
      channelsLast: o.channelsLast,
      mseMax: o.mseMax,
    },
  } satisfies Partial<ScoreCapturesOptions>;
  const needFeatures = (side: 'teacher' | 'student', path: string | undefined): string => {
    if (!path) {
      throw errors.badOption(`--${side}-features`, null, `a capture of ${side} activations (the ${task} outputs in --${side} carry no features)`);
    }
    return path;
  };
  try {
    if (spec.outputSource === 'coco-detections') {
      const images = groupDetections(readCocoResults(o.teacher), readCocoResults(o.student));
      return await use({
        ...common,
        teacher: openCapture(needFeatures('teacher', o.teacherFeatures)),
        student: openCapture(needFeatures('student', o.studentFeatures)),
        images,
      });
    }
    if (spec.labelMaps && (isPngFolder(o.teacher) || isPngFolder(o.student))) {
      const t = readLabelMapFolder(o.teacher);
      const s = readLabelMapFolder(o.student);
      return await use({
        ...common,
        teacher: openCapture(needFeatures('teacher', o.teacherFeatures)),
        student: openCapture(needFeatures('student', o.studentFeatures)),
        labelMaps: { teacherFile: o.teacher, studentFile: o.student, teacher: t, student: s },
      });
    }
    return await use({
      ...common,
      teacher: openCapture(o.teacherFeatures ?? o.teacher),
      student: openCapture(o.studentFeatures ?? o.student),
    });
  } finally {
    bar.stop();
    await backend.dispose();
  }
}

/**
 * Several students against one teacher (`--student a --student b …`): each scored as alone
 * (the teacher capture is read once per student), then every pair compared on the same
 * samples and groups (src/krs/compare.ts). JSON: `{students: [...], comparisons: [...]}`.
 */
async function scoreStudents(o: ScoreFlags & { json?: boolean; report?: string; charts?: string }, students: string[]): Promise<void> {
  if (o.studentFeatures)
    throw errors.badOption('--student-features', o.studentFeatures, 'one --student only (several students are compared from their own captures)');
  const results: ScoreCapturesResult[] = [];
  for (const student of students) results.push(await withBaseline({ ...o, student }, await runScore({ ...o, student })));
  printStudents(results, students, o.json, renderStudents);
  await writeCliReport(o, () => studentsReportInput(results, students, compareStudents(results.map((result, i) => ({ name: students[i]!, result })))));
}

/** The readable summary of several students' scores and their paired differences. */
export function renderStudents(results: readonly ScoreCapturesResult[], names: readonly string[], comparisons: readonly Comparison[]): string {
  const r = results[0]!;
  return [
    `krs score — ${r.task}, ${r.n} samples${r.ids ? ` aligned by '${r.ids}'` : ''}, ${results.length} students`,
    `teacher ${r.teacherFile}`,
    '',
    ...studentsSummary(
      results.map((result, i) => ({ name: names[i]!, result })),
      comparisons,
    ),
  ].join('\n');
}

/** The readable summary of a score. */
export function renderScore(r: ScoreCapturesResult): string {
  const lines: string[] = [];
  lines.push(`krs score — ${r.task}, ${r.n} samples${r.ids ? ` aligned by '${r.ids}'` : ''}`);
  lines.push(`teacher ${r.teacherFile}`);
  lines.push(`student ${r.studentFile}`);
  lines.push('');
  lines.push(...krsSummary(r));
  return lines.join('\n');
}
