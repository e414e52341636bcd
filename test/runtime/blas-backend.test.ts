/**
 * The OpenBLAS float32 backend (optional native addon) against the float64 TypeScript
 * reference, within the float32 error bound of ./float32-helpers.ts — the agreements
 * ort-backend.test.ts checks for ONNX Runtime — and a Gram pass giving the ONNX Runtime
 * backend's CKA. Skipped, with a printed reason, when native/krs_blas.node is not built
 * (`npm run build:native`).
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KrsError } from '../../src/core/errors.js';
import { tensor } from '../../src/core/tensor.js';
import type { Matrix, ProductRequest } from '../../src/linalg/backend.js';
import { type GramSums, gramPass, hsicFromSums, type RowSource } from '../../src/linalg/gram-pass.js';
import { typescriptBackend } from '../../src/linalg/typescript-backend.js';
import { BLAS_ADDON_PATH, type BlasBackend, createBlasBackend } from '../../src/runtime/blas-backend.js';
import { createOrtBackend } from '../../src/runtime/ort-backend.js';
import { similarityOf } from '../../src/similarity/layer-similarity.js';
import { centre, expectWithinBound, features, isSymmetric, linearCka, randomMatrix } from './float32-helpers.js';

const built = existsSync(BLAS_ADDON_PATH);
if (!built) console.log(`blas-backend tests skipped: ${BLAS_ADDON_PATH} is not built (npm run build:native; needs gcc and libopenblas-dev)`);

const SIZES: [number, number][] = [
  [1, 1],
  [7, 3],
  [33, 65],
  [300, 129],
];

describe('createBlasBackend without the addon', () => {
  it('throws one line naming the missing file and the command that builds it', async () => {
    const e = await createBlasBackend({ addonPath: '/nonexistent/krs_blas.node' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(KrsError);
    expect((e as KrsError).code).toBe('BAD_OPTION');
    expect((e as KrsError).message).toMatch(/not built: \/nonexistent\/krs_blas\.node is missing \(run npm run build:native/);
    expect((e as KrsError).message).not.toContain('\n');
  });
});

describe.skipIf(!built)('createBlasBackend', () => {
  let blas: BlasBackend;
  let blocks: BlasBackend; // block columns of sgemm instead of ssyrk, small blocks, one thread
  beforeAll(async () => {
    blas = await createBlasBackend();
    blocks = await createBlasBackend({ symmetric: 'blocks', symmetricBlock: 16, threads: 1 });
  });
  afterAll(async () => {
    await blas.dispose();
    await blocks.dispose();
  });

  it('is named openblas-f32, uses every core by default and reports its kernel', () => {
    expect(blas.name).toBe('openblas-f32');
    expect(blas.threads).toBeGreaterThanOrEqual(1);
    expect(blocks.threads).toBe(1);
    expect(blas.core.length).toBeGreaterThan(0);
    expect(blas.config).toMatch(/OpenBLAS/);
  });

  for (const [n, p] of SIZES) {
    describe(`${n}×${p}`, () => {
      const a = randomMatrix(n, p, 1000 * n + p);
      const b = randomMatrix(n, p + 2, 7 + n * p); // AtB partner: n × (p+2)
      const c = randomMatrix(n + 3, p, 11 + n); // ABt partner: (n+3) × p

      it('AtB agrees with the float64 backend', async () => {
        const r: ProductRequest = { op: 'AtB', a, b };
        const [got] = await blas.products([r]);
        await expectWithinBound(r, got!);
      });

      it('ABt agrees with the float64 backend', async () => {
        const r: ProductRequest = { op: 'ABt', a, b: c };
        const [got] = await blas.products([r]);
        await expectWithinBound(r, got!);
      });

      for (const which of ['syrk', 'blocks'] as const) {
        it(`symmetric AtB and ABt agree and are exactly symmetric (${which})`, async () => {
          const be = which === 'syrk' ? blas : blocks;
          const [ata, aat] = await be.products([
            { op: 'AtB', a, b: a },
            { op: 'ABt', a, b: a },
          ]);
          await expectWithinBound({ op: 'AtB', a, b: a }, ata!);
          await expectWithinBound({ op: 'ABt', a, b: a }, aat!);
          expect(isSymmetric(ata!, p)).toBe(true);
          expect(isSymmetric(aat!, n)).toBe(true);
        });

        it(`packed symmetric products are the lower triangle of the full ones (${which})`, async () => {
          const be = which === 'syrk' ? blas : blocks;
          const [full, packed] = await be.products([
            { op: 'ABt', a, b: a },
            { op: 'ABt', a, b: a, packed: true },
          ]);
          expect(packed).toHaveLength((n * (n + 1)) / 2);
          let differing = 0;
          for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) if (packed![(i * (i + 1)) / 2 + j] !== full![i * n + j]) differing++;
          expect(differing).toBe(0);
          const into = Float64Array.from(packed!);
          const [again] = await be.products([{ op: 'ABt', a, b: a, packed: true, into }]);
          expect(again).toBe(into);
          expect(into.every((v, i) => v === 2 * packed![i]!)).toBe(true);
        });
      }
    });
  }

  it('accepts float32 inputs, mixed precisions and several requests sharing operands; leaves inputs unchanged', async () => {
    const x = randomMatrix(120, 70, 5);
    const y = randomMatrix(120, 30, 6);
    const x32: Matrix = { rows: x.rows, cols: x.cols, data: Float32Array.from(x.data) };
    const x64: Matrix = { rows: x.rows, cols: x.cols, data: Float64Array.from(x32.data) };
    const reqs: ProductRequest[] = [
      { op: 'AtB', a: x32, b: x32 },
      { op: 'AtB', a: y, b: y },
      { op: 'AtB', a: x32, b: y },
      { op: 'ABt', a: x32, b: x32 },
      { op: 'ABt', a: x32, b: x64 },
      { op: 'AtB', a: x, b: { ...x } }, // separate objects over the same data: symmetric
    ];
    const got = await blas.products(reqs);
    for (let i = 0; i < reqs.length; i++) await expectWithinBound(reqs[i]!, got[i]!);
    expect(isSymmetric(got[5]!, 70)).toBe(true);
    expect(x32.data).toEqual(Float32Array.from(x.data));
    expect(y.data).toEqual(randomMatrix(120, 30, 6).data);
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
    const asComputed = await blas.productsAsComputed(reqs);
    const copies = asComputed.map((r) => Float64Array.from(r));
    expect(asComputed.map((r) => r.constructor.name)).toEqual(['Float32Array', 'Float32Array', 'Float32Array', 'Float64Array']);
    const plain = await blas.products(reqs);
    for (let i = 0; i < reqs.length; i++) expect(copies[i]).toEqual(plain[i]);
    await expect(blas.productsAsComputed([{ op: 'AtB', a: x, b: x, into: new Float64Array(1600) }])).rejects.toBeInstanceOf(KrsError);
    await expect(blas.productsAsComputed([{ op: 'AtB', a: x, b: x, packed: true }])).rejects.toBeInstanceOf(KrsError);
  });

  it('gives the same answers to concurrent calls (calls are serialised, buffers reused)', async () => {
    const mats = [randomMatrix(200, 64, 21), randomMatrix(150, 96, 22), randomMatrix(90, 33, 23)];
    const results = await Promise.all(mats.map((m) => blas.products([{ op: 'AtB', a: m, b: m }])));
    for (let i = 0; i < mats.length; i++) {
      const [alone] = await blas.products([{ op: 'AtB', a: mats[i]!, b: mats[i]! }]);
      expect(results[i]![0]).toEqual(alone);
    }
  });

  it('handles empty dimensions like the float64 backend', async () => {
    const empty: Matrix = { rows: 0, cols: 4, data: new Float64Array(0) };
    const wide: Matrix = { rows: 0, cols: 3, data: new Float64Array(0) };
    for (const be of [blas, blocks]) {
      const [ab, aa] = await be.products([
        { op: 'AtB', a: empty, b: wide },
        { op: 'AtB', a: empty, b: empty },
      ]);
      expect(ab).toEqual(new Float64Array(12));
      expect(aa).toEqual(new Float64Array(16));
      const [g] = await be.products([{ op: 'ABt', a: empty, b: empty }]);
      expect(g).toEqual(new Float64Array(0));
    }
  });

  it('honours a column shift and accumulates into a given array, like the float64 backend', async () => {
    for (const be of [blas, blocks]) {
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
        const start = new Float64Array(got!.length).map((_, i) => (req.a === req.b ? 1 : i * 0.5));
        const into = Float64Array.from(start);
        const [ret] = await be.products([{ ...req, into }]);
        expect(ret).toBe(into);
        await be.products([{ ...req, into }]);
        for (let i = 0; i < into.length; i++) expect(Math.abs(into[i]! - start[i]! - 2 * got![i]!)).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(got![i]!)));
      }
    }
  });

  it('guards the range: values × 1e-40 and × 1e30 give the float64 products and CKA on both routes', async () => {
    for (const k of [1e-40, 1e30]) {
      const a = randomMatrix(60, 12, 41);
      const b = randomMatrix(60, 8, 42);
      const scaled = (m: Matrix): Matrix => ({ rows: m.rows, cols: m.cols, data: m.data.map((v) => v * k) });
      for (const r of [
        { op: 'AtB', a: scaled(a), b: scaled(b) },
        { op: 'AtB', a: scaled(a), b: scaled(a) },
        { op: 'ABt', a: scaled(a), b: scaled(a) },
      ] as ProductRequest[]) {
        const [got] = await blas.products([r]);
        expect(got!.every(Number.isFinite)).toBe(true);
        await expectWithinBound(r, got!);
      }
      const exact = (await similarityOf(tensor(a.data, [60, 12]), tensor(b.data, [60, 8]))).value;
      for (const route of ['feature-space', 'sample-space'] as const) {
        const got = await similarityOf(tensor(scaled(a).data, [60, 12]), tensor(scaled(b).data, [60, 8]), { backend: blas, exactRoute: route });
        expect(Math.abs(got.value - exact)).toBeLessThanOrEqual(1e-6);
      }
    }
  });

  it('rejects mismatched shapes with SHAPE_MISMATCH and keeps working', async () => {
    const a = randomMatrix(5, 3, 1);
    const b = randomMatrix(6, 3, 2);
    await expect(blas.products([{ op: 'AtB', a, b }])).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    await expect(blas.products([{ op: 'ABt', a, b: randomMatrix(5, 4, 3) }])).rejects.toBeInstanceOf(KrsError);
    const [ok] = await blas.products([{ op: 'AtB', a, b: a }]);
    expect(ok).toHaveLength(9);
  });

  it('lends a buffer given back to the next borrower of that size or less, and a fresh one while it is out', async () => {
    const be = await createBlasBackend({ threads: 1 });
    try {
      const first = be.lendBuffer(1000);
      const meanwhile = be.lendBuffer(1000);
      expect(meanwhile.buffer).not.toBe(first.buffer);
      be.giveBackBuffer(first);
      be.giveBackBuffer(new Float32Array(1000)); // not lent: ignored
      const again = be.lendBuffer(600);
      expect(again).toHaveLength(600);
      expect(again.buffer).toBe(first.buffer);
      expect(be.lendBuffer(600).buffer).not.toBe(first.buffer);
    } finally {
      await be.dispose();
    }
    const fresh = await createBlasBackend({ threads: 1, reuseBuffers: false });
    try {
      const a = fresh.lendBuffer(100);
      fresh.giveBackBuffer(a);
      expect(fresh.lendBuffer(100).buffer).not.toBe(a.buffer);
    } finally {
      await fresh.dispose();
    }
  });

  it('panelCrossSums adds the weighted Σ K∘L of every pair in float64, and checks its arguments', () => {
    const rows = 37;
    const cols = 101;
    const panel = (seed: number) => Float32Array.from(randomMatrix(rows, cols, seed).data);
    const ks = [panel(1), panel(2)];
    const ls = [panel(3), panel(4), panel(5)];
    for (const split of [0, 23, cols]) {
      const out = new Float64Array(6).fill(1);
      blas.panelCrossSums!(ks, ls, rows, cols, split, out);
      for (let t = 0; t < 2; t++) {
        for (let s = 0; s < 3; s++) {
          let want = 1;
          for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) want += (j < split ? 1 : 2) * ks[t]![i * cols + j]! * ls[s]![i * cols + j]!;
          expect(Math.abs(out[t * 3 + s]! - want)).toBeLessThanOrEqual(1e-12 * rows * cols);
        }
      }
    }
    expect(() => blas.panelCrossSums!(ks, ls, rows, cols, cols + 1, new Float64Array(6))).toThrow(RangeError);
    expect(() => blas.panelCrossSums!(ks, ls, rows, cols, 0, new Float64Array(5))).toThrow(RangeError);
    expect(() => blas.panelCrossSums!([new Float64Array(rows * cols) as unknown as Float32Array], ls, rows, cols, 0, new Float64Array(3))).toThrow(TypeError);
    expect(() => blas.panelCrossSums!([ks[0]!.subarray(1)], ls, rows, cols, 0, new Float64Array(3))).toThrow(RangeError);
  });

  it('validates options and refuses work after dispose', async () => {
    await expect(createBlasBackend({ threads: 0 })).rejects.toMatchObject({ code: 'BAD_OPTION' });
    await expect(createBlasBackend({ symmetricBlock: 0 })).rejects.toMatchObject({ code: 'BAD_OPTION' });
    await expect(createBlasBackend({ symmetric: 'both' as 'syrk' })).rejects.toMatchObject({ code: 'BAD_OPTION' });
    const be = await createBlasBackend({ threads: 1, reuseBuffers: false });
    const a = randomMatrix(10, 4, 9);
    const [got] = await be.products([{ op: 'AtB', a, b: a }]);
    await expectWithinBound({ op: 'AtB', a, b: a }, got!);
    await be.dispose();
    await be.dispose(); // idempotent
    await expect(be.products([{ op: 'AtB', a, b: a }])).rejects.toMatchObject({ code: 'BAD_OPTION' });
  });

  it('keeps linear CKA to float64 accuracy on realistic features (n = 2000, p = 512, q = 256, offset 1000)', async () => {
    const { x, y } = features(2000, 512, 256, 0.8, 1000, 1017);
    const xc = centre(x);
    const yc = centre(y);
    const ref = await linearCka(typescriptBackend, xc, yc);
    const got = await linearCka(blas, xc, yc);
    expect(ref.cka).toBeGreaterThan(0.05);
    expect(Math.abs(got.cka - ref.cka) / ref.cka).toBeLessThan(1e-6);
  });
});

/** Rows of a float32 layer with its exact column means. */
function rowSource(m: Matrix): RowSource {
  const { rows, cols, data } = m;
  const mean = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) mean[j] += data[i * cols + j]! / rows;
  return { cols, mean, readRows: (a, b) => data.subarray(a * cols, b * cols) };
}

/** Biased linear CKA of teacher t and student s from a Gram pass's sums. */
function ckaOf(sums: GramSums, t: number, s: number): number {
  const a = sums.teacher[t]!;
  const b = sums.student[s]!;
  const n = sums.n;
  return hsicFromSums(sums.cross[t]![s]!, a, b, n, false) / Math.sqrt(hsicFromSums(a.frob, a, a, n, false) * hsicFromSums(b.frob, b, b, n, false));
}

describe.skipIf(!built)('Gram pass on OpenBLAS', () => {
  it('gives the CKA of the ONNX Runtime backend (and of float64) to float32 accuracy', async () => {
    const n = 700;
    const { x, y } = features(n, 300, 160, 0.6, 0, 77);
    const { x: x2 } = features(n, 90, 10, 0.5, 0, 78);
    const teacher = [rowSource(x), rowSource(x2)];
    const student = [rowSource(y)];
    const blas = await createBlasBackend();
    const ort = await createOrtBackend();
    try {
      // block 128: 6 block-rows, panels and diagonal blocks (ssyrk) in every round
      const [viaBlas, viaOrt, viaF64] = [
        await gramPass(teacher, student, n, blas, 128),
        await gramPass(teacher, student, n, ort, 128),
        await gramPass(teacher, student, n, typescriptBackend, 128),
      ];
      // The native pair sums (panelCrossSums) are the JavaScript loop's, up to the order of the float64 additions.
      const viaJsSums = await gramPass(teacher, student, n, { ...blas, panelCrossSums: undefined }, 128);
      for (let t = 0; t < 2; t++)
        expect(Math.abs(viaBlas.cross[t]![0]! - viaJsSums.cross[t]![0]!)).toBeLessThanOrEqual(1e-12 * Math.abs(viaJsSums.cross[t]![0]!));
      for (let t = 0; t < 2; t++) {
        const want = ckaOf(viaF64, t, 0);
        expect(want).toBeGreaterThan(0.05);
        expect(Math.abs(ckaOf(viaBlas, t, 0) - ckaOf(viaOrt, t, 0))).toBeLessThan(1e-6);
        expect(Math.abs(ckaOf(viaBlas, t, 0) - want)).toBeLessThan(1e-6);
      }
    } finally {
      await blas.dispose();
      await ort.dispose();
    }
  });
});
