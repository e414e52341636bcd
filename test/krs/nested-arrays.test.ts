/**
 * The library API takes plain nested number arrays wherever it takes activations or outputs,
 * with the same results as Tensors, and rejects malformed ones with one-line errors.
 */
import { describe, expect, it } from 'vitest';
import { klAgreement } from '../../src/agreement/classification.js';
import { regressionAgreement } from '../../src/agreement/regression.js';
import { tensor } from '../../src/core/tensor.js';
import { KrsMetric } from '../../src/krs/metric.js';
import { similarityOf } from '../../src/similarity/layer-similarity.js';
import { expectKrsError } from '../helpers/fixtures.js';

const x = [
  [1, 2, 0.5],
  [0, 1, 2],
  [3, 1, 1],
  [2, 2, 0],
  [1, 0, 1],
];
const y = [
  [0.9, 2.2],
  [0.1, 1.5],
  [2.7, 0.8],
  [2.1, 1.9],
  [1.2, 0.1],
];
const asT = (rows: number[][]) => tensor(Float64Array.from(rows.flat()), [rows.length, rows[0]!.length]);

describe('nested arrays in the library API', () => {
  it('similarityOf gives the same value for nested arrays and Tensors', async () => {
    const nested = await similarityOf(x, y);
    const typed = await similarityOf(asT(x), asT(y));
    expect(nested.value).toBe(typed.value);
    expect(nested.teacherWidth).toBe(3);
  });

  it('KrsMetric.update and the one-shot agreements take nested arrays', async () => {
    const run = async (features: (r: number[][]) => unknown) => {
      const m = new KrsMetric({ task: 'classification', pairs: [{ teacher: 'h', student: 'h' }] });
      await m.update({
        teacher: { h: features(x) as never },
        student: { h: features(y) as never },
        teacherOutput: features(x) as never,
        studentOutput: features(x.map((r) => r.map((v) => v * 0.9))) as never,
      });
      return m.compute();
    };
    const nested = await run((r) => r);
    const typed = await run(asT);
    expect(nested.krs).toBe(typed.krs);
    expect(klAgreement(x, x).aoa).toBeCloseTo(100, 12);
    expect(regressionAgreement([1, 2, 3, 4], [1, 2, 3, 5]).mse).toBeCloseTo(0.25, 15);
  });

  it('ragged or non-numeric arrays are one-line errors naming the layer and position', async () => {
    await expectKrsError(() => similarityOf([[1, 2], [3]], y), 'SHAPE_MISMATCH', /teacher layer 'teacher' row 1/);
    await expectKrsError(() => similarityOf(x, [[1, 'a']] as never), 'BAD_VALUE', /student layer 'student'/);
    const m = new KrsMetric({ task: 'classification', pairs: [{ teacher: 'h', student: 'h' }] });
    await expectKrsError(() => m.updateFeatures({ teacher: { h: x }, student: { h: [[1, 2], [3]] } }), 'SHAPE_MISMATCH', /student layer 'h' row 1/);
  });
});
