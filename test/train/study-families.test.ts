import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STUDY_FAMILIES } from '../../src/cli/demo.js';
import { createRng } from '../../src/core/rng.js';
import type { Tensor } from '../../src/core/tensor.js';
import { cnnStudyConfig } from '../../src/train/cnn-study-config.js';
import { demoConfig } from '../../src/train/config.js';
import { demoConfigFromFlags, regressionConfigFromFlags } from '../../src/train/demo-configs.js';
import { detectionStudyConfig } from '../../src/train/detection-study-config.js';
import { heatmapSubtitle, studyHooks } from '../../src/train/hooks.js';
import { mlpArchitecture } from '../../src/train/models.js';
import type { HeldOut, StudyFamily } from '../../src/train/protocol/family.js';
import { runProtocol } from '../../src/train/protocol/run.js';
import { regressionConfig } from '../../src/train/regression/config.js';
import { studyConfig } from '../../src/train/study-config.js';
import { prepareStudy, STUDY_FAMILY_TABLE } from '../../src/train/study-families.js';
import { krs } from '../helpers/cli.js';
import { expectKrsError } from '../helpers/fixtures.js';

describe('the study family table', () => {
  it('has one entry per --family choice, each with its own folder mode', () => {
    expect(STUDY_FAMILY_TABLE.map((f) => f.name)).toEqual([...STUDY_FAMILIES]);
    expect(STUDY_FAMILY_TABLE.map((f) => f.mode)).toEqual(['study', 'study-cnn', 'study-detector', 'study-segmenter', 'study-nlp']);
  });

  it('makes each family’s configuration from the flags, as its config function does', async () => {
    const flags = { quick: true, epochs: 2, teacherEpochs: 3, trainSize: 100, testSize: 50 };
    const [mlp, cnn, det] = await Promise.all(STUDY_FAMILY_TABLE.map((f) => f.config(flags, 5)));
    expect(mlp).toEqual(studyConfig({ quick: true, seed: 5, studentEpochs: 2, teacherEpochs: 3, trainSize: 100, testSize: 50 }));
    expect(cnn).toEqual(cnnStudyConfig({ quick: true, seed: 5, studentEpochs: 2, teacherEpochs: 3, trainSize: 100, testSize: 50 }));
    expect(det).toEqual(detectionStudyConfig({ quick: true, seed: 5, studentEpochs: 2, teacherEpochs: 3, trainScenes: 100, testScenes: 50 }));
    const wide = await STUDY_FAMILY_TABLE[0]!.config({ teacherHidden: [40, 20], temperatures: [3], softWeight: 0.5 }, undefined);
    expect(wide).toEqual(studyConfig({ teacher: mlpArchitecture([40, 20]), temperatures: [3], softWeight: 0.5 }));
  });

  it('refuses, naming the flag, what a family fixes — before any run', async () => {
    await expectKrsError(() => prepareStudy('mlp', { studentHidden: [8] }, [1]), 'BAD_OPTION', /--student-hidden/, /fixes its networks/);
    await expectKrsError(() => prepareStudy('cnn', { teacherHidden: [8] }, [1]), 'BAD_OPTION', /--teacher-hidden/, /--family cnn/);
    await expectKrsError(() => prepareStudy('detector', { temperatures: [2] }, [1, 2]), 'BAD_OPTION', /--temperatures/, /without temperatures/);
    await expectKrsError(() => prepareStudy('detector', { hintEpochs: 2 }, [1]), 'BAD_OPTION', /--hint-epochs/);
    await expectKrsError(
      () => prepareStudy('segmenter', { softWeight: 0.5 }, [1]),
      'BAD_OPTION',
      /--soft-weight/,
      /--family segmenter \(its methods are pixel/,
    );
    await expectKrsError(() => prepareStudy('segmenter', { hintLayer: 'enc2' }, [1]), 'BAD_OPTION', /--hint-layer/, /fixes its networks/);
    await expectKrsError(() => prepareStudy('nlp', { fitnetTemperature: 2 }, [1]), 'BAD_OPTION', /--fitnet-temperature/, /TinyBERT fix their temperatures/);
    await expectKrsError(() => prepareStudy('rnn', {}, [1]), 'UNKNOWN_KEY', /rnn/, /mlp, cnn, detector/);
  });
});

// A study of random features: the protocol's heatmaps, without training a network.
const N = 40;
function randomHeld(seed: string, widths: Record<string, number>): HeldOut<{ logits: Float32Array }> {
  const rng = createRng(1, seed);
  const tensor = (w: number): Tensor => ({ dtype: 'float32', shape: [N, w], data: Float32Array.from({ length: N * w }, () => rng.next()) });
  const logits = tensor(3).data as Float32Array;
  return { features: Object.fromEntries(Object.entries(widths).map(([k, w]) => [k, tensor(w)])), metric: 50, outputs: { logits } };
}
const randomFamily = (): StudyFamily<{ logits: Float32Array }> => ({
  demo: 'random-study',
  family: 'random',
  task: 'classification',
  dataset: 'random',
  metric: 'accuracy',
  data: { label: 'random', unit: 'rows', source: 'a seeded generator', total: 2 * N, train: N, test: N },
  teacher: { name: 't', params: 10 },
  students: [{ name: 's', short: 's', params: 5, shape: 'narrow' }],
  methods: [
    { method: 'baseline', kind: 'baseline', temperature: null },
    { method: 'kd-T2', kind: 'kd', temperature: 2 },
  ],
  trainTeacher: async () => randomHeld('teacher', { a: 6, b: 4 }),
  trainStudent: async (_s, m) => randomHeld(m.method, { a: 3, b: 2 }),
  pairs: () => [{ teacher: 'a', student: 'a' }],
  outputBatch: (t, s) => ({
    teacherOutput: { dtype: 'float32', shape: [N, 3], data: t.outputs.logits },
    studentOutput: { dtype: 'float32', shape: [N, 3], data: s.outputs.logits },
  }),
  pairedSe: () => 1,
  teacherWarnings: () => [],
  dispose: () => {},
});
const settings = { seed: 1, quick: true, alpha: 0.3, intervalGroups: 5 };
const outDir = () => join(mkdtempSync(join(tmpdir(), 'krs-families-')), 'out');

describe('study heatmaps', () => {
  it('record the estimator, the exact route and the samples of every matrix, and say them in the chart', async () => {
    const r = await runProtocol(randomFamily(), settings, {}, { out: outDir(), hooks: studyHooks() });
    expect(r.heatmaps.map((h) => [h.method, h.estimator, h.n])).toEqual([
      ['baseline', 'exact', N],
      ['kd-T2', 'exact', N],
    ]);
    for (const h of r.heatmaps) expect(['feature-space', 'sample-space']).toContain(h.route);
    const svg = readFileSync(join(r.files.out, 'heatmaps', 'cross-layer-s.svg'), 'utf8');
    expect(svg).toContain(heatmapSubtitle(r.heatmaps));
    expect(heatmapSubtitle(r.heatmaps)).toBe(`${N} samples, linear CKA, exact (${r.heatmaps[0]!.route} route)`);
  });

  it('subtitle: the routes joined when panels differ; older results without a route say linear CKA', () => {
    const m = (route: 'feature-space' | 'sample-space' | null) => ({ estimator: 'exact' as const, route, n: 10 });
    expect(heatmapSubtitle([m('feature-space'), m('sample-space')])).toBe('10 samples, linear CKA, exact (feature-space/sample-space route)');
    expect(heatmapSubtitle([{} as never])).toBe('linear CKA');
  });

  it('heatmaps: false skips them (no matrices, no charts), the scores unchanged', async () => {
    const on = await runProtocol(randomFamily(), settings, {}, { out: outDir() });
    const off = await runProtocol(randomFamily(), settings, {}, { out: outDir(), heatmaps: false, hooks: studyHooks() });
    expect(off.heatmaps).toEqual([]);
    expect(existsSync(join(off.files.out, 'heatmaps'))).toBe(false);
    expect(off.students.map((s) => s.krs)).toEqual(on.students.map((s) => s.krs));
  });

  it('krs demo refuses --no-heatmaps without --study', async () => {
    const r = await krs('demo', '--quick', '--no-heatmaps', '--out', outDir());
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/--no-heatmaps.*--study/);
  });
});

describe("the demos' configurations from krs demo's flags (src/train/demo-configs.ts)", () => {
  it("MNIST: widths become MLPs, --epochs the students' epochs, the rest by name", async () => {
    const flags = { quick: true, seed: 4, epochs: 2, teacherHidden: [40, 20], studentHidden: [8], temperatures: [3], hintLayer: 'hidden1' };
    const config = await demoConfigFromFlags(flags);
    expect(config).toEqual(
      demoConfig({
        quick: true,
        seed: 4,
        studentEpochs: 2,
        teacher: mlpArchitecture([40, 20]),
        student: mlpArchitecture([8]),
        temperatures: [3],
        hintLayer: 'hidden1',
      }),
    );
    expect(config).not.toEqual(demoConfig({ quick: true }));
    expect(await demoConfigFromFlags({})).toEqual(demoConfig({}));
  });

  it('regression: seed, quick, epochs and soft weights; the MNIST-only flags refused by name', async () => {
    const flags = { quick: true, seed: 2, epochs: 3, teacherEpochs: 4, hintEpochs: 1, softWeights: [0.5] };
    expect(await regressionConfigFromFlags(flags)).toEqual(
      regressionConfig({ quick: true, seed: 2, studentEpochs: 3, teacherEpochs: 4, hintEpochs: 1, softWeights: [0.5] }),
    );
    await expectKrsError(() => regressionConfigFromFlags({ trainSize: 100 }), 'BAD_OPTION', /--train-size "100"/, /models and data are fixed/);
    await expectKrsError(() => regressionConfigFromFlags({ studentHidden: [8, 4] }), 'BAD_OPTION', /--student-hidden "8,4"/);
  });
});
