/**
 * What `krs eval` does (declared in `eval.ts`): run both models on the data and score them —
 * one student, several, or one shard — then print, post and report the result.
 */

import { errors } from '../core/errors.js';
import type { Comparison } from '../krs/compare.js';
import type { KrsMetric } from '../krs/metric.js';
import { baselineLevelOf } from '../krs/reference-levels.js';
import type { ShardSpec } from '../krs/shards.js';
import type { EvalOptions, EvalResult, EvalShardPart, ModelReport } from '../runtime/eval.js';
import { chooseBackend } from './backend.js';
import type { EvalCommonFlags, EvalFlags } from './eval.js';
import { fmt, table, toJson } from './format.js';
import { cliIo } from './io.js';
import { krsSummary, printStudents, studentsSummary } from './krs-summary.js';
import { datasetOptions, modelFlags, sideOptions } from './model-options.js';
import { progressBar } from './progress.js';
import { evalReportInput, writeCliReport } from './report-options.js';
import { postToServe, runKindOf, serveTarget } from './serve-options.js';
import { shardRun, stateLine } from './shard-options.js';
import { similarityOptionsOf } from './similarity-options.js';

/** The flags of `krs eval` as commander parses them: `--student` is repeatable. */
export type EvalCommandFlags = EvalCommonFlags & { student: string[]; baseline?: string; shard?: string; stateOut?: string };

/** The action of `krs eval`. */
export async function evalAction(o: EvalCommandFlags): Promise<void> {
  const shard = shardRun(o);
  const target = serveTarget(o);
  if (target && (shard || o.student.length > 1)) {
    throw errors.badOption(
      '--serve',
      o.serve,
      shard ? 'a whole run (post the merged result: krs merge has no --serve yet)' : 'one --student (a run follows one student)',
    );
  }
  if (shard && o.baseline !== undefined) {
    throw errors.badOption('--baseline', o.baseline, 'a whole run (shard the student and the baseline as runs of their own, then compare the merged results)');
  }
  if (shard) return evalShard(o, shard);
  if (o.student.length > 1) return evalStudents(o, o.student);
  let metric: KrsMetric | null = null;
  const one = { ...o, student: o.student[0]! };
  const r = o.baseline
    ? (await evalWithStudents(one, [one.student], o.baseline, 'eval', (m) => (metric = m[0]!)))[0]!
    : await evalCommand(one, 'eval', undefined, (m) => (metric = m));
  if (target && metric) await postToServe(target, metric, { teacher: o.teacher, student: o.student[0]!, kind: runKindOf(o) }, o.step);
  await writeCliReport(o as { report?: string; charts?: string }, () => evalReportInput(r));
  cliIo().stdout.write(o.json ? `${toJson(r)}\n` : `${renderEval(r)}\n`);
  for (const w of r.warnings) cliIo().stderr.write(`warning: ${w}\n`);
}

/** `--shard`/`--state-out`: run the shard's batches and write its state; print one line (or its JSON). */
async function evalShard(o: EvalCommandFlags & { report?: string; charts?: string }, shard: { spec: ShardSpec; file: string }): Promise<void> {
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
  return withEvalOptions(o, label, async (options, run) => {
    if (shard) return await run.runEvalShard(options, shard);
    const { result, metric } = await run.runEvalWithMetric(options);
    onMetric?.(metric);
    return result;
  });
}

/**
 * Open the data, the matrix backend and the progress bar, make the library options of `o`, and
 * run `body` with them and the eval module (loaded here, when the command runs, not for --help).
 */
async function withEvalOptions<T>(
  o: EvalFlags,
  label: string,
  body: (options: EvalOptions, run: typeof import('../runtime/eval.js')) => Promise<T>,
): Promise<T> {
  const tIn = o.teacherInput ?? o.input;
  const sIn = o.studentInput ?? o.input;
  if (!tIn || !sIn) throw errors.badOption('--input', null, 'data for both models (--input, or --teacher-input and --student-input)');
  const dOpts = datasetOptions(o);
  // The data readers and the ONNX runtime load here, when the command runs (not for --help).
  const [{ openDataset }, run] = await Promise.all([import('../runtime/data/open.js'), import('../runtime/eval.js')]);
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
      output: { temperature: o.temperature, ignoreLabel: o.ignoreLabel, mseMax: o.mseMax, channelsLast: o.channelsLast },
      batchSize: o.batchSize,
      backend: backend.backend,
      saveCaptures: o.saveCaptures,
      worker: o.worker,
      threads: o.threads,
      reference: { null: o.null === true, seed: o.nullSeed },
      onProgress: (d, t) => bar.update(d, t),
    };
    return await body(options, run);
  } finally {
    bar.stop();
    await backend.dispose();
  }
}

/**
 * Several students (and the baseline, when given) against one teacher in one pass: the teacher
 * runs once per batch and feeds every student's metric (src/runtime/eval.ts `runEvalStudents`).
 * Each result is the one its student's own run gives; with a baseline (no null level of its
 * own), each carries the baseline's level and student − baseline with its paired interval.
 * The --student-* flags apply to every student and to the baseline.
 */
async function evalWithStudents(
  o: EvalFlags,
  students: readonly string[],
  baseline: string | undefined,
  label: string,
  onMetrics?: (metrics: KrsMetric[]) => void,
): Promise<EvalResult[]> {
  return withEvalOptions(o, label, async (options, run) => {
    const side = (file: string) => sideOptions(file, modelFlags(o, 'student'));
    const lanes = [...students.map((s) => ({ student: side(s) })), ...(baseline ? [{ student: side(baseline), null: false }] : [])];
    const out = await run.runEvalStudents(options, lanes);
    const base = baseline ? out.pop()!.result : null;
    onMetrics?.(out.map((x) => x.metric));
    return out.map(({ result }, i) => (base ? withEvalBaseline(students[i]!, result, baseline!, base) : result));
  });
}

/** A student's eval result with the baseline's level and the paired difference student − baseline. */
function withEvalBaseline(student: string, result: EvalResult, baselineName: string, base: EvalResult): EvalResult {
  const baseline = baselineLevelOf({ name: student, result }, { name: baselineName, result: base });
  return {
    ...result,
    reference: { ...result.reference, baseline },
    warnings: [...result.warnings, ...base.warnings.map((w) => `baseline ${baselineName}: ${w}`)],
  };
}

/**
 * Several students against one teacher (`--student a.onnx --student b.onnx …`): one pass on the
 * same data and options (the teacher runs once per batch for all of them), then every pair
 * compared on the same samples and groups. Options that describe one student's output files
 * (`--report`, `--charts`, `--save-captures`) are usage errors here. JSON: `{students: [...],
 * comparisons: [...]}`, each student the result of a one-student eval.
 */
async function evalStudents(o: EvalCommandFlags & { report?: string; charts?: string }, students: string[]): Promise<void> {
  for (const [flag, value, why] of [
    ['--report', o.report, 'a report shows one student'],
    ['--charts', o.charts, 'the charts show one student'],
    ['--save-captures', o.saveCaptures, "the captures' file names are per run"],
  ] as const) {
    if (value !== undefined) throw errors.badOption(flag, value, `one --student only (${why})`);
  }
  const results = await evalWithStudents({ ...o, student: students[0]! }, students, o.baseline, `eval ${students.length} students`);
  printStudents(results, students, o.json, renderEvalStudents);
}

/** The readable summary of several students' evals: the models' lines, one row per student, then the paired differences (B − A). */
export function renderEvalStudents(results: readonly EvalResult[], names: readonly string[], comparisons: readonly Comparison[]): string {
  const r = results[0]!;
  return [
    `krs eval — ${r.task} on ${r.data.name}${r.data.studentName ? ` / ${r.data.studentName}` : ''}, ${r.n} samples, ${results.length} students (the teacher run once for all)`,
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
