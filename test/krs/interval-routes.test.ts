/**
 * Intervals are the same on both exact routes: the sample-space route computes its
 * leave-one-group-out values in one Gram pass, the feature-space route by merges.
 */
import { describe, expect, it } from 'vitest';
import { sliceRows } from '../../src/core/tensor.js';
import { KrsMetric } from '../../src/krs/metric.js';
import { asTensor, expectClose, loadJson } from '../helpers/fixtures.js';

const fx = loadJson('similarity/similarity-fixtures.json');

describe('jackknife intervals on both exact routes', () => {
  it('equal layer intervals, FSS and KRS intervals, with 10 groups', async () => {
    const X = asTensor(fx.google.X);
    const Y = asTensor(fx.google.Y);
    const n = X.shape[0]!;
    const results = [];
    for (const exactRoute of ['feature-space', 'sample-space'] as const) {
      const m = new KrsMetric({ task: 'classification', pairs: [{ teacher: 'h', student: 'h' }], exactRoute, samples: n, intervals: { groups: 10 } });
      for (let i = 0; i < n; i += 30) {
        const t = sliceRows(X, i, Math.min(n, i + 30));
        const s = sliceRows(Y, i, Math.min(n, i + 30));
        await m.update({ teacher: { h: t }, student: { h: s }, teacherOutput: t, studentOutput: s });
      }
      results.push(await m.compute());
    }
    const [f, s] = results;
    expect(f!.layers[0]!.route).toBe('feature-space');
    expect(s!.layers[0]!.route).toBe('sample-space');
    expect(s!.layers[0]!.ci95).not.toBeNull();
    for (let k = 0; k < 2; k++) {
      expectClose(s!.layers[0]!.ci95![k]!, f!.layers[0]!.ci95![k]!, 1e-9);
      expectClose(s!.ci95.fss![k]!, f!.ci95.fss![k]!, 1e-9);
      expectClose(s!.ci95.krs![k]!, f!.ci95.krs![k]!, 1e-9);
    }
  });
});
