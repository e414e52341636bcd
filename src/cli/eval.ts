/**
 * `krs eval`: run a teacher and a student ONNX model on the same data in one pass and score
 * the student (FSS, AOA, KRS), with each model's accuracy, the optional cross-layer CKA
 * matrix, and where the time went. With several `--student`s: every student run against the
 * teacher in one pass on the same data (the teacher runs once per batch for all), then every
 * pair compared (src/krs/compare.ts); `--baseline` adds a baseline student to the same pass.
 */
import type { EstimatorChoice } from '../similarity/spec.js';
import { ESTIMATOR_OPTION, MEMORY_BUDGET_OPTION } from './estimator-options.js';
import { addSimilarityOptions } from './similarity-options.js';
import type { Command } from 'commander';
import { TASKS, type Task } from '../tasks/registry.js';
import { RUN_KIND_OPTION, RUN_OPTION, SERVE_OPTION, STEP_OPTION } from './serve-options.js';
import { SHARD_OPTION, STATE_OUT_OPTION } from './shard-options.js';
import { POOLINGS, type Pooling } from '../similarity/features.js';
import { SIMILARITIES, type Similarity, type SimilarityOptions } from '../similarity/registry.js';
import { BACKENDS, type BackendChoice } from './backend.js';
import { addDataOptions, addModelOptions, parseList, preprocessOption, type DataFlags } from './model-options.js';
import { collect, parseChoice, parseNumber, parsePositiveInt, parseSeedOf } from './options.js';
import { CHARTS_OPTION, REPORT_OPTION } from './report-options.js';

/** The flags of one run, but the student's file. */
export interface EvalCommonFlags extends DataFlags, SimilarityOptions, Record<string, unknown> {
  serve?: string;
  run?: string;
  step?: number;
  teacher: string;
  input?: string;
  teacherInput?: string;
  studentInput?: string;
  task: Task;
  pair?: string[];
  allPairs?: boolean;
  teacherLayers?: string[];
  studentLayers?: string[];
  alpha?: number;
  beta?: number;
  similarity?: Similarity;
  pool?: Pooling;
  temperature?: number;
  mseMax?: number;
  estimator?: EstimatorChoice;
  memoryBudget?: number;
  backend?: BackendChoice;
  saveCaptures?: string;
  threads?: number;
  worker: boolean;
  progress: boolean;
  json?: boolean;
  null?: boolean;
  nullSeed?: number;
}

/** The flags of one teacher–student run. */
export interface EvalFlags extends EvalCommonFlags {
  student: string;
}

export function registerEval(program: Command): void {
  const cmd = program
    .command('eval')
    .description('run teacher and student ONNX models on a data set and score the student (FSS, AOA, KRS) in one pass')
    .requiredOption('--teacher <file>', 'the teacher .onnx model')
    .requiredOption(
      '--student <file>',
      'the student .onnx model; repeat it to compare several students on the same data (one pass: the teacher runs once per batch for all of them; --pair and the --student-* options apply to every student)',
      collect,
    )
    .option(
      '--baseline <file>',
      "a baseline student .onnx model (e.g. trained without distillation), run in the same pass: its scores next to each student's, with student − baseline and its paired interval and p-value",
    )
    .option('--input <data>', 'data for both: mnist (built-in digits), .npy/.npz, a folder of PNG/JPEG images, or a .csv time series (with --window)')
    .option('--teacher-input <data>', "the teacher's data, when it differs from the student's (same samples, same order)")
    .option('--student-input <data>', "the student's data, when it differs from the teacher's")
    .requiredOption('--task <task>', `task: ${TASKS.join(', ')}`, parseChoice('--task', TASKS))
    .option('--pair <t:s>', "a layer pair teacherTensor:studentTensor (repeatable); default: each model's penultimate features", collect)
    .option('--all-pairs', 'also compute the cross-layer CKA matrix (every teacher layer × every student layer)')
    .option('--teacher-layers <a,b>', 'teacher layers of the matrix: names or @Op (default: conv, gemm, matmul and ReLU-like outputs)', parseList)
    .option('--student-layers <a,b>', 'student layers of the matrix, likewise', parseList)
    .option(
      '--preprocess <spec>',
      'preprocessing for both models (overridden by --teacher-preprocess / --student-preprocess)',
      preprocessOption('--preprocess'),
    );
  addModelOptions(cmd, 'teacher');
  addModelOptions(cmd, 'student');
  addDataOptions(cmd)
    .option('--alpha <a>', 'weight of FSS in [0, 1]; default: the task preset', parseNumber('--alpha'))
    .option('--beta <b>', 'weight of AOA; must equal 1 − alpha', parseNumber('--beta'))
    .option('--similarity <kind>', `${SIMILARITIES.join(', ')}; default: the task preset`, parseChoice('--similarity', SIMILARITIES))
    .option('--pool <how>', `${POOLINGS.join(', ')}: how activations become vectors (default flatten; mean for nlp)`, parseChoice('--pool', POOLINGS))
    .option('--temperature <t>', 'softmax temperature for KL agreement (default 1)', parseNumber('--temperature'))
    .option('--mse-max <m>', 'regression: worst-case MSE normaliser (default: variance of the teacher outputs)', parseNumber('--mse-max'))
    .option(...ESTIMATOR_OPTION)
    .option(...MEMORY_BUDGET_OPTION);
  addSimilarityOptions(cmd)
    .option('--backend <name>', `matrix backend for scoring: ${BACKENDS.join(', ')} (default auto)`, parseChoice('--backend', BACKENDS))
    .option('--save-captures <dir>', 'also write teacher.npz and student.npz (tapped layers, outputs, targets, ids) into dir')
    .option('--threads <n>', 'ONNX Runtime threads per model (default: all cores)', parsePositiveInt('--threads'))
    .option('--null', "also the null level: the student's samples shuffled against the teacher's (keeps the scored arrays in memory; one more scoring pass)")
    .option('--null-seed <n>', "seed of the null level's permutation (default 1)", parseSeedOf('--null-seed'))
    .option(...SHARD_OPTION)
    .option(...STATE_OUT_OPTION)
    .option(...SERVE_OPTION)
    .option(...RUN_OPTION)
    .option(...STEP_OPTION)
    .option(...RUN_KIND_OPTION)
    .option('--no-worker', 'run the models on the main thread (no progress redraw while they run)')
    .option('--no-progress', 'no progress bar on stderr')
    .option('--json', 'print the result as JSON on stdout')
    .option(...REPORT_OPTION)
    .option(...CHARTS_OPTION)
    // The work loads when the command runs (not for --help or other commands).
    .action(async (o: EvalCommonFlags & { student: string[]; baseline?: string; shard?: string; stateOut?: string }) =>
      (await import('./eval-action.js')).evalAction(o),
    );
}
