/**
 * Property tests over serialised metric states: a KrsMetric state (every similarity, every
 * agreement it carries) with any field replaced, removed or its float64 bytes edited is either
 * refused by fromJSON with a one-line KrsError, or restores a metric whose compute() gives
 * finite FSS, AOA, KRS and layer scores (or a KrsError) — never NaN passed off as a number.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/core/tensor.js';
import { KrsMetric, type KrsMetricOptions } from '../../src/krs/metric.js';
import { krsOrValue, krsOrValueAsync, params } from './helpers.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function rand(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32 - 0.5;
  };
}

const N = 24;
function matrix(rows: number, cols: number, r: () => number): number[][] {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => r()));
}

const CONFIGS: KrsMetricOptions[] = [
  { task: 'classification', pairs: [{ teacher: 'h', student: 'h' }], groups: 5 },
  { task: 'classification', similarity: 'cka-debiased', pairs: [{ teacher: 'h', student: 'h' }] },
  { task: 'classification', similarity: 'cka-rbf', pairs: [{ teacher: 'h', student: 'h' }] },
  { task: 'nlp', similarity: 'cosine', pairs: [{ teacher: 'h', student: 'h' }] },
  { task: 'regression', pairs: [{ teacher: 'h', student: 'h' }] },
] as unknown as KrsMetricOptions[];

/** The JSON state of each configuration after two batches. */
async function states(): Promise<Json[]> {
  const out: Json[] = [];
  for (const [i, options] of CONFIGS.entries()) {
    const r = rand(7 + i);
    const m = new KrsMetric(options);
    for (const [s, e] of [
      [0, 10],
      [10, N],
    ] as const) {
      const n = e - s;
      const width = options.task === 'nlp' ? 4 : 6;
      const h = matrix(n, width, r);
      const sh = h.map((row) => row.map((v) => v + 0.3 * r()));
      const outW = options.task === 'regression' ? 2 : 5;
      const t = matrix(n, outW, r);
      const so = t.map((row) => row.map((v) => v + 0.2 * r()));
      await m.update({
        teacher: { h: tensor(Float64Array.from(h.flat()), [n, width]) },
        student: { h: tensor(Float64Array.from(sh.flat()), [n, width]) },
        teacherOutput: tensor(Float64Array.from(t.flat()), [n, outW]),
        studentOutput: tensor(Float64Array.from(so.flat()), [n, outW]),
      });
    }
    out.push(JSON.parse(JSON.stringify(m.toJSON())) as Json);
  }
  return out;
}

/** Every path into a JSON value (objects' keys, arrays' indices). */
function paths(v: Json, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...prefix, i], out));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...prefix, k], out);
  return out;
}

type Edit = { kind: 'replace'; value: Json } | { kind: 'delete' } | { kind: 'base64'; at: number; char: string } | { kind: 'number'; value: number };

function apply(root: Json, path: (string | number)[], edit: Edit): Json {
  const copy = structuredClone(root) as Json;
  if (path.length === 0) return edit.kind === 'replace' ? edit.value : copy;
  if (copy === null || typeof copy !== 'object') return copy;
  let parent = copy as Record<string | number, Json>;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, Json>;
  const key = path[path.length - 1]!;
  const old = parent[key];
  if (edit.kind === 'replace') parent[key] = edit.value;
  else if (edit.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key];
  } else if (edit.kind === 'number') parent[key] = typeof old === 'number' ? edit.value : old!;
  else if (typeof old === 'string' && old.length > 0) {
    const p = edit.at % old.length;
    parent[key] = old.slice(0, p) + edit.char + old.slice(p + 1);
  }
  return copy;
}

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json> }),
  fc.record({ kind: fc.constant('delete' as const) }),
  fc.record({ kind: fc.constant('base64' as const), at: fc.nat(), char: fc.constantFrom('A', '/', '+', 'z', '0', '=', '!', 'P') }),
  fc.record({ kind: fc.constant('number' as const), value: fc.constantFrom(-1, 0, 1, 0.5, 2 ** 53, 1e308, -1e308, 3, 1e6) }),
);

describe('fuzz: metric states', () => {
  it('fromJSON of an edited state throws a KrsError or restores a metric that computes finite scores', async () => {
    const bases = await states();
    for (const b of bases) expect(krsOrValue(() => KrsMetric.fromJSON(b))).toBeInstanceOf(KrsMetric);
    const all = bases.map((b) => paths(b));
    await fc.assert(
      fc.asyncProperty(fc.nat(bases.length - 1), fc.nat(), fc.array(edit, { minLength: 1, maxLength: 3 }), async (i, at, edits) => {
        let state: Json = bases[i]!;
        for (const [k, e] of edits.entries()) {
          const ps = k === 0 ? all[i]! : paths(state);
          state = apply(state, ps[(at + k * 7919) % ps.length]!, e);
        }
        const m = krsOrValue(() => KrsMetric.fromJSON(state));
        if (!m) return;
        const r = await krsOrValueAsync(() => m.compute());
        if (!r) return;
        for (const v of [r.fss, r.aoa, r.krs, ...r.layers.map((l) => l.score)]) expect(Number.isFinite(v), JSON.stringify(r)).toBe(true);
      }),
      params(150),
    );
  });
});
