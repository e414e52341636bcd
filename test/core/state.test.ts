/**
 * The declared-state module (src/core/state.ts): its rules and what it derives — merge is
 * associative and has the empty state as identity (exactly, for the exact rules), JSON round
 * trips bit for bit, mismatches and corrupt fields are one-line KrsErrors naming the measure
 * and the field, tags and versions are checked and older versions upgraded.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  concat,
  declareState,
  declareVariants,
  disjointIds,
  finite,
  first,
  fixed,
  integer,
  knownOnce,
  maxEach,
  minEach,
  nested,
  padSum,
  pooledM2,
  pooledMean,
  rowChunks,
  sameOptions,
  sparseCounts,
  sum,
  sumFloat64,
} from '../../src/core/state.js';
import { expectKrsError } from '../helpers/fixtures.js';

/** A state using every exact rule: integer sums, padded sums, min/max, ids, chunks, counts. */
interface Exact {
  config: { k: number };
  width: number;
  classes: number | null;
  n: number;
  hist: number[];
  lo: number[];
  hi: number[];
  ids: Set<string>;
  rows: Float64Array[];
  counts: { a: number[]; b: number[] };
}

const EXACT = declareState<Exact>({
  measure: 'exact-test',
  version: 2,
  fields: {
    config: sameOptions((c) => c),
    width: fixed(integer(1)),
    classes: knownOnce(integer(1), 'class counts'),
    n: sum(integer()),
    hist: padSum(),
    lo: minEach(),
    hi: maxEach(),
    ids: disjointIds('test id'),
    rows: concat(),
    counts: sparseCounts(['a', 'b'], { maxLabel: 100, entry: 'label, a, b', consistent: ([a, b]) => a! <= b! }),
  },
});

/** A random exact state whose ids are tagged with `tag` (so states of different tags are disjoint). */
const exactState = (tag: string) =>
  fc
    .record({
      classes: fc.option(fc.constant(3), { nil: null }),
      n: fc.nat(1000),
      hist: fc.array(fc.nat(50), { maxLength: 6 }),
      ext: fc.array(fc.integer({ min: -100, max: 100 }), { minLength: 2, maxLength: 2 }),
      ids: fc.uniqueArray(fc.string({ maxLength: 4 }), { maxLength: 4 }),
      rows: fc.array(fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 3 }), { maxLength: 3 }),
      a: fc.array(fc.nat(20), { maxLength: 5 }),
    })
    .map(
      (r): Exact => ({
        config: { k: 1 },
        width: 4,
        classes: r.classes,
        n: r.n,
        hist: r.hist,
        lo: [Math.min(...r.ext)],
        hi: [Math.max(...r.ext)],
        ids: new Set(r.ids.map((id) => `${tag}:${id}`)),
        rows: r.rows.map((x) => Float64Array.from(x)),
        counts: { a: r.a, b: r.a.map((v) => v + 1) },
      }),
    );

const text = (s: unknown) => JSON.stringify(s);
const json = <S>(d: { toJSON(s: S): unknown }, s: S) => text(d.toJSON(s));

describe('declareState: the exact rules', () => {
  it('merge is associative and leaves its inputs untouched', () => {
    fc.assert(
      fc.property(exactState('a'), exactState('b'), exactState('c'), (a, b, c) => {
        const before = [a, b, c].map((s) => json(EXACT, s));
        const left = EXACT.merge(EXACT.merge(a, b), c);
        const right = EXACT.merge(a, EXACT.merge(b, c));
        expect(json(EXACT, left)).toBe(json(EXACT, right));
        expect([a, b, c].map((s) => json(EXACT, s))).toEqual(before);
      }),
    );
  });

  it('an empty state is the identity of merge, on either side', () => {
    fc.assert(
      fc.property(exactState('a'), (a) => {
        const empty = EXACT.init({ config: { k: 1 }, width: 4 });
        expect(json(EXACT, EXACT.merge(empty, a))).toBe(json(EXACT, a));
        expect(json(EXACT, EXACT.merge(a, empty))).toBe(json(EXACT, a));
      }),
    );
  });

  it('JSON round trips bit for bit (through text), and reset gives the empty state', () => {
    fc.assert(
      fc.property(exactState('a'), (a) => {
        const back = EXACT.fromJSON(JSON.parse(json(EXACT, a)));
        expect(json(EXACT, back)).toBe(json(EXACT, a));
        back.rows.forEach((r, i) => expect(Object.is(r[0], a.rows[i]![0]) || r.length === 0).toBe(true));
        expect(json(EXACT, EXACT.reset(a))).toBe(json(EXACT, EXACT.init({ config: { k: 1 }, width: 4 })));
      }),
    );
  });

  it('writes the tag first, then the fields in declaration order', () => {
    const s = EXACT.init({ config: { k: 1 }, width: 4 });
    expect(Object.keys(EXACT.toJSON(s))).toEqual(['measure', 'version', 'config', 'width', 'classes', 'n', 'hist', 'lo', 'hi', 'ids', 'rows', 'counts']);
  });

  it('a copy shares no array with its source', () => {
    const s = EXACT.fromJSON(JSON.parse(text({ ...EXACT.toJSON(EXACT.init({ config: { k: 1 }, width: 4 })), hist: [1, 2], ids: ['x'] })));
    const c = EXACT.copy(s);
    c.hist.push(3);
    c.ids.add('y');
    expect(s.hist).toEqual([1, 2]);
    expect([...s.ids]).toEqual(['x']);
  });
});

describe('declareState: mismatches and corrupt fields', () => {
  const empty = () => EXACT.init({ config: { k: 1 }, width: 4 });

  it('options, fixed fields and sizes that differ refuse to merge, naming what differs', async () => {
    await expectKrsError(
      () => EXACT.merge(empty(), { ...empty(), config: { k: 2 } }),
      'BAD_OPTION',
      'cannot merge exact-test state: it was made with other options: option k differs (1 vs 2)',
    );
    await expectKrsError(() => EXACT.merge(empty(), { ...empty(), width: 5 }), 'BAD_OPTION', 'cannot merge exact-test state: width differs (4 vs 5)');
    await expectKrsError(() => EXACT.merge({ ...empty(), classes: 3 }, { ...empty(), classes: 4 }), 'BAD_OPTION', 'class counts differ (3 vs 4)');
    await expectKrsError(() => EXACT.merge({ ...empty(), ids: new Set(['x']) }, { ...empty(), ids: new Set(['x']) }), 'ID_MISMATCH', 'test id', 'both shards');
    await expectKrsError(() => EXACT.assertSame({ config: { k: 2 } }, empty(), 'update'), 'BAD_OPTION', 'cannot update a exact-test state');
  });

  it('restoring checks the tag, the version and every field, with one-line BAD_VALUEs', async () => {
    const good = EXACT.toJSON(empty());
    await expectKrsError(() => EXACT.fromJSON('x'), 'BAD_VALUE', 'must be a JSON object');
    await expectKrsError(() => EXACT.fromJSON({ ...good, measure: 'other' }), 'BAD_VALUE', 'written by "other"');
    await expectKrsError(() => EXACT.fromJSON({ ...good, version: 3 }), 'BAD_VALUE', 'unsupported version 3 (expected 2)');
    await expectKrsError(() => EXACT.fromJSON({ ...good, n: -1 }), 'BAD_VALUE', 'cannot restore exact-test state: n must be an integer ≥ 0, got -1');
    await expectKrsError(() => EXACT.fromJSON({ ...good, classes: 0 }), 'BAD_VALUE', 'classes must be null or an integer ≥ 1, got 0');
    await expectKrsError(() => EXACT.fromJSON({ ...good, hist: [1, -1] }), 'BAD_VALUE', 'hist must be an array of numbers, each a finite number ≥ 0');
    await expectKrsError(() => EXACT.fromJSON({ ...good, ids: ['a', 'a'] }), 'BAD_VALUE', 'ids holds a repeated id');
    await expectKrsError(
      () => EXACT.fromJSON({ ...good, rows: [{ f64: 'AAAAAAAA8H8=', length: 1 }] }),
      'BAD_VALUE',
      'serialised exact-test state field rows [0]',
    );
    await expectKrsError(() => EXACT.fromJSON({ ...good, counts: [[1, 3, 2]] }), 'BAD_VALUE', 'counts entry [1,3,2] is inconsistent');
    await expectKrsError(() => EXACT.fromJSON({ ...good, counts: [[1, 3]] }), 'BAD_VALUE', 'is not [label, a, b] of integers ≥ 0');
    await expectKrsError(() => EXACT.fromJSON({ ...good, config: { k: 2 } }, { config: { k: 1 } }), 'BAD_VALUE', 'option k differs (1 vs 2)');
    await expectKrsError(() => EXACT.fromJSON({ ...good, width: 5 }, { width: 4 }), 'BAD_VALUE', 'width 5 differs from 4');
  });

  it('an older version is read through the declared upgrades', () => {
    const V3 = declareState<{ n: number; total: number }>({
      measure: 'upgraded',
      version: 3,
      upgrades: { 1: (o) => ({ ...o, count: o.count ?? 0 }), 2: ({ count, ...o }) => ({ ...o, n: count }) },
      fields: { n: sum(integer()), total: sum(finite) },
    });
    expect(V3.fromJSON({ measure: 'upgraded', version: 2, count: 4, total: -1.5 })).toEqual({ n: 4, total: -1.5 });
    expect(V3.fromJSON({ measure: 'upgraded', version: 1, total: 2 })).toEqual({ n: 0, total: 2 });
    expect(V3.toJSON({ n: 1, total: 2 })).toEqual({ measure: 'upgraded', version: 3, n: 1, total: 2 });
  });
});

describe('declareState: align, pooled moments, float64 sums, rows and variants', () => {
  interface Shifted {
    n: number;
    shift: Float64Array;
    sum: Float64Array;
  }
  // Σ(x − c) about a shift c: b is re-expressed about a's shift before the sums add.
  const SHIFTED = declareState<Shifted>({
    measure: 'shifted',
    fields: { n: sum(integer()), shift: first(() => 1), sum: sumFloat64(() => 1) },
    isEmpty: (s) => s.n === 0,
    align: (a, b) => ({ ...b, shift: a.shift, sum: Float64Array.of(b.sum[0]! + b.n * (b.shift[0]! - a.shift[0]!)) }),
  });

  it('align brings b to a frame before the sums add; an empty state keeps the other shift', () => {
    const a = { n: 2, shift: Float64Array.of(1), sum: Float64Array.of(0.5) };
    const b = { n: 3, shift: Float64Array.of(2), sum: Float64Array.of(-1) };
    const m = SHIFTED.merge(a, b);
    expect([m.n, m.shift[0], m.sum[0]]).toEqual([5, 1, 0.5 + (-1 + 3)]);
    expect(SHIFTED.merge(SHIFTED.init(), b).shift[0]).toBe(2);
  });

  it('pooled mean and M2 equal the two-pass values of the concatenated samples', () => {
    const M = declareState<{ n: number; mean: number[]; m2: number[] }>({
      measure: 'moments',
      fields: { n: sum(integer()), mean: pooledMean('n'), m2: pooledM2('n', 'mean') },
    });
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 8 }),
        (xs, ys) => {
          const of = (v: number[]) => {
            const mean = v.reduce((a, b) => a + b, 0) / v.length;
            return { n: v.length, mean: [mean], m2: [v.reduce((a, x) => a + (x - mean) ** 2, 0)] };
          };
          const m = M.merge(of(xs), of(ys));
          const whole = of([...xs, ...ys]);
          expect(m.n).toBe(whole.n);
          expect(m.mean[0]).toBeCloseTo(whole.mean[0]!, 9);
          expect(m.m2[0]).toBeCloseTo(whole.m2[0]!, 6);
        },
      ),
    );
  });

  it('row chunks concatenate in sample order, keep float32, and are stored under float32 and data', () => {
    interface Rows {
      cols: number;
      rows: number;
      chunks: (Float32Array | Float64Array)[];
    }
    const ROWS = declareState<Rows>({ measure: 'rows', fields: { cols: fixed(integer(1)), rows: sum(integer()), chunks: rowChunks('rows', 'cols') } });
    const a = { cols: 2, rows: 1, chunks: [Float32Array.of(1, 2)] };
    const b = { cols: 2, rows: 2, chunks: [Float32Array.of(3, 4, 5, 6.5)] };
    const m = ROWS.merge(a, b);
    const j = JSON.parse(text(ROWS.toJSON(m)));
    expect(Object.keys(j)).toEqual(['cols', 'rows', 'float32', 'data']);
    expect(j.float32).toBe(true);
    const back = ROWS.fromJSON(j);
    expect(back.chunks[0]).toBeInstanceOf(Float32Array);
    expect([...back.chunks[0]!]).toEqual([1, 2, 3, 4, 5, 6.5]);
    expect(() => ROWS.fromJSON({ ...j, rows: 4 })).toThrow(/the stored rows hold 6 values, not rows × cols = 8/);
  });

  it('variants merge by their own rules, drop an empty state of another variant, refuse two full ones', async () => {
    type V = { kind: 'one'; inner: { n: number } } | { kind: 'two'; total: number };
    const INNER = declareState<{ n: number }>({ measure: 'inner', fields: { n: sum(integer()) } });
    const VAR = declareVariants<V, 'kind'>({
      measure: 'variant-test',
      tag: 'kind',
      variants: {
        one: declareState({ measure: 'variant-test', fields: { inner: nested(INNER) } }),
        two: declareState<{ total: number }>({ measure: 'variant-test', fields: { total: sum(finite) } }),
      },
      isEmpty: (s) => (s.kind === 'one' ? s.inner.n === 0 : s.total === 0),
    });
    const one = (n: number): V => ({ kind: 'one', inner: { n } });
    const two = (total: number): V => ({ kind: 'two', total });
    expect(VAR.merge(one(2), one(3))).toEqual(one(5));
    expect(VAR.merge(one(0), two(1.5))).toEqual(two(1.5));
    await expectKrsError(() => VAR.merge(one(1), two(1)), 'BAD_OPTION', 'one state is one, the other two');
    expect(text(VAR.toJSON(one(2)))).toBe('{"kind":"one","inner":{"n":2}}');
    expect(VAR.fromJSON(JSON.parse('{"kind":"two","total":2.5}'))).toEqual(two(2.5));
    await expectKrsError(() => VAR.fromJSON({ kind: 'three' }), 'BAD_VALUE', 'kind must be one of one, two, got "three"');
  });
});
