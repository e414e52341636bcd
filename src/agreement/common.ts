/** Numeric views of tensors shared by the agreement measures. Internal to src/agreement. */
import { type Tensor, toFloat64 } from '../core/tensor.js';

/**
 * The tensor's elements as something indexable by number, without copying unless
 * the data are 64-bit integers (which are converted to float64 once).
 */
export function numbers(t: Tensor): ArrayLike<number> {
  const d = t.data;
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) return toFloat64(d);
  return d;
}
