/**
 * Per-pixel losses of the segmenter, as pure functions of tensors (call them inside
 * `optimizer.minimize`). z logits [b, H, W, C], y labels [b, H, W] (int32, 0…C−1), T the
 * temperature, P = b·H·W pixels:
 *
 * | loss        | formula                                                                     |
 * |-------------|-----------------------------------------------------------------------------|
 * | pixel CE    | −(1/P) Σ_pixels log softmax(z)[y]                                            |
 * | pixel KD    | T² · (1/P) Σ_pixels KL(softmax(z_t/T) ‖ softmax(z_s/T))  (nats)              |
 *
 * Pixel KD is Hinton's soft-target term applied at every pixel (Liu et al. 2019's pixel-wise
 * distillation, with the KL in the teacher-first direction Hinton uses and T² so its
 * gradients keep their scale as T changes); from log-softmax, so it never overflows. The
 * feature losses (FitNet hints, pair-wise affinity) are in feature-losses.ts.
 */
import { errors } from '../../core/errors.js';
import { tf } from '../tf.js';

/** Mean per-pixel softmax cross-entropy of logits [b, H, W, C] against int32 labels [b, H, W]. */
export function pixelCrossEntropy(logits: tf.Tensor4D, labels: tf.Tensor3D): tf.Scalar {
  const [b, h, w, c] = logits.shape;
  if (labels.shape[0] !== b || labels.shape[1] !== h || labels.shape[2] !== w) {
    throw errors.shapeMismatch('label maps', `[${b}, ${h}, ${w}]`, `[${labels.shape.join(', ')}]`);
  }
  return tf.tidy(() => {
    const oneHot = tf.oneHot(tf.cast(labels, 'int32'), c);
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 3))) as tf.Scalar;
  });
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
