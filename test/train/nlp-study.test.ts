/**
 * The NLP study on the shared protocol: a tiny run twice (deterministic per seed), every KD
 * student paired with its size's baseline, FSS from the last hidden states mean-pooled with the
 * attention mask (equal to the heatmap's last-layer cell, which is pooled inside the encoder),
 * AOA from the softmax outputs, α = 0.5, F1 with its paired jackknife.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readExperimentsTable } from '../../src/analysis/node-experiments.js';
import { studyHooks } from '../../src/train/hooks.js';
import { type NlpStudyResult, runNlpStudy } from '../../src/train/nlp-study.js';
import { NLP_STUDY_QUICK, nlpStudyConfig } from '../../src/train/nlp-study-config.js';
import { prepareStudy } from '../../src/train/study-families.js';
import { expectKrsError } from '../helpers/fixtures.js';

const outDir = () => join(mkdtempSync(join(tmpdir(), 'krs-nlp-study-')), 'out');
const numbers = (r: NlpStudyResult) => JSON.parse(JSON.stringify(r, (k, v) => (['seconds', 'files', 'source'].includes(k) ? undefined : v)));

describe('nlpStudyConfig', () => {
  it('has ≥ 12 post-KD experiments by default: 4 sizes × (DistilBERT, Patient KD, TinyBERT), 64 tokens, α = 0.5', () => {
    const c = nlpStudyConfig();
    expect(c.students.length * (c.methods.length - 1)).toBeGreaterThanOrEqual(12);
    expect([c.maxLength, c.alpha, c.methods[0]]).toEqual([64, 0.5, 'baseline']);
    expect(new Set(c.students.map((s) => `${s.layers}-${s.width}`)).size).toBe(c.students.length);
    for (const s of c.students) expect(s.layers < c.teacher.layers || s.width < c.teacher.width).toBe(true);
  });
  it('refuses bad settings and the classification flags, naming them', async () => {
    await expectKrsError(() => nlpStudyConfig({ testSize: 10 }), 'BAD_OPTION', /testSize/);
    await expectKrsError(() => nlpStudyConfig({ maxLength: 200 }), 'BAD_OPTION', /maxLength/);
    await expectKrsError(() => nlpStudyConfig({ methods: ['distilbert'] }), 'BAD_OPTION', /methods/);
    await expectKrsError(() => nlpStudyConfig({ alpha: 2 }), 'BAD_WEIGHT', /alpha/);
    await expectKrsError(() => prepareStudy('nlp', { temperatures: [2] }, [1]), 'BAD_OPTION', /--temperatures.*--family nlp/);
  });
});

describe('runNlpStudy (tiny)', () => {
  const tiny = () => nlpStudyConfig({ quick: true, trainSize: 200, testSize: 80, students: [NLP_STUDY_QUICK.students![1]!], intervalGroups: 5 });
  let a: NlpStudyResult;
  let b: NlpStudyResult;
  beforeAll(async () => {
    a = await runNlpStudy(tiny(), { out: outDir(), hooks: studyHooks() });
    b = await runNlpStudy(tiny(), { out: outDir() });
  }, 900_000);

  it('pairs DistilBERT, Patient KD and TinyBERT with the baseline of their size; KRS = 0.5 FSS + 0.5 AOA', () => {
    expect([a.family, a.task, a.alpha]).toEqual(['transformer', 'nlp', 0.5]);
    expect(a.students.map((s) => s.method)).toEqual(['baseline', 'distilbert', 'pkd', 'tinybert']);
    expect(a.experiments.map((e) => e.id)).toEqual(['l2-w16-distilbert', 'l2-w16-pkd', 'l2-w16-tinybert']);
    const base = a.students[0]!;
    for (const e of a.experiments) {
      const post = a.students.find((s) => s.method === e.method)!;
      expect([e.krsPre, e.metricPre, e.krsPost, e.metricPost]).toEqual([base.krs, base.metric, post.krs, post.metric]);
    }
    for (const s of a.students) {
      expect(s.krs).toBeCloseTo(0.5 * s.fss + 0.5 * s.aoa, 10);
      for (const v of [s.fss, s.aoa, s.krs]) expect(v >= 0 && v <= 100).toBe(true);
    }
    expect([a.data.train, a.data.test]).toEqual([200, 80]);
  });

  it('FSS is linear CKA of the mask-pooled last hidden states: the heatmap cell of the last layers', () => {
    for (const [k, h] of a.heatmaps.entries()) {
      expect(h.teacherLayers).toEqual(['hidden_states.0', 'hidden_states.1', 'hidden_states.2']);
      expect(h.studentLayers).toEqual(['hidden_states.0', 'hidden_states.1', 'hidden_states.2']);
      expect(100 * h.cka.at(-1)!.at(-1)!).toBeCloseTo(a.students[k]!.fss, 3);
    }
  });

  it('writes F1 with the paired jackknife beside accuracy, the tables and the report', () => {
    expect(a.f1!.experiments.map((e) => e.id)).toEqual(a.experiments.map((e) => e.id));
    for (const e of a.f1!.experiments) {
      expect(e.deltaF1).toBeCloseTo(e.f1Post - e.f1Pre, 10);
      if (e.deltaF1Se !== null && e.deltaF1Se > 0) expect(e.ci95![0]).toBeLessThan(e.deltaF1);
    }
    const csv = readFileSync(join(a.files.out, 'f1.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('id,arch,method,f1_pre,f1_post,delta_f1,delta_f1_se,delta_f1_lo,delta_f1_hi');
    expect(csv.length).toBe(4);
    expect(JSON.parse(readFileSync(a.files.results, 'utf8')).f1.experiments.length).toBe(3);
    expect(readExperimentsTable(a.files.experimentsCsv).experiments.length).toBe(3);
    for (const f of [a.files.report!, join(a.files.out, 'heatmaps', 'cross-layer-l2-w16.svg')]) expect(existsSync(f), f).toBe(true);
  });

  it('is deterministic per seed', () => {
    expect(numbers(b)).toEqual({ ...numbers(a), analysis: null });
  });
});
