import { describe, expect, it } from 'vitest';
import { tradeoff } from '../../src/analysis/tradeoff.js';
import { rankDescending } from '../../src/stats/ranking.js';
import { alphaSweep, gridIntervals } from '../../src/stats/sensitivity.js';
import { expectKrsError } from '../helpers/fixtures.js';

describe('alphaSweep', () => {
  it('101 points from α = 0 to 1, each α = k/100 exactly, KRS linear in α', () => {
    const s = alphaSweep(39, 83);
    expect(s.points).toHaveLength(101);
    s.points.forEach((p, k) => {
      expect(p.alpha).toBe(k / 100);
      expect(p.krs).toBeCloseTo((k / 100) * 39 + (1 - k / 100) * 83, 12);
    });
    expect(s.points[30]!.krs).toBeCloseTo(69.8, 12);
    expect(s.best).toEqual({ alpha: 0, krs: 83 });
    expect(s.worst).toEqual({ alpha: 1, krs: 39 });
    expect(s.slope).toBe(-44);
    expect(s.flat).toBe(false);
  });
  it('FSS > AOA peaks at α = 1 (detection, segmentation in the paper)', () => {
    expect(alphaSweep(44, 18).best).toEqual({ alpha: 1, krs: 44 });
  });
  it('FSS = AOA is flat: no best α', () => {
    const s = alphaSweep(50, 50);
    expect(s).toMatchObject({ flat: true, best: null, worst: null, slope: 0 });
    expect(s.points.every((p) => p.krs === 50)).toBe(true);
  });
  it('other steps; steps that do not divide 1 are refused', async () => {
    expect(alphaSweep(1, 2, { step: 0.1 }).points).toHaveLength(11);
    expect(gridIntervals(0.05)).toBe(20);
    await expectKrsError(() => alphaSweep(1, 2, { step: 0.3 }), 'BAD_OPTION', /alphaStep/, /0\.3/);
    await expectKrsError(() => alphaSweep(1, 2, { step: 0 }), 'BAD_OPTION');
    await expectKrsError(() => alphaSweep(NaN, 2), 'BAD_VALUE', /FSS/);
  });
});

describe('tradeoff', () => {
  it("the paper's Table 6: predicted ΔKRS = α·ΔFSS + β·ΔAOA", () => {
    expect(tradeoff(44, 18, 0.7).predictedDeltaKrs).toBeCloseTo(36.2, 12); // COCO UET, Exp. 18
    expect(tradeoff(7, 36, 0.3).predictedDeltaKrs).toBeCloseTo(27.3, 12); // CIFAR-100 SKD, Exp. 2
    expect(tradeoff(1, 24, 0.3).predictedDeltaKrs).toBeCloseTo(17.1, 12); // VGG-19 → AlexNet SKD
  });
  it('dominant component, imbalance ratio, conflict', () => {
    const t = tradeoff(44, 18, 0.7);
    expect(t).toMatchObject({ dominant: 'fss', conflict: false, ratioReason: null });
    expect(t.imbalanceRatio).toBeCloseTo(44 / 18, 14);
    expect(t.fssContribution).toBeCloseTo(30.8, 12);
    expect(t.aoaContribution).toBeCloseTo(5.4, 12);
    expect(tradeoff(7, 36, 0.3).dominant).toBe('aoa');
    expect(tradeoff(10, 12, 0.5).dominant).toBe('balanced');
    expect(tradeoff(10, 12, 0.5, { balancedRatio: 1.1 }).dominant).toBe('aoa');
    expect(tradeoff(5, -3, 0.5).conflict).toBe(true);
    expect(tradeoff(0, 0, 0.5)).toMatchObject({ dominant: 'none', imbalanceRatio: null, ratioReason: 'neither component changed' });
    expect(tradeoff(0, 4, 0.5)).toMatchObject({ dominant: 'aoa', imbalanceRatio: null, ratioReason: expect.stringMatching(/FSS did not change/) });
  });
  it('bad weights and options throw', async () => {
    await expectKrsError(() => tradeoff(1, 2, 1.2), 'BAD_WEIGHT', /alpha must be in \[0, 1\], got 1\.2/);
    await expectKrsError(() => tradeoff(1, 2, 0.5, { balancedRatio: 0.5 }), 'BAD_OPTION', /balancedRatio/);
  });
});

describe('rankDescending', () => {
  it('competition ranking, largest first; ties share the best rank; nulls unranked', () => {
    const r = rankDescending([
      { key: 'FitNet', score: 13 },
      { key: 'UET', score: 31 },
      { key: 'ART', score: 19 },
      { key: 'GKD', score: 19 },
      { key: 'x', score: null },
      { key: 'Vanilla', score: 5 },
    ]);
    expect(r.ranked.map((x) => [x.key, x.rank])).toEqual([
      ['UET', 1],
      ['ART', 2],
      ['GKD', 2],
      ['FitNet', 4],
      ['Vanilla', 5],
    ]);
    expect(r.unranked).toEqual(['x']);
  });
});
