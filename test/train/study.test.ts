import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readExperimentsTable } from '../../src/analysis/node-experiments.js';
import { studyHooks } from '../../src/train/hooks.js';
import { mlpArchitecture, parameterCount, TEACHER_ARCH } from '../../src/train/models.js';
import { correlation, fisherInterval, pairedAccuracySe } from '../../src/train/protocol/statistics.js';
import { type MlpStudyResult, runStudy, studyPairs } from '../../src/train/study.js';
import { STUDY_STUDENTS, studyConfig } from '../../src/train/study-config.js';
import { expectKrsError } from '../helpers/fixtures.js';

const ref = JSON.parse(readFileSync(join(__dirname, '../fixtures/train/study-stats.json'), 'utf8'));
const outDir = () => mkdtempSync(join(tmpdir(), 'krs-study-'));
const numbers = (r: MlpStudyResult) => JSON.parse(JSON.stringify(r, (k, v) => (['seconds', 'files', 'source'].includes(k) ? undefined : v)));

describe('study statistics (against SciPy / NumPy, test/fixtures/train/make_study_stats.py)', () => {
  it('Pearson r with the Fisher-z interval equals scipy.stats.pearsonr(...).confidence_interval()', () => {
    const c = correlation(ref.x, ref.y);
    expect(c.r).toBeCloseTo(ref.r, 12);
    expect(c.p).toBeCloseTo(ref.p, 10);
    expect(c.ci95![0]).toBeCloseTo(ref.ci95[0], 10);
    expect(c.ci95![1]).toBeCloseTo(ref.ci95[1], 10);
  });
  it('the interval is undefined for n < 4, |r| = 1 or an undefined r', () => {
    expect(fisherInterval(0.5, 3)).toBeNull();
    expect(fisherInterval(1, 30)).toBeNull();
    expect(fisherInterval(null, 30)).toBeNull();
  });
  it('the paired standard error of an accuracy difference equals NumPy’s', () => {
    const se = pairedAccuracySe(Int32Array.from(ref.first), Int32Array.from(ref.second), Int32Array.from(ref.labels));
    expect(se).toBeCloseTo(ref.se, 12);
    // identical predictions: no noise at all
    expect(pairedAccuracySe(Int32Array.from(ref.first), Int32Array.from(ref.first), Int32Array.from(ref.labels))).toBe(0);
  });
});

describe('study design', () => {
  it('spans ~10× to ~1.5× fewer parameters than the teacher, wide-shallow and narrow-deep, ≥ 30 experiments', () => {
    const c = studyConfig();
    const t = parameterCount(TEACHER_ARCH);
    const ratios = STUDY_STUDENTS.map((s) => t / parameterCount(s));
    expect(Math.max(...ratios)).toBeGreaterThan(9.5);
    expect(Math.min(...ratios)).toBeLessThan(1.55);
    expect(STUDY_STUDENTS.filter((s) => s.hidden.length === 1).length).toBeGreaterThanOrEqual(3);
    expect(STUDY_STUDENTS.filter((s) => s.hidden.length > 1).length).toBeGreaterThanOrEqual(3);
    expect(c.students.length * (c.temperatures.length + 1)).toBeGreaterThanOrEqual(30);
    expect(c.testSize).toBeGreaterThanOrEqual(4000);
    expect(c.trainSize + c.testSize).toBeLessThanOrEqual(10000);
  });
  it('pairs first with first and last with last hidden layers', () => {
    expect(studyPairs(TEACHER_ARCH, mlpArchitecture([32]))).toEqual([
      { teacher: 'hidden1', student: 'hidden1' },
      { teacher: 'hidden2', student: 'hidden1' },
    ]);
    expect(studyPairs(TEACHER_ARCH, mlpArchitecture([8, 8, 8]))).toEqual([
      { teacher: 'hidden1', student: 'hidden1' },
      { teacher: 'hidden2', student: 'hidden3' },
    ]);
    expect(studyPairs(mlpArchitecture([16]), mlpArchitecture([8]))).toEqual([{ teacher: 'hidden1', student: 'hidden1' }]);
  });
  it('rejects bad settings naming the option', async () => {
    await expectKrsError(() => studyConfig({ testSize: 10 }), 'BAD_OPTION', /test-?size/i);
    await expectKrsError(() => studyConfig({ trainSize: 8000, testSize: 4000 }), 'BAD_OPTION', /train-?size/i);
    await expectKrsError(() => studyConfig({ temperatures: [2, 2] }), 'BAD_OPTION', /temperatures/, /distinct/);
  });
});

describe('runStudy (tiny)', () => {
  const tiny = () => studyConfig({ quick: true, trainSize: 300, testSize: 120, temperatures: [2], students: [mlpArchitecture([16]), mlpArchitecture([8, 8])] });
  let a: MlpStudyResult;
  let b: MlpStudyResult;
  beforeAll(async () => {
    a = await runStudy(tiny(), { out: outDir(), hooks: studyHooks() });
    b = await runStudy(tiny(), { out: outDir() });
  }, 120_000);

  it('pairs every KD student with the baseline of its own architecture, and writes the table krs analyze reads', () => {
    expect(a.students.map((s) => `${s.arch}:${s.method}`)).toEqual([
      'mlp-784-16-10:baseline',
      'mlp-784-16-10:kd-T2',
      'mlp-784-16-10:fitnet',
      'mlp-784-8-8-10:baseline',
      'mlp-784-8-8-10:kd-T2',
      'mlp-784-8-8-10:fitnet',
    ]);
    expect(a.experiments.map((e) => e.id)).toEqual(['16-kd-T2', '16-fitnet', '8x2-kd-T2', '8x2-fitnet']);
    for (const e of a.experiments) {
      const base = a.students.find((s) => s.arch === e.arch && s.method === 'baseline')!;
      const post = a.students.find((s) => s.arch === e.arch && s.method === e.method)!;
      expect([e.krsPre, e.metricPre, e.krsPost, e.metricPost]).toEqual([base.krs, base.metric, post.krs, post.metric]);
      expect(e.deltaKrs).toBe(post.krs - base.krs);
      expect(e.krsPostCi![0]).toBeLessThanOrEqual(e.krsPost);
      expect(e.krsPostCi![1]).toBeGreaterThanOrEqual(e.krsPost);
    }
    for (const s of a.students) expect(s.krs).toBeCloseTo(0.3 * s.fss + 0.7 * s.aoa, 10);
    const table = readExperimentsTable(a.files.experimentsCsv);
    expect(table.experiments.length).toBe(4);
    for (const f of [a.files.results, a.files.study, a.files.experimentsJson, a.files.analysis!, a.files.report!]) expect(existsSync(f), f).toBe(true);
    const an = a.analysis as any;
    expect(an.tasks.classification.n).toBe(4);
    expect(an.tasks.classification.pearson.r).toBeCloseTo(a.summary.krsVsMetric.r!, 12);
    expect(an.methods.table.map((m: any) => m.method).sort()).toEqual(['fitnet', 'kd-T2']);
  });

  it('keeps a cross-layer CKA heatmap per student whose FSS pairs average to its FSS, and draws one chart per size', () => {
    expect(a.heatmaps.map((h) => `${h.arch}:${h.method}`)).toEqual(a.students.map((s) => `${s.arch}:${s.method}`));
    for (const [k, h] of a.heatmaps.entries()) {
      const arch = a.config.students.find((s) => s.name === h.arch)!;
      const pairs = studyPairs(a.config.teacher, arch);
      const cells = pairs.map((p) => h.cka[h.teacherLayers.indexOf(p.teacher)]![h.studentLayers.indexOf(p.student)]!);
      expect((100 * cells.reduce((x, y) => x + y, 0)) / cells.length).toBeCloseTo(a.students[k]!.fss, 8);
      for (const row of h.cka) for (const v of row) expect(v! >= 0 && v! <= 1).toBe(true);
      expect([h.estimator, h.n]).toEqual(['exact', a.data.test]);
      expect(['feature-space', 'sample-space']).toContain(h.route);
    }
    for (const size of ['16', '8x2']) expect(existsSync(join(a.files.out, 'heatmaps', `cross-layer-${size}.svg`)), size).toBe(true);
  });

  it('is deterministic per seed', () => {
    expect(numbers(b)).toEqual({ ...numbers(a), analysis: null });
  });
});
