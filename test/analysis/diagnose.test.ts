import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS, diagnose } from '../../src/krs/diagnose.js';
import { expectKrsError } from '../helpers/fixtures.js';

const codes = (d: ReturnType<typeof diagnose>) => d.findings.map((f) => f.code);

describe('diagnose (the paper §4.4)', () => {
  it('defaults: low < 40, high ≥ 60, gap ≥ 25', () => {
    expect(DEFAULT_THRESHOLDS).toEqual({ low: 40, high: 60, gap: 25 });
  });
  it('high AOA with low FSS: feature-level supervision (ResNet-18 SKD: FSS 39, AOA 83)', () => {
    const d = diagnose({ fss: 39, aoa: 83 });
    expect(d).toMatchObject({ fssLevel: 'low', aoaLevel: 'high' });
    expect(codes(d)).toEqual(['feature-supervision']);
    expect(d.findings[0]!.message).toMatch(/FSS 39, AOA 83/);
    expect(d.findings[0]!.message).toMatch(/hint layers/);
  });
  it('a wide gap without crossing the levels also counts (FSS 45, AOA 72)', () => {
    expect(codes(diagnose({ fss: 45, aoa: 72 }))).toEqual(['feature-supervision']);
    expect(codes(diagnose({ fss: 45, aoa: 68 }))).toEqual(['moderate']);
  });
  it('high FSS with low AOA: temperature / KD loss weight', () => {
    const d = diagnose({ fss: 75, aoa: 30 });
    expect(codes(d)).toEqual(['output-calibration']);
    expect(d.findings[0]!.message).toMatch(/temperature/);
  });
  it('both low: capacity gap; both high: well aligned', () => {
    expect(codes(diagnose({ fss: 20, aoa: 35 }))).toEqual(['capacity-gap']);
    expect(codes(diagnose({ fss: 68, aoa: 70 }))).toEqual(['well-aligned']);
  });
  it('boundaries: low is strict, high is inclusive', () => {
    expect(diagnose({ fss: 40, aoa: 60 })).toMatchObject({ fssLevel: 'medium', aoaLevel: 'high' });
    expect(diagnose({ fss: 39.99, aoa: 59.99 })).toMatchObject({ fssLevel: 'low', aoaLevel: 'medium' });
  });
  it('changes: a falling component and no gain are flagged', () => {
    const d = diagnose({ fss: 50, aoa: 55, deltaFss: -3, deltaAoa: 6, deltaKrs: 2 });
    expect(codes(d)).toEqual(['moderate', 'fss-decreased']);
    expect(d.findings[1]!.message).toMatch(/FSS fell by 3 after distillation while AOA rose by 6/);
    expect(codes(diagnose({ fss: 50, aoa: 55, deltaFss: 1, deltaAoa: -4, deltaKrs: -0.5 }))).toEqual(['moderate', 'aoa-decreased', 'no-gain']);
    // A change that rounds to 0 at the one decimal shown is no fall (never "FSS fell by 0").
    expect(codes(diagnose({ fss: 50, aoa: 55, deltaFss: -0.04, deltaAoa: 6, deltaKrs: 2 }))).toEqual(['moderate']);
    expect(diagnose({ fss: 50, aoa: 55, deltaFss: -0.05, deltaAoa: 6, deltaKrs: 2 }).findings[1]!.message).toMatch(/FSS fell by 0\.1 /);
  });
  it('gains only: no component advice', () => {
    const d = diagnose({ fss: null, aoa: null, deltaFss: 44, deltaAoa: 18, deltaKrs: 36.2 });
    expect(d).toMatchObject({ fssLevel: null, aoaLevel: null });
    expect(codes(d)).toEqual(['components-unknown']);
  });
  it('custom thresholds; bad thresholds throw', async () => {
    expect(codes(diagnose({ fss: 39, aoa: 83 }, { low: 30, gap: 50 }))).toEqual(['moderate']);
    await expectKrsError(() => diagnose({ fss: 1, aoa: 2 }, { low: 70, high: 60 }), 'BAD_OPTION', /low/, /high \(60\)/);
    await expectKrsError(() => diagnose({ fss: 1, aoa: 2 }, { high: 120 }), 'BAD_OPTION', /high/);
    await expectKrsError(() => diagnose({ fss: 1, aoa: 2 }, { gap: 0 }), 'BAD_OPTION', /gap/);
  });
});
