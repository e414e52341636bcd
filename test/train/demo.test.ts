import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openCapture } from '../../src/io/node-capture.js';
import { scoreCaptures } from '../../src/krs/score-captures.js';
import { type DemoReportInput, reportCharts } from '../../src/report/report.js';
import { demoConfig } from '../../src/train/config.js';
import { type DemoEvent, type DemoResult, runDemo } from '../../src/train/demo.js';
import { demoHooks, demoReportInput } from '../../src/train/hooks.js';
import { mlpArchitecture } from '../../src/train/models.js';
import { initTf, tf } from '../../src/train/tf.js';
import { expectKrsError } from '../helpers/fixtures.js';

const tiny = (seed: number) => demoConfig({ seed, quick: true, trainSize: 300, testSize: 100, temperatures: [1, 4] });
const outDir = () => mkdtempSync(join(tmpdir(), 'krs-demo-'));

/** The numbers of a result, without timings and paths. */
function numbers(r: DemoResult): unknown {
  return JSON.parse(JSON.stringify(r, (k, v) => (['seconds', 'capture', 'files', 'teacherFile', 'studentFile', 'source'].includes(k) ? undefined : v)));
}

let a: DemoResult;
const events: DemoEvent[] = [];
let leaked = 0;
beforeAll(async () => {
  await initTf();
  const before = tf.memory().numTensors;
  a = await runDemo(tiny(3), { out: outDir(), onEvent: (e) => events.push(e) });
  leaked = tf.memory().numTensors - before;
}, 120_000);

describe('runDemo (tiny configuration)', () => {
  it('trains the teacher, the baseline, vanilla KD per temperature and FitNet, and writes every output', () => {
    expect(a.students.map((s) => s.id)).toEqual(['baseline', 'kd-T1', 'kd-T4', 'fitnet']);
    expect(a.data).toMatchObject({ total: 10000, train: 300, test: 100 });
    expect(a.teacher.params).toBe(266610);
    expect(a.student.params).toBe(52650);
    for (const f of [a.files.results, a.files.experimentsCsv, a.files.experimentsJson, a.files.epochsCsv, ...Object.values(a.files.captures)])
      expect(existsSync(f)).toBe(true);
    expect(Object.keys(a.files.captures)).toEqual(['teacher', 'baseline', 'kd-T1', 'kd-T4', 'fitnet']);
    expect(openCapture(a.files.captures.teacher!).keys().sort()).toEqual(['hidden1', 'hidden2', 'ids', 'labels', 'logits']);
    expect(JSON.parse(readFileSync(a.files.results, 'utf8')).students[1].krs).toBe(a.students[1]!.krs);
    expect(leaked).toBe(0);
  });

  it('scores are what krs score computes on the captures, and the last epoch row matches them', async () => {
    for (const s of a.students) {
      const r = await scoreCaptures({
        task: 'classification',
        teacher: openCapture(a.files.captures.teacher!),
        student: openCapture(s.capture),
        reference: { null: true },
      });
      expect([r.fss, r.aoa, r.krs]).toEqual([s.fss, s.aoa, s.krs]);
      // The null level krs score reports by default is in results.json too (the report draws it).
      expect(s.score.reference.null).toEqual(r.reference.null);
      expect(s.score.reference.null!.krs).toBeLessThan(s.krs);
      expect(s.krs).toBeCloseTo(0.3 * s.fss + 0.7 * s.aoa, 10);
      const last = s.epochs[s.epochs.length - 1]!;
      expect(last.krs).toBeCloseTo(s.krs, 9);
      expect(last.accuracy).toBe(s.accuracy);
      expect(s.crossLayer.cka.length).toBe(3);
    }
  });

  it('every student starts from the same weights (identical epoch-0 rows) and logs every epoch', () => {
    const init = a.students.map((s) => ({ ...s.epochs[0]!, model: '', method: '', temperature: null }));
    for (const row of init) expect(row).toEqual(init[0]);
    expect(a.students.map((s) => s.epochs.map((e) => `${e.phase}${e.epoch}`))).toEqual([
      ['init0', 'train1'],
      ['init0', 'kd1'],
      ['init0', 'kd1'],
      ['init0', 'hint1', 'kd2'],
    ]);
    const csv = readFileSync(a.files.epochsCsv, 'utf8').trim().split('\n');
    expect(csv[0]).toBe('model,method,temperature,phase,epoch,loss,accuracy,fss,aoa,krs,fss_hidden1,fss_hidden2,mean_kl,top1_agreement');
    expect(csv.length).toBe(1 + 1 + 2 + 2 + 2 + 3);
    expect(events.filter((e) => e.type === 'epoch').length).toBe(1 + 1 + 1 + 1 + 2);
    expect(events.some((e) => e.type === 'batch' && e.model === 'fitnet' && e.phase === 'hint')).toBe(true);
  });

  it('the experiments table has pre = baseline and post = each KD student', () => {
    const base = a.students[0]!;
    expect(a.experiments.map((e) => e.method)).toEqual(['kd-T1', 'kd-T4', 'fitnet']);
    for (const e of a.experiments) {
      expect([e.fss_pre, e.aoa_pre, e.metric_pre]).toEqual([base.fss, base.aoa, base.accuracy]);
      const s = a.students.find((x) => x.id === e.method)!;
      expect([e.fss_post, e.aoa_post, e.metric_post, e.alpha]).toEqual([s.fss, s.aoa, s.accuracy, 0.3]);
    }
    expect(a.kdRaisedKrs.raised.length + a.kdRaisedKrs.notRaised.length).toBe(3);
    expect(a.temperature.candidates).toEqual([1, 4]);
  });

  it('is deterministic: the same seed gives the same numbers, another seed others', async () => {
    const again = await runDemo(tiny(3), { out: outDir() });
    expect(numbers(again)).toEqual(numbers(a));
    expect(readFileSync(again.files.captures.fitnet!)).toEqual(readFileSync(a.files.captures.fitnet!));
    const other = await runDemo(tiny(4), { out: outDir() });
    expect(other.students[0]!.krs).not.toBe(a.students[0]!.krs);
  });

  it('runs the analysis and report hooks on the experiments table it wrote', async () => {
    const r = await runDemo(tiny(3), { out: outDir(), hooks: demoHooks() });
    const analysis = r.analysis as { experiments: { id: string; krsPre: number; krsPost: number }[]; tasks: Record<string, { n: number }> };
    expect(analysis.experiments.map((e) => e.id)).toEqual(['mnist-kd-T1', 'mnist-kd-T4', 'mnist-fitnet']);
    expect(analysis.experiments[0]!.krsPost).toBeCloseTo(r.students[1]!.krs, 9);
    expect(analysis.tasks.classification!.n).toBe(3);
    expect(existsSync(r.files.analysis!)).toBe(true);
    expect(r.files.report).toBe(join(r.files.out, 'report.html'));
    expect(readFileSync(r.files.report!, 'utf8')).toMatch(/<html/i);
    for (const f of ['krs-by-epoch.svg', 'krs-by-epoch.png', 'students.png']) expect(existsSync(join(r.files.out, 'charts', f)), f).toBe(true);
  });
});

describe('demoReportInput', () => {
  it('passes every epoch (accuracy as a fraction) and the temperature picks, naming the vanilla-KD students', () => {
    const input = demoReportInput(a) as DemoReportInput;
    expect(input.students.map((s) => s.epochs!.length)).toEqual(a.students.map((s) => s.epochs.length));
    const fitnet = input.students[3]!;
    expect(fitnet.epochs!.map((e) => e.phase)).toEqual(['init', 'hint', 'kd']);
    const row = a.students[3]!.epochs[2]!;
    expect(fitnet.epochs![2]).toEqual({ epoch: 2, phase: 'kd', accuracy: row.accuracy / 100, fss: row.fss, aoa: row.aoa, krs: row.krs });
    const t = input.temperature!;
    expect(t.candidates).toEqual([1, 4]);
    // FitNet distils at T = 4 too, but the picks are among the vanilla-KD students only.
    expect(t.byKrs.students).toEqual([`kd-T${a.temperature.byKrs.temperature} (vanilla KD, T=${a.temperature.byKrs.temperature})`]);
    expect(t.byAccuracy.students).toEqual(a.temperature.byAccuracy.tied.map((x) => `kd-T${x} (vanilla KD, T=${x})`));
    expect(t.byKrs.accuracy).toBe(a.temperature.byKrs.accuracy / 100);
    expect(reportCharts(input).map((c) => c.id)).toContain('krs-by-epoch');
  });
});

describe('demoConfig', () => {
  it('has the full and quick defaults', () => {
    const full = demoConfig();
    expect(full).toMatchObject({ seed: 1, quick: false, trainSize: 8000, testSize: 2000, teacherEpochs: 15, studentEpochs: 10, temperatures: [1, 2, 4, 8] });
    expect(demoConfig({ quick: true })).toMatchObject({ trainSize: 600, testSize: 200, teacherEpochs: 1, studentEpochs: 1, hintEpochs: 1 });
    expect(demoConfig({ quick: true, studentEpochs: 3, seed: 9 })).toMatchObject({ studentEpochs: 3, seed: 9 });
  });

  it('FitNet guides the last hidden layer both networks have, unless told otherwise', () => {
    expect(demoConfig().hintLayer).toBe('hidden2');
    expect(demoConfig({ student: mlpArchitecture([16]) }).hintLayer).toBe('hidden1');
    expect(demoConfig({ hintLayer: 'hidden1' }).hintLayer).toBe('hidden1');
  });

  it('refuses bad values, naming the flag', async () => {
    await expectKrsError(() => demoConfig({ seed: -1 }), 'BAD_OPTION', /seed/);
    await expectKrsError(() => demoConfig({ temperatures: [1, 1] }), 'BAD_OPTION', /temperatures/, /distinct/);
    await expectKrsError(() => demoConfig({ softWeight: 2 }), 'BAD_OPTION', /softWeight/);
    await expectKrsError(() => demoConfig({ hintLayer: 'logits' }), 'BAD_OPTION', /hintLayer/, /hidden1, hidden2/);
    await expectKrsError(() => demoConfig({ testSize: 5 }), 'BAD_OPTION', /testSize/);
    await expectKrsError(() => demoConfig({ trainSize: 9000, testSize: 2000 }), 'BAD_OPTION', /trainSize \+ testSize/, /10000/);
  });
});
