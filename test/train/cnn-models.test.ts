import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import { KrsMetric } from '../../src/krs/metric.js';
import { cnnLayerPairs, logitsTensor, runCnn, stageTensors } from '../../src/train/cnn/evaluate.js';
import { buildCnn, CNN_STUDENTS, CNN_TEACHER, cnnArchitecture, cnnInit, cnnParameterCount, cnnStages } from '../../src/train/cnn/models.js';
import { CNN_TRAINING, cnnStudyMethods } from '../../src/train/cnn/settings.js';
import { initTf, tf } from '../../src/train/tf.js';
import { expectKrsError } from '../helpers/fixtures.js';

beforeAll(() => initTf());

describe('CNN teacher and students', () => {
  it('the teacher is LeNet-5 (61 706 parameters) and the students share its stages with 15×, 5× and 2× fewer parameters', () => {
    expect(CNN_TEACHER.name).toBe('cnn-6-16-120-84');
    const lenet5 = 5 * 5 * 1 * 6 + 6 + (5 * 5 * 6 * 16 + 16) + (5 * 5 * 16 * 120 + 120) + (120 * 84 + 84) + (84 * 10 + 10);
    expect(cnnParameterCount(CNN_TEACHER)).toBe(lenet5);
    expect(lenet5).toBe(61706);
    expect(CNN_STUDENTS.map(cnnParameterCount)).toEqual([4186, 12232, 30502]);
    expect(cnnStages(CNN_TEACHER)).toEqual([
      { name: 'conv1', shape: [14, 14, 6], kind: 'conv' },
      { name: 'conv2', shape: [5, 5, 16], kind: 'conv' },
      { name: 'fc1', shape: [120], kind: 'dense' },
      { name: 'fc2', shape: [84], kind: 'dense' },
    ]);
    for (const s of CNN_STUDENTS) {
      const st = cnnStages(s);
      expect(st.map((x) => x.name)).toEqual(['conv1', 'conv2', 'fc1', 'fc2']);
      expect(st.slice(0, 2).map((x) => x.shape.slice(0, 2))).toEqual([
        [14, 14],
        [5, 5],
      ]);
    }
  });

  it('builds with the given weights; forward yields each stage (ReLU, pooled) then the logits, from [b, 28, 28, 1] or [b, 784]', () => {
    const arch = CNN_STUDENTS[0]!;
    const init = cnnInit(arch, createRng(1, 'init'));
    const net = buildCnn(arch, init);
    try {
      expect(net.params).toBe(cnnParameterCount(arch));
      expect(net.weights().reduce((a, w) => a + w.length, 0)).toBe(net.params);
      expect(net.weights()).toEqual(init);
      expect(net.hidden).toEqual(['conv1', 'conv2', 'fc1', 'fc2']);
      const x = tf.randomUniform([3, 784], 0, 1, 'float32', 7) as tf.Tensor2D;
      const outs = net.forward(tf.reshape(x, [3, 28, 28, 1]) as tf.Tensor4D);
      expect(outs.map((o) => o.shape)).toEqual([
        [3, 14, 14, 2],
        [3, 5, 5, 4],
        [3, 32],
        [3, 16],
        [3, 10],
      ]);
      for (const o of outs.slice(0, 4)) expect(o.dataSync().every((v) => v >= 0)).toBe(true);
      const flat = net.forward(x);
      outs.forEach((o, i) => expect(Array.from(flat[i]!.dataSync())).toEqual(Array.from(o.dataSync())));
      tf.dispose([x, ...outs, ...flat]);
      expect(net.variables().length).toBe(10);
      expect(net.variables(2).map((v) => v.shape)).toEqual([[5, 5, 1, 2], [2], [5, 5, 2, 4], [4]]);
    } finally {
      net.dispose();
    }
  });

  it('draws He-uniform kernels (Glorot for the logits) and zero biases, fixed by the seed', () => {
    const a = cnnInit(CNN_TEACHER, createRng(4, 'init'));
    expect(cnnInit(CNN_TEACHER, createRng(4, 'init'))).toEqual(a);
    expect(cnnInit(CNN_TEACHER, createRng(5, 'init'))[0]).not.toEqual(a[0]);
    const maxAbs = (w: Float32Array) => w.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const limits = [Math.sqrt(6 / 25), Math.sqrt(6 / 150), Math.sqrt(6 / 400), Math.sqrt(6 / 120), Math.sqrt(6 / 94)];
    limits.forEach((limit, i) => {
      expect(maxAbs(a[2 * i]!)).toBeLessThanOrEqual(limit);
      expect(maxAbs(a[2 * i]!)).toBeGreaterThan(0.9 * limit);
      expect(a[2 * i + 1]!.every((b) => b === 0)).toBe(true);
    });
  });

  it('refuses weights that do not fit and widths that are not positive integers', async () => {
    await expectKrsError(() => buildCnn(CNN_TEACHER, cnnInit(CNN_STUDENTS[0]!, createRng(1, 'x'))), 'BAD_VALUE', /cnn-6-16-120-84/);
    await expectKrsError(() => cnnArchitecture([2, 0], [8]), 'BAD_OPTION', /2-0-8/);
  });

  it('its stages score in krs as rank-4 channels-last maps: flattened by default, per channel with gap', async () => {
    const n = 40;
    const x = new Float32Array(n * 784).map((_, i) => ((i * 7919) % 255) / 255);
    const t = buildCnn(CNN_TEACHER, cnnInit(CNN_TEACHER, createRng(1, 't')));
    const s = buildCnn(CNN_STUDENTS[1]!, cnnInit(CNN_STUDENTS[1]!, createRng(1, 's')));
    try {
      const ta = runCnn(t, x, n, 16);
      const sa = runCnn(s, x, n, 16);
      expect(ta.shapes.conv1).toEqual([14, 14, 6]);
      expect(ta.stages.conv2!.length).toBe(n * 400);
      const pairs = ['conv1', 'conv2', 'fc1'].map((p) => ({ teacher: p, student: p }));
      for (const pool of [undefined, 'gap'] as const) {
        const metric = new KrsMetric({ task: 'classification', pairs, intervals: false, ...(pool ? { pool, channelsLast: true } : {}) });
        await metric.update({
          teacher: stageTensors(ta, ['conv1', 'conv2', 'fc1']),
          student: stageTensors(sa, ['conv1', 'conv2', 'fc1']),
          teacherOutput: logitsTensor(ta),
          studentOutput: logitsTensor(sa),
        });
        const r = await metric.compute();
        expect(r.layers.map((l) => l.score).every((v) => v > 0 && v <= 100)).toBe(true);
        expect(r.layers.map((l) => [l.teacherWidth, l.studentWidth])).toEqual(
          pool
            ? [
                [6, 3],
                [16, 8],
                [120, 48],
              ]
            : [
                [1176, 588],
                [400, 200],
                [120, 48],
              ],
        );
      }
    } finally {
      t.dispose();
      s.dispose();
    }
  });

  it('pairs every stage for FSS, and lists the study’s methods: baseline, KD at T = 2, 4, 8, FitNet on conv2, AT on both conv stages', () => {
    expect(cnnLayerPairs(CNN_TEACHER, CNN_STUDENTS[0]!).map((p) => `${p.teacher}:${p.student}`)).toEqual(['conv1:conv1', 'conv2:conv2', 'fc1:fc1', 'fc2:fc2']);
    expect(cnnLayerPairs(CNN_TEACHER, cnnArchitecture([2, 4], [8])).map((p) => p.teacher)).toEqual(['conv1', 'conv2', 'fc1']);
    const methods = cnnStudyMethods(1, CNN_STUDENTS[0]!);
    expect(methods.map((m) => m.method)).toEqual(['baseline', 'kd-T2', 'kd-T4', 'kd-T8', 'fitnet', 'at']);
    expect(methods[4]!.spec).toMatchObject({ kind: 'fitnet', stage: 'conv2', hintEpochs: CNN_TRAINING.hintEpochs, temperature: 4, softWeight: 0.9 });
    expect(methods[5]!.spec).toEqual({ kind: 'at', beta: 1, stages: ['conv1', 'conv2'] });
    const draw = (seed: number) => (cnnStudyMethods(seed, CNN_STUDENTS[0]!)[4]!.spec as { regressor: { next(): number } }).regressor.next();
    expect(draw(1)).toBe(draw(1));
    expect(draw(1)).not.toBe(draw(2));
  });
});
