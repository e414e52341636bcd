/** The readable KRS block shared by `krs score` and `krs eval`: layer table, FSS, AOA, KRS with their 95% intervals; several students side by side. */

import { describeKinds, type OutputKinds } from '../agreement/output-kind.js';
import { fmtWeight } from '../core/number-format.js';
import { type Comparison, compareStudents } from '../krs/compare.js';
import type { KrsResult } from '../krs/metric.js';
import type { ReferenceLevels } from '../krs/reference-levels.js';
import { taskSpec } from '../tasks/registry.js';
import { fmt, table, toJson } from './format.js';
import { cliIo } from './io.js';

/** The flags that set each side's output kind, as the kinds line names them. */
const KIND_FLAGS = ['--teacher-outputs', '--student-outputs'] as const;

/** `outputs  teacher logits (from the values: …); student sigmoid scores (set by --student-outputs)`, when the agreement reads kinds. */
export function kindsLine(kinds: OutputKinds | undefined): string[] {
  return kinds ? [`outputs  ${describeKinds(kinds, KIND_FLAGS)}`, ''] : [];
}

/** `[lo, hi]` of an interval, or '—'. */
export function fmtCi(ci: readonly [number, number] | null | undefined): string {
  return ci ? `[${fmt(ci[0])}, ${fmt(ci[1])}]` : '—';
}

/** What the intervals are, and why any is missing (one line each). */
export function intervalLines(r: KrsResult): string[] {
  const iv = r.intervals;
  if (!iv || iv.method === 'none') return [];
  const lines = [
    `95% intervals: delete-a-group jackknife over ${iv.groups} ${iv.blocks === 'contiguous' ? 'contiguous blocks' : 'interleaved groups'} of samples (t, ${Math.max(iv.groups - 1, 0)} df)`,
  ];
  for (const k of ['fss', 'aoa', 'krs'] as const) if (iv.reasons[k]) lines.push(`no interval for ${k.toUpperCase()}: ${iv.reasons[k]}`);
  for (const l of r.layers)
    if (!l.ci95 && l.ciReason && !iv.reasons.fss?.includes(l.ciReason)) lines.push(`no interval for '${l.teacher}':'${l.student}': ${l.ciReason}`);
  return lines;
}

/** A p-value as printed: four decimals, or `<0.0001`; '—' when undefined. */
const fmtP = (v: number | null) => (v === null ? '—' : v < 1e-4 ? '<0.0001' : fmt(v, 4));

/**
 * The reference block (src/krs/reference-levels.ts): the teacher against itself (100 by
 * construction), the null level (chance alignment) and a baseline student with student −
 * baseline, when known; then one line on what the numbers are.
 */
export function referenceLines(ref: ReferenceLevels | undefined, nullHint = 'turned off by --no-null'): string[] {
  if (!ref) return [];
  const row = (label: string, v: { krs: number; fss: number; aoa: number }, note: string) => [label, fmt(v.krs), fmt(v.fss), fmt(v.aoa), note];
  const rows: string[][] = [row('teacher vs itself', { krs: 100, fss: 100, aoa: 100 }, 'by construction')];
  if (ref.null) rows.push(row('null (chance)', ref.null, `the student's samples shuffled against the teacher's (seed ${ref.null.seed})`));
  const lines = ['', 'reference levels', table(['level', 'KRS', 'FSS', 'AOA', 'what it is'], rows)];
  if (!ref.null) lines.push(`no null level (${nullHint})`);
  const b = ref.baseline;
  if (b) {
    const d = b.delta;
    lines.push(
      '',
      table(
        ['baseline', 'KRS', '95% CI', 'FSS', '95% CI', 'AOA', '95% CI'],
        [[b.file, fmt(b.krs), fmtCi(b.ci95.krs), fmt(b.fss), fmtCi(b.ci95.fss), fmt(b.aoa), fmtCi(b.ci95.aoa)]],
      ),
      `student − baseline  ΔKRS ${signed(d.krs)} ${fmtCi(d.ci95.krs)} p ${fmtP(d.p.krs)}   ΔFSS ${signed(d.fss)} ${fmtCi(d.ci95.fss)} p ${fmtP(d.p.fss)}   ΔAOA ${signed(d.aoa)} ${fmtCi(d.ci95.aoa)} p ${fmtP(d.p.aoa)}`,
      ...Object.entries(d.reasons).map(([k, why]) => `no interval for Δ${k.toUpperCase()} (student − baseline): ${why}`),
    );
  }
  lines.push(
    'KRS is the similarity and agreement of the student with the teacher on these inputs (100 = identical to the teacher); it does not measure what the student learned from the teacher.',
  );
  return lines;
}

/** The output kinds (when the agreement reads them), the layer-pair table and the FSS / AOA / KRS lines of a result, with 95% intervals, then its reference levels. */
export function krsSummary(r: KrsResult & { reference?: ReferenceLevels }, nullHint?: string): string[] {
  const ci = r.ci95 ?? { fss: null, aoa: null, krs: null };
  return [
    ...kindsLine(r.output.kinds as OutputKinds | undefined),
    table(
      ['teacher layer', 'student layer', 'similarity', 'estimator', 'widths', 'score', '95% CI'],
      r.layers.map((l) => [l.teacher, l.student, l.similarity, l.estimator, `${l.teacherWidth}/${l.studentWidth}`, fmt(l.score), fmtCi(l.ci95)]),
    ),
    '',
    `FSS ${fmt(r.fss).padStart(6)} ${fmtCi(ci.fss)}   mean of ${r.layers.length} layer pair${r.layers.length > 1 ? 's' : ''}`,
    `AOA ${fmt(r.aoa).padStart(6)} ${fmtCi(ci.aoa)}   ${taskSpec(r.task).agreement.summary(r.output)}`,
    `KRS ${fmt(r.krs).padStart(6)} ${fmtCi(ci.krs)}   = ${fmtWeight(r.alpha)} × FSS + ${fmtWeight(r.beta)} × AOA`,
    ...intervalLines(r),
    ...referenceLines(r.reference, nullHint),
  ];
}

/** Several students against one teacher: one row each, then the paired differences (B − A). */
export function studentsSummary(
  students: readonly { name: string; result: KrsResult & { reference?: ReferenceLevels } }[],
  comparisons: readonly Comparison[],
): string[] {
  const p = fmtP;
  return [
    table(
      ['student', 'FSS', '95% CI', 'AOA', '95% CI', 'KRS', '95% CI'],
      students.map(({ name, result: r }) => [name, fmt(r.fss), fmtCi(r.ci95?.fss), fmt(r.aoa), fmtCi(r.ci95?.aoa), fmt(r.krs), fmtCi(r.ci95?.krs)]),
    ),
    '',
    'paired differences (B − A, same samples and groups; jackknife t-test)',
    table(
      ['A', 'B', 'ΔKRS', '95% CI', 'p', 'ΔFSS', '95% CI', 'p', 'ΔAOA', '95% CI', 'p'],
      comparisons.map((c) => [
        c.a,
        c.b,
        signed(c.delta.krs),
        fmtCi(c.ci95.krs),
        p(c.p.krs),
        signed(c.delta.fss),
        fmtCi(c.ci95.fss),
        p(c.p.fss),
        signed(c.delta.aoa),
        fmtCi(c.ci95.aoa),
        p(c.p.aoa),
      ]),
    ),
    ...comparisons.flatMap((c) => Object.entries(c.reasons).map(([k, why]) => `no interval for Δ${k.toUpperCase()} (${c.b} − ${c.a}): ${why}`)),
    ...studentsReference(students),
  ];
}

/** Several students' reference levels: each one's null KRS and, with a baseline, student − baseline. */
function studentsReference(students: readonly { name: string; result: { reference?: ReferenceLevels } }[]): string[] {
  const refs = students.filter((s) => s.result.reference?.null || s.result.reference?.baseline);
  if (!refs.length) return [];
  const b = refs.find((s) => s.result.reference?.baseline)?.result.reference?.baseline;
  return [
    '',
    `reference levels (KRS): teacher vs itself 100 by construction; null = the student's samples shuffled against the teacher's${b ? `; baseline ${b.file} ${fmt(b.krs)}` : ''}`,
    table(
      ['student', 'null KRS', ...(b ? ['student − baseline ΔKRS', '95% CI', 'p'] : [])],
      refs.map(({ name, result: { reference: r } }) => {
        const d = r?.baseline?.delta;
        return [name, r?.null ? fmt(r.null.krs) : '—', ...(b ? [d ? signed(d.krs) : '—', fmtCi(d?.ci95.krs), d ? fmtP(d.p.krs) : '—'] : [])];
      }),
    ),
  ];
}

function signed(v: number): string {
  const s = fmt(v);
  return v > 0 && s !== '0.00' ? `+${s}` : s;
}

/**
 * Several students scored against one teacher (`krs score`, `krs eval` with repeated
 * `--student`): compare every pair, print the results as JSON `{students, comparisons}` or with
 * `render`, and each student's warnings prefixed with its name.
 */
export function printStudents<R extends KrsResult>(
  results: readonly R[],
  names: readonly string[],
  json: boolean | undefined,
  render: (results: readonly R[], names: readonly string[], comparisons: readonly Comparison[]) => string,
): void {
  const comparisons = compareStudents(results.map((result, i) => ({ name: names[i]!, result })));
  cliIo().stdout.write(json ? `${toJson({ students: results, comparisons })}\n` : `${render(results, names, comparisons)}\n`);
  results.forEach((r, i) => {
    for (const w of r.warnings) cliIo().stderr.write(`warning: ${names[i]}: ${w}\n`);
  });
}
