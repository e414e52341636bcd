/**
 * A per-sample feature similarity for layers of any widths (`krs explain`; docs/formulas.md
 * §"Per-sample case study"): the Pearson correlation of the sample's rows of the two centred
 * linear Gram matrices — the sample's own contribution behind linear CKA.
 *
 *     Xᶜ = X − 1x̄ᵀ (n × p, the teacher layer's pooled features, centred over all n samples)
 *     Kᶜ = HXXᵀH = XᶜXᶜᵀ,   kᵢ = Kᶜ[i, ·] = Xᶜ xᶜᵢ        (n values: ⟨xᶜⱼ, xᶜᵢ⟩ for every j)
 *     Lᶜ = YᶜYᶜᵀ (student, width q),   lᵢ = Yᶜ yᶜᵢ
 *     rᵢ = corr(kᵢ, lᵢ) = Σⱼ (kᵢⱼ − k̄ᵢ)(lᵢⱼ − l̄ᵢ) / √(Σⱼ (kᵢⱼ − k̄ᵢ)² · Σⱼ (lᵢⱼ − l̄ᵢ)²)
 *
 * rᵢ ∈ [−1, 1] compares how sample i relates to every other sample in each network, so p and q
 * may differ. Since the columns of Xᶜ sum to 0, k̄ᵢ = 0 and rᵢ is the cosine of kᵢ and lᵢ;
 * linear CKA = ⟨Kᶜ, Lᶜ⟩_F / (‖Kᶜ‖_F ‖Lᶜ‖_F) = Σᵢ kᵢ·lᵢ / √(Σᵢ ‖kᵢ‖² · Σᵢ ‖lᵢ‖²), so rᵢ is row i's
 * term of CKA normalised by the row's own norms. The n × n matrices are never formed: two
 * passes over each layer (column means, then kᵢ = Xᶜ xᶜᵢ batch by batch), O(n·p) time per
 * sample and O(n + batch·p) memory.
 *
 * Undefined (null, with a reason): fewer than 2 samples; kᵢ or lᵢ all zero — the sample sits
 * at its layer's mean (xᶜᵢ = 0), or the layer is constant.
 */

import type { Tensor } from '../core/tensor.js';
import type { Capture } from '../io/capture.js';
import { featureMatrix, type Pooling } from '../similarity/features.js';

export interface GramRowOptions {
  readonly pool?: Pooling;
  readonly channelsLast?: boolean;
  /** Key of a 0/1 token mask used by `mean` pooling, when the capture has it. */
  readonly maskKey?: string;
  /** Rows read at a time (default 1024). */
  readonly batchRows?: number;
}

export interface GramRowCorrelation {
  /** rᵢ in [−1, 1], or null when undefined. */
  readonly value: number | null;
  readonly reason: string | null;
}

/** Column means and, per asked sample, the centred Gram row kᵢ (n values, in this capture's row order). */
function gramRows(
  c: Capture,
  key: string,
  rows: readonly number[],
  what: string,
  o: GramRowOptions,
): { rows: Float64Array[]; width: number; atMean: boolean[] } {
  const n = c.info(key).shape[0] ?? 0;
  const step = o.batchRows ?? 1024;
  const pool = o.pool ?? 'flatten';
  const mask = o.maskKey && pool === 'mean' && c.keys().includes(o.maskKey) ? o.maskKey : undefined;
  const matrix = (start: number, end: number) => {
    const m: Tensor | undefined = mask ? c.readRows(mask, start, end) : undefined;
    return featureMatrix(c.readRows(key, start, end), what, { pool, channelsLast: o.channelsLast, mask: m });
  };
  // Pass 1: column means, in float64.
  let width = 0;
  let mean = new Float64Array(0);
  let scale = 0; // mean squared norm of the raw rows
  for (let s = 0; s < n; s += step) {
    const m = matrix(s, Math.min(n, s + step));
    if (s === 0) {
      width = m.cols;
      mean = new Float64Array(width);
    }
    for (let r = 0; r < m.rows; r++) {
      for (let j = 0; j < width; j++) {
        const v = m.data[r * width + j]!;
        mean[j]! += v;
        scale += v * v;
      }
    }
  }
  for (let j = 0; j < width; j++) mean[j]! /= Math.max(n, 1);
  scale /= Math.max(n, 1);
  // The asked samples, centred.
  const targets = rows.map((i) => {
    const m = matrix(i, i + 1);
    const x = new Float64Array(width);
    for (let j = 0; j < width; j++) x[j] = m.data[j]! - mean[j]!;
    return x;
  });
  // kᵢ = 0 exactly when xᶜᵢ = 0; rounding leaves ~1e-16 of the values' size, hence the relative test.
  const atMean = targets.map((x) => x.reduce((a, v) => a + v * v, 0) <= 1e-20 * scale);
  // Pass 2: kᵢ[j] = ⟨xᶜⱼ, xᶜᵢ⟩ for every row j.
  const out = rows.map(() => new Float64Array(n));
  const xc = new Float64Array(width);
  for (let s = 0; s < n; s += step) {
    const m = matrix(s, Math.min(n, s + step));
    for (let r = 0; r < m.rows; r++) {
      for (let j = 0; j < width; j++) xc[j] = m.data[r * width + j]! - mean[j]!;
      for (let t = 0; t < targets.length; t++) {
        const x = targets[t]!;
        let d = 0;
        for (let j = 0; j < width; j++) d += xc[j]! * x[j]!;
        out[t]![s + r] = d;
      }
    }
  }
  return { rows: out, width, atMean };
}

/**
 * rᵢ (see the module comment) of the asked teacher rows at one layer pair. Student rows are
 * matched to teacher rows by `studentRowOf` (teacher row → student row; identity when null).
 * @throws as `featureMatrix` (NaN/Inf, a pooling that does not fit the rank, a bad mask).
 */
export function gramRowCorrelations(
  teacher: Capture,
  student: Capture,
  pair: { teacher: string; student: string },
  teacherRows: readonly number[],
  studentRowOf: Int32Array | null,
  options: GramRowOptions = {},
): { values: GramRowCorrelation[]; teacherWidth: number; studentWidth: number } {
  const sRow = (i: number) => (studentRowOf ? studentRowOf[i]! : i);
  const n = teacher.info(pair.teacher).shape[0] ?? 0;
  const k = gramRows(teacher, pair.teacher, teacherRows, `teacher layer '${pair.teacher}'`, options);
  const l = gramRows(student, pair.student, teacherRows.map(sRow), `student layer '${pair.student}'`, options);
  const values = teacherRows.map((_, t): GramRowCorrelation => {
    if (n < 2) return { value: null, reason: 'needs at least 2 samples' };
    for (const [side, g] of [
      ['teacher', k],
      ['student', l],
    ] as const) {
      if (g.atMean[t]) return { value: null, reason: `the sample's centred ${side} features are zero (it sits at the layer's mean, or the layer is constant)` };
    }
    const a = k.rows[t]!;
    const bS = l.rows[t]!; // in the student's row order
    let ma = 0;
    let mb = 0;
    for (let j = 0; j < n; j++) {
      ma += a[j]!;
      mb += bS[sRow(j)]!;
    }
    ma /= n;
    mb /= n;
    let sab = 0;
    let saa = 0;
    let sbb = 0;
    for (let j = 0; j < n; j++) {
      const x = a[j]! - ma;
      const y = bS[sRow(j)]! - mb;
      sab += x * y;
      saa += x * x;
      sbb += y * y;
    }
    if (!(saa > 0 && sbb > 0)) return { value: null, reason: "the sample's Gram row is constant on one side" };
    return { value: Math.max(-1, Math.min(1, sab / Math.sqrt(saa * sbb))), reason: null };
  });
  return { values, teacherWidth: k.width, studentWidth: l.width };
}
