/**
 * `krs eval`: run a teacher and a student ONNX model on the same data in one pass and score
 * the student (FSS, AOA, KRS), with each model's accuracy, the optional cross-layer CKA
 * matrix, and where the time went. With several `--student`s: every student run against the
 * teacher in one pass on the same data (the teacher runs once per batch for all), then every
 * pair compared (src/krs/compare.ts); `--baseline` adds a baseline student to the same pass.
 */
import type { Command } from 'commander';
import type { SimilarityOptions } from '../similarity/registry.js';
import type { AgreementOptionValues } from '../tasks/agreement-options.js';
import { agreementFlags } from './agreement-options.js';
import { BACKENDS } from './backend.js';
import { ALPHA_FLAG, BETA_FLAG, JSON_FLAG, NO_PROGRESS_FLAG, NULL_SEED_FLAG, POOL_FLAG, SIMILARITY_FLAG, TASK_FLAG } from './common-flags.js';
import { ESTIMATOR_FLAG, MEMORY_BUDGET_FLAG } from './estimator-options.js';
import { type AnyDecl, addFlags, type FlagsOf, flag } from './flag-table.js';
import { DATA_FLAGS, modelFlagTable, parseList, preprocessOption } from './model-options.js';
import { oneOf, parsePositiveInt, repeated } from './options.js';
import { REPORT_FLAGS } from './report-options.js';
import { SERVE_FLAGS } from './serve-options.js';
import { SHARD_FLAGS } from './shard-options.js';
import { similarityFlags } from './similarity-options.js';

/** The models, their data and the layers scored. */
export const EVAL_INPUT_FLAGS = [
  flag('--teacher <file>', 'the teacher .onnx model', { required: true }),
  flag(
    '--student <file>',
    'the student .onnx model; repeat it to compare several students on the same data (one pass: the teacher runs once per batch for all of them; --pair and the --student-* options apply to every student)',
    { parse: repeated, required: true },
  ),
  flag(
    '--baseline <file>',
    "a baseline student .onnx model (e.g. trained without distillation), run in the same pass: its scores next to each student's, with student − baseline and its paired interval and p-value",
  ),
  flag('--input <data>', 'data for both: mnist (built-in digits), .npy/.npz, a folder of PNG/JPEG images, or a .csv time series (with --window)'),
  flag('--teacher-input <data>', "the teacher's data, when it differs from the student's (same samples, same order)"),
  flag('--student-input <data>', "the student's data, when it differs from the teacher's"),
  TASK_FLAG,
  flag('--pair <t:s>', "a layer pair teacherTensor:studentTensor (repeatable); default: each model's penultimate features", { parse: repeated }),
  flag('--all-pairs', 'also compute the cross-layer CKA matrix (every teacher layer × every student layer)'),
  flag('--teacher-layers <a,b>', 'teacher layers of the matrix: names or @Op (default: conv, gemm, matmul and ReLU-like outputs)', {
    parse: () => parseList,
  }),
  flag('--student-layers <a,b>', 'student layers of the matrix, likewise', { parse: () => parseList }),
  flag('--preprocess <spec>', 'preprocessing for both models (overridden by --teacher-preprocess / --student-preprocess)', { parse: preprocessOption }),
  ...modelFlagTable('teacher'),
  ...modelFlagTable('student'),
  ...DATA_FLAGS,
  ALPHA_FLAG,
  BETA_FLAG,
  SIMILARITY_FLAG,
  POOL_FLAG,
] as const;

/**
 * The agreement options eval's action passes on (src/cli/eval-action.ts: `output`): every
 * declared one of the tasks eval runs — not detection's `--score-min`/`--iou-min`, since eval
 * refuses detection (its outputs are COCO files `krs score` reads).
 */
const EVAL_AGREEMENT_OPTIONS = ['temperature', 'ignoreLabel', 'mseMax'] as const;

/** How the run is computed, its reference level, shards, posts and outputs. */
export const EVAL_RUN_FLAGS = [
  flag('--backend <name>', `matrix backend for scoring: ${BACKENDS.join(', ')} (default auto)`, { parse: oneOf(BACKENDS) }),
  flag('--save-captures <dir>', 'also write teacher.npz and student.npz (tapped layers, outputs, targets, ids) into dir'),
  flag('--threads <n>', 'ONNX Runtime threads per model (default: all cores)', { parse: parsePositiveInt }),
  flag('--null', "also the null level: the student's samples shuffled against the teacher's (keeps the scored arrays in memory; one more scoring pass)"),
  NULL_SEED_FLAG,
  ...SHARD_FLAGS,
  ...SERVE_FLAGS,
  flag('--no-worker', 'run the models on the main thread (no progress redraw while they run)'),
  NO_PROGRESS_FLAG,
  JSON_FLAG,
  ...REPORT_FLAGS,
] as const;

/** Every flag of `krs eval`, in the order `--help` lists them. */
export function evalFlagTable(): readonly AnyDecl[] {
  return [...EVAL_INPUT_FLAGS, ...agreementFlags(EVAL_AGREEMENT_OPTIONS), ESTIMATOR_FLAG, MEMORY_BUDGET_FLAG, ...similarityFlags(), ...EVAL_RUN_FLAGS];
}

/** The flags of `krs eval` as commander parses them (`--student` is repeatable). */
type EvalDeclaredFlags = FlagsOf<typeof EVAL_INPUT_FLAGS> &
  FlagsOf<typeof EVAL_RUN_FLAGS> &
  FlagsOf<readonly [typeof ESTIMATOR_FLAG, typeof MEMORY_BUDGET_FLAG]> &
  Pick<AgreementOptionValues, (typeof EVAL_AGREEMENT_OPTIONS)[number]> &
  SimilarityOptions;

/** The flags of one run, but the student's file (the per-side model flags also by computed name, `modelFlags`). */
export type EvalCommonFlags = Omit<EvalDeclaredFlags, 'student'> & Record<string, unknown>;

/** The flags of `krs eval` as commander gives them to the action. */
export type EvalCommandFlags = EvalCommonFlags & { student: string[] };

/** The flags of one teacher–student run. */
export type EvalFlags = EvalCommonFlags & { student: string };

export function registerEval(program: Command): void {
  const cmd = program.command('eval').description('run teacher and student ONNX models on a data set and score the student (FSS, AOA, KRS) in one pass');
  addFlags(cmd, evalFlagTable())
    // The work loads when the command runs (not for --help or other commands).
    .action(async (o: EvalCommandFlags) => (await import('./eval-action.js')).evalAction(o));
}
