/**
 * Chart specs: golden files (normalised Vega-Lite JSON), and what each chart must show —
 * checked on the spec and on the compiled/rendered output.
 */
import { describe, expect, it } from 'vitest';
import type { Chart } from '../../src/report/chart.js';
import { boxPlotChart, deltaHeatmap, fmtP, krsVsMetricChart, prePostChart, rankingChart, sensitivityChart } from '../../src/report/charts/analysis.js';
import { epochDomain, krsByEpochChart } from '../../src/report/charts/epochs.js';
import { cellLayout, crossLayerHeatmap } from '../../src/report/charts/heatmap.js';
import { regressionHorizonChart, regressionResidualChart, regressionScatterChart } from '../../src/report/charts/regression.js';
import { compositionChart, layerSimilarityChart } from '../../src/report/charts/score.js';
import { studentLayersChart, studentsChart } from '../../src/report/charts/students.js';
import { renderSvg, svgSize, toVega } from '../../src/report/render.js';
import { paperAnalysis, sampleEpochs, sampleMatrix, sampleRegression, sampleScore } from './fixtures.js';
import { expectGolden, normalisedJson, normaliseText } from './golden.js';

const a = paperAnalysis();
const score = sampleScore();

const charts: Record<string, () => Chart> = {
  'krs-composition': () => compositionChart(score),
  'layer-similarity': () => layerSimilarityChart(score),
  'cross-layer-cka': () => crossLayerHeatmap(sampleMatrix()),
  'cross-layer-cka-panels': () =>
    crossLayerHeatmap(
      [
        { label: 'pre-KD', matrix: sampleMatrix(-0.3) },
        { label: 'vanilla KD', matrix: sampleMatrix(-0.1) },
        { label: 'SKD', matrix: sampleMatrix(0) },
      ],
      { id: 'cross-layer-cka-panels' },
    ),
  'krs-pre-post': () => prePostChart(a.experiments),
  'delta-heatmap': () => deltaHeatmap(a.experiments),
  'alpha-sensitivity': () => sensitivityChart(a.sweeps),
  'krs-box': () => boxPlotChart(a.tasks, a.experiments),
  'krs-vs-metric': () => krsVsMetricChart(a.tasks, a.experiments),
  'method-rankings': () => rankingChart(a.methods!),
  students: () =>
    studentsChart([
      { label: 'baseline', result: { ...score, fss: 40, aoa: 55, krs: 50.5 } },
      { label: 'vanilla KD', result: score },
    ]),
  'student-layers': () =>
    studentLayersChart([
      { label: 'baseline', result: { ...score, layers: score.layers.map((l) => ({ ...l, score: l.score - 20 })) } },
      { label: 'vanilla KD', result: score },
    ]),
  'regression-scatter': () => regressionScatterChart(sampleRegression()),
  'regression-residuals': () => regressionResidualChart(sampleRegression()),
  'regression-horizon': () => regressionHorizonChart(sampleRegression()),
  'krs-by-epoch': () =>
    krsByEpochChart(sampleEpochs(), {
      picks: { krs: { temperature: 4, students: ['kd-T4 (vanilla KD, T=4)'] }, accuracy: { temperature: 4, students: ['kd-T4 (vanilla KD, T=4)'] } },
    }),
};

describe('chart specs', () => {
  for (const [name, make] of Object.entries(charts)) {
    it(`${name}: matches its golden spec, compiles and renders`, async () => {
      const c = make();
      expect(c.id).toMatch(/^[a-z0-9-]+$/);
      expect(c.title.length).toBeGreaterThan(0);
      expect(c.caption.length).toBeGreaterThan(20);
      expect(c.table.columns.length).toBeGreaterThan(0);
      expect(c.table.rows.length).toBeGreaterThan(0);
      for (const row of c.table.rows) for (const col of c.table.columns) expect(row, `${name}: table cell ${col.key}`).toHaveProperty(col.key);
      expectGolden(`charts/${name}.vl.json`, normalisedJson({ id: c.id, title: c.title, caption: c.caption, table: c.table, spec: c.spec }));
      expect(() => toVega(c)).not.toThrow();
      const svg = await renderSvg(c);
      const { width, height } = svgSize(svg);
      expect(width).toBeGreaterThan(100);
      expect(height).toBeGreaterThan(80);
      expect(svg).not.toMatch(/NaN|undefined/);
    });
  }

  it('renders the same SVG twice (no state carried between charts)', async () => {
    const c = charts['cross-layer-cka']!();
    const first = await renderSvg(c);
    await renderSvg(charts['krs-composition']!());
    expect(await renderSvg(c)).toBe(first);
    expectGolden('svg/cross-layer-cka.svg', normaliseText(first));
  });
});

describe('cross-layer heatmap', () => {
  it('keeps network order on both axes, prints values and fixes the colour scale to [0, 1]', () => {
    const m = sampleMatrix();
    const c = crossLayerHeatmap(m);
    const spec = c.spec as any;
    const rect = spec.layer[0].encoding;
    expect(rect.y.sort).toEqual(m.teacherLayers);
    expect(rect.x.sort).toEqual(m.studentLayers);
    expect(rect.color.scale.domain).toEqual([0, 1]);
    const values = spec.data.values as { teacher: string; student: string; cka: number | null; text: string }[];
    expect(values).toHaveLength(m.teacherLayers.length * m.studentLayers.length);
    expect(values.find((v) => v.teacher === 'layer2' && v.student === 'block1')).toMatchObject({ cka: null, text: '—' });
    expect(values.find((v) => v.teacher === 'fc' && v.student === 'fc')!.text).toBe('0.95');
    expect(spec.layer[1].encoding.text.field).toBe('text');
  });

  it('drops the printed values (not the cells) when there are too many layers', () => {
    expect(cellLayout(8).showValues).toBe(true);
    expect(cellLayout(40).showValues).toBe(false);
    const names = Array.from({ length: 40 }, (_, i) => `l${i}`);
    const c = crossLayerHeatmap({ teacherLayers: names, studentLayers: names.slice(0, 3), cka: names.map(() => [0.1, 0.5, 0.9]) });
    expect((c.spec as any).layer).toHaveLength(1);
    expect(c.caption).toMatch(/in the table/);
  });

  it('shares one colour scale across panels, in the given panel order', () => {
    const c = crossLayerHeatmap([
      { label: 'SKD', matrix: sampleMatrix(0) },
      { label: 'pre-KD', matrix: sampleMatrix(-0.3) },
    ]);
    const spec = c.spec as any;
    expect(spec.facet.column.sort).toEqual(['SKD', 'pre-KD']);
    expect(spec.resolve.scale.color).toBe('shared');
    expect(spec.spec.layer[0].encoding.color.scale.domain).toEqual([0, 1]);
  });
});

describe('KRS by epoch', () => {
  const epochs = sampleEpochs();
  const labels = epochs.map((s) => s.label);
  const chart = krsByEpochChart(epochs, { picks: { krs: { temperature: 4, students: [labels[1]!] }, accuracy: { temperature: 1, students: [labels[0]!] } } });
  const spec = chart.spec as any;
  const values = spec.data.values as Record<string, any>[];
  const [krsPanel, accPanel] = spec.vconcat as any[];
  const layer = (panel: any, mark: string, filter: string) =>
    panel.layer.find((l: any) => (l.mark.type ?? l.mark) === mark && (l.transform?.[0]?.filter ?? '').includes(filter));

  it('draws KRS and accuracy (in %) per epoch, epoch 0 only in the table, students coloured as in the other student charts', () => {
    expect(values.some((v) => v.epoch === 0)).toBe(false);
    expect(chart.table.rows.filter((r) => r.epoch === 0)).toHaveLength(3);
    const kd2 = values.find((v) => v.student === labels[1] && v.epoch === 2)!;
    expect(kd2.krs).toBeCloseTo(0.3 * 86.9 + 0.7 * 89.1, 3);
    expect(kd2.acc).toBeCloseTo(90.4, 6);
    const line = layer(krsPanel, 'line', '!datum.hint');
    expect(line.encoding.color.scale).toEqual(
      (studentLayersChart(epochs.map((s) => ({ label: s.label, result: score }))).spec as any).layer[0].encoding.color.scale,
    );
    expect(line.encoding.y.field).toBe('krsY');
    expect(layer(accPanel, 'line', '!datum.hint').encoding.y.field).toBe('accY');
  });

  it('marks hint-stage epochs apart (shaded, ▽) and puts off-scale ones on the edge with their value printed', () => {
    const hint = values.filter((v) => v.hint);
    expect(hint.map((v) => `${v.student.split(' ')[0]} ${v.epoch}`)).toEqual(['fitnet 1', 'fitnet 2']);
    const [lo, hi] = krsPanel.layer.find((l: any) => l.encoding?.y?.field === 'krsY').encoding.y.scale.domain;
    // The curves' range, with a strip below for the off-scale hint epochs.
    expect(lo).toBeLessThan(Math.min(...values.filter((v) => !v.hint).map((v) => v.krs)));
    expect(Math.min(...values.filter((v) => !v.hint).map((v) => v.krs)) - lo).toBeLessThan(5);
    expect(hi).toBeGreaterThanOrEqual(Math.max(...values.map((v) => v.krs)));
    for (const v of hint) {
      expect(v.krsY).toBe(lo);
      expect(v.krsOff).toBe(v.krs.toFixed(1));
    }
    expect(values.filter((v) => !v.hint).every((v) => v.krsOff === null && v.accOff === null && v.krsY === v.krs)).toBe(true);
    expect(layer(krsPanel, 'point', 'datum.hint').mark.shape).toBe('triangle-down');
    expect(krsPanel.layer[0].mark.type).toBe('rect');
    expect(krsPanel.layer[0].data.values).toEqual([{ from: 0.5, to: 2.5, label: 'fitnet: hint stage' }]);
    expect(spec.title.subtitle.join(' ')).toMatch(/hint-stage epochs of fitnet/);
  });

  it("rings each measure's pick at its last epoch, in its own panel", () => {
    expect(values.filter((v) => v.pickKrs).map((v) => [v.student, v.epoch])).toEqual([[labels[1], 4]]);
    expect(values.filter((v) => v.pickAcc).map((v) => [v.student, v.epoch])).toEqual([[labels[0], 4]]);
    expect(layer(krsPanel, 'point', 'pickKrs')).toBeTruthy();
    expect(layer(accPanel, 'point', 'pickAcc')).toBeTruthy();
    expect(spec.title.subtitle.join(' ')).toContain('KRS T = 4, accuracy T = 1');
  });

  it('without hint epochs or picks: no band, no ▽, no rings', () => {
    const c = krsByEpochChart(epochs.slice(0, 2));
    const s = c.spec as any;
    expect(s.vconcat[0].layer.map((l: any) => l.mark.type)).toEqual(['line', 'point']);
    expect(s.data.values.some((v: any) => v.pickKrs || v.pickAcc || v.hint)).toBe(false);
    expect(s.title.subtitle).toHaveLength(1);
  });

  it('takes a y range of whole points, at least 2 wide, within [0, 100]', () => {
    expect(epochDomain([82.42, 92.83])).toEqual([82, 94]);
    expect(epochDomain([99.9, 99.95])).toEqual([98, 100]);
    expect(epochDomain([50])).toEqual([49, 51]);
    expect(epochDomain([])).toEqual([0, 100]);
  });
});

describe('analysis charts', () => {
  it('marks the preset α of each task as dashed rules, and an α used instead as dotted ones', () => {
    const spec = sensitivityChart(a.sweeps).spec as any;
    const rules = spec.layer[0];
    expect(rules.encoding.strokeDash.scale).toEqual({
      domain: ['preset', 'used'],
      range: [
        [6, 4],
        [2, 2],
      ],
    });
    expect(rules.data.values.map((v: { alpha: number }) => v.alpha).sort()).toEqual([0.3, 0.7]);
    expect(rules.data.values.every((v: { kind: string }) => v.kind === 'preset')).toBe(true);
    const overridden = sensitivityChart(a.sweeps.map((s) => ({ ...s, presetAlpha: s.alpha, alpha: 0.5 }))).spec as any;
    expect(overridden.layer[0].data.values.map((v: { alpha: number; kind: string }) => `${v.kind} ${v.alpha}`)).toEqual([
      'preset 0.3',
      'used 0.5',
      'preset 0.7',
    ]);
    expect(rules.data.values.find((v: { alpha: number }) => v.alpha === 0.7).label).toMatch(/detection, segmentation/);
    const points = spec.layer[2].data.values;
    expect(points).toHaveLength(3 * 101);
  });

  it('draws box plots from the analysis five-number summaries, not from its own quantiles', () => {
    const spec = boxPlotChart(a.tasks, a.experiments).spec as any;
    const boxes = spec.data.values.filter((v: { kind: string }) => v.kind === 'box');
    const cls = a.tasks.find((t) => t.task === 'classification')!;
    expect(boxes.find((b: { task: string; phase: string }) => b.task === 'classification' && b.phase === 'post-KD')).toMatchObject({
      q1: Number(cls.postBox!.q1.toFixed(4)),
      median: Number(cls.postBox!.median.toFixed(4)),
      q3: Number(cls.postBox!.q3.toFixed(4)),
    });
    expect(JSON.stringify(spec)).not.toMatch(/"boxplot"/);
  });

  it('puts Pearson r and p in each task panel and Kendall τ in the ranking title', () => {
    const scatter = krsVsMetricChart(a.tasks, a.experiments).spec as any;
    const r = a.tasks[0]!.pearson!.r.toFixed(3);
    expect(scatter.facet.column.sort[0]).toContain(`r = ${r}`);
    const ranking = rankingChart(a.methods!).spec as any;
    expect(ranking.title.subtitle).toContain(`τ = ${a.methods!.kendall!.tau.toFixed(3)}`);
  });

  it('writes p-values readably', () => {
    expect(fmtP(0.0431)).toBe('0.043');
    expect(fmtP(2.5e-7)).toBe('2.5×10^−7');
    expect(fmtP(0)).toBe('0');
  });

  it('leaves gains-only experiments (no KRS before/after) out of the bars but keeps their deltas', () => {
    const es = [...a.experiments, { ...a.experiments[0]!, id: 'g1', krsPre: null, krsPost: null }];
    const bars = (prePostChart(es).spec as any).data.values;
    expect(bars.filter((v: { experiment: string }) => v.experiment.startsWith('g1'))).toHaveLength(0);
    const cells = (deltaHeatmap(es).spec as any).data.values;
    expect(cells.filter((v: { experiment: string }) => v.experiment.startsWith('g1'))).toHaveLength(3);
  });
});
