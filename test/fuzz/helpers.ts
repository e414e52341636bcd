/**
 * Shared pieces of the fuzz suite: how many runs (FUZZ_RUNS; `npm run fuzz` raises it), the
 * small limits the readers run under, byte mutations of valid files, and the check that a
 * call either succeeds or throws a one-line KrsError — never another error, never slowly.
 */
import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { expect } from 'vitest';
import { KrsError } from '../../src/core/errors.js';
import { crc32 } from '../../src/io/crc32.js';
import type { Limits } from '../../src/io/limits.js';

/** Runs per property: FUZZ_RUNS, else `fallback` (sized so the suite stays within seconds). */
export function runs(fallback: number): number {
  const n = Number(process.env.FUZZ_RUNS);
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}

/** fast-check parameters: the run count, a fixed seed unless FUZZ_SEED says otherwise. */
export function params(fallback: number): fc.Parameters<unknown> {
  const seed = Number(process.env.FUZZ_SEED);
  return { numRuns: runs(fallback), seed: Number.isSafeInteger(seed) ? seed : 20_260_101, endOnFailure: true };
}

/** Limits far below the defaults, so a mutated size that slips through would show. */
export const SMALL_LIMITS: Limits = {
  maxArrayBytes: 1 << 20,
  maxHeaderBytes: 1 << 16,
  maxImagePixels: 1 << 16,
  maxTextBytes: 1 << 20,
  maxAlphaPoints: 1001,
  maxCsvRows: 100_000,
};

/**
 * Run `fn`; it must return or throw a KrsError with a one-line message. A hang is caught by
 * the test's timeout, not by a wall-clock bound here (tests must pass on a machine at load 20).
 * @returns the result, or undefined when it threw a KrsError
 */
export function krsOrValue<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof KrsError)) throw new Error(`not a KrsError: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    expect(e.message).not.toContain('\n');
    expect(e.message.length).toBeGreaterThan(0);
    return undefined;
  }
}

/** Async {@link krsOrValue}. */
export async function krsOrValueAsync<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    if (!(e instanceof KrsError)) throw new Error(`not a KrsError: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    expect(e.message).not.toContain('\n');
    return undefined;
  }
}

/** One edit of a file: overwrite bytes, truncate, insert, or set a 32-bit field to an extreme. */
export type Mutation =
  | { kind: 'set'; at: number; bytes: number[] }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'u32'; at: number; value: number };

/** Arbitrary edits: 1–4 of them, positions as fractions of the file's length. */
export const mutations: fc.Arbitrary<Mutation[]> = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), bytes: fc.array(fc.nat(255), { minLength: 1, maxLength: 4 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.array(fc.nat(255), { minLength: 1, maxLength: 8 }) }),
    fc.record({
      kind: fc.constant('u32' as const),
      at: fc.nat(),
      value: fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 65535, 1 << 20),
    }),
  ),
  { minLength: 1, maxLength: 4 },
);

/** `base` with the edits applied, in order (positions taken modulo the current length). */
export function mutate(base: Uint8Array, edits: readonly Mutation[]): Uint8Array {
  let b = base.slice();
  for (const m of edits) {
    const at = b.length === 0 ? 0 : m.at % b.length;
    if (m.kind === 'set') m.bytes.forEach((v, i) => at + i < b.length && (b[at + i] = v));
    else if (m.kind === 'truncate') b = b.slice(0, at);
    else if (m.kind === 'insert') b = new Uint8Array([...b.subarray(0, at), ...m.bytes, ...b.subarray(at)]);
    else if (at + 4 <= b.length) new DataView(b.buffer, b.byteOffset).setUint32(at, m.value, (m.at & 1) === 0);
  }
  return b;
}

/** A PNG with correct chunk CRCs: `raw` is the filtered scanline data (filter byte + samples per row). */
export function pngBytes(width: number, height: number, bitDepth: number, colorType: number, raw: Uint8Array, palette?: Uint8Array): Uint8Array {
  const chunk = (type: string, data: Uint8Array) => {
    const out = new Uint8Array(12 + data.length);
    const v = new DataView(out.buffer);
    v.setUint32(0, data.length);
    out.set(new TextEncoder().encode(type), 4);
    out.set(data, 8);
    v.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
    return out;
  };
  const ihdr = new Uint8Array(13);
  const hv = new DataView(ihdr.buffer);
  hv.setUint32(0, width);
  hv.setUint32(4, height);
  ihdr.set([bitDepth, colorType, 0, 0, 0], 8);
  const parts = [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr)];
  if (palette) parts.push(chunk('PLTE', palette));
  parts.push(chunk('IDAT', new Uint8Array(deflateSync(raw))), chunk('IEND', new Uint8Array(0)));
  return new Uint8Array(Buffer.concat(parts));
}
