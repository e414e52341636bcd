/**
 * Score axes that show the differences that matter. Scores live on 0–100, but students of one
 * teacher often differ by a few points: on a fixed 0–100 axis they cannot be told apart. A
 * {@link scoreAxis} zooms to the data, with round bounds (multiples of 1, 2, 5, 10 or 20) and
 * a title that says it is zoomed and where it starts and ends. Charts drawn on a zoomed axis
 * use positions (dots, lines, ranges), never bar lengths, so no length suggests a ratio.
 */

export interface ScoreAxis {
  /** [lo, hi], within [0, 100]. */
  domain: [number, number];
  /** True when the axis does not span 0–100. */
  zoomed: boolean;
  /** Tick spacing of the round bounds. */
  step: number;
  /** "axis zoomed to 84–96" or "full 0–100 axis": for subtitles. */
  note: string;
}

const STEPS = [0.5, 1, 2, 5, 10, 20];

/**
 * The axis for these score values (0–100): zoomed to their range padded by 5 % of it (at least
 * half a point), the bounds rounded outwards to a step giving 3–10 ticks; the full 0–100 axis
 * when the zoomed one would cover more than `fullAbove` points anyway.
 */
export function scoreAxis(values: readonly (number | null | undefined)[], options: { fullAbove?: number; minSpan?: number } = {}): ScoreAxis {
  const full: ScoreAxis = { domain: [0, 100], zoomed: false, step: 20, note: 'full 0–100 axis' };
  const vs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (!vs.length) return full;
  const min = Math.max(0, Math.min(...vs));
  const max = Math.min(100, Math.max(...vs));
  const pad = Math.max(0.5, 0.05 * (max - min));
  const span = Math.max(options.minSpan ?? 2, max - min + 2 * pad);
  const step = STEPS.find((s) => span / s <= 8) ?? 20;
  const mid = (min + max) / 2;
  let lo = Math.floor(Math.min(min - pad, mid - span / 2) / step) * step;
  let hi = Math.ceil(Math.max(max + pad, mid + span / 2) / step) * step;
  // Clipped to [0, 100], the span kept by moving the other bound.
  if (hi > 100) [lo, hi] = [Math.max(0, lo - (hi - 100)), 100];
  if (lo < 0) [lo, hi] = [0, Math.min(100, hi - lo)];
  if (hi - lo > (options.fullAbove ?? 60)) return full;
  if (lo === 0 && hi === 100) return full;
  const n = (v: number) => String(+v.toFixed(1));
  return { domain: [lo, hi], zoomed: true, step, note: `axis zoomed to ${n(lo)}–${n(hi)}` };
}

/** Axis settings for counts (epochs, steps): ticks on whole numbers only, printed without decimals. */
export const INTEGER_AXIS = { tickMinStep: 1, format: 'd' } as const;

/** An axis title stating the scale: "KRS (0–100, axis zoomed to 84–96)" or "KRS (0–100)". */
export function axisTitle(what: string, axis: ScoreAxis): string {
  return axis.zoomed ? `${what} (0–100; ${axis.note})` : `${what} (0–100)`;
}
