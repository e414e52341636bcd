/**
 * What `krs score` does (declared in `score.ts`): score one student, several students, or one
 * shard, and print, post and report the result.
 */

import { errors } from '../core/errors.js';
import { type Comparison, compareStudents } from '../krs/compare.js';
import type { ScoreCapturesResult } from '../krs/score-captures.js';
import type { ShardSpec } from '../krs/shards.js';
import { toJson } from './format.js';
import { cliIo } from './io.js';
import { krsSummary, printStudents, studentsSummary } from './krs-summary.js';
import { scoreReportInput, studentsReportInput, writeCliReport } from './report-options.js';
import { runScore, scoreWithMetric, withBaseline } from './score-flags.js';
import type { ScoreCommandFlags, ScoreFlags } from './score-options.js';
import { postToServe, runKindOf, serveTarget } from './serve-options.js';
import { shardRun, stateLine } from './shard-options.js';

/** The action of `krs score`. */
export async function scoreAction(o: ScoreCommandFlags): Promise<void> {
  const students = o.student;
  const shard = shardRun(o);
  const target = serveTarget(o);
  if (target && (shard || students.length > 1)) {
    throw errors.badOption(
      '--serve',
      o.serve,
      shard ? 'a whole run (post the merged result: krs merge has no --serve yet)' : 'one --student (a run follows one student)',
    );
  }
  if (shard) return scoreShard({ ...o, student: students[0]! }, students, shard);
  if (students.length > 1) return scoreStudents({ ...o, student: students[0]! }, students);
  const one = { ...o, student: students[0]! };
  const scored = await scoreWithMetric(one);
  const result = await withBaseline(one, scored.result);
  if (target) await postToServe(target, scored.metric, { teacher: one.teacher, student: one.student, kind: runKindOf(o) }, o.step);
  await writeCliReport(one, () => scoreReportInput(one, result, o.backend));
  cliIo().stdout.write(o.json ? `${toJson(result)}\n` : `${renderScore(result)}\n`);
  for (const w of result.warnings) cliIo().stderr.write(`warning: ${w}\n`);
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
