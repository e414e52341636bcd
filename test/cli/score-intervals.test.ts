/** `krs score` intervals and several students (docs/cli.md §"Intervals and several students"). */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { krs } from '../helpers/cli.js';
import { expectClose, fixturePath, loadJson } from '../helpers/fixtures.js';

const fx = loadJson('intervals/interval-fixtures.json');
const f = (name: string) => fixturePath(`intervals/${name}`);
const base = ['score', '--task', 'classification', '--backend', 'typescript', '--teacher', f('teacher.npz')];

describe('krs score intervals', () => {
  it('one student: every score has its 95% interval in the table and the JSON (20 groups, as NumPy)', async () => {
    const text = await krs(...base, '--student', f('student-a.npz'));
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/score {2}95% CI/);
    const ref = fx.G20.a.intervals;
    const ci = (k: string) => `[${ref[k].ci95[0].toFixed(2)}, ${ref[k].ci95[1].toFixed(2)}]`;
    expect(text.stdout).toContain(`KRS  ${fx.G20.a.whole.krs.toFixed(2)} ${ci('krs')}`);
    expect(text.stdout).toContain(`FSS  ${fx.G20.a.whole.fss.toFixed(2)} ${ci('fss')}`);
    expect(text.stdout).toMatch(/delete-a-group jackknife over 20 contiguous blocks/);

    const json = await krs(...base, '--student', f('student-a.npz'), '--json');
    const r = JSON.parse(json.stdout);
    expect(r.students).toBeUndefined(); // one student: the single-result JSON
    for (const k of ['fss', 'aoa', 'krs']) {
      expectClose(r.ci95[k][0], ref[k].ci95[0]);
      expectClose(r.ci95[k][1], ref[k].ci95[1]);
      expectClose(r.intervals.se[k], ref[k].se);
    }
    expect(r.layers[1].ci95).toHaveLength(2);
    expect(r.layers[1].groups).toBe(20);
    expect(r.intervals).toMatchObject({ method: 'grouped-jackknife', groups: 20, blocks: 'contiguous' });
  });

  it('several students: each row, the paired differences with intervals and p-values; JSON {students, comparisons}', async () => {
    const text = await krs(...base, '--student', f('student-a.npz'), '--student', f('student-b.npz'));
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/2 students/);
    expect(text.stdout).toMatch(/paired differences \(B − A/);
    expect(text.stdout).toContain(`+${fx.G20.paired.krs.delta.toFixed(2)}`);

    const json = await krs(...base, '--student', f('student-a.npz'), '--student', f('student-b.npz'), '--student', f('student-a.npz'), '--json');
    expect(json.status).toBe(0);
    const out = JSON.parse(json.stdout);
    expect(out.students).toHaveLength(3);
    expect(out.comparisons.map((c: any) => [c.a, c.b])).toEqual([
      [f('student-a.npz'), f('student-b.npz')],
      [f('student-a.npz'), f('student-a.npz')],
      [f('student-b.npz'), f('student-a.npz')],
    ]);
    const ab = out.comparisons[0];
    expectClose(ab.delta.krs, fx.G20.paired.krs.delta, 1e-12);
    expectClose(ab.ci95.krs[0], fx.G20.paired.krs.ci95[0]);
    expectClose(ab.p.krs, fx.G20.paired.krs.p, 1e-7);
    expect(ab.ci95.krs[0]).toBeGreaterThan(0);
    expect(out.comparisons[1].delta).toEqual({ krs: 0, fss: 0, aoa: 0 });
    expect(out.comparisons[1].p.krs).toBe(1);
    expect(out.comparisons[2].delta.krs).toBeCloseTo(-fx.G20.paired.krs.delta, 10);
  });

  it('several students with --report: one report comparing them (each student, intervals, null levels, the paired differences)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'krs-score-students-'));
    const report = join(dir, 'students.html');
    const r = await krs(...base, '--student', f('student-a.npz'), '--student', f('student-b.npz'), '--report', report, '--charts', join(dir, 'charts'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`report: ${report}`);
    const html = readFileSync(report, 'utf8');
    expect(html.match(/<!DOCTYPE html>/g)).toHaveLength(1);
    expect(html).toContain('2 students');
    for (const name of ['student-a.npz', 'student-b.npz']) expect(html).toContain(name);
    expect(html).toContain('data-chart="students"');
    expect(html).toContain('data-chart="student-layers"');
    expect(html).toMatch(/student-b\.npz − \S*student-a\.npz: ΔKRS [+−]?\d+\.\d\d \[/);
    expect(existsSync(join(dir, 'charts', 'students.svg'))).toBe(true);
  });

  it('several students refuse --student-features (exit 2, one line)', async () => {
    const r = await krs(...base, '--student', f('student-a.npz'), '--student', f('student-b.npz'), '--student-features', f('student-a.npz'));
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--student-features.*one --student only/);
  });
});
