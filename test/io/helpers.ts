/** Shared helpers for the reader tests: fixture paths, expected values, error checks. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'vitest';
import { type ErrorCode, KrsError } from '../../src/core/errors.js';
import type { Tensor } from '../../src/core/tensor.js';

export const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/io');

export function fixture(...parts: string[]): string {
  return path.join(FIXTURES, ...parts);
}

/** An array as expected.json stores it (see make_io_fixtures.py). */
export interface Expected {
  dtype: string;
  shape: number[];
  values: (number | string)[];
  fortran?: boolean;
  version?: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const EXPECTED: any = JSON.parse(fs.readFileSync(fixture('expected.json'), 'utf8'));

/** Assert a tensor holds exactly the expected dtype, shape and values. */
export function expectTensor(t: Tensor, e: Expected): void {
  expect(t.dtype).toBe(e.dtype);
  expect([...t.shape]).toEqual(e.shape);
  expect(t.data.length).toBe(e.values.length);
  const wide = e.dtype === 'int64' || e.dtype === 'uint64';
  if (wide) expect(t.data instanceof BigInt64Array || t.data instanceof BigUint64Array).toBe(true);
  if (e.dtype === 'float16' || e.dtype === 'bfloat16') expect(t.data).toBeInstanceOf(Float32Array);
  if (e.dtype === 'bool') expect(t.data).toBeInstanceOf(Uint8Array);
  const got = Array.from(t.data as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? v.toString() : v));
  const want = e.values.map((v) => (wide ? v : v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v));
  // toEqual treats NaN as equal to NaN and distinguishes -0 from 0 via Object.is.
  for (let i = 0; i < want.length; i++) expect(Object.is(got[i], want[i]) || got[i] === want[i], `element ${i}: ${got[i]} vs ${want[i]}`).toBe(true);
}

/** Rows [start, end) of an expected array. */
export function expectedRows(e: Expected, start: number, end: number): Expected {
  const row = e.shape.slice(1).reduce((a, b) => a * b, 1);
  return { ...e, shape: [end - start, ...e.shape.slice(1)], values: e.values.slice(start * row, end * row) };
}

/** Assert that `fn` throws a KrsError with `code` whose message contains each of `parts`. */
export function expectKrsError(fn: () => unknown, code: ErrorCode, ...parts: string[]): KrsError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a KrsError').toBeInstanceOf(KrsError);
  const k = err as KrsError;
  expect(k.code, k.message).toBe(code);
  expect(k.message).not.toContain('\n');
  for (const p of parts) expect(k.message).toContain(p);
  return k;
}

/** A fresh temporary directory, removed by the returned cleanup function. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'krs-io-'));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Bytes of an .npy file built by hand (version 1.0, little-endian `descr`). */
export function npyBytes(descr: string, shape: readonly number[], data: Uint8Array, fortran = false): Uint8Array {
  const header = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  let padded = header;
  while ((10 + padded.length + 1) % 64 !== 0) padded += ' ';
  padded += '\n';
  const out = new Uint8Array(10 + padded.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, padded.length & 0xff, padded.length >> 8]);
  out.set(new TextEncoder().encode(padded), 10);
  out.set(data, 10 + padded.length);
  return out;
}
