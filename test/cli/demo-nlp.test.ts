/**
 * `krs demo --study --family nlp` end to end: the quick study (the CI smoke test), its
 * refusals, and --seeds.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { krs } from '../helpers/cli.js';

const outDir = () => join(mkdtempSync(join(tmpdir(), 'krs-nlp-cli-')), 'out');

describe('krs demo --study --family nlp', () => {
  it('--quick: 6 experiments on 600 / 300 e-mails, table, F1, report, heatmaps', async () => {
    const out = outDir();
    const r = await krs('demo', '--study', '--family', 'nlp', '--quick', '--out', out, '--no-progress');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^krs demo --study — SpamAssassin, 600 training \/ 300 held-out e-mails, seed 1 \(quick\), 6 experiments/);
    expect(r.stdout).toMatch(/teacher encoder-l2-w32 \(\d+ parameters\)/);
    expect(r.stdout).toMatch(/l2-w16-tinybert/);
    for (const f of ['results.json', 'study.csv', 'experiments.csv', 'f1.csv', 'analysis.json', 'report.html', 'heatmaps/cross-layer-l1-w32.svg'])
      expect(existsSync(join(out, f)), f).toBe(true);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect([results.demo, results.task, results.alpha, results.experiments.length, results.f1.experiments.length]).toEqual([
      'spam-nlp-study',
      'nlp',
      0.5,
      6,
      6,
    ]);
  }, 300_000);

  it('refuses the flags of the classification studies', async () => {
    const r = await krs('demo', '--study', '--family', 'nlp', '--quick', '--temperatures', '2,4', '--out', outDir());
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--temperatures.*--family nlp/);
  });

  it('--seeds: one study per seed and the statistics with their spread', async () => {
    const out = outDir();
    const r = await krs(
      'demo',
      '--study',
      '--family',
      'nlp',
      '--quick',
      '--train-size',
      '150',
      '--test-size',
      '60',
      '--seeds',
      '1,2',
      '--out',
      out,
      '--no-progress',
    );
    expect(r.status, r.stderr).toBe(0);
    for (const f of ['seeds.json', 'seeds.csv', 'seed-1/results.json', 'seed-2/f1.csv']) expect(existsSync(join(out, f)), f).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'seeds.json'), 'utf8')).family).toBe('transformer');
  }, 600_000);
});
