/**
 * The pluggable matrix backend: the only place where O(n·p·q) work happens.
 *
 * Metrics centre their batches in float64 and hand the products to a backend.
 * The pure-TypeScript backend ({@link typescriptBackend}) computes in float64 and
 * runs anywhere, including browsers; the ONNX Runtime backend (Node only,
 * `src/runtime/ort-backend.ts`) multiplies in float32 at BLAS speed. Results are
 * always returned as float64 so that accumulation across batches stays exact.
 */

/**
 * A dense row-major matrix. With `shift`, the matrix meant is `data − 1·shiftᵀ` (the shift
 * subtracted from every row, in float64): metrics centre their features this way without
 * materialising a centred copy, and backends apply it while converting the operand.
 */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array | Float32Array;
  /** Column offsets (length `cols`) subtracted from every row. */
  readonly shift?: Float64Array;
  /**
   * The caller guarantees the largest |value − shift| lies in [2⁻⁴⁰, 2⁴⁰] or is 0 (e.g. rows it
   * already scaled), so a float32 backend may skip its range check of this operand.
   */
  readonly rangeSafe?: boolean;
}

/**
 * One product to compute.
 * - `AtB`: Aᵀ·B for A (n×p) and B (n×q) → p×q. With `a === b` the result is symmetric.
 * - `ABt`: A·Bᵀ for A (n×p) and B (m×p) → n×m (Gram matrices).
 */
export interface ProductRequest {
  readonly op: 'AtB' | 'ABt';
  readonly a: Matrix;
  readonly b: Matrix;
  /**
   * Accumulate the product into this array (`into += product`) and return it, instead of
   * returning a fresh array. For symmetric requests (a === b) `into` must be symmetric.
   */
  readonly into?: Float64Array;
  /**
   * Symmetric requests only (a === b): the result (and `into`) is the packed lower triangle,
   * row-major, entry (i, j ≤ i) at i(i+1)/2 + j — half the memory of the full square.
   */
  readonly packed?: boolean;
}

export interface MatrixBackend {
  /** Short name reported in results, e.g. `typescript-f64` or `onnxruntime-f32`. */
  readonly name: string;
  /** Compute every requested product; the i-th result answers the i-th request. */
  products(requests: readonly ProductRequest[]): Promise<Float64Array[]>;
  /**
   * Optional: the same products at the precision the backend computed them — a float32
   * backend returns its float32 results themselves instead of float64 copies (the values are
   * identical: float32 → float64 is exact), for callers that only read them, such as the Gram
   * pass's element-wise sums. Requests with `into` or `packed` are refused by backends that
   * implement it; callers fall back to {@link products} when it is absent. The results may live
   * in the backend's scratch buffers: read them before the next call of this method.
   */
  productsAsComputed?(requests: readonly ProductRequest[]): Promise<(Float32Array | Float64Array)[]>;
  /**
   * Optional, with {@link giveBackBuffer}: lend a float32 buffer of `length` values (contents
   * unspecified) for a large working copy made once per pass, such as the Gram pass's centred
   * rows. A buffer given back is kept for the next pass instead of freed: a fresh array is paid
   * for in page faults on first touch (~14 µs per 4 KiB page on the virtual machines we measure
   * on, ~3.5 s per GB), which a second pass in the same process then skips.
   */
  lendBuffer?(length: number): Float32Array;
  /** Give back a buffer {@link lendBuffer} lent (any other array is ignored). */
  giveBackBuffer?(buffer: Float32Array): void;
  /**
   * Optional: the Gram pass's element-wise sums of one round, in native code. For panels
   * K⁽ˡ⁾ = `grams[l]` (rows × cols, row-major float32; the first `teachers` the teacher's,
   * L⁽ˢ⁾ = `grams[teachers + s]` the student's), columns before `split` in the diagonal block
   * (weight 1) and the rest standing for both triangles (weight 2), add in float64
   *
   *     frob[l]                  += Σᵢ (Σ_{j<split} K⁽ˡ⁾ᵢⱼ² + 2·Σ_{j≥split} K⁽ˡ⁾ᵢⱼ²)
   *     rowSums[l][rowStart + i] += Σⱼ K⁽ˡ⁾ᵢⱼ
   *     rowSums[l][colStart + j] += Σᵢ K⁽ˡ⁾ᵢⱼ        for j ≥ split
   *     cross[t·S + s]           += Σᵢ (Σ_{j<split} K⁽ᵗ⁾ᵢⱼL⁽ˢ⁾ᵢⱼ + 2·Σ_{j≥split} K⁽ᵗ⁾ᵢⱼL⁽ˢ⁾ᵢⱼ)
   *
   * (S = grams.length − teachers): what the Gram pass's JavaScript loops add, in another order
   * (equal up to rounding). The Gram pass calls it instead of them when present and every panel
   * is float32.
   */
  panelSums?(grams: readonly Float32Array[], teachers: number, panel: PanelPlace, into: PanelSumsInto): void;
  /**
   * Optional: the Gram pass's centring of float32 rows in native code — `out[i·p + j] =
   * scale·(rows[i·p + j] − mean[j])` (p = mean.length; the difference in float64, rounded once
   * to float32: the same bits as the pass's JavaScript loop), returning the largest
   * |rows − mean| before scaling. `rows` and `out` hold the same whole number of rows.
   */
  centreRows?(rows: Float32Array, mean: Float64Array, out: Float32Array, scale: number): number;
}

/** Where a Gram pass panel lies: rows [rowStart, rowStart + rows) × columns [colStart, colStart + cols), the first `split` columns in the diagonal block. */
export interface PanelPlace {
  readonly rows: number;
  readonly cols: number;
  readonly split: number;
  readonly rowStart: number;
  readonly colStart: number;
}

/** Where {@link MatrixBackend.panelSums} adds its sums. */
export interface PanelSumsInto {
  /** Per pair, t·S + s. */
  readonly cross: Float64Array;
  /** Per layer. */
  readonly frob: Float64Array;
  /** Per layer, the row sums of its whole Gram matrix (length n). */
  readonly rowSums: readonly Float64Array[];
}

/** Make a Matrix, checking the data length. */
export function matrix(data: Float64Array | Float32Array, rows: number, cols: number): Matrix {
  if (data.length !== rows * cols) throw new RangeError(`matrix: ${data.length} values for ${rows}×${cols}`);
  return { rows, cols, data };
}
