/**
 * `krs demo`: train a teacher and distilled students on MNIST in-process, score every
 * student against the teacher after every epoch, and write captures, tables and results.
 * TensorFlow.js is loaded only when the command runs.
 *
 * SIGINT/SIGTERM (see `interrupt.ts`) stop the demo at the next training batch or file
 * commit; the interrupt message names the files (captures, tables) written in full before.
 */
import type { Command } from 'commander';
import { errors } from '../core/errors.js';
import { throwIfInterrupted } from '../io/interrupt.js';
import type { KrsMetric } from '../krs/metric.js';
import type { MatrixBackend } from '../linalg/backend.js';
import type { DemoEvent, DemoResult } from '../train/demo.js';
import type { DemoMode } from '../train/demo-folder.js';
import type { RunProtocolOptions, StudyResult } from '../train/protocol/run.js';
import type { SeedsResult } from '../train/protocol/seeds.js';
import type { CorrelationSummary } from '../train/protocol/statistics.js';
import type { RegressionDemoResult } from '../train/regression/demo.js';
import type { PreparedStudy } from '../train/study-families.js';
import { chooseBackend } from './backend.js';
import { DEMO_FLAGS, type DemoFlags } from './demo-flags.js';
import { addFlags } from './flag-table.js';
import { fmt, table, toJson } from './format.js';
import { cliIo } from './io.js';
import { commandLine } from './report-options.js';
import { postToServe, serveTarget } from './serve-options.js';

/** The study families `--family` chooses, declared with the flags. */
export { STUDY_FAMILIES, type StudyFamilyName } from './demo-flags.js';

export function registerDemo(program: Command): void {
  const cmd = program
    .command('demo')
    .description('distil students from a teacher on MNIST in-process (TensorFlow.js) and show FSS, AOA and KRS before and after');
  addFlags(cmd, DEMO_FLAGS).action(async (o: DemoFlags) => {
    if (o.serve && (o.study || o.task === 'regression')) {
      throw errors.badOption('--serve', o.serve, 'the MNIST demo (--study and --task regression do not stream their epochs yet)');
    }
    if (o.task === 'regression') {
      if (o.study) throw errors.badOption('--study', true, 'not given with --task regression (the study is on MNIST)');
      const result = await runRegressionCommand(o);
      cliIo().stdout.write(o.json ? `${toJson(result, 2)}\n` : `${renderRegression(result)}\n`);
      return;
    }
    if (o.softWeights)
      throw errors.badOption('--soft-weights', o.softWeights.join(','), 'given only with --task regression (MNIST students take --soft-weight)');
    if (o.family && !o.study) throw errors.badOption('--family', o.family, 'given with --study (the networks of a validation study)');
    if (o.heatmaps === false && !o.study)
      throw errors.badOption('--no-heatmaps', true, "given with --study (the demo's cross-layer matrices are part of its results)");
    if (o.resume && !o.seeds) throw errors.badOption('--resume', true, 'given with --study --seeds (it keeps the seeds already finished)');
    if (o.seeds) {
      if (!o.study) throw errors.badOption('--seeds', o.seeds.join(','), 'given with --study (the demo and --task regression take one --seed)');
      if (o.seed !== undefined) throw errors.badOption('--seed', String(o.seed), 'not given with --seeds (each seed of --seeds is a whole study)');
      const result = await runStudySeedsCommand(o, o.seeds);
      cliIo().stdout.write(o.json ? `${toJson(result, 2)}\n` : `${renderSeeds(result)}\n`);
      return;
    }
    if (o.study) {
      const result = await runStudyCommand(o);
      cliIo().stdout.write(o.json ? `${toJson(result, 2)}\n` : `${renderStudy(result)}\n`);
      return;
    }
    const result = await runDemoCommand(o);
    cliIo().stdout.write(o.json ? `${toJson(result, 2)}\n` : `${renderDemo(result)}\n`);
  });
}

export async function runDemoCommand(o: DemoFlags): Promise<DemoResult> {
  const { demoConfigFromFlags } = await import('../train/demo-configs.js');
  const config = await demoConfigFromFlags(o);
  const { runDemo } = await import('../train/demo.js');
  const { demoHooks } = await import('../train/hooks.js');
  // --serve: every student is a training run of its own; each scoring (epoch) is a point.
  const target = o.serve ? serveTarget({ serve: o.serve, run: o.run ?? `demo-seed${config.seed}` }) : null;
  let posted = 0;
  return withDemoRun(o, 'mnist', async (common) => {
    const result = await runDemo(config, {
      ...common,
      hooks: demoHooks(commandLine()),
      ...(target
        ? {
            onScores: async (model: string, epoch: number, metric: KrsMetric) => {
              await postToServe(
                { url: target.url, run: `${target.run}-${model}` },
                metric,
                { teacher: 'demo teacher', student: model, kind: 'training' },
                epoch,
                true,
              );
              posted++;
            },
          }
        : {}),
    });
    if (target) cliIo().stderr.write(`serve: posted ${posted} points (one per student and epoch) to ${target.url}, runs '${target.run}-<student>'\n`);
    return result;
  });
}

/**
 * Run a demo with what every demo command sets up: its output folder (the mode's default
 * unless --out; refused when another mode made it, unless --force), the matrix backend
 * (disposed after), the progress display, and every event (one per training batch at least)
 * a stop point for an interrupt.
 */
async function withDemoRun<T>(
  o: DemoFlags,
  mode: DemoMode,
  run: (common: { out: string; backend: MatrixBackend; onEvent: (e: DemoEvent) => void }) => Promise<T>,
  metric?: 'rmse',
): Promise<T> {
  const { claimDemoFolder, defaultDemoFolder } = await import('../train/demo-folder.js');
  const out = o.out ?? defaultDemoFolder(mode);
  claimDemoFolder(out, mode, { force: o.force ?? false });
  const backend = await chooseBackend(o.backend ?? 'auto');
  const display = progressDisplay(o.progress, metric);
  try {
    return await run({
      out,
      backend: backend.backend,
      onEvent: (e) => {
        throwIfInterrupted();
        display.event(e);
      },
    });
  } finally {
    display.stop();
    await backend.dispose();
  }
}

/** What {@link withDemoRun} hands a run. */
type DemoCommon = { out: string; backend: MatrixBackend; onEvent: (e: DemoEvent) => void };

export async function runStudyCommand(o: DemoFlags): Promise<StudyResult> {
  const study = await prepareStudyOf(o, [o.seed]);
  return withDemoRun(o, study.mode, async (common) => study.run(o.seed, await studyOptions(o, common)));
}

/** `krs demo --study --seeds …`: one whole study per seed, then the statistics per seed with their spread. */
export async function runStudySeedsCommand(o: DemoFlags, seeds: number[]): Promise<SeedsResult> {
  const [{ checkSeeds, finishedStudy, runSeeds }, { VERSION }] = await Promise.all([import('../train/protocol/seeds.js'), import('../version.js')]);
  checkSeeds(seeds);
  const study = await prepareStudyOf(o, seeds);
  return withDemoRun(o, study.mode, (common) => {
    const stage = (seed: number, what: string) =>
      common.onEvent({ type: 'stage', message: `seed ${seed} (${seeds.indexOf(seed) + 1} of ${seeds.length}) ${what}` });
    const keep = (seed: number, out: string) => {
      const kept = finishedStudy(out, study.config(seed), VERSION);
      if (kept) stage(seed, `kept: ${out} holds its finished study (--resume)`);
      return kept;
    };
    return runSeeds(
      seeds,
      common.out,
      async (seed, out) => {
        stage(seed, `→ ${out}`);
        return study.run(seed, await studyOptions(o, { ...common, out }));
      },
      o.resume ? keep : undefined,
    );
  });
}

/** The `--family` entry of the study table (src/train/study-families.ts), its configuration made (and checked) for every seed it will run. */
async function prepareStudyOf(o: DemoFlags, seeds: (number | undefined)[]): Promise<PreparedStudy> {
  const { prepareStudy } = await import('../train/study-families.js');
  return prepareStudy(o.family ?? 'mlp', o, seeds);
}

/** A study run's options: the common ones, the report hooks, and whether to compute the heatmaps (`--no-heatmaps`). */
async function studyOptions(o: DemoFlags, common: DemoCommon): Promise<RunProtocolOptions> {
  const { studyHooks } = await import('../train/hooks.js');
  return { ...common, hooks: studyHooks(commandLine()), heatmaps: o.heatmaps !== false };
}

/** The readable summary of a study over several seeds. */
export function renderSeeds(r: SeedsResult): string {
  const lines = [`krs demo --study --seeds ${r.seeds.join(',')} — the ${r.family} study once per seed; each statistic per seed and its spread`, ''];
  const num = (v: number | null) => (v === null ? '—' : Number.isInteger(v) ? String(v) : fmt(v, 3));
  lines.push(
    table(
      ['statistic', ...r.seeds.map((s) => `seed ${s}`), 'mean ± sd', '[min, max]'],
      r.statistics.map((s) => [
        s.label,
        ...s.values.map(num),
        s.mean === null ? '—' : `${num(s.mean)} ± ${num(s.sd)}`,
        s.min === null ? '—' : `[${num(s.min)}, ${num(s.max)}]`,
      ]),
    ),
  );
  lines.push('');
  for (const run of r.runs) lines.push(`seed ${run.seed}: ${run.out}/ (results.json, study.csv, report.html)`);
  lines.push(`Wrote ${r.files.csv} and ${r.files.json}`);
  return lines.join('\n');
}

export async function runRegressionCommand(o: DemoFlags): Promise<RegressionDemoResult> {
  const { regressionConfigFromFlags } = await import('../train/demo-configs.js');
  const config = await regressionConfigFromFlags(o);
  const { runRegressionDemo } = await import('../train/regression/demo.js');
  const { regressionHooks } = await import('../train/regression/hooks.js');
  return withDemoRun(o, 'regression', (common) => runRegressionDemo(config, { ...common, hooks: regressionHooks(commandLine()) }), 'rmse');
}

/** The readable summary of a regression demo run. */
export function renderRegression(r: RegressionDemoResult): string {
  const lines: string[] = [];
  const mins = `${Math.floor(r.seconds / 60)} min ${Math.round(r.seconds % 60)} s`;
  const d = r.data;
  lines.push(
    `krs demo --task regression — ${d.target}, past ${d.window} days → next day; ${d.windows.train} / ${d.windows.validation} / ${d.windows.test} train / validation / test windows, seed ${r.seed}${r.quick ? ' (quick)' : ''}, ${mins}`,
  );
  for (const n of d.notes) lines.push(`note: ${n}`);
  lines.push(
    `teacher  ${r.teacher.arch} (${r.teacher.params} parameters): test RMSE ${fmt(r.teacher.test.rmse, 4)} kW, MAE ${fmt(r.teacher.test.mae, 4)} kW (persistence: RMSE ${fmt(r.persistence.test.rmse, 4)}, MAE ${fmt(r.persistence.test.mae, 4)})`,
  );
  lines.push(`students ${r.student.arch} (${r.student.params} parameters, ${fmt(r.student.fewerParams, 1)}× fewer), all from the same initial weights`);
  lines.push(
    `KRS = ${r.alpha}·FSS + ${fmt(r.beta, 1)}·AOA; FSS = mean linear CKA over ${r.pairs.map((p) => p.student).join(', ')}; AOA = normalised MSE agreement of the forecasts`,
  );
  lines.push('');
  lines.push(
    table(
      ['student', 'method', 'RMSE kW', 'MAE kW', 'FSS', 'AOA', 'KRS [95% CI]', 'ΔKRS', 'ΔRMSE'],
      r.students.map((s) => [
        s.id,
        s.label,
        fmt(s.test.rmse, 4),
        fmt(s.test.mae, 4),
        fmt(s.fss),
        fmt(s.aoa),
        `${fmt(s.krs)} ${interval(s.ci95.krs)}`,
        signed(s.delta?.krs),
        signed(s.delta?.rmse, 4),
      ]),
    ),
  );
  lines.push(...analysisLines(r.analysis, 'regression', 'test RMSE'));
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  lines.push('');
  lines.push(
    `Wrote ${r.files.out}/: results.json, experiments.csv, experiments.json, epochs.csv, forecasts.csv, captures/*.npz${r.files.analysis ? ', analysis.json' : ''}${r.files.report ? ', charts/*.svg|png' : ''}`,
  );
  if (r.files.report) lines.push(`Report: ${r.files.report}`);
  lines.push(`Re-score a student by hand: npx krs score --task regression --teacher ${r.files.captures.teacher} --student ${r.files.captures.baseline}`);
  return lines.join('\n');
}

const interval = (ci: readonly [number, number] | null | undefined, digits = 2) => (ci ? `[${fmt(ci[0], digits)}, ${fmt(ci[1], digits)}]` : '—');

/** The readable summary of a study run. */
export function renderStudy(r: StudyResult): string {
  const lines: string[] = [];
  const mins = `${Math.floor(r.seconds / 60)} min ${Math.round(r.seconds % 60)} s`;
  const m = r.metric;
  lines.push(
    `krs demo --study — ${r.data.label}, ${r.data.train} training / ${r.data.test} held-out ${r.data.unit}, seed ${r.seed}${r.quick ? ' (quick)' : ''}, ${r.experiments.length} experiments, ${mins}`,
  );
  lines.push(`teacher ${r.teacher.arch} (${r.teacher.params} parameters): held-out ${m} ${fmt(r.teacher.metric)}%`);
  lines.push('');
  lines.push(
    table(
      ['experiment', 'params', 'KRS pre [95% CI]', 'KRS post [95% CI]', 'ΔKRS', `${m} pre`, `${m} post`, `Δ${m} ± se`],
      r.experiments.map((e) => [
        e.id,
        String(e.params),
        `${fmt(e.krsPre)} ${interval(e.krsPreCi)}`,
        `${fmt(e.krsPost)} ${interval(e.krsPostCi)}`,
        signed(e.deltaKrs),
        fmt(e.metricPre),
        fmt(e.metricPost),
        `${signed(e.deltaMetric)} ± ${fmt(e.deltaMetricSe)}${e.metricDifferenceSignificant ? ' *' : ''}`,
      ]),
    ),
  );
  lines.push(`(* |Δ${m}| > 1.96 se: beyond the noise of the held-out ${r.data.unit})`);
  lines.push('');
  lines.push(...studyStatisticsLines(r));
  lines.push(...analysisLines(r.analysis));
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  lines.push('');
  lines.push(
    `Wrote ${r.files.out}/: results.json, study.csv, experiments.csv, experiments.json${r.files.analysis ? ', analysis.json' : ''}${r.files.report ? ', charts/*.svg|png' : ''}`,
  );
  if (r.files.report) lines.push(`Report: ${r.files.report}`);
  return lines.join('\n');
}

/** A correlation as the summaries print it. */
export function correlationText(c: CorrelationSummary): string {
  return c.r === null ? `undefined (${c.reason})` : `r = ${fmt(c.r, 3)}, p = ${fmtP(c.p!)}, 95% CI ${interval(c.ci95, 3)}, n = ${c.n}`;
}

/** The study's own statistics: correlations, the α that tracks the metric best, noise and direction counts. */
function studyStatisticsLines(r: StudyResult): string[] {
  const s = r.summary;
  const m = r.metric;
  const best = s.alphaSweep.best;
  return [
    `Pearson of post-KD KRS with post-KD ${m}: ${correlationText(s.krsVsMetric)}`,
    `Pearson of ΔKRS with Δ${m}: ${correlationText(s.deltaKrsVsDeltaMetric)}`,
    `Pearson of KRS with ${m} over all ${r.students.length} students: ${correlationText(s.allStudents)}`,
    best === null
      ? `α sweep: r(KRS_α, ${m}) is undefined at every α`
      : `α sweep: r(KRS_α, ${m}) is highest at α = ${fmt(best.alpha, 2)} (r = ${fmt(best.r!, 3)}); at α = ${fmt(r.alpha, 2)} (used) r = ${alphaR(s, r.alpha)}`,
    `KD raised KRS in ${s.krsRaised} of ${s.experiments} experiments and ${m} in ${s.metricRaised}; both moved the same way in ${s.sameDirection}; ${s.significantMetricDifferences} ${m} changes exceed 1.96 se.`,
  ];
}

/** r of the α sweep at `alpha`, as text. */
function alphaR(s: StudyResult['summary'], alpha: number): string {
  const p = s.alphaSweep.points.find((q) => Math.abs(q.alpha - alpha) < 1e-9);
  return p?.r == null ? 'undefined' : fmt(p.r, 3);
}

/** The progress display on stderr: stage and per-epoch lines, and on a terminal a redrawn batch bar. */
function progressDisplay(enabled: boolean, metric: 'acc' | 'rmse' = 'acc'): { event: (e: DemoEvent) => void; stop: () => void } {
  if (!enabled) return { event: () => {}, stop: () => {} };
  const err = cliIo().stderr;
  const tty = Boolean(err.isTTY);
  let barShown = false;
  let lastDraw = 0;
  const clear = () => {
    if (barShown) err.write('\r\x1b[K');
    barShown = false;
  };
  const t0 = performance.now();
  const clock = () => {
    const s = Math.floor((performance.now() - t0) / 1000);
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  };
  return {
    event(e) {
      if (e.type === 'stage') {
        clear();
        err.write(`[${clock()}] ${e.message}\n`);
      } else if (e.type === 'epoch') {
        clear();
        const r = e.row;
        const scores = r.krs === null ? '' : `  FSS ${fmt(r.fss)}  AOA ${fmt(r.aoa)}  KRS ${fmt(r.krs)}`;
        const epochs = String(e.epochs);
        err.write(
          `  ${r.model.padEnd(9)} ${r.phase.padEnd(5)} epoch ${String(r.epoch).padStart(epochs.length)}/${epochs}  loss ${fmt(r.loss, 4)}  ${metric === 'acc' ? `acc ${fmt(r.accuracy)}%` : `test RMSE ${fmt(r.accuracy, 4)}`}${scores}\n`,
        );
      } else if (tty) {
        const now = performance.now();
        if (now - lastDraw < 100 && e.batch !== e.batches) return;
        lastDraw = now;
        const width = 24;
        const filled = Math.round((width * e.batch) / e.batches);
        err.write(
          `\r\x1b[K  ${e.model.padEnd(9)} ${e.phase.padEnd(5)} epoch ${e.epoch}/${e.epochs} ${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${e.batch}/${e.batches} batches  ${clock()}`,
        );
        barShown = true;
      }
    },
    stop: clear,
  };
}

const signed = (v: number | null | undefined, digits = 2) => (v === null || v === undefined ? '—' : `${v > 0 ? '+' : ''}${fmt(v, digits)}`);

/** The headline statistics of the analysis hook's result (`krs analyze` over the experiments table), if there is one. */
function analysisLines(analysis: unknown, task: 'classification' | 'regression' = 'classification', metric = 'accuracy'): string[] {
  const a = analysis as {
    tasks?: {
      [task: string]: {
        n: number;
        pearson: { r: number | null; p: number | null; reason: string | null };
        pairedT: { t: number | null; df: number | null; p: number | null; reason: string | null };
      };
    };
    methods?: { kendall: { tau: number | null; p: number | null; reason?: string | null } };
  } | null;
  const t = a?.tasks?.[task];
  if (!t) return [];
  const stat = (v: { p: number | null; reason?: string | null }, text: string) =>
    v.p === null ? `undefined (${v.reason ?? 'too few experiments'})` : `${text}, p = ${fmtP(v.p)}`;
  const k = a?.methods?.kendall;
  return [
    `Analysis over the ${t.n} KD students (pre = baseline): Pearson r of KRS with ${metric}: ${stat(t.pearson, `r = ${fmt(t.pearson.r, 3)}`)}; paired t-test of KRS after vs before KD: ${stat(t.pairedT, `t(${t.pairedT.df}) = ${fmt(t.pairedT.t, 2)}`)}${k ? `; Kendall's τ between the method rankings by ${metric} gain and by KRS gain: ${stat(k, `τ = ${fmt(k.tau, 3)}`)}` : ''}.`,
  ];
}

function fmtP(p: number): string {
  return p < 0.001 ? p.toExponential(1) : fmt(p, 3);
}

/** The readable summary of a demo run. */
export function renderDemo(r: DemoResult): string {
  const lines: string[] = [];
  const mins = `${Math.floor(r.seconds / 60)} min ${Math.round(r.seconds % 60)} s`;
  lines.push(`krs demo — MNIST, ${r.data.train} training / ${r.data.test} held-out digits, seed ${r.seed}${r.quick ? ' (quick)' : ''}, ${mins}`);
  lines.push(`teacher  ${r.teacher.arch} (${r.teacher.params} parameters): held-out accuracy ${fmt(r.teacher.accuracy)}%`);
  lines.push(`students ${r.student.arch} (${r.student.params} parameters, ${fmt(r.student.fewerParams, 1)}× fewer), all from the same initial weights`);
  lines.push(
    `KRS = ${r.alpha}·FSS + ${fmt(r.beta, 1)}·AOA; FSS = mean linear CKA over ${r.pairs.map((p) => p.student).join(', ')}; AOA = mean exp(−KL), τ = 1`,
  );
  lines.push('');
  lines.push(
    table(
      ['student', 'method', 'acc %', 'FSS', 'AOA', 'KRS', 'ΔFSS', 'ΔAOA', 'ΔKRS', 'Δacc'],
      r.students.map((s) => [
        s.id,
        s.label,
        fmt(s.accuracy),
        fmt(s.fss),
        fmt(s.aoa),
        fmt(s.krs),
        signed(s.delta?.fss),
        signed(s.delta?.aoa),
        signed(s.delta?.krs),
        signed(s.delta?.accuracy),
      ]),
    ),
  );
  lines.push('');
  const k = r.kdRaisedKrs;
  const kdCount = k.raised.length + k.notRaised.length;
  lines.push(
    k.every
      ? `KD raised KRS above the baseline's for every method (${kdCount} of ${kdCount}).`
      : `KD raised KRS above the baseline's for ${k.raised.length} of ${kdCount} methods; not for ${k.notRaised.join(', ')}.`,
  );
  const t = r.temperature;
  const tied = t.byAccuracy.tied.length > 1 ? ` (tied: T=${t.byAccuracy.tied.join(', ')})` : '';
  lines.push(
    `Temperature: KRS picks T=${t.byKrs.temperature} (KRS ${fmt(t.byKrs.krs)}, acc ${fmt(t.byKrs.accuracy)}%); accuracy picks T=${t.byAccuracy.temperature}${tied} (acc ${fmt(t.byAccuracy.accuracy)}%, KRS ${fmt(t.byAccuracy.krs)})${t.agree ? ' — they agree.' : ' — they differ.'}`,
  );
  lines.push(...analysisLines(r.analysis));
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  lines.push('');
  lines.push(
    `Wrote ${r.files.out}/: results.json, experiments.csv, experiments.json, epochs.csv, captures/*.npz${r.files.analysis ? ', analysis.json' : ''}${r.files.report ? ', charts/*.svg|png' : ''}`,
  );
  if (r.files.report) lines.push(`Report: ${r.files.report}`);
  lines.push(
    `Re-score a student by hand: npx krs score --task classification --teacher ${r.files.captures.teacher} --student ${r.files.captures[`kd-T${t.byKrs.temperature}`] ?? r.files.captures.fitnet}`,
  );
  return lines.join('\n');
}
