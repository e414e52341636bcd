import { describe, expect, it } from 'vitest';
import { loadMnist } from '../../src/runtime/data/mnist.js';
import { mnistSplit } from '../../src/train/mnist-split.js';
import { expectKrsError } from '../helpers/fixtures.js';

describe('mnistSplit', () => {
  it('splits the 10 000 digits 8 000 / 2 000, disjoint, every digit in both, with ids back into the mnist data set', () => {
    const s = mnistSplit(1);
    expect(s.total).toBe(10000);
    expect([s.train.n, s.test.n]).toEqual([8000, 2000]);
    expect(s.train.x.length).toBe(8000 * 784);
    const ids = new Set([...s.train.ids, ...s.test.ids]);
    expect(ids.size).toBe(10000);
    for (let d = 0; d < 10; d++) {
      expect(s.train.y.includes(d)).toBe(true);
      expect(s.test.y.includes(d)).toBe(true);
    }
    const all = loadMnist();
    for (const i of [0, 17, 1999]) {
      const id = s.test.ids[i]!;
      expect(s.test.y[i]).toBe(all.labels[id]);
      expect(s.test.x.subarray(i * 784, (i + 1) * 784)).toEqual(all.images.subarray(id * 784, (id + 1) * 784));
    }
  });

  it('is fixed by the seed; a smaller split takes prefixes of the same permutation', () => {
    const a = mnistSplit(5, 300, 100);
    expect(mnistSplit(5, 300, 100).test.ids).toEqual(a.test.ids);
    expect(mnistSplit(6, 300, 100).test.ids).not.toEqual(a.test.ids);
    expect(mnistSplit(5, 200, 50).train.ids).toEqual(a.train.ids.subarray(0, 200));
  });

  it('refuses more digits than there are', async () => {
    await expectKrsError(() => mnistSplit(1, 9000, 2000), 'BAD_OPTION', /trainSize \+ testSize/, /10000/);
  });
});
