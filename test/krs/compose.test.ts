import { describe, expect, it } from 'vitest';
import { composeKrs } from '../../src/krs/compose.js';
import { expectKrsError } from '../helpers/fixtures.js';

describe("the paper's published KRS values follow from the formula", () => {
  const published: [number, number, number, number][] = [
    [32, 47, 0.3, 42.5],
    [39, 83, 0.3, 69.8],
    [36, 67, 0.3, 57.7],
    [27, 54, 0.3, 45.9],
    [35, 74, 0.3, 62.3],
    [44, 18, 0.7, 36.2],
  ];
  for (const [fss, aoa, alpha, krs] of published) {
    it(`FSS ${fss}, AOA ${aoa}, α ${alpha} → ${krs}`, () => {
      const r = composeKrs(fss, aoa, alpha);
      expect(r.krs).toBeCloseTo(krs, 10);
      expect(r.beta).toBeCloseTo(1 - alpha, 15);
    });
  }
  it('on the unit scale: 0.43 / 0.35, α 0.5 → 0.39', () => {
    expect(composeKrs(0.43, 0.35, 0.5).krs).toBeCloseTo(0.39, 12);
  });
  it('ΔKRS = α·ΔFSS + β·ΔAOA exactly', () => {
    const pre = composeKrs(32, 47, 0.3);
    const post = composeKrs(39, 83, 0.3);
    expect(post.krs - pre.krs).toBeCloseTo(0.3 * 7 + 0.7 * 36, 12);
  });
});

describe('weights', () => {
  it('β given equal to 1 − α is accepted', () => {
    expect(composeKrs(50, 60, 0.25, 0.75).krs).toBeCloseTo(57.5, 12);
  });
  it('α outside [0, 1] is an error naming the value', async () => {
    await expectKrsError(() => composeKrs(1, 1, 1.2), 'BAD_WEIGHT', /alpha must be in \[0, 1\], got 1.2/);
    await expectKrsError(() => composeKrs(1, 1, -0.1), 'BAD_WEIGHT', /-0.1/);
    await expectKrsError(() => composeKrs(1, 1, NaN), 'BAD_WEIGHT', /NaN/);
  });
  it('α + β ≠ 1 is an error', async () => {
    await expectKrsError(() => composeKrs(1, 1, 0.3, 0.6), 'BAD_WEIGHT', /alpha \+ beta must equal 1/, /alpha=0.3 beta=0.6/);
  });
  it('non-finite components are refused', async () => {
    await expectKrsError(() => composeKrs(NaN, 1, 0.3), 'BAD_VALUE', /FSS/);
  });
});
