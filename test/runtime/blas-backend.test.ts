/**
 * The OpenBLAS float32 backend (optional native addon) against the float64 TypeScript
 * reference, within the float32 error bound of ./float32-helpers.ts — the agreements of
 * ./float32-contract.ts, which ort-backend.test.ts runs for ONNX Runtime — and a Gram pass giving the ONNX Runtime
 * backend's CKA. Skipped, with a printed reason, when native/krs_blas.node is not built
 * (`npm run build:native`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KrsError } from '../../src/core/errors.js';
import type { Matrix, MatrixBackend } from '../../src/linalg/backend.js';
import { type GramSums, gramPass, hsicFromSums, type RowSource } from '../../src/linalg/gram-pass.js';
import { typescriptBackend } from '../../src/linalg/typescript-backend.js';
import { BLAS_ADDON_PATH, type BlasBackend, createBlasBackend, type KrsBlasAddon, THREAD_TIMEOUT } from '../../src/runtime/blas-backend.js';
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

  it("panelSums adds every layer's squares and row sums and every pair's weighted Σ K∘L in float64, the same on any thread count", async () => {
    const rows = 37;
    const cols = 101;
    const [rowStart, colStart, n] = [5, 30, 140];
    const panel = (seed: number) => Float32Array.from(randomMatrix(rows, cols, seed).data);
    const grams = [panel(1), panel(2), panel(3), panel(4), panel(5)]; // 2 teacher, 3 student layers
    const one = await createBlasBackend({ threads: 1 });
    try {
      for (const split of [0, 23, cols]) {
        const place = { rows, cols, split, rowStart, colStart };
        const sumsOn = (backend: MatrixBackend) => {
          const into = { cross: new Float64Array(6).fill(1), frob: new Float64Array(5).fill(2), rowSums: grams.map(() => new Float64Array(n).fill(3)) };
          backend.panelSums!(grams, 2, place, into);
          return into;
        };
        const got = sumsOn(blas);
        const weight = (j: number) => (j < split ? 1 : 2);
        for (let t = 0; t < 2; t++)
          for (let s = 0; s < 3; s++) {
            let want = 1;
            for (let i = 0; i < rows * cols; i++) want += weight(i % cols) * grams[t]![i]! * grams[2 + s]![i]!;
            expect(Math.abs(got.cross[t * 3 + s]! - want)).toBeLessThanOrEqual(1e-12 * rows * cols);
          }
        grams.forEach((k, l) => {
          let frob = 2;
          const rowSums = new Float64Array(n).fill(3);
          for (let i = 0; i < rows; i++)
            for (let j = 0; j < cols; j++) {
              const v = k[i * cols + j]!;
              frob += weight(j) * v * v;
              rowSums[rowStart + i] += v;
              if (j >= split) rowSums[colStart + j] += v;
            }
          expect(Math.abs(got.frob[l]! - frob)).toBeLessThanOrEqual(1e-12 * rows * cols);
          for (let i = 0; i < n; i++) expect(Math.abs(got.rowSums[l]![i]! - rowSums[i]!)).toBeLessThanOrEqual(1e-12 * cols);
        });
        // Each sum is one thread's, in a fixed order: the same bits on 1 thread as on all of them.
        expect(sumsOn(one)).toEqual(got);
      }
      const place = { rows, cols, split: 0, rowStart, colStart };
      const into = { cross: new Float64Array(6), frob: new Float64Array(5), rowSums: grams.map(() => new Float64Array(n)) };
      expect(() => blas.panelSums!(grams, 2, { ...place, split: cols + 1 }, into)).toThrow(RangeError);
      expect(() => blas.panelSums!(grams, 2, place, { ...into, cross: new Float64Array(5) })).toThrow(RangeError);
      expect(() => blas.panelSums!(grams, 6, place, into)).toThrow(RangeError);
      expect(() => blas.panelSums!(grams, 2, { ...place, colStart: n - cols + 1 }, into)).toThrow(/rowSums\[0\] holds 140 values, the panel reaches index 140/);
      expect(() => blas.panelSums!([new Float64Array(rows * cols) as unknown as Float32Array], 0, place, { ...into, frob: new Float64Array(1) })).toThrow(
        TypeError,
      );
      expect(() => blas.panelSums!([grams[0]!.subarray(1)], 0, place, { ...into, frob: new Float64Array(1) })).toThrow(RangeError);
      expect(() => blas.panelSums!(grams, 2, place, { ...into, rowSums: into.rowSums.slice(1) })).toThrow(TypeError);
    } finally {
      await one.dispose();
    }
  });

  it('centreRows centres float32 rows in float64 and rounds once, as the Gram pass does in JavaScript, and returns the largest |x − mean|', () => {
    const rows = 13;
    const cols = 7;
    const x = Float32Array.from(randomMatrix(rows, cols, 9, 1000).data);
    const mean = Float64Array.from({ length: cols }, (_, j) => 0.1 * j - 0.33);
    for (const scale of [1, 2 ** -12]) {
      const out = new Float32Array(rows * cols);
      const max = blas.centreRows!(x, mean, out, scale);
      let want = 0;
      for (let i = 0; i < rows * cols; i++) {
        const v = x[i]! - mean[i % cols]!;
        expect(out[i]).toBe(Math.fround(v * scale));
        want = Math.max(want, Math.abs(v));
      }
      expect(max).toBe(want);
    }
    expect(blas.centreRows!(new Float32Array(0), mean, new Float32Array(0), 1)).toBe(0);
    expect(() => blas.centreRows!(x, mean, new Float32Array(rows * cols - 1), 1)).toThrow(/same whole number of rows/);
    expect(() => blas.centreRows!(x.subarray(1), mean, new Float32Array(rows * cols - 1), 1)).toThrow(RangeError);
    expect(() => blas.centreRows!(x, mean, new Float32Array(rows * cols), 0)).toThrow(/scale must be a positive finite number/);
    expect(() => blas.centreRows!(x, Float32Array.from(mean) as unknown as Float64Array, new Float32Array(rows * cols), 1)).toThrow(TypeError);
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

describe.skipIf(!built)('the krs_blas addon itself', () => {
  const addon = () => createRequire(import.meta.url)(BLAS_ADDON_PATH) as KrsBlasAddon;

  it('ssyrkFull is ssyrkLower mirrored: both triangles, exactly symmetric', () => {
    const [m, k] = [150, 33]; // more than two 64-row tiles of the mirror, the last one partial
    const a = Float32Array.from(randomMatrix(m, k, 5).data);
    const full = new Float32Array(m * m).fill(Number.NaN);
    const lower = new Float32Array(m * m).fill(Number.NaN);
    addon().ssyrkFull(a, full, m, k);
    addon().ssyrkLower(a, lower, m, k);
    for (let i = 0; i < m; i++)
      for (let j = 0; j <= i; j++) {
        expect(full[i * m + j]).toBe(lower[i * m + j]);
        expect(full[j * m + i]).toBe(lower[i * m + j]);
      }
    const empty = new Float32Array(4).fill(7);
    addon().ssyrkFull(new Float32Array(0), empty, 2, 0);
    expect([...empty]).toEqual([0, 0, 0, 0]);
  });

  it('adviseHugePages advises only whole 2 MiB pages inside the array and leaves its values alone', () => {
    const huge = 2 ** 21;
    const array = new Float32Array(3 * huge).fill(0.5); // 12 MiB: at least 5 whole 2 MiB pages, wherever it starts
    const advised = addon().adviseHugePages(array);
    expect(advised % huge).toBe(0);
    expect(advised).toBeLessThanOrEqual(array.byteLength);
    if (process.platform === 'linux' && existsSync('/sys/kernel/mm/transparent_hugepage/enabled')) expect(advised).toBeGreaterThanOrEqual(5 * huge);
    expect(array.every((v) => v === 0.5)).toBe(true);
    expect(addon().adviseHugePages(new Float32Array(16))).toBe(0);
    expect(() => addon().adviseHugePages([1, 2] as unknown as Float32Array)).toThrow(TypeError);
  });

  it('checks every argument before OpenBLAS sees it: a TypeError or RangeError, never a crash', () => {
    const a = new Float32Array(6);
    expect(() => addon().sgemmNT(a, a, new Float32Array(4), 2, 2, 3)).not.toThrow();
    expect(() => addon().sgemmNT(a, a, new Float32Array(3), 2, 2, 3)).toThrow(/c holds 3 values for 2×2/);
    expect(() => addon().sgemmNT(new Float64Array(6) as unknown as Float32Array, a, new Float32Array(4), 2, 2, 3)).toThrow(TypeError);
    expect(() => addon().sgemmNT(a, a, new Float32Array(4), 2, 2, 3.5)).toThrow(RangeError);
    expect(() => addon().sgemmNT(a, a, new Float32Array(4), 2, -2, 3)).toThrow(RangeError);
    expect(() => (addon().sgemmNT as (...x: unknown[]) => void)(a, a)).toThrow(/takes 6 arguments/);
    expect(() => addon().ssyrkFull(a, new Float32Array(5), 2, 3)).toThrow(/c holds 5 values for 2×2/);
    expect(() => addon().ssyrkLower(a, new Float32Array(4), 2, 4)).toThrow(/a holds 6 values for 2×4/);
    expect(() => addon().setThreads(0)).toThrow(RangeError);
    const grams = [new Float32Array(6)];
    const into = [new Float64Array(0), new Float64Array(1), [new Float64Array(5)]] as const;
    expect(() => addon().panelSums(grams, 0, 2, 3, 0, 0, 2, ...into, 1)).not.toThrow();
    expect(() => addon().panelSums(grams, 0, 2, 3, 0, 0, 2, ...into, 0)).toThrow(/threads must be an integer in \[1, 64\]/);
    expect(() => addon().panelSums(grams, 0, 2, 3, 0, 0, 3, ...into, 1)).toThrow(/rowSums\[0\] holds 5 values, the panel reaches index 5/);
  });
});

describe.skipIf(!built)('loading the addon', () => {
  // A process of its own for each case: OpenBLAS reads its environment once, when first loaded.
  const load = (timeout: string | undefined) => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.OPENBLAS_THREAD_TIMEOUT;
    if (timeout !== undefined) env.OPENBLAS_THREAD_TIMEOUT = timeout;
    const url = pathToFileURL(join(process.cwd(), 'dist/runtime/blas-backend.js')).href;
    const script = `const m = await import(${JSON.stringify(url)}); const b = await m.createBlasBackend(); console.log(JSON.stringify({ read: b.threadTimeout, env: process.env.OPENBLAS_THREAD_TIMEOUT ?? null })); await b.dispose();`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout) as { read: string; env: string | null };
  };

  it(`gives OpenBLAS OPENBLAS_THREAD_TIMEOUT=${THREAD_TIMEOUT} while it loads, unless the user set it, and leaves the environment as it was`, () => {
    expect(load(undefined)).toEqual({ read: THREAD_TIMEOUT, env: null });
    expect(load('24')).toEqual({ read: '24', env: '24' });
  });
});

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
      // The native centring (centreRows) gives the JavaScript loop's bits.
      expect(await gramPass(teacher, student, n, { ...blas, centreRows: undefined }, 128)).toEqual(viaBlas);
      // The native sums (panelSums) are the JavaScript loops', up to the order of the float64 additions.
      const viaJsSums = await gramPass(teacher, student, n, { ...blas, panelSums: undefined }, 128);
      const close = (a: number, b: number, scale: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-12 * scale);
      for (let t = 0; t < 2; t++) close(viaBlas.cross[t]![0]!, viaJsSums.cross[t]![0]!, Math.abs(viaJsSums.cross[t]![0]!));
      [...viaBlas.teacher, ...viaBlas.student].forEach((layer, l) => {
        const js = [...viaJsSums.teacher, ...viaJsSums.student][l]!;
        close(layer.frob, js.frob, js.frob);
        expect(layer.diag).toEqual(js.diag);
        const scale = Math.sqrt(js.frob) * n;
        for (let i = 0; i < n; i++) close(layer.rowSums[i]!, js.rowSums[i]!, scale);
      });
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
