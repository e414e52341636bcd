import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { krs } from '../helpers/cli.js';

const outDir = () => join(mkdtempSync(join(tmpdir(), 'krs-study-cli-')), 'out');

describe('krs demo --study --quick', () => {
  it('runs the study smoke test: table, analysis, report, summary with r, t and τ', async () => {
    const out = outDir();
    const r = await krs('demo', '--study', '--quick', '--out', out, '--no-progress');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^krs demo --study — MNIST, 600 training \/ 300 held-out digits, seed 1 \(quick\), 6 experiments/);
    expect(r.stdout).toMatch(/Pearson of post-KD KRS with post-KD accuracy: r = -?[\d.]+, p = [\d.e-]+, 95% CI \[/);
    expect(r.stdout).toMatch(/paired t-test of KRS after vs before KD: t\(5\) = /);
    expect(r.stdout).toMatch(/Kendall's τ/);
    for (const f of ['results.json', 'study.csv', 'experiments.csv', 'experiments.json', 'analysis.json', 'report.html'])
      expect(existsSync(join(out, f)), f).toBe(true);
    expect(readFileSync(join(out, 'study.csv'), 'utf8').split('\n').length).toBe(8);
    const a = await krs('analyze', join(out, 'experiments.csv'), '--json');
    expect(a.status, a.stderr).toBe(0);
    expect(JSON.parse(a.stdout).tasks.classification.pearson).toEqual(
      JSON.parse(readFileSync(join(out, 'analysis.json'), 'utf8')).tasks.classification.pearson,
    );
  }, 120_000);

  it('--family cnn: the CNN study smoke test, with a heatmap per size', async () => {
    const out = outDir();
    const r = await krs('demo', '--study', '--family', 'cnn', '--quick', '--out', out, '--no-progress');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^krs demo --study — MNIST, 600 training \/ 300 held-out digits, seed 1 \(quick\), 8 experiments/);
    expect(r.stdout).toMatch(/teacher cnn-6-16-120-84 \(61706 parameters\)/);
    expect(r.stdout).toMatch(/α sweep: r\(KRS_α, accuracy\) is highest at α = /);
    for (const f of ['results.json', 'study.csv', 'report.html', 'heatmaps/cross-layer-c2-4.svg', 'heatmaps/cross-layer-c4-12.svg'])
      expect(existsSync(join(out, f)), f).toBe(true);
  }, 300_000);

  it('refuses the flags that choose students', async () => {
    const r = await krs('demo', '--study', '--quick', '--student-hidden', '8', '--out', outDir());
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--student-hidden/);
    const cnn = await krs('demo', '--study', '--family', 'cnn', '--quick', '--teacher-hidden', '300,100', '--out', outDir());
    expect(cnn.status).toBe(2);
    expect(cnn.stderr).toMatch(/--teacher-hidden.*--family cnn/);
    const noStudy = await krs('demo', '--family', 'cnn', '--quick', '--out', outDir());
    expect(noStudy.status).toBe(2);
    expect(noStudy.stderr).toMatch(/--family.*--study/);
    const unknown = await krs('demo', '--study', '--family', 'vit', '--out', outDir());
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/--family.*mlp, cnn/);
  });
});
