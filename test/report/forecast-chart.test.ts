import { describe, expect, it } from 'vitest';
import { krsByEpochChart } from '../../src/report/charts/epochs.js';
import { forecastChart, rmseByEpochChart } from '../../src/report/charts/forecast.js';
import { renderSvg } from '../../src/report/render.js';

const days = ['2010-01-01', '2010-01-02', '2010-01-03', '2010-01-07', '2010-01-08'];
const input = {
  days,
  truth: [1, 2, 3, 4, 5],
  teacher: [1.1, 2.1, 2.9, 4.2, 5.1],
  students: [{ label: 'baseline', values: [1.2, 1.9, 3.1, 4.4, 4.8] }],
  quantity: 'power (kW)',
};

describe('forecastChart', () => {
  it('draws truth, teacher and each student over the days, with every value in its table', () => {
    const c = forecastChart(input);
    expect(c.id).toBe('forecast-test-period');
    const rows = c.table.rows.filter((r) => r.value !== null);
    expect(rows.length).toBe(15);
    expect(rows.filter((r) => r.series === 'teacher').map((r) => r.value)).toEqual(input.teacher);
    expect(rows.filter((r) => r.series === 'baseline').map((r) => r.day)).toEqual(days);
  });
  it('breaks every line at a gap in the days with one null row a step after the last day before it', () => {
    const c = forecastChart(input);
    const gaps = c.table.rows.filter((r) => r.value === null);
    expect(gaps.map((r) => [r.series, r.day])).toEqual([
      ['truth', '2010-01-04'],
      ['teacher', '2010-01-04'],
      ['baseline', '2010-01-04'],
    ]);
    expect(JSON.stringify(c.spec)).toContain('1 gap');
    expect(JSON.stringify(forecastChart({ ...input, days: days.slice(0, 3), truth: [1, 2, 3], teacher: [1, 2, 3], students: [] }).spec)).not.toContain('gap');
  });
  it('refuses series whose length differs from the days', () => {
    expect(() => forecastChart({ ...input, teacher: [1, 2] })).toThrow(/'teacher' has 2 values for 5 days/);
  });
  it('renders to SVG', async () => {
    const svg = await renderSvg(forecastChart(input));
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('Test period: truth and forecasts');
  });
});

describe('rmseByEpochChart and a KRS-by-epoch chart without accuracy', () => {
  const students = [
    {
      label: 'baseline',
      epochs: [
        { epoch: 0, phase: 'init', rmse: 0.4 },
        { epoch: 1, phase: 'train', rmse: 0.3 },
        { epoch: 2, phase: 'train', rmse: 0.25 },
      ],
    },
    {
      label: 'hint',
      epochs: [
        { epoch: 1, phase: 'hint', rmse: 0.5 },
        { epoch: 2, phase: 'distil', rmse: 0.27 },
      ],
    },
  ];
  it('lists every epoch (epoch 0 too) in its table and draws the teacher as a rule', async () => {
    const c = rmseByEpochChart(students, 0.22, 'kW');
    expect(c.id).toBe('rmse-by-epoch');
    expect(c.table.rows.map((r) => [r.student, r.epoch, r.rmse])).toEqual([
      ['baseline', 0, 0.4],
      ['baseline', 1, 0.3],
      ['baseline', 2, 0.25],
      ['hint', 1, 0.5],
      ['hint', 2, 0.27],
    ]);
    expect(JSON.stringify(c.spec)).toContain("the teacher's (0.22 kW)");
    expect(await renderSvg(c)).toMatch(/^<svg/);
  });
  it('krsByEpochChart draws only the KRS panel when no epoch has an accuracy, naming the samples given', () => {
    const c = krsByEpochChart(
      [
        {
          label: 'a',
          epochs: [
            { epoch: 1, phase: 'train', accuracy: null, krs: 80 },
            { epoch: 2, phase: 'train', accuracy: null, krs: 85 },
          ],
        },
      ],
      { samples: 'the 235 test days' },
    );
    const spec = c.spec as { vconcat: unknown[]; title: { text: string; subtitle: string[] } };
    expect(spec.vconcat.length).toBe(1);
    expect(spec.title.text).toBe('KRS after every epoch');
    expect(spec.title.subtitle[0]).toMatch(/^the 235 test days, after every training epoch/);
  });
});
