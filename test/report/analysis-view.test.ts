/**
 * The report's view of a real analysis (analyzeExperiments on the fixture table): the numbers
 * pass through unchanged, the sweeps drawn are chosen as in the paper, findings are grouped.
 */
import { describe, expect, it } from 'vitest';
import { analyzeExperiments } from '../../src/analysis/analyze.js';
import { readExperimentsTable } from '../../src/analysis/node-experiments.js';
import { analysisView, MAX_SWEEP_LINES } from '../../src/report/analysis-view.js';
import { reportCharts } from '../../src/report/report.js';
import { fixturePath } from '../helpers/fixtures.js';

const table = readExperimentsTable(fixturePath('report/experiments.csv'));
const result = analyzeExperiments(table.experiments, { source: 'experiments.csv' });

describe('analysisView', () => {
  const v = analysisView(result);

  it('passes the analysis numbers through', () => {
    expect(v.experiments).toHaveLength(12);
    const e2 = v.experiments.find((e) => e.id === '2')!;
    expect(e2.krsPre).toBeCloseTo(42.5, 9);
    expect(e2.krsPost).toBeCloseTo(69.8, 9);
    expect(e2.dominant).toBe('aoa');
    expect(v.tasks.map((t) => t.task)).toEqual(['classification', 'detection', 'segmentation']);
    const cls = v.tasks[0]!;
    expect(cls.pearson!.r).toBe(result.tasks.classification!.pearson.r);
    expect(cls.pairedT!.p).toBe(result.tasks.classification!.pairedT.p);
    expect(cls.postBox).toEqual(result.tasks.classification!.post.box);
    expect(cls.alpha).toBe(0.3);
    expect(v.methods!.kendall!.tau).toBe(result.methods.kendall.tau);
    expect(v.methods!.byKrs[0]!.method).toBe('UET');
  });

  it('draws at most a few sweeps: the best experiment of each task by post-KD metric', () => {
    expect(result.sensitivity.experiments.length).toBeGreaterThan(MAX_SWEEP_LINES);
    expect(v.sweeps.map((s) => s.label)).toEqual([
      'classification: 2 · SKD · ResNet-18 · CIFAR-100',
      'detection: 21 · UET · EfficientNet-Lite · PASCAL VOC',
      'segmentation: 26 · GLD · ResNet-18 · Oxford-IIIT Pet',
    ]);
    expect(v.sweepNote).toMatch(/12 experiments were swept/);
  });

  it('groups findings that share a situation and advice', () => {
    const fs = v.diagnostics.find((d) => d.startsWith('Outputs agree far more than features in 4 experiments'));
    expect(fs).toMatch(/#1 Vanilla KD \(FSS 36, AOA 67\)/);
    expect(fs).toMatch(/feature-level supervision/);
  });

  it('feeds every analysis chart', () => {
    expect(reportCharts({ kind: 'analysis', analysis: result }).map((c) => c.id)).toEqual([
      'krs-pre-post',
      'krs-box',
      'delta-heatmap',
      'krs-vs-metric',
      'method-rankings',
      'alpha-sensitivity',
    ]);
  });
});
