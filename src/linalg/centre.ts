/**
 * Column-centring a batch in two passes without a float64 intermediate: column means
 * accumulated in float64, then x − mean written straight into the output type (float32 for
 * a float32 matrix backend, which would otherwise convert a float64 copy). NaN/±Inf show up
 * in the column sums, so finiteness is checked for free (`finite: false` → the caller
 * locates the bad value).
 *
 * O(rows·cols) time, one output array.
 */
export function centreColumns(
  data: Float32Array | Float64Array,
  rows: number,
  cols: number,
  float32: boolean,
): { data: Float32Array | Float64Array; finite: boolean } {
  const means = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    for (let j = 0; j < cols; j++) means[j] += data[o + j]!;
  }
  let finite = true;
  for (let j = 0; j < cols; j++) {
    means[j] /= rows;
    if (means[j]! - means[j]! !== 0) finite = false;
  }
  const out = float32 ? new Float32Array(rows * cols) : new Float64Array(rows * cols);
  if (!finite) return { data: out, finite };
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    for (let j = 0; j < cols; j++) out[o + j] = data[o + j]! - means[j]!;
  }
  return { data: out, finite };
}
