/**
 * The agreements every float32 matrix backend on src/runtime/gemm-backend.ts keeps — ONNX
 * Runtime's and OpenBLAS's — stated once and registered into the caller's `describe`: products
 * against the float64 TypeScript reference within the bound of ./float32-helpers.ts, exact
 * symmetry and packed triangles on both symmetric routes, float32 and mixed inputs left
 * unchanged, `productsAsComputed`, serialised concurrent calls, empty dimensions, column shifts
 * and `into`, the range guard (values × 1e-40 and × 1e30, products and CKA on both exact routes),
 * shape refusals, lent buffers, and refusal after dispose.
 */
import { expect, it } from 'vitest';
import { KrsError } from '../../src/core/errors.js';
import { tensor } from '../../src/core/tensor.js';
import type { Matrix, ProductRequest } from '../../src/linalg/backend.js';
import { typescriptBackend } from '../../src/linalg/typescript-backend.js';
import type { GemmBackend } from '../../src/runtime/gemm-backend.js';
import { similarityOf } from '../../src/similarity/layer-similarity.js';
import { expectWithinBound, isSymmetric, randomMatrix } from './float32-helpers.js';

/** The backends a contract run checks (getters: they are made in the caller's beforeAll). */
export interface Float32Backends {
  /** The backend with its defaults. */
  main(): GemmBackend;
  /** The same engine on its other symmetric route (e.g. small block columns), one thread. */
  other(): GemmBackend;
  /** Labels of the two, for test names. */
  labels: readonly [string, string];
  /** A new one-thread backend of this engine (the caller disposes it). */
  fresh(options: { reuseBuffers?: boolean }): Promise<GemmBackend>;
}

const SIZES: [number, number][] = [
  [1, 1],
  [7, 3],
  [33, 65],
  [300, 129],
];

/** Register the contract's tests (call inside a `describe`). */
export function float32BackendContract(b: Float32Backends): void {
  const both = () => [b.main(), b.other()] as const;
  sizeTests(b);
  inputTests(b);
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
    const asComputed = await b.main().productsAsComputed(reqs);
    const copies = asComputed.map((r) => Float64Array.from(r));
    expect(asComputed.map((r) => r.constructor.name)).toEqual(['Float32Array', 'Float32Array', 'Float32Array', 'Float64Array']);
    const plain = await b.main().products(reqs);
    for (let i = 0; i < reqs.length; i++) expect(copies[i]).toEqual(plain[i]);
    // Scratch results: the next call may overwrite them (the contract says read them first).
    await expect(b.main().productsAsComputed([{ op: 'AtB', a: x, b: x, into: new Float64Array(1600) }])).rejects.toBeInstanceOf(KrsError);
    await expect(b.main().productsAsComputed([{ op: 'AtB', a: x, b: x, packed: true }])).rejects.toBeInstanceOf(KrsError);
  });

  it('gives the same answers to concurrent calls (calls are serialised, buffers reused)', async () => {
    const mats = [randomMatrix(200, 64, 21), randomMatrix(150, 96, 22), randomMatrix(90, 33, 23)];
    const results = await Promise.all(mats.map((m) => b.main().products([{ op: 'AtB', a: m, b: m }])));
    for (let i = 0; i < mats.length; i++) {
      const [alone] = await b.main().products([{ op: 'AtB', a: mats[i]!, b: mats[i]! }]);
      expect(results[i]![0]).toEqual(alone);
    }
  });

  it('handles empty dimensions like the float64 backend', async () => {
    const empty: Matrix = { rows: 0, cols: 4, data: new Float64Array(0) };
    const wide: Matrix = { rows: 0, cols: 3, data: new Float64Array(0) };
    for (const be of both()) {
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
    for (const be of both()) await expectShiftAndInto(be);
  });

  it('guards the range: values × 1e-40 and × 1e30 give the float64 products and CKA on both routes', async () => {
    for (const k of [1e-40, 1e30]) await expectRangeGuarded(b.main(), k);
  });

  it('rejects mismatched shapes with SHAPE_MISMATCH and keeps working', async () => {
    const a = randomMatrix(5, 3, 1);
    const c = randomMatrix(6, 3, 2);
    await expect(b.main().products([{ op: 'AtB', a, b: c }])).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    await expect(b.main().products([{ op: 'ABt', a, b: randomMatrix(5, 4, 3) }])).rejects.toBeInstanceOf(KrsError);
    const [ok] = await b.main().products([{ op: 'AtB', a, b: a }]);
    expect(ok).toHaveLength(9);
  });

  lendingTests(b);
}

/** Per size: AtB and ABt within the bound; symmetric products exact and packed, on both routes. */
function sizeTests(b: Float32Backends): void {
  for (const [n, p] of SIZES) {
    const a = randomMatrix(n, p, 1000 * n + p);
    const atbPartner = randomMatrix(n, p + 2, 7 + n * p); // n × (p+2)
    const abtPartner = randomMatrix(n + 3, p, 11 + n); // (n+3) × p
    it(`${n}×${p}: AtB and ABt agree with the float64 backend`, async () => {
      for (const r of [
        { op: 'AtB', a, b: atbPartner },
        { op: 'ABt', a, b: abtPartner },
      ] as ProductRequest[]) {
        const [got] = await b.main().products([r]);
        await expectWithinBound(r, got!);
      }
    });
    for (const which of [0, 1] as const) {
      const be = () => (which === 0 ? b.main() : b.other());
      it(`${n}×${p}: symmetric AtB and ABt agree and are exactly symmetric (${b.labels[which]})`, async () => {
        const [ata, aat] = await be().products([
          { op: 'AtB', a, b: a },
          { op: 'ABt', a, b: a },
        ]);
        await expectWithinBound({ op: 'AtB', a, b: a }, ata!);
        await expectWithinBound({ op: 'ABt', a, b: a }, aat!);
        expect(isSymmetric(ata!, p)).toBe(true);
        expect(isSymmetric(aat!, n)).toBe(true);
      });
      it(`${n}×${p}: packed symmetric products are the lower triangle of the full ones (${b.labels[which]})`, async () => {
        const [full, packed] = await be().products([
          { op: 'ABt', a, b: a },
          { op: 'ABt', a, b: a, packed: true },
        ]);
        expect(packed).toHaveLength((n * (n + 1)) / 2);
        let differing = 0;
        for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) if (packed![(i * (i + 1)) / 2 + j] !== full![i * n + j]) differing++;
        expect(differing).toBe(0);
        const into = Float64Array.from(packed!);
        const [again] = await be().products([{ op: 'ABt', a, b: a, packed: true, into }]);
        expect(again).toBe(into);
        expect(into.every((v, i) => v === 2 * packed![i]!)).toBe(true);
      });
    }
  }
}

/** Separate Matrix objects over the same data count as symmetric; float32 and mixed inputs; inputs left unchanged. */
function inputTests(b: Float32Backends): void {
  it('treats separate Matrix objects over the same data as symmetric, and leaves inputs unchanged', async () => {
    const a = randomMatrix(50, 40, 3);
    const before = Float64Array.from(a.data);
    const [got] = await b.other().products([{ op: 'AtB', a, b: { ...a } }]);
    await expectWithinBound({ op: 'AtB', a, b: a }, got!);
    expect(isSymmetric(got!, 40)).toBe(true);
    expect(a.data).toEqual(before);
  });

  it('accepts float32 inputs, mixed precisions and several requests sharing operands; leaves inputs unchanged', async () => {
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
      { op: 'AtB', a: x, b: { ...x } }, // separate objects over the same data: symmetric
    ];
    const got = await b.main().products(reqs);
    expect(got).toHaveLength(reqs.length);
    for (let i = 0; i < reqs.length; i++) await expectWithinBound(reqs[i]!, got[i]!);
    expect(isSymmetric(got[5]!, 70)).toBe(true);
    expect(x32.data).toEqual(Float32Array.from(x.data));
    expect(y.data).toEqual(randomMatrix(120, 30, 6).data);
  });
}

/** Lent buffers come back to the next borrower (not with reuseBuffers: false); a disposed backend refuses work. */
function lendingTests(b: Float32Backends): void {
  it('lends a buffer given back to the next borrower of that size or less, and a fresh one while it is out', async () => {
    const be = await b.fresh({});
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
    const fresh = await b.fresh({ reuseBuffers: false });
    try {
      const a = fresh.lendBuffer(100);
      fresh.giveBackBuffer(a);
      expect(fresh.lendBuffer(100).buffer).not.toBe(a.buffer); // reuseBuffers: false keeps nothing
    } finally {
      await fresh.dispose();
    }
  });

  it('refuses work after dispose (dispose is idempotent)', async () => {
    const be = await b.fresh({ reuseBuffers: false });
    const a = randomMatrix(10, 4, 9);
    const [got] = await be.products([{ op: 'AtB', a, b: a }]);
    await expectWithinBound({ op: 'AtB', a, b: a }, got!);
    await be.dispose();
    await be.dispose(); // idempotent
    await expect(be.products([{ op: 'AtB', a, b: a }])).rejects.toMatchObject({ code: 'BAD_OPTION' });
  });
}

/** Shifted operands against their centred copies (and the TypeScript backend's shift), then `into` accumulating twice. */
async function expectShiftAndInto(be: GemmBackend): Promise<void> {
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
    const start = new Float64Array(got!.length).map((_, i) => (req.a === req.b ? 1 : i * 0.5));
    const into = Float64Array.from(start);
    const [ret] = await be.products([{ ...req, into }]);
    expect(ret).toBe(into);
    await be.products([{ ...req, into }]);
    for (let i = 0; i < into.length; i++) expect(Math.abs(into[i]! - start[i]! - 2 * got![i]!)).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(got![i]!)));
  }
}

/** Values scaled by k: the products stay finite and within the bound, and CKA on both exact routes equals the unscaled one. */
async function expectRangeGuarded(be: GemmBackend, k: number): Promise<void> {
  const a = randomMatrix(60, 12, 41);
  const b = randomMatrix(60, 8, 42);
  const scaled = (m: Matrix): Matrix => ({ rows: m.rows, cols: m.cols, data: m.data.map((v) => v * k) });
  for (const r of [
    { op: 'AtB', a: scaled(a), b: scaled(b) },
    { op: 'AtB', a: scaled(a), b: scaled(a) },
    { op: 'ABt', a: scaled(a), b: scaled(a) },
  ] as ProductRequest[]) {
    const [got] = await be.products([r]);
    expect(got!.every(Number.isFinite)).toBe(true);
    await expectWithinBound(r, got!);
  }
  const exact = (await similarityOf(tensor(a.data, [60, 12]), tensor(b.data, [60, 8]))).value;
  for (const route of ['feature-space', 'sample-space'] as const) {
    const got = await similarityOf(tensor(scaled(a).data, [60, 12]), tensor(scaled(b).data, [60, 8]), { backend: be, exactRoute: route });
    expect(Math.abs(got.value - exact)).toBeLessThanOrEqual(1e-6);
  }
}
