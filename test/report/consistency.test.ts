/**
 * One report reads the same way in every chart: a student keeps its colour, integer axes
 * (epochs, steps) have integer ticks, a subtitle names only what is drawn, and chart text stays
 * at least 11 px on a 400 px page.
 */
import { describe, expect, it } from 'vitest';
import type { Chart } from '../../src/report/chart.js';
import { renderSvg } from '../../src/report/render.js';
import { buildReport, type DemoReportInput, renderReport } from '../../src/report/report.js';
import { runChart } from '../../src/serve/charts.js';
import { sampleScore } from './fixtures.js';

/** Every colour scale of a spec (nested specs too), as label → colour. */
function colourMaps(spec: unknown): Map<string, string>[] {
  const out: Map<string, string>[] = [];
  const walk = (v: unknown) => {
    if (!v || typeof v !== 'object') return;
    const o = v as Record<string, any>;
    if (o.color?.scale?.domain && o.color?.scale?.range) out.push(new Map(o.color.scale.domain.map((d: string, i: number) => [d, o.color.scale.range[i]])));
    for (const x of Object.values(o)) walk(x);
  };
  walk(spec);
  return out;
}

const epochs = (krs: number) => [
  { epoch: 0, phase: 'init', accuracy: 0.1, fss: 10, aoa: 10, krs: 10 },
  { epoch: 1, phase: 'train', accuracy: null, fss: krs, aoa: krs, krs },
  { epoch: 2, phase: 'train', accuracy: null, fss: krs + 1, aoa: krs + 1, krs: krs + 1 },
];

/** A forecasting demo's report input: three students, epochs, test errors and forecasts (labels as the regression demo gives them). */
function regressionDemo(): DemoReportInput {
  const ids = ['baseline', 'distil-0.3', 'hint'];
  const label = (id: string) => `${id} (${id === 'baseline' ? 'truth only' : 'distilled'})`;
  return {
    kind: 'demo',
    students: ids.map((id, k) => ({ label: label(id), result: { ...sampleScore(), krs: 80 + k }, epochs: epochs(80 + k), rmse: 0.3, mae: 0.2 })),
    epochErrors: {
      students: ids.map((id) => ({ label: label(id), epochs: [{ epoch: 1, phase: 'train', rmse: 0.3 }] })),
      teacher: 0.25,
      unit: 'kW',
    },
    forecast: {
      days: ['2010-01-01', '2010-01-02'],
      truth: [1, 2],
      teacher: [1, 2],
      students: ids.map((id) => ({ label: id, values: [1, 2] })),
      quantity: 'kW',
    },
  };
}

/** The tick labels of an SVG chart's x axis. */
function xTickLabels(svg: string): string[] {
  const axis = svg.slice(svg.indexOf('aria-label="X-axis'));
  const labels = axis.slice(axis.indexOf('role-axis-label'), axis.indexOf('role-axis-domain'));
  return [...labels.matchAll(/>([^<]+)<\/text>/g)].map((m) => m[1]!);
}

const charts = (input: DemoReportInput): Chart[] => buildReport(input).sections.flatMap((s) => s.charts);

describe('one report, one reading', () => {
  it('a student keeps its colour in every chart of the report', () => {
    const input = regressionDemo();
    // The per-epoch charts leave the students without epochs out, which must not shift the others' colours.
    input.students = [{ ...input.students[0]!, epochs: [] }, ...input.students.slice(1)];
    const colours = new Map<string, Set<string>>();
    for (const c of charts(input)) {
      for (const m of colourMaps(c.spec)) {
        for (const [label, colour] of m) {
          const id = label.replace(/ \(.*$/, '');
          if (['baseline', 'distil-0.3', 'hint'].includes(id)) colours.set(id, (colours.get(id) ?? new Set()).add(colour));
        }
      }
    }
    expect(colours.size).toBe(3);
    for (const [id, set] of colours) expect([id, [...set]]).toEqual([id, [...set].slice(0, 1)]);
    expect(new Set([...colours.values()].map((s) => [...s][0])).size).toBe(3);
  });

  it('epoch and step axes have integer ticks only', async () => {
    const rmse = charts(regressionDemo()).find((c) => c.id === 'rmse-by-epoch')!;
    expect(xTickLabels(await renderSvg(rmse))).toEqual(['1']);
    const serve = runChart('run', { by: 'step', series: [1, 2].map((step) => ({ step, fss: 50, aoa: 60, krs: 57, ci95: { krs: null } })) });
    expect(xTickLabels(await renderSvg(serve))).toEqual(['1', '2']);
  });

  it('says "band" only when a band is drawn', () => {
    const without = runChart('run', { by: 'step', series: [{ step: 1, fss: 50, aoa: 60, krs: 57, ci95: { krs: null } }] });
    expect(JSON.stringify(without.spec.title)).not.toMatch(/band/);
    const withBand = runChart('run', { by: 'step', series: [{ step: 1, fss: 50, aoa: 60, krs: 57, ci95: { krs: [55, 59] } }] });
    expect(JSON.stringify(withBand.spec.title)).toMatch(/band: 95 % interval/);
  });

  it('chart text is at least 11 px and charts never shrink below their natural size (they scroll instead)', async () => {
    const html = await renderReport(regressionDemo());
    const sizes = [...html.matchAll(/font-size="([\d.]+)px"/g)].map((m) => Number(m[1]));
    expect(sizes.length).toBeGreaterThan(10);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(11);
    for (const m of html.matchAll(/<svg role="img"[^>]*style="min-width:(\d+)px"[^>]*\swidth="([\d.]+)"/g)) expect(Number(m[1])).toBe(Math.floor(Number(m[2])));
  });
});
