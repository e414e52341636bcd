/**
 * The OpenBLAS float32 backend (optional native addon) against the float64 TypeScript
 * reference, within the float32 error bound of ./float32-helpers.ts — the agreements of
 * ./float32-contract.ts, which ort-backend.test.ts runs for ONNX Runtime — and a Gram pass giving the ONNX Runtime
 * backend's CKA. Skipped, with a printed reason, when native/krs_blas.node is not built
 * (`npm run build:native`).
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KrsError } from '../../src/core/errors.js';
import type { Matrix } from '../../src/linalg/backend.js';
import { type GramSums, gramPass, hsicFromSums, type RowSource } from '../../src/linalg/gram-pass.js';
import { typescriptBackend } from '../../src/linalg/typescript-backend.js';
import { BLAS_ADDON_PATH, type BlasBackend, createBlasBackend } from '../../src/runtime/blas-backend.js';
import { createOrtBackend } from '../../src/runtime/ort-backend.js';
import { float32BackendContract } from './float32-contract.js';
import { centre, features, linearCka, randomMatrix } from './float32-helpers.js';

const built = existsSync(BLAS_ADDON_PATH);
if (!built) console.log(`blas-backend tests skipped: ${BLAS_ADDON_PATH} is not built (npm run build:native; needs gcc and libopenblas-dev)`);

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

  float32BackendContract({
    main: () => blas,
    other: () => blocks,
    labels: ['syrk', 'blocks'],
    fresh: (o) => createBlasBackend({ threads: 1, ...o }),
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

  it('validates options', async () => {
    await expect(createBlasBackend({ threads: 0 })).rejects.toMatchObject({ code: 'BAD_OPTION' });
    await expect(createBlasBackend({ symmetricBlock: 0 })).rejects.toMatchObject({ code: 'BAD_OPTION' });
    await expect(createBlasBackend({ symmetric: 'both' as 'syrk' })).rejects.toMatchObject({ code: 'BAD_OPTION' });
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
