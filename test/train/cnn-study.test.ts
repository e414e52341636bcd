/**
 * The CNN classification study on the shared protocol: a tiny run twice (deterministic per
 * seed), its experiments paired with the baselines, FSS from the flattened conv stages.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readExperimentsTable } from '../../src/analysis/node-experiments.js';
import { CNN_STUDENTS } from '../../src/train/cnn/models.js';
import { type CnnStudyResult, runCnnStudy } from '../../src/train/cnn-study.js';
import { cnnStudyConfig } from '../../src/train/cnn-study-config.js';
import { studyHooks } from '../../src/train/hooks.js';
import { expectKrsError } from '../helpers/fixtures.js';

const outDir = () => join(mkdtempSync(join(tmpdir(), 'krs-cnn-study-')), 'out');
const numbers = (r: CnnStudyResult) => JSON.parse(JSON.stringify(r, (k, v) => (['seconds', 'files', 'source'].includes(k) ? undefined : v)));

describe('cnnStudyConfig', () => {
  it('has ≥ 12 post-KD experiments by default: 3 sizes × (3 temperatures, FitNet, attention transfer)', () => {
    const c = cnnStudyConfig();
    expect(c.students.length * (c.temperatures.length + 2)).toBeGreaterThanOrEqual(12);
    expect(c.alpha).toBe(0.3);
  });
  it('refuses bad settings naming the option', async () => {
    await expectKrsError(() => cnnStudyConfig({ atBeta: -1 }), 'BAD_OPTION', /atBeta/);
    await expectKrsError(() => cnnStudyConfig({ temperatures: [] }), 'BAD_OPTION', /temperatures/);
    await expectKrsError(() => cnnStudyConfig({ trainSize: 9000, testSize: 2000 }), 'BAD_OPTION', /trainSize/);
  });
});

describe('runCnnStudy (tiny)', () => {
  const tiny = () => cnnStudyConfig({ quick: true, trainSize: 300, testSize: 120, temperatures: [4], students: [CNN_STUDENTS[0]!], intervalGroups: 6 });
  let a: CnnStudyResult;
  let b: CnnStudyResult;
  beforeAll(async () => {
    a = await runCnnStudy(tiny(), { out: outDir(), hooks: studyHooks() });
    b = await runCnnStudy(tiny(), { out: outDir() });
  }, 600_000);

  it('pairs kd, fitnet and attention transfer with the baseline of their size, scores conv1 and conv2 flattened', () => {
    expect(a.family).toBe('cnn');
    expect(a.students.map((s) => s.method)).toEqual(['baseline', 'kd-T4', 'fitnet', 'at']);
    expect(a.experiments.map((e) => e.id)).toEqual(['c2-4-kd-T4', 'c2-4-fitnet', 'c2-4-at']);
    for (const e of a.experiments) {
      const base = a.students.find((s) => s.method === 'baseline')!;
      const post = a.students.find((s) => s.method === e.method)!;
      expect([e.krsPre, e.metricPre, e.krsPost, e.metricPost]).toEqual([base.krs, base.metric, post.krs, post.metric]);
      expect(e.krsPostCi![0]).toBeLessThanOrEqual(e.krsPost);
      expect(e.krsPostCi![1]).toBeGreaterThanOrEqual(e.krsPost);
    }
    for (const s of a.students) {
      expect(s.krs).toBeCloseTo(0.3 * s.fss + 0.7 * s.aoa, 10);
      for (const v of [s.fss, s.aoa, s.krs]) expect(v >= 0 && v <= 100).toBe(true);
    }
    // FSS is the mean CKA of conv1 and conv2 — the heatmap's diagonal cells of those stages.
    for (const [k, h] of a.heatmaps.entries()) {
      expect(h.teacherLayers).toEqual(['conv1', 'conv2', 'fc1', 'fc2']);
      const cell = (name: string) => h.cka[h.teacherLayers.indexOf(name)]![h.studentLayers.indexOf(name)]!;
      expect((100 * (cell('conv1') + cell('conv2'))) / 2).toBeCloseTo(a.students[k]!.fss, 8);
    }
    expect(readExperimentsTable(a.files.experimentsCsv).experiments.length).toBe(3);
    for (const f of [a.files.report!, join(a.files.out, 'heatmaps', 'cross-layer-c2-4.svg')]) expect(existsSync(f), f).toBe(true);
  });

  it('is deterministic per seed', () => {
    expect(numbers(b)).toEqual({ ...numbers(a), analysis: null });
  });
});
