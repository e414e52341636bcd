import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import { type Cnn, cnnArchitecture, cnnInit } from '../../src/train/cnn/models.js';
import {
  type CnnMethod,
  type CnnTeacherTargets,
  type CnnTrainSettings,
  cnnTeacherTargets,
  trainCnnStudent,
  trainCnnTeacher,
} from '../../src/train/cnn/train.js';
import { mnistSplit } from '../../src/train/mnist-split.js';
import { initTf, tf } from '../../src/train/tf.js';
import { type TrainTensors, trainTensors } from '../../src/train/train.js';
import { expectKrsError } from '../helpers/fixtures.js';

// Tiny networks and a few dozen digits: the point is the mechanics (losses fall, seeds fix
// weights, every method runs), not accuracy. Timeouts are generous for a loaded machine.
const TEACHER = cnnArchitecture([3, 6], [24]);
const STUDENT = cnnArchitecture([2, 4], [8]);
const SLOW = 600_000;

let data: TrainTensors;
let teacher: Cnn;
let targets: CnnTeacherTargets;
const teacherLosses: number[] = [];

const settings = (seed: number, epochs: number, losses?: number[]): CnnTrainSettings => ({
  data,
  epochs,
  batchSize: 16,
  learningRate: 3e-3,
  order: createRng(seed, 'order'),
  ...(losses ? { onEpoch: (_: number, l: number) => void losses.push(l) } : {}),
});

beforeAll(async () => {
  await initTf();
  data = trainTensors(mnistSplit(1, 64, 10).train);
  teacher = await trainCnnTeacher(TEACHER, cnnInit(TEACHER, createRng(1, 'teacher-init')), settings(1, 4, teacherLosses));
  targets = cnnTeacherTargets(teacher, data, { hints: ['conv2'], attention: ['conv1', 'conv2'] });
}, SLOW);

afterAll(() => {
  targets?.dispose();
  teacher?.dispose();
  data?.dispose();
});

describe('training the CNN study networks', () => {
  it('trains on the wasm backend', () => {
    expect(tf.getBackend()).toBe('wasm');
  });

  it('the teacher’s training loss falls, and the same seed gives bitwise the same weights', { timeout: SLOW }, async () => {
    expect(teacherLosses.length).toBe(4);
    expect(teacherLosses[3]!).toBeLessThan(teacherLosses[0]!);
    const again = await trainCnnTeacher(TEACHER, cnnInit(TEACHER, createRng(1, 'teacher-init')), settings(1, 4));
    const other = await trainCnnTeacher(TEACHER, cnnInit(TEACHER, createRng(1, 'teacher-init')), settings(2, 4));
    try {
      expect(again.weights()).toEqual(teacher.weights());
      expect(other.weights()).not.toEqual(teacher.weights());
    } finally {
      again.dispose();
      other.dispose();
    }
  });

  it('the teacher targets hold the logits, the hint stage and normalised attention maps of every training digit', () => {
    expect(targets.logits.shape).toEqual([64, 10]);
    expect(targets.stages.conv2!.shape).toEqual([64, 5, 5, 6]);
    expect(targets.attention.conv1!.shape).toEqual([64, 196]);
    expect(targets.attention.conv2!.shape).toEqual([64, 25]);
    const norms = tf.tidy(() => tf.sqrt(tf.sum(tf.square(targets.attention.conv1!), 1)).dataSync());
    for (const v of norms) expect(v).toBeCloseTo(1, 5);
    const direct = tf.tidy(() =>
      teacher
        .forward(tf.slice(data.x, [0, 0], [3, 784]) as tf.Tensor2D)
        .at(-1)!
        .dataSync(),
    );
    const stored = tf.tidy(() => tf.slice(targets.logits, [0, 0], [3, 10]).dataSync());
    expect(Array.from(stored)).toEqual(Array.from(direct));
  });

  const methods: [string, CnnMethod][] = [
    ['baseline', { kind: 'baseline' }],
    ['kd', { kind: 'kd', temperature: 4, softWeight: 0.9 }],
    ['fitnet', { kind: 'fitnet', stage: 'conv2', hintEpochs: 2, regressor: createRng(1, 'regressor'), temperature: 4, softWeight: 0.9 }],
    ['at', { kind: 'at', beta: 1, stages: ['conv1', 'conv2'] }],
  ];
  for (const [name, method] of methods) {
    it(`a ${name} student trains (its loss falls) from the shared initial weights`, { timeout: SLOW }, async () => {
      const losses: number[] = [];
      let batches = 0;
      const init = cnnInit(STUDENT, createRng(1, 'student-init'));
      const net = await trainCnnStudent(STUDENT, init, method, targets, { ...settings(3, 3, losses), onBatch: () => void batches++ });
      try {
        expect(losses.length).toBe(3);
        expect(losses[2]!).toBeLessThan(losses[0]!);
        expect(batches).toBe(4 * (method.kind === 'fitnet' ? 5 : 3));
        const w = net.weights();
        expect(w.every((a) => a.every(Number.isFinite))).toBe(true);
        expect(w[0]).not.toEqual(init[0]);
      } finally {
        net.dispose();
      }
    });
  }

  it('a student is deterministic per seed, and FitNet’s hint stage changes the result', { timeout: SLOW }, async () => {
    const init = cnnInit(STUDENT, createRng(1, 'student-init'));
    const fitnet = (): CnnMethod => ({ kind: 'fitnet', stage: 'conv2', hintEpochs: 1, regressor: createRng(1, 'regressor'), temperature: 4, softWeight: 0.9 });
    const runs = [
      await trainCnnStudent(STUDENT, init, fitnet(), targets, settings(3, 1)),
      await trainCnnStudent(STUDENT, init, fitnet(), targets, settings(3, 1)),
      await trainCnnStudent(STUDENT, init, { kind: 'kd', temperature: 4, softWeight: 0.9 }, targets, settings(3, 1)),
    ];
    try {
      expect(runs[1]!.weights()).toEqual(runs[0]!.weights());
      expect(runs[2]!.weights()).not.toEqual(runs[0]!.weights());
    } finally {
      for (const r of runs) r.dispose();
    }
  });

  it('refuses a method without the teacher targets it needs', async () => {
    const init = cnnInit(STUDENT, createRng(1, 'student-init'));
    await expectKrsError(
      () => trainCnnStudent(STUDENT, init, { kind: 'kd', temperature: 2, softWeight: 0.9 }, null, settings(1, 1)),
      'BAD_OPTION',
      /teacher targets/,
    );
    await expectKrsError(
      () =>
        trainCnnStudent(
          STUDENT,
          init,
          { kind: 'fitnet', stage: 'conv1', hintEpochs: 1, regressor: createRng(1, 'r'), temperature: 4, softWeight: 0.9 },
          targets,
          settings(1, 1),
        ),
      'UNKNOWN_KEY',
      /conv1/,
      /available: conv2/,
    );
    await expectKrsError(() => trainCnnStudent(STUDENT, init, { kind: 'at', beta: 1, stages: ['fc1'] }, targets, settings(1, 1)), 'UNKNOWN_KEY', /fc1/);
    await expectKrsError(
      () => trainCnnStudent(STUDENT, init, { kind: 'kd', temperature: 0, softWeight: 0.9 }, targets, settings(1, 1)),
      'BAD_OPTION',
      /temperature/,
    );
    await expectKrsError(
      () => trainCnnStudent(STUDENT, init, { kind: 'at', beta: Number.NaN, stages: ['conv1'] }, targets, settings(1, 1)),
      'BAD_OPTION',
      /atBeta/,
    );
  });
});
