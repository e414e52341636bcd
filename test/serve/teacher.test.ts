/**
 * The teacher on the server: a run naming a teacher ONNX model takes inputs with the
 * student's outputs and taps; the server runs the teacher (worker thread) and scores exactly
 * what a local run of the same teacher on the same inputs scores.
 */
import { copyFileSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/core/tensor.js';
import { KrsMetric } from '../../src/krs/metric.js';
import { startTeacher } from '../../src/serve/teacher.js';
import { OWN_MODELS_DIR, ownModel } from '../helpers/models.js';
import { rows, sqliteStore, type TestStore, testApp } from './helpers.js';

const settings = { pairs: [{ teacher: 'relu2', student: 'h' }], intervals: { groups: 4 } };

describe('teacher on the server', () => {
  let ts: TestStore;
  let app: FastifyInstance;
  beforeAll(async () => {
    ts = await sqliteStore();
    ({ app } = await testApp(ts.store, { models: OWN_MODELS_DIR }));
  });
  afterAll(async () => {
    await app?.close();
    await ts?.cleanup();
  });

  it('runs the named teacher on posted inputs and scores like a local run', { timeout: 60_000 }, async () => {
    const create = await app.inject({
      method: 'POST',
      url: '/v1/runs',
      payload: { name: 'edge', kind: 'deployment', task: 'classification', teacherModel: 'mlp-teacher.onnx', settings },
    });
    expect(create.statusCode, create.body).toBe(201);
    const n = 32;
    const pixels = rows(n, 784, 5).map((r) => r.map((x) => x + 0.5));
    const input = { shape: [n, 1, 28, 28], data: pixels.flat() };
    const student = { h: rows(n, 16, 6) };
    const studentOutput = rows(n, 10, 7);
    const r = await app.inject({ method: 'POST', url: '/v1/runs/edge/batches', payload: { inputs: { input }, student, studentOutput } });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json().point.source).toBe('teacher');
    // Local reference: the same teacher, run in this thread's worker, fed the same pixels.
    const local = await startTeacher(ownModel('mlp-teacher.onnx'), { task: 'classification', ...settings });
    try {
      const t: Tensor = { dtype: 'float64', shape: [n, 1, 28, 28], data: Float64Array.from(input.data) };
      const out = await local.run({ input: t });
      expect(out.output.shape).toEqual([n, 10]);
      expect(out.layers.relu2!.shape).toEqual([n, 64]);
      const m = new KrsMetric({ task: 'classification', ...settings });
      await m.update({ teacher: out.layers, student, teacherOutput: out.output, studentOutput });
      expect(r.json().point.krs).toBeCloseTo((await m.compute()).krs, 10);
    } finally {
      await local.close();
    }
  });

  it('refuses teacher arrays, missing inputs, and models outside the models folder', async () => {
    const n = 4;
    const bad = await app.inject({ method: 'POST', url: '/v1/runs/edge/batches', payload: { student: { h: rows(n, 16, 1) }, studentOutput: rows(n, 10, 2) } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/inputs/);
    const both = await app.inject({
      method: 'POST',
      url: '/v1/runs/edge/batches',
      payload: { inputs: { input: { shape: [n, 1, 28, 28], data: new Array(n * 784).fill(0) } }, teacherOutput: rows(n, 10, 1), studentOutput: rows(n, 10, 2) },
    });
    expect(both.json().error.message).toMatch(/no teacher arrays/);
    for (const teacherModel of ['../../package.json', '../models/../../x.onnx', 'missing.onnx']) {
      const r = await app.inject({ method: 'POST', url: '/v1/runs', payload: { name: 'x', task: 'classification', teacherModel, settings } });
      expect(r.statusCode, teacherModel).toBe(400);
      expect(r.json().error.message).toMatch(/teacherModel|models folder/);
    }
  });

  it('refuses a link inside the models folder that points out of it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'krs-models-'));
    const outside = mkdtempSync(join(tmpdir(), 'krs-outside-'));
    try {
      copyFileSync(ownModel('mlp-teacher.onnx'), join(outside, 'secret.onnx'));
      copyFileSync(ownModel('mlp-teacher.onnx'), join(dir, 'inside.onnx'));
      symlinkSync(join(outside, 'secret.onnx'), join(dir, 'evil.onnx'));
      symlinkSync(join(dir, 'inside.onnx'), join(dir, 'alias.onnx'));
      const { app: confined } = await testApp(ts.store, { models: dir });
      try {
        const make = (name: string, teacherModel: string) =>
          confined.inject({ method: 'POST', url: '/v1/runs', payload: { name, task: 'classification', teacherModel, settings } });
        const evil = await make('evil', 'evil.onnx');
        expect(evil.statusCode).toBe(400);
        expect(evil.json().error.message).toMatch(/inside the server's models folder/);
        expect((await make('alias', 'alias.onnx')).statusCode).toBe(201);
      } finally {
        await confined.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
