/**
 * The float32 product path guards its range: activations scaled by 1e-40 … 1e30 (or integers
 * near 2^62) give the float64 answer to 1e-6 on every exact route and in the cross-layer
 * matrix, instead of a matrix of 1s, NaNs or a false "constant layer".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tensor } from '../../src/core/tensor.js';
import { createOrtBackend, type OrtBackend, rangeScale } from '../../src/runtime/ort-backend.js';
import { CrossLayerCka } from '../../src/similarity/cross-layer.js';
import { similarityOf } from '../../src/similarity/layer-similarity.js';

/** CKA values are fractions in [0, 1]: compared to 1e-6 absolute. */
function expectClose(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-6);
}

const n = 200;
let seed = 3;
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31 - 0.5;
};
const base = Float64Array.from({ length: n * 6 }, rand);
const related = Float64Array.from({ length: n * 5 }, (_, i) => base[i]! + rand());

let ort: OrtBackend;
beforeAll(async () => {
  ort = await createOrtBackend();
});
afterAll(async () => {
  await ort.dispose();
});

describe('float32 products with guarded range', () => {
  it('rangeScale: 1 for safe magnitudes, an exact power of two otherwise', () => {
    expect(rangeScale(0)).toBe(1);
    expect(rangeScale(3.5)).toBe(1);
    expect(rangeScale(2 ** 41)).toBe(2 ** -41);
    expect(rangeScale(1e-30) * 1e-30).toBeGreaterThanOrEqual(1);
    expect(rangeScale(1e-30) * 1e-30).toBeLessThan(2);
  });

  for (const k of [1e-40, 1e-30, 1e-20, 1, 1e18, 1e30]) {
    it(`activations × ${k}: every route and the cross-layer matrix give the float64 value`, async () => {
      const X = tensor(
        base.map((v) => v * k),
        [n, 6],
      );
      const Y = tensor(
        related.map((v) => v * k),
        [n, 5],
      );
      const exact = (await similarityOf(tensor(base, [n, 6]), tensor(related, [n, 5]))).value;
      for (const route of ['feature-space', 'sample-space'] as const) {
        for (const similarity of ['cka', 'cka-debiased'] as const) {
          const want = similarity === 'cka' ? exact : (await similarityOf(tensor(base, [n, 6]), tensor(related, [n, 5]), { similarity })).value;
          expectClose((await similarityOf(X, Y, { backend: ort, exactRoute: route, similarity })).value, want);
        }
      }
      for (const route of ['feature-space', 'sample-space'] as const) {
        const m = new CrossLayerCka(['x'], ['y'], { backend: ort, exactRoute: route });
        await m.update({ x: X }, { y: Y });
        expectClose((await m.compute()).cka[0]![0]!, exact);
      }
    });
  }

  it('uint64 values near 2^62 are not "constant"', async () => {
    const big = 2n ** 62n;
    const u = BigUint64Array.from({ length: n * 3 }, (_, i) => big + BigInt(Math.round(base[i]! * 2 ** 40)));
    const v = Float64Array.from({ length: n * 3 }, (_, i) => base[i]! + 0.1 * rand());
    const r = await similarityOf(tensor(u, [n, 3]), tensor(v, [n, 3]), { backend: ort });
    const want = await similarityOf(
      tensor(
        Float64Array.from(u, (x) => Number(x - big)),
        [n, 3],
      ),
      tensor(v, [n, 3]),
    );
    expectClose(r.value, want.value);
  });
});
