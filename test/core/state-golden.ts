/**
 * The measure states whose JSON text is pinned in test/fixtures/states/states-v1.json: every
 * agreement and similarity state (empty, after batches, merged), made from seeded data by the
 * public measures. test/core/state-golden.test.ts checks that today's code writes the same text
 * and restores the pinned text to the same state; test/fixtures/states/make_states.ts writes
 * the file (it was written by the hand-written serialisers that the declared states replaced).
 */

import { klAgreementMeasure } from '../../src/agreement/classification.js';
import { type DetectionImage, detectionAgreementMeasure } from '../../src/agreement/detection.js';
import { regressionAgreementMeasure } from '../../src/agreement/regression.js';
import { segmentationAgreementMeasure } from '../../src/agreement/segmentation.js';
import type { Measure } from '../../src/core/measure.js';
import { tensor } from '../../src/core/tensor.js';
import { KrsMetric } from '../../src/krs/metric.js';
import { type LayerSimilarityOptions, layerSimilarity } from '../../src/similarity/layer-similarity.js';

/** A seeded uniform(−0.5, 0.5) stream (LCG), so the states are the same bits on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

function values(n: number, r: () => number, scale = 1, offset = 0): Float64Array {
  return Float64Array.from({ length: n }, () => offset + scale * r());
}

/** One pinned state: a name, how to make the measure again, and its JSON text. */
export interface GoldenCase {
  readonly name: string;
  /** The measure the state belongs to (restores and re-serialises it). */
  readonly measure: () => Measure<unknown, unknown, unknown>;
  /** The state, made by updates and merges. */
  readonly make: () => Promise<unknown>;
}

async function fold<S, B>(m: Measure<S, B, unknown>, batches: readonly B[]): Promise<S> {
  const s = m.init();
  for (const b of batches) await m.update(s, b);
  return s;
}

function klBatches(seed: number, shape: number[], probs = false) {
  const r = rng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  const C = shape[shape.length - 1]!;
  const make = (zero: boolean) => {
    const v = values(size, r, 4);
    if (!probs) return v;
    for (let o = 0; o < size; o += C) {
      let s = 0;
      for (let c = 0; c < C; c++) s += v[o + c] = o === 0 && c === C - 1 && zero ? 0 : Math.exp(v[o + c]!);
      for (let c = 0; c < C; c++) v[o + c] = v[o + c]! / s;
    }
    return v;
  };
  // The student's first row gives probability 0 to a class: an infinite KL.
  return [0, 1].map(() => ({ teacher: tensor(make(false), shape), student: tensor(make(true), shape) }));
}

function regressionBatches(seed: number, n: number, d: number) {
  const r = rng(seed);
  return [0, 1].map(() => ({ teacher: tensor(values(n * d, r, 3, 100), [n, d]), student: tensor(values(n * d, r, 3, 100), [n, d]) }));
}

function segmentationBatches(seed: number) {
  const r = rng(seed);
  const labels = (n: number) => Uint8Array.from({ length: n }, () => (r() > 0.4 ? 255 : Math.floor((r() + 0.5) * 4) * 2));
  return [0, 1].map(() => ({ teacher: tensor(labels(2 * 4 * 5), [2, 4, 5]), student: tensor(labels(2 * 4 * 5), [2, 4, 5]) }));
}

function detectionBatches(seed: number): DetectionImage[][] {
  const r = rng(seed);
  const box = (): [number, number, number, number] => [10 + 5 * r(), 10 + 5 * r(), 8 + r(), 8 + r()];
  const dets = (id: string, k: number) => Array.from({ length: k }, (_, i) => ({ imageId: id, categoryId: i % 2, bbox: box(), score: 0.5 + r() }));
  return [0, 1].map((b) =>
    Array.from({ length: 3 }, (_, i) => ({ imageId: `im${b}-${i}`, teacher: dets(`im${b}-${i}`, i + 1), student: dets(`im${b}-${i}`, 2) })),
  );
}

function layerBatches(seed: number, n: number, p: number, q: number, float32 = false) {
  const r = rng(seed);
  const arr = (k: number) => (float32 ? Float32Array.from(values(k, r, 2, 1)) : values(k, r, 2, 1));
  return [0, 1].map(() => ({ teacher: tensor(arr(n * p), [n, p]), student: tensor(arr(n * q), [n, q]) }));
}

/** The three states of a measure over two batches: empty, the first batch, both merged. */
function cases<S, B>(name: string, measure: () => Measure<S, B, unknown>, batches: () => readonly B[]): GoldenCase[] {
  const m = measure as () => Measure<unknown, unknown, unknown>;
  return [
    { name: `${name}/empty`, measure: m, make: async () => measure().init() },
    { name: `${name}/one-batch`, measure: m, make: async () => fold(measure(), batches().slice(0, 1)) },
    {
      name: `${name}/merged`,
      measure: m,
      make: async () => {
        const mm = measure();
        const [a, b] = batches();
        return mm.merge(await fold(mm, [a!]), await fold(mm, [b!]));
      },
    },
    {
      name: `${name}/empty-merged`,
      measure: m,
      make: async () => {
        const mm = measure();
        return mm.merge(mm.init(), await fold(mm, batches().slice(1, 2)));
      },
    },
  ];
}

const layer = (options: LayerSimilarityOptions) => () => layerSimilarity({ teacherName: 't', studentName: 's', ...options });

/** Every pinned case. */
export function goldenCases(): GoldenCase[] {
  return [
    ...cases(
      'aoa-kl',
      () => klAgreementMeasure(),
      () => klBatches(1, [6, 5]),
    ),
    ...cases(
      'aoa-kl/tokens',
      () => klAgreementMeasure({ temperature: 2 }),
      () => klBatches(2, [3, 4, 3]),
    ),
    ...cases(
      'aoa-kl/probs',
      () => klAgreementMeasure({ teacherInputs: 'probs', studentInputs: 'probs' }),
      () => klBatches(3, [5, 4], true),
    ),
    ...cases(
      'aoa-regression',
      () => regressionAgreementMeasure(),
      () => regressionBatches(4, 7, 3),
    ),
    ...cases(
      'aoa-regression/mse-max',
      () => regressionAgreementMeasure({ mseMax: 2.5 }),
      () => regressionBatches(5, 4, 1),
    ),
    ...cases(
      'aoa-segmentation',
      () => segmentationAgreementMeasure(),
      () => segmentationBatches(6),
    ),
    ...cases(
      'aoa-segmentation/no-ignore',
      () => segmentationAgreementMeasure({ ignoreLabel: null }),
      () => segmentationBatches(7),
    ),
    ...cases(
      'aoa-detection',
      () => detectionAgreementMeasure({ scoreMin: 0.3 }),
      () => detectionBatches(8),
    ),
    ...cases('cka/feature-space', layer({ similarity: 'cka', exactRoute: 'feature-space' }), () => layerBatches(9, 8, 4, 3)),
    ...cases('cka/sample-space', layer({ similarity: 'cka', exactRoute: 'sample-space' }), () => layerBatches(10, 8, 4, 3)),
    ...cases('cka/sample-space-f32', layer({ similarity: 'cka', exactRoute: 'sample-space' }), () => layerBatches(11, 8, 4, 3, true)),
    ...cases('cka/minibatch', layer({ similarity: 'cka', estimator: 'minibatch' }), () => layerBatches(12, 8, 4, 3)),
    ...cases('cka-debiased', layer({ similarity: 'cka-debiased', exactRoute: 'feature-space' }), () => layerBatches(13, 8, 4, 3)),
    ...cases('cka-rbf', layer({ similarity: 'cka-rbf' }), () => layerBatches(14, 6, 4, 3)),
    ...cases('cosine', layer({ similarity: 'cosine' }), () => layerBatches(15, 6, 4, 4)),
    {
      name: 'krs-metric/classification',
      measure: () => {
        throw new Error('a KrsMetric is restored by KrsMetric.fromJSON');
      },
      make: async () => {
        const m = new KrsMetric({ task: 'classification', pairs: [{ teacher: 'h', student: 'h' }], intervals: { groups: 4 } });
        for (const b of layerBatches(16, 10, 5, 5)) {
          const out = klBatches(17, [10, 3])[0]!;
          await m.update({ teacher: { h: b.teacher }, student: { h: b.student }, teacherOutput: out.teacher, studentOutput: out.student });
        }
        return m;
      },
    },
  ];
}

/** The JSON text of a case's state. */
export async function goldenText(c: GoldenCase): Promise<string> {
  const state = await c.make();
  if (state instanceof KrsMetric) return JSON.stringify(state.toJSON());
  return JSON.stringify(c.measure().toJSON(state));
}
