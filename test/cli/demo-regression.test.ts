import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { krs } from '../helpers/cli.js';

const outDir = () => join(mkdtempSync(join(tmpdir(), 'krs-regression-cli-')), 'out');

describe('krs demo --task regression --quick', () => {
  it('forecasts the shipped series, prints the students table and the analysis, writes report and captures', async () => {
    const out = outDir();
    const r = await krs('demo', '--task', 'regression', '--quick', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^krs demo --task regression — Global_active_power, past 24 days → next day; 935 \/ 119 \/ 235 train \/ validation \/ test windows, seed 1 \(quick\)/,
    );
    expect(r.stdout).toMatch(/note: .*skipped 129 windows of 1418 \(24 \+ 1 rows\) touching 9 missing rows/);
    expect(r.stdout).toMatch(/Pearson r of KRS with test RMSE: r = -?[\d.]+, p = /);
    expect(r.stdout).toMatch(/^hint +hint \(recurrent state\)/m);
    expect(r.stderr).toMatch(/baseline +train +epoch 1\/1 +loss [\d.]+ +test RMSE [\d.]+ +FSS/);
    for (const f of [
      'results.json',
      'experiments.csv',
      'epochs.csv',
      'forecasts.csv',
      'analysis.json',
      'report.html',
      'captures/teacher.npz',
      'captures/hint.npz',
    ])
      expect(existsSync(join(out, f)), f).toBe(true);
    // krs score on the captures gives the printed scores
    const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    const s = await krs(
      'score',
      '--task',
      'regression',
      '--teacher',
      join(out, 'captures/teacher.npz'),
      '--student',
      join(out, 'captures/distil-0.9.npz'),
      '--json',
    );
    expect(s.status, s.stderr).toBe(0);
    const scored = JSON.parse(s.stdout);
    const d = res.students.find((x: any) => x.id === 'distil-0.9');
    expect([scored.fss, scored.aoa, scored.krs]).toEqual([d.fss, d.aoa, d.krs]);
  }, 120_000);

  it('refuses the MNIST-only flags and --study with it', async () => {
    let r = await krs('demo', '--task', 'regression', '--temperatures', '1,2', '--out', outDir());
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--temperatures/);
    r = await krs('demo', '--task', 'regression', '--study', '--out', outDir());
    expect(r.status).toBe(2);
    r = await krs('demo', '--soft-weights', '0.5', '--out', outDir());
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--soft-weights/);
    r = await krs('demo', '--task', 'forecast', '--out', outDir());
    expect(r.status).toBe(2);
  });
});
