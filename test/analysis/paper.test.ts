/**
 * examples/paper: `krs analyze` reproduces every KRS value the paper publishes for the
 * experiments whose components it publishes (examples/paper/published.json), to the printed
 * precision, and the trade-off and sensitivity behave as the paper says.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { analyzeExperiments, type ExperimentResult } from '../../src/analysis/analyze.js';
import { readExperimentsTable } from '../../src/analysis/node-experiments.js';

const dir = fileURLToPath(new URL('../../examples/paper/', import.meta.url));
const published = JSON.parse(readFileSync(`${dir}published.json`, 'utf8')).values as {
  id: string;
  field: keyof ExperimentResult;
  value: number;
  decimals: number;
  where: string;
}[];
const table = readExperimentsTable(`${dir}experiments.csv`);
const r = analyzeExperiments(table.experiments);
const byId = new Map(r.experiments.map((e) => [e.id, e]));

describe("the paper's published KRS values (examples/paper)", () => {
  it('the table reads without warnings', () => expect(table.warnings).toEqual([]));
  for (const p of published) {
    it(`${p.id} ${String(p.field)} = ${p.value} (${p.where})`, () => {
      const got = byId.get(p.id)![p.field] as number;
      expect(Number(got.toFixed(p.decimals))).toBe(p.value);
      expect(Math.abs(got - p.value)).toBeLessThan(1e-9 + 0.5 * 10 ** -p.decimals);
    });
  }
  it('predicted ΔKRS equals observed ΔKRS exactly where both exist (§4.2.4)', () => {
    for (const e of r.experiments) if (e.tradeoff.residual !== null) expect(Math.abs(e.tradeoff.residual)).toBeLessThan(1e-12);
  });
  it('Table 6: AOA dominates the classification gains, FSS the COCO UET gain', () => {
    expect(byId.get('cifar100-resnet18-skd')!.tradeoff.dominant).toBe('aoa');
    expect(byId.get('coco-uet-exp18')!.tradeoff.dominant).toBe('fss');
    expect(r.experiments.every((e) => !e.tradeoff.conflict)).toBe(true); // "no true conflict cases"
  });
  it('§4.2.6: classification KRS peaks near α = 0, the detection gain at α = 1', () => {
    const s = new Map(r.sensitivity.experiments.map((x) => [x.id, x]));
    expect(s.get('cifar100-resnet18-skd')!.best!.alpha).toBe(0);
    expect(s.get('coco-uet-exp18')!.best!.alpha).toBe(1);
    expect(s.get('cifar100-resnet18-skd')!.presetAlpha).toBe(0.3);
  });
  it('§4.4: high AOA with low FSS (ResNet-18 SKD, DeiT-S) → feature-level supervision', () => {
    const d = new Map(r.diagnostics.experiments.map((x) => [x.id, x.findings.map((f) => f.code)]));
    expect(d.get('cifar100-resnet18-skd')).toEqual(['feature-supervision']);
    expect(d.get('cifar100-deits-vanilla')).toEqual(['feature-supervision']);
  });
  it('statistics the paper’s few published numbers cannot support are undefined, with reasons', () => {
    expect(r.tasks.classification!.pearson.reason).toMatch(/needs at least 3 experiments with post-KD KRS and metric, got 0/);
    expect(r.tasks.regression!.pairedT.reason).toMatch(/got 1/);
    expect(r.methods.kendall.reason).toMatch(/needs at least 2 methods with a metric gain, got 1/);
  });
});
