/**
 * The sample-space pass of exact linear CKA: the n × n Gram matrices K = XcXcᵀ of every
 * teacher layer and L = YcYcᵀ of every student layer (columns centred by their exact means),
 * visited block by block (b × b blocks, upper triangle only, since K and L are symmetric) and
 * reduced on the fly to the sums every linear-CKA estimator needs — nothing n × n is kept:
 *
 *   per layer:  Σᵢⱼ Kᵢⱼ² (`frob`), row sums rᵢ = Σⱼ Kᵢⱼ (`rowSums`), diagonal Kᵢᵢ (`diag`)
 *   per pair:   Σᵢⱼ Kᵢⱼ·Lᵢⱼ (`cross[t][s]`)
 *
 * Cost ≈ n²/2 · (Σp + Σq) multiply-adds for the products (on the backend) plus n²/2 per pair
 * for the element-wise sums; memory O(b·(Σp + Σq) + b²·(layers)) plus O(n) per layer.
 * Every block partition gives the same sums up to float64 rounding order; the partition
 * depends only on n and the block size, so the result does not depend on how rows arrived.
 */
import type { Matrix, MatrixBackend } from './backend.js';

/** Rows of one layer, readable in ranges, with the column means that centre them. */
export interface RowSource {
  readonly cols: number;
  /** Column means (float64), subtracted from every row before the products. */
  readonly mean: Float64Array;
  readRows(start: number, end: number): Float32Array | Float64Array;
}

export interface GramLayerSums {
  /** Σᵢⱼ Kᵢⱼ². */
  frob: number;
  /** Row sums of K (length n). */
  rowSums: Float64Array;
  /** Diagonal of K (length n). */
  diag: Float64Array;
}

export interface GramSums {
  n: number;
  teacher: GramLayerSums[];
  student: GramLayerSums[];
  /** cross[t][s] = Σᵢⱼ K⁽ᵗ⁾ᵢⱼ·L⁽ˢ⁾ᵢⱼ. */
  cross: number[][];
}

/** Default block size: 1024 rows (a 1024 × 1024 float64 block is 8 MiB). */
export const DEFAULT_GRAM_BLOCK = 1024;

/**
 * Visit every block pair (I ≤ J) once and return the sums.
 * @param onBlock called after each block pair with (done, total), for progress.
 */
export async function gramPass(
  teacher: readonly RowSource[],
  student: readonly RowSource[],
  n: number,
  backend: MatrixBackend,
  block = DEFAULT_GRAM_BLOCK,
  onBlock?: (done: number, total: number) => void,
): Promise<GramSums> {
  const layers = [...teacher, ...student];
  const sums: GramLayerSums[] = layers.map(() => ({ frob: 0, rowSums: new Float64Array(n), diag: new Float64Array(n) }));
  const cross = teacher.map(() => student.map(() => 0));
  const starts: number[] = [];
  for (let s = 0; s < n; s += block) starts.push(s);
  const total = (starts.length * (starts.length + 1)) / 2;
  let done = 0;
  const rowsOf = (src: RowSource, start: number): Matrix => {
    const end = Math.min(n, start + block);
    return { rows: end - start, cols: src.cols, data: src.readRows(start, end), shift: src.mean };
  };
  for (let bi = 0; bi < starts.length; bi++) {
    const i0 = starts[bi]!;
    const blockI = layers.map((src) => rowsOf(src, i0));
    for (let bj = bi; bj < starts.length; bj++) {
      const j0 = starts[bj]!;
      const diagonal = bi === bj;
      const blockJ = diagonal ? blockI : layers.map((src) => rowsOf(src, j0));
      const grams = await backend.products(layers.map((_, l) => ({ op: 'ABt' as const, a: blockI[l]!, b: blockJ[l]! })));
      const ri = blockI[0]!.rows;
      const rj = blockJ[0]!.rows;
      for (let l = 0; l < layers.length; l++) accumulateLayer(sums[l]!, grams[l]!, ri, rj, i0, j0, diagonal);
      const w = diagonal ? 1 : 2;
      for (let t = 0; t < teacher.length; t++) {
        const k = grams[t]!;
        for (let s = 0; s < student.length; s++) cross[t]![s]! += w * dotAll(k, grams[teacher.length + s]!);
      }
      onBlock?.(++done, total);
    }
  }
  return { n, teacher: sums.slice(0, teacher.length), student: sums.slice(teacher.length), cross };
}

/** Fold the block K[I, J] (ri × rj) into a layer's sums; off-diagonal blocks count for K[J, I] too. */
function accumulateLayer(acc: GramLayerSums, k: Float64Array, ri: number, rj: number, i0: number, j0: number, diagonal: boolean): void {
  let frob = 0;
  const { rowSums, diag } = acc;
  for (let i = 0; i < ri; i++) {
    const o = i * rj;
    let row = 0;
    for (let j = 0; j < rj; j++) {
      const v = k[o + j]!;
      row += v;
      frob += v * v;
      if (!diagonal) rowSums[j0 + j] += v;
    }
    rowSums[i0 + i] += row;
    if (diagonal) diag[i0 + i] = k[o + i]!;
  }
  acc.frob += diagonal ? frob : 2 * frob;
}

function dotAll(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * HSIC terms from the sums (unnormalised, i.e. without the 1/n² or 1/(n(n−3)) factor, which
 * cancels in CKA).
 *
 * Biased (centred Grams Kc = HKH):  tr(KcLc) = Σ K∘L − (2/n)·Σᵢ rᵢᴷrᵢᴸ + (Σrᴷ)(Σrᴸ)/n².
 * Unbiased (Song et al. 2012), K̃ = K with zero diagonal, r̃ = r − diag:
 *   tr(K̃L̃) + (1ᵀK̃1)(1ᵀL̃1)/((n−1)(n−2)) − 2·(r̃ᴷ·r̃ᴸ)/(n−2),  tr(K̃L̃) = Σ K∘L − Σ diagᴷdiagᴸ.
 */
export function hsicFromSums(kl: number, a: GramLayerSums, b: GramLayerSums, n: number, debiased: boolean): number {
  const { rowSums: ra, diag: da } = a;
  const { rowSums: rb, diag: db } = b;
  if (!debiased) {
    let rr = 0;
    let sa = 0;
    let sb = 0;
    for (let i = 0; i < n; i++) {
      rr += ra[i]! * rb[i]!;
      sa += ra[i]!;
      sb += rb[i]!;
    }
    return kl - (2 / n) * rr + (sa * sb) / (n * n);
  }
  let dd = 0;
  let rr = 0;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < n; i++) {
    const ta = ra[i]! - da[i]!;
    const tb = rb[i]! - db[i]!;
    dd += da[i]! * db[i]!;
    rr += ta * tb;
    sa += ta;
    sb += tb;
  }
  return kl - dd + (sa * sb) / ((n - 1) * (n - 2)) - (2 * rr) / (n - 2);
}
