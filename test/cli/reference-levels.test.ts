/**
 * Reference levels on the command line: krs score computes the null level by default
 * (--no-null, --null-seed), takes --baseline, prints the reference block and puts `reference`
 * in the JSON; krs eval computes the null level with --null.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { krs } from '../helpers/cli.js';
import { fixturePath } from '../helpers/fixtures.js';
import { ownModel } from '../helpers/models.js';

const f = (name: string) => fixturePath(`score/${name}`);
const CLS = ['score', '--task', 'classification', '--teacher', f('cls-teacher.npz'), '--student', f('cls-student.npz'), '--backend', 'typescript'];

async function json(...args: string[]) {
  const r = await krs(...args, '--json');
  if (r.status !== 0) throw new Error(`krs exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe('krs score: reference levels', () => {
  it('JSON: teacher 100, the null level (seed 1) by default; --null-seed changes it; --no-null drops it', async () => {
    const r = await json(...CLS);
    expect(r.reference.teacher).toBe(100);
    expect(r.reference.baseline).toBeNull();
    expect(r.reference.null).toMatchObject({ seed: 1, method: expect.stringMatching(/shuffled/) });
    expect(r.reference.null.layers.map((l: { teacher: string }) => l.teacher)).toEqual(['conv', 'fc']);
    expect(r.reference.null.krs).toBeLessThan(r.krs - 30);
    expect(r.reference.null.krs).toBeCloseTo(0.3 * r.reference.null.fss + 0.7 * r.reference.null.aoa, 9);
    const seeded = await json(...CLS, '--null-seed', '2');
    expect(seeded.reference.null.seed).toBe(2);
    expect(seeded.reference.null.krs).not.toBe(r.reference.null.krs);
    expect(seeded.krs).toBe(r.krs);
    const off = await json(...CLS, '--no-null');
    expect(off.reference).toEqual({ teacher: 100, null: null, baseline: null });
  });
  it('the table prints the reference block and what the number is', async () => {
    const r = await krs(...CLS);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/reference levels\n/);
    expect(r.stdout).toMatch(/teacher vs itself +100\.00 +100\.00 +100\.00 +by construction/);
    expect(r.stdout).toMatch(/null \(chance\) +\d+\.\d\d .*shuffled against the teacher's \(seed 1\)/);
    expect(r.stdout).toMatch(/similarity and agreement of the student with the teacher on these inputs/);
    expect(r.stdout).not.toMatch(/retain/i);
    expect((await krs(...CLS, '--no-null')).stdout).toMatch(/no null level \(turned off by --no-null\)/);
  });
  it('--baseline: the baseline next to the student, student − baseline with its paired interval and p', async () => {
    const r = await json(...CLS, '--baseline', f('cls-student.npz'));
    const b = r.reference.baseline;
    expect(b).toMatchObject({ file: f('cls-student.npz'), krs: r.krs, fss: r.fss, aoa: r.aoa });
    expect(b.delta).toMatchObject({ krs: 0, fss: 0, aoa: 0, ci95: { krs: [0, 0] }, p: { krs: 1 }, groups: 20 });
    const other = await json(...CLS, '--baseline', f('cls-teacher.npz'));
    expect(other.reference.baseline.krs).toBeCloseTo(100, 6);
    expect(other.reference.baseline.delta.krs).toBeCloseTo(r.krs - 100, 6);
    expect(other.reference.baseline.delta.ci95.krs[1]).toBeLessThan(0);
    expect(other.reference.baseline.delta.p.krs).toBeLessThan(0.001);
    const text = await krs(...CLS, '--baseline', f('cls-teacher.npz'));
    expect(text.stdout).toMatch(/student − baseline {2}ΔKRS -12\.65 \[-?\d+\.\d\d, -?\d+\.\d\d\] p <0\.0001/);
  });
  it('--baseline with several students: each gets its student − baseline', async () => {
    const r = await krs(...CLS, '--student', f('cls-teacher.npz'), '--baseline', f('cls-student.npz'));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/reference levels \(KRS\): .*baseline .*cls-student\.npz 87\.35/);
    expect(r.stdout).toMatch(/cls-teacher\.npz +\d+\.\d\d +\+12\.65/);
  });
  it('detection and PNG label maps: the null level and --baseline-features end to end', async () => {
    const det = await json(
      'score',
      '--task',
      'detection',
      '--teacher',
      f('det-teacher.json'),
      '--student',
      f('det-student.json'),
      '--teacher-features',
      f('det-teacher-features.npz'),
      '--student-features',
      f('det-student-features.npz'),
      '--baseline',
      f('det-teacher.json'),
      '--baseline-features',
      f('det-teacher-features.npz'),
    );
    expect(det.reference.null.aoa).toBeLessThan(det.aoa);
    expect(det.reference.baseline.aoa).toBeCloseTo(100, 9);
    const seg = await json(
      'score',
      '--task',
      'segmentation',
      '--teacher',
      f('seg-teacher'),
      '--student',
      f('seg-student'),
      '--teacher-features',
      f('seg-teacher-features.npz'),
      '--student-features',
      f('seg-student-features.npz'),
    );
    expect(seg.reference.null.aoa).toBeLessThan(seg.aoa);
  });
  it('a bad --null-seed is a usage error (exit 2) naming the flag', async () => {
    const r = await krs(...CLS, '--null-seed', '-3');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--null-seed/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('krs eval: the null level with --null', () => {
  const EVAL = ['eval', '--teacher', ownModel('mlp-teacher.onnx'), '--student', ownModel('mlp-student.onnx'), '--input', 'mnist', '--limit', '500'];
  it('--null that would keep more than the memory budget is refused after the first batch, naming the bytes', async () => {
    const r = await krs(...EVAL, '--task', 'classification', '--no-progress', '--no-worker', '--null', '--memory-budget', '0.05');
    expect(r.status).toBe(3);
    expect(
      r.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('krs:')),
    ).toHaveLength(1);
    expect(r.stderr).toMatch(/krs: the null level of 500 samples \(\d+ bytes each\) needs about [\d.]+ KiB .*more than the memory budget 51\.2 KiB/);
  });

  it('off by default; --null adds it (the same permutation as krs score of the saved captures)', async () => {
    const plain = await json(...EVAL, '--task', 'classification', '--no-progress', '--no-worker');
    expect(plain.reference).toEqual({ teacher: 100, null: null, baseline: null });
    const dir = mkdtempSync(join(tmpdir(), 'krs-null-'));
    const r = await json(...EVAL, '--task', 'classification', '--no-progress', '--no-worker', '--null', '--null-seed', '3', '--save-captures', dir);
    expect(r.krs).toBe(plain.krs);
    expect(r.reference.null).toMatchObject({ seed: 3 });
    expect(r.reference.null.krs).toBeLessThan(20);
    const pair = `${r.layers[0].teacher}:${r.layers[0].student}`;
    const scored = await json(
      'score',
      '--task',
      'classification',
      '--teacher',
      join(dir, 'teacher.npz'),
      '--student',
      join(dir, 'student.npz'),
      '--pair',
      pair,
      '--null-seed',
      '3',
    );
    expect(scored.reference.null.krs).toBeCloseTo(r.reference.null.krs, 6);
    expect(scored.reference.null.fss).toBeCloseTo(r.reference.null.fss, 6);
    rmSync(dir, { recursive: true, force: true });
    const text = await krs(...EVAL, '--task', 'classification', '--no-progress', '--no-worker');
    expect(text.stdout).toMatch(/no null level \(krs eval computes it with --null\)/);
  });
});
