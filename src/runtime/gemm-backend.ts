/**
 * The product machinery of krs's float32 {@link MatrixBackend}s (Node only), shared by every
 * engine that computes one kind of product, C = P·Qᵀ for row-major float32 P (M×K) and
 * Q (N×K) — ONNX Runtime's Gemm (src/runtime/ort-backend.ts) and OpenBLAS's sgemm
 * (src/runtime/blas-backend.ts). Everything else is done here, identically for both:
 * - `ABt` (A·Bᵀ, Gram matrices): P = A, Q = B as given;
 * - `AtB` (Aᵀ·B, feature-space cross-products): P = Aᵀ, Q = Bᵀ. The transposes are made
 *   while converting the operands to float32 (a conversion that is needed anyway), once
 *   per distinct operand per call, so XᵀX and XᵀY share one transposed copy of X.
 *   Measured on 2 Zen 5 cores with n = 10 000 (ONNX Runtime): Gemm on pre-transposed
 *   operands runs at ~450–460 GFLOP/s, against ~340 GFLOP/s for Gemm(transA=1) or
 *   Transpose+MatMul on the untransposed ones; the transposing conversion costs ~20 ms per
 *   10 000 × 2048 float64 operand, ~10 ms more than a plain conversion, and saves ~40 ms on
 *   XᵀY alone. A caller that already holds float32 feature-major data (p × n) skips the
 *   conversion entirely by asking for `ABt(Xᵀ, Yᵀ)` = XᵀY: float32 operands of ABt are used
 *   in place.
 * - Symmetric products (`a === b`): P·Pᵀ is computed one block column of the lower triangle
 *   at a time (C[r0:, r0:r1] = P[r0:]·P[r0:r1]ᵀ, both contiguous row ranges of P, so no
 *   copies), then mirrored; with blocks of `symmetricBlock` rows this does (k+1)/(2k) of the
 *   full flops for k blocks — the saving BLAS `syrk` gives NumPy's `X.T @ X`. An engine with
 *   a `syrkLower` of its own may be asked to compute the lower triangle in one call instead.
 * - Range: operands whose largest |value| leaves [2⁻⁴⁰, 2⁴⁰] are rescaled by a power of two
 *   and the products scaled back in float64 ({@link rangeScale}).
 * - Scratch buffers (operand copies, block outputs, lent buffers) are pooled between calls.
 *
 * Precision: the products are float32 (24-bit mantissa, float32 accumulation). The metrics
 * centre their batches in float64 before calling the backend and accumulate the returned
 * products across batches in float64, so the float32 error does not grow with the number of
 * batches (test/runtime/ort-backend.test.ts and blas-backend.test.ts measure it). Inputs are
 * never modified; `products` returns fresh Float64Arrays, `productsAsComputed` the float32
 * results themselves where no unscaling is needed (the same values).
 */
import { errors } from '../core/errors.js';
import type { Matrix, MatrixBackend, ProductRequest } from '../linalg/backend.js';

/** A row-major float32 matrix handed to an engine (rows × cols values, `data` a view). */
export interface GemmOperand {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float32Array;
}

/**
 * What computes the products. The machinery calls it with rows ≥ 1 and cols ≥ 1 only (empty
 * products never reach it), one call at a time, never after `dispose`.
 */
export interface GemmEngine {
  /** C = P·Qᵀ into `into` (P.rows × Q.rows values, overwritten); P.cols = Q.cols. */
  gemmNT(p: GemmOperand, q: GemmOperand, into: Float32Array): Promise<void> | void;
  /**
   * Optional: the lower triangle (j ≤ i) of C = P·Pᵀ into `into` (P.rows² values); the strict
   * upper triangle may hold anything afterwards. Used only when the backend is told to.
   */
  syrkLower?(p: GemmOperand, into: Float32Array): Promise<void> | void;
  /**
   * Optional, with {@link syrkLower}: all of C = P·Pᵀ into `into` (P.rows² values, both
   * triangles) — what the machinery would make of `syrkLower` by copying and mirroring, without
   * the passes in JavaScript.
   */
  syrkFull?(p: GemmOperand, into: Float32Array): Promise<void> | void;
  /**
   * Optional: called with every new scratch, result or lent buffer before anything touches it
   * (e.g. to ask the kernel for transparent huge pages); must not change its contents.
   */
  adviseBuffer?(buffer: Float32Array): void;
  /** Optional: prepare before a call's first product (e.g. create a session); may throw. */
  ready?(): Promise<void> | void;
  /** Release native resources. */
  dispose(): Promise<void> | void;
}

/** The options every engine's backend takes. */
export interface GemmBackendOptions {
  /**
   * Rows per block for symmetric products, or `false` to compute them as one Gemm.
   * Products with fewer than 2 blocks are never split. Default {@link DEFAULT_SYMMETRIC_BLOCK}.
   */
  symmetricBlock?: number | false;
  /**
   * Keep float32 scratch buffers (operand copies, block outputs, buffers lent with
   * `lendBuffer` and given back) between calls instead of allocating them per call (default
   * true; freed by `dispose`). The price: the memory of the largest pass stays with the backend.
   */
  reuseBuffers?: boolean;
}

/** A float32 MatrixBackend that owns native resources: call `dispose` when done. */
export interface GemmBackend<Name extends string = string> extends MatrixBackend {
  readonly name: Name;
  /** Threads the engine computes with. */
  readonly threads: number;
  productsAsComputed(requests: readonly ProductRequest[]): Promise<(Float32Array | Float64Array)[]>;
  lendBuffer(length: number): Float32Array;
  giveBackBuffer(buffer: Float32Array): void;
  /** Release the engine. Further `products` calls throw BAD_OPTION. Idempotent. */
  dispose(): Promise<void>;
}

/**
 * Default block rows for symmetric products. XᵀX on 2 cores (ONNX Runtime), best of 8, ms:
 *
 *     n × p          one Gemm   256    128    64
 *     10 000 × 2048     220     137    143    134
 *      1 024 × 2048      55      38     35     51
 *        256 × 2048      28      30     22     34
 *      2 000 × 512      5.8     4.4    4.4    5.2
 *
 * (for small n the float64 result's allocation and mirroring dominate). 128 is never far
 * from the best.
 */
export const DEFAULT_SYMMETRIC_BLOCK = 128;

/** The symmetric block option, checked. @throws BAD_OPTION unless an integer ≥ 1 or false. */
export function symmetricBlockOption(options: GemmBackendOptions): number | false {
  const block = options.symmetricBlock ?? DEFAULT_SYMMETRIC_BLOCK;
  if (block !== false && (!Number.isInteger(block) || block < 1)) {
    throw errors.badOption('symmetricBlock', block, 'an integer ≥ 1 or false');
  }
  return block;
}

/**
 * A backend computing with `engine`. Calls to `products` are serialised (one runs at a time),
 * and float32 copies of the operands and block outputs live in scratch buffers that are kept
 * between calls (about 4 bytes × (n·p + n·q) plus one block product for a CKA update) until
 * `dispose`, which also disposes the engine; `reuseBuffers: false` allocates per call instead.
 * With `syrk` (and an engine that has `syrkLower`), symmetric products are one syrk call.
 */
export function createGemmBackend<Name extends string>(
  engine: GemmEngine,
  name: Name,
  threads: number,
  options: GemmBackendOptions & { syrk?: boolean } = {},
): GemmBackend<Name> {
  const reuse = options.reuseBuffers ?? true;
  let disposed = false;
  const ctx: GemmContext = {
    pool: new ScratchPool(reuse, engine.adviseBuffer),
    // The results of productsAsComputed: valid until its next call, then reused (no page faults per block).
    resultPool: new ScratchPool(reuse, engine.adviseBuffer),
    lentPool: new ScratchPool(reuse, engine.adviseBuffer),
    block: symmetricBlockOption(options),
    syrk: options.syrk === true && engine.syrkLower !== undefined,
    engine,
    async ready(): Promise<void> {
      if (disposed) throw errors.badOption('backend', name, 'a backend that has not been disposed');
      await engine.ready?.();
    },
  };
  let queue: Promise<unknown> = Promise.resolve();
  /** Calls run one at a time, in order. */
  const serialised = <T>(work: () => Promise<T>): Promise<T> => {
    const result = queue.then(work);
    queue = result.catch(() => undefined);
    return result;
  };
  return {
    name,
    threads,
    products: (requests) => serialised(() => runProducts(ctx, requests) as Promise<Float64Array[]>),
    /** As the interface says; float32 results live in buffers reused by the next call of this method. */
    productsAsComputed: (requests) =>
      serialised(() => {
        ctx.resultPool.release();
        return runProducts(ctx, requests, true);
      }),
    /** Kept for the next pass once given back, unless `reuseBuffers` is false; freed by dispose. */
    lendBuffer: (length) => ctx.lentPool.take(length),
    giveBackBuffer: (buffer) => ctx.lentPool.giveBack(buffer),
    async dispose(): Promise<void> {
      if (disposed) return;
      await queue;
      disposed = true;
      ctx.pool.clear();
      ctx.resultPool.clear();
      ctx.lentPool.clear();
      await engine.dispose();
    },
  };
}

/** Row-major float32 operand P (rows × cols) of C = P·Qᵀ, with its range scale. */
interface Operand extends GemmOperand {
  /** scale · (A − shift), rounded to float32. */
  data: Float32Array;
  /** A power of two (1 unless the operand's range needed guarding; see {@link guardRange}). */
  scale: number;
}

/**
 * The magnitudes float32 products handle without overflow or underflow: an operand whose
 * largest |value| lies in [2⁻⁴⁰, 2⁴⁰] is used as it is; outside (or non-finite after rounding
 * to float32) it is rescaled by a power of two so that its largest |value| is ~1, exactly (no
 * rounding), and the products are scaled back in float64. So any finite input float64 handles
 * gets the float64 answer to float32 precision, however large or small its values.
 */
const SAFE_MIN = 2 ** -40;
const SAFE_MAX = 2 ** 40;

/** Largest |x| of a float32 array (NaN if any value is NaN). */
function absMax(data: Float32Array): number {
  let m = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    const a = v < 0 ? -v : v;
    if (a > m || Number.isNaN(a)) m = a;
  }
  return m;
}

/** Largest |x − shift| of a matrix, in float64. */
function sourceAbsMax(a: Matrix): number {
  const { rows, cols, data, shift } = a;
  let m = 0;
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    for (let j = 0; j < cols; j++) {
      const v = data[o + j]! - (shift ? shift[j]! : 0);
      const x = v < 0 ? -v : v;
      if (x > m) m = x;
    }
  }
  return m;
}

/** The power of two that brings `max` to [1, 2), or 1 when `max` is already safe (or 0). */
export function rangeScale(max: number): number {
  if (max === 0 || (max >= SAFE_MIN && max <= SAFE_MAX)) return 1;
  return 2 ** -Math.floor(Math.log2(max));
}

/**
 * Float32 scratch buffers reused from call to call. Fresh 80 MB typed arrays cost more in
 * page faults and zero-filling (~25 ms each) than the transposes written into them.
 */
class ScratchPool {
  private free: Float32Array[] = [];
  private used: Float32Array[] = [];
  constructor(
    private readonly enabled: boolean,
    private readonly advise?: (buffer: Float32Array) => void,
  ) {}

  /** A new buffer, advised before first touch. */
  private fresh(length: number): Float32Array {
    const buf = new Float32Array(length);
    this.advise?.(buf);
    return buf;
  }

  /** A buffer of exactly `length` values (a view of a pooled one when possible). */
  take(length: number): Float32Array {
    if (!this.enabled) return this.fresh(length);
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const cap = this.free[i]!.length;
      if (cap >= length && (best < 0 || cap < this.free[best]!.length)) best = i;
    }
    let buf: Float32Array;
    if (best >= 0) {
      buf = this.free.splice(best, 1)[0]!;
    } else {
      // Replace the largest too-small buffer rather than keep it, so the pool stays at
      // the peak working set of one call.
      if (this.free.length) {
        let largest = 0;
        for (let i = 1; i < this.free.length; i++) if (this.free[i]!.length > this.free[largest]!.length) largest = i;
        this.free.splice(largest, 1);
      }
      buf = this.fresh(length);
    }
    this.used.push(buf);
    return buf.length === length ? buf : buf.subarray(0, length);
  }

  /** Return one buffer taken since the last release (a view of it will do); others are ignored. */
  giveBack(view: Float32Array): void {
    const i = this.used.findIndex((u) => u.buffer === view.buffer);
    if (i >= 0) this.free.push(...this.used.splice(i, 1));
  }

  /** Return every buffer taken since the last release. */
  release(): void {
    this.free.push(...this.used);
    this.used = [];
  }

  clear(): void {
    this.free = [];
    this.used = [];
  }
}

/** What the product steps share: the scratch pools, the symmetric block size and the engine. */
interface GemmContext {
  readonly pool: ScratchPool;
  readonly resultPool: ScratchPool;
  /** Buffers lent to callers for a pass's working copies (lendBuffer / giveBackBuffer). */
  readonly lentPool: ScratchPool;
  readonly block: number | false;
  /** Symmetric products by the engine's syrkLower, in one call. */
  readonly syrk: boolean;
  readonly engine: GemmEngine;
  /** Throws BAD_OPTION once the backend is disposed; else readies the engine. */
  ready(): Promise<void>;
}

/** C = P·Qᵀ (M × N, float32) into `into` or a scratch buffer; zeros when K = 0. */
async function gemm(ctx: GemmContext, p: Operand, q: Operand, into?: Float32Array): Promise<Float32Array> {
  const c = into ?? ctx.pool.take(p.rows * q.rows);
  if (c.length === 0) return c;
  if (p.cols === 0) return c.fill(0);
  await ctx.engine.gemmNT(p, q, c);
  return c;
}

/**
 * P·Pᵀ (M × M) into `into` (added) or a fresh array. Block column by block column of the lower
 * triangle: C[r0:M, r0:r1] = P[r0:M]·P[r0:r1]ᵀ (both operands contiguous row ranges of P, no
 * copies; the tall one as Gemm's A, which the Gemm reads in place, the block as B, which it
 * packs), each output row landing contiguously in the result; or, when the engine has a
 * `syrkLower` and the backend was told to use it, the lower triangle in one call (one block
 * of M rows). Then mirrored — or, with `packed`, written straight into the packed lower
 * triangle (row r at r(r+1)/2), no mirror; a fresh float32 square at scale 1 the engine's
 * `syrkFull` writes whole, when it has one.
 */
async function symmetric<T extends Float32Array | Float64Array>(
  ctx: GemmContext,
  p: Operand,
  into: T | undefined,
  packed: boolean,
  unscale: number,
  fresh: (size: number) => T,
): Promise<T> {
  const m = p.rows;
  const k = p.cols;
  const size = packed ? (m * (m + 1)) / 2 : m * m;
  const out = into ?? fresh(size);
  if (out.length !== size) throw errors.internal(`products: 'into' holds ${out.length} values for ${packed ? 'packed ' : ''}${m}×${m}`);
  const syrk = ctx.syrk && k > 0 && m > 0;
  // A fresh float32 square at scale 1: the engine's syrkFull writes it whole (no copy, no mirror here).
  if (syrk && ctx.engine.syrkFull && !into && !packed && unscale === 1 && out instanceof Float32Array) {
    await ctx.engine.syrkFull(p, out);
    return out;
  }
  const bs = syrk || ctx.block === false || m < 2 * ctx.block ? m : ctx.block;
  for (let r0 = 0; r0 < m; r0 += bs) {
    const r1 = Math.min(m, r0 + bs);
    const h = r1 - r0;
    const c = syrk ? await lowerTriangle(ctx, p) : await gemm(ctx, rowRange(p, r0, m), rowRange(p, r0, r1)); // (m − r0) × h
    for (let i = 0; i < m - r0; i++) {
      const r = r0 + i;
      const o = (packed ? (r * (r + 1)) / 2 : r * m) + r0;
      const ci = i * h;
      const width = Math.min(h, i + 1); // lower triangle: column ≤ row
      if (into) for (let j = 0; j < width; j++) out[o + j] += c[ci + j]! * unscale;
      else for (let j = 0; j < width; j++) out[o + j] = c[ci + j]! * unscale;
    }
  }
  if (!packed) mirrorLower(out, m);
  return out;
}

/** Rows [r0, r1) of P, a view (no copy). */
function rowRange(p: Operand, r0: number, r1: number): Operand {
  return { rows: r1 - r0, cols: p.cols, data: p.data.subarray(r0 * p.cols, r1 * p.cols), scale: p.scale };
}

/** The lower triangle of P·Pᵀ (M × M, K ≥ 1) in a scratch buffer by the engine's `syrkLower`; the strict upper triangle is unspecified. */
async function lowerTriangle(ctx: GemmContext, p: Operand): Promise<Float32Array> {
  const c = ctx.pool.take(p.rows * p.rows);
  await ctx.engine.syrkLower!(p, c);
  return c;
}

/**
 * The float32 operands of one call, each converted once: XᵀX and XᵀY share X's float32
 * transpose; a float32 operand of ABt without a shift is used in place.
 */
function operandCache(pool: ScratchPool): { asTransposed(a: Matrix): Operand; asPlain(a: Matrix): Operand } {
  const transposed = new Map<Matrix, Operand>();
  const plain = new Map<Matrix, Operand>();
  return {
    asTransposed(a) {
      let o = transposed.get(a);
      if (!o) {
        const buffer = pool.take(a.data.length);
        const range = { max: Number.NaN };
        let data = transposeToFloat32(a, buffer, 1, range);
        // The largest |value| came with the conversion (NaN when the short path did not measure it).
        const scale = a.rangeSafe ? 1 : Number.isNaN(range.max) ? guardRange(data, a) : rangeScaleOf(range.max, a);
        if (scale !== 1) data = transposeToFloat32(a, buffer, scale);
        transposed.set(a, (o = { rows: a.cols, cols: a.rows, data, scale }));
      }
      return o;
    },
    asPlain(a) {
      let o = plain.get(a);
      if (!o) {
        let data: Float32Array;
        if (a.data instanceof Float32Array && !a.shift) data = a.data;
        else data = shiftToFloat32(a, pool.take(a.data.length));
        const scale = a.rangeSafe ? 1 : guardRange(data, a);
        if (scale !== 1) data = shiftToFloat32(a, data === a.data ? pool.take(a.data.length) : data, scale);
        plain.set(a, (o = { rows: a.rows, cols: a.cols, data, scale }));
      }
      return o;
    },
  };
}

/**
 * The products of `requests`; with `asComputed`, a product that needs no unscaling and goes
 * into no caller's array is returned as its float32 values (see `productsAsComputed`).
 */
async function runProducts(ctx: GemmContext, requests: readonly ProductRequest[], asComputed = false): Promise<(Float32Array | Float64Array)[]> {
  await ctx.ready(); // throws after dispose, before any work
  const operands = operandCache(ctx.pool);
  try {
    const results: (Float32Array | Float64Array)[] = [];
    for (const r of requests) {
      checkRequest(r);
      if (asComputed && (r.into || r.packed)) throw errors.internal('productsAsComputed: requests with into or packed go to products');
      results.push(await oneProduct(ctx, r, operands, asComputed));
    }
    return results;
  } finally {
    ctx.pool.release();
  }
}

/** One request's product (see {@link runProducts}). */
async function oneProduct(
  ctx: GemmContext,
  r: ProductRequest,
  operands: ReturnType<typeof operandCache>,
  asComputed: boolean,
): Promise<Float32Array | Float64Array> {
  const p = r.op === 'AtB' ? operands.asTransposed(r.a) : operands.asPlain(r.a);
  if (sameMatrix(r.a, r.b)) {
    const unscale = 1 / (p.scale * p.scale);
    return asComputed && unscale === 1
      ? symmetric(ctx, p, undefined, false, 1, (size) => ctx.resultPool.take(size))
      : symmetric(ctx, p, r.into, r.packed === true, unscale, (size) => new Float64Array(size));
  }
  if (r.packed) throw errors.internal('products: packed results need a symmetric request (a === b)');
  const q = r.op === 'AtB' ? operands.asTransposed(r.b) : operands.asPlain(r.b);
  const unscale = 1 / (p.scale * q.scale);
  if (asComputed && unscale === 1) return gemm(ctx, p, q, ctx.resultPool.take(p.rows * q.rows));
  const c = await gemm(ctx, p, q);
  if (r.into) {
    if (r.into.length !== c.length) throw errors.internal(`products: 'into' holds ${r.into.length} values for ${p.rows}×${q.rows}`);
    if (unscale === 1) for (let i = 0; i < c.length; i++) r.into[i] += c[i]!;
    else for (let i = 0; i < c.length; i++) r.into[i] += c[i]! * unscale;
    return r.into;
  }
  const out = new Float64Array(c.length);
  if (unscale === 1) out.set(c);
  else for (let i = 0; i < c.length; i++) out[i] = c[i]! * unscale;
  return out;
}

/** The same matrix, as an object or as the same data with the same shape. */
function sameMatrix(a: Matrix, b: Matrix): boolean {
  return a === b || (a.data === b.data && a.rows === b.rows && a.cols === b.cols && a.shift === b.shift);
}

/** scale·(data − shift) (row-wise) as float32, written into `out`; computed in float64. */
function shiftToFloat32(a: Matrix, out: Float32Array, scale = 1): Float32Array {
  const { rows, cols, data, shift } = a;
  if (!shift && scale === 1) {
    out.set(data);
    return out;
  }
  const c = shift ?? new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    if (scale === 1) for (let j = 0; j < cols; j++) out[o + j] = data[o + j]! - c[j]!;
    else for (let j = 0; j < cols; j++) out[o + j] = (data[o + j]! - c[j]!) * scale;
  }
  return out;
}

/** The scale for an operand whose largest converted |value| is `max` (checked against the float64 source when unsafe). */
function rangeScaleOf(max: number, source: Matrix): number {
  if (max === 0 || (max >= SAFE_MIN && max <= SAFE_MAX)) return 1;
  return rangeScale(sourceAbsMax(source));
}

/**
 * The power-of-two scale an operand needs (1 almost always): from the float32 values when
 * they are finite and their largest magnitude is safe, else from the float64 source.
 */
function guardRange(converted: Float32Array, source: Matrix): number {
  const m = absMax(converted);
  if (m === 0 || (m >= SAFE_MIN && m <= SAFE_MAX)) return 1;
  return rangeScale(sourceAbsMax(source));
}

function checkRequest(r: ProductRequest): void {
  for (const m of [r.a, r.b]) {
    if (m.data.length !== m.rows * m.cols) {
      throw errors.internal(`${r.op} operand holds ${m.data.length} values for ${m.rows}×${m.cols}`);
    }
  }
  if (r.op === 'AtB' && r.a.rows !== r.b.rows) {
    throw errors.shapeMismatch('AᵀB', `${r.a.rows} rows in B`, `${r.b.rows}`, { op: r.op });
  }
  if (r.op === 'ABt' && r.a.cols !== r.b.cols) {
    throw errors.shapeMismatch('A·Bᵀ', `${r.a.cols} columns in B`, `${r.b.cols}`, { op: r.op });
  }
}

const TILE = 64;

/** Copy the lower triangle of a square row-major matrix onto its upper triangle, by tiles. */
function mirrorLower(out: Float32Array | Float64Array, m: number): void {
  for (let i0 = 0; i0 < m; i0 += TILE) {
    const i1 = Math.min(m, i0 + TILE);
    for (let j0 = i0; j0 < m; j0 += TILE) {
      const j1 = Math.min(m, j0 + TILE);
      // rows i in [i0, i1), columns j > i in [j0, j1): out[i][j] = out[j][i]
      for (let i = i0; i < i1; i++) {
        const oi = i * m;
        for (let j = Math.max(j0, i + 1); j < j1; j++) out[oi + j] = out[j * m + i]!;
      }
    }
  }
}

const STRIP = 128;

/**
 * (A − 1·shiftᵀ)ᵀ as a row-major float32 array (cols × rows; A itself without a shift), written into `out` (a fresh array when
 * omitted). Works on strips of 128 columns, 8 source rows at a time, so every write is a
 * run of 8 consecutive floats: ~20 ms for 10 000 × 2048 float64 (4× a naive tiled loop).
 */
export function transposeToFloat32(a: Matrix, out: Float32Array = new Float32Array(a.rows * a.cols), scale = 1, range?: { max: number }): Float32Array {
  const { rows: n, cols: p, data: x } = a;
  if (out.length !== n * p) throw errors.internal(`transpose buffer holds ${out.length} values for ${n}×${p}`);
  if (scale !== 1) {
    // The rare path of a rescaled operand (see guardRange): plain loops.
    const c = a.shift ?? new Float64Array(p);
    for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) out[j * n + i] = (x[i * p + j]! - c[j]!) * scale;
    return out;
  }
  if (!a.shift && (p === 1 || n === 1)) {
    out.set(x);
    return out;
  }
  // With a shift, each value is x − c[j] computed in float64, then rounded to float32.
  const c = a.shift ?? new Float64Array(p);
  const n8 = n - (n % 8);
  let hi = 0;
  let lo = 0;
  for (let j0 = 0; j0 < p; j0 += STRIP) {
    const j1 = Math.min(p, j0 + STRIP);
    for (let i = 0; i < n8; i += 8) {
      const r = i * p;
      for (let j = j0; j < j1; j++) {
        const d = j * n + i;
        const s = r + j;
        const cj = c[j]!;
        const v0 = x[s]! - cj;
        const v1 = x[s + p]! - cj;
        const v2 = x[s + 2 * p]! - cj;
        const v3 = x[s + 3 * p]! - cj;
        const v4 = x[s + 4 * p]! - cj;
        const v5 = x[s + 5 * p]! - cj;
        const v6 = x[s + 6 * p]! - cj;
        const v7 = x[s + 7 * p]! - cj;
        out[d] = v0;
        out[d + 1] = v1;
        out[d + 2] = v2;
        out[d + 3] = v3;
        out[d + 4] = v4;
        out[d + 5] = v5;
        out[d + 6] = v6;
        out[d + 7] = v7;
        // The range of what was converted, in the same pass (see guardRange): max |v| via max(v) and −min(v).
        hi = Math.max(hi, v0, v1, v2, v3, v4, v5, v6, v7);
        lo = Math.min(lo, v0, v1, v2, v3, v4, v5, v6, v7);
      }
    }
    for (let i = n8; i < n; i++) {
      const r = i * p;
      for (let j = j0; j < j1; j++) {
        const v = x[r + j]! - c[j]!;
        out[j * n + i] = v;
        hi = Math.max(hi, v);
        lo = Math.min(lo, v);
      }
    }
  }
  if (range) range.max = Math.max(hi, -lo);
  return out;
}
