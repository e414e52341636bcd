/**
 * The flags of `krs score` as library options: the flags' type, the run of one student
 * (`runScore`, `withScoreOptions`: captures opened by input format, backend chosen, progress
 * bar), and the baseline. Shared by the command (`score.ts`) and its shards (`score-shard.ts`).
 */
import { readdirSync, statSync } from 'node:fs';
import { groupDetections } from '../agreement/detection.js';
import type { ScoreKind } from '../agreement/output-kind.js';
import { errors } from '../core/errors.js';
import { openCapture } from '../io/node-capture.js';
import { readCocoResults } from '../io/node-coco.js';
import { readLabelMapFolder } from '../io/node-label-map.js';
import type { KrsMetric } from '../krs/metric.js';
import { baselineLevelOf } from '../krs/reference-levels.js';
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
import type { SimilarityOptions } from '../similarity/registry.js';
import type { EstimatorChoice } from '../similarity/spec.js';
import { similarityOptionsOf } from './similarity-options.js';
import { type Task, taskSpec } from '../tasks/registry.js';
import { type BACKENDS, chooseBackend } from './backend.js';
import { cliIo } from './io.js';
import { progressBar } from './progress.js';

/** `krs score`'s parsed flags; the similarities' own options (`rbfThreshold`, …) by their API names. */
export interface ScoreFlags extends SimilarityOptions {
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
export async function scoreWithMetric(o: ScoreFlags): Promise<{ result: ScoreCapturesResult; metric: KrsMetric }> {
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
    similarityOptions: similarityOptionsOf(o),
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
