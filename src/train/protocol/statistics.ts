/**
 * The study's own statistics beside `krs analyze`'s: correlations with Fisher-z intervals,
 * the paired standard error of an accuracy difference, and the α that makes KRS track the
 * task metric best.
 */
import { type PearsonResult, pearson } from '../../stats/pearson.js';

/** z₀.₉₇₅ of the standard normal. */
export const Z95 = 1.959963984540054;

/** A correlation with its Fisher-z 95 % interval. */
export interface CorrelationSummary extends PearsonResult {
  ci95: [number, number] | null;
}

/**
 * Fisher's z interval of a correlation: tanh(atanh r ± z₀.₉₇₅ / √(n − 3)); null for n < 4
 * or |r| = 1 or r undefined.
 */
export function fisherInterval(r: number | null, n: number): [number, number] | null {
  if (r === null || n < 4 || Math.abs(r) >= 1) return null;
  const z = Math.atanh(r);
  const h = Z95 / Math.sqrt(n - 3);
  return [Math.tanh(z - h), Math.tanh(z + h)];
}

/** Pearson's r with its Fisher-z interval. */
export function correlation(x: readonly number[], y: readonly number[]): CorrelationSummary {
  const p = pearson(x, y);
  return { ...p, ci95: fisherInterval(p.r, p.n) };
}

/**
 * Paired standard error (points) of the accuracy difference of two classifiers on the same
 * n samples: with b samples only the first gets right and c only the second,
 * Δ = (c − b)/n and se = √(b + c − (c − b)²/n) / n (the variance of the mean of the per-sample
 * differences, divided by n rather than n − 1), times 100.
 */
export function pairedAccuracySe(first: Int32Array, second: Int32Array, labels: Int32Array): number {
  const n = labels.length;
  let b = 0;
  let c = 0;
  for (let i = 0; i < n; i++) {
    const r1 = first[i] === labels[i];
    const r2 = second[i] === labels[i];
    if (r1 && !r2) b++;
    else if (r2 && !r1) c++;
  }
  return (100 * Math.sqrt(Math.max(0, b + c - ((c - b) * (c - b)) / n))) / n;
}

/** r(KRS_α, metric) at one α of the sweep. */
export interface AlphaPoint {
  alpha: number;
  r: number | null;
}

/** The α sweep of the correlation: r of KRS_α = α·FSS + (1 − α)·AOA with the metric, α = 0, step, …, 1. */
export interface AlphaCorrelationSweep {
  points: AlphaPoint[];
  /** The α of the highest r (the smallest such α on ties), or null when r is undefined at every α. */
  best: AlphaPoint | null;
}

/**
 * Pearson r of KRS_α with the metric over the experiments, for α on a grid of `step` from 0
 * to 1 — the paper's sensitivity analysis (§4.2.6) read as "which weighting makes KRS track the
 * task metric": near 0 it is AOA's correlation, at 1 FSS's.
 */
export function alphaCorrelationSweep(fss: readonly number[], aoa: readonly number[], metric: readonly number[], step = 0.01): AlphaCorrelationSweep {
  const count = Math.round(1 / step);
  const points: AlphaPoint[] = [];
  for (let k = 0; k <= count; k++) {
    const alpha = Math.round(k * step * 1e6) / 1e6;
    points.push({
      alpha,
      r: pearson(
        fss.map((f, i) => alpha * f + (1 - alpha) * aoa[i]!),
        metric,
      ).r,
    });
  }
  let best: AlphaPoint | null = null;
  for (const p of points) if (p.r !== null && (best === null || p.r > best.r!)) best = p;
  return { points, best };
}
