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
 * for the element-wise sums; memory: one centred copy of every layer's rows (n·(Σp + Σq)
 * values, float32 on a float32 backend) plus b × 4096 float64 per layer per product round
 * and O(n) per layer. The partition depends only on n and the block size, so the result
 * does not depend on how rows arrived.
 */
import type { Matrix, MatrixBackend, ProductRequest } from './backend.js';

/** Rows of one layer, readable in ranges, with the column means that centre them. */
export interface RowSource {
  readonly cols: number;
  /** Column means (float64), subtracted from every row before the products. */
  readonly mean: Float64Array;
  readRows(start: number, end: number): Float32Array | Float64Array;
  /**
   * Optional: where the source's contiguous blocks of rows end (increasing, the last = n), when
   * a read within one block is a view and a read across two is a copy — reads then stop at them.
   */
  readonly blockEnds?: readonly number[];
}

export interface GramLayerSums {
  /** Σᵢⱼ Kᵢⱼ². */
  frob: number;
  /** Row sums of K (length n). */
  rowSums: Float64Array;
  /** Diagonal of K (length n). */
  diag: Float64Array;
}

/**
 * The sums of the Gram matrices of each layer's rows as {@link gramPass} scaled them (each
 * layer by its own power of two, for range): ratios such as CKA are what they mean.
 */
export interface GramSums {
  n: number;
  teacher: GramLayerSums[];
  student: GramLayerSums[];
  /** cross[t][s] = Σᵢⱼ K⁽ᵗ⁾ᵢⱼ·L⁽ˢ⁾ᵢⱼ. */
  cross: number[][];
  /** With `groups`: what deleting one group of samples at a time needs (see {@link leaveOneGroupOut}). */
  grouped?: GroupedSums;
}

/** Samples in groups: `of[i]` is sample i's group, 0 ≤ of[i] < count. */
export interface SampleGroups {
  readonly of: Int32Array;
  readonly count: number;
}

/** Per-row and per-group sums for the delete-a-group jackknife, teacher layers then student layers. */
export interface GroupedSums {
  groups: SampleGroups;
  /** Per layer: Σⱼ Kᵢⱼ² by row (n). */
  rowSquares: Float64Array[];
  /** Per layer: Σ_{i,j∈g} Kᵢⱼ² by group (G). */
  withinSquares: Float64Array[];
  /** Per layer: Σ_{j∈g} Kᵢⱼ, row i and group g at i·G + g (n × G). */
  byGroup: Float64Array[];
  /** Per pair [t][s]: Σⱼ KᵢⱼLᵢⱼ by row (n). */
  rowCross: Float64Array[][];
  /** Per pair [t][s]: Σ_{i,j∈g} KᵢⱼLᵢⱼ by group (G). */
  withinCross: Float64Array[][];
}

/** Default rows per block-row: 1024. */
export const DEFAULT_GRAM_BLOCK = 1024;

/** Columns per product at most (a block-row's panel is cut into pieces this wide): 4096. */
const PANEL_COLUMNS = 4096;

/**
 * Visit the upper triangle of every Gram matrix once, block-row by block-row: for rows
 * [i0, i1) the products per layer against the columns [i0, n) (rounds of at most
 * {@link PANEL_COLUMNS} columns; the diagonal block a symmetric product of its own,
 * {@link piecesOf}), each layer's rows centred once beforehand (float32 for a float32
 * backend, which then reads them in place; float64 otherwise).
 * @param onBlock called after each product round with (done, total), for progress.
 * @param share visit only the rounds r with r mod count = index (one shard's share of the
 *   work, docs/formulas.md §"Shards"); every sum is additive over rounds, so the sums of all
 *   shares add up to the whole pass's.
 */
export async function gramPass(
  teacher: readonly RowSource[],
  student: readonly RowSource[],
  n: number,
  backend: MatrixBackend,
  block = DEFAULT_GRAM_BLOCK,
  onBlock?: (done: number, total: number) => void,
  groups?: SampleGroups,
  share?: { readonly index: number; readonly count: number },
): Promise<GramSums> {
  const layers = [...teacher, ...student];
  const T = teacher.length;
  const f32 = backend.name.endsWith('f32');
  const { sums, cross, grouped } = emptySums(layers.length, T, n, groups);
  const rounds = roundsOf(n, block, share);
  const centred: (Float32Array | Float64Array)[] = [];
  try {
    for (const src of layers)
      centred.push(
        centredRows(src, n, f32 ? (length) => backend.lendBuffer?.(length) ?? new Float32Array(length) : undefined, backend.centreRows?.bind(backend)),
      );
    let done = 0;
    for (const [i0, i1, j0, j1] of rounds) {
      const pieces = piecesOf({ i0, i1, j0, j1 });
      const grams = await (backend.productsAsComputed ?? backend.products).call(
        backend,
        pieces.flatMap((panel) => centred.map((data, l) => productRequest(data, layers[l]!.cols, panel))),
      );
      pieces.forEach((panel, k) => {
        foldPanel(grams.slice(k * layers.length, (k + 1) * layers.length), panel, T, sums, cross, grouped, backend);
      });
      onBlock?.(++done, rounds.length);
    }
  } finally {
    for (const c of centred) if (c instanceof Float32Array) backend.giveBackBuffer?.(c);
  }
  return { n, teacher: sums.slice(0, T), student: sums.slice(T), cross, ...(grouped ? { grouped } : {}) };
}

/** Zeroed sums for L layers (the first T the teacher's), with the per-group ones when there are groups. */
function emptySums(L: number, T: number, n: number, groups: SampleGroups | undefined) {
  const layers = Array.from({ length: L }, (_, l) => l);
  const students = layers.slice(T);
  const sums: GramLayerSums[] = layers.map(() => ({ frob: 0, rowSums: new Float64Array(n), diag: new Float64Array(n) }));
  const cross = layers.slice(0, T).map(() => students.map(() => 0));
  const G = groups?.count ?? 0;
  const grouped: GroupedSums | undefined = groups && {
    groups,
    rowSquares: layers.map(() => new Float64Array(n)),
    withinSquares: layers.map(() => new Float64Array(G)),
    byGroup: layers.map(() => new Float64Array(n * G)),
    rowCross: layers.slice(0, T).map(() => students.map(() => new Float64Array(n))),
    withinCross: layers.slice(0, T).map(() => students.map(() => new Float64Array(G))),
  };
  return { sums, cross, grouped };
}

/**
 * The rounds of a pass, [i0, i1, j0, j1]: block-rows of `block` rows, each against the columns
 * from its first row on in panels of at most {@link PANEL_COLUMNS}; with `share`, only the
 * rounds r with r mod count = index.
 */
function roundsOf(n: number, block: number, share: { readonly index: number; readonly count: number } | undefined): [number, number, number, number][] {
  const rounds: [number, number, number, number][] = [];
  let r = 0;
  for (let i0 = 0; i0 < n; i0 += block) {
    const i1 = Math.min(n, i0 + block);
    for (let j0 = i0; j0 < n; j0 += PANEL_COLUMNS, r++)
      if (!share || r % share.count === share.index) rounds.push([i0, i1, j0, Math.min(n, j0 + PANEL_COLUMNS)]);
  }
  return rounds;
}

/**
 * The products a round is computed by: one, unless the round holds the diagonal block and
 * columns past it — then the diagonal block on its own (a symmetric product, about half the
 * work of its square on a backend that exploits it) and the columns past it. Every sum is
 * additive over columns, so the round's sums are the same either way (to float rounding).
 */
function piecesOf(round: Panel): Panel[] {
  const { i0, i1, j0, j1 } = round;
  return j0 === i0 && j1 > i1
    ? [
        { i0, i1, j0: i0, j1: i1 },
        { i0, i1, j0: i1, j1 },
      ]
    : [round];
}

/** K[i0:i1, j0:j1] of one layer's centred rows, as a product request (one operand when the rows are the same). */
function productRequest(data: Float32Array | Float64Array, cols: number, { i0, i1, j0, j1 }: Panel): ProductRequest {
  // Rows already centred and scaled into a safe range (centredRows): no range check needed.
  const a: Matrix = { rows: i1 - i0, cols, data: data.subarray(i0 * cols, i1 * cols), rangeSafe: true };
  // The same rows on both sides: pass one object, so a backend may exploit the symmetry.
  const b: Matrix = j0 === i0 && j1 === i1 ? a : { rows: j1 - j0, cols, data: data.subarray(j0 * cols, j1 * cols), rangeSafe: true };
  return { op: 'ABt', a, b };
}

/** Fold one panel's products (teacher layers then student layers) into the layer, pair and group sums. */
function foldPanel(
  grams: Gram[],
  panel: Panel,
  T: number,
  sums: GramLayerSums[],
  cross: number[][],
  grouped: GroupedSums | undefined,
  backend: MatrixBackend,
): void {
  if (!nativeSums(grams, panel, T, sums, cross, backend)) {
    for (let l = 0; l < grams.length; l++) accumulateLayer(sums[l]!, grams[l]!, panel);
    addCrossSums(grams, T, panel, cross);
  }
  if (!grouped) return;
  for (let l = 0; l < grams.length; l++) {
    productByGroup(grams[l]!, grams[l]!, panel, grouped.groups, grouped.rowSquares[l]!, grouped.withinSquares[l]!);
    rowSumsByGroup(grams[l]!, panel, grouped.groups, grouped.byGroup[l]!);
  }
  for (let t = 0; t < T; t++) {
    for (let s = T; s < grams.length; s++) {
      productByGroup(grams[t]!, grams[s]!, panel, grouped.groups, grouped.rowCross[t]![s - T]!, grouped.withinCross[t]![s - T]!);
    }
  }
}

/** A Gram block as the backend computed it (float32 values on a float32 backend: read, never copied). */
type Gram = Float32Array | Float64Array;

/**
 * The panel's layer and pair sums ({@link accumulateLayer}, {@link addCrossSums}) by the
 * backend's `panelSums`, when it has one and every panel is float32; false (nothing added)
 * otherwise. The same sums in float64, added in another order (equal up to rounding).
 */
function nativeSums(grams: Gram[], panel: Panel, T: number, sums: GramLayerSums[], cross: number[][], backend: MatrixBackend): boolean {
  if (!backend.panelSums || !grams.every((g) => g instanceof Float32Array)) return false;
  const S = grams.length - T;
  const into = { cross: new Float64Array(T * S), frob: new Float64Array(grams.length), rowSums: sums.map((l) => l.rowSums) };
  const { i0, i1, j0, j1 } = panel;
  backend.panelSums(grams as Float32Array[], T, { rows: i1 - i0, cols: j1 - j0, split: splitOf(panel), rowStart: i0, colStart: j0 }, into);
  for (let t = 0; t < T; t++) for (let s = 0; s < S; s++) cross[t]![s]! += into.cross[t * S + s]!;
  sums.forEach((layer, l) => {
    layer.frob += into.frob[l]!;
    takeDiagonal(layer, grams[l]!, panel);
  });
  return true;
}

/** A product's place: rows [i0, i1) against columns [j0, j1), j0 ≥ i0. */
interface Panel {
  i0: number;
  i1: number;
  j0: number;
  j1: number;
}

/**
 * All rows of a layer minus its column means, times a power of two that brings the largest
 * |value| near 1 when it lies outside [2⁻⁴⁰, 2⁴⁰] — so float32 products neither overflow nor
 * underflow (and float64 ones keep their range). Scaling a layer scales its Gram matrix and
 * every sum of it by the same factor, which cancels in CKA; the factor is exact. Into a
 * float32 buffer from `float32` (on a float32 backend: one it lends, see
 * `MatrixBackend.lendBuffer`), else a fresh float64 array; float32 rows into float32 by the
 * backend's `centreRows` when it has one (the same bits).
 */
function centredRows(src: RowSource, n: number, float32?: (length: number) => Float32Array, native?: MatrixBackend['centreRows']): Float32Array | Float64Array {
  const { cols, mean } = src;
  const step = Math.max(1, Math.floor(2 ** 20 / cols));
  const out = float32 ? float32(n * cols) : new Float64Array(n * cols);
  const ends = src.blockEnds ?? [];
  const write = (scale: number): number => {
    let max = 0;
    let block = 0;
    for (let r0 = 0, r1: number; r0 < n; r0 = r1) {
      while (block < ends.length && ends[block]! <= r0) block++;
      r1 = Math.min(n, r0 + step, ends[block] ?? n);
      const rows = src.readRows(r0, r1);
      const part =
        native && out instanceof Float32Array && rows instanceof Float32Array
          ? native(rows, mean, out.subarray(r0 * cols, r1 * cols), scale)
          : centreInto(out, r0 * cols, rows, mean, r1 - r0, scale);
      max = Math.max(max, part);
    }
    return max;
  };
  // One pass in the usual case; a second, scaled, only when the range calls for it.
  const max = write(1);
  const scale = max === 0 || (max >= 2 ** -40 && max <= 2 ** 40) ? 1 : 2 ** -Math.floor(Math.log2(max));
  if (scale !== 1) write(scale);
  return out;
}

/**
 * out[at + i·cols + j] = scale·(rows[i·cols + j] − mean[j]) for `count` rows (the difference in
 * float64, then rounded once to `out`'s type); returns the largest |rows − mean|. The rows are
 * finite (the row store refuses others). Two columns a step, each with its own running maximum,
 * and no multiplication when scale = 1: ~2.7× faster than one column a step with a branch.
 */
function centreInto(out: Float32Array | Float64Array, at: number, rows: Float32Array | Float64Array, mean: Float64Array, count: number, scale: number): number {
  const cols = mean.length;
  let m0 = 0;
  let m1 = 0;
  for (let i = 0; i < count; i++) {
    const o = i * cols;
    const g = at + o;
    let j = 0;
    if (scale === 1) {
      for (; j + 1 < cols; j += 2) {
        const v0 = rows[o + j]! - mean[j]!;
        const v1 = rows[o + j + 1]! - mean[j + 1]!;
        out[g + j] = v0;
        out[g + j + 1] = v1;
        m0 = Math.max(m0, Math.abs(v0));
        m1 = Math.max(m1, Math.abs(v1));
      }
    }
    for (; j < cols; j++) {
      const v = rows[o + j]! - mean[j]!;
      out[g + j] = v * scale;
      m0 = Math.max(m0, Math.abs(v));
    }
  }
  return Math.max(m0, m1);
}

/**
 * Fold a product K[i0:i1, j0:j1] into a layer's sums. Columns below i1 lie in the diagonal
 * block (both triangles present: weight 1, row sums of their own rows only); columns from i1
 * on stand for K[i, j] and K[j, i] (weight 2, row sums of both).
 */
function accumulateLayer(acc: GramLayerSums, k: Gram, panel: Panel): void {
  const rows = panel.i1 - panel.i0;
  let i = 0;
  for (; i + 3 < rows; i += 4) foldFourRows(acc, k, panel, i);
  for (; i < rows; i++) foldRow(acc, k, panel, i);
  takeDiagonal(acc, k, panel);
}

/** The entries of K's diagonal that a panel holds, into the layer's `diag`. */
function takeDiagonal(acc: GramLayerSums, k: Gram, panel: Panel): void {
  const { i0, i1, j0, j1 } = panel;
  const cols = j1 - j0;
  const split = splitOf(panel);
  for (let r = 0; r < i1 - i0; r++) {
    const d = i0 + r - j0;
    if (d >= 0 && d < split) acc.diag[i0 + r] = k[r * cols + d]!;
  }
}

/** Columns [0, split) of a panel lie in the diagonal block (weight 1), the rest past it (weight 2). */
function splitOf({ i1, j0, j1 }: Panel): number {
  return Math.max(0, Math.min(j1 - j0, i1 - j0));
}

/**
 * {@link accumulateLayer} for rows i … i+3 of the panel at once: four independent chains of
 * additions instead of one, and each column sum loaded and stored once per four values (added
 * in row order, as one row at a time would) — about twice as fast as {@link foldRow}.
 */
function foldFourRows(acc: GramLayerSums, k: Gram, panel: Panel, i: number): void {
  const { i0, j0, j1 } = panel;
  const cols = j1 - j0;
  const split = splitOf(panel);
  const { rowSums } = acc;
  const o = i * cols;
  let r0 = 0;
  let r1 = 0;
  let r2 = 0;
  let r3 = 0;
  let inDiag = 0;
  for (let c = 0; c < split; c++) {
    const v0 = k[o + c]!;
    const v1 = k[o + cols + c]!;
    const v2 = k[o + 2 * cols + c]!;
    const v3 = k[o + 3 * cols + c]!;
    r0 += v0;
    r1 += v1;
    r2 += v2;
    r3 += v3;
    inDiag += v0 * v0 + v1 * v1 + (v2 * v2 + v3 * v3);
  }
  let off = 0;
  for (let c = split; c < cols; c++) {
    const v0 = k[o + c]!;
    const v1 = k[o + cols + c]!;
    const v2 = k[o + 2 * cols + c]!;
    const v3 = k[o + 3 * cols + c]!;
    r0 += v0;
    r1 += v1;
    r2 += v2;
    r3 += v3;
    off += v0 * v0 + v1 * v1 + (v2 * v2 + v3 * v3);
    let column = rowSums[j0 + c]!;
    column += v0;
    column += v1;
    column += v2;
    column += v3;
    rowSums[j0 + c] = column;
  }
  rowSums[i0 + i] += r0;
  rowSums[i0 + i + 1] += r1;
  rowSums[i0 + i + 2] += r2;
  rowSums[i0 + i + 3] += r3;
  acc.frob += inDiag + 2 * off;
}

/** {@link accumulateLayer} for row i of the panel alone. */
function foldRow(acc: GramLayerSums, k: Gram, panel: Panel, i: number): void {
  const { i0, j0, j1 } = panel;
  const cols = j1 - j0;
  const split = splitOf(panel);
  const { rowSums } = acc;
  const o = i * cols;
  let row = 0;
  let inDiag = 0;
  let off = 0;
  for (let c = 0; c < split; c++) {
    const v = k[o + c]!;
    row += v;
    inDiag += v * v;
  }
  for (let c = split; c < cols; c++) {
    const v = k[o + c]!;
    row += v;
    off += v * v;
    rowSums[j0 + c] += v;
  }
  rowSums[i0 + i] += row;
  acc.frob += inDiag + 2 * off;
}

/** Teacher panels per tile of {@link addCrossSums}. */
const TILE_T = 2;
/** Student panels per tile. */
const TILE_S = 4;

/**
 * cross[t][s] += Σ K⁽ᵗ⁾∘L⁽ˢ⁾ over the panel for every pair (columns before the split once,
 * those past it twice: see {@link accumulateLayer}), in float64. Row by row, a tile of 2
 * teachers × 4 students at a time ({@link tileDots}): each value is loaded once per tile, not
 * once per pair — ~1.6× faster than pair by pair. A tile past the last teacher or student
 * repeats the last one and its extra sums are dropped. The sums of a pair do not depend on
 * which tile holds it (one chain per row and column range, added in row order).
 */
function addCrossSums(grams: Gram[], T: number, panel: Panel, cross: number[][]): void {
  const S = grams.length - T;
  if (T === 0 || S === 0) return;
  const { i0, i1, j0, j1 } = panel;
  const cols = j1 - j0;
  const split = splitOf(panel);
  const tiles: { t0: number; s0: number; at: number; panels: Gram[] }[] = [];
  for (let t0 = 0; t0 < T; t0 += TILE_T)
    for (let s0 = 0; s0 < S; s0 += TILE_S) {
      const panels = [t0, t0 + 1].map((t) => grams[Math.min(t, T - 1)]!).concat([0, 1, 2, 3].map((b) => grams[T + Math.min(s0 + b, S - 1)]!));
      tiles.push({ t0, s0, at: tiles.length * TILE_T * TILE_S, panels });
    }
  const inDiag = new Float64Array(tiles.length * TILE_T * TILE_S);
  const off = new Float64Array(tiles.length * TILE_T * TILE_S);
  // Rows outside, tiles inside: one row of every panel stays in cache for all the tiles.
  for (let i = 0; i < i1 - i0; i++) {
    const o = i * cols;
    for (const { at, panels: p } of tiles) {
      tileDots(p[0]!, p[1]!, p[2]!, p[3]!, p[4]!, p[5]!, o, o + split, inDiag, at);
      tileDots(p[0]!, p[1]!, p[2]!, p[3]!, p[4]!, p[5]!, o + split, o + cols, off, at);
    }
  }
  for (const { t0, s0, at } of tiles)
    for (let a = 0; a < TILE_T && t0 + a < T; a++)
      for (let b = 0; b < TILE_S && s0 + b < S; b++) cross[t0 + a]![s0 + b]! += inDiag[at + a * TILE_S + b]! + 2 * off[at + a * TILE_S + b]!;
}

/**
 * out[at + a·4 + b] += Σ_{start ≤ j < end} kₐ[j]·l_b[j] for a < 2, b < 4 (k₀, k₁ and l₀ … l₃),
 * in float64: eight independent chains of additions, six loads a column.
 */
function tileDots(k0: Gram, k1: Gram, l0: Gram, l1: Gram, l2: Gram, l3: Gram, start: number, end: number, out: Float64Array, at: number): void {
  let a00 = 0;
  let a01 = 0;
  let a02 = 0;
  let a03 = 0;
  let a10 = 0;
  let a11 = 0;
  let a12 = 0;
  let a13 = 0;
  for (let j = start; j < end; j++) {
    const x0 = k0[j]!;
    const x1 = k1[j]!;
    const y0 = l0[j]!;
    const y1 = l1[j]!;
    const y2 = l2[j]!;
    const y3 = l3[j]!;
    a00 += x0 * y0;
    a01 += x0 * y1;
    a02 += x0 * y2;
    a03 += x0 * y3;
    a10 += x1 * y0;
    a11 += x1 * y1;
    a12 += x1 * y2;
    a13 += x1 * y3;
  }
  out[at] += a00;
  out[at + 1] += a01;
  out[at + 2] += a02;
  out[at + 3] += a03;
  out[at + 4] += a10;
  out[at + 5] += a11;
  out[at + 6] += a12;
  out[at + 7] += a13;
}

/**
 * Σⱼ KᵢⱼLᵢⱼ into `byRow` (both rows of an off-diagonal entry) and Σ_{i,j∈g} KᵢⱼLᵢⱼ into
 * `within` (off-diagonal-block entries counted twice, for (i, j) and (j, i)).
 */
function productByGroup(k: Gram, l: Gram, panel: Panel, groups: SampleGroups, byRow: Float64Array, within: Float64Array): void {
  const { i0, i1, j0, j1 } = panel;
  const cols = j1 - j0;
  const split = splitOf(panel);
  const of = groups.of;
  for (let i = 0; i < i1 - i0; i++) {
    const o = i * cols;
    const gi = of[i0 + i]!;
    let row = 0;
    for (let c = 0; c < cols; c++) {
      const v = k[o + c]! * l[o + c]!;
      row += v;
      const j = j0 + c;
      const off = c >= split;
      if (off) byRow[j] += v;
      if (of[j] === gi) within[gi] += off ? 2 * v : v;
    }
    byRow[i0 + i] += row;
  }
}

/** Σ_{j∈g} Kᵢⱼ for every row i and group g (row-major n × G), both rows of an off-diagonal entry. */
function rowSumsByGroup(k: Gram, panel: Panel, groups: SampleGroups, out: Float64Array): void {
  const { i0, i1, j0, j1 } = panel;
  const cols = j1 - j0;
  const split = splitOf(panel);
  const { of, count: G } = groups;
  for (let i = 0; i < i1 - i0; i++) {
    const o = i * cols;
    const ri = (i0 + i) * G;
    const gi = of[i0 + i]!;
    for (let c = 0; c < cols; c++) {
      const v = k[o + c]!;
      const j = j0 + c;
      out[ri + of[j]!] += v;
      if (c >= split) out[j * G + gi] += v;
    }
  }
}

/**
 * The HSIC term of a pair (or of a layer with itself) with every group g of samples deleted in
 * turn, from the grouped sums — no second pass. With R = the samples outside g:
 *
 *   Σ_{i,j∈R} KᵢⱼLᵢⱼ = ΣK∘L − 2·Σ_{i∈g} (Σⱼ KᵢⱼLᵢⱼ) + Σ_{i,j∈g} KᵢⱼLᵢⱼ
 *   rᵢ⁽⁻ᵍ⁾ = rᵢ − Σ_{j∈g} Kᵢⱼ   (i ∈ R),
 *
 * then {@link hsicFromSums}'s formulas over R (n − |g| samples). Cost O(n·G).
 */
export function hsicLeaveOneGroupOut(
  kl: number,
  klByRow: Float64Array,
  klWithin: Float64Array,
  a: GramLayerSums,
  aByGroup: Float64Array,
  b: GramLayerSums,
  bByGroup: Float64Array,
  groups: SampleGroups,
  debiased: boolean,
): Float64Array {
  const { of, count: G } = groups;
  const n = of.length;
  const sizes = new Int32Array(G);
  const removedKl = new Float64Array(G);
  for (let i = 0; i < n; i++) {
    sizes[of[i]!]! += 1;
    removedKl[of[i]!]! += klByRow[i]!;
  }
  const out = new Float64Array(G);
  for (let g = 0; g < G; g++) {
    const m = n - sizes[g]!;
    const klR = kl - 2 * removedKl[g]! + klWithin[g]!;
    let rr = 0;
    let sa = 0;
    let sb = 0;
    let dd = 0;
    for (let i = 0; i < n; i++) {
      if (of[i] === g) continue;
      let ra = a.rowSums[i]! - aByGroup[i * G + g]!;
      let rb = b.rowSums[i]! - bByGroup[i * G + g]!;
      if (debiased) {
        ra -= a.diag[i]!;
        rb -= b.diag[i]!;
        dd += a.diag[i]! * b.diag[i]!;
      }
      rr += ra * rb;
      sa += ra;
      sb += rb;
    }
    out[g] = debiased ? klR - dd + (sa * sb) / ((m - 1) * (m - 2)) - (2 * rr) / (m - 2) : klR - (2 / m) * rr + (sa * sb) / (m * m);
  }
  return out;
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
