/**
 * The NLP study's task metrics: F1 of the spam class and the paired jackknife standard error of
 * its change, against the float64 NumPy reference of test/fixtures/nlp-f1/make_fixtures.py
 * (seeded); the accuracy se of the same pairs against its closed form.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { f1Score, pairedF1Error } from '../../src/train/nlp/metrics.js';
import { pairedAccuracySe } from '../../src/train/protocol/statistics.js';
import { expectKrsError } from '../helpers/fixtures.js';

interface Case {
  n: number;
  groups: number;
  labels: number[];
  before: number[];
  after: number[];
  f1Before: number;
  f1After: number;
  delta: number;
  se: number;
  ci95: [number, number];
  p: number;
  accuracySe: number;
}
const fixtures = JSON.parse(readFileSync(join(__dirname, '../fixtures/nlp-f1/fixtures.json'), 'utf8')) as { cases: Case[] };
const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(b)));

describe('F1 and its paired jackknife (NumPy reference)', () => {
  for (const c of fixtures.cases) {
    it(`n = ${c.n}, ${c.groups} groups`, () => {
      close(f1Score(c.before, c.labels), c.f1Before);
      close(f1Score(c.after, c.labels), c.f1After);
      const e = pairedF1Error(c.before, c.after, c.labels, c.groups);
      close(e.before, c.f1Before);
      close(e.after, c.f1After);
      close(e.delta, c.delta);
      close(e.se!, c.se);
      close(e.ci95![0], c.ci95[0]);
      close(e.ci95![1], c.ci95[1]);
      expect(Math.abs(e.p! - c.p)).toBeLessThan(1e-6);
      expect(e.groups).toBe(c.groups);
      close(pairedAccuracySe(Int32Array.from(c.before), Int32Array.from(c.after), Int32Array.from(c.labels)), c.accuracySe);
    });
  }

  it('identical students: ΔF1 0 with the interval [0, 0]', () => {
    const c = fixtures.cases[1]!;
    const e = pairedF1Error(c.before, c.before, c.labels, 10);
    expect([e.delta, e.se, e.ci95]).toEqual([0, 0, [0, 0]]);
  });

  it('is undefined without positives; the jackknife says which group, never NaN', async () => {
    await expectKrsError(() => f1Score([0, 0], [0, 0]), 'UNDEFINED', /F1.*no e-mail is spam/);
    // The only spam e-mail is in the first of two groups: leaving it out leaves F1 undefined.
    const e = pairedF1Error([1, 0, 0, 0], [1, 0, 1, 0], [1, 0, 0, 0], 2);
    expect(e.se).toBeNull();
    expect(e.reason).toMatch(/F1 is undefined without group 1 of 2/);
  });

  it('refuses mismatched lengths and fewer than 2 groups', async () => {
    await expectKrsError(() => pairedF1Error([1, 0], [1], [1, 0]), 'SHAPE_MISMATCH', /paired F1/);
    await expectKrsError(() => pairedF1Error([1, 0], [1, 0], [1, 0], 1), 'BAD_OPTION', /groups/);
  });
});
