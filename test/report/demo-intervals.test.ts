/**
 * The demo and study reports show what results.json holds about each score's uncertainty and
 * meaning: the 95 % intervals as error bars, the null level as reference ticks with a legend,
 * drawn by the same layers as the score report's (src/report/charts/score.ts).
 */
import { describe, expect, it } from 'vitest';
import type { Chart } from '../../src/report/chart.js';
import { prePostChart } from '../../src/report/charts/analysis.js';
import { studentsChart } from '../../src/report/charts/students.js';
import { buildReport, type ReportScore } from '../../src/report/report.js';
import { studyReportInput } from '../../src/train/hooks.js';
import type { StudyResult } from '../../src/train/protocol/run.js';
import { paperAnalysis, sampleScore } from './fixtures.js';

type Layer = { mark: { type: string } | string; data?: { values: Record<string, unknown>[] }; encoding?: Record<string, any> };

/** The layers of a chart's spec (of its faceted inner spec when faceted). */
function layers(chart: Chart): Layer[] {
  const spec = chart.spec as { layer?: Layer[]; spec?: { layer?: Layer[] } };
  return spec.layer ?? spec.spec?.layer ?? [];
}

const markOf = (l: Layer) => (typeof l.mark === 'string' ? l.mark : l.mark.type);

/** A student scored with intervals and a null level, its numbers shifted by `d`. */
function student(label: string, d: number): { label: string; result: ReportScore } {
  const s = sampleScore();
  return {
    label,
    result: {
      ...s,
      fss: 71 + d,
      aoa: 93 + d,
      krs: 87 + d,
      ci95: { fss: [70 + d, 72 + d], aoa: [92.5 + d, 93.5 + d], krs: [86.5 + d, 87.5 + d] },
    },
  };
}

describe('the demo report: intervals and the null level of every student', () => {
  const students = [student('baseline', 0), student('kd-T4', 1.5)];

  it('the students chart draws each 95 % interval as an error bar and tables it', () => {
    const chart = studentsChart(students);
    const bars = layers(chart).filter((l) => markOf(l) === 'rule' && l.encoding?.x2);
    expect(bars).toHaveLength(1);
    expect(bars[0]!.data!.values).toHaveLength(6);
    expect(bars[0]!.data!.values).toContainEqual(expect.objectContaining({ student: 'kd-T4', component: 'KRS', lo: 88, hi: 89 }));
    const cols = chart.table.columns.map((c) => c.key);
    expect(cols).toEqual(expect.arrayContaining(['krsLow', 'krsHigh', 'krsNull']));
    expect(chart.table.rows[1]).toMatchObject({ krsLow: 88, krsHigh: 89, krsNull: 8.972 });
  });

  it('draws the null level as reference ticks with a legend, on the axis edge when below it', () => {
    const chart = studentsChart(students);
    const ticks = layers(chart).filter((l) => markOf(l) === 'tick');
    expect(ticks).toHaveLength(1);
    const values = ticks[0]!.data!.values;
    expect(values).toHaveLength(6);
    expect(ticks[0]!.encoding!.color.legend).not.toBeNull();
    // The students' scores are far above the null level: the axis stays zoomed on them and the ticks sit on its low edge.
    const domain = (layers(chart)[0]!.encoding!.x.scale.domain as number[])[0]!;
    expect(domain).toBeGreaterThan(50);
    expect(values.every((v) => v.x === domain)).toBe(true);
    expect(JSON.stringify(chart.spec.title)).toContain('null level');
  });

  it('a result without intervals or null level draws neither and says nothing of them', () => {
    const plain = students.map(({ label, result }) => {
      const { ci95: _c, reference: _r, ...rest } = result;
      return { label, result: rest };
    });
    const chart = studentsChart(plain);
    expect(layers(chart).filter((l) => markOf(l) === 'tick' || (markOf(l) === 'rule' && l.encoding?.x2))).toHaveLength(0);
    expect(JSON.stringify(chart.spec.title)).not.toMatch(/95|null level/);
  });

  it('the demo report uses that chart', () => {
    const doc = buildReport({ kind: 'demo', students });
    const chart = doc.sections[0]!.charts.find((c) => c.id === 'students')!;
    expect(layers(chart).some((l) => markOf(l) === 'tick')).toBe(true);
  });
});

describe('the study report: the intervals of KRS before and after KD', () => {
  it('prePostChart draws the intervals it is given as error bars and tables them', () => {
    const experiments = paperAnalysis().experiments.map((e) => ({
      ...e,
      krsPreCi: [e.krsPre! - 1, e.krsPre! + 1] as [number, number],
      krsPostCi: [e.krsPost! - 2, e.krsPost! + 2] as [number, number],
    }));
    const chart = prePostChart(experiments);
    const bars = layers(chart).filter((l) => markOf(l) === 'rule' && l.encoding?.x2?.field === 'hi');
    expect(bars).toHaveLength(1);
    expect(chart.table.columns.map((c) => c.key)).toEqual(expect.arrayContaining(['krsPreLow', 'krsPostHigh']));
    expect(chart.table.rows[0]!.krsPostHigh).toBeCloseTo(experiments[0]!.krsPost! + 2, 10);
  });

  it("the study's report input carries each experiment's intervals from results.json", () => {
    const analysis = paperAnalysis();
    const result = {
      seed: 1,
      quick: true,
      analysis,
      experiments: analysis.experiments.map((e) => ({ id: e.id, krsPreCi: [1, 2], krsPostCi: [3, 4] })),
    } as unknown as StudyResult;
    const input = studyReportInput(result);
    const doc = buildReport(input);
    const chart = doc.sections.flatMap((s) => s.charts).find((c) => c.id === 'krs-pre-post')!;
    expect(chart.table.rows[0]).toMatchObject({ krsPreLow: 1, krsPreHigh: 2, krsPostLow: 3, krsPostHigh: 4 });
  });
});
