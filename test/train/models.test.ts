import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import { buildMlp, glorotInit, hiddenNames, mlpArchitecture, parameterCount, STUDENT_ARCH, TEACHER_ARCH } from '../../src/train/models.js';
import { initTf, tf } from '../../src/train/tf.js';

beforeAll(() => initTf());

describe('MLP teacher and student', () => {
  it('have the documented widths and parameter counts (the student about 5× smaller)', () => {
    expect(TEACHER_ARCH.name).toBe('mlp-784-300-100-10');
    expect(STUDENT_ARCH.name).toBe('mlp-784-64-32-10');
    expect(parameterCount(TEACHER_ARCH)).toBe(784 * 300 + 300 + 300 * 100 + 100 + 100 * 10 + 10);
    expect(parameterCount(TEACHER_ARCH)).toBe(266610);
    expect(parameterCount(STUDENT_ARCH)).toBe(52650);
    expect(parameterCount(TEACHER_ARCH) / parameterCount(STUDENT_ARCH)).toBeGreaterThan(3);
    expect(hiddenNames(STUDENT_ARCH)).toEqual(['hidden1', 'hidden2']);
  });

  it('build with the given weights: TensorFlow.js counts the same parameters, and forward yields hidden ReLU activations then logits', () => {
    const arch = mlpArchitecture([8, 4]);
    const init = glorotInit(arch, createRng(1, 'init'));
    const net = buildMlp(arch, init);
    try {
      expect(net.params).toBe(parameterCount(arch));
      const w = net.weights();
      expect(w.map((a) => a.length)).toEqual(init.map((a) => a.length));
      expect(w[0]).toEqual(init[0]);
      const limit = Math.sqrt(6 / (784 + 8));
      expect(Math.max(...init[0]!.map(Math.abs))).toBeLessThanOrEqual(limit);
      expect(init[1]!.every((b) => b === 0)).toBe(true);
      const outs = tf.tidy(() => net.forward(tf.ones([3, 784]) as tf.Tensor2D).map((t) => tf.keep(t)));
      expect(outs.map((o) => o.shape)).toEqual([
        [3, 8],
        [3, 4],
        [3, 10],
      ]);
      expect((outs[0]!.dataSync() as Float32Array).every((v) => v >= 0)).toBe(true);
      tf.dispose(outs);
      expect(net.variables().length).toBe(6);
      expect(net.variables(1).length).toBe(2);
    } finally {
      net.dispose();
    }
  });

  it('initial weights are fixed by the seed', () => {
    const a = glorotInit(STUDENT_ARCH, createRng(4, 'student-init'));
    expect(glorotInit(STUDENT_ARCH, createRng(4, 'student-init'))[0]).toEqual(a[0]);
    expect(glorotInit(STUDENT_ARCH, createRng(5, 'student-init'))[0]).not.toEqual(a[0]);
  });
});
