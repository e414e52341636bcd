import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readExperimentsTable } from '../../src/analysis/node-experiments.js';
import { pickTemperature } from '../../src/train/demo.js';
import { csvField, EXPERIMENT_COLUMNS, type ExperimentRow, experimentsCsv } from '../../src/train/experiments.js';

const row = (method: string, fssPost: number, metricPost: number): ExperimentRow => ({
  id: `mnist-${method}`,
  task: 'classification',
  dataset: 'mnist',
  teacher: 'mlp-784-300-100-10',
  student: 'mlp-784-64-32-10',
  method,
  fss_pre: 85.1,
  aoa_pre: 91.7,
  fss_post: fssPost,
  aoa_post: 93.25,
  metric_pre: 93.3,
  metric_post: metricPost,
  metric: 'accuracy',
  alpha: 0.3,
});

describe('experiments table', () => {
  it('has the docs/data-model.md §"Experiments table" columns, and krs analyze’s reader reads it back exactly', () => {
    expect(EXPERIMENT_COLUMNS).toEqual([
      'id',
      'task',
      'dataset',
      'teacher',
      'student',
      'method',
      'fss_pre',
      'aoa_pre',
      'fss_post',
      'aoa_post',
      'metric_pre',
      'metric_post',
      'metric',
      'alpha',
    ]);
    const rows = [row('kd-T4', 89.03123456789012, 93.25), row('fitnet', 1 / 3, 93.55)];
    const dir = mkdtempSync(join(tmpdir(), 'krs-exp-'));
    const file = join(dir, 'experiments.csv');
    writeFileSync(file, experimentsCsv(rows));
    const table = readExperimentsTable(file);
    expect(table.warnings).toEqual([]);
    expect(table.experiments.map((e) => [e.id, e.method, e.fssPost, e.metricPost, e.alpha, e.higherIsBetter])).toEqual([
      ['mnist-kd-T4', 'kd-T4', 89.03123456789012, 93.25, 0.3, true],
      ['mnist-fitnet', 'fitnet', 1 / 3, 93.55, 0.3, true],
    ]);
  });

  it('quotes CSV text only when it must', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField(null)).toBe('');
    expect(csvField(NaN)).toBe('');
    expect(csvField(0.1 + 0.2)).toBe('0.30000000000000004');
  });
});

describe('pickTemperature', () => {
  it('picks by KRS and by accuracy, lowest temperature on ties, listing accuracy ties', () => {
    const p = pickTemperature([
      { temperature: 8, krs: 92.8, accuracy: 93.45 },
      { temperature: 1, krs: 90.5, accuracy: 93.5 },
      { temperature: 2, krs: 91.7, accuracy: 93.5 },
      { temperature: 4, krs: 92.8, accuracy: 93.25 },
    ]);
    expect(p.candidates).toEqual([1, 2, 4, 8]);
    expect(p.byKrs).toEqual({ temperature: 4, krs: 92.8, accuracy: 93.25 });
    expect(p.byAccuracy).toEqual({ temperature: 1, accuracy: 93.5, krs: 90.5, tied: [1, 2] });
    expect(p.agree).toBe(false);
    expect(pickTemperature([{ temperature: 2, krs: 1, accuracy: 2 }]).agree).toBe(true);
  });
});
