import { describe, expect, it } from 'vitest';
import { pack, packedCentredNorm2, packedLength, packedMatVec, packedShiftOuter, packedTrace, unpack } from '../../src/linalg/packed.js';
import { typescriptBackend } from '../../src/linalg/typescript-backend.js';
import { matVec, trace } from '../../src/linalg/vector.js';
import { createOrtBackend } from '../../src/runtime/ort-backend.js';

/** A random symmetric p×p matrix, full row-major. */
function symmetric(p: number, seed: number): Float64Array {
  let s = seed;
  const r = () => (s = (s * 16807) % 2147483647) / 2147483647 - 0.5;
  const m = new Float64Array(p * p);
  for (let i = 0; i < p; i++) for (let j = 0; j <= i; j++) m[i * p + j] = m[j * p + i] = r();
  return m;
}

describe('packed symmetric matrices', () => {
  for (const p of [1, 2, 7, 40]) {
    it(`p = ${p}: pack/unpack, trace, M·v, centred norm and shift agree with the full matrix`, () => {
      const full = symmetric(p, 3 + p);
      const packed = pack(full, p);
      expect(packed.length).toBe(packedLength(p));
      expect(Array.from(unpack(packed, p))).toEqual(Array.from(full));
      expect(packedTrace(packed, p)).toBeCloseTo(trace(full, p), 12);
      const v = Float64Array.from({ length: p }, (_, i) => Math.cos(i));
      const mv = packedMatVec(packed, p, v);
      matVec(full, p, p, v).forEach((x, i) => expect(mv[i]).toBeCloseTo(x, 12));
      const n = 9;
      let want = 0;
      for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) want += (full[i * p + j]! - n * v[i]! * v[j]!) ** 2;
      expect(packedCentredNorm2(packed, v, n, p)).toBeCloseTo(want, 9);
      const sums = Float64Array.from({ length: p }, (_, i) => Math.sin(i));
      const out = new Float64Array(packedLength(p));
      packedShiftOuter(out, packed, sums, v, n, p);
      const shifted = unpack(out, p);
      for (let i = 0; i < p; i++)
        for (let j = 0; j < p; j++) {
          expect(shifted[i * p + j]).toBeCloseTo(full[i * p + j]! - sums[i]! * v[j]! - v[i]! * sums[j]! + n * v[i]! * v[j]!, 12);
        }
    });
  }

  it('both backends return (and accumulate into) packed symmetric products', async () => {
    const n = 300;
    const p = 33;
    const data = Float64Array.from({ length: n * p }, (_, i) => Math.sin(i * 0.37) + (i % p) * 0.01);
    const shift = Float64Array.from({ length: p }, (_, j) => j * 0.01);
    const a = { rows: n, cols: p, data, shift };
    const [full] = await typescriptBackend.products([{ op: 'AtB', a, b: a }]);
    const want = pack(full!, p);
    const [ts] = await typescriptBackend.products([{ op: 'AtB', a, b: a, packed: true }]);
    expect(Array.from(ts!)).toEqual(Array.from(want));
    for (const symmetricBlock of [8, false] as const) {
      const ort = await createOrtBackend({ symmetricBlock });
      try {
        const into = new Float64Array(packedLength(p)).fill(1);
        await ort.products([{ op: 'AtB', a, b: a, into, packed: true }]);
        into.forEach((v, i) => expect(Math.abs(v - 1 - want[i]!)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(want[i]!))));
        await expect(ort.products([{ op: 'AtB', a, b: { ...a }, packed: true, into: new Float64Array(3) }])).rejects.toBeTruthy();
      } finally {
        await ort.dispose();
      }
    }
  });
});
