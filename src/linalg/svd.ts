/**
 * Singular values of a small dense matrix by one-sided Jacobi rotations (Hestenes, 1958; the
 * convergence test and high relative accuracy of Demmel & Veselić, 1992).
 *
 * The k = min(rows, cols) columns of A (or of Aᵀ when it has fewer columns) are made mutually
 * orthogonal by plane rotations: for each pair of columns (aᵢ, aⱼ) with α = ‖aᵢ‖², β = ‖aⱼ‖²,
 * γ = aᵢ·aⱼ and |γ| > ε·√(αβ),
 *
 *     ζ = (β − α) / (2γ),  t = sign(ζ) / (|ζ| + √(1 + ζ²)),  c = 1/√(1 + t²),  s = c·t,
 *     aᵢ ← c·aᵢ − s·aⱼ,   aⱼ ← s·aᵢ + c·aⱼ
 *
 * (the rotation that zeroes aᵢ·aⱼ), sweeping all pairs until a sweep rotates nothing. The
 * singular values are then the column norms. Unlike the square roots of the eigenvalues of
 * AᵀA, small singular values keep their relative accuracy — zero ones come out at ≈ ε·σ₁,
 * not √ε·σ₁ — which matters when they are summed (the nuclear norm).
 *
 * Cost ≈ 3·max(rows, cols)·min(rows, cols)² multiply-adds a sweep; random matrices converge
 * in 6–10 sweeps.
 */

/** The relative size of aᵢ·aⱼ below which two columns count as orthogonal. */
const ORTHOGONAL = 1e-15;
/** Sweeps after which the rotation stops (quadratic convergence makes this unreachable in practice). */
const MAX_SWEEPS = 60;

/** Multiply-adds of {@link singularValues} for a rows × cols matrix, for pricing work (10 sweeps). */
export function singularValueWork(rows: number, cols: number): number {
  const k = Math.min(rows, cols);
  return 10 * 3 * Math.max(rows, cols) * k * k;
}

/**
 * The singular values of A (rows × cols, row-major), in descending order; min(rows, cols) of
 * them. A is not modified. O(min(rows, cols)·max(rows, cols)) memory.
 */
export function singularValues(a: Float64Array | Float32Array, rows: number, cols: number): Float64Array {
  if (a.length !== rows * cols) throw new RangeError(`singularValues: ${a.length} values for ${rows}×${cols}`);
  // Columns to orthogonalise: A's when it is tall, else Aᵀ's (A's rows), each contiguous.
  const tall = rows >= cols;
  const k = tall ? cols : rows;
  const m = tall ? rows : cols;
  const columns: Float64Array[] = [];
  for (let j = 0; j < k; j++) {
    const c = new Float64Array(m);
    if (tall) for (let r = 0; r < m; r++) c[r] = a[r * cols + j]!;
    else c.set(a.subarray(j * cols, (j + 1) * cols));
    columns.push(c);
  }
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let rotated = false;
    for (let i = 0; i < k - 1; i++) {
      for (let j = i + 1; j < k; j++) {
        if (rotatePair(columns[i]!, columns[j]!)) rotated = true;
      }
    }
    if (!rotated) break;
  }
  const sigma = new Float64Array(k);
  for (let j = 0; j < k; j++) sigma[j] = Math.sqrt(squaredNorm(columns[j]!));
  return sigma.sort().reverse();
}

/** Rotate columns x and y to be orthogonal (in place); false when they already are. */
function rotatePair(x: Float64Array, y: Float64Array): boolean {
  let alpha = 0;
  let beta = 0;
  let gamma = 0;
  for (let r = 0; r < x.length; r++) {
    const u = x[r]!;
    const v = y[r]!;
    alpha += u * u;
    beta += v * v;
    gamma += u * v;
  }
  if (gamma === 0 || !(Math.abs(gamma) > ORTHOGONAL * Math.sqrt(alpha * beta))) return false;
  const zeta = (beta - alpha) / (2 * gamma);
  const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
  const c = 1 / Math.sqrt(1 + t * t);
  const s = c * t;
  for (let r = 0; r < x.length; r++) {
    const u = x[r]!;
    const v = y[r]!;
    x[r] = c * u - s * v;
    y[r] = s * u + c * v;
  }
  return true;
}

function squaredNorm(x: Float64Array): number {
  let s = 0;
  for (let r = 0; r < x.length; r++) s += x[r]! * x[r]!;
  return s;
}
