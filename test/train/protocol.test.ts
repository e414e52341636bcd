/**
 * The shared study protocol's own statistics (α sweep of r, the per-seed spread) against NumPy
 * (test/fixtures/protocol/make_fixtures.py), the seeds runner's files, and the CLI's refusals.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFiniteNumbers, checkPositiveIntegers, checkStudyCommon, studyConfigFrom } from '../../src/train/protocol/config.js';
import type { StudyResult } from '../../src/train/protocol/run.js';
import { checkSeeds, finishedStudy, runSeeds, seedStatistics } from '../../src/train/protocol/seeds.js';
import { alphaCorrelationSweep } from '../../src/train/protocol/statistics.js';
import { VERSION } from '../../src/version.js';
import { krs } from '../helpers/cli.js';
import { expectKrsError } from '../helpers/fixtures.js';

const ref = JSON.parse(readFileSync(new URL('../fixtures/protocol/protocol.json', import.meta.url), 'utf8'));

/** A study result with just what the seed statistics read. */
function fakeStudy(seed: number, teacherMetric: number, out: string): StudyResult {
  const experiments = [
    { method: 'kd', krsPre: 70, krsPost: 74, deltaKrs: 4, deltaMetric: 1 },
    { method: 'kd', krsPre: 72, krsPost: 73, deltaKrs: 1, deltaMetric: 0.5 },
    { method: 'fitnet', krsPre: 70, krsPost: 69, deltaKrs: -1, deltaMetric: -2 },
    { method: 'fitnet', krsPre: 72, krsPost: 72.5, deltaKrs: 0.5, deltaMetric: 0 },
  ];
  return {
    seed,
    family: 'mlp',
    metric: 'accuracy',
    teacher: { metric: teacherMetric },
    experiments,
    summary: {
      experiments: 4,
      krsVsMetric: { r: 0.5, ci95: [0.1, 0.8] },
      deltaKrsVsDeltaMetric: { r: null },
      alphaSweep: { best: { alpha: 0.2, r: 0.6 } },
      significantMetricDifferences: 1,
      krsRaised: 3,
    },
    files: { out, results: join(out, 'results.json') },
  } as unknown as StudyResult;
}

describe('alphaCorrelationSweep', () => {
  it('r(α·FSS + (1 − α)·AOA, metric) at every α of the grid equals NumPy’s, and the best α', () => {
    const s = alphaCorrelationSweep(ref.fss, ref.aoa, ref.metric);
    expect(s.points.map((p) => p.alpha)).toEqual(ref.alphas);
    s.points.forEach((p, i) => expect(p.r).toBeCloseTo(ref.r[i], 12));
    expect(s.best!.alpha).toBe(ref.bestAlpha);
    expect(s.best!.r).toBeCloseTo(ref.bestR, 12);
  });

  it('is undefined everywhere when the metric is constant', () => {
    const s = alphaCorrelationSweep([1, 2, 3], [3, 1, 2], [5, 5, 5]);
    expect(s.best).toBeNull();
    expect(s.points.every((p) => p.r === null)).toBe(true);
  });
});

describe('seedStatistics', () => {
  it('gives each statistic per seed with mean, sample sd, min and max (NumPy), skipping undefined values', () => {
    const values: number[] = ref.spread.values;
    const stats = seedStatistics(values.map((v, i) => fakeStudy(i + 1, v, `/x/seed-${i + 1}`)));
    const teacher = stats.find((s) => s.name === 'teacher_metric')!;
    expect(teacher.values).toEqual(values);
    expect(teacher.mean).toBeCloseTo(ref.spread.mean, 12);
    expect(teacher.sd).toBeCloseTo(ref.spread.sd, 12);
    expect([teacher.min, teacher.max]).toEqual([ref.spread.min, ref.spread.max]);
    const delta = stats.find((s) => s.name === 'delta_r')!;
    expect(delta.values.every((v) => v === null)).toBe(true);
    expect([delta.mean, delta.sd, delta.min, delta.max]).toEqual([null, null, null, null]);
    // Methods: kd (mean ΔKRS 2.5, Δmetric 0.75) and fitnet (−0.25, −1): same order, τ = 1.
    expect(stats.find((s) => s.name === 'kendall_tau')!.values[0]).toBe(1);
    expect(stats.find((s) => s.name === 'mean_delta_krs')!.values[0]).toBeCloseTo(1.125, 12);
  });

  it('one seed: the sd is undefined', () => {
    const [teacher] = seedStatistics([fakeStudy(1, 90, '/x')]);
    expect(teacher!.sd).toBeNull();
    expect(teacher!.mean).toBe(90);
  });
});

describe('runSeeds', () => {
  it('runs every seed into its own folder and writes seeds.json and seeds.csv', async () => {
    const out = mkdtempSync(join(tmpdir(), 'krs-seeds-'));
    const got: [number, string][] = [];
    const r = await runSeeds([3, 1], out, async (seed, dir) => {
      got.push([seed, dir]);
      return fakeStudy(seed, 90 + seed, dir);
    });
    expect(got).toEqual([
      [3, join(out, 'seed-3')],
      [1, join(out, 'seed-1')],
    ]);
    expect(JSON.parse(readFileSync(r.files.json, 'utf8')).seeds).toEqual([3, 1]);
    const csv = readFileSync(r.files.csv, 'utf8').split('\n');
    expect(csv[0]).toBe('statistic,label,seed_3,seed_1,mean,sd,min,max');
    expect(csv[1]).toMatch(/^teacher_metric,teacher accuracy \(%\),93,91,92,1\.414\d*,91,93$/);
    expect(existsSync(join(out, 'seeds.json'))).toBe(true);
  });

  it('refuses an empty list and a repeated seed, naming it', async () => {
    await expectKrsError(() => checkSeeds([]), 'BAD_OPTION', /--seeds/);
    await expectKrsError(() => checkSeeds([1, 2, 1]), 'BAD_OPTION', /--seeds/, /1 is given twice/);
  });
});

describe('krs demo --seeds refusals', () => {
  const out = () => join(mkdtempSync(join(tmpdir(), 'krs-seeds-cli-')), 'out');
  it('needs --study, excludes --seed, and takes only a list of integers', async () => {
    for (const [args, pattern] of [
      [['--seeds', '1,2'], /--seeds.*--study/],
      [['--study', '--seeds', '1,2', '--seed', '3'], /--seed.*not given with --seeds/],
      [['--study', '--seeds', '1,x'], /--seeds.*non-negative integers/],
      [['--study', '--seeds', '2,2'], /2 is given twice/],
    ] as const) {
      const r = await krs('demo', ...args, '--quick', '--out', out());
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(pattern);
    }
  });
});

describe('finishedStudy (--resume)', () => {
  const study = (out: string, config: unknown, version = VERSION) => ({
    ...fakeStudy(1, 95, '/elsewhere/seed-1'),
    version,
    config,
    summary: { experiments: 4 },
    files: {
      out: '/elsewhere/seed-1',
      results: '/elsewhere/seed-1/results.json',
      experimentsCsv: '/elsewhere/seed-1/experiments.csv',
      experimentsJson: '/elsewhere/seed-1/experiments.json',
      study: '/elsewhere/seed-1/study.csv',
      analysis: null,
      report: '/elsewhere/seed-1/report.html',
    },
    out,
  });
  const folder = (content: string | null) => {
    const out = mkdtempSync(join(tmpdir(), 'krs-finished-'));
    if (content !== null) writeFileSync(join(out, 'results.json'), content);
    return out;
  };
  const config = { seed: 1, epochs: 2, students: [{ name: 'a', width: 8 }] };

  it('is null for a folder without results.json (the seed runs)', () => {
    expect(finishedStudy(folder(null), config, VERSION)).toBeNull();
  });

  it('keeps a study of the same settings (key order aside), its files re-pointed at the folder', () => {
    const out = folder(JSON.stringify(study('', { students: [{ width: 8, name: 'a' }], epochs: 2, seed: 1 })));
    const r = finishedStudy(out, config, VERSION)!;
    expect(r.teacher.metric).toBe(95);
    expect(r.files).toMatchObject({ out, results: join(out, 'results.json'), study: join(out, 'study.csv'), analysis: null, report: join(out, 'report.html') });
  });

  it('refuses other settings naming the first difference, another version, and a file that is not a study', async () => {
    await expectKrsError(
      () => finishedStudy(folder(JSON.stringify(study('', { ...config, students: [{ name: 'a', width: 16 }] }))), config, VERSION),
      'BAD_OPTION',
      /--resume/,
      /config\.students\.0\.width: 8 here, 16 in the file/,
    );
    await expectKrsError(
      () => finishedStudy(folder(JSON.stringify(study('', { seed: 1, epochs: 2 }))), config, VERSION),
      'BAD_OPTION',
      /config\.students: .* here, unset in the file/,
    );
    await expectKrsError(() => finishedStudy(folder(JSON.stringify(study('', config, '0.0.1'))), config, VERSION), 'BAD_OPTION', /made by krs 0\.0\.1/);
    await expectKrsError(() => finishedStudy(folder('{"half": '), config, VERSION), 'BAD_FILE', /results\.json.*not JSON/);
    await expectKrsError(() => finishedStudy(folder('{"experiments": 3}'), config, VERSION), 'BAD_FILE', /not a study's results\.json/);
  });
});

describe('the shared study-settings checks (protocol/config.ts)', () => {
  it('merges the full or quick defaults with the defined settings (undefined keeps the default)', () => {
    type C = { seed: number; quick: boolean; epochs: number; size: number };
    const full = { epochs: 5, size: 100 };
    expect(studyConfigFrom<C>(full, { size: 10 }, {})).toEqual({ seed: 1, quick: false, epochs: 5, size: 100 });
    expect(studyConfigFrom<C>(full, { size: 10 }, { quick: true, epochs: undefined, seed: 4 })).toEqual({ seed: 4, quick: true, epochs: 5, size: 10 });
  });

  it('refuses a value naming its flag', async () => {
    await expectKrsError(
      () =>
        checkPositiveIntegers([
          ['epochs', 2],
          ['batchSize', 0.5],
        ]),
      'BAD_OPTION',
      /batchSize.*0\.5.*a positive integer/,
    );
    await expectKrsError(() => checkFiniteNumbers([['learningRate', 0]], 'positive'), 'BAD_OPTION', /learningRate.*a positive number/);
    await expectKrsError(() => checkFiniteNumbers([['kdWeight', Number.POSITIVE_INFINITY]], 'non-negative'), 'BAD_OPTION', /kdWeight.*a finite number ≥ 0/);
    expect(() => checkFiniteNumbers([['kdWeight', 0]], 'non-negative')).not.toThrow();
    const ok = { seed: 0, intervalGroups: 2, alpha: 1, students: [1] };
    expect(() => checkStudyCommon(ok)).not.toThrow();
    await expectKrsError(() => checkStudyCommon({ ...ok, seed: -1 }), 'BAD_OPTION', /seed/);
    await expectKrsError(() => checkStudyCommon({ ...ok, intervalGroups: 1 }), 'BAD_OPTION', /intervalGroups.*≥ 2/);
    await expectKrsError(() => checkStudyCommon({ ...ok, alpha: 1.5 }), 'BAD_WEIGHT', /1.5/);
    await expectKrsError(() => checkStudyCommon({ ...ok, students: [] }), 'BAD_OPTION', /at least one student/);
  });
});
