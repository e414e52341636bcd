import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { KrsError } from '../../src/core/errors.js';
import {
  createProjection,
  distilBertLoss,
  type LossTerms,
  type ModelOutputs,
  patientKdLoss,
  pkdSkipPairs,
  tinyBertLoss,
  tinyBertPairs,
} from '../../src/train/nlp/losses.js';
import { initTf, tf } from '../../src/train/tf.js';

// Reference values: test/fixtures/nlp-losses/make_fixtures.py (float64 NumPy, seeded).
const fixture = JSON.parse(readFileSync(new URL('../fixtures/nlp-losses/nlp-losses.json', import.meta.url), 'utf8'));
const { inputs, expected, shapes } = fixture;
type Expected = { total: number; terms: Record<string, number> };

beforeAll(() => initTf());

const outputs = (hidden: number[][][][], attentions: number[][][][][], logits: number[][]): ModelOutputs => ({
  hiddenStates: hidden.map((h) => tf.tensor3d(h)),
  attentions: attentions.map((a) => tf.tensor4d(a)),
  logits: tf.tensor2d(logits),
});
const teacher = () => outputs(inputs.teacherHidden, inputs.teacherAttentions, inputs.teacherLogits);
const student = (wide = false) => outputs(wide ? inputs.studentHiddenWide : inputs.studentHidden, inputs.studentAttentions, inputs.studentLogits);
const mask = () => tf.tensor2d(inputs.mask);
const oneHot = () => tf.tensor2d(inputs.oneHot);
const projection = () => ({ kernel: tf.variable(tf.tensor2d(inputs.kernel)), bias: tf.variable(tf.tensor1d(inputs.bias)) });

function expectTerms(got: LossTerms, want: Expected): void {
  const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-6);
  expect(rel(got.total.dataSync()[0]!, want.total)).toBeLessThan(1e-5);
  expect(Object.keys(got.terms).sort()).toEqual(Object.keys(want.terms).sort());
  for (const [k, v] of Object.entries(want.terms)) expect(rel(got.terms[k]!.dataSync()[0]!, v), k).toBeLessThan(1e-5);
}

describe('layer maps', () => {
  it('PKD-skip pairs student layers 1…M−1 with teacher layers round(j·L/M)', () => {
    expect(pkdSkipPairs(shapes.teacherLayers, shapes.studentLayers)).toEqual(fixture.pairs.pkd);
    expect(pkdSkipPairs(4, 2)).toEqual([[1, 2]]);
    expect(pkdSkipPairs(6, 3)).toEqual([
      [1, 2],
      [2, 4],
    ]);
    expect(pkdSkipPairs(4, 1)).toEqual([]);
  });

  it("TinyBERT's uniform map pairs embeddings with embeddings and the last layers together", () => {
    expect(tinyBertPairs(shapes.teacherLayers, shapes.studentLayers)).toEqual(fixture.pairs.tinybert);
    expect(tinyBertPairs(4, 2)).toEqual([
      [0, 0],
      [1, 2],
      [2, 4],
    ]);
  });

  it('refuses a student deeper than its teacher', () => {
    expect(() => pkdSkipPairs(2, 3)).toThrow(/studentLayers/);
    expect(() => tinyBertPairs(0, 1)).toThrow(KrsError);
  });
});

describe('DistilBERT-style loss (against NumPy)', () => {
  it('soft targets, labels and the cosine loss of the last hidden states, through a projection', () => {
    expectTerms(distilBertLoss(student(), teacher(), oneHot(), mask(), { projection: projection() }), expected.distilbertProjected);
  });

  it('equal widths need no projection', () => {
    expectTerms(distilBertLoss(student(true), teacher(), oneHot(), mask()), expected.distilbertEqualWidths);
  });

  it('temperature and weights are honoured', () => {
    const got = distilBertLoss(student(), teacher(), oneHot(), mask(), {
      projection: projection(),
      temperature: 4,
      softWeight: 0.5,
      hardWeight: 0.5,
      cosineWeight: 0.2,
    });
    expectTerms(got, expected.distilbertT4);
  });

  it('different widths without a projection are a shape error naming the remedy', () => {
    expect(() => distilBertLoss(student(), teacher(), oneHot(), mask())).toThrow(/pass a projection/);
  });

  it('the cosine term is 0 when the student reproduces the teacher', () => {
    const t = teacher();
    const got = distilBertLoss({ ...student(true), hiddenStates: t.hiddenStates }, t, oneHot(), mask());
    expect(Math.abs(got.terms.cos!.dataSync()[0]!)).toBeLessThan(1e-6);
  });
});

describe('Patient KD (skip) loss (against NumPy)', () => {
  it('normalised [CLS] states of the chosen layers, soft targets and labels', () => {
    expectTerms(patientKdLoss(student(), teacher(), oneHot(), { projection: projection() }), expected.pkd);
  });

  it('T, α and β are honoured', () => {
    expectTerms(patientKdLoss(student(), teacher(), oneHot(), { projection: projection(), temperature: 10, alpha: 0.2, beta: 500 }), expected.pkdAlpha);
  });

  it('a one-layer student has no intermediate pairs: L_PT = 0', () => {
    const s = student();
    const one = { ...s, hiddenStates: s.hiddenStates.slice(0, 2), attentions: s.attentions.slice(0, 1) };
    expect(patientKdLoss(one, teacher(), oneHot(), { projection: projection() }).terms.pt!.dataSync()[0]).toBe(0);
  });

  it('a layer index outside the model is an option error', () => {
    expect(() => patientKdLoss(student(), teacher(), oneHot(), { projection: projection(), pairs: [[1, 9]] })).toThrow(/pairs/);
  });
});

describe('TinyBERT-style loss (against NumPy)', () => {
  it('hidden states through the linear map, attention maps and soft logits', () => {
    expectTerms(tinyBertLoss(student(), teacher(), mask(), { projection: projection() }), expected.tinybert);
  });

  it('the prediction temperature is honoured', () => {
    expectTerms(tinyBertLoss(student(), teacher(), mask(), { projection: projection(), temperature: 2 }), expected.tinybertT2);
  });

  it('attention maps with other head counts are a shape error', () => {
    const s = student();
    const fewer = { ...s, attentions: s.attentions.map((a) => tf.slice(a, [0, 0, 0, 0], [-1, 1, -1, -1]) as tf.Tensor4D) };
    expect(() => tinyBertLoss(fewer, teacher(), mask(), { projection: projection() })).toThrow(/heads/);
  });

  it('gradients reach the student and the projection', () => {
    const p = createProjection(shapes.studentWidth, shapes.teacherWidth, 1, 'test');
    const t = teacher();
    const h = tf.variable(tf.tensor3d(inputs.studentHidden[shapes.studentLayers]));
    const { value, grads } = tf.variableGrads(() => {
      const s = student();
      const hiddenStates = [...s.hiddenStates.slice(0, -1), h as unknown as tf.Tensor3D];
      return tinyBertLoss({ ...s, hiddenStates }, t, mask(), { projection: p }).total;
    });
    expect(Number.isFinite(value.dataSync()[0]!)).toBe(true);
    for (const v of [p.kernel, p.bias, h]) expect(tf.norm(grads[v.name]!).dataSync()[0]).toBeGreaterThan(0);
  });
});
