import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { type ErrorCode, KrsError } from '../../src/core/errors.js';
import { type Tensor, tensor } from '../../src/core/tensor.js';

/** Absolute path of a file under test/fixtures. */
export function fixturePath(rel: string): string {
  return fileURLToPath(new URL(`../fixtures/${rel}`, import.meta.url));
}

/** Parse a JSON fixture under test/fixtures. */
export function loadJson<T = any>(rel: string): T {
  return JSON.parse(readFileSync(fixturePath(rel), 'utf8')) as T;
}

/** {shape, data} as written by the fixture scripts → float64 Tensor. */
export function asTensor(a: { shape: number[]; data: number[] }): Tensor {
  return tensor(Float64Array.from(a.data), a.shape);
}

/** Relative closeness: |a − b| ≤ tol · max(|b|, tiny). */
export function expectClose(actual: number, expected: number, tol = 1e-9): void {
  const scale = Math.max(Math.abs(expected), 1e-300);
  const rel = Math.abs(actual - expected) / scale;
  if (!(rel <= tol)) {
    throw new Error(`expected ${actual} to be within ${tol} (relative) of ${expected}; relative error ${rel}`);
  }
}

/** Assert that fn throws a KrsError with the code, and that its message matches every pattern. */
export async function expectKrsError(fn: () => unknown, code: ErrorCode, ...patterns: (string | RegExp)[]): Promise<KrsError> {
  let caught: unknown;
  try {
    await fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected a KrsError ${code}`).toBeInstanceOf(KrsError);
  const err = caught as KrsError;
  expect(err.code).toBe(code);
  expect(err.message).not.toMatch(/\n/);
  for (const p of patterns) expect(err.message).toMatch(p);
  return err;
}
