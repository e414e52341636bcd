/**
 * The teacher on the server: a run that names a teacher ONNX model gets the student's outputs
 * (and taps) with the inputs they were computed on; the server runs the teacher on the same
 * inputs in a worker thread (src/runtime/worker-client.ts), tapping the layers of the run's
 * pairs, so the edge device never needs its teacher.
 *
 * The model's feeds are planned from the first batch's arrays (names and sample shapes, as
 * `krs eval` plans them from a data set); a later batch with other sample shapes gets a new
 * plan (and worker).
 */
import { errors, fmtShape } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import type { Dataset } from '../runtime/data/dataset.js';
import { type PreparedSide, prepareSide, readOutput } from '../runtime/model-side.js';
import { loadModel } from '../runtime/node-onnx.js';
import { type ModelPool, startWorkerPool } from '../runtime/worker-client.js';
import type { RunSettings } from './metric.js';

export interface TeacherRunner {
  /** The teacher's tapped layers (the run's pairs' teacher names) and output on a batch of inputs. */
  run(inputs: Record<string, Tensor>): Promise<{ layers: Record<string, Tensor>; output: Tensor }>;
  close(): Promise<void>;
}

/** @throws KrsError for a model ONNX Runtime refuses or a layer it lacks (at the first batch). */
export async function startTeacher(file: string, settings: RunSettings): Promise<TeacherRunner> {
  const model = loadModel(file);
  const layers = [...new Set(settings.pairs.map((p) => p.teacher))];
  let current: { key: string; side: PreparedSide; pool: ModelPool } | null = null;
  let queue: Promise<unknown> = Promise.resolve();
  const open = async (inputs: Record<string, Tensor>, n: number) => {
    const key = Object.entries(inputs)
      .map(([k, t]) => `${k}${fmtShape(t.shape.slice(1))}${t.dtype}`)
      .sort()
      .join(';');
    if (current?.key === key) return current;
    if (current) await current.pool.close();
    const names = Object.keys(inputs);
    const data: Dataset = {
      name: 'posted inputs',
      size: n,
      primary: names.length === 1 ? names[0]! : names.includes('input') ? 'input' : null,
      arrays: Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape }])),
      channelAxis: 0,
      targets: null,
      kind: 'npz',
      read: () => {
        throw errors.internal('posted inputs are not read back');
      },
    } as unknown as Dataset;
    const side = prepareSide('teacher', { file, layers }, data, '', [], 1, model);
    current = { key, side, pool: await startWorkerPool([side.job]) };
    return current;
  };
  return {
    run(inputs) {
      const first = Object.values(inputs)[0];
      if (!first) throw errors.badValue('inputs', 'none', 'the arrays the teacher model is fed');
      const n = first.shape[0] ?? 0;
      for (const [k, t] of Object.entries(inputs)) if (t.shape[0] !== n) throw errors.sampleCountMismatch(`input '${k}'`, n, t.shape[0] ?? 0);
      // One batch at a time per run: the plan may change between batches.
      const job = queue.then(async () => {
        const c = await open(inputs, n);
        const out = await c.pool.run(inputs, n);
        const t = out.outputs.teacher!;
        return { layers: Object.fromEntries(layers.map((l) => [l, t[l]!])), output: readOutput(c.side, t[c.side.outputTensor]!) };
      });
      queue = job.catch(() => {});
      return job;
    },
    async close() {
      await queue;
      if (current) await current.pool.close();
      current = null;
    },
  };
}
