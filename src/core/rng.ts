/**
 * Seeded pseudo-random numbers: every random choice krs makes (the demo's data split, initial
 * weights and batch order; the null level's permutation) comes from here, so one seed fixes a
 * run, on every platform.
 *
 * The generator is sfc32 (Doolittle's Small Fast Counting generator, 128-bit state, as in
 * PractRand's test suite), seeded through splitmix32 from the run's seed and a stream name,
 * so that independent streams (`split`, `teacher-init`, …) do not depend on how many numbers
 * another stream drew.
 */

/** A stream of uniform numbers in [0, 1) and the helpers built on it. */
export interface Rng {
  /** Uniform in [0, 1), 32 bits of resolution. */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** A uniformly random permutation of 0 … n−1 (Fisher–Yates). */
  permutation(n: number): Int32Array;
}

/** FNV-1a hash of a string, 32 bits. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** splitmix32: a well-mixed 32-bit value from a 32-bit state, for seeding. */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) >>> 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * The generator of stream `stream` under `seed` (any safe integer).
 * @example createRng(1, 'split').permutation(10) // the same 10 numbers every time
 */
export function createRng(seed: number, stream: string): Rng {
  const st = { s: (hashString(stream) ^ (seed >>> 0) ^ Math.floor(seed / 2 ** 32)) >>> 0 };
  let a = splitmix32(st);
  let b = splitmix32(st);
  let c = splitmix32(st);
  let d = splitmix32(st);
  const u32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) u32();
  const next = () => u32() / 2 ** 32;
  return {
    next,
    int: (n) => Math.floor(next() * n),
    permutation(n) {
      const p = new Int32Array(n);
      for (let i = 0; i < n; i++) p[i] = i;
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        const t = p[i]!;
        p[i] = p[j]!;
        p[j] = t;
      }
      return p;
    },
  };
}
