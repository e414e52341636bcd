import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';

describe('createRng', () => {
  it('is reproducible per (seed, stream) and differs across seeds and streams', () => {
    const draw = (seed: number, stream: string) =>
      Array.from(
        { length: 5 },
        (
          (r) => () =>
            r.next()
        )(createRng(seed, stream)),
      );
    expect(draw(1, 'a')).toEqual(draw(1, 'a'));
    expect(draw(1, 'a')).not.toEqual(draw(2, 'a'));
    expect(draw(1, 'a')).not.toEqual(draw(1, 'b'));
  });

  it('draws uniforms in [0, 1) with a sane mean, and integers in range', () => {
    const r = createRng(7, 'u');
    let sum = 0;
    for (let i = 0; i < 20000; i++) {
      const u = r.next();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
    }
    expect(Math.abs(sum / 20000 - 0.5)).toBeLessThan(0.01);
    const counts = new Array(5).fill(0);
    for (let i = 0; i < 5000; i++) counts[r.int(5)]++;
    for (const c of counts) expect(c).toBeGreaterThan(900);
  });

  it('permutation holds every index once', () => {
    const p = createRng(3, 'p').permutation(1000);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect([...p.subarray(0, 10)]).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
