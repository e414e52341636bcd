/**
 * The ONNX Runtime float32 backend against the float64 TypeScript reference, within the
 * float32 error bound stated in ./float32-helpers.ts (γ = (K + 2)·2⁻²⁴ times |A|ᵀ|B|).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KrsError } from '../../src/core/errors.js';
import type { Matrix, ProductRequest } from '../../src/linalg/backend.js';
import { typescriptBackend } from '../../src/linalg/typescript-backend.js';
import { createOrtBackend, type OrtBackend, transposeToFloat32 } from '../../src/runtime/ort-backend.js';
import { centre, expectWithinBound, features, isSymmetric, linearCka, randomMatrix } from './float32-helpers.js';

const SIZES: [number, number][] = [
  [1, 1],
  [7, 3],
  [33, 65],
  [300, 129],
];

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

  for (const [n, p] of SIZES) {
    describe(`${n}×${p}`, () => {
      const a = randomMatrix(n, p, 1000 * n + p);
      const b = randomMatrix(n, p + 2, 7 + n * p); // AtB partner: n × (p+2)
      const c = randomMatrix(n + 3, p, 11 + n); // ABt partner: (n+3) × p

      it('AtB agrees with the float64 backend', async () => {
        const r: ProductRequest = { op: 'AtB', a, b };
        const [got] = await ort.products([r]);
        await expectWithinBound(r, got!);
      });

      it('ABt agrees with the float64 backend', async () => {
        const r: ProductRequest = { op: 'ABt', a, b: c };
        const [got] = await ort.products([r]);
        await expectWithinBound(r, got!);
      });

      for (const which of ['default', 'blocked'] as const) {
        it(`symmetric AtB and ABt agree and are exactly symmetric (${which} blocks)`, async () => {
          const be = which === 'default' ? ort : blocked;
          const [ata, aat] = await be.products([
            { op: 'AtB', a, b: a },
            { op: 'ABt', a, b: a },
          ]);
          await expectWithinBound({ op: 'AtB', a, b: a }, ata!);
          await expectWithinBound({ op: 'ABt', a, b: a }, aat!);
          expect(isSymmetric(ata!, p)).toBe(true);
          expect(isSymmetric(aat!, n)).toBe(true);
        });
      }
    });
  }

  it('treats separate Matrix objects over the same data as symmetric, and leaves inputs unchanged', async () => {
    const a = randomMatrix(50, 40, 3);
    const before = Float64Array.from(a.data);
    const [got] = await blocked.products([{ op: 'AtB', a, b: { ...a } }]);
    await expectWithinBound({ op: 'AtB', a, b: a }, got!);
    expect(isSymmetric(got!, 40)).toBe(true);
    expect(a.data).toEqual(before);
  });

  it('accepts float32 inputs, mixed precisions and several requests sharing operands', async () => {
    const x = randomMatrix(120, 70, 5);
    const y = randomMatrix(120, 30, 6);
    const x32: Matrix = { rows: x.rows, cols: x.cols, data: Float32Array.from(x.data) };
    const x64: Matrix = { rows: x.rows, cols: x.cols, data: Float64Array.from(x32.data) }; // same values
    const reqs: ProductRequest[] = [
      { op: 'AtB', a: x32, b: x32 },
      { op: 'AtB', a: y, b: y },
      { op: 'AtB', a: x32, b: y },
      { op: 'ABt', a: x32, b: x32 },
      { op: 'ABt', a: x32, b: x64 },
    ];
    const got = await ort.products(reqs);
    expect(got).toHaveLength(5);
    for (let i = 0; i < reqs.length; i++) await expectWithinBound(reqs[i]!, got[i]!);
    expect(x32.data).toEqual(Float32Array.from(x.data));
  });

  it('productsAsComputed returns the float32 products themselves: the values products returns in float64', async () => {
    const x = randomMatrix(300, 40, 31);
    const y = randomMatrix(200, 40, 32);
    const big = randomMatrix(40, 7, 33, 1e30); // needs a range scale: returned as float64, unscaled
    const reqs: ProductRequest[] = [
      { op: 'ABt', a: x, b: x },
      { op: 'ABt', a: x, b: y },
      { op: 'AtB', a: x, b: x },
      { op: 'ABt', a: big, b: big },
    ];
    const asComputed = await ort.productsAsComputed(reqs);
    const copies = asComputed.map((r) => Float64Array.from(r));
    expect(asComputed.map((r) => r.constructor.name)).toEqual(['Float32Array', 'Float32Array', 'Float32Array', 'Float64Array']);
    const plain = await ort.products(reqs);
    for (let i = 0; i < reqs.length; i++) expect(copies[i]).toEqual(plain[i]);
    // Scratch results: the next call may overwrite them (the contract says read them first).
    await expect(ort.productsAsComputed([{ op: 'AtB', a: x, b: x, into: new Float64Array(1600) }])).rejects.toBeInstanceOf(KrsError);
    await expect(ort.productsAsComputed([{ op: 'AtB', a: x, b: x, packed: true }])).rejects.toBeInstanceOf(KrsError);
  });

  it('gives the same answers to concurrent calls (calls are serialised, buffers reused)', async () => {
    const mats = [randomMatrix(200, 64, 21), randomMatrix(150, 96, 22), randomMatrix(90, 33, 23)];
    const calls = mats.map((m) => ort.products([{ op: 'AtB', a: m, b: m }]));
    const results = await Promise.all(calls);
    for (let i = 0; i < mats.length; i++) {
      const [alone] = await ort.products([{ op: 'AtB', a: mats[i]!, b: mats[i]! }]);
      expect(results[i]![0]).toEqual(alone);
    }
  });

  it('handles empty dimensions like the float64 backend', async () => {
    const empty: Matrix = { rows: 0, cols: 4, data: new Float64Array(0) };
    const wide: Matrix = { rows: 0, cols: 3, data: new Float64Array(0) };
    const [ab, aa] = await ort.products([
      { op: 'AtB', a: empty, b: wide },
      { op: 'AtB', a: empty, b: empty },
    ]);
    expect(ab).toEqual(new Float64Array(12));
    expect(aa).toEqual(new Float64Array(16));
    const [g] = await ort.products([{ op: 'ABt', a: empty, b: empty }]);
    expect(g).toEqual(new Float64Array(0));
  });

  it('honours a column shift and accumulates into a given array, like the float64 backend', async () => {
    for (const be of [ort, blocked]) {
      const raw = randomMatrix(70, 33, 5, 40); // means ≈ 40: the shift matters
      const other = randomMatrix(70, 9, 6, -3);
      const shiftA = Float64Array.from({ length: 33 }, (_, j) => 40 + j / 100);
      const shiftB = Float64Array.from({ length: 9 }, () => -3);
      const a: Matrix = { ...raw, shift: shiftA };
      const b: Matrix = { ...other, shift: shiftB };
      const centredA: Matrix = { rows: 70, cols: 33, data: raw.data.map((v, i) => v - shiftA[i % 33]!) };
      const centredB: Matrix = { rows: 70, cols: 9, data: other.data.map((v, i) => v - shiftB[i % 9]!) };
      for (const [req, ref] of [
        [
          { op: 'AtB', a, b: a },
          { op: 'AtB', a: centredA, b: centredA },
        ],
        [
          { op: 'AtB', a, b },
          { op: 'AtB', a: centredA, b: centredB },
        ],
        [
          { op: 'ABt', a, b: a },
          { op: 'ABt', a: centredA, b: centredA },
        ],
      ] as [ProductRequest, ProductRequest][]) {
        const [got] = await be.products([req]);
        await expectWithinBound(ref, got!);
        const [viaTs] = await typescriptBackend.products([req]);
        const [want] = await typescriptBackend.products([ref]);
        expect(Array.from(viaTs!)).toEqual(Array.from(want!));
        // into: accumulate twice onto a symmetric/any start and compare with 2·product + start
        const start = new Float64Array(got!.length).map((_, i) => (req.a === req.b ? 0 : i * 0.5));
        if (req.a === req.b) for (let i = 0; i < start.length; i++) start[i] = 1;
        const into = Float64Array.from(start);
        const [ret] = await be.products([{ ...req, into }]);
        expect(ret).toBe(into);
        await be.products([{ ...req, into }]);
        for (let i = 0; i < into.length; i++) expect(Math.abs(into[i]! - start[i]! - 2 * got![i]!)).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(got![i]!)));
      }
    }
  });

  it('rejects mismatched shapes with SHAPE_MISMATCH', async () => {
    const a = randomMatrix(5, 3, 1);
    const b = randomMatrix(6, 3, 2);
    await expect(ort.products([{ op: 'AtB', a, b }])).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    await expect(ort.products([{ op: 'ABt', a, b: randomMatrix(5, 4, 3) }])).rejects.toBeInstanceOf(KrsError);
    // and keeps working afterwards
    const [ok] = await ort.products([{ op: 'AtB', a, b: a }]);
    expect(ok).toHaveLength(9);
  });

  it('lends a buffer given back to the next borrower of that size or less, and a fresh one while it is out', async () => {
    const be = await createOrtBackend({ intraOpNumThreads: 1 });
    try {
      const first = be.lendBuffer(1000);
      const meanwhile = be.lendBuffer(1000);
      expect(first).toHaveLength(1000);
      expect(meanwhile.buffer).not.toBe(first.buffer); // both out at once: distinct memory
      be.giveBackBuffer(first);
      be.giveBackBuffer(new Float32Array(1000)); // not lent: ignored
      const again = be.lendBuffer(600);
      expect(again).toHaveLength(600);
      expect(again.buffer).toBe(first.buffer); // the kept buffer, as a view of the length asked for
      expect(be.lendBuffer(600).buffer).not.toBe(first.buffer); // out again: not lent twice
    } finally {
      await be.dispose();
    }
    const fresh = await createOrtBackend({ intraOpNumThreads: 1, reuseBuffers: false });
    try {
      const a = fresh.lendBuffer(100);
      fresh.giveBackBuffer(a);
      expect(fresh.lendBuffer(100).buffer).not.toBe(a.buffer); // reuseBuffers: false keeps nothing
    } finally {
      await fresh.dispose();
    }
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

  it('validates options and refuses work after dispose', async () => {
    await expect(createOrtBackend({ intraOpNumThreads: 0 })).rejects.toMatchObject({ code: 'BAD_OPTION' });
    await expect(createOrtBackend({ symmetricBlock: 0 })).rejects.toMatchObject({ code: 'BAD_OPTION' });
    const be = await createOrtBackend({ intraOpNumThreads: 1, reuseBuffers: false });
    const a = randomMatrix(10, 4, 9);
    const [got] = await be.products([{ op: 'AtB', a, b: a }]);
    await expectWithinBound({ op: 'AtB', a, b: a }, got!);
    await be.dispose();
    await be.dispose(); // idempotent
    await expect(be.products([{ op: 'AtB', a, b: a }])).rejects.toMatchObject({ code: 'BAD_OPTION' });
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
