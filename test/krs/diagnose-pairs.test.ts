/**
 * Diagnostics on pairs of real models that were never distilled from one another
 * (docs/formulas.md §"Diagnostics"): the project's own MNIST models against their MLP teacher,
 * the distilled student as the contrast, and — when ../shared/models holds them — the three
 * public MNIST models. High scores of undistilled pairs must not be read as distillation having
 * worked, hint layers are advised only where FSS is low relative to AOA (and not high itself),
 * and no pair is near its null level. Scored on the 2000 held-out digits with `krs eval --null`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Diagnosis, diagnose } from '../../src/krs/diagnose.js';
import { readScore } from '../../src/report/reading.js';
import { krs } from '../helpers/cli.js';
import { notePublicModels, ownModel, publicModel, publicModelsAvailable } from '../helpers/models.js';

async function evalJson(...args: string[]) {
  const r = await krs('eval', '--input', 'mnist', '--limit', '2000', '--task', 'classification', '--null', '--no-progress', '--json', ...args);
  if (r.status !== 0) throw new Error(`krs eval exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const diagnosisOf = (r: { fss: number; aoa: number; krs: number; reference: Parameters<typeof diagnose>[0]['reference'] }): Diagnosis =>
  diagnose({ fss: r.fss, aoa: r.aoa, krs: r.krs, reference: r.reference });
const codes = (d: Diagnosis) => d.findings.map((f) => f.code);
const NOT_DISTILLATION = /this alone does not show that distillation worked/;

describe('diagnostics of the own MNIST models against mlp-teacher (never distilled, except mlp-student)', () => {
  const teacher = ownModel('mlp-teacher.onnx');
  it.each([
    ['cnn.onnx', []],
    ['one-conv.onnx', []],
    ['mlp-sigmoid.onnx', ['--student-outputs', 'sigmoid']],
    ['mlp-student.onnx', []],
  ] as const)('%s: well-aligned, saying that a high score alone does not show distillation; far above the null level', async (student, extra) => {
    const r = await evalJson('--teacher', teacher, '--student', ownModel(student), ...extra);
    // KRS 80–94 for every pair, distilled or not: the numbers cannot tell them apart.
    expect(r.krs).toBeGreaterThan(80);
    expect(r.reference.null.krs).toBeLessThan(10);
    const d = diagnosisOf(r);
    expect(codes(d)).toEqual(['well-aligned']);
    expect(d.findings[0]!.message).toMatch(NOT_DISTILLATION);
    // The report's reading says the same and advises nothing (one layer pair, top-1 agreement ≥ 90 %).
    const reading = readScore(r);
    expect(reading.diagnostics).toHaveLength(1);
    expect(reading.reading.join(' ')).toMatch(/not a share of the teacher's knowledge/);
    expect(reading.reading.join(' ')).toMatch(/chance alignment\) score KRS \d/);
  });

  describe('with a baseline: what distillation added becomes visible', () => {
    let dir: string;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'krs-diag-'));
      await evalJson('--teacher', teacher, '--student', ownModel('mlp-student.onnx'), '--save-captures', join(dir, 'distilled'), '--pair', 'relu2:relu1');
      await evalJson(
        '--teacher',
        teacher,
        '--student',
        ownModel('mlp-sigmoid.onnx'),
        '--student-outputs',
        'sigmoid',
        '--save-captures',
        join(dir, 'independent'),
        '--pair',
        'relu2:relu1',
      );
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const score = async (student: string, baseline: string) => {
      const r = await krs(
        'score',
        '--task',
        'classification',
        '--teacher',
        join(dir, 'distilled/teacher.npz'),
        '--student',
        join(dir, student, 'student.npz'),
        '--baseline',
        join(dir, baseline, 'student.npz'),
        '--pair',
        'relu2:relu1',
        '--student-outputs',
        'logits',
        '--json',
      );
      expect(r.status).toBe(0);
      return JSON.parse(r.stdout);
    };
    it('the distilled student above an independently trained one: baseline-gain, no caveat', async () => {
      const r = await score('distilled', 'independent');
      expect(r.reference.baseline.delta.krs).toBeGreaterThan(1);
      const d = diagnosisOf(r);
      expect(codes(d)).toEqual(['well-aligned', 'baseline-gain']);
      expect(d.findings[0]!.message).not.toMatch(NOT_DISTILLATION);
    });
    it('the other way round: no gain over the baseline', async () => {
      const d = diagnosisOf(await score('independent', 'distilled'));
      expect(codes(d)).toEqual(['well-aligned', 'no-gain-over-baseline']);
    });
  });
});

describe.skipIf(!publicModelsAvailable)('diagnostics of the three public MNIST models (never distilled from one another)', () => {
  beforeAll(() => notePublicModels());
  const zoo = () => publicModel('zoo-mnist-8.onnx');
  const zuramai = () => publicModel('zuramai-mnist.onnx');
  const michbogos = () => publicModel('michbogos-mnist.onnx');
  it('zoo → zuramai (FSS 56.5, AOA 95.9): feature-supervision, saying independent models look like this too', async () => {
    const r = await evalJson('--teacher', zoo(), '--student', zuramai(), '--preprocess', 'symmetric');
    const d = diagnosisOf(r);
    expect(codes(d)).toEqual(['feature-supervision']);
    expect(d.findings[0]!.message).toMatch(/also what models trained independently on the same task show/);
  }, 120_000);
  it('zoo → michbogos (FSS 61.2 ≥ 60, AOA 92.3): no hint-layer advice at a high FSS; well-aligned with the caveat', async () => {
    const r = await evalJson('--teacher', zoo(), '--student', michbogos(), '--preprocess', 'symmetric', '--student-outputs', 'sigmoid');
    expect(r.fss).toBeGreaterThan(60);
    expect(r.aoa - r.fss).toBeGreaterThan(25);
    const d = diagnosisOf(r);
    expect(codes(d)).toEqual(['well-aligned']);
    expect(d.findings[0]!.message).toMatch(NOT_DISTILLATION);
  }, 120_000);
  it('zuramai → michbogos (FSS 70.3, AOA 84.4): well-aligned with the caveat; far above the null level', async () => {
    const r = await evalJson('--teacher', zuramai(), '--student', michbogos(), '--preprocess', 'symmetric', '--student-outputs', 'sigmoid');
    const d = diagnosisOf(r);
    expect(codes(d)).toEqual(['well-aligned']);
    expect(r.krs - r.reference.null.krs).toBeGreaterThan(50);
  }, 120_000);
});

describe('the rules in isolation', () => {
  it('near-null: a score within 10 points of its null level; none otherwise', () => {
    const nul = { fss: 30, aoa: 10, krs: 16 };
    const d = diagnose({ fss: 35, aoa: 60, krs: 52.5, reference: { null: nul } });
    expect(codes(d)).toContain('near-null');
    expect(d.findings.at(-1)!.message).toMatch(/^FSS 35 \(null 30\): within 10 points/);
    expect(codes(diagnose({ fss: 45, aoa: 60, krs: 55.5, reference: { null: nul } }))).not.toContain('near-null');
  });
  it('feature-supervision needs FSS not high; a gains-known diagnosis has no baseline caveat', () => {
    expect(codes(diagnose({ fss: 61, aoa: 92 }))).toEqual(['well-aligned']);
    expect(codes(diagnose({ fss: 59, aoa: 92 }))).toEqual(['feature-supervision']);
    expect(diagnose({ fss: 70, aoa: 80, deltaKrs: 2 }).findings[0]!.message).not.toMatch(NOT_DISTILLATION);
    expect(diagnose({ fss: 70, aoa: 80, baselineKnown: true }).findings[0]!.message).not.toMatch(NOT_DISTILLATION);
  });
  it('a baseline without an interval and Δ > 0 is not called a gain', () => {
    const baseline = { file: 'b.npz', krs: 80, delta: { krs: 1, ci95: { krs: null }, p: { krs: null } } };
    expect(codes(diagnose({ fss: 70, aoa: 85, krs: 81, reference: { baseline } }))).toEqual(['well-aligned', 'no-gain-over-baseline']);
  });
});
