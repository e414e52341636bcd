/**
 * Area resampling of a square greyscale image (the MNIST digits of the scenes, 28 × 28, to a
 * random side): the source is read as piecewise constant — pixel (r, c) covers the unit
 * square [c, c + 1) × [r, r + 1) — and each output pixel is the mean of the source over its
 * footprint. With r = n / s (source pixels per output pixel), output row i covers the source
 * rows [i·r, (i + 1)·r), so
 *
 *     out[i][j] = Σ_k Σ_l A[i][k] · A[j][l] · src[k][l],   A[i][k] = |[i·r, (i+1)·r) ∩ [k, k+1)| / r
 *
 * (separable: out = A · src · Aᵀ). Each row of A sums to 1, so values stay in the source's
 * range ([0, 1] for MNIST) and a constant image stays constant; s = n is the identity.
 * Shrinking averages (no aliasing of thin strokes); enlarging repeats pixels, blending the
 * two at a boundary that falls inside an output pixel. Computed in float64, returned as float32.
 */
import { errors } from '../../core/errors.js';

/** The s × n weights A of area resampling from n to s samples (row-major, float64). */
export function areaWeights(n: number, s: number): Float64Array {
  if (!Number.isInteger(n) || !Number.isInteger(s) || n < 1 || s < 1) {
    throw errors.internal(`area resampling from ${n} to ${s} pixels: sizes must be positive integers`);
  }
  const a = new Float64Array(s * n);
  const r = n / s;
  for (let i = 0; i < s; i++) {
    const lo = (i * n) / s;
    const hi = ((i + 1) * n) / s;
    for (let k = Math.floor(lo); k < Math.min(n, Math.ceil(hi)); k++) {
      const overlap = Math.min(hi, k + 1) - Math.max(lo, k);
      if (overlap > 0) a[i * n + k] = overlap / r;
    }
  }
  return a;
}

const weightCache = new Map<string, Float64Array>();

/** {@link areaWeights}, kept for the sizes asked before (a scene set asks for at most a few dozen). */
function cachedWeights(n: number, s: number): Float64Array {
  const key = `${n}:${s}`;
  let a = weightCache.get(key);
  if (!a) {
    a = areaWeights(n, s);
    weightCache.set(key, a);
  }
  return a;
}

/**
 * The n × n image `src` (row-major, `src.length` = n², read from `offset`) resampled by area
 * to s × s (see the module's formula).
 * @example areaResize(digit, 28, 14) // each output pixel the mean of a 2 × 2 block
 */
export function areaResize(src: Float32Array, n: number, s: number, offset = 0): Float32Array {
  const a = cachedWeights(n, s);
  // Rows first: tmp = A · src (s × n), then out = tmp · Aᵀ (s × s).
  const tmp = new Float64Array(s * n);
  for (let i = 0; i < s; i++) {
    for (let k = 0; k < n; k++) {
      const w = a[i * n + k]!;
      if (w === 0) continue;
      const row = offset + k * n;
      for (let l = 0; l < n; l++) tmp[i * n + l] = tmp[i * n + l]! + w * src[row + l]!;
    }
  }
  const out = new Float32Array(s * s);
  for (let i = 0; i < s; i++) {
    for (let j = 0; j < s; j++) {
      let v = 0;
      for (let l = 0; l < n; l++) v += tmp[i * n + l]! * a[j * n + l]!;
      out[i * s + j] = v;
    }
  }
  return out;
}
