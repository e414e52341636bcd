/**
 * `krs score`: FSS, AOA and KRS of a student capture against a teacher capture — the command,
 * its shards and several students; the flags become library options in `score-flags.ts`.
 */
import { ESTIMATOR_OPTION, GRAM_BLOCK_OPTION, MEMORY_BUDGET_OPTION } from './estimator-options.js';
import { addSimilarityOptions } from './similarity-options.js';
import type { Command } from 'commander';
import { cliIo } from './io.js';
import { STUDENT_OUTPUTS_OPTION, TEACHER_OUTPUTS_OPTION } from './output-kind-options.js';
import { errors } from '../core/errors.js';
import type { ScoreCapturesResult } from '../krs/score-captures.js';
import { postToServe, RUN_KIND_OPTION, RUN_OPTION, runKindOf, SERVE_OPTION, STEP_OPTION, serveTarget } from './serve-options.js';
import { TASKS } from '../tasks/registry.js';
import { SIMILARITIES } from '../similarity/registry.js';
import { POOLINGS } from '../similarity/features.js';
import { BACKENDS } from './backend.js';
import { collect, parseChoice, parseNumber, parsePositiveInt, parseSeedOf } from './options.js';
import { toJson } from './format.js';
import { krsSummary, printStudents, studentsSummary } from './krs-summary.js';
import { type Comparison, compareStudents } from '../krs/compare.js';
import { CHARTS_OPTION, REPORT_OPTION, scoreReportInput, studentsReportInput, writeCliReport } from './report-options.js';
import { SHARD_OPTION, STATE_OUT_OPTION, shardRun, stateLine } from './shard-options.js';
import { runScore, type ScoreFlags, scoreWithMetric, withBaseline } from './score-flags.js';
import type { ShardSpec } from '../krs/shards.js';

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
