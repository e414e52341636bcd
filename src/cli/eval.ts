/**
 * `krs eval`: run a teacher and a student ONNX model on the same data in one pass and score
 * the student (FSS, AOA, KRS), with each model's accuracy, the optional cross-layer CKA
 * matrix, and where the time went. With several `--student`s: each student run against the
 * teacher on the same data (the teacher runs once per student), then every pair compared
 * (src/krs/compare.ts).
 */
import type { EstimatorChoice } from '../similarity/spec.js';
import { ESTIMATOR_OPTION, MEMORY_BUDGET_OPTION } from './estimator-options.js';
import { addSimilarityOptions, similarityOptionsOf } from './similarity-options.js';
import type { Command } from 'commander';
import { cliIo } from './io.js';
import { errors } from '../core/errors.js';
import { TASKS, type Task } from '../tasks/registry.js';
import { openDataset } from '../runtime/data/open.js';
import { type EvalOptions, type EvalResult, type EvalShardPart, type ModelReport, runEvalShard, runEvalWithMetric } from '../runtime/eval.js';
import type { KrsMetric } from '../krs/metric.js';
import { postToServe, RUN_KIND_OPTION, RUN_OPTION, runKindOf, SERVE_OPTION, STEP_OPTION, serveTarget } from './serve-options.js';
import type { ShardSpec } from '../krs/shards.js';
import { SHARD_OPTION, STATE_OUT_OPTION, shardRun, stateLine } from './shard-options.js';
import { POOLINGS, type Pooling } from '../similarity/features.js';
import { SIMILARITIES, type Similarity, type SimilarityOptions } from '../similarity/registry.js';
import { BACKENDS, chooseBackend, type BackendChoice } from './backend.js';
import { fmt, table, toJson } from './format.js';
import { krsSummary, printStudents, studentsSummary } from './krs-summary.js';
import type { Comparison } from '../krs/compare.js';
import { addDataOptions, addModelOptions, datasetOptions, modelFlags, parseList, preprocessOption, sideOptions, type DataFlags } from './model-options.js';
import { collect, parseChoice, parseNumber, parsePositiveInt, parseSeedOf } from './options.js';
import { progressBar } from './progress.js';
import { CHARTS_OPTION, REPORT_OPTION, evalReportInput, writeCliReport } from './report-options.js';

/** The flags of one run, but the student's file. */
interface EvalCommonFlags extends DataFlags, SimilarityOptions, Record<string, unknown> {
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
interface EvalFlags extends EvalCommonFlags {
  student: string;
}

export function registerEval(program: Command): void {
  const cmd = program
    .command('eval')
    .description('run teacher and student ONNX models on a data set and score the student (FSS, AOA, KRS) in one pass')
    .requiredOption('--teacher <file>', 'the teacher .onnx model')
    .requiredOption(
      '--student <file>',
      'the student .onnx model; repeat it to compare several students on the same data (one run per student, the teacher run each time; --pair and the --student-* options apply to every student)',
      collect,
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
    .action(async (o: EvalCommonFlags & { student: string[]; shard?: string; stateOut?: string }) => {
      const shard = shardRun(o);
      const target = serveTarget(o);
      if (target && (shard || o.student.length > 1)) {
        throw errors.badOption(
          '--serve',
          o.serve,
          shard ? 'a whole run (post the merged result: krs merge has no --serve yet)' : 'one --student (a run follows one student)',
        );
      }
      if (shard) return evalShard(o, shard);
      if (o.student.length > 1) return evalStudents(o, o.student);
      let metric: KrsMetric | null = null;
      const r = await evalCommand({ ...o, student: o.student[0]! }, 'eval', undefined, (m) => (metric = m));
      if (target && metric) await postToServe(target, metric, { teacher: o.teacher, student: o.student[0]!, kind: runKindOf(o) }, o.step);
      await writeCliReport(o as { report?: string; charts?: string }, () => evalReportInput(r));
      cliIo().stdout.write(o.json ? `${toJson(r)}\n` : `${renderEval(r)}\n`);
      for (const w of r.warnings) cliIo().stderr.write(`warning: ${w}\n`);
    });
}

/** `--shard`/`--state-out`: run the shard's batches and write its state; print one line (or its JSON). */
async function evalShard(
  o: EvalCommonFlags & { student: string[]; report?: string; charts?: string },
  shard: { spec: ShardSpec; file: string },
): Promise<void> {
  if (o.student.length > 1) throw errors.badOption('--student', o.student.join(', '), 'one --student with --shard (shard each student as its own run)');
  if (o.report || o.charts) {
    throw errors.badOption(
      o.report ? '--report' : '--charts',
      o.report ?? o.charts,
      'a whole run: a shard writes a state (make the report with krs merge --report)',
    );
  }
  const part = (await evalCommand({ ...o, student: o.student[0]! }, `eval ${shard.spec.index}/${shard.spec.count}`, shard.spec)) as EvalShardPart;
  const { writeEvalShard } = await import('./eval-shard.js');
  const w = await writeEvalShard(part, shard.spec, shard.file);
  cliIo().stdout.write(
    o.json
      ? `${toJson({ shard: shard.spec, range: part.range, samples: w.document.samples, file: shard.file, bytes: w.bytes })}\n`
      : `${stateLine(shard.spec, part.range, w.document.samples, shard.file, w.bytes)}\n`,
  );
}

/** One teacher–student run; `label` names its progress bar. With `shard`, only that shard's batches, returned unfinished. */
export async function evalCommand(o: EvalFlags, label?: string, shard?: undefined, onMetric?: (metric: KrsMetric) => void): Promise<EvalResult>;
export async function evalCommand(o: EvalFlags, label: string, shard: ShardSpec): Promise<EvalShardPart>;
export async function evalCommand(
  o: EvalFlags,
  label = 'eval',
  shard?: ShardSpec,
  onMetric?: (metric: KrsMetric) => void,
): Promise<EvalResult | EvalShardPart> {
  const tIn = o.teacherInput ?? o.input;
  const sIn = o.studentInput ?? o.input;
  if (!tIn || !sIn) throw errors.badOption('--input', null, 'data for both models (--input, or --teacher-input and --student-input)');
  const dOpts = datasetOptions(o);
  const data = openDataset(tIn, dOpts);
  const studentData = sIn !== tIn ? openDataset(sIn, dOpts) : undefined;
  const backend = await chooseBackend(o.backend ?? 'auto');
  const bar = progressBar(label, o.progress);
  try {
    const options: EvalOptions = {
      task: o.task,
      data,
      ...(studentData ? { studentData } : {}),
      teacher: sideOptions(o.teacher, modelFlags(o, 'teacher')),
      student: sideOptions(o.student, modelFlags(o, 'student')),
      pairs: o.pair,
      allPairs: o.allPairs,
      teacherLayers: o.teacherLayers,
      studentLayers: o.studentLayers,
      alpha: o.alpha,
      beta: o.beta,
      similarity: o.similarity,
      pool: o.pool,
      channelsLast: o.channelsLast,
      estimator: o.estimator,
      memoryBudget: o.memoryBudget,
      similarityOptions: similarityOptionsOf(o),
      output: { temperature: o.temperature, mseMax: o.mseMax, channelsLast: o.channelsLast },
      batchSize: o.batchSize,
      backend: backend.backend,
      saveCaptures: o.saveCaptures,
      worker: o.worker,
      threads: o.threads,
      reference: { null: o.null === true, seed: o.nullSeed },
      onProgress: (d, t) => bar.update(d, t),
    };
    if (shard) return await runEvalShard(options, shard);
    const { result, metric } = await runEvalWithMetric(options);
    onMetric?.(metric);
    return result;
  } finally {
    bar.stop();
    await backend.dispose();
  }
}

/**
 * Several students against one teacher (`--student a.onnx --student b.onnx …`): one
 * {@link evalCommand} per student on the same data and options (the teacher runs once per
 * student), then every pair compared on the same samples and groups. Options that describe one
 * student's output files (`--report`, `--charts`, `--save-captures`) are usage errors here.
 * JSON: `{students: [...], comparisons: [...]}`, each student the result of a one-student eval.
 */
async function evalStudents(o: EvalCommonFlags & { report?: string; charts?: string }, students: string[]): Promise<void> {
  for (const [flag, value, why] of [
    ['--report', o.report, 'a report shows one student'],
    ['--charts', o.charts, 'the charts show one student'],
    ['--save-captures', o.saveCaptures, "the captures' file names are per run"],
  ] as const) {
    if (value !== undefined) throw errors.badOption(flag, value, `one --student only (${why})`);
  }
  const results: EvalResult[] = [];
  for (const [i, student] of students.entries()) results.push(await evalCommand({ ...o, student }, `eval ${i + 1}/${students.length}`));
  printStudents(results, students, o.json, renderEvalStudents);
}

/** The readable summary of several students' evals: the models' lines, one row per student, then the paired differences (B − A). */
export function renderEvalStudents(results: readonly EvalResult[], names: readonly string[], comparisons: readonly Comparison[]): string {
  const r = results[0]!;
  return [
    `krs eval — ${r.task} on ${r.data.name}${r.data.studentName ? ` / ${r.data.studentName}` : ''}, ${r.n} samples, ${results.length} students (the teacher run once per student)`,
    modelLine('teacher', r.teacher),
    ...results.map((x) => modelLine('student', x.student)),
    '',
    ...studentsSummary(
      results.map((result, i) => ({ name: names[i]!, result })),
      comparisons,
    ),
  ].join('\n');
}

function modelLine(side: string, m: ModelReport): string {
  const quality = m.accuracy !== null ? `accuracy ${fmt(m.accuracy * 100)}%` : m.rmse !== null ? `RMSE ${fmt(m.rmse, 4)}, MAE ${fmt(m.mae, 4)}` : 'no targets';
  const inputs = m.inputs.map((i) => `'${i.name}' ← ${i.array} [${i.sampleShape.join(', ')}]${i.preprocess ? ` ${i.preprocess}` : ''}`).join('; ');
  return `${side} ${m.file}: ${quality}  (input ${inputs}; output '${m.output}'${m.outputKind ? ` as ${m.outputKind}` : ''})`;
}

/** The readable summary of an eval. */
export function renderEval(r: EvalResult): string {
  const lines: string[] = [];
  lines.push(`krs eval — ${r.task} on ${r.data.name}${r.data.studentName ? ` / ${r.data.studentName}` : ''}, ${r.n} samples`);
  lines.push(modelLine('teacher', r.teacher));
  lines.push(modelLine('student', r.student));
  lines.push('');
  lines.push(...krsSummary(r, 'krs eval computes it with --null'));
  if (r.crossLayer) {
    const c = r.crossLayer;
    lines.push('');
    lines.push(`cross-layer CKA (${c.estimator}, ${c.n} samples): rows = teacher layers, columns = student layers`);
    const cols = c.studentLayers.map((s, j) => `[${j}] ${s}`);
    lines.push(cols.map((s) => `  ${s}`).join('\n'));
    lines.push(
      table(
        ['teacher layer', ...c.studentLayers.map((_, j) => `[${j}]`)],
        c.teacherLayers.map((t, i) => [t, ...c.cka[i]!.map((v) => fmt(v, 3))]),
      ),
    );
  }
  if (r.captures) lines.push('', `captures: ${r.captures.teacher}, ${r.captures.student}`);
  const t = r.timing;
  const inf = Object.entries(t.inferenceMs)
    .map(([k, v]) => `${k} ${fmt(v / 1000, 1)} s`)
    .join(', ');
  lines.push('');
  lines.push(
    `${r.n} samples in ${fmt(t.totalMs / 1000, 1)} s = ${fmt(t.samplesPerSecond, 0)} samples/s; inference ${inf} (worker thread); scoring ${fmt(t.scoringMs / 1000, 1)} s${r.crossLayer ? ` (cross-layer ${fmt(t.crossLayerMs / 1000, 1)} s)` : ''}; reading ${fmt(t.readMs / 1000, 1)} s${r.captures ? `; writing captures ${fmt(t.captureMs / 1000, 1)} s` : ''}`,
  );
  return lines.join('\n');
}
