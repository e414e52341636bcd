/**
 * Input checks shared by every metric. Each throws a {@link KrsError} whose message
 * names the offending array (`what`), so callers pass a description such as
 * `teacher layer 'conv1' (t.npz)`.
 */
import { errors } from './errors.js';
import { isFloat, type Tensor } from './tensor.js';

/** Throw NON_FINITE at the first NaN or ±Inf in a floating-point tensor. O(size). */
export function assertFinite(t: Tensor, what: string): void {
  if (!isFloat(t.dtype)) return;
  const d = t.data as Float32Array | Float64Array;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (v - v !== 0) throw errors.nonFinite(what, i, v);
  }
}

/** Throw SHAPE_MISMATCH unless both tensors have the same number of samples (axis 0). */
export function assertSameSamples(teacher: Tensor, student: Tensor, what: string): void {
  const nt = teacher.shape[0] ?? 1;
  const ns = student.shape[0] ?? 1;
  if (nt !== ns) throw errors.sampleCountMismatch(what, nt, ns);
}
