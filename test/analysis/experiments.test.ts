/**
 * The experiments-table reader: columns, cells, gains-only rows, and one-line errors that
 * name the file, row, line, column and value.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { metricHigherIsBetter, normaliseColumn, parseExperimentsJson } from '../../src/analysis/experiments.js';
import { parseExperimentsCsv, readExperimentsTable } from '../../src/analysis/node-experiments.js';
import { expectKrsError } from '../helpers/fixtures.js';

const HEADER = 'id,task,dataset,teacher,student,method,fss_pre,aoa_pre,fss_post,aoa_post,metric_pre,metric_post';
const ROW1 = 'e1,classification,CIFAR-100,ResNet-101,ResNet-18,SKD,32,47,39,83,70.1,75.2';
const csv = (...lines: string[]) => `${[HEADER, ...lines].join('\n')}\n`;

describe('reading an experiments table', () => {
  it('a CSV row becomes an experiment (deltas, metric direction, preset alpha)', () => {
    const t = parseExperimentsCsv(csv(ROW1), 'x.csv');
    expect(t.warnings).toEqual([]);
    expect(t.experiments).toHaveLength(1);
    const e = t.experiments[0]!;
    expect(e).toMatchObject({ id: 'e1', task: 'classification', dataset: 'CIFAR-100', teacher: 'ResNet-101', student: 'ResNet-18', method: 'SKD' });
    expect(e).toMatchObject({ fssPre: 32, aoaPre: 47, fssPost: 39, aoaPost: 83, deltaFss: 7, deltaAoa: 36, metricPre: 70.1, metricPost: 75.2 });
    expect(e).toMatchObject({ alpha: null, metric: null, higherIsBetter: true, directionSource: 'default', row: 1, line: 2 });
  });

  it('column names: case, spaces, hyphens, camelCase; quoted cells; comments; BOM; TSV', () => {
    const t = parseExperimentsCsv(
      '\uFEFF# a comment line\nID,Task,Dataset,Teacher,Student,Method,FSS pre,AOA-pre,fssPost,aoa_post,metric_pre,metric_post,Metric,Alpha\n' +
        '"e,1",Detection,"VOC, 2012",T,S,UET,10,20,30,40,,,"mAP",0.6\n',
      'x.csv',
    );
    expect(t.experiments[0]).toMatchObject({ id: 'e,1', task: 'detection', dataset: 'VOC, 2012', alpha: 0.6, metric: 'mAP', metricPre: null, line: 3 });
    expect(normaliseColumn(' fssPre ')).toBe('fss_pre');
    const dir = mkdtempSync(join(tmpdir(), 'krs-exp-'));
    writeFileSync(join(dir, 't.tsv'), [HEADER, ROW1].map((l) => l.replace(/,/g, '\t')).join('\n'));
    expect(readExperimentsTable(join(dir, 't.tsv')).experiments[0]!.fssPost).toBe(39);
  });

  it('metric direction: from higher_is_better, else from the name', () => {
    expect(metricHigherIsBetter('RMSE')).toBe(false);
    expect(metricHigherIsBetter('top-1 error')).toBe(false);
    expect(metricHigherIsBetter('val_loss')).toBe(false);
    expect(metricHigherIsBetter('mIoU')).toBe(true);
    expect(metricHigherIsBetter('accuracy')).toBe(true);
    const t = parseExperimentsCsv(`${HEADER},metric,higher_is_better\n${ROW1},RMSE,\ne2,regression,d,t,s,m,1,2,3,4,5,6,score,false\n`, 'x.csv');
    expect(t.experiments.map((e) => [e.higherIsBetter, e.directionSource])).toEqual([
      [false, 'metric-name'],
      [false, 'column'],
    ]);
  });

  it('gains-only rows: empty components with delta_fss and delta_aoa', () => {
    const t = parseExperimentsCsv(`${HEADER},delta_fss,delta_aoa\ne18,detection,COCO,,,UET,,,,,,,44,18\n`, 'x.csv');
    expect(t.experiments[0]).toMatchObject({ fssPre: null, fssPost: null, deltaFss: 44, deltaAoa: 18, teacher: null, metricPost: null });
  });

  it('unknown columns are ignored with a warning; a 0–1 scale is warned about', () => {
    const t = parseExperimentsCsv(`${HEADER},comment\n${ROW1.replace('32,47,39,83', '0.32,0.47,0.39,0.83')},hi\n`, 'x.csv');
    expect(t.warnings.join('\n')).toMatch(/column 'comment' not used/);
    expect(t.warnings.join('\n')).toMatch(/at most 1; krs expects the 0–100 scale/);
  });

  it('JSON: an array of objects or {experiments: […]}, numbers or numeric strings, null = empty', () => {
    const row = {
      id: 'e1',
      task: 'nlp',
      dataset: 'SST-2',
      teacher: 'BERT-base',
      student: 'DistilBERT',
      method: 'DistilBERT',
      fssPre: 40,
      aoa_pre: '42',
      fss_post: 66,
      aoa_post: 70,
      metric_pre: 89.31,
      metric_post: 92.27,
      alpha: null,
    };
    const a = parseExperimentsJson(JSON.stringify([row]), 'x.json');
    const b = parseExperimentsJson(JSON.stringify({ experiments: [row] }), 'x.json');
    expect(a.experiments[0]).toMatchObject({ fssPre: 40, aoaPre: 42, alpha: null, line: null });
    expect(b.experiments).toEqual(a.experiments);
  });
});

describe('bad tables: one-line errors naming row and column', () => {
  it('missing columns', async () => {
    await expectKrsError(
      () => parseExperimentsCsv('id,task,method\ne1,classification,KD\n', 'x.csv'),
      'BAD_FILE',
      /^x\.csv: missing columns 'dataset', 'teacher'/,
      /columns present: id, task, method/,
    );
  });
  it('non-numeric cells', async () => {
    await expectKrsError(
      () => parseExperimentsCsv(csv(ROW1, 'e2,classification,d,t,s,m,32,abc,39,83,1,2'), 'x.csv'),
      'BAD_VALUE',
      /^x\.csv row 2 \(line 3\), column 'aoa_pre': "abc"; expected a number in \[0, 100\]/,
    );
    await expectKrsError(
      () => parseExperimentsCsv(csv('e2,classification,d,t,s,m,32,40,39,83,1,n/a'), 'x.csv'),
      'BAD_VALUE',
      /row 1 \(line 2\), column 'metric_post': "n\/a"/,
    );
  });
  it('components outside [0, 100]', async () => {
    await expectKrsError(
      () => parseExperimentsCsv(csv('e1,classification,d,t,s,m,32,140,39,83,1,2'), 'x.csv'),
      'BAD_VALUE',
      /column 'aoa_pre': "140"; expected a number in \[0, 100\]/,
    );
  });
  it('duplicate ids', async () => {
    await expectKrsError(
      () => parseExperimentsCsv(csv(ROW1, ROW1), 'x.csv'),
      'ID_MISMATCH',
      /experiment id 'e1' appears more than once \(rows 1 and 2 of x\.csv\)/,
    );
  });
  it('unknown task names', async () => {
    await expectKrsError(
      () => parseExperimentsCsv(csv(ROW1.replace('classification', 'speech')), 'x.csv'),
      'BAD_VALUE',
      /row 1 \(line 2\), column 'task': "speech"; expected one of classification, detection, segmentation, nlp, regression/,
    );
  });
  it('alpha outside [0, 1], beta ≠ 1 − alpha', async () => {
    await expectKrsError(
      () => parseExperimentsCsv(`${HEADER},alpha\n${ROW1},1.3\n`, 'x.csv'),
      'BAD_VALUE',
      /row 1 \(line 2\), column 'alpha': "1\.3"; expected a number in \[0, 1\]/,
    );
    await expectKrsError(
      () => parseExperimentsCsv(`${HEADER},alpha,beta\n${ROW1},0.3,0.6\n`, 'x.csv'),
      'BAD_VALUE',
      /column 'beta': "0\.6"; expected 1 − alpha = 0\.7/,
    );
  });
  it('partly filled components, empty ids, deltas that disagree', async () => {
    await expectKrsError(
      () => parseExperimentsCsv(csv('e1,classification,d,t,s,m,32,47,,83,1,2'), 'x.csv'),
      'BAD_VALUE',
      /column 'fss_post': empty; expected .*come together/,
    );
    await expectKrsError(
      () => parseExperimentsCsv(csv('e1,classification,d,t,s,m,,,,,1,2'), 'x.csv'),
      'BAD_VALUE',
      /column 'fss_pre': empty; expected .*delta_fss and delta_aoa/,
    );
    await expectKrsError(() => parseExperimentsCsv(csv(',classification,d,t,s,m,1,2,3,4,1,2'), 'x.csv'), 'BAD_VALUE', /row 1 \(line 2\), column 'id': empty/);
    await expectKrsError(
      () => parseExperimentsCsv(`${HEADER},delta_fss\n${ROW1},8\n`, 'x.csv'),
      'BAD_VALUE',
      /column 'delta_fss': "8"; expected fss_post − fss_pre = 7/,
    );
  });
  it('malformed CSV, empty tables, bad JSON, missing files', async () => {
    await expectKrsError(() => parseExperimentsCsv(csv(`${ROW1},extra`), 'x.csv'), 'BAD_FILE', /^x\.csv: is not valid CSV: .*line 2/);
    await expectKrsError(() => parseExperimentsCsv(csv(), 'x.csv'), 'BAD_FILE', /no experiments/);
    await expectKrsError(() => parseExperimentsCsv('', 'x.csv'), 'BAD_FILE', /empty/);
    await expectKrsError(() => parseExperimentsJson('{"a": 1}', 'x.json'), 'BAD_FILE', /expected a JSON array/);
    await expectKrsError(() => parseExperimentsJson('[1', 'x.json'), 'BAD_FILE', /not valid JSON/);
    await expectKrsError(() => readExperimentsTable('/nonexistent/t.csv'), 'FILE_NOT_FOUND', /no such file/);
  });
});
