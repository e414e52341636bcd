/**
 * src/stats against SciPy: every expected value comes from
 * test/fixtures/stats/make_stats_fixtures.py (pearsonr, ttest_rel, t.interval, kendalltau,
 * numpy.percentile), compared at 1e-6 relative as docs/formulas.md §"Analysis statistics" requires.
 */
import { describe, expect, it } from 'vitest';
import { meanCi } from '../../src/stats/ci.js';
import { kendallExactP, kendallTau } from '../../src/stats/kendall.js';
import { pearson } from '../../src/stats/pearson.js';
import { fiveNumberSummary } from '../../src/stats/summary.js';
import { pairedTTest } from '../../src/stats/ttest.js';
import { expectClose, expectKrsError, loadJson } from '../helpers/fixtures.js';

const fx = loadJson('stats/stats.json');
const TOL = 1e-6;

/** Exact-zero expectations must be exactly zero; others within TOL relative. */
function close(actual: number | null, expected: number): void {
  expect(actual).not.toBeNull();
  if (expected === 0) expect(Math.abs(actual!)).toBeLessThan(1e-300);
  else expectClose(actual!, expected, TOL);
}

describe('pearson vs scipy.stats.pearsonr', () => {
  for (const c of fx.pearson) {
    it(c.name, () => {
      const r = pearson(c.x, c.y);
      expect(r.reason).toBeNull();
      expect(r.n).toBe(c.x.length);
      expect(r.df).toBe(c.x.length - 2);
      close(r.r, c.r);
      close(r.p, c.p);
    });
  }
  it('undefined, with a reason: n < 3, constant inputs', () => {
    expect(pearson([1, 2], [3, 4])).toMatchObject({ r: null, p: null, n: 2, reason: expect.stringMatching(/at least 3 pairs, got 2/) });
    expect(pearson([1, 1, 1], [3, 4, 5])).toMatchObject({ r: null, p: null, reason: expect.stringMatching(/first variable is constant/) });
    expect(pearson([1, 2, 3], [5, 5, 5])).toMatchObject({ r: null, p: null, reason: expect.stringMatching(/second variable is constant/) });
  });
  it('caller mistakes throw', async () => {
    await expectKrsError(() => pearson([1, 2, 3], [1, 2]), 'SHAPE_MISMATCH', /same length/, /3 and 2/);
    await expectKrsError(() => pearson([1, NaN, 3], [1, 2, 3]), 'BAD_VALUE', /pearson x\[1\]/);
  });
  it('inputs are left unchanged', () => {
    const x = [3, 1, 2];
    const y = [1, 2, 4];
    pearson(x, y);
    expect(x).toEqual([3, 1, 2]);
    expect(y).toEqual([1, 2, 4]);
  });
});

describe('pairedTTest vs scipy.stats.ttest_rel', () => {
  for (const c of fx.ttest) {
    it(c.name, () => {
      const r = pairedTTest(c.a, c.b);
      expect(r.reason).toBeNull();
      expect(r.df).toBe(c.df);
      close(r.t, c.t);
      close(r.p, c.p);
    });
  }
  it('undefined, with a reason: n < 2, all differences equal', () => {
    expect(pairedTTest([2], [1])).toMatchObject({ t: null, p: null, df: null, n: 1, meanDifference: 1, reason: expect.stringMatching(/at least 2 pairs/) });
    expect(pairedTTest([2, 3, 4], [1, 2, 3])).toMatchObject({
      t: null,
      p: null,
      df: 2,
      sdDifference: 0,
      reason: expect.stringMatching(/every difference equals 1/),
    });
    expect(pairedTTest([], [])).toMatchObject({ t: null, meanDifference: null });
  });
  it('caller mistakes throw', async () => {
    await expectKrsError(() => pairedTTest([1, 2], [1]), 'SHAPE_MISMATCH');
    await expectKrsError(() => pairedTTest([1, Infinity], [1, 2]), 'BAD_VALUE', /after\[1\]/);
  });
});

describe('meanCi vs scipy.stats.t.interval', () => {
  for (const c of fx.ci) {
    it(c.name, () => {
      const r = meanCi(c.values, c.confidence);
      expect(r.reason).toBeNull();
      close(r.mean, c.mean);
      close(r.sd, c.sd);
      close(r.sem, c.sem);
      close(r.ci![0], c.lo);
      close(r.ci![1], c.hi);
    });
  }
  it('undefined interval, with a reason: n < 2, zero variance; no values', async () => {
    expect(meanCi([5])).toMatchObject({ mean: 5, ci: null, reason: expect.stringMatching(/at least 2 values/) });
    expect(meanCi([5, 5, 5])).toMatchObject({ mean: 5, sd: 0, ci: null, reason: expect.stringMatching(/zero variance/) });
    expect(meanCi([])).toMatchObject({ mean: null, ci: null, reason: 'no values' });
    await expectKrsError(() => meanCi([1, 2], 1.5), 'BAD_OPTION', /confidence/);
  });
});

describe('kendallTau (tau-b) vs scipy.stats.kendalltau, method auto', () => {
  for (const c of fx.kendall) {
    it(`${c.name} (${c.method})`, () => {
      const r = kendallTau(c.x, c.y);
      expect(r.reason).toBeNull();
      expect(r.method).toBe(c.method);
      close(r.tau, c.tau);
      close(r.p, c.p);
    });
  }
  it('symmetric in its arguments', () => {
    const c = fx.kendall.find((k: any) => k.name.startsWith('ties in both, n = 8'));
    const a = kendallTau(c.x, c.y);
    const b = kendallTau(c.y, c.x);
    expect(b.tau).toBeCloseTo(a.tau!, 14);
    expect(b.p).toBeCloseTo(a.p!, 14);
  });
  it('the exact p of large n (scaled recurrence) matches scipy _kendall_p_exact', () => {
    // scipy.stats._mstats_basic._kendall_p_exact(200, 1000) and (180, 7000)
    expectClose(kendallExactP(200, 1000), 3.118125287087747e-145, TOL);
    expectClose(kendallExactP(180, 7000), 0.008943629237772505, TOL);
  });
  it('undefined, with a reason: n < 2, a constant variable', () => {
    expect(kendallTau([1], [2])).toMatchObject({ tau: null, p: null, reason: expect.stringMatching(/at least 2 pairs/) });
    expect(kendallTau([1, 1, 1], [1, 2, 3])).toMatchObject({ tau: null, p: null, reason: expect.stringMatching(/first variable is constant/) });
    expect(kendallTau([1, 2, 3], [4, 4, 4])).toMatchObject({ tau: null, reason: expect.stringMatching(/second variable is constant/) });
  });
  it('method exact refuses ties; asymptotic can be forced', async () => {
    await expectKrsError(() => kendallTau([1, 1, 2], [1, 2, 3], { method: 'exact' }), 'BAD_OPTION', /without ties/);
    expect(kendallTau([1, 2, 3, 4], [1, 3, 2, 4], { method: 'asymptotic' }).method).toBe('asymptotic');
  });
});

describe('fiveNumberSummary vs numpy.percentile (linear)', () => {
  for (const c of fx.summary) {
    it(c.name, () => {
      const s = fiveNumberSummary(c.values)!;
      for (const k of ['min', 'q1', 'median', 'q3', 'max'] as const) close(s[k], c[k]);
    });
  }
  it('null for no values', () => expect(fiveNumberSummary([])).toBeNull());
});
