/**
 * `krs score`: FSS, AOA and KRS of a student capture against a teacher capture — the command,
 * its shards and several students; the flags become library options in `score-flags.ts`.
 */
import { ESTIMATOR_OPTION, GRAM_BLOCK_OPTION, MEMORY_BUDGET_OPTION } from './estimator-options.js';
import { addSimilarityOptions } from './similarity-options.js';
import type { Command } from 'commander';
import type { ScoreCommandFlags } from './score-action.js';
import { STUDENT_OUTPUTS_OPTION, TEACHER_OUTPUTS_OPTION } from './output-kind-options.js';
import { RUN_KIND_OPTION, RUN_OPTION, SERVE_OPTION, STEP_OPTION } from './serve-options.js';
import { TASKS } from '../tasks/registry.js';
import { SIMILARITIES } from '../similarity/registry.js';
import { POOLINGS } from '../similarity/features.js';
import { BACKENDS } from './backend.js';
import { collect, parseChoice, parseNumber, parsePositiveInt, parseSeedOf } from './options.js';
import { CHARTS_OPTION, REPORT_OPTION } from './report-options.js';
import { SHARD_OPTION, STATE_OUT_OPTION } from './shard-options.js';

export function registerScore(program: Command): void {
  const cmd = program
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
    .option('--mse-max <m>', 'regression: worst-case MSE normaliser (default: variance of the teacher outputs)', parseNumber('--mse-max'));
  addSimilarityOptions(cmd)
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
    .option('--null-seed <n>', "seed of the null level's permutation (default 1)", parseSeedOf('--null-seed'))
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
    // The work loads when the command runs (not for --help or other commands).
    .action(async (o: ScoreCommandFlags) => (await import('./score-action.js')).scoreAction(o));
}
