/**
 * The buckets a run's merged states are kept in (docs/service.md §"Buckets"): on each axis
 * (training steps, or time in milliseconds) a few levels of aligned, fixed-width buckets,
 * each width a multiple of the one below:
 *
 *     step: 1, 16, 256, 4 096, 65 536 steps
 *     time: 1 min, 1 h, 1 day, 1 week
 *
 * A point is in one bucket per level. The lowest level is kept merged as points arrive; the
 * others are merged from the level below when first read after a change. A window is covered
 * by the fewest whole buckets ({@link cover}): on every level only the bucket-aligned middle
 * of what the level above left, so a read merges O(levels × width ratio) buckets however many
 * points the window holds. What is left below the lowest level (the partial minutes at the ends
 * of a time window) is read as points.
 */

export type Axis = 'step' | 'time';

export const LEVELS: Readonly<Record<Axis, readonly number[]>> = {
  step: [1, 16, 256, 4096, 65_536],
  time: [60_000, 3_600_000, 86_400_000, 604_800_000],
};

/** A bucket: level `width` on `axis`, covering [start, start + width). */
export interface BucketKey {
  axis: Axis;
  width: number;
  start: number;
}

/** Where a point at `value` (a step, or a time in ms) sits on each level of `axis`, lowest first. */
export function bucketsOf(axis: Axis, value: number): BucketKey[] {
  return LEVELS[axis].map((width) => ({ axis, width, start: Math.floor(value / width) * width }));
}

/** A run of whole buckets of one level, [from, to), and raw ranges below the lowest level. */
export interface Cover {
  /** Per level: the half-open ranges of bucket starts to read (every bucket starting inside is whole in the window). */
  ranges: { width: number; from: number; to: number }[];
  /** Ranges [from, to) finer than the lowest level: read their points. */
  rest: { from: number; to: number }[];
}

/**
 * The fewest whole buckets covering [from, to) (half-open, in axis units), level by level
 * from the widest: on each level the aligned middle of every range the wider level left.
 */
export function cover(axis: Axis, from: number, to: number): Cover {
  const levels = LEVELS[axis];
  const out: Cover = { ranges: [], rest: [] };
  let open: { from: number; to: number }[] = from < to ? [{ from, to }] : [];
  for (let level = levels.length - 1; level >= 0 && open.length; level--) {
    const w = levels[level]!;
    const next: { from: number; to: number }[] = [];
    for (const r of open) {
      const a = Math.ceil(r.from / w) * w;
      const b = Math.floor(r.to / w) * w;
      if (a >= b) {
        next.push(r);
        continue;
      }
      out.ranges.push({ width: w, from: a, to: b });
      if (r.from < a) next.push({ from: r.from, to: a });
      if (b < r.to) next.push({ from: b, to: r.to });
    }
    open = next;
  }
  out.rest = open;
  return out;
}
