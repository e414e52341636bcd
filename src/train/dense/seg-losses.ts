/**
 * Per-pixel losses of the segmenter, as pure functions of tensors (call them inside
 * `optimizer.minimize`). z logits [b, H, W, C], y labels [b, H, W] (int32, 0…C−1), T the
 * temperature, P = b·H·W pixels:
 *
 * | loss        | formula                                                                     |
 * |-------------|-----------------------------------------------------------------------------|
 * | pixel CE    | −(1/P) Σ_pixels log softmax(z)[y]                                            |
 * | weighted CE | −Σ_pixels w[y] log softmax(z)[y] / Σ_pixels w[y]   (class weights w ≥ 0)      |
 * | pixel KD    | T² · (1/P) Σ_pixels KL(softmax(z_t/T) ‖ softmax(z_s/T))  (nats)              |
 *
 * Pixel KD is Hinton's soft-target term applied at every pixel (Liu et al. 2019's pixel-wise
 * distillation, with the KL in the teacher-first direction Hinton uses and T² so its
 * gradients keep their scale as T changes); from log-softmax, so it never overflows. The
 * feature losses (FitNet hints, pair-wise affinity) are in feature-losses.ts.
 */
import { errors } from '../../core/errors.js';
import { tf } from '../tf.js';

/**
 * Mean per-pixel softmax cross-entropy of logits [b, H, W, C] against int32 labels [b, H, W].
 * With `classWeights` [C] (each ≥ 0), the weighted mean Σ w[y]·CE / Σ w[y] (PyTorch's
 * `CrossEntropyLoss(weight)` with mean reduction); a batch whose pixels all weigh 0 gives 0.
 */
export function pixelCrossEntropy(logits: tf.Tensor4D, labels: tf.Tensor3D, classWeights?: tf.Tensor1D): tf.Scalar {
  const [b, h, w, c] = logits.shape;
  if (labels.shape[0] !== b || labels.shape[1] !== h || labels.shape[2] !== w) {
    throw errors.shapeMismatch('label maps', `[${b}, ${h}, ${w}]`, `[${labels.shape.join(', ')}]`);
  }
  if (classWeights && classWeights.shape[0] !== c) throw errors.shapeMismatch('class weights', `[${c}] (one per class)`, `[${classWeights.shape.join(', ')}]`);
  return tf.tidy(() => {
    const oneHot = tf.oneHot(tf.cast(labels, 'int32'), c);
    const ce = tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 3));
    if (!classWeights) return tf.mean(ce) as tf.Scalar;
    const wPixel = tf.sum(tf.mul(oneHot, classWeights), 3);
    return tf.div(tf.sum(tf.mul(wPixel, ce)), tf.maximum(tf.sum(wPixel), 1e-12)) as tf.Scalar;
  });
}

/**
 * Class weights from the pixel frequencies of label maps (values 0 … classes−1):
 * w_c = (median_k f_k / f_c)^power, f_c = |pixels of class c| / |pixels|, the median over the
 * classes present — median-frequency balancing (Eigen & Fergus 2015) at power 1, uniform at 0,
 * its square root at ½. A class absent from the labels gets weight 1.
 */
export function medianFrequencyWeights(labels: ArrayLike<number>, classes: number, power = 1): number[] {
  if (!(power >= 0) || !Number.isFinite(power)) throw errors.badOption('classWeightPower', power, 'a finite number ≥ 0');
  const counts = new Float64Array(classes);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (!(Number.isInteger(y) && y >= 0 && y < classes)) throw errors.badValue(`label at flat index ${i}`, y, `a class in [0, ${classes})`);
    counts[y]++;
  }
  const present = [...counts].filter((n) => n > 0).sort((x, y) => x - y);
  if (present.length === 0) return Array.from({ length: classes }, () => 1);
  const mid = present.length >> 1;
  const median = present.length % 2 === 1 ? present[mid]! : (present[mid - 1]! + present[mid]!) / 2;
  return [...counts].map((n) => (n > 0 ? (median / n) ** power : 1));
}

/** T² · mean over pixels of KL(softmax(t/T) ‖ softmax(s/T)). */
export function pixelKdLoss(studentLogits: tf.Tensor4D, teacherLogits: tf.Tensor4D, temperature: number): tf.Scalar {
  if (!(temperature > 0) || !Number.isFinite(temperature)) throw errors.badOption('temperature', temperature, 'a positive finite number');
  if (studentLogits.shape.some((d, i) => d !== teacherLogits.shape[i])) {
    throw errors.shapeMismatch('student logits', `[${teacherLogits.shape.join(', ')}] (the teacher's)`, `[${studentLogits.shape.join(', ')}]`);
  }
  return tf.tidy(() => {
    const logPt = tf.logSoftmax(tf.div(teacherLogits, temperature));
    const logPs = tf.logSoftmax(tf.div(studentLogits, temperature));
    const kl = tf.sum(tf.mul(tf.exp(logPt), tf.sub(logPt, logPs)), 3);
    return tf.mul(tf.mean(kl), temperature * temperature) as tf.Scalar;
  });
}
