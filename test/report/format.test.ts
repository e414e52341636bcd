/**
 * What the reports print: one number format (no −0.0), score axes zoomed to the data and
 * saying so, human labels for the output details, intervals only where they exist.
 */
import { describe, expect, it } from 'vitest';
import { meanCi, noIntervalReason } from '../../src/report/analysis-report.js';
import { axisTitle, scoreAxis } from '../../src/report/axis.js';
import { boxPlotChart, prePostChart, sensitivityChart } from '../../src/report/charts/analysis.js';
import { studentsChart } from '../../src/report/charts/students.js';
import { fmt, fmtPct, fmtSig, fmtSigned, fmtWeight } from '../../src/report/format.js';
import { cellText } from '../../src/report/html.js';
import { humanise, outputDetailsTable } from '../../src/report/output-details.js';
import { buildReport } from '../../src/report/report.js';
import { paperAnalysis, sampleScore } from './fixtures.js';

describe('fmt: one number format', () => {
  it('never prints a negative zero', () => {
    expect(fmt(-0.04, 1)).toBe('0.0');
    expect(fmt(-0.004, 2)).toBe('0.00');
    expect(fmt(-0, 0)).toBe('0');
    expect(fmtSigned(-0.04, 1)).toBe('0.0');
    expect(fmtSigned(0.04, 1)).toBe('0.0');
    expect(cellText(-0.001, { digits: 2 })).toBe('0.00');
    expect(cellText(-0.001, { digits: 2, signed: true })).toBe('0.00');
    expect(fmtSig(-0.0000001, 2)).toBe('−1.0×10^−7');
  });
  it('uses the minus sign, + on positive signed values, and words for the undefined', () => {
    expect(fmt(-1.25, 1)).toBe('−1.3');
    expect(fmtSigned(2.74, 2)).toBe('+2.74');
    expect(fmtSigned(-2.74, 2)).toBe('−2.74');
    expect(fmt(Number.POSITIVE_INFINITY)).toBe('∞');
    expect(fmt(null)).toBe('—');
    expect(fmt(Number.NaN)).toBe('—');
    expect(fmtPct(0.93146)).toBe('93.15%');
    expect(fmtWeight(0.7000000001)).toBe('0.7');
    expect(fmtWeight(1 / 3)).toBe('0.3333');
    expect(fmtSig(0.068213, 4)).toBe('0.06821');
  });
});

describe('scoreAxis: zoom to the data, say so', () => {
  it('zooms five students between 85 and 95 to round bounds', () => {
    const a = scoreAxis([89.77, 90.5, 91.73, 92.5, 92.83, 85.07, 94.04]);
    expect(a.zoomed).toBe(true);
    expect(a.domain[0]).toBeLessThanOrEqual(85.07);
    expect(a.domain[1]).toBeGreaterThanOrEqual(94.04);
    expect(a.domain[1] - a.domain[0]).toBeLessThanOrEqual(14);
    for (const b of a.domain) expect(b % a.step).toBe(0);
    expect(a.note).toBe(`axis zoomed to ${a.domain[0]}–${a.domain[1]}`);
    expect(axisTitle('KRS', a)).toBe(`KRS (0–100; axis zoomed to ${a.domain[0]}–${a.domain[1]})`);
  });
  it('keeps 0–100 when the data spread over most of it, and for no data', () => {
    expect(scoreAxis([5, 95])).toMatchObject({ domain: [0, 100], zoomed: false });
    expect(scoreAxis([])).toMatchObject({ domain: [0, 100], zoomed: false });
    expect(axisTitle('KRS', scoreAxis([5, 95]))).toBe('KRS (0–100)');
  });
  it('gives one value or equal values a span of at least 2 points, within [0, 100]', () => {
    const a = scoreAxis([99.9, 99.9]);
    expect(a.domain[1]).toBe(100);
    expect(a.domain[1] - a.domain[0]).toBeGreaterThanOrEqual(2);
    const b = scoreAxis([0.2]);
    expect(b.domain[0]).toBe(0);
  });
  it('is what the demo charts use, stated in the subtitle', () => {
    const score = sampleScore();
    const students = [89.77, 90.5, 91.73, 92.5, 92.83].map((k, i) => ({ label: `s${i}`, result: { ...score, krs: k, fss: k - 4, aoa: k + 2 } }));
    const c = studentsChart(students);
    const spec = JSON.stringify(c.spec);
    expect(spec).toMatch(/axis zoomed to 8\d–9\d/);
    expect(spec).not.toMatch(/"domain":\[0,100\]/);
    expect(spec).not.toMatch(/"type":"bar"/); // positions, not lengths, on a zoomed axis
  });
});

describe('analysis charts on zoomed axes', () => {
  const a = paperAnalysis();
  it('pre/post, box and α charts state their axis', () => {
    for (const c of [prePostChart(a.experiments), boxPlotChart(a.tasks, a.experiments), sensitivityChart(a.sweeps)]) {
      const spec = JSON.stringify(c.spec);
      expect(spec, c.id).toMatch(/axis zoomed to 30–[89]0/);
      expect(c.caption, c.id).toMatch(/zoomed to 30–[89]0/);
    }
  });
});

describe('output details: human labels with units', () => {
  it('labels every KL-agreement field, percentages as %', () => {
    const t = outputDetailsTable(sampleScore().output as Record<string, unknown>)!;
    const q = t.rows.map((r) => r.quantity);
    expect(q).toContain('mean KL divergence, teacher ‖ student (nats)');
    expect(q).toContain('top-1 agreement (% of samples)');
    for (const k of ['meanKl', 'top1Agreement', 'infiniteKlSamples', 'jsDivergence', 'top5Overlap']) expect(q).not.toContain(k);
    expect(t.rows.find((r) => r.quantity === 'top-1 agreement (% of samples)')!.value).toMatch(/^\d+\.\d\d%$/);
  });
  it('labels the regression fields, and humanises a field nobody described', () => {
    const t = outputDetailsTable({ metric: 'normalised-mse', aoa: 80, n: 10, rmse: 0.5, normaliserSource: 'teacher-variance', somethingNew: 2 })!;
    expect(t.rows.map((r) => r.quantity)).toEqual([
      'output agreement measure',
      'AOA (0–100)',
      'samples',
      'RMSE, student vs teacher (output units)',
      'M taken from',
      'something new',
    ]);
    expect(humanise('infiniteKlSamples')).toBe('infinite kl samples');
  });
});

describe('intervals only where they exist', () => {
  it('a one-experiment task shows its mean without an interval, and says why', () => {
    const a = paperAnalysis();
    const one = { ...a.tasks[0]!, task: 'nlp', n: 1, pre: { mean: 40, ci95: null }, post: { mean: 50, ci95: null }, pairedT: null, pearson: null };
    expect(meanCi(one.pre)).toBe('40.00');
    expect(noIntervalReason(one)).toMatch(/one experiment: no 95% interval/);
    expect(noIntervalReason(a.tasks[0]!)).toBeNull();
    const doc = buildReport({ kind: 'analysis', analysis: { ...a, tasks: [...a.tasks, one] } });
    expect(doc.summary.tables![0]!.title).toMatch(/nlp: one experiment: no 95% interval/);
    expect(doc.reading.join(' ')).toMatch(/Nlp \(1 experiment\): mean KRS went from 40\.00 before KD to 50\.00 after \(one experiment: no 95% interval/);
    const only = buildReport({ kind: 'analysis', analysis: { ...a, tasks: [one] } });
    const cols = only.summary.tables![0]!.table.columns.map((c) => c.label);
    expect(cols.join(' ')).not.toMatch(/CI/);
  });
});

describe('asSentences', () => {
  it('notes written as separate clauses never run together (the regression report glued two)', async () => {
    const { asSentences } = await import('../../src/report/format.js');
    expect(asSentences(['a.csv: 9 time steps were inserted as missing rows', 'a.csv: filled 3 missing values (fill: linear)', ' done. ', ''])).toBe(
      'a.csv: 9 time steps were inserted as missing rows. a.csv: filled 3 missing values (fill: linear). done.',
    );
    expect(asSentences([])).toBe('');
  });
});
