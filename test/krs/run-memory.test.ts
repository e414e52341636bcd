/**
 * The memory a run is priced at (src/krs/run-memory.ts), worked by hand from the formulas of
 * docs/formulas.md §"Memory budget of a run".
 */
import { describe, expect, it } from 'vitest';
import { KrsError } from '../../src/core/errors.js';
import { assertRunFits, type RunMemoryInput, runMemory } from '../../src/krs/run-memory.js';
import { featureSpaceBytes } from '../../src/similarity/linear-cka.js';

const base: RunMemoryInput = {
  n: 1000,
  batchSize: 100,
  rowBytes: 8 * (10 + 20 + 2 * 5),
  groups: 20,
  intervalBudget: 512 * 2 ** 20,
  gramBlock: 1024,
  pairs: [],
  nullLevel: false,
  wholeArrays: [],
  idItemBytes: 0,
};
// stateBytes as linear CKA plans it for widths 10 and 20 (featureSpaceBytes).
const pair = { teacher: 'a', student: 'b', p: 10, q: 20, stateBytes: featureSpaceBytes(10, 20), valueBytes: { teacher: 4, student: 8 } };

describe('runMemory', () => {
  it('feature space: one state per interval group, one more for the null level', () => {
    // 8·(55 + 210 + 200 + 3·30) = 4440 bytes a state.
    const state = 8 * (55 + 210 + 200 + 90);
    const alone = runMemory({ ...base, pairs: [{ ...pair, route: 'feature-space' }] });
    expect(alone.parts).toEqual([{ what: "layer pair 'a':'b' (widths 10 and 20) feature-space statistics", bytes: 20 * state }]);
    expect(alone.transient).toEqual({ what: 'one batch of 100 rows', bytes: 100 * 320 });
    expect(alone.total).toBe(20 * state + 32_000);
    const withNull = runMemory({ ...base, nullLevel: true, pairs: [{ ...pair, route: 'feature-space' }] });
    expect(withNull.parts[0]!.bytes).toBe(21 * state);
    expect(withNull.parts[1]).toEqual({ what: "the null level's permutation", bytes: 4000 });
    // Coarsened by the interval budget: 20 states of 4440 bytes (88 800) over 50 000, so 10 (k = 2).
    const coarse = runMemory({ ...base, intervalBudget: 50_000, pairs: [{ ...pair, route: 'feature-space' }] });
    expect(coarse.parts[0]!.bytes).toBe(10 * state);
  });

  it('sample space: the rows at their precision in every metric; the Gram pass as the transient', () => {
    const m = runMemory({ ...base, nullLevel: true, pairs: [{ ...pair, route: 'sample-space' }], wholeArrays: [{ key: 'b', bytes: 160_000 }] });
    const rows = 1000 * (10 * 4 + 20 * 8);
    expect(m.parts.map((p) => p.bytes)).toEqual([2 * rows, 160_000, 4000]);
    // Centred copy 8·1000·30, row sums and diagonals 32·1000, per-group sums 8·1000·43, blocks 16·1000·1000.
    expect(m.transient.bytes).toBe(240_000 + 32_000 + 344_000 + 16_000_000);
    expect(m.total).toBe(2 * rows + 164_000 + m.transient.bytes);
  });

  it('RBF: the rows and the three n × n kernels; minibatch: two b × b Gram matrices a batch', () => {
    expect(runMemory({ ...base, pairs: [{ ...pair, route: 'rbf' }] }).transient.bytes).toBe(24 * 1000 * 1000);
    const mb = runMemory({ ...base, pairs: [{ ...pair, route: 'minibatch' }] });
    expect(mb.parts).toEqual([]);
    expect(mb.transient.bytes).toBe(32_000 + 16 * 100 * 100 + 8 * 100 * 30);
  });

  it('over the budget: one BAD_VALUE line naming the run, the bytes, the largest parts and the budget', () => {
    const m = runMemory({ ...base, pairs: [{ ...pair, route: 'rbf' }] });
    expect(() => assertRunFits(m, m.total, 'this run')).not.toThrow();
    try {
      assertRunFits(m, m.total - 1, 'this run');
      throw new Error('expected a refusal');
    } catch (e) {
      expect(e).toBeInstanceOf(KrsError);
      const k = e as KrsError;
      expect(k.code).toBe('BAD_VALUE');
      expect(k.message).not.toContain('\n');
      expect(k.message).toMatch(/^this run needs about 23 MiB of memory \(largest: the n × n kernels of layer pair 'a':'b' \(widths 10 and 20\) 23 MiB; /);
      expect(k.message).toMatch(/more than the memory budget 23 MiB/);
    }
  });
});
