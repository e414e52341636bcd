/** Shared helpers for the agreement tests: fixtures, tolerances, error checks, Measure properties. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { type ErrorCode, KrsError } from '../../src/core/errors.js';
import type { Measure } from '../../src/core/measure.js';
import { type NumericArray, sliceRows, type Tensor } from '../../src/core/tensor.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'agreement');

/** Parse a fixture written by make_agreement_fixtures.py; "Infinity"/"NaN" strings become numbers. */
export function loadFixture<T = any>(name: string): T {
  const text = readFileSync(join(FIXTURES, name), 'utf8');
  return JSON.parse(text, (_k, v) => (v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v === 'NaN' ? NaN : v)) as T;
}

/** |a − e| ≤ rel·|e| + abs (the float64 paths agree with NumPy to 1e-9 relative). */
export function expectClose(actual: number, expected: number, what = '', rel = 1e-9, abs = 1e-12): void {
  if (!Number.isFinite(expected)) {
    expect(actual, what).toBe(expected);
    return;
  }
  const tol = rel * Math.abs(expected) + abs;
  if (!(Math.abs(actual - expected) <= tol)) {
    expect.fail(`${what}: got ${actual}, expected ${expected} (|diff| ${Math.abs(actual - expected)} > tol ${tol})`);
  }
}

/** Compare every numeric field of `expected` present in `actual` (recursing into plain objects). */
export function expectFieldsClose(actual: Record<string, unknown>, expected: Record<string, unknown>, what: string, rel = 1e-9): void {
  for (const [k, e] of Object.entries(expected)) {
    if (!(k in actual)) continue;
    const a = actual[k];
    if (typeof e === 'number') {
      expect(typeof a, `${what}.${k}`).toBe('number');
      expectClose(a as number, e, `${what}.${k}`, rel);
    } else if (e !== null && typeof e === 'object' && !Array.isArray(e)) {
      expect(Object.keys(a as object).sort(), `${what}.${k} keys`).toEqual(Object.keys(e).sort());
      expectFieldsClose(a as Record<string, unknown>, e as Record<string, unknown>, `${what}.${k}`, rel);
    } else {
      expect(a, `${what}.${k}`).toEqual(e);
    }
  }
}

/** Run `fn`, expect a KrsError with `code` whose message contains every fragment. */
export function expectKrsError(fn: () => unknown, code: ErrorCode, ...fragments: (string | RegExp)[]): KrsError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a KrsError').toBeInstanceOf(KrsError);
  const err = caught as KrsError;
  expect(err.code, err.message).toBe(code);
  expect(err.message).not.toMatch(/\n/);
  for (const f of fragments) {
    if (typeof f === 'string') expect(err.message).toContain(f);
    else expect(err.message).toMatch(f);
  }
  return err;
}

/** A float64 tensor from a flat list. */
export function f64(data: readonly number[], shape: readonly number[]): Tensor {
  return { dtype: 'float64', shape: [...shape], data: Float64Array.from(data) };
}

/** A deep copy of a tensor (data, shape). */
export function copyTensor(t: Tensor): Tensor {
  const Ctor = t.data.constructor as new (src: NumericArray) => NumericArray;
  return { dtype: t.dtype, shape: [...t.shape], data: new Ctor(t.data) };
}

/** Split a tensor along axis 0 at the given cut points. */
export function splitRows(t: Tensor, cuts: readonly number[]): Tensor[] {
  const n = t.shape[0]!;
  const bounds = [0, ...cuts, n];
  const out: Tensor[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) out.push(sliceRows(t, bounds[i]!, bounds[i + 1]!));
  return out;
}

/** Split every tensor field of a batch object at the same cut points. */
export function splitBatch<B extends Record<string, Tensor | undefined>>(batch: B, cuts: readonly number[]): B[] {
  const keys = Object.keys(batch).filter((k) => batch[k] !== undefined);
  const parts = keys.map((k) => splitRows(batch[k]!, cuts));
  return parts[0]!.map((_, i) => Object.fromEntries(keys.map((k, j) => [k, parts[j]![i]])) as B);
}

export interface PropertyCase<S, B, R> {
  measure: Measure<S, B, R>;
  /** All data as one batch. */
  whole: B;
  /** The same data as k consecutive batches. */
  batches: B[];
  /** The same data as shards, each a list of batches (in order). */
  shards: B[][];
  /** A deep copy of a batch's input data, for the inputs-unchanged check. */
  snapshot: (b: B) => unknown;
  /** Compare two results (exactly or to a tolerance). */
  compare: (actual: R, expected: R) => void;
}

/**
 * The four Measure properties (docs/architecture.md §"The Measure contract") plus a JSON round trip:
 * k batches = one shot; merged shards = whole; reset restores; inputs unchanged;
 * toJSON → stringify → parse → fromJSON gives the same compute().
 */
export function checkMeasureProperties<S, B, R>(c: PropertyCase<S, B, R>): void {
  const { measure: m } = c;
  const allInputs = [c.whole, ...c.batches, ...c.shards.flat()];
  const before = allInputs.map(c.snapshot);

  // one shot
  const s1 = m.init();
  m.update(s1, c.whole);
  const oneShot = m.compute(s1);

  // k batches = one shot
  const sk = m.init();
  for (const b of c.batches) m.update(sk, b);
  c.compare(m.compute(sk), oneShot);

  // merged shards = whole; merge leaves its inputs untouched
  const states = c.shards.map((bs) => {
    const s = m.init();
    for (const b of bs) m.update(s, b);
    return s;
  });
  const jsonBefore = states.map((s) => JSON.stringify(m.toJSON(s)));
  const merged = states.reduce((a, b) => m.merge(a, b));
  c.compare(m.compute(merged), oneShot);
  // merge with an empty state is the identity
  c.compare(m.compute(m.merge(m.init(), merged)), oneShot);
  c.compare(m.compute(m.merge(merged, m.init())), oneShot);
  expect(states.map((s) => JSON.stringify(m.toJSON(s)))).toEqual(jsonBefore);

  // reset restores: a fresh init after use equals the initial state and gives the initial result
  const initialJson = JSON.stringify(m.toJSON(m.init()));
  let initialError: unknown;
  try {
    m.compute(m.init());
  } catch (e) {
    initialError = e;
  }
  const fresh = m.init();
  expect(JSON.stringify(m.toJSON(fresh))).toBe(initialJson);
  expect(() => m.compute(fresh)).toThrow(initialError instanceof Error ? initialError.message : undefined);
  expect((initialError as KrsError).code).toBe('UNDEFINED');
  m.update(fresh, c.whole);
  c.compare(m.compute(fresh), oneShot);
  // …and using the earlier states did not leak into it
  expect(JSON.stringify(m.toJSON(m.init()))).toBe(initialJson);

  // compute does not change the state
  const j1 = JSON.stringify(m.toJSON(s1));
  m.compute(s1);
  expect(JSON.stringify(m.toJSON(s1))).toBe(j1);

  // JSON round trip
  const restored = m.fromJSON(JSON.parse(JSON.stringify(m.toJSON(sk))));
  expect(m.compute(restored)).toEqual(m.compute(sk));
  const restoredEmpty = m.fromJSON(JSON.parse(initialJson));
  expect(JSON.stringify(m.toJSON(restoredEmpty))).toBe(initialJson);
  // a restored state keeps accumulating like the original
  const r2 = m.fromJSON(JSON.parse(JSON.stringify(m.toJSON(m.init()))));
  for (const b of c.batches) m.update(r2, b);
  c.compare(m.compute(r2), oneShot);

  // inputs unchanged
  expect(allInputs.map(c.snapshot)).toEqual(before);
}

/** Snapshot of a batch whose fields are tensors. */
export function snapshotTensors(b: Record<string, Tensor | undefined>): unknown {
  return Object.fromEntries(
    Object.entries(b)
      .filter(([, t]) => t !== undefined)
      .map(([k, t]) => [k, { shape: [...t!.shape], dtype: t!.dtype, data: Array.from(t!.data as ArrayLike<number>) }]),
  );
}

/** Compare results field by field to a tight relative tolerance (sums in another order). */
export function closeResults<R>(rel = 1e-12) {
  return (actual: R, expected: R): void => {
    expectFieldsClose(actual as Record<string, unknown>, expected as Record<string, unknown>, 'result', rel);
    expect(Object.keys(actual as object).sort()).toEqual(Object.keys(expected as object).sort());
  };
}
