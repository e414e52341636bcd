/**
 * The memory budget of exact CKA prices rows at their precision (float64 8 bytes, float32 4,
 * plus the Gram pass's centred copy at 8) and bounds the rows a pair holds over all its interval
 * groups, not one group's (docs/formulas.md §"Exact at every width").
 */
import { describe, expect, it } from 'vitest';
import { KrsError } from '../../src/core/errors.js';
import { createRng } from '../../src/core/rng.js';
import { tensor } from '../../src/core/tensor.js';
import { KrsMetric } from '../../src/krs/metric.js';
import { typescriptBackend } from '../../src/linalg/typescript-backend.js';
import { featureValueBytes } from '../../src/similarity/features.js';
import { chooseLinearRoute, sampleSpaceBytes } from '../../src/similarity/linear-cka.js';
import type { SimilaritySettings } from '../../src/similarity/spec.js';

const settings = (extra: Partial<SimilaritySettings>): SimilaritySettings => ({
  backend: typescriptBackend,
  teacherName: 't',
  studentName: 's',
  estimator: 'exact',
  memoryBudget: 48 * 2 ** 20,
  ...extra,
});

async function rejection(run: () => Promise<unknown>): Promise<KrsError> {
  try {
    await run();
  } catch (e) {
    expect(e).toBeInstanceOf(KrsError);
    return e as KrsError;
  }
  throw new Error('expected a KrsError');
}

describe('pricing rows by their precision', () => {
  it('sample-space bytes: n·(p·b_x + q·b_y) + 8·n·(p + q)', () => {
    expect(sampleSpaceBytes(1000, 2000, 2000)).toBe(1000 * 4000 * 16);
    expect(sampleSpaceBytes(1000, 2000, 2000, { teacher: 4, student: 4 })).toBe(1000 * 4000 * 12);
    expect(sampleSpaceBytes(10, 3, 5, { teacher: 4, student: 8 })).toBe(10 * (12 + 40) + 8 * 10 * 8);
  });

  it('float64 rows are priced at 8 bytes: a run that fits as float32 does not as float64', () => {
    // 1000 samples of widths 2000 and 2000: feature space 64 MB; rows 48 MB (float32) or 64 MB (float64).
    const f32 = settings({ samples: 1000, valueBytes: { teacher: 4, student: 4 } });
    expect(chooseLinearRoute(2000, 2000, f32)).toBe('sample-space');
    const f64 = settings({ samples: 1000, valueBytes: { teacher: 8, student: 8 } });
    expect(() => chooseLinearRoute(2000, 2000, f64)).toThrow(/61 MiB of stored rows.*memory budget 48 MiB/);
    // Unknown precision is priced as float64.
    expect(() => chooseLinearRoute(2000, 2000, settings({ samples: 1000 }))).toThrow(/61 MiB of stored rows/);
  });

  it('the precision of the rows featureMatrix returns', () => {
    expect(featureValueBytes('float32', [10, 4])).toBe(4);
    expect(featureValueBytes('float16', [10, 4, 3, 3])).toBe(4);
    expect(featureValueBytes('float32', [10, 4, 3, 3], { pool: 'gap' })).toBe(8);
    expect(featureValueBytes('float64', [10, 4])).toBe(8);
    expect(featureValueBytes('int32', [10, 4])).toBe(8);
  });
});

describe('the budget bounds the rows of every interval group together', () => {
  // 200 samples of widths 100 and 100, float64: 3200 bytes a row with the centred copy, 640 000
  // in all; one of 20 groups holds 10 rows (32 000 bytes).
  const n = 200;
  const rng = createRng(5, 'memory-budget');
  const x = Float64Array.from({ length: n * 100 }, () => rng.next());
  const y = Float64Array.from({ length: n * 100 }, (_, i) => x[i]! + 0.5 * rng.next());
  const batch = { teacher: { h: tensor(x, [n, 100]) }, student: { h: tensor(y, [n, 100]) } };
  const metric = (groups: number) =>
    new KrsMetric({
      task: 'classification',
      pairs: [{ teacher: 'h', student: 'h' }],
      exactRoute: 'sample-space',
      memoryBudget: 100_000,
      samples: n,
      intervals: groups === 1 ? false : { groups },
    });

  for (const groups of [20, 1]) {
    it(`${groups === 1 ? 'without' : 'with 20'} interval groups: refused once the pair's rows pass the budget`, async () => {
      const e = await rejection(() => metric(groups).updateFeatures(batch));
      expect(e.code).toBe('BAD_VALUE');
      expect(e.message).toMatch(/stored rows of layer pair 'h':'h' for exact sample-space CKA \(\d+ rows of widths 100 and 100/);
      expect(e.message).toMatch(/memory budget 97\.7 KiB/);
    });
  }

  it('rows within the budget are kept in every group', async () => {
    const m = new KrsMetric({
      task: 'classification',
      pairs: [{ teacher: 'h', student: 'h' }],
      exactRoute: 'sample-space',
      memoryBudget: 640_000,
      samples: n,
    });
    await m.updateFeatures(batch);
  });
});
