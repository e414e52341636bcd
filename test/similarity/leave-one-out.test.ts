/**
 * The delete-a-group jackknife of exact linear CKA from one sample-space Gram pass equals
 * merging the other groups and computing, for every group, biased and debiased.
 */
import { describe, expect, it } from 'vitest';
import { sliceRows } from '../../src/core/tensor.js';
import { layerSimilarity } from '../../src/similarity/layer-similarity.js';
import { asTensor, expectClose, loadJson } from '../helpers/fixtures.js';

const fx = loadJson('similarity/similarity-fixtures.json');

describe('leave-one-group-out values from one Gram pass', () => {
  for (const similarity of ['cka', 'cka-debiased'] as const) {
    for (const [label, data] of [
      ['wide layers with offsets', fx.wide],
      ['Google data', fx.google],
    ] as const) {
      it(`${similarity}, ${label}: equal to merge-and-compute for each group`, async () => {
        const X = asTensor(data.X);
        const Y = asTensor(data.Y);
        const n = X.shape[0]!;
        const cuts = [0, Math.round(n * 0.2), Math.round(n * 0.45), Math.round(n * 0.7), n];
        const m = layerSimilarity({ similarity, exactRoute: 'sample-space' });
        const states = [];
        for (let g = 0; g + 1 < cuts.length; g++) {
          const st = m.init();
          await m.update(st, { teacher: sliceRows(X, cuts[g]!, cuts[g + 1]!), student: sliceRows(Y, cuts[g]!, cuts[g + 1]!) });
          states.push(st);
        }
        const fast = await m.leaveOneOut(states);
        expect(fast).not.toBeNull();
        for (let g = 0; g < states.length; g++) {
          const rest = states.filter((_, h) => h !== g).reduce((a, b) => m.merge(a, b));
          expectClose(fast![g]!, (await m.compute(rest)).value, 1e-9);
        }
      });
    }
  }

  it('other routes have no fast path (null: the caller merges)', async () => {
    const m = layerSimilarity({ exactRoute: 'feature-space' });
    const a = m.init();
    const b = m.init();
    const X = asTensor(fx.google.X);
    const Y = asTensor(fx.google.Y);
    await m.update(a, { teacher: sliceRows(X, 0, 50), student: sliceRows(Y, 0, 50) });
    await m.update(b, { teacher: sliceRows(X, 50, 100), student: sliceRows(Y, 50, 100) });
    expect(await m.leaveOneOut([a, b])).toBeNull();
  });
});
