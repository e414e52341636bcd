/**
 * The Gram pass's sums are those of the explicit centred Gram matrices, whatever the block size
 * (a round's diagonal block is its own product when the round also holds columns past it), on
 * both backends. A Gram pass split into shares (rounds r ≡ i mod N) adds up to the whole pass, sums and
 * grouped sums alike, on both backends; shares survive a JSON round trip bit for bit; CKA and
 * its leave-one-group-out values from the added shares equal those of the whole pass.
 */
import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import type { MatrixBackend } from '../../src/linalg/backend.js';
import { gramPass, type RowSource, type SampleGroups } from '../../src/linalg/gram-pass.js';
import { addPairSums, type PairGramSums, pairSums, pairSumsFromJSON, pairSumsToJSON } from '../../src/linalg/gram-shares.js';
import { typescriptBackend } from '../../src/linalg/typescript-backend.js';
import { createOrtBackend } from '../../src/runtime/ort-backend.js';
import { ckaOfPairSums, leaveOutsOfPairSums } from '../../src/similarity/linear-cka.js';

function source(rows: number, cols: number, seed: number): RowSource {
  const rng = createRng(seed, 'gram-shares');
  const data = new Float64Array(rows * cols).map(() => rng.next() * 2 - 0.5);
  const mean = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) mean[j] += data[i * cols + j]! / rows;
  return { cols, mean, readRows: (a, b) => data.subarray(a * cols, b * cols) };
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(a), Math.abs(b));
function expectSame(a: PairGramSums, b: PairGramSums) {
  expect(close(a.cross, b.cross)).toBe(true);
  for (const side of ['teacher', 'student'] as const) {
    expect(close(a[side].frob, b[side].frob)).toBe(true);
    expect(a[side].rowSums.every((v, i) => close(v, b[side].rowSums[i]!))).toBe(true);
    expect(a[side].diag.every((v, i) => close(v, b[side].diag[i]!))).toBe(true);
  }
  expect(a.grouped!.byGroup[0].every((v, i) => close(v, b.grouped!.byGroup[0][i]!))).toBe(true);
  expect(a.grouped!.withinCross.every((v, i) => close(v, b.grouped!.withinCross[i]!))).toBe(true);
}

/** K = XcXcᵀ written out (float64), with the sums the pass reduces it to. */
function explicitSums(src: RowSource, n: number) {
  const x = src.readRows(0, n);
  const c = src.cols;
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let v = 0;
      for (let f = 0; f < c; f++) v += (x[i * c + f]! - src.mean[f]!) * (x[j * c + f]! - src.mean[f]!);
      k[i * n + j] = v;
    }
  const rowSums = new Float64Array(n);
  let frob = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) (rowSums[i] += k[i * n + j]!), (frob += k[i * n + j]! ** 2);
  return { k, frob, rowSums, diag: Float64Array.from({ length: n }, (_, i) => k[i * n + i]!) };
}

describe('Gram pass', () => {
  const n = 203;
  const t = source(n, 17, 1);
  const s = source(n, 9, 2);
  const K = explicitSums(t, n);
  const L = explicitSums(s, n);
  let cross = 0;
  for (let i = 0; i < n * n; i++) cross += K.k[i]! * L.k[i]!;
  const near = (a: number, b: number, tol: number, scale: number) => Math.abs(a - b) <= tol * scale;

  for (const backend of ['typescript', 'onnxruntime-f32'] as const) {
    it.each([16, 64, 203, 1024])(`${backend}, block %i: the sums of the explicit Gram matrices`, async (block) => {
      const b = backend === 'typescript' ? typescriptBackend : await createOrtBackend({ intraOpNumThreads: 1, symmetricBlock: 8 });
      try {
        const sums = await gramPass([t], [s], n, b, block);
        // float64 to rounding; float32 products to ~1e-6 of the largest entries.
        const tol = backend === 'typescript' ? 1e-12 : 1e-5;
        expect(near(sums.cross[0]![0]!, cross, tol, cross)).toBe(true);
        for (const [got, want] of [
          [sums.teacher[0]!, K],
          [sums.student[0]!, L],
        ] as const) {
          const scale = Math.max(...want.diag);
          expect(near(got.frob, want.frob, tol, want.frob)).toBe(true);
          expect(got.diag.every((v, i) => near(v, want.diag[i]!, tol, scale))).toBe(true);
          expect(got.rowSums.every((v, i) => near(v, want.rowSums[i]!, tol, n * scale))).toBe(true);
        }
      } finally {
        if (b !== typescriptBackend) await (b as Awaited<ReturnType<typeof createOrtBackend>>).dispose();
      }
    });
  }
});

describe('Gram pass on a backend that lends buffers', () => {
  const n = 203;
  const t = source(n, 17, 1);
  const s = source(n, 9, 2);

  /** A float32 backend that counts what it lends and gets back, failing after `failAfter` calls when given. */
  async function lendingBackend(failAfter = Number.POSITIVE_INFINITY) {
    const inner = await createOrtBackend({ intraOpNumThreads: 1 });
    const out = new Set<ArrayBufferLike>();
    const lent: ArrayBufferLike[] = [];
    let calls = 0;
    const backend: MatrixBackend = {
      name: inner.name,
      products: (r) => inner.products(r),
      productsAsComputed: (r) => {
        if (++calls > failAfter) return Promise.reject(new Error('products failed'));
        return inner.productsAsComputed(r);
      },
      lendBuffer(length) {
        const b = inner.lendBuffer(length);
        out.add(b.buffer);
        lent.push(b.buffer);
        return b;
      },
      giveBackBuffer(b) {
        out.delete(b.buffer);
        inner.giveBackBuffer(b);
      },
    };
    return { backend, out, lent, dispose: () => inner.dispose() };
  }

  it('centres into lent buffers, gives every one back, and a second pass gets the same sums from the kept ones', async () => {
    const { backend, out, lent, dispose } = await lendingBackend();
    const plain = await createOrtBackend({ intraOpNumThreads: 1, reuseBuffers: false });
    try {
      const want = await gramPass([t], [s], n, plain, 64);
      const first = await gramPass([t], [s], n, backend, 64);
      expect(out.size).toBe(0);
      expect(lent).toHaveLength(2); // one centred copy per layer
      const second = await gramPass([t], [s], n, backend, 64);
      expect(out.size).toBe(0);
      expect(new Set(lent).size).toBe(2); // the second pass borrowed the same two buffers
      for (const got of [first, second]) {
        expect(got.cross[0]![0]).toBe(want.cross[0]![0]);
        expect(got.teacher[0]!.rowSums).toEqual(want.teacher[0]!.rowSums);
        expect(got.student[0]!.frob).toBe(want.student[0]!.frob);
      }
    } finally {
      await dispose();
      await plain.dispose();
    }
  });

  it('reads a source with block ends within one block at a time, to the same sums', async () => {
    const blockEnds = [50, 51, 120, 203];
    const crossing: string[] = [];
    const blocked: RowSource = {
      ...t,
      blockEnds,
      readRows(a, b) {
        if (blockEnds.some((e) => a < e && e < b)) crossing.push(`${a}-${b}`);
        return t.readRows(a, b);
      },
    };
    const want = await gramPass([t], [s], n, typescriptBackend, 64);
    const got = await gramPass([blocked], [s], n, typescriptBackend, 64);
    expect(crossing).toEqual([]);
    expect(got.cross).toEqual(want.cross);
    expect(got.teacher[0]!.rowSums).toEqual(want.teacher[0]!.rowSums);
  });

  it('gives its buffers back when a product fails midway', async () => {
    const { backend, out, lent, dispose } = await lendingBackend(1);
    try {
      await expect(gramPass([t], [s], n, backend, 64)).rejects.toThrow('products failed');
      expect(lent).toHaveLength(2);
      expect(out.size).toBe(0);
    } finally {
      await dispose();
    }
  });
});

describe('Gram shares', () => {
  const n = 203;
  const t = source(n, 17, 1);
  const s = source(n, 9, 2);
  const G = 7;
  const of = new Int32Array(n).map((_, i) => Math.floor((i * G) / n));
  const groups: SampleGroups = { of, count: G };

  it.each([1, 2, 3, 5, 40])('%i shares (block 16) add up to the whole pass', async (count) => {
    const whole = pairSums(await gramPass([t], [s], n, typescriptBackend, 16, undefined, groups), 0, 0);
    let acc: PairGramSums | null = null;
    let visited = 0;
    for (let index = 0; index < count; index++) {
      const part = await gramPass([t], [s], n, typescriptBackend, 16, () => visited++, groups, { index, count });
      const p = pairSumsFromJSON(JSON.parse(JSON.stringify(pairSumsToJSON(pairSums(part, 0, 0)))));
      acc = acc ? addPairSums(acc, p) : p;
    }
    // 13 block-rows of 16, one panel each: every round visited once across the shares.
    expect(visited).toBe(13);
    expectSame(whole, acc!);
    expect(close(ckaOfPairSums(acc!, false, 't', 's'), ckaOfPairSums(whole, false, 't', 's'))).toBe(true);
    const a = leaveOutsOfPairSums(acc!, groups, true, 't', 's');
    const b = leaveOutsOfPairSums(whole, groups, true, 't', 's');
    expect(a.every((v, g) => close(v, b[g]!))).toBe(true);
  });

  it('shares of different passes do not add', async () => {
    const a = pairSums(await gramPass([t], [s], n, typescriptBackend, 16, undefined, groups, { index: 0, count: 2 }), 0, 0);
    const other = source(100, 17, 3);
    const b = pairSums(await gramPass([other], [source(100, 9, 4)], 100, typescriptBackend, 16, undefined, { of: new Int32Array(100), count: G }), 0, 0);
    expect(() => addPairSums(a, b)).toThrow(/cover 203 and 100 samples/);
  });
});
