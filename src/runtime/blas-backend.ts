/**
 * An optional fast {@link MatrixBackend} on OpenBLAS (Node only): the products of
 * src/runtime/gemm-backend.ts — the same operand conversion, range guard, scratch buffers,
 * `productsAsComputed` and `lendBuffer` as the ONNX Runtime backend — with every Gemm
 * C = P·Qᵀ a `cblas_sgemm(RowMajor, NoTrans, Trans)` call in the native addon
 * native/krs_blas.c, and symmetric products P·Pᵀ one `cblas_ssyrk` call (lower triangle,
 * then mirrored) instead of block columns of Gemms. It also offers the Gram pass its
 * element-wise sums in C on `threads` threads and its centring in C (`panelSums`,
 * `centreRows`, src/linalg/backend.ts).
 *
 * The addon is not built by `npm ci` or `npm run build`: `npm run build:native` builds it
 * (gcc, make, python3 and libopenblas-dev needed) into native/krs_blas.node; without it
 * {@link createBlasBackend} throws BAD_OPTION saying so, and the CLI's `--backend auto` never
 * tries it, so results stay reproducible where it is absent.
 *
 * Threads: OpenBLAS has one thread pool per process; each call sets its size to this
 * backend's `threads` (`openblas_set_num_threads`) before its products, so two backends with
 * different counts in one process each get theirs. The products run synchronously on the
 * JavaScript thread (the event loop is blocked meanwhile, as with ONNX Runtime).
 *
 * Environment: OpenBLAS reads OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE, OPENBLAS_NUM_THREADS and
 * OPENBLAS_THREAD_TIMEOUT once, when the addon is first loaded. One of them is chosen here:
 * OpenBLAS's idle pool threads spin 2^OPENBLAS_THREAD_TIMEOUT cycles (default 2^28, ~0.1 s)
 * after each call before they sleep, on the cores the Gram pass's sums then need, so unless the
 * user set it, {@link loadBlasAddon} sets it to {@link THREAD_TIMEOUT} (2^20 cycles, ~0.3 ms)
 * for the load and restores the environment right after — nothing the process later starts
 * inherits it; `threadTimeout` reports what OpenBLAS read. The others are left as they are
 * (a library does not rewrite its host's environment). `core` reports the kernel OpenBLAS
 * chose: on the 2-core Zen 5 VM OPENBLAS_CORETYPE=Haswell gave ~60 % of the throughput of the
 * Cooperlake kernel OpenBLAS 0.3.21 picks by itself, so unset it to get the latter (the
 * bench/score scripts unset both variables before loading the addon, as they do for NumPy).
 *
 * Precision: float32 products with float32 accumulation, like MLAS: the same bounds hold
 * (test/runtime/blas-backend.test.ts checks the ONNX Runtime backend's agreements).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { errors, KrsError } from '../core/errors.js';
import type { MatrixBackend } from '../linalg/backend.js';
import { createGemmBackend, type GemmBackend, type GemmBackendOptions, type GemmEngine, type GemmOperand, symmetricBlockOption } from './gemm-backend.js';

/** What native/krs_blas.c exports (see its header for argument checks). */
export interface KrsBlasAddon {
  /** C = A·Bᵀ, row-major float32: A m×k, B n×k, C m×n (overwritten). */
  sgemmNT(a: Float32Array, b: Float32Array, c: Float32Array, m: number, n: number, k: number): void;
  /** The lower triangle (j ≤ i) of C = A·Aᵀ, A m×k, C m×m; the strict upper triangle is left as it was. */
  ssyrkLower(a: Float32Array, c: Float32Array, m: number, k: number): void;
  /** All of C = A·Aᵀ (the lower triangle by ssyrk, mirrored in C), A m×k, C m×m. */
  ssyrkFull(a: Float32Array, c: Float32Array, m: number, k: number): void;
  /**
   * {@link MatrixBackend.panelSums} in C (double accumulators, AVX2 when the CPU has it) on
   * `threads` threads; each sum is added by one thread in a fixed order, so the sums do not
   * depend on the count.
   */
  panelSums(
    grams: readonly Float32Array[],
    teachers: number,
    rows: number,
    cols: number,
    split: number,
    rowStart: number,
    colStart: number,
    cross: Float64Array,
    frob: Float64Array,
    rowSums: readonly Float64Array[],
    threads: number,
  ): void;
  /**
   * madvise(MADV_HUGEPAGE) over the whole 2 MiB pages inside the array (Linux; a hint the
   * kernel may ignore); the bytes advised.
   */
  adviseHugePages(array: Float32Array): number;
  /** {@link MatrixBackend.centreRows}, in C. */
  centreRows(rows: Float32Array, mean: Float64Array, out: Float32Array, scale: number): number;
  setThreads(n: number): void;
  threads(): number;
  /** OpenBLAS's build string, the name of the kernel it chose for this CPU, and OPENBLAS_THREAD_TIMEOUT as it read it at load ('' unset; older addons: absent). */
  config(): { config: string; core: string; threadTimeout?: string };
}

export interface BlasBackendOptions extends GemmBackendOptions {
  /** OpenBLAS threads for this backend's products (default: all cores, `os.availableParallelism()`). */
  threads?: number;
  /**
   * Symmetric products P·Pᵀ by one `ssyrk` call (`'syrk'`, default) or, like the ONNX Runtime
   * backend, by block columns of `symmetricBlock` rows of sgemm (`'blocks'`). The Gram pass's
   * diagonal blocks on 2 Zen 5 cores (Cooperlake kernel, `productsAsComputed`, interleaved,
   * best of 3), ms: 1024 × 1024 × K
   *
   *     K          ssyrk   blocks of 64   128    256
   *     21 632      82.4       138        108    96.9
   *      4 096      17.6        28.9       23.5  21.1
   *        512       4.4         6.4        5.6   4.9
   */
  symmetric?: 'syrk' | 'blocks';
  /** The built addon (default native/krs_blas.node of this package). */
  addonPath?: string;
}

/** The OpenBLAS backend: call {@link BlasBackend.dispose} when done. */
export type BlasBackend = GemmBackend<'openblas-f32'> & {
  /** The OpenBLAS kernel in use (e.g. `Cooperlake`, or `Haswell` when OPENBLAS_CORETYPE says so). */
  readonly core: string;
  /** OpenBLAS's build configuration string. */
  readonly config: string;
  /** OPENBLAS_THREAD_TIMEOUT as OpenBLAS read it when the addon loaded ('' unset; null: an addon too old to say). */
  readonly threadTimeout: string | null;
};

/** Where `npm run build:native` installs the addon: native/krs_blas.node at the package root (from src/runtime or dist/runtime). */
export const BLAS_ADDON_PATH = fileURLToPath(new URL('../../native/krs_blas.node', import.meta.url));

const loaded = new Map<string, KrsBlasAddon>();

/**
 * OPENBLAS_THREAD_TIMEOUT while the addon loads, unless the user set it: idle pool threads spin
 * 2^20 cycles (~0.3 ms) before sleeping instead of 2^28. Measured on the grid bench (README
 * §Performance, 2026-12-05): the Gram pass's native sums 0.79–0.99 → 0.55–0.62 s a run, the
 * products unchanged within the noise.
 */
export const THREAD_TIMEOUT = '20';

/**
 * The addon at `path`, loaded once per process.
 * @throws BAD_OPTION (one line) when it is not built or does not load (e.g. libopenblas.so.0 missing).
 */
export function loadBlasAddon(path = BLAS_ADDON_PATH): KrsBlasAddon {
  let addon = loaded.get(path);
  if (addon) return addon;
  if (!existsSync(path)) {
    throw new KrsError('BAD_OPTION', `the openblas backend is not built: ${path} is missing (run npm run build:native; it needs gcc and libopenblas-dev)`, {
      option: 'backend',
      value: 'openblas',
      addon: path,
    });
  }
  const userTimeout = process.env.OPENBLAS_THREAD_TIMEOUT;
  try {
    if (userTimeout === undefined) process.env.OPENBLAS_THREAD_TIMEOUT = THREAD_TIMEOUT;
    addon = createRequire(import.meta.url)(path) as KrsBlasAddon;
  } catch (e) {
    const reason = (e as Error).message.split('\n')[0];
    throw new KrsError('BAD_OPTION', `the openblas backend does not load: ${path}: ${reason} (rebuild it with npm run build:native)`, {
      option: 'backend',
      value: 'openblas',
      addon: path,
    });
  } finally {
    if (userTimeout === undefined) delete process.env.OPENBLAS_THREAD_TIMEOUT;
  }
  loaded.set(path, addon);
  return addon;
}

/**
 * The OpenBLAS float32 backend (see the module comment).
 *
 * @example
 *   const backend = await createBlasBackend();
 *   try {
 *     const [gram] = await backend.products([{ op: 'ABt', a: x, b: x }]);
 *   } finally {
 *     await backend.dispose();
 *   }
 * @throws BAD_OPTION for a non-positive thread count or block size, an unknown `symmetric`, or
 *   an addon that is not built or does not load.
 */
export async function createBlasBackend(options: BlasBackendOptions = {}): Promise<BlasBackend> {
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) throw errors.badOption('threads', threads, 'an integer ≥ 1');
  const symmetric = options.symmetric ?? 'syrk';
  if (symmetric !== 'syrk' && symmetric !== 'blocks') throw errors.badOption('symmetric', symmetric, "'syrk' or 'blocks'");
  symmetricBlockOption(options);
  const addon = loadBlasAddon(options.addonPath);
  const { core, config, threadTimeout } = addon.config();
  const backend = createGemmBackend(blasEngine(addon, threads), 'openblas-f32', threads, { ...options, syrk: symmetric === 'syrk' });
  // An addon built before panelSums existed: the Gram pass sums in JavaScript.
  const panelSums: MatrixBackend['panelSums'] =
    typeof addon.panelSums === 'function'
      ? (grams, teachers, { rows, cols, split, rowStart, colStart }, { cross, frob, rowSums }) =>
          addon.panelSums(grams, teachers, rows, cols, split, rowStart, colStart, cross, frob, rowSums, threads)
      : undefined;
  const centreRows: MatrixBackend['centreRows'] = typeof addon.centreRows === 'function' ? addon.centreRows.bind(addon) : undefined;
  return Object.assign(backend, { core, config, threadTimeout: threadTimeout ?? null }, panelSums ? { panelSums } : {}, centreRows ? { centreRows } : {});
}

/** sgemm / ssyrk of the addon, with OpenBLAS's pool set to `threads` before each call's products. */
function blasEngine(addon: KrsBlasAddon, threads: number): GemmEngine {
  return {
    ready(): void {
      if (addon.threads() !== threads) addon.setThreads(threads);
    },
    gemmNT(p: GemmOperand, q: GemmOperand, into: Float32Array): void {
      addon.sgemmNT(p.data, q.data, into, p.rows, q.rows, p.cols);
    },
    syrkLower(p: GemmOperand, into: Float32Array): void {
      addon.ssyrkLower(p.data, into, p.rows, p.cols);
    },
    // Its buffers (centred copies, block products) in transparent huge pages where the kernel
    // allows them, as NumPy's large arrays are: ~1/3 less first-touch time on the VMs we measure on.
    ...(typeof addon.adviseHugePages === 'function' ? { adviseBuffer: (buffer: Float32Array) => void addon.adviseHugePages(buffer) } : {}),
    // An addon built before ssyrkFull existed: the machinery mirrors in JavaScript.
    ...(typeof addon.ssyrkFull === 'function' ? { syrkFull: (p: GemmOperand, into: Float32Array) => addon.ssyrkFull(p.data, into, p.rows, p.cols) } : {}),
    dispose(): void {},
  };
}
