/** Reports show the 95% intervals of a score: in the cards, as error bars and in the chart tables. */
import { describe, expect, it } from 'vitest';
import { openCapture } from '../../src/io/node-capture.js';
import { scoreCaptures } from '../../src/krs/score-captures.js';
import { compositionChart, layerSimilarityChart } from '../../src/report/charts/score.js';
import { renderReport } from '../../src/report/index.js';
import { fixturePath, loadJson } from '../helpers/fixtures.js';

const fx = loadJson('intervals/interval-fixtures.json');

describe('report intervals', () => {
  it('cards, composition and layer charts carry the intervals of the score', async () => {
    const result = await scoreCaptures({
      task: 'classification',
      teacher: openCapture(fixturePath('intervals/teacher.npz')),
      student: openCapture(fixturePath('intervals/student-a.npz')),
    });
    const [lo, hi] = fx.G20.a.intervals.krs.ci95 as [number, number];
    const html = await renderReport({ kind: 'score', result, command: 'krs score …' });
    expect(html).toContain(`95% CI ${lo.toFixed(1)}–${hi.toFixed(1)}`);

    const comp = compositionChart(result);
    expect(comp.table.columns.map((c) => c.label)).toContain('95% CI low');
    const krsRow = comp.table.rows.find((r) => r.component === 'KRS')!;
    expect(krsRow.low).toBeCloseTo(lo, 2);
    expect(krsRow.high).toBeCloseTo(hi, 2);
    expect(JSON.stringify(comp.spec)).toContain('95% CI low');

    const layers = layerSimilarityChart(result);
    expect(layers.table.rows[0]!.low).toBeCloseTo(fx.G20.a.layers[0].ci95[0], 2);
    // A score without intervals (older results) draws as before: no interval columns.
    const { ci95: _c, ...plain } = result;
    expect(compositionChart({ ...plain, layers: plain.layers.map(({ ci95: _l, ...l }) => l) }).table.columns.map((c) => c.label)).not.toContain('95% CI low');
  });
});
