/**
 * Filling missing values (NaN) of a regular time series, column by column, in place.
 *
 * * `previous`: each missing value takes the last value before it (last observation carried
 *   forward).
 * * `linear`: each run of missing values between two values is interpolated linearly in the
 *   row index (= time, as rows are regular): v[i] = a + (b − a)·(i − i₀)/(i₁ − i₀).
 *
 * Missing values before a column's first value (and, for `linear`, after its last) have
 * nothing to fill from: they stay missing, and the windows touching them are skipped.
 */

export type FillMethod = 'previous' | 'linear';
export const FILL_METHODS = ['skip', 'previous', 'linear'] as const;

/** Fill one column in place; returns the indices filled. */
export function fillColumn(v: Float64Array, method: FillMethod): number[] {
  const filled: number[] = [];
  let last = -1;
  for (let i = 0; i < v.length; i++) {
    if (!Number.isNaN(v[i]!)) {
      if (method === 'linear' && last >= 0 && i - last > 1) {
        const a = v[last]!;
        const b = v[i]!;
        for (let k = last + 1; k < i; k++) {
          v[k] = a + ((b - a) * (k - last)) / (i - last);
          filled.push(k);
        }
      }
      last = i;
    } else if (method === 'previous' && last >= 0) {
      v[i] = v[last]!;
      filled.push(i);
    }
  }
  return filled;
}
