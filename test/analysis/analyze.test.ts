/**
 * The whole `krs analyze` pipeline on a synthetic table (test/fixtures/stats/analysis-table.csv)
 * against NumPy/SciPy (make_stats_fixtures.py → stats.json "analysis"), to 1e-6 relative.
 */
import { describe, expect, it } from 'vitest';
import { analyzeExperiments } from '../../src/analysis/analyze.js';
import { readExperimentsTable } from '../../src/analysis/node-experiments.js';
import { analysisCsv, analysisMarkdown } from '../../src/analysis/render.js';
import { analysisTables } from '../../src/analysis/tables.js';
import { expectClose, expectKrsError, fixturePath, loadJson } from '../helpers/fixtures.js';

const ex = loadJson('stats/stats.json').analysis;
const table = readExperimentsTable(fixturePath('stats/analysis-table.csv'));
const r = analyzeExperiments(table.experiments, { source: 'analysis-table.csv' });
const TOL = 1e-6;

describe('analyzeExperiments vs NumPy/SciPy', () => {
  it('per experiment: KRS pre/post and ΔKRS with each row’s α', () => {
    expect(r.experiments.map((e) => e.id)).toEqual(ex.experiments.map((e: any) => e.id));
    for (const [i, e] of ex.experiments.entries()) {
      const got = r.experiments[i]!;
      expect(got.alpha).toBe(e.alpha);
      if (e.krsPre === null) {
        expect(got).toMatchObject({ krsPre: null, krsPost: null, gainsOnly: true });
      } else {
        expectClose(got.krsPre!, e.krsPre, TOL);
        expectClose(got.krsPost!, e.krsPost, TOL);
        expectClose(got.tradeoff.predictedDeltaKrs, got.tradeoff.observedDeltaKrs!, 1e-12);
        expect(Math.abs(got.tradeoff.residual!)).toBeLessThan(1e-12);
      }
      expectClose(got.deltaKrs, e.deltaKrs, TOL);
      if (e.metricGain !== null) expectClose(got.metricGain!, e.metricGain, TOL);
    }
    const seg = r.experiments.find((e) => e.alpha === 0.6)!;
    expect(seg.alphaSource).toBe('table');
    expect(seg.presetAlpha).toBe(0.7);
    expect(r.experiments[0]!.alphaSource).toBe('preset');
  });

  it('per task: Pearson r and p, paired t, means and 95% CIs', () => {
    expect(Object.keys(r.tasks)).toEqual(['classification', 'detection', 'segmentation', 'nlp', 'regression']);
    for (const [task, e] of Object.entries<any>(ex.tasks)) {
      const t = (r.tasks as any)[task];
      expect(t.n, task).toBe(e.n);
      if (e.pearson) {
        expect(t.pearson.reason).toBeNull();
        expectClose(t.pearson.r, e.pearson.r, TOL);
        expectClose(t.pearson.p, e.pearson.p, TOL);
      } else expect(t.pearson).toMatchObject({ r: null, p: null, reason: expect.stringMatching(/needs at least 3 experiments/) });
      if (e.pairedT) {
        expectClose(t.pairedT.t, e.pairedT.t, TOL);
        expectClose(t.pairedT.p, e.pairedT.p, TOL);
        expect(t.pairedT.df).toBe(e.pairedT.df);
        for (const side of ['pre', 'post'] as const) {
          expectClose(t[side].mean, e[side].mean, TOL);
          expectClose(t[side].ci95[0], e[side].ci95[0], TOL);
          expectClose(t[side].ci95[1], e[side].ci95[1], TOL);
        }
      } else {
        expect(t.pairedT).toMatchObject({ t: null, p: null, reason: expect.stringMatching(/at least 2 experiments/) });
        expect(t.pre).toMatchObject({ ci95: null, reason: expect.stringMatching(/at least 2 values/) });
      }
    }
    // The gains-only detection row is left out of the task statistics, and says so.
    expect(r.tasks.detection!.excluded).toEqual([{ id: 'det-uet-gains', reason: 'gains-only, no KRS before or after KD' }]);
    // Box-plot summaries and scatter points come with it.
    expect(r.tasks.classification!.post.box).toMatchObject({ n: 6 });
    expect(r.tasks.classification!.points).toHaveLength(6);
  });

  it("per method: mean gains, both rankings, Kendall's τ-b (with a tie: asymptotic p)", () => {
    expect(r.methods.table.map((m) => m.method)).toEqual(ex.methods.map((m: any) => m.method));
    for (const [i, m] of ex.methods.entries()) {
      const got = r.methods.table[i]!;
      expect(got.n).toBe(m.n);
      expectClose(got.meanMetricGain!, m.meanMetricGain, TOL);
      expectClose(got.meanDeltaKrs, m.meanDeltaKrs, TOL);
    }
    expect(r.methods.kendall.method).toBe(ex.kendall.method);
    expectClose(r.methods.kendall.tau!, ex.kendall.tau, TOL);
    expectClose(r.methods.kendall.p!, ex.kendall.p, TOL);
    // GKD and CRCD tie on metric gain: they share a rank.
    const rank = (m: string) => r.methods.byMetric.find((x) => x.method === m)!.rank;
    expect(rank('GKD')).toBe(rank('CRCD'));
    expect(r.methods.byMetric[0]!.rank).toBe(1);
    expect(r.methods.byKrs.map((x) => x.gain)).toEqual([...r.methods.byKrs.map((x) => x.gain)].sort((a, b) => b - a));
    // One experiment: no spread, with a reason.
    expect(r.methods.table.find((m) => m.method === 'CRCD')).toMatchObject({ deltaKrsCi95: null, deltaKrsReason: 'one experiment: no spread' });
    // RMSE falls, which is a gain.
    expect(r.methods.table.find((m) => m.method === 'FitNet-LSTM')!.meanMetricGain).toBeGreaterThan(0);
  });

  it('sensitivity: every experiment by default, or those named; gains-only rows sweep ΔKRS', () => {
    expect(r.sensitivity.step).toBe(0.01);
    expect(r.sensitivity.experiments).toHaveLength(r.experiments.length);
    const one = analyzeExperiments(table.experiments, { sweep: ['det-uet-gains', 'cla-skd-1'], alphaStep: 0.1 });
    expect(one.sensitivity.experiments.map((s) => [s.id, s.on, s.points.length])).toEqual([
      ['cla-skd-1', 'post', 11],
      ['det-uet-gains', 'delta', 11],
    ]);
    const g = one.sensitivity.experiments[1]!;
    expect(g.best).toEqual({ alpha: 1, krs: 44 });
    expectClose(g.atAlpha, 36.2, 1e-12);
    const s = r.sensitivity.experiments.find((x) => x.id === 'cla-skd-1')!;
    const e = r.experiments.find((x) => x.id === 'cla-skd-1')!;
    expectClose(s.atAlpha, e.krsPost!, 1e-12);
    expect(s.presetAlpha).toBe(0.3);
  });

  it('--alpha overrides every row; bad options throw', async () => {
    const a = analyzeExperiments(table.experiments, { alpha: 0.5 });
    expect(a.experiments.every((e) => e.alpha === 0.5 && e.alphaSource === 'option')).toBe(true);
    expect(a.alphaOverride).toBe(0.5);
    await expectKrsError(() => analyzeExperiments(table.experiments, { alpha: 2 }), 'BAD_WEIGHT', /alpha must be in \[0, 1\], got 2/);
    await expectKrsError(() => analyzeExperiments(table.experiments, { sweep: ['nope'] }), 'UNKNOWN_KEY', /experiment 'nope' not found/);
    await expectKrsError(() => analyzeExperiments(table.experiments, { alphaStep: 0.03 }), 'BAD_OPTION', /alphaStep/);
  });

  it('diagnostics for every experiment, with the thresholds used', () => {
    expect(r.diagnostics.thresholds).toEqual({ low: 40, high: 60, gap: 25 });
    expect(r.diagnostics.experiments).toHaveLength(r.experiments.length);
    expect(r.diagnostics.experiments.every((d) => d.findings.length >= 1)).toBe(true);
    const strict = analyzeExperiments(table.experiments, { thresholds: { low: 10, high: 20, gap: 90 } });
    expect(strict.diagnostics.experiments.filter((d) => d.fssLevel !== null).every((d) => d.findings[0]!.code === 'well-aligned')).toBe(true);
  });

  it('undefined statistics never crash: one experiment, one method, constant values', () => {
    const single = analyzeExperiments(table.experiments.slice(0, 1));
    expect(single.tasks.classification).toMatchObject({ n: 1, pearson: { r: null }, pairedT: { t: null } });
    expect(single.methods.kendall).toMatchObject({ tau: null, reason: 'needs at least 2 methods with a metric gain, got 1' });
    const same = table.experiments.slice(0, 3).map((e) => ({ ...e, fssPost: 50, aoaPost: 50, deltaFss: 50 - e.fssPre!, deltaAoa: 50 - e.aoaPre! }));
    const c = analyzeExperiments(same);
    expect(c.tasks.classification!.pearson.reason).toBe('post-KD KRS is constant (zero variance)');
    expect(c.tasks.classification!.post).toMatchObject({ mean: 50, ci95: null, reason: expect.stringMatching(/zero variance/) });
  });

  it('tables, CSV and Markdown carry the same numbers', () => {
    const tables = analysisTables(r);
    expect(tables.map((t) => t.name)).toEqual([
      'experiments',
      'tradeoff',
      'tasks',
      'points',
      'methods',
      'kendall',
      'sensitivity',
      'sensitivity-curves',
      'diagnostics',
    ]);
    const csv = analysisCsv(r);
    const tasks = csv.get('tasks.csv')!.trim().split('\n');
    expect(tasks[0]).toMatch(/^task,n,alpha,metric,pearson_n,pearson_r,pearson_p,t,df,t_p,/);
    const cls = tasks.find((l) => l.startsWith('classification,'))!.split(',');
    expectClose(Number(cls[5]), ex.tasks.classification.pearson.r, 1e-12);
    expect(csv.get('sensitivity-curves.csv')!.trim().split('\n')).toHaveLength(1 + 101 * r.experiments.length);
    const md = analysisMarkdown(r);
    expect(md).toMatch(/^# KRS analysis of analysis-table\.csv/);
    expect(md).toMatch(/## Per task: correlation/);
    expect(md).toMatch(/\| classification \| 6 \|/);
    expect(md).toMatch(/Kendall's τ-b between the rankings: τ = 0\.270/);
    expect(md).not.toMatch(/sensitivity curves/);
  });
});
