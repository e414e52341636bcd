/**
 * The flags of `krs score`, declared once (src/cli/flag-table.ts): the tables below give the
 * command's options (`score.ts`), the type of its parsed flags ({@link ScoreCommandFlags}) and
 * the library options set by plain renames (`optionsOf(flags, SCORE_INPUT_FLAGS)`, in
 * `score-flags.ts`). Between the two tables come the flags generated from the agreements' and
 * the similarities' declarations.
 */
import type { SimilarityOptions } from '../similarity/registry.js';
import type { AgreementOptionValues } from '../tasks/agreement-options.js';
import { agreementFlags } from './agreement-options.js';
import {
  ALPHA_FLAG,
  BACKEND_FLAG,
  BATCH_SIZE_FLAG,
  BETA_FLAG,
  CHANNELS_LAST_FLAG,
  IDS_FLAG,
  JSON_FLAG,
  NULL_SEED_FLAG,
  PAIR_FLAG,
  POOL_FLAG,
  SIMILARITY_FLAG,
  TASK_FLAG,
} from './common-flags.js';
import { ESTIMATOR_FLAG, GRAM_BLOCK_FLAG, MEMORY_BUDGET_FLAG } from './estimator-options.js';
import { type AnyDecl, type FlagsOf, flag } from './flag-table.js';
import { repeated } from './options.js';
import { STUDENT_OUTPUTS_FLAG, TEACHER_OUTPUTS_FLAG } from './output-kind-options.js';
import { REPORT_FLAGS } from './report-options.js';
import { SERVE_FLAGS } from './serve-options.js';
import { SHARD_FLAGS } from './shard-options.js';
import { similarityFlags } from './similarity-options.js';

/** What is scored and how the inputs are read. */
export const SCORE_INPUT_FLAGS = [
  TASK_FLAG,
  flag('--teacher <path>', 'teacher capture (.npz, .safetensors, folder of .npy), COCO-results JSON (detection) or folder of PNG label maps (segmentation)', {
    required: true,
  }),
  flag('--student <path>', 'student capture, same kinds as --teacher; repeat it to compare several students on the same samples', {
    parse: repeated,
    required: true,
  }),
  flag('--teacher-features <capture>', 'teacher activations, when --teacher holds only outputs (detection, PNG label maps)'),
  flag('--student-features <capture>', 'student activations, when --student holds only outputs'),
  PAIR_FLAG,
  ALPHA_FLAG,
  BETA_FLAG,
  SIMILARITY_FLAG,
  POOL_FLAG,
  CHANNELS_LAST_FLAG,
  TEACHER_OUTPUTS_FLAG,
  STUDENT_OUTPUTS_FLAG,
  flag('--output-key <key>', 'name of the output array in both captures (default by task: logits/probs, predictions, labels)', { to: true }),
  IDS_FLAG,
] as const;

/** How the run is computed, its reference levels, shards, posts and outputs. */
export const SCORE_RUN_FLAGS = [
  ESTIMATOR_FLAG,
  MEMORY_BUDGET_FLAG,
  GRAM_BLOCK_FLAG,
  BATCH_SIZE_FLAG,
  BACKEND_FLAG,
  flag(
    '--baseline <capture>',
    "a baseline student capture (e.g. trained without distillation): its scores are shown next to the student's, with student − baseline and its paired interval and p-value",
  ),
  flag('--baseline-features <capture>', "the baseline's activations, when --baseline holds only outputs (detection, PNG label maps)"),
  flag('--no-null', "skip the null level (the student's samples shuffled against the teacher's: one more scoring pass)"),
  NULL_SEED_FLAG,
  ...SHARD_FLAGS,
  ...SERVE_FLAGS,
  flag('--no-progress', 'no progress bar on stderr (shown only on a terminal)'),
  JSON_FLAG,
  ...REPORT_FLAGS,
] as const;

/** Every flag of `krs score`, in the order `--help` lists them. */
export function scoreFlagTable(): readonly AnyDecl[] {
  return [...SCORE_INPUT_FLAGS, ...agreementFlags(), ...similarityFlags(), ...SCORE_RUN_FLAGS];
}

/** The flags of `krs score` as commander parses them (`--student` is repeatable). */
export type ScoreCommandFlags = FlagsOf<typeof SCORE_INPUT_FLAGS> & FlagsOf<typeof SCORE_RUN_FLAGS> & AgreementOptionValues & SimilarityOptions;

/** The flags of one student's run. */
export type ScoreFlags = Omit<ScoreCommandFlags, 'student'> & { student: string };
