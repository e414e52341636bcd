/**
 * The cross-layer CKA matrix: linear CKA of every teacher layer against every student layer
 * (for heatmaps), streamed batch by batch, sharing per-layer statistics across pairs. Its
 * cells are the exact linear CKA that `krs score` reports for the same pair (the same
 * quantity by the same two exact routes; equal up to float rounding):
 *
 * - `exact`, route `feature-space` — from feature-space sums: per layer Σx' and Σx'x'ᵀ
 *   (x' = x − the first batch's mean), per pair Σx'y'ᵀ; then Cxy = Σx'y'ᵀ − n·m̄ₓm̄ᵧᵀ and
 *   CKA = ‖Cxy‖²_F / (‖Cxx‖_F·‖Cyy‖_F). Memory 8·(Σp² + Σq² + Σp·q) bytes;
 * - `exact`, route `sample-space` — the layers' rows are kept and one {@link gramPass}
 *   visits every layer's n × n Gram matrix block by block, shared by all pairs. Memory
 *   2·n·(Σp + Σq)·(4 or 8) bytes (rows and their centred copy; the rows are the caller's own
 *   arrays, not a copy, when handed over: {@link CrossLayerCka.update}); cost ≈ n²/2·(Σp + Σq) + n²/2 per pair.
 *   The route is the cheaper one that fits `memoryBudget` (with `samples` known), else the
 *   feature space while it fits;
 * - `minibatch-unbiased-hsic` — only when asked for (`estimator: 'minibatch'`): Nguyen, Raghu
 *   & Kornblith (2021), the unbiased HSIC₁ of every pair per batch, averaged over batches.
 *
 * A layer whose features are constant has undefined CKA: its cells are null and a warning
 * names it (the matrix as a whole is still useful).
 */
import { errors, opt } from '../core/errors.js';
import { sizeOf, type Tensor } from '../core/tensor.js';
import { assertFinite } from '../core/validate.js';
import type { Matrix, MatrixBackend } from '../linalg/backend.js';
import { centreColumns } from '../linalg/centre.js';
import { gramPass, hsicFromSums } from '../linalg/gram-pass.js';
import { typescriptBackend } from '../linalg/typescript-backend.js';
import { addInto, columnMeans, subtractRow } from '../linalg/vector.js';
import { featureMatrix, type Pooling } from './features.js';
import { CENTRED_VALUE_BYTES, ckaFromGramSums, DEFAULT_MEMORY_BUDGET, rowSource } from './linear-cka.js';
import { MIN_MINIBATCH, unbiasedHsic } from './minibatch-hsic.js';
import { appendRows, initRowStore, type RowStore } from './row-store.js';
import type { EstimatorChoice, ExactRoute } from './spec.js';

export type CrossLayerEstimator = 'exact' | 'minibatch-unbiased-hsic';

export interface CrossLayerOptions {
  pool?: Pooling;
  channelsLast?: boolean;
  backend?: MatrixBackend;
  /** `exact` (default, by the cheaper exact route) or the minibatch estimator, only when asked for. */
  estimator?: EstimatorChoice;
  /** Bytes the whole matrix's exact statistics or stored rows may take; default 4 GiB. */
  memoryBudget?: number;
  /** Samples expected, when known: lets the exact route be chosen by cost. */
  samples?: number;
  /** Force an exact route (tests, benchmarks). */
  exactRoute?: 'auto' | ExactRoute;
}

export interface CrossLayerResult {
  teacherLayers: string[];
  studentLayers: string[];
  /** cka[i][j]: CKA of teacher layer i and student layer j, in [0, 1] (null when undefined). */
  cka: (number | null)[][];
  estimator: CrossLayerEstimator;
  /** The exact route (null for the minibatch estimator). */
  route: ExactRoute | null;
  n: number;
  batches: number;
  teacherWidths: number[];
  studentWidths: number[];
  warnings: string[];
}

interface ExactLayer {
  width: number;
  shift: Float64Array;
  sum: Float64Array;
  xx: Float64Array;
}

/**
 * @example
 *   const m = new CrossLayerCka(['conv1', 'fc1'], ['conv', 'fc'], { pool: 'gap' });
 *   for (const b of batches) await m.update(b.teacher, b.student);
 *   m.compute().cka // [[0.91, 0.42], [0.37, 0.80]]
 */
export class CrossLayerCka {
  private readonly backend: MatrixBackend;
  private mode: CrossLayerEstimator | null = null;
  private route: ExactRoute | null = null;
  // sample-space
  private tRows: RowStore[] = [];
  private sRows: RowStore[] = [];
  private n = 0;
  private batches = 0;
  private tWidths: number[] = [];
  private sWidths: number[] = [];
  // exact
  private tStats: ExactLayer[] = [];
  private sStats: ExactLayer[] = [];
  private xy: Float64Array[][] = [];
  // minibatch
  private hxy: Float64Array[] = [];
  private htt: Float64Array = new Float64Array(0);
  private hss: Float64Array = new Float64Array(0);

  constructor(
    readonly teacherLayers: readonly string[],
    readonly studentLayers: readonly string[],
    private readonly options: CrossLayerOptions = {},
  ) {
    if (teacherLayers.length === 0 || studentLayers.length === 0) {
      throw errors.badOption('cross-layer layers', { teacher: teacherLayers.length, student: studentLayers.length }, 'at least one layer on each side');
    }
    this.backend = options.backend ?? typescriptBackend;
  }

  /**
   * Fold in one batch: activations by layer name, the same samples on both sides. `masks` (N, T)
   * of 0/1 per side are used by `mean` pooling of sequences (a transformer's `attention_mask`:
   * padded tokens do not count); other poolings ignore them. The arrays are never modified. On
   * the sample-space route the rows are kept: copied, unless `handOver` says the caller hands
   * the arrays over — then they are kept as they are (no copy, so no second full copy of the
   * rows beside the Gram pass's centred one), and the caller must not modify them while this
   * object lives. Pooled features are this object's own and never copied.
   */
  async update(
    teacher: Readonly<Record<string, Tensor>>,
    student: Readonly<Record<string, Tensor>>,
    masks: { readonly teacher?: Tensor; readonly student?: Tensor } = {},
    options: { readonly handOver?: boolean } = {},
  ): Promise<void> {
    const feat = (side: 'teacher' | 'student', names: readonly string[], acts: Readonly<Record<string, Tensor>>): Matrix[] =>
      names.map((name) => {
        const t = acts[name];
        if (!t) throw errors.unknownKey(`${side} layer`, name, 'the batch', Object.keys(acts));
        // Flattened float rows are used in place (checked for NaN/Inf when centred); pooling goes through featureMatrix.
        const flat =
          (this.options.pool ?? 'flatten') === 'flatten' && (t.data instanceof Float32Array || t.data instanceof Float64Array) && t.shape.length >= 1;
        if (flat) {
          const n = t.shape[0]!;
          return {
            rows: n,
            cols: n ? t.data.length / n : sizeOf(t.shape.slice(1)),
            data: t.data as Float32Array | Float64Array,
            what: `${side} layer '${name}'`,
            tensor: t,
            own: options.handOver === true,
          } as Matrix;
        }
        const mask = this.options.pool === 'mean' ? masks[side] : undefined;
        const m = featureMatrix(t, `${side} layer '${name}'`, { pool: this.options.pool, channelsLast: this.options.channelsLast, ...(mask ? { mask } : {}) });
        return { ...m, own: options.handOver === true || m.data !== t.data } as Matrix;
      });
    const xs = feat('teacher', this.teacherLayers, teacher);
    const ys = feat('student', this.studentLayers, student);
    const rows = xs[0]!.rows;
    for (const [i, m] of [...xs, ...ys].entries()) {
      if (m.rows !== rows) {
        const name = i < xs.length ? this.teacherLayers[i] : this.studentLayers[i - xs.length];
        throw errors.sampleCountMismatch(`cross-layer CKA batch (layer '${name}')`, rows, m.rows);
      }
    }
    if (rows === 0) return;
    if (this.mode === null) this.start(xs, ys);
    const check = (ms: Matrix[], widths: number[], names: readonly string[]) =>
      ms.forEach((m, i) => {
        if (m.cols !== widths[i]) throw errors.shapeMismatch(`layer '${names[i]}'`, `width ${widths[i]} as in earlier batches`, `${m.cols}`);
      });
    check(xs, this.tWidths, this.teacherLayers);
    check(ys, this.sWidths, this.studentLayers);
    if (this.route === 'sample-space') this.updateRows(xs, ys, rows);
    else if (this.mode === 'exact') await this.updateExact(xs, ys, rows);
    else await this.updateMinibatch(xs, ys, rows);
    this.n += rows;
    this.batches += 1;
  }

  private start(xs: Matrix[], ys: Matrix[]): void {
    this.tWidths = xs.map((m) => m.cols);
    this.sWidths = ys.map((m) => m.cols);
    this.mode = this.options.estimator === 'minibatch' ? 'minibatch-unbiased-hsic' : 'exact';
    this.route = this.mode === 'exact' ? this.chooseRoute(xs, ys) : null;
    if (this.route === 'sample-space') {
      this.tRows = this.tWidths.map(initRowStore);
      this.sRows = this.sWidths.map(initRowStore);
    } else if (this.mode === 'exact') {
      const init = (w: number): ExactLayer => ({ width: w, shift: new Float64Array(0), sum: new Float64Array(w), xx: new Float64Array(w * w) });
      this.tStats = this.tWidths.map(init);
      this.sStats = this.sWidths.map(init);
      this.xy = this.tWidths.map((p) => this.sWidths.map((q) => new Float64Array(p * q)));
    } else {
      this.hxy = this.tWidths.map(() => new Float64Array(this.sWidths.length));
      this.htt = new Float64Array(this.tWidths.length);
      this.hss = new Float64Array(this.sWidths.length);
    }
  }

  /**
   * The cheaper exact route that fits the memory budget: feature space costs
   * ≈ n·(Σp²/2 + Σq²/2 + Σp·Σq) and 8·(Σp² + Σq² + Σp·Σq) bytes; sample space ≈ n²/2·(Σp + Σq)
   * and n·Σ(p·b) + 8·n·(Σp + Σq) bytes (every layer's rows at their own precision b — 4 bytes for
   * float32 rows, 8 for float64 — plus the Gram pass's centred copy priced at float64, as
   * `sampleSpaceBytes` of a pair). Without a sample count, the feature space while it fits.
   */
  private chooseRoute(xs: readonly Matrix[], ys: readonly Matrix[]): ExactRoute {
    const forced = this.options.exactRoute;
    if (forced === 'feature-space' || forced === 'sample-space') return forced;
    const sp = this.tWidths.reduce((a, w) => a + w, 0);
    const sq = this.sWidths.reduce((a, w) => a + w, 0);
    const squares = [...this.tWidths, ...this.sWidths].reduce((a, w) => a + w * w, 0);
    const featureBytes = 8 * (squares + sp * sq);
    const budget = this.options.memoryBudget ?? DEFAULT_MEMORY_BUDGET;
    const n = this.options.samples;
    if (n === undefined) return featureBytes <= budget ? 'feature-space' : 'sample-space';
    const featureCost = n * (squares / 2 + sp * sq);
    const sampleCost = ((n * n) / 2) * (sp + sq);
    const rowBytes = [...xs, ...ys].reduce((a, m) => a + m.cols * (m.data.BYTES_PER_ELEMENT + CENTRED_VALUE_BYTES), 0);
    const sampleBytes = n * rowBytes;
    const sampleFits = sampleBytes <= budget;
    if (featureBytes <= budget && (featureCost <= sampleCost || !sampleFits)) return 'feature-space';
    if (sampleFits) return 'sample-space';
    throw errors.badValue(
      `exact cross-layer CKA of ${this.tWidths.length} × ${this.sWidths.length} layers (${n} samples)`,
      `${Math.round(featureBytes / 2 ** 20)} MiB of feature-space statistics or ${Math.round(sampleBytes / 2 ** 20)} MiB of stored rows`,
      `at most the memory budget ${Math.round(budget / 2 ** 20)} MiB: raise ${opt('memoryBudget')}, pool the layers, or ask for the minibatch ${opt('estimator')}`,
    );
  }

  private updateRows(xs: Matrix[], ys: Matrix[], rows: number): void {
    const budget = this.options.memoryBudget ?? DEFAULT_MEMORY_BUDGET;
    // The rows kept plus the centred copy the Gram pass makes of them (priced at float64).
    const bytes = [...xs, ...ys].reduce(
      (a, m, i) => a + ((i < xs.length ? this.tRows[i]! : this.sRows[i - xs.length]!).rows + rows) * m.cols * (m.data.BYTES_PER_ELEMENT + CENTRED_VALUE_BYTES),
      0,
    );
    if (bytes > budget) {
      throw errors.badValue(
        `stored rows of the cross-layer CKA for its sample-space route`,
        `${Math.round(bytes / 2 ** 20)} MiB`,
        `at most the memory budget ${Math.round(budget / 2 ** 20)} MiB: raise ${opt('memoryBudget')}, pool the layers, or ask for the minibatch ${opt('estimator')}`,
      );
    }
    const keep = (m: Matrix, store: RowStore) => {
      const src = m as Matrix & { what?: string; tensor?: Tensor; own?: boolean };
      // Arrays no one else writes to (pooled here, or handed over) are kept as they are.
      appendRows(store, m.data, rows, src.own === true);
      if (!store.colSums.every(Number.isFinite)) assertFinite(src.tensor ?? { dtype: 'float64', shape: [rows, m.cols], data: m.data }, src.what ?? 'layer');
    };
    xs.forEach((m, i) => keep(m, this.tRows[i]!));
    ys.forEach((m, i) => keep(m, this.sRows[i]!));
  }

  private async updateExact(xs: Matrix[], ys: Matrix[], rows: number): Promise<void> {
    for (const m of [...xs, ...ys]) {
      const src = m as Matrix & { what?: string; tensor?: Tensor };
      if (src.tensor) assertFinite(src.tensor, src.what ?? 'layer');
    }
    const shifted = (m: Matrix, st: ExactLayer): Matrix => {
      if (st.shift.length === 0) st.shift = columnMeans(m.data, rows, m.cols);
      const data = subtractRow(m.data, rows, m.cols, st.shift);
      for (let i = 0; i < rows; i++) for (let j = 0; j < m.cols; j++) st.sum[j] += data[i * m.cols + j]!;
      return { rows, cols: m.cols, data };
    };
    const tx = xs.map((m, i) => shifted(m, this.tStats[i]!));
    const sy = ys.map((m, i) => shifted(m, this.sStats[i]!));
    const requests = [
      ...tx.map((a) => ({ op: 'AtB' as const, a, b: a })),
      ...sy.map((a) => ({ op: 'AtB' as const, a, b: a })),
      ...tx.flatMap((a) => sy.map((b) => ({ op: 'AtB' as const, a, b }))),
    ];
    const out = await this.backend.products(requests);
    let k = 0;
    for (const st of this.tStats) addInto(st.xx, out[k++]!);
    for (const st of this.sStats) addInto(st.xx, out[k++]!);
    for (const row of this.xy) for (const cell of row) addInto(cell, out[k++]!);
  }

  private async updateMinibatch(xs: Matrix[], ys: Matrix[], rows: number): Promise<void> {
    if (rows < MIN_MINIBATCH) {
      throw errors.badValue('minibatch size of the cross-layer CKA', rows, `at least ${MIN_MINIBATCH} samples (the unbiased HSIC estimator divides by b(b−3))`);
    }
    // A float32 backend gets float32 operands (centred in float64 first): no conversion copy there.
    const f32 = this.backend.name.endsWith('f32');
    const centred = (m: Matrix): Matrix => {
      const c = centreColumns(m.data, rows, m.cols, f32);
      if (!c.finite) {
        const src = m as Matrix & { what?: string; tensor?: Tensor };
        assertFinite(src.tensor ?? { dtype: 'float64', shape: [rows, m.cols], data: m.data }, src.what ?? 'layer');
      }
      return { rows, cols: m.cols, data: c.data };
    };
    const all = [...xs, ...ys].map(centred);
    const grams = await this.backend.products(all.map((a) => ({ op: 'ABt' as const, a, b: a })));
    const tg = grams.slice(0, xs.length);
    const sg = grams.slice(xs.length);
    tg.forEach((k, i) => (this.htt[i] += unbiasedHsic(k, k, rows)));
    sg.forEach((l, j) => (this.hss[j] += unbiasedHsic(l, l, rows)));
    tg.forEach((k, i) => sg.forEach((l, j) => (this.hxy[i]![j] += unbiasedHsic(k, l, rows))));
  }

  /** The matrix of everything seen. @throws UNDEFINED when no sample was seen. */
  async compute(): Promise<CrossLayerResult> {
    if (this.mode === null || this.n === 0) throw errors.undefinedResult('cross-layer CKA', 'no samples were seen');
    const warnings: string[] = [];
    const tn = this.teacherLayers;
    const sn = this.studentLayers;
    const cka =
      this.route === 'sample-space'
        ? await this.sampleSpaceMatrix(warnings)
        : this.mode === 'exact'
          ? this.exactMatrix(warnings)
          : this.minibatchMatrix(warnings);
    return {
      teacherLayers: [...tn],
      studentLayers: [...sn],
      cka,
      estimator: this.mode,
      route: this.route,
      n: this.n,
      batches: this.batches,
      teacherWidths: [...this.tWidths],
      studentWidths: [...this.sWidths],
      warnings,
    };
  }

  /** Exact CKA of every cell from one Gram pass over the stored rows (null for a constant layer). */
  private async sampleSpaceMatrix(warnings: string[]): Promise<(number | null)[][]> {
    const tn = this.teacherLayers;
    const sn = this.studentLayers;
    const n = this.n;
    const sums = await gramPass(this.tRows.map(rowSource), this.sRows.map(rowSource), n, this.backend);
    const constant = (l: { frob: number; rowSums: Float64Array; diag: Float64Array }) => !(hsicFromSums(l.frob, l, l, n, false) > 1e-12 * l.frob);
    const tConst = sums.teacher.map(constant);
    const sConst = sums.student.map(constant);
    const cka: (number | null)[][] = tn.map((_, i) =>
      sn.map((_, j) =>
        tConst[i] || sConst[j] ? null : clamp(ckaFromGramSums(sums.cross[i]![j]!, sums.teacher[i]!, sums.student[j]!, n, false, tn[i]!, sn[j]!)),
      ),
    );
    tConst.forEach((c, i) => c && warnings.push(`teacher layer '${tn[i]}' is constant across all ${n} samples: its CKA cells are undefined (null)`));
    sConst.forEach((c, j) => c && warnings.push(`student layer '${sn[j]}' is constant across all ${n} samples: its CKA cells are undefined (null)`));
    return cka;
  }

  /** Exact CKA of every cell from the feature-space sums (null for a constant layer). */
  private exactMatrix(warnings: string[]): (number | null)[][] {
    const tn = this.teacherLayers;
    const sn = this.studentLayers;
    const n = this.n;
    const centredXX = (st: ExactLayer): number => {
      const w = st.width;
      const m = st.sum.map((v) => v / n);
      let f = 0;
      for (let i = 0; i < w; i++)
        for (let j = 0; j < w; j++) {
          const c = st.xx[i * w + j]! - n * m[i]! * m[j]!;
          f += c * c;
        }
      return Math.sqrt(f);
    };
    const tNorm = this.tStats.map(centredXX);
    const sNorm = this.sStats.map(centredXX);
    const cka: (number | null)[][] = this.tStats.map((ts, i) =>
      this.sStats.map((ss, j) => {
        if (!(tNorm[i]! > 0) || !(sNorm[j]! > 0)) return null;
        const p = ts.width;
        const q = ss.width;
        const mx = ts.sum.map((v) => v / n);
        const my = ss.sum.map((v) => v / n);
        const xy = this.xy[i]![j]!;
        let f = 0;
        for (let a = 0; a < p; a++)
          for (let b = 0; b < q; b++) {
            const c = xy[a * q + b]! - n * mx[a]! * my[b]!;
            f += c * c;
          }
        return clamp(f / (tNorm[i]! * sNorm[j]!));
      }),
    );
    tNorm.forEach((v, i) => !(v > 0) && warnings.push(`teacher layer '${tn[i]}' is constant across all ${n} samples: its CKA cells are undefined (null)`));
    sNorm.forEach((v, j) => !(v > 0) && warnings.push(`student layer '${sn[j]}' is constant across all ${n} samples: its CKA cells are undefined (null)`));
    return cka;
  }

  /** The minibatch unbiased-HSIC estimate of every cell (null where HSIC(K,K) or HSIC(L,L) ≤ 0). */
  private minibatchMatrix(warnings: string[]): (number | null)[][] {
    const tn = this.teacherLayers;
    const sn = this.studentLayers;
    const cka: (number | null)[][] = tn.map((_, i) =>
      sn.map((_, j) => {
        const a = this.htt[i]!;
        const b = this.hss[j]!;
        if (!(a > 0) || !(b > 0)) return null;
        return this.hxy[i]![j]! / Math.sqrt(a * b);
      }),
    );
    this.htt.forEach(
      (v, i) => !(v > 0) && warnings.push(`teacher layer '${tn[i]}': mean unbiased HSIC(K,K) ≤ 0 (constant features?): its CKA cells are undefined (null)`),
    );
    this.hss.forEach(
      (v, j) => !(v > 0) && warnings.push(`student layer '${sn[j]}': mean unbiased HSIC(L,L) ≤ 0 (constant features?): its CKA cells are undefined (null)`),
    );
    warnings.push(
      `cross-layer CKA used the minibatch unbiased-HSIC estimator over ${this.batches} batches, as asked: a different quantity than exact CKA, moving with the batch size`,
    );
    return cka;
  }
}

function clamp(v: number): number {
  return v < 0 ? 0 : Math.min(v, 1);
}
