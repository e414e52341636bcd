/**
 * One rounding rule for every number written for people (docs/conventions.md §"Rounding"):
 * half away from zero on the number's shortest decimal form (the digits results.json holds),
 * in the console tables, the reports' tables and cards, and the chart labels alike.
 */
import { describe, expect, it } from 'vitest';
import { fmt as cliFmt } from '../../src/cli/format.js';
import { fixed } from '../../src/core/units.js';
import type { ChartTable } from '../../src/report/chart.js';
import { layerSimilarityChart } from '../../src/report/charts/score.js';
import { fmt, fmtSig } from '../../src/report/format.js';
import { cellText } from '../../src/report/html.js';
import { renderSvg } from '../../src/report/render.js';
import { buildReport } from '../../src/report/report.js';
import { sampleScore } from './fixtures.js';

/** The text the report's HTML shows for a cell of a table. */
function shownCell(table: ChartTable, row: number, key: string): string {
  const c = table.columns.find((x) => x.key === key)!;
  return cellText(table.rows[row]![key], c);
}

describe('one rounding rule: half away from zero on the decimal form', () => {
  it('rounds a written half up in magnitude, in the console and in the report alike', () => {
    for (const [v, want] of [
      [89.675, '89.68'],
      [-89.675, '-89.68'],
      [0.125, '0.13'],
      [99.995, '100.00'],
    ] as const) {
      expect(fixed(v, 2), String(v)).toBe(want);
      expect(cliFmt(v, 2), String(v)).toBe(want);
      expect(fmt(v, 2), String(v)).toBe(want.replace('-', '−'));
    }
  });

  it('rounds values whose binary form is just below the half as their decimal form says', () => {
    // 1.005, 2.675 and 0.285 are stored as 1.00499…, 2.67499… and 0.28499…: toFixed gives 1.00, 2.67, 0.28.
    expect([fixed(1.005, 2), fixed(2.675, 2), fixed(0.285, 2), fixed(87.35, 1)]).toEqual(['1.01', '2.68', '0.29', '87.4']);
    expect([fmt(1.005, 2), fmt(-2.675, 2), fmt(87.35, 1)]).toEqual(['1.01', '−2.68', '87.4']);
  });

  it('keeps what already works: below-half values, whole numbers, tiny and huge values, no negative zero', () => {
    expect([fixed(89.67449, 2), fixed(3, 2), fixed(-0.004, 2), fixed(1e-7, 3), fixed(2.5e-7, 7), fixed(1e21, 0)]).toEqual([
      '89.67',
      '3.00',
      '0.00',
      '0.000',
      '0.0000003',
      '1000000000000000000000',
    ]);
    expect(fmtSig(0.068215, 4)).toBe('0.06822');
    expect(fmtSig(9.99996, 4)).toBe('10.00');
  });

  it('the demo report shows a score as the console does, also where rounding twice would differ', () => {
    const values = [89.675, 89.67449, 89.67499, 1.005, 2.675];
    const students = values.map((v, i) => ({ label: `s${i}`, result: { ...sampleScore(), fss: v, aoa: v, krs: v } }));
    const doc = buildReport({ kind: 'demo', students });
    const models = doc.summary.tables![0]!.table;
    values.forEach((v, i) => {
      expect(shownCell(models, i, 'fss'), String(v)).toBe(cliFmt(v, 2));
    });
    const compared = doc.sections[0]!.charts.find((c) => c.id === 'students')!.table;
    values.forEach((v, i) => {
      expect(shownCell(compared, i, 'krs'), String(v)).toBe(cliFmt(v, 2));
    });
  });

  it('chart labels follow the rule (no number format left to the renderer)', async () => {
    const r = sampleScore();
    const chart = layerSimilarityChart({ ...r, layers: [{ teacher: 'fc', student: 'fc', score: 87.35 }] });
    const svg = await renderSvg(chart);
    expect(svg).toContain('>87.4<');
    expect(shownCell(chart.table, 0, 'score')).toBe('87.35');
  });
});
