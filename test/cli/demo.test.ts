import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { krs } from '../helpers/cli.js';

const outDir = () => join(mkdtempSync(join(tmpdir(), 'krs-demo-cli-')), 'out');

/** The numbers of a result, without timings and paths. */
const numbers = (r: unknown) =>
  JSON.parse(JSON.stringify(r, (k, v) => (['seconds', 'capture', 'files', 'teacherFile', 'studentFile', 'source'].includes(k) ? undefined : v)));

let out: string;
let result: any;
let stderr: string;
beforeAll(async () => {
  out = outDir();
  const r = await krs('demo', '--quick', '--out', out, '--json');
  if (r.status !== 0) throw new Error(`krs demo exited ${r.status}: ${r.stderr}`);
  result = JSON.parse(r.stdout);
  stderr = r.stderr;
}, 120_000);

describe('krs demo --quick', () => {
  it('prints the results as JSON (only that on stdout), progress on stderr, and writes the output folder', async () => {
    expect(result.quick).toBe(true);
    expect(result.data).toMatchObject({ train: 600, test: 200, total: 10000 });
    expect(result.students.map((s: any) => s.id)).toEqual(['baseline', 'kd-T1', 'kd-T2', 'kd-T4', 'kd-T8', 'fitnet']);
    expect(numbers(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')))).toEqual(numbers(result));
    for (const f of [
      'results.json',
      'experiments.csv',
      'experiments.json',
      'epochs.csv',
      'analysis.json',
      'report.html',
      'captures/teacher.npz',
      'captures/fitnet.npz',
      'charts/krs-by-epoch.svg',
      'charts/krs-by-epoch.png',
      'charts/students.svg',
    ]) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    // Every chart of the report, alone, as SVG and PNG; the KRS-by-epoch chart is also in the report.
    expect(readFileSync(join(out, 'charts/krs-by-epoch.svg'), 'utf8')).toMatch(/^<svg[^>]*width="\d/);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('data-chart="krs-by-epoch"');
    expect(readFileSync(join(out, 'experiments.csv'), 'utf8').split('\n')[0]).toBe(
      'id,task,dataset,teacher,student,method,fss_pre,aoa_pre,fss_post,aoa_post,metric_pre,metric_post,metric,alpha',
    );
    expect(stderr).toMatch(/teacher +train +epoch 1\/1 +loss [\d.]+ +acc [\d.]+%/);
    expect(stderr).toMatch(/fitnet +hint +epoch 1\/2 .* KRS [\d.]+/);
    for (const s of result.students) {
      expect(s.fss).toBeGreaterThan(0);
      expect(s.krs).toBeCloseTo(0.3 * s.fss + 0.7 * s.aoa, 10);
      expect(s.epochs.length).toBeGreaterThanOrEqual(2);
    }
  });

  it('krs score on the captures it wrote gives the same FSS, AOA and KRS', async () => {
    const r = await krs(
      'score',
      '--task',
      'classification',
      '--teacher',
      join(out, 'captures/teacher.npz'),
      '--student',
      join(out, 'captures/kd-T4.npz'),
      '--json',
    );
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout);
    const kd4 = result.students.find((x: any) => x.id === 'kd-T4');
    expect([s.fss, s.aoa, s.krs]).toEqual([kd4.fss, kd4.aoa, kd4.krs]);
    expect(s.layers.map((l: any) => l.student)).toEqual(['hidden1', 'hidden2']);
  });

  it('krs analyze reads the experiments table it wrote', async () => {
    const r = await krs('analyze', join(out, 'experiments.csv'), '--json');
    expect(r.status, r.stderr).toBe(0);
    const a = JSON.parse(r.stdout);
    expect(a.experiments.map((e: any) => e.method)).toEqual(['kd-T1', 'kd-T2', 'kd-T4', 'kd-T8', 'fitnet']);
    expect(a.tasks.classification.n).toBe(5);
  });

  it('the same seed gives the same numbers; --seed changes them', { timeout: 600_000 }, async () => {
    const again = await krs('demo', '--quick', '--out', outDir(), '--json', '--no-progress');
    expect(again.status).toBe(0);
    expect(again.stderr).toBe('');
    expect(numbers(JSON.parse(again.stdout))).toEqual(numbers(result));
    const other = await krs('demo', '--quick', '--seed', '2', '--out', outDir(), '--json', '--no-progress');
    expect(other.status).toBe(0);
    const o = JSON.parse(other.stdout);
    expect(o.seed).toBe(2);
    expect(o.students.map((s: any) => s.krs)).not.toEqual(result.students.map((s: any) => s.krs));
  });

  it('prints a readable summary with the table, the temperature picks and where the report is', async () => {
    const dir = outDir();
    const r = await krs('demo', '--quick', '--out', dir, '--no-progress', '--temperatures', '2,4');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/student +method +acc % +FSS +AOA +KRS +ΔFSS +ΔAOA +ΔKRS +Δacc/);
    expect(r.stdout).toMatch(/^kd-T4 +vanilla KD, T=4 /m);
    expect(r.stdout).not.toMatch(/kd-T1/);
    expect(r.stdout).toMatch(/KD raised KRS above the baseline's for /);
    expect(r.stdout).toMatch(/Temperature: KRS picks T=[24] .* accuracy picks T=[24]/);
    expect(r.stdout).toContain(`Report: ${join(dir, 'report.html')}`);
  });

  it('--student-hidden and --teacher-hidden change the architectures; FitNet guides the last common hidden layer', async () => {
    const r = await krs(
      'demo',
      '--quick',
      '--out',
      outDir(),
      '--json',
      '--no-progress',
      '--student-hidden',
      '16',
      '--teacher-hidden',
      '64,32',
      '--temperatures',
      '4',
    );
    expect(r.status, r.stderr).toBe(0);
    const o = JSON.parse(r.stdout);
    expect([o.teacher.arch, o.teacher.params, o.student.arch, o.student.params]).toEqual(['mlp-784-64-32-10', 52650, 'mlp-784-16-10', 12730]);
    expect(o.pairs).toEqual([{ teacher: 'hidden1', student: 'hidden1' }]);
    expect(o.students.map((s: any) => s.id)).toEqual(['baseline', 'kd-T4', 'fitnet']);
    expect(o.students[2].hintLayer).toBe('hidden1');
  });

  it('bad options exit 2 with a one-line message', async () => {
    for (const args of [
      ['--seed', '-1'],
      ['--seed', '1.5'],
      ['--temperatures', '0,1'],
      ['--temperatures', '2,2'],
      ['--hint-layer', 'logits'],
      ['--soft-weight', '1.5'],
      ['--train-size', '9000', '--test-size', '2000'],
      ['--backend', 'gpu'],
      ['--student-hidden', '32,0'],
      ['--student-hidden', '16', '--hint-layer', 'hidden2'],
    ]) {
      const r = await krs('demo', '--quick', '--out', outDir(), '--no-progress', ...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^krs: invalid --/);
    }
    const j = await krs('demo', '--quick', '--seed', 'x', '--json');
    expect(j.status).toBe(2);
    expect(JSON.parse(j.stdout).error.code).toBe('BAD_OPTION');
  });
});
