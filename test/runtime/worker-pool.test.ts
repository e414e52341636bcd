import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/core/tensor.js';
import { mnistDataset } from '../../src/runtime/data/mnist.js';
import { prepareSide } from '../../src/runtime/model-side.js';
import { startLocalPool, startWorkerPool } from '../../src/runtime/worker-client.js';
import { ownModel } from '../helpers/models.js';

/*
 * Batches handed to the model worker (`ModelPool.run` with `give`, for a data set whose batches
 * are `owned`): the buffers are moved, not copied — detached on this thread afterwards — and
 * the outputs are the same as when they are copied, or run on this thread.
 */
const bytes = (t: Tensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);

describe('model worker: owned batches are transferred', () => {
  const data = mnistDataset(300);

  it("the mnist reader's batches are owned: fresh buffers, shared with neither the targets nor the ids", () => {
    const a = data.read(0, 100);
    const b = data.read(0, 100);
    expect(a.owned).toBe(true);
    const x = a.arrays.x!.data;
    expect(x.buffer).not.toBe(b.arrays.x!.data.buffer);
    expect(x.buffer).not.toBe(a.targets!.data.buffer);
    expect(x.buffer).not.toBe(a.ids.data.buffer);
    expect(x.byteOffset).toBe(0);
    expect(x.byteLength).toBe(x.buffer.byteLength);
  });

  it('give: the input buffers are detached, the outputs equal a copied run and an in-process run', async () => {
    const side = prepareSide('model', { file: ownModel('cnn.onnx'), layers: ['@Relu'] }, data, '', []);
    const worker = await startWorkerPool([side.job]);
    const local = await startLocalPool([side.job]);
    try {
      for (const [s, e] of [
        [0, 128],
        [128, 300],
      ] as const) {
        const given = data.read(s, e);
        const kept = data.read(s, e);
        const copy = Float32Array.from(kept.arrays.x!.data as Float32Array);
        const viaTransfer = await worker.run(given.arrays as Record<string, Tensor>, e - s, true);
        const viaCopy = await worker.run(kept.arrays as Record<string, Tensor>, e - s, false);
        const here = await local.run(data.read(s, e).arrays as Record<string, Tensor>, e - s, true);
        expect(given.arrays.x!.data.byteLength).toBe(0); // moved to the worker
        expect(kept.arrays.x!.data).toEqual(copy); // copied: still here, unchanged
        const names = Object.keys(here.outputs.model!);
        expect(names.length).toBeGreaterThan(1);
        for (const k of names) {
          const want = here.outputs.model![k]!;
          for (const got of [viaTransfer.outputs.model![k]!, viaCopy.outputs.model![k]!]) {
            expect(got.shape).toEqual(want.shape);
            expect(bytes(got).equals(bytes(want))).toBe(true);
          }
        }
      }
    } finally {
      await worker.close();
      await local.close();
    }
  });
});
