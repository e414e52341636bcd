/**
 * Node-only: a study over several seeds (`krs demo --study --seeds 1,2,3`). Each seed is a
 * whole study — its own split, initial weights, batch orders — written to `<out>/seed-<s>/`;
 * the statistics a reader would quote (r of KRS with the metric, the paired t of KRS before
 * and after KD, Kendall's τ of the method rankings, the best α, changes beyond noise) are
 * gathered per seed with their spread (mean, sample standard deviation, min, max) into
 * `<out>/seeds.json` and `<out>/seeds.csv`, so a finding can be told from a seed.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { errors } from '../../core/errors.js';
import { writeFileAtomic } from '../../io/node-atomic-write.js';
import { kendallTau } from '../../stats/kendall.js';
import { pairedTTest } from '../../stats/ttest.js';
import { toCsv } from '../experiments.js';
import type { StudyResult } from './run.js';

/** One statistic of the study, per seed, with its spread over the seeds where it is defined. */
export interface SeedStatistic {
  /** Machine name (`krs_vs_metric_r`). */
  name: string;
  /** What it is, for a reader. */
  label: string;
  /** By seed, in the order of the seeds; null where undefined for that seed. */
  values: (number | null)[];
  /** Over the defined values: mean, sample standard deviation (n − 1; null below 2 values), min, max; null when none is defined. */
  mean: number | null;
  sd: number | null;
  min: number | null;
  max: number | null;
}

export interface SeedsResult {
  seeds: number[];
  family: string;
  metric: string;
  /** Each seed's folder and its results.json. */
  runs: { seed: number; out: string; results: string }[];
  statistics: SeedStatistic[];
  files: { json: string; csv: string };
}

/** Seeds as given: a non-empty list of distinct seeds. @throws KrsError BAD_OPTION naming the repeated seed. */
export function checkSeeds(seeds: readonly number[]): void {
  if (seeds.length === 0) throw errors.badOption('--seeds', '', 'one or more seeds, e.g. 1,2,3');
  const seen = new Set<number>();
  for (const s of seeds) {
    if (seen.has(s)) throw errors.badOption('--seeds', seeds.join(','), `distinct seeds (${s} is given twice)`);
    seen.add(s);
  }
}

/** The folder of one seed's study inside `out`. */
export const seedFolder = (out: string, seed: number): string => path.join(out, `seed-${seed}`);

/**
 * Run `runOne` for every seed (in order, each into its own folder), then write the per-seed
 * statistics. A failing seed stops the run (its error propagates; finished seeds keep their
 * folders). With `finished` (`--resume`), a seed whose folder already holds its finished study
 * (see {@link finishedStudy}) is kept instead of run again.
 */
export async function runSeeds(
  seeds: readonly number[],
  out: string,
  runOne: (seed: number, out: string) => Promise<StudyResult>,
  finished?: (seed: number, out: string) => StudyResult | null,
): Promise<SeedsResult> {
  checkSeeds(seeds);
  const results: StudyResult[] = [];
  for (const seed of seeds) {
    const dir = seedFolder(out, seed);
    results.push(finished?.(seed, dir) ?? (await runOne(seed, dir)));
  }
  const first = results[0]!;
  const result: SeedsResult = {
    seeds: [...seeds],
    family: first.family,
    metric: first.metric,
    runs: results.map((r) => ({ seed: r.seed, out: r.files.out, results: r.files.results })),
    statistics: seedStatistics(results),
    files: { json: path.join(out, 'seeds.json'), csv: path.join(out, 'seeds.csv') },
  };
  writeFileAtomic(result.files.csv, seedsCsv(result), 'the per-seed statistics');
  writeFileAtomic(result.files.json, `${JSON.stringify(result, null, 2)}\n`, 'the per-seed statistics');
  return result;
}

/**
 * The finished study of a seed's folder, to keep rather than run again (`--resume`): its
 * results.json when this krs version wrote it for the same settings (`config`, compared value by
 * value, key order aside), with its file paths re-pointed at `out` (the folder may have moved).
 * Null when the folder holds no results.json: the seed has not finished, so it runs.
 * @throws KrsError BAD_FILE when results.json is not JSON or not a study's result; BAD_OPTION
 *   when it was made by another krs version or with other settings (naming the first setting
 *   that differs) — running it again would silently replace a study made another way.
 */
export function finishedStudy(out: string, config: unknown, version: string): StudyResult | null {
  const file = path.join(out, 'results.json');
  if (!existsSync(file)) return null;
  let r: StudyResult;
  try {
    r = JSON.parse(readFileSync(file, 'utf8')) as StudyResult;
  } catch (e) {
    throw errors.badFile(file, `not JSON (${(e as Error).message}); remove the folder to run the seed again`);
  }
  if (!r || typeof r !== 'object' || !Array.isArray(r.experiments) || !r.summary || !r.teacher || !r.files) {
    throw errors.badFile(file, "not a study's results.json (no experiments, summary, teacher or files)");
  }
  if (r.version !== version)
    throw errors.badOption(
      '--resume',
      file,
      `a study made by krs ${version} (it was made by krs ${String(r.version)}); remove the folder to run the seed again`,
    );
  const differs = firstDifference(config, r.config, 'config');
  if (differs) throw errors.badOption('--resume', file, `a study made with the same settings (${differs}); remove the folder or give the same flags`);
  const relocate = (f: string | null) => (f === null ? null : path.join(out, path.basename(f)));
  return {
    ...r,
    files: {
      ...r.files,
      out,
      results: file,
      experimentsCsv: relocate(r.files.experimentsCsv)!,
      experimentsJson: relocate(r.files.experimentsJson)!,
      study: relocate(r.files.study)!,
      analysis: relocate(r.files.analysis),
      report: relocate(r.files.report),
    },
  };
}

/** Where two JSON values first differ (`config.teacherEpochs: 3 here, 6 in the file`), or null when equal. */
function firstDifference(want: unknown, got: unknown, at: string): string | null {
  if (want !== null && got !== null && typeof want === 'object' && typeof got === 'object') {
    const keys = [...new Set([...Object.keys(want), ...Object.keys(got)])].sort();
    for (const k of keys) {
      const d = firstDifference((want as Record<string, unknown>)[k], (got as Record<string, unknown>)[k], `${at}.${k}`);
      if (d) return d;
    }
    return null;
  }
  return Object.is(want, got) ? null : `${at}: ${JSON.stringify(want) ?? 'unset'} here, ${JSON.stringify(got) ?? 'unset'} in the file`;
}

/** The statistics of each study, one row per statistic. */
export function seedStatistics(results: readonly StudyResult[]): SeedStatistic[] {
  const m = results[0]?.metric ?? 'metric';
  const per = (name: string, label: string, of: (r: StudyResult) => number | null): SeedStatistic => spread(name, label, results.map(of));
  return [
    per('teacher_metric', `teacher ${m} (%)`, (r) => r.teacher.metric),
    per('krs_vs_metric_r', `r(post-KD KRS, post-KD ${m})`, (r) => r.summary.krsVsMetric.r),
    per('krs_vs_metric_lo', 'its 95% CI, low', (r) => r.summary.krsVsMetric.ci95?.[0] ?? null),
    per('krs_vs_metric_hi', 'its 95% CI, high', (r) => r.summary.krsVsMetric.ci95?.[1] ?? null),
    per('delta_r', `r(ΔKRS, Δ${m})`, (r) => r.summary.deltaKrsVsDeltaMetric.r),
    per('paired_t', 'paired t of KRS after vs before KD', (r) => krsPairedT(r).t),
    per('paired_t_p', 'its two-sided p', (r) => krsPairedT(r).p),
    per('mean_delta_krs', 'mean ΔKRS (points)', (r) => mean(r.experiments.map((e) => e.deltaKrs))),
    per('mean_delta_metric', `mean Δ${m} (points)`, (r) => mean(r.experiments.map((e) => e.deltaMetric))),
    per('kendall_tau', `Kendall τ of the methods ranked by mean ΔKRS and by mean Δ${m}`, (r) => methodsTau(r)),
    per('best_alpha', `α of the highest r(KRS_α, ${m})`, (r) => r.summary.alphaSweep.best?.alpha ?? null),
    per('beyond_noise', `experiments whose Δ${m} exceeds 1.96 se`, (r) => r.summary.significantMetricDifferences),
    per('krs_raised', 'experiments where KD raised KRS', (r) => r.summary.krsRaised),
    per('experiments', 'experiments', (r) => r.summary.experiments),
  ];
}

/** Paired t-test of the post-KD KRS against the pre-KD KRS over a study's experiments. */
function krsPairedT(r: StudyResult) {
  return pairedTTest(
    r.experiments.map((e) => e.krsPost),
    r.experiments.map((e) => e.krsPre),
  );
}

/** Kendall's τ-b between the methods' mean ΔKRS and mean Δmetric (null below 2 methods or when undefined). */
function methodsTau(r: StudyResult): number | null {
  const methods = [...new Set(r.experiments.map((e) => e.method))];
  if (methods.length < 2) return null;
  const of = (k: 'deltaKrs' | 'deltaMetric') => methods.map((m) => mean(r.experiments.filter((e) => e.method === m).map((e) => e[k]))!);
  return kendallTau(of('deltaKrs'), of('deltaMetric')).tau;
}

function mean(xs: readonly number[]): number | null {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
}

/** A statistic's values with their spread over the defined ones. */
function spread(name: string, label: string, values: (number | null)[]): SeedStatistic {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  const m = mean(xs);
  const sd = m === null || xs.length < 2 ? null : Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
  return { name, label, values, mean: m, sd, min: xs.length ? Math.min(...xs) : null, max: xs.length ? Math.max(...xs) : null };
}

/** seeds.csv: one row per statistic, a column per seed, then mean, sd, min, max. */
export function seedsCsv(r: SeedsResult): string {
  const seedCols = r.seeds.map((s) => `seed_${s}`);
  const columns = ['statistic', 'label', ...seedCols, 'mean', 'sd', 'min', 'max'];
  const rows = r.statistics.map((s) => ({
    statistic: s.name,
    label: s.label,
    ...Object.fromEntries(seedCols.map((c, i) => [c, s.values[i]])),
    mean: s.mean,
    sd: s.sd,
    min: s.min,
    max: s.max,
  }));
  return toCsv(columns as (keyof (typeof rows)[number] & string)[], rows);
}
