import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import { openCapture } from '../../src/io/node-capture.js';
import { scoreCaptures } from '../../src/krs/score-captures.js';
import { recurrentArchitecture, regressionConfig } from '../../src/train/regression/config.js';
import { seriesSplit } from '../../src/train/regression/data.js';
import { forecastErrors, type RegressionDemoResult, runRegressionDemo } from '../../src/train/regression/demo.js';
import { regressionHooks } from '../../src/train/regression/hooks.js';
import { buildRecurrent, recurrentInit, recurrentParams } from '../../src/train/regression/models.js';
import { trainSeries } from '../../src/train/regression/train.js';
import { initTf, tf } from '../../src/train/tf.js';
import { expectKrsError } from '../helpers/fixtures.js';

const ref = JSON.parse(readFileSync(join(__dirname, '../fixtures/train/power-split.json'), 'utf8'));
const outDir = () => mkdtempSync(join(tmpdir(), 'krs-regression-'));
const numbers = (r: RegressionDemoResult) =>
  JSON.parse(JSON.stringify(r, (k, v) => (['seconds', 'capture', 'files', 'teacherFile', 'studentFile', 'source'].includes(k) ? undefined : v)));

describe('the series split (against NumPy, test/fixtures/train/make_power_split.py)', () => {
  it('standardises on the training rows, skips windows touching missing days and splits by the forecast day', () => {
    const s = seriesSplit(regressionConfig());
    expect(s.mean).toBeCloseTo(ref.mean, 10);
    expect(s.std).toBeCloseTo(ref.std, 10);
    expect([s.train.n, s.validation.n, s.test.n]).toEqual([ref.counts.train, ref.counts.validation, ref.counts.test]);
    expect([s.test.days[0], s.test.days[s.test.n - 1]]).toEqual([ref.firstTestDay, ref.lastTestDay]);
    // chronological: every training day before every validation day before every test day
    expect(s.train.rows[s.train.n - 1]!).toBeLessThan(s.validation.rows[0]!);
    expect(s.validation.rows[s.validation.n - 1]!).toBeLessThan(s.test.rows[0]!);
    // persistence (tomorrow = today) from the standardised windows, back in kW
    const kw = (z: number) => z * s.std + s.mean;
    const last = Array.from({ length: s.test.n }, (_, i) => kw(s.test.x[(i + 1) * 24 - 1]!));
    expect(forecastErrors(last, Array.from(s.test.y, kw)).rmse).toBeCloseTo(ref.persistenceRmse, 5);
  });
});

describe('the series split of a CSV with DD/MM/YYYY dates', () => {
  it('labels the forecast days from the parsed dates (not from Date.parse of the first cell)', () => {
    // 20 days from 31/12/2009 to 19/01/2010, v = 0…19 with a little curvature so the std is not 0.
    const day0 = Date.UTC(2009, 11, 31);
    const dmy = (i: number) => new Date(day0 + i * 86_400_000).toISOString().slice(0, 10).split('-').reverse().join('/');
    const data = join(outDir(), 'dmy.csv');
    writeFileSync(data, `date,v\n${Array.from({ length: 20 }, (_, i) => `${dmy(i)},${i + (i % 3)}`).join('\n')}\n`);
    const s = seriesSplit({ data, target: 'v', window: 2, trainFraction: 0.5, validationFraction: 0.25 });
    expect(s.preparation.time).toMatchObject({ format: 'DD/MM/YYYY', first: '31/12/2009', last: '19/01/2010' });
    expect(s.train.days[0]).toBe('2010-01-02');
    expect(s.test.days[s.test.n - 1]).toBe('2010-01-19');
  });
});

describe('recurrent models', () => {
  it('count their parameters, start from seeded weights with the LSTM forget bias at 1', async () => {
    await initTf();
    for (const a of [recurrentArchitecture('lstm', 32, 16), recurrentArchitecture('gru', 8, 4)]) {
      const init = recurrentInit(a, 24, createRng(1, 'x'));
      const net = buildRecurrent(a, 24, init);
      expect(net.params).toBe(recurrentParams(a));
      expect(net.weights()).toEqual(init);
      net.dispose();
    }
    const lstm = recurrentInit(recurrentArchitecture('lstm', 4, 2), 24, createRng(1, 'x'));
    expect(Array.from(lstm[2]!)).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(recurrentInit(recurrentArchitecture('lstm', 4, 2), 24, createRng(1, 'x'))).toEqual(lstm);
  });
  it('rejects bad settings', async () => {
    await expectKrsError(() => regressionConfig({ softWeights: [0] }), 'BAD_OPTION', /soft-?weights/i);
    await expectKrsError(() => regressionConfig({ trainFraction: 0.95, validationFraction: 0.1 }), 'BAD_OPTION', /train-?fraction/i);
  });
});

describe('runRegressionDemo (tiny)', () => {
  const tiny = () => regressionConfig({ quick: true, teacherEpochs: 1, softWeights: [0.3, 0.9] });
  let a: RegressionDemoResult;
  let b: RegressionDemoResult;
  let leaked = 0;
  beforeAll(async () => {
    await initTf();
    const before = tf.memory().numTensors;
    a = await runRegressionDemo(tiny(), { out: outDir(), hooks: regressionHooks() });
    leaked = tf.memory().numTensors - before;
    b = await runRegressionDemo(tiny(), { out: outDir() });
  }, 900_000); // trains tiny models; minutes at load 20

  it('trains the baseline, distillation per λ and the hint student; pairs each with the baseline', () => {
    expect(a.students.map((s) => s.id)).toEqual(['baseline', 'distil-0.3', 'distil-0.9', 'hint']);
    expect(a.teacher.params).toBe(4897);
    expect(a.student.params).toBe(1297);
    expect(a.experiments.map((e) => [e.method, e.metric, e.task])).toEqual([
      ['distil-0.3', 'rmse', 'regression'],
      ['distil-0.9', 'rmse', 'regression'],
      ['hint', 'rmse', 'regression'],
    ]);
    for (const e of a.experiments) {
      expect(e.metric_pre).toBe(a.students[0]!.test.rmse);
      expect(e.fss_pre).toBe(a.students[0]!.fss);
    }
    expect(leaked).toBe(0);
    const an = a.analysis as any;
    expect(an.tasks.regression.n).toBe(3);
    expect(an.experiments[0].higherIsBetter).toBe(false);
  });

  it('its scores are what krs score computes on the captures, and RMSE is that of the captured forecasts', async () => {
    for (const s of a.students) {
      const r = await scoreCaptures({ task: 'regression', teacher: openCapture(a.files.captures.teacher!), student: openCapture(s.capture) });
      expect([r.fss, r.aoa, r.krs]).toEqual([s.fss, s.aoa, s.krs]);
      expect(s.krs).toBeCloseTo(0.5 * s.fss + 0.5 * s.aoa, 10);
      const c = openCapture(s.capture);
      const pred = c.read('predictions').data as Float32Array;
      const truth = c.read('targets').data as Float32Array;
      let se = 0;
      for (let i = 0; i < pred.length; i++) se += (pred[i]! - truth[i]!) ** 2;
      expect(Math.sqrt(se / pred.length)).toBeCloseTo(s.test.rmse, 5);
      expect(s.epochs[0]!.phase).toBe('init');
    }
  });

  it('writes the forecasts of the test period and the report with its forecast chart', () => {
    const lines = readFileSync(join(a.files.out, 'forecasts.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('day,truth,teacher,baseline,distil-0.3,distil-0.9,hint');
    expect(lines.length).toBe(a.data.windows.test + 1);
    expect(readFileSync(a.files.report!, 'utf8')).toContain('data-chart="forecast-test-period"');
    expect(existsSync(join(a.files.out, 'charts/forecast-test-period.svg'))).toBe(true);
  });

  it('is deterministic per seed', () => {
    expect(numbers(b)).toEqual({ ...numbers(a), analysis: null });
  });
});

describe('trainSeries', () => {
  it('keeps the last epoch by default, and with keepBest restores the epoch of lowest validation MSE', async () => {
    await initTf();
    const arch = recurrentArchitecture('gru', 3, 2);
    const x = tf.randomUniform([16, 24, 1], -1, 1, 'float32', 7) as tf.Tensor3D;
    const y = tf.randomUniform([16, 1], -1, 1, 'float32', 8) as tf.Tensor2D;
    const run = async (keepBest: boolean) => {
      const net = buildRecurrent(arch, 24, recurrentInit(arch, 24, createRng(1, 'init')));
      const scripted = [3, 1, 2];
      const after: Float32Array[][] = [];
      const kept = await trainSeries({
        net,
        data: { x, y, n: 16 },
        loss: (o, b) => tf.losses.meanSquaredError(b.y, o[2]!) as tf.Scalar,
        epochs: 3,
        batchSize: 8,
        learningRate: 0.05,
        order: createRng(1, 'order'),
        validate: () => scripted[after.length]!,
        keepBest,
        onEpoch: () => {
          after.push(net.weights());
        },
      });
      const w = net.weights();
      net.dispose();
      return { kept, w, after };
    };
    const last = await run(false);
    expect(last.kept).toEqual({ epoch: 3, validationMse: 2 });
    expect(last.w).toEqual(last.after[2]);
    const best = await run(true);
    expect(best.kept).toEqual({ epoch: 2, validationMse: 1 });
    expect(best.w).toEqual(best.after[1]);
    expect(best.w).not.toEqual(best.after[2]);
    tf.dispose([x, y]);
  });
});
