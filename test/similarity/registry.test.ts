/**
 * The similarity registry and its contract: every registered SimilaritySpec is checked here
 * (metadata; declared options; the four Metric properties; validated state restore), so a new
 * similarity — its file and its registry line — is covered without editing this file.
 */
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/core/tensor.js';
import { layerSimilarity, similarityOf } from '../../src/similarity/layer-similarity.js';
import {
  checkSimilarityOptions,
  isSimilarity,
  nestSimilarityOptions,
  resolveSimilarityOptions,
  SIMILARITIES,
  SIMILARITY_OPTIONS,
  similaritySpec,
} from '../../src/similarity/registry.js';
import { expectKrsError } from '../helpers/fixtures.js';

/** Seeded uniform(−1, 1) n×p data plus a shared signal so the layers are related. */
function related(n: number, p: number, q: number, seed: number) {
  let s = seed >>> 0;
  const rand = () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  const z = Array.from({ length: n * 3 }, rand);
  const x = new Float64Array(n * p);
  const y = new Float64Array(n * q);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) x[i * p + j] = z[i * 3 + (j % 3)]! + 0.3 * rand();
    for (let j = 0; j < q; j++) y[i * q + j] = z[i * 3 + ((j + 1) % 3)]! * (1 + j / q) + 0.3 * rand();
  }
  return { x: tensor(x, [n, p]), y: tensor(y, [n, q]) };
}

describe('similarity registry', () => {
  it('lists each similarity once by its spec name, the default (cka) first', () => {
    expect(SIMILARITIES[0]).toBe('cka');
    expect(new Set(SIMILARITIES).size).toBe(SIMILARITIES.length);
    for (const name of SIMILARITIES) expect(similaritySpec(name).name).toBe(name);
  });
  it('an unknown similarity is a usage error naming the option and listing the known ones', async () => {
    const known = new RegExp(SIMILARITIES.join(', '));
    await expectKrsError(() => similaritySpec('no-such-similarity'), 'BAD_OPTION', /similarity "no-such-similarity"/, known);
    await expectKrsError(() => layerSimilarity({ similarity: 'no-such-similarity' as never }), 'BAD_OPTION', /similarity/);
    expect(isSimilarity('__proto__')).toBe(false);
  });
});

describe('similarity options: declared once, checked, defaulted, one object', () => {
  it('every declared option has a unique API name, a flag that is that name in kebab case, and a valid default', () => {
    expect(new Set(SIMILARITY_OPTIONS.map((o) => o.key)).size).toBe(SIMILARITY_OPTIONS.length);
    for (const o of SIMILARITY_OPTIONS) {
      expect(o.flag).toBe(`--${o.key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
      expect(o.valid(o.default)).toBe(true);
      expect(o.help.length).toBeGreaterThan(5);
      expect(isSimilarity(o.similarity)).toBe(true);
    }
  });
  it('each spec gets its own options with its defaults; strangers and bad values are BAD_OPTION naming the option', async () => {
    for (const name of SIMILARITIES) {
      const spec = similaritySpec(name);
      const own = resolveSimilarityOptions(spec, {});
      expect(Object.keys(own).sort()).toEqual(Object.keys(spec.options ?? {}).sort());
      for (const [key, decl] of Object.entries(spec.options ?? {})) expect(own[key]).toBe((decl as { default: number }).default);
    }
    await expectKrsError(() => checkSimilarityOptions({ noSuchOption: 1 }), 'BAD_OPTION', /similarityOptions "noSuchOption"/);
    await expectKrsError(() => checkSimilarityOptions([]), 'BAD_OPTION', /similarityOptions/);
    for (const o of SIMILARITY_OPTIONS) {
      await expectKrsError(() => checkSimilarityOptions({ [o.key]: Number.NaN }), 'BAD_OPTION', new RegExp(o.key));
      await expectKrsError(() => layerSimilarity({ similarity: o.similarity, similarityOptions: { [o.key]: 'x' } as never }), 'BAD_OPTION', new RegExp(o.key));
    }
  });
  it('options given flat, the old way, move into similarityOptions (a nested value wins)', () => {
    for (const o of SIMILARITY_OPTIONS) {
      expect(nestSimilarityOptions({ similarity: o.similarity, [o.key]: 0.5 } as never)).toEqual({
        similarity: o.similarity,
        similarityOptions: { [o.key]: 0.5 },
      });
      expect(nestSimilarityOptions({ [o.key]: 0.5, similarityOptions: { [o.key]: 0.7 } } as never)).toEqual({ similarityOptions: { [o.key]: 0.7 } });
    }
    const plain = { similarity: 'cka' as const };
    expect(nestSimilarityOptions(plain)).toBe(plain);
  });
});

describe.each(SIMILARITIES)('SimilaritySpec contract: %s', (name) => {
  const spec = similaritySpec(name);
  const width = spec.equalWidths ? 6 : 5;
  const data = related(40, 6, width, 7);
  const halves = [
    { teacher: tensor(data.x.data.slice(0, 20 * 6), [20, 6]), student: tensor(data.y.data.slice(0, 20 * width), [20, width]) },
    { teacher: tensor(data.x.data.slice(20 * 6), [20, 6]), student: tensor(data.y.data.slice(20 * width), [20, width]) },
  ];

  it('has metadata: title, description, bounds, estimators', () => {
    expect(spec.name).toBe(name);
    expect(spec.title.length).toBeGreaterThan(0);
    expect(spec.description.length).toBeGreaterThan(20);
    expect(spec.bounds[0]).toBeLessThan(spec.bounds[1]);
    expect(spec.estimators.length).toBeGreaterThan(0);
  });

  it('k batches = one shot, within bounds, naming a declared estimator', async () => {
    const whole = await similarityOf(data.x, data.y, { similarity: name });
    const m = layerSimilarity({ similarity: name });
    const s = m.init();
    for (const b of halves) await m.update(s, b);
    const streamed = await m.compute(s);
    expect(streamed.value).toBeCloseTo(whole.value, 12);
    expect(whole.value).toBeGreaterThanOrEqual(spec.bounds[0]);
    expect(whole.value).toBeLessThanOrEqual(spec.bounds[1]);
    expect(spec.estimators).toContain(whole.estimator);
    expect(whole.similarity).toBe(name);
  });

  it('merged shards = whole, and JSON round trips exactly', async () => {
    const m = layerSimilarity({ similarity: name });
    const [a, b] = [m.init(), m.init()];
    await m.update(a, halves[0]!);
    await m.update(b, halves[1]!);
    const whole = await similarityOf(data.x, data.y, { similarity: name });
    const merged = m.merge(m.fromJSON(JSON.parse(JSON.stringify(m.toJSON(a)))), b);
    expect((await m.compute(merged)).value).toBeCloseTo(whole.value, 12);
    // both inputs untouched by merge
    expect((await m.compute(a)).n).toBe(20);
  });

  it('reset restores (init is empty) and inputs are left unchanged', async () => {
    const before = Float64Array.from(data.x.data as Float64Array);
    const m = layerSimilarity({ similarity: name });
    const s = m.init();
    await m.update(s, { teacher: data.x, student: data.y });
    expect(data.x.data).toEqual(before);
    await expectKrsError(() => m.compute(m.init()), 'UNDEFINED', /no samples/);
  });

  it('a corrupt or foreign state is refused with a one-line error naming the field', async () => {
    const m = layerSimilarity({ similarity: name });
    const s = m.init();
    await m.update(s, halves[0]!);
    const json = JSON.parse(JSON.stringify(m.toJSON(s)));
    await expectKrsError(() => m.fromJSON({ ...json, p: -1 }), 'BAD_VALUE', /p must be an integer/);
    await expectKrsError(() => m.fromJSON({ ...json, state: null }), 'BAD_VALUE', /must be a JSON object/);
    const other = SIMILARITIES.find((n) => n !== name)!;
    await expectKrsError(() => layerSimilarity({ similarity: other }).fromJSON(json), 'BAD_VALUE', new RegExp(`similarity "${name}"`));
  });
});
