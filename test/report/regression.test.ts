/**
 * The regression report: what the three prediction charts draw, decimation of large n, the
 * predictions read from captures (aligned by id, the truth from `targets`), and the section
 * `krs score --task regression --report` adds.
 */
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/core/tensor.js';
import type { Capture } from '../../src/io/capture.js';
import { openCapture } from '../../src/io/node-capture.js';
import { regressionOfCaptures } from '../../src/report/capture-regression.js';
import {
  decimate,
  MAX_POINTS,
  regressionCharts,
  regressionHorizonChart,
  regressionResidualChart,
  regressionScatterChart,
  regressionShape,
  rmseByStep,
} from '../../src/report/charts/regression.js';
import { buildReport } from '../../src/report/report.js';
import { krs } from '../helpers/cli.js';
import { fixturePath } from '../helpers/fixtures.js';
import { sampleRegression, sampleScore } from './fixtures.js';

/** An in-memory capture of float64 arrays (and string ids). */
function memoryCapture(source: string, arrays: Record<string, { shape: number[]; data: number[] }>, ids?: string[]): Capture {
  const tensor = (k: string): Tensor => {
    const a = arrays[k];
    if (!a) throw new Error(`no ${k}`);
    return { dtype: 'float64', shape: a.shape, data: Float64Array.from(a.data) };
  };
  return {
    source,
    keys: () => [...Object.keys(arrays), ...(ids ? ['ids'] : [])],
    info: (k) => ({ dtype: 'float64', shape: k === 'ids' ? [ids!.length] : arrays[k]!.shape }),
    read: tensor,
    readRows: (k, start, end) => {
      const t = tensor(k);
      const row = t.data.length / t.shape[0]!;
      return { ...t, shape: [end - start, ...t.shape.slice(1)], data: (t.data as Float64Array).slice(start * row, end * row) };
    },
    readIds: () => [...ids!],
  };
}

describe('regression charts', () => {
  const p = sampleRegression();

  it('scatter: one dot per sample and step, the identity line over a common domain', () => {
    const c = regressionScatterChart(p);
    expect(c.table.rows).toHaveLength(60 * 3);
    const spec = c.spec as {
      layer: { data: { values: Record<string, number>[] }; encoding: { x: { scale: { domain: number[] } }; y: { scale: { domain: number[] } } } }[];
    };
    const [identity, dots] = spec.layer;
    expect(identity!.data.values.map((v) => v.v)).toEqual(dots!.encoding.x.scale.domain);
    expect(dots!.encoding.x.scale.domain).toEqual(dots!.encoding.y.scale.domain);
    const min = Math.min(...c.table.rows.flatMap((r) => [r.teacher as number, r.student as number]));
    expect(dots!.encoding.x.scale.domain[0]).toBeLessThan(min);
  });

  it('residuals: student − teacher, and both against the truth, at step 1 in sample order', () => {
    const c = regressionResidualChart(p);
    expect(c.table.columns.map((x) => x.label)).toEqual(['sample #', 'sample id', 'student − teacher', 'student − truth', 'teacher − truth']);
    const r5 = c.table.rows[5]!;
    expect(r5.diff).toBeCloseTo((p.student[15] as number) - (p.teacher[15] as number), 4);
    expect(r5.studentErr).toBeCloseTo((p.student[15] as number) - (p.truth![15] as number), 4);
    expect(JSON.stringify(c.spec)).toMatch(/first horizon step/);
    const noTruth = regressionResidualChart({ ...p, truth: null });
    expect(noTruth.table.columns).toHaveLength(3);
    expect(noTruth.caption).toMatch(/No targets were given/);
  });

  it('horizon: RMSE by step from every sample, rising with the step here', () => {
    const c = regressionHorizonChart(p);
    expect(c.table.rows.map((r) => r.step)).toEqual([1, 2, 3]);
    const sh = regressionShape(p);
    const want = rmseByStep(p.student, p.teacher, sh);
    c.table.rows.forEach((r, s) => expect(r.vsTeacher).toBeCloseTo(want[s]!, 4));
    expect(want[2]!).toBeGreaterThan(want[0]!);
    // By hand, step 1.
    let sum = 0;
    for (let i = 0; i < 60; i++) sum += ((p.student[i * 3] as number) - (p.teacher[i * 3] as number)) ** 2;
    expect(want[0]).toBeCloseTo(Math.sqrt(sum / 60), 10);
  });

  it('horizon chart only for horizon > 1', () => {
    expect(regressionCharts(p).map((c) => c.id)).toEqual(['regression-scatter', 'regression-residuals', 'regression-horizon']);
    const one = { teacher: [1, 2, 3, 4], student: [1.1, 2.1, 2.9, 4.2], horizon: 1 };
    expect(regressionCharts(one).map((c) => c.id)).toEqual(['regression-scatter', 'regression-residuals']);
  });

  it('decimates a long series to at most MAX_POINTS samples and says so', () => {
    expect(decimate(10).rows).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const d = decimate(5000);
    expect(d.stride).toBe(5);
    expect(d.rows.length).toBeLessThanOrEqual(MAX_POINTS);
    const big = sampleRegression(5000, 1);
    const r = regressionResidualChart(big);
    expect(r.table.rows.length).toBeLessThanOrEqual(MAX_POINTS);
    expect(JSON.stringify(r.spec)).toMatch(/every 5th of 5000 samples drawn/);
    expect(r.caption).toMatch(/Every 5th sample is drawn/);
    const s = regressionScatterChart(big);
    expect(s.table.rows.length).toBeLessThanOrEqual(MAX_POINTS);
    expect(s.caption).toMatch(/every 5th sample is drawn \(1000 of 5000\)/);
  });

  it('rejects arrays that do not agree', () => {
    expect(() => regressionShape({ teacher: [1, 2, 3], student: [1, 2], horizon: 1 })).toThrow(/teacher has 3 values, student 2/);
    expect(() => regressionShape({ teacher: [1, 2, 3], student: [1, 2, 3], horizon: 2 })).toThrow(/do not make/);
  });
});

describe('predictions from captures', () => {
  it('aligns the student by id and takes the truth from the teacher’s targets', () => {
    const teacher = memoryCapture(
      't',
      { predictions: { shape: [3, 2], data: [1, 2, 3, 4, 5, 6] }, targets: { shape: [3, 2], data: [1.5, 2.5, 3.5, 4.5, 5.5, 6.5] } },
      ['a', 'b', 'c'],
    );
    const student = memoryCapture('s', { predictions: { shape: [3, 2], data: [30, 40, 10, 20, 50, 60] } }, ['b', 'a', 'c']);
    const p = regressionOfCaptures({ teacher, student });
    expect(p.horizon).toBe(2);
    expect([...p.student]).toEqual([10, 20, 30, 40, 50, 60]);
    expect([...p.truth!]).toEqual([1.5, 2.5, 3.5, 4.5, 5.5, 6.5]);
    expect(p.ids).toEqual(['a', 'b', 'c']);
  });

  it('reads the committed 4-step fixture', () => {
    const p = regressionOfCaptures({
      teacher: openCapture(fixturePath('report/reg-h4-teacher.npz')),
      student: openCapture(fixturePath('report/reg-h4-student.npz')),
    });
    expect(regressionShape(p)).toEqual({ n: 240, horizon: 4, width: 1, hasTruth: true });
    expect(p.source).toMatch(/'predictions' of both captures, 'targets' of the teacher's capture as the truth/);
  });

  it('fails clearly on different shapes', () => {
    const teacher = memoryCapture('t', { predictions: { shape: [2, 2], data: [1, 2, 3, 4] } });
    const student = memoryCapture('s', { predictions: { shape: [4], data: [1, 2, 3, 4] } });
    expect(() => regressionOfCaptures({ teacher, student })).toThrow(/prediction shapes differ: 2×2 \(teacher\) vs 4 \(student\)/);
  });
});

describe('the score report of a regression', () => {
  it('adds a "Predictions" section after the components, with the truth sentence', () => {
    const score = { ...sampleScore(), task: 'regression', output: { metric: 'normalised-mse', aoa: 97, n: 60 } };
    const doc = buildReport({ kind: 'score', result: score, regression: sampleRegression() });
    expect(doc.sections.map((s) => s.id)).toEqual(['components', 'predictions', 'layers']);
    const sec = doc.sections[1]!;
    expect(sec.charts.map((c) => c.id)).toEqual(['regression-scatter', 'regression-residuals', 'regression-horizon']);
    expect(sec.intro).toMatch(
      /60 samples, 3 forecast steps each\. Against the targets, over all 60 samples and 3 steps: RMSE \d\.\d+ for the teacher and \d\.\d+ for the student/,
    );
    expect(buildReport({ kind: 'score', result: score }).sections.map((s) => s.id)).toEqual(['components', 'layers']);
  });

  it('krs score --task regression --report draws the prediction charts from the captures', async () => {
    const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'krs-reg-'));
    try {
      const report = join(dir, 'reg.html');
      const run = await krs(
        'score',
        '--task',
        'regression',
        '--teacher',
        fixturePath('report/reg-h4-teacher.npz'),
        '--student',
        fixturePath('report/reg-h4-student.npz'),
        '--report',
        report,
      );
      expect(run.status, run.stderr).toBe(0);
      const html = readFileSync(report, 'utf8');
      for (const id of ['regression-scatter', 'regression-residuals', 'regression-horizon']) expect(html).toContain(`data-chart="${id}"`);
      expect(html).toContain('RMSE, student vs teacher (output units)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the eval report of a regression', () => {
  it('reads the predictions of the captures eval saved (--save-captures)', async () => {
    const { evalReportInput } = await import('../../src/cli/report-options.js');
    const score = { ...sampleScore(), task: 'regression', output: { metric: 'normalised-mse', aoa: 97, n: 240 }, warnings: [] };
    const r = {
      ...score,
      teacher: { file: 't.onnx', rmse: 0.5 },
      student: { file: 's.onnx', rmse: 0.6 },
      data: { name: 'series.npz' },
      crossLayer: null,
      captures: { teacher: fixturePath('report/reg-h4-teacher.npz'), student: fixturePath('report/reg-h4-student.npz') },
    } as unknown as Parameters<typeof evalReportInput>[0];
    const input = await evalReportInput(r);
    expect(input.regression?.horizon).toBe(4);
    expect(buildReport(input).sections.map((s) => s.id)).toContain('predictions');
    const without = await evalReportInput({ ...r, captures: null } as typeof r);
    expect(without.regression).toBeNull();
  });
});
