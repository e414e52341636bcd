/**
 * The flags of `krs score` as library options: the flags' type, the run of one student
 * (`runScore`, `withScoreOptions`: captures opened by input format, backend chosen, progress
 * bar), and the baseline. Shared by the command (`score.ts`) and its shards (`score-shard.ts`).
 */
import type { KrsMetric } from '../krs/metric.js';
import { openScoreInputs } from '../krs/node-score-inputs.js';
import { baselineLevelOf } from '../krs/reference-levels.js';
import {
  finishScore,
  foldScore,
  planScore,
  type ScoreCapturesOptions,
  type ScoreCapturesResult,
  scoreCaptures,
  scoreContext,
  verifyScoreArrays,
} from '../krs/score-captures.js';
import { agreementOptionsOf } from '../tasks/agreement-options.js';
import { chooseBackend } from './backend.js';
import { optionsOf } from './flag-table.js';
import { cliIo } from './io.js';
import { progressBar } from './progress.js';
import { SCORE_INPUT_FLAGS, SCORE_RUN_FLAGS, type ScoreFlags } from './score-options.js';
import { similarityOptionsOf } from './similarity-options.js';

export type { ScoreFlags } from './score-options.js';

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
  const backend = await chooseBackend(o.backend ?? 'auto');
  // Batches are scored on this thread, so the bar redraws between batches; on a terminal only.
  const bar = progressBar(label, o.progress !== false && Boolean(cliIo().stderr.isTTY));
  try {
    return await use({
      ...optionsOf(o, SCORE_INPUT_FLAGS),
      ...optionsOf(o, SCORE_RUN_FLAGS),
      similarityOptions: similarityOptionsOf(o),
      backend: backend.backend,
      reference: { null: o.null !== false, seed: o.nullSeed },
      onProgress: (done: number, total: number) => bar.update(done, total),
      output: { ...agreementOptionsOf(o), teacherInputs: o.teacherOutputs, studentInputs: o.studentOutputs, channelsLast: o.channelsLast },
      ...openScoreInputs(o),
    });
  } finally {
    bar.stop();
    await backend.dispose();
  }
}
