/**
 * `krs eval` with several `--student`s: each student run against the teacher on the same
 * digits, one row each, and the paired differences (src/krs/compare.ts) with intervals and
 * p-values. Own test models (test/fixtures/models): the MLP teacher, its distilled student and
 * the independently trained CNN, on 500 of the held-out digits.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { krs } from '../helpers/cli.js';
import { ownModel } from '../helpers/models.js';

const TEACHER = ownModel('mlp-teacher.onnx');
const DISTILLED = ownModel('mlp-student.onnx');
const CNN = ownModel('cnn.onnx');

const base = ['eval', '--teacher', TEACHER, '--input', 'mnist', '--task', 'classification', '--limit', '500', '--no-progress'];

/** The JSON of an eval of `students`; arguments from the first that starts with `--` on are passed as they are. */
async function json(...args: string[]): Promise<any> {
  const cut = args.findIndex((a) => a.startsWith('--'));
  const students = cut < 0 ? args : args.slice(0, cut);
  const rest = cut < 0 ? [] : args.slice(cut);
  const r = await krs(...base, ...students.flatMap((s) => ['--student', s]), ...rest, '--json');
  if (r.status !== 0) throw new Error(`krs eval exited ${r.status}: ${r.stderr}`);
  return { ...JSON.parse(r.stdout), stderr: r.stderr };
}

describe('krs eval with several students', () => {
  it('two students: a row each and one paired comparison; the distilled student is closer to the teacher', async () => {
    const r = await json(DISTILLED, CNN);
    expect(r.students).toHaveLength(2);
    const [a, b] = r.students;
    expect(a.student.file).toBe(DISTILLED);
    expect(b.student.file).toBe(CNN);
    for (const s of r.students) {
      expect(s.n).toBe(500);
      expect(s.teacher.file).toBe(TEACHER);
      expect(s.krs).toBeCloseTo(0.3 * s.fss + 0.7 * s.aoa, 10);
    }
    expect(r.comparisons).toHaveLength(1);
    const c = r.comparisons[0];
    expect([c.a, c.b]).toEqual([DISTILLED, CNN]);
    expect(c.delta.krs).toBeCloseTo(b.krs - a.krs, 10);
    expect(c.delta.fss).toBeCloseTo(b.fss - a.fss, 10);
    expect(c.delta.aoa).toBeCloseTo(b.aoa - a.aoa, 10);
    for (const k of ['krs', 'fss', 'aoa']) {
      const [lo, hi] = c.ci95[k];
      expect(lo).toBeLessThanOrEqual(c.delta[k]);
      expect(hi).toBeGreaterThanOrEqual(c.delta[k]);
      expect(c.p[k]).toBeGreaterThanOrEqual(0);
      expect(c.p[k]).toBeLessThanOrEqual(1);
    }
    expect(c.groups).toBeGreaterThan(1);
    expect(c.reasons).toEqual({});
    // Measured: distilled KRS 94.64, CNN 93.40; CNN − distilled = −1.24 [−2.18, −0.31], p 0.012.
    expect(c.delta.krs).toBeLessThan(0);
    expect(c.ci95.krs[1]).toBeLessThan(0);
    expect(c.p.krs).toBeLessThan(0.05);
    expect(r.stderr).toContain(`warning: ${CNN}: no layer pairs given`);
  });

  it('the readable output: each student row and the paired-differences table', async () => {
    const r = await krs(...base, '--student', DISTILLED, '--student', CNN);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^krs eval — classification on mnist, 500 samples, 2 students/);
    expect(r.stdout).toContain(`teacher ${TEACHER}: accuracy`);
    expect(r.stdout).toContain(`student ${CNN}: accuracy`);
    expect(r.stdout).toContain('paired differences (B − A');
    const rows = r.stdout.split('\n').filter((l) => l.startsWith(DISTILLED));
    expect(rows).toHaveLength(2); // its summary row and the comparison row (A = the distilled student)
    expect(rows[1]).toMatch(/-1\.\d\d {2}\[-\d\.\d\d, -0\.\d\d\]/);
  });

  it('the same student twice: Δ = 0 and p = 1', async () => {
    const r = await json(DISTILLED, DISTILLED);
    const c = r.comparisons[0];
    for (const k of ['krs', 'fss', 'aoa']) {
      expect(c.delta[k]).toBe(0);
      expect(c.p[k]).toBe(1);
    }
  });

  it('one --student: the plain eval result, unchanged', async () => {
    const r = await json(DISTILLED);
    expect(r.students).toBeUndefined();
    expect(r.student.file).toBe(DISTILLED);
    expect(r.n).toBe(500);
  });

  it.each([
    ['--report', 'x.html'],
    ['--charts', 'charts'],
    ['--save-captures', 'caps'],
  ])('%s with two students: a one-line usage error, exit 2, before any model runs', async (flag, value) => {
    const r = await krs(...base, '--student', DISTILLED, '--student', CNN, flag, value);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(flag);
    expect(r.stderr).toMatch(/one --student only/);
  });

  it('two students in one pass equal each student run alone (scores, intervals, null level) to 1e-12', async () => {
    const both = await json(DISTILLED, CNN, '--null');
    for (const [i, file] of [DISTILLED, CNN].entries()) {
      const alone = await json(file, '--null');
      const r = both.students[i];
      for (const k of ['krs', 'fss', 'aoa']) {
        expect(Math.abs(r[k] - alone[k])).toBeLessThanOrEqual(1e-12 * Math.abs(alone[k]));
        for (const j of [0, 1]) expect(Math.abs(r.ci95[k][j] - alone.ci95[k][j])).toBeLessThanOrEqual(1e-12 * Math.abs(alone.ci95[k][j]));
        expect(Math.abs(r.reference.null[k] - alone.reference.null[k])).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(alone.reference.null[k])));
      }
      expect(r.student.accuracy).toBe(alone.student.accuracy);
      expect(r.teacher.accuracy).toBe(alone.teacher.accuracy);
    }
  });

  it('--baseline: the baseline run in the same pass, its level and student − baseline with the paired interval and p', async () => {
    const r = await json(DISTILLED, '--baseline', CNN);
    const b = r.reference.baseline;
    expect(b.file).toBe(CNN);
    // The same numbers as the two students compared in one run (A = the baseline, B = the student).
    const pair = await json(CNN, DISTILLED);
    const [cnn] = pair.students;
    const c = pair.comparisons[0];
    for (const k of ['krs', 'fss', 'aoa']) {
      expect(b[k]).toBeCloseTo(cnn[k], 12);
      expect(b.delta[k]).toBeCloseTo(c.delta[k], 12);
      expect(b.delta[k]).toBeCloseTo(r[k] - cnn[k], 10);
      expect(b.delta.ci95[k][0]).toBeCloseTo(c.ci95[k][0], 12);
      expect(b.delta.ci95[k][1]).toBeCloseTo(c.ci95[k][1], 12);
      expect(b.delta.p[k]).toBeCloseTo(c.p[k], 12);
    }
    expect(b.delta.krs).toBeGreaterThan(0); // the distilled student is closer to the teacher than the CNN
    expect(r.reference.null).toBeNull();
    expect(r.stderr).toContain(`warning: baseline ${CNN}: no layer pairs given`);
    const text = await krs(...base, '--student', DISTILLED, '--baseline', CNN);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/student − baseline {2}ΔKRS \+1\.\d\d \[/);
  });

  it('several students and --baseline: each student against the baseline', async () => {
    const r = await json(DISTILLED, DISTILLED, '--baseline', CNN);
    expect(r.students).toHaveLength(2);
    for (const s of r.students) expect(s.reference.baseline.file).toBe(CNN);
    expect(r.students[0].reference.baseline.delta.krs).toBe(r.students[1].reference.baseline.delta.krs);
    const text = await krs(...base, '--student', DISTILLED, '--student', CNN, '--baseline', CNN);
    expect(text.stdout).toContain('student − baseline ΔKRS');
    expect(text.stdout).toContain('the teacher run once for all');
  });

  it.each([
    ['two students', ['--student', DISTILLED, '--student', CNN], /--student/],
    ['a baseline', ['--student', DISTILLED, '--baseline', CNN], /--baseline.*a whole run/],
  ])('--shard with %s: a one-line usage error, exit 2', async (_what, args, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'krs-eval-students-'));
    const r = await krs(...base, ...args, '--shard', '1/2', '--state-out', join(dir, 's1.json'));
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});
