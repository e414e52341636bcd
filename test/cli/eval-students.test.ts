/**
 * `krs eval` with several `--student`s: each student run against the teacher on the same
 * digits, one row each, and the paired differences (src/krs/compare.ts) with intervals and
 * p-values. Own test models (test/fixtures/models): the MLP teacher, its distilled student and
 * the independently trained CNN, on 500 of the held-out digits.
 */
import { describe, expect, it } from 'vitest';
import { krs } from '../helpers/cli.js';
import { ownModel } from '../helpers/models.js';

const TEACHER = ownModel('mlp-teacher.onnx');
const DISTILLED = ownModel('mlp-student.onnx');
const CNN = ownModel('cnn.onnx');

const base = ['eval', '--teacher', TEACHER, '--input', 'mnist', '--task', 'classification', '--limit', '500', '--no-progress'];

async function json(...students: string[]): Promise<any> {
  const r = await krs(...base, ...students.flatMap((s) => ['--student', s]), '--json');
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
});
