/**
 * The ONNX Runtime float32 backend against the float64 TypeScript reference, within the
 * float32 error bound stated in ./float32-helpers.ts (γ = (K + 2)·2⁻²⁴ times |A|ᵀ|B|): the
 * agreements of ./float32-contract.ts, its options, and CKA precision on realistic features.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { typescriptBackend } from '../../src/linalg/typescript-backend.js';
import { createOrtBackend, type OrtBackend, transposeToFloat32 } from '../../src/runtime/ort-backend.js';
import { float32BackendContract } from './float32-contract.js';
import { centre, features, linearCka, randomMatrix } from './float32-helpers.js';

describe('createOrtBackend', () => {
  let ort: OrtBackend;
  let blocked: OrtBackend; // small blocks, to exercise the block-column path on small sizes
  beforeAll(async () => {
    ort = await createOrtBackend();
    blocked = await createOrtBackend({ symmetricBlock: 16, intraOpNumThreads: 1 });
  });
  afterAll(async () => {
    await ort.dispose();
    await blocked.dispose();
  });

  it('is named onnxruntime-f32 and uses every core by default', () => {
    expect(ort.name).toBe('onnxruntime-f32');
    expect(ort.threads).toBeGreaterThanOrEqual(1);
    expect(blocked.threads).toBe(1);
  });

  float32BackendContract({
    main: () => ort,
    other: () => blocked,
    labels: ['default blocks', 'blocks of 16, one thread'],
    fresh: (o) => createOrtBackend({ intraOpNumThreads: 1, ...o }),
  });

  it('computes the same products whether its idle threads spin or sleep', async () => {
    const spinning = await createOrtBackend({ intraOpNumThreads: 2, spinning: true });
    try {
      const a = randomMatrix(300, 40, 12);
      const [want] = await ort.products([{ op: 'ABt', a, b: a }]);
      const [got] = await spinning.products([{ op: 'ABt', a, b: a }]);
      expect(got).toEqual(want);
    } finally {
      await spinning.dispose();
    }
  });

  it('validates options', async () => {
    await expect(createOrtBackend({ intraOpNumThreads: 0 })).rejects.toMatchObject({ code: 'BAD_OPTION' });
    await expect(createOrtBackend({ symmetricBlock: 0 })).rejects.toMatchObject({ code: 'BAD_OPTION' });
  });
});

describe('transposeToFloat32', () => {
  it('transposes every shape, including ragged strips and row remainders', () => {
    for (const [n, p] of [
      [1, 5],
      [5, 1],
      [9, 130],
      [17, 257],
    ] as const) {
      const a = randomMatrix(n, p, n * 31 + p);
      const t = transposeToFloat32(a);
      for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) expect(t[j * n + i]).toBe(Math.fround(a.data[i * p + j]!));
    }
  });
});

// ---------------------------------------------------------------------------
// Precision of linear CKA from float32 products on realistic features.
// ---------------------------------------------------------------------------

describe('linear CKA precision (n = 2000, p = 512, q = 256)', () => {
  let ort: OrtBackend;
  beforeAll(async () => {
    ort = await createOrtBackend();
  });
  afterAll(async () => {
    await ort.dispose();
  });

  for (const [weight, offset] of [
    [0.8, 0],
    [0.3, 0],
    [0.8, 1000], // means far larger than the spread: harmless because centring is float64
  ] as const) {
    it(`float32 products keep CKA to float64 accuracy (student weight ${weight}, offset ${offset})`, async () => {
      const { x, y } = features(2000, 512, 256, weight, offset, 17 + weight * 10 + offset);
      const xc = centre(x);
      const yc = centre(y);
      const ref = await linearCka(typescriptBackend, xc, yc);
      const got = await linearCka(ort, xc, yc);
      const names = ['XᵀX', 'YᵀY', 'XᵀY'];
      const report: Record<string, number> = {};
      for (let k = 0; k < 3; k++) {
        const r = ref.products[k]!;
        const o = got.products[k]!;
        let maxAbs = 0;
        let maxErr = 0;
        for (let i = 0; i < r.length; i++) {
          maxAbs = Math.max(maxAbs, Math.abs(r[i]!));
          maxErr = Math.max(maxErr, Math.abs(o[i]! - r[i]!));
        }
        // error of the worst entry relative to the product's largest entry
        report[`${names[k]} max |err| / max |entry|`] = maxErr / maxAbs;
        expect(maxErr / maxAbs).toBeLessThan(1e-5);
      }
      const ckaRel = Math.abs(got.cka - ref.cka) / ref.cka;
      report['CKA (float64)'] = ref.cka;
      report['CKA relative error'] = ckaRel;
      console.log(`weight ${weight}, offset ${offset}:`, report);
      expect(ref.cka).toBeGreaterThan(0.05);
      expect(ckaRel).toBeLessThan(1e-6);
    });
  }
});
