/**
 * The regularised incomplete beta function I_x(a, b) and what it needs, written from the
 * published formulas (no library):
 *
 * - I_x(a, b) = x^a (1 − x)^b / (a B(a, b)) · 1 / (1 + d₁ / (1 + d₂ / (1 + …))) with
 *   d₂ₘ₊₁ = −(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)) and
 *   d₂ₘ = m (b − m) x / ((a + 2m − 1)(a + 2m)) (DLMF 8.17.22), evaluated by the modified Lentz
 *   algorithm (Lentz 1976; Thompson & Barnett 1986). It converges quickly for
 *   x < (a + 1)/(a + b + 2); above, I_x(a, b) = 1 − I_{1−x}(b, a) (DLMF 8.17.4) is used, so the
 *   continued fraction always runs on the side where it converges and the smaller of the two
 *   tails is computed directly (no cancellation).
 * - ln Γ(z + ½) − ln Γ(z) by Stirling's series (DLMF 5.11.1) after shifting z to ≥ 10 with
 *   Γ(z + 1) = z Γ(z): the difference is formed term by term, so the beta function B(c, ½) of
 *   Student's t stays accurate to ~1e-16 absolute in its logarithm even at c = 5·10⁵ (ν = 10⁶),
 *   where two separate ln Γ values of ~6·10⁶ would lose ten digits.
 *
 * Both parameters of the t distribution's beta are (ν/2, ½): {@link lnBetaHalf} is B(c, ½).
 */

/** Stirling's series coefficients B₂ₖ / (2k (2k − 1)), k = 1 … 7 (Bernoulli numbers B₂ … B₁₄). */
const STIRLING = [1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156];

/** Where Stirling's series is used; smaller arguments are shifted up to it. */
const STIRLING_FROM = 10;

/** Relative size of the last continued-fraction factor's departure from 1 at which it stops. */
const CF_EPS = 1e-17;
/** Avoids division by zero in Lentz's algorithm. */
const CF_TINY = 1e-300;
/** The continued fraction takes O(√max(a, b)) terms; this bound is far above what ν ≤ 10⁸ needs. */
const CF_MAX_TERMS = 200_000;

/** Σₖ cₖ z^{−(2k−1)}: the correction terms of Stirling's series at z ≥ {@link STIRLING_FROM}. */
function stirlingTail(z: number): number {
  const z2 = z * z;
  let p = 1 / z;
  let s = 0;
  for (const c of STIRLING) {
    s += c * p;
    p /= z2;
  }
  return s;
}

/**
 * ln Γ(z + ½) − ln Γ(z) for z > 0. For z ≥ 10 by Stirling's series:
 * ½ ln z + (z ln(1 + 1/(2z)) − ½) + Σₖ cₖ ((z + ½)^{−(2k−1)} − z^{−(2k−1)}); below, shifted up by
 * Γ(z + ½)/Γ(z) = Γ(z + n + ½)/Γ(z + n) · Πₖ (z + k)/(z + k + ½).
 */
export function lnGammaRatioHalf(z: number): number {
  let shift = 0;
  let x = z;
  while (x < STIRLING_FROM) {
    shift += Math.log(x / (x + 0.5));
    x += 1;
  }
  return shift + 0.5 * Math.log(x) + (x * Math.log1p(0.5 / x) - 0.5) + (stirlingTail(x + 0.5) - stirlingTail(x));
}

/** ln √π = ln Γ(½). */
const LN_SQRT_PI = 0.5 * Math.log(Math.PI);

/** ln B(c, ½) = ln Γ(c) + ln Γ(½) − ln Γ(c + ½), for c > 0. */
export function lnBetaHalf(c: number): number {
  return LN_SQRT_PI - lnGammaRatioHalf(c);
}

/** A double-double number hi + lo (|lo| ≤ ½ ulp(hi)): ~32 significant digits (Dekker 1971). */
export type DD = readonly [hi: number, lo: number];

const SPLIT = 134217729; // 2^27 + 1, Veltkamp's splitter

/** hi + lo renormalised, assuming |hi| ≥ |lo|. */
function quick(hi: number, lo: number): DD {
  const s = hi + lo;
  return [s, lo - (s - hi)];
}

/** The exact sum of two doubles as a double-double (Knuth's TwoSum). */
function twoSum(a: number, b: number): DD {
  const s = a + b;
  const bb = s - a;
  return [s, a - (s - bb) + (b - bb)];
}

/** The exact product of two doubles as a double-double (Dekker's TwoProduct with Veltkamp splitting). */
export function twoProd(a: number, b: number): DD {
  const p = a * b;
  const ca = SPLIT * a;
  const ah = ca - (ca - a);
  const al = a - ah;
  const cb = SPLIT * b;
  const bh = cb - (cb - b);
  const bl = b - bh;
  return [p, ah * bh - p + ah * bl + al * bh + al * bl];
}

export function ddAdd(a: DD, b: DD): DD {
  const s = twoSum(a[0], b[0]);
  const t = twoSum(a[1], b[1]);
  const u = quick(s[0], s[1] + t[0]);
  return quick(u[0], u[1] + t[1]);
}

export function ddMul(a: DD, b: DD): DD {
  const p = twoProd(a[0], b[0]);
  return quick(p[0], p[1] + (a[0] * b[1] + a[1] * b[0]));
}

export function ddDiv(a: DD, b: DD): DD {
  const q1 = a[0] / b[0];
  const r1 = ddAdd(a, ddMul(b, [-q1, 0]));
  const q2 = r1[0] / b[0];
  const r2 = ddAdd(r1, ddMul(b, [-q2, 0]));
  const q3 = r2[0] / b[0];
  const q = quick(q1, q2);
  return ddAdd(q, [q3, 0]);
}

const ONE: DD = [1, 0];

/**
 * The continued fraction 1 / (1 + d₁ / (1 + d₂ / …)) of I_x(a, b) (DLMF 8.17.22) by the
 * modified Lentz algorithm, in double-double arithmetic: for large a with x near 1 (Student's t
 * with ν ≫ 1) its recurrences cancel to ~ν/(1 + t²) times the rounding error, which double
 * precision turns into 1e-11 relative errors at ν = 10⁶; double-double keeps them below 1e-16.
 * Converges fast for x < (a + 1)/(a + b + 2).
 * @throws Error when it has not converged after {@link CF_MAX_TERMS} terms (not reached for t).
 */
function betaFraction(x: DD, a: number, b: number): number {
  const guard = (v: DD): DD => (Math.abs(v[0]) < CF_TINY ? [CF_TINY, 0] : v);
  const coefficient = (num1: number, num2: number, den1: number, den2: number) => ddDiv(ddMul(twoProd(num1, num2), x), twoProd(den1, den2));
  let c: DD = ONE;
  const first = ddDiv(ddMul([a + b, 0], x), [a + 1, 0]);
  let d: DD = ddDiv(ONE, guard(ddAdd(ONE, [-first[0], -first[1]])));
  let h: DD = d;
  for (let m = 1; m <= CF_MAX_TERMS; m++) {
    const m2 = 2 * m;
    for (const e of [coefficient(m, b - m, a + m2 - 1, a + m2), coefficient(-(a + m), a + b + m, a + m2, a + m2 + 1)]) {
      d = ddDiv(ONE, guard(ddAdd(ONE, ddMul(e, d))));
      c = guard(ddAdd(ONE, ddDiv(e, c)));
      h = ddMul(h, ddMul(d, c));
    }
    const step = ddMul(d, c);
    if (Math.abs(step[0] - 1 + step[1]) < CF_EPS) return h[0] + h[1];
  }
  throw new Error(`incomplete beta: the continued fraction did not converge (x ${x[0]}, a ${a}, b ${b})`);
}

/**
 * The same continued fraction in double precision, where its cancellation costs nothing
 * measurable: max(a, b) ≤ {@link DOUBLE_UP_TO} (ν ≤ 100 for t; 1e-15 relative on the fixtures).
 */
function betaFractionDouble(x: number, a: number, b: number): number {
  const guard = (v: number) => (Math.abs(v) < CF_TINY ? CF_TINY : v);
  let c = 1;
  let d = 1 / guard(1 - ((a + b) * x) / (a + 1));
  let h = d;
  for (let m = 1; m <= CF_MAX_TERMS; m++) {
    const m2 = 2 * m;
    const even = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 / guard(1 + even * d);
    c = guard(1 + even / c);
    h *= d * c;
    const odd = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 / guard(1 + odd * d);
    c = guard(1 + odd / c);
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-16) return h;
  }
  throw new Error(`incomplete beta: the continued fraction did not converge (x ${x}, a ${a}, b ${b})`);
}

/** Up to which max(a, b) the continued fraction runs in double precision. */
const DOUBLE_UP_TO = 50;

/** The continued fraction, in double precision for moderate parameters, else in double-double. */
function fraction(x: DD, a: number, b: number): number {
  return Math.max(a, b) <= DOUBLE_UP_TO ? betaFractionDouble(x[0] + x[1], a, b) : betaFraction(x, a, b);
}

/**
 * I_x(a, b) and its complement 1 − I_x(a, b) = I_y(b, a), given x and y = 1 − x as
 * double-doubles (the tails of t need both to full relative precision), ln x, ln y and
 * ln B(a, b). The tail the continued fraction converges for is computed directly, the other as
 * one minus it.
 */
export function incompleteBetaPair(x: { value: DD; log: number }, y: { value: DD; log: number }, a: number, b: number, lnBeta: number): [number, number] {
  if (x.value[0] <= 0) return [0, 1];
  if (y.value[0] <= 0) return [1, 0];
  if (x.value[0] < (a + 1) / (a + b + 2)) {
    const direct = Math.exp(a * x.log + b * y.log - lnBeta - Math.log(a)) * fraction(x.value, a, b);
    return [direct, 1 - direct];
  }
  const other = Math.exp(b * y.log + a * x.log - lnBeta - Math.log(b)) * fraction(y.value, b, a);
  return [1 - other, other];
}
