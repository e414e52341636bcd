/**
 * Symmetric matrices stored as their packed lower triangle, row-major: entry (i, j) with
 * j ≤ i lives at i(i+1)/2 + j, so a p×p symmetric matrix takes p(p+1)/2 values — half the
 * memory (and half the first-touch page faults) of the full square. Helpers here are the
 * O(p²) bookkeeping CKA statistics need; each reads the packed array once.
 */

/** Number of values in a packed p×p symmetric matrix. */
export function packedLength(p: number): number {
  return (p * (p + 1)) / 2;
}

/** Pack the lower triangle of a full row-major p×p matrix. */
export function pack(full: Float64Array, p: number, out: Float64Array = new Float64Array(packedLength(p))): Float64Array {
  for (let i = 0; i < p; i++) {
    const o = (i * (i + 1)) / 2;
    for (let j = 0; j <= i; j++) out[o + j] = full[i * p + j]!;
  }
  return out;
}

/** The full row-major p×p matrix of a packed one. */
export function unpack(packed: Float64Array, p: number): Float64Array {
  const out = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    const o = (i * (i + 1)) / 2;
    for (let j = 0; j <= i; j++) out[i * p + j] = out[j * p + i] = packed[o + j]!;
  }
  return out;
}

/** M·v for a packed symmetric M. */
export function packedMatVec(m: Float64Array, p: number, v: Float64Array): Float64Array {
  const out = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    const o = (i * (i + 1)) / 2;
    const vi = v[i]!;
    let s = m[o + i]! * vi;
    for (let j = 0; j < i; j++) {
      const mij = m[o + j]!;
      s += mij * v[j]!;
      out[j] += mij * vi;
    }
    out[i] += s;
  }
  return out;
}

/** Trace of a packed symmetric matrix. */
export function packedTrace(m: Float64Array, p: number): number {
  let s = 0;
  for (let i = 0; i < p; i++) s += m[(i * (i + 3)) / 2]!;
  return s;
}

/** ‖M − n·a·aᵀ‖²_F of a packed symmetric M (off-diagonal entries counted twice). */
export function packedCentredNorm2(m: Float64Array, a: Float64Array, n: number, p: number): number {
  let diag = 0;
  let off = 0;
  for (let i = 0; i < p; i++) {
    const o = (i * (i + 1)) / 2;
    const na = n * a[i]!;
    for (let j = 0; j < i; j++) {
      const v = m[o + j]! - na * a[j]!;
      off += v * v;
    }
    const d = m[o + i]! - na * a[i]!;
    diag += d * d;
  }
  return diag + 2 * off;
}

/** out = M − s·eᵀ − e·sᵀ + n·e·eᵀ for packed symmetric M (Σ(x'−e)(x'−e)ᵀ from Σx'x'ᵀ, Σx' = s). */
export function packedShiftOuter(out: Float64Array, m: Float64Array, s: Float64Array, e: Float64Array, n: number, p: number): void {
  for (let i = 0; i < p; i++) {
    const o = (i * (i + 1)) / 2;
    const si = s[i]!;
    const ei = e[i]!;
    for (let j = 0; j <= i; j++) out[o + j] = m[o + j]! - si * e[j]! - ei * s[j]! + n * ei * e[j]!;
  }
}
