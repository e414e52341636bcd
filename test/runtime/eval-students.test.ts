/**
 * One pass for several students (`runEvalStudents`): the teacher runs once per batch and feeds
 * every student's metric; each result must equal the one its student's own run gives — scores,
 * layer scores, intervals and their leave-one-group-out values, the null level, accuracies —
 * to 1e-12. Own test models (test/fixtures/models) on 300 of the held-out digits, batches of 64
 * (several batches, a short last one).
 */
import { describe, expect, it } from 'vitest';
import { mnistDataset } from '../../src/runtime/data/mnist.js';
import { type EvalOptions, type EvalResult, runEval, runEvalStudents } from '../../src/runtime/eval.js';
import { ownModel } from '../helpers/models.js';

const TEACHER = ownModel('mlp-teacher.onnx');
const DISTILLED = ownModel('mlp-student.onnx');
const CNN = ownModel('cnn.onnx');
const SIGMOID_MLP = ownModel('mlp-sigmoid.onnx');

const base = (): EvalOptions => ({
  task: 'classification',
  data: mnistDataset(300),
  teacher: { file: TEACHER },
  student: { file: 'unused.onnx' },
  batchSize: 64,
  reference: { null: true, seed: 3 },
});

/** Every number of a result, by path (timings left out): scores, intervals, replicates, null level, accuracies. */
function numbers(r: EvalResult): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (x: unknown, at: string) => {
    if (typeof x === 'number') out.set(at, x);
    else if (Array.isArray(x)) x.forEach((v, i) => walk(v, `${at}[${i}]`));
    else if (x && typeof x === 'object') for (const [k, v] of Object.entries(x)) if (k !== 'timing') walk(v, `${at}.${k}`);
  };
  walk(r, '');
  return out;
}

function expectSameNumbers(a: EvalResult, b: EvalResult): void {
  const na = numbers(a);
  const nb = numbers(b);
  expect([...na.keys()].sort()).toEqual([...nb.keys()].sort());
  for (const [k, v] of na) {
    const w = nb.get(k)!;
    if (!Number.isFinite(v)) expect(w, k).toBe(v);
    else expect(Math.abs(v - w), `${k}: ${v} vs ${w}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(v)));
  }
}

describe('runEvalStudents: one teacher pass for several students', () => {
  it('two students in one pass: each result equals its own run to 1e-12 (scores, intervals, null level, accuracies)', async () => {
    const both = await runEvalStudents(base(), [{ student: { file: DISTILLED } }, { student: { file: CNN } }]);
    expect(both).toHaveLength(2);
    for (const [i, file] of [DISTILLED, CNN].entries()) {
      const alone = await runEval({ ...base(), student: { file } });
      const r = both[i]!.result;
      expect(r.student.file).toBe(file);
      expect(r.reference.null).not.toBeNull();
      expect(r.ci95.krs).not.toBeNull();
      expect(r.teacher.accuracy).not.toBeNull();
      expect(r.warnings).toEqual(alone.warnings);
      expect(r.teacher.layers).toEqual(alone.teacher.layers);
      expectSameNumbers(r, alone);
      // Each result's inference time is its own student's (and the one teacher run's).
      expect(Object.keys(r.timing.inferenceMs).sort()).toEqual(['student', 'teacher']);
    }
    // The teacher ran once: both results report the same teacher inference time.
    expect(both[0]!.result.timing.inferenceMs.teacher).toBe(both[1]!.result.timing.inferenceMs.teacher);
    expect(both[0]!.metric).not.toBe(both[1]!.metric);
  });

  it('output options are per student: a declared-sigmoid student beside a logits one, and a baseline lane without a null level', async () => {
    const lanes = [{ student: { file: SIGMOID_MLP, outputs: 'sigmoid' as const } }, { student: { file: DISTILLED }, null: false }];
    const [sig, plain] = await runEvalStudents({ ...base(), worker: false }, lanes);
    const alone = await runEval({ ...base(), worker: false, student: { file: SIGMOID_MLP, outputs: 'sigmoid' } });
    expect(sig!.result.output.kinds).toEqual(alone.output.kinds);
    expectSameNumbers(sig!.result, alone);
    expect(plain!.result.reference.null).toBeNull();
    const plainAlone = await runEval({ ...base(), worker: false, student: { file: DISTILLED }, reference: { null: false } });
    expectSameNumbers(plain!.result, plainAlone);
  });

  it('no student: a usage error', async () => {
    await expect(runEvalStudents(base(), [])).rejects.toThrow(/at least one student/);
  });
});
