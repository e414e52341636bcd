/**
 * The training losses of the demo, as pure functions of TensorFlow.js tensors
 * (call them inside `optimizer.minimize`, which tracks gradients).
 *
 * | method   | loss                                                                      |
 * |----------|---------------------------------------------------------------------------|
 * | baseline | CE(y, s)                                                                  |
 * | kd       | (1 − λ)·CE(y, s) + λ·T²·KL(softmax(t/T) ‖ softmax(s/T))  (Hinton et al.)   |
 * | fitnet   | stage 1: ½·mean‖r(h_s) − h_t‖²  (Romero et al.); stage 2: the kd loss       |
 *
 * y one-hot labels, s and t student and teacher logits, T the temperature, λ the weight of
 * the soft targets, h_s / h_t the guided student layer and the teacher's hint layer, r a
 * learned linear regressor. The T² factor keeps the soft targets' gradients on the scale of
 * the hard ones as T changes (Hinton, Vinyals & Dean 2015, §2).
 */
import { tf } from './tf.js';

/** Mean softmax cross-entropy of logits [b, C] against one-hot labels [b, C]. */
export function hardLoss(logits: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1))) as tf.Scalar);
}

/** T²·mean over the batch of KL(softmax(t/T) ‖ softmax(s/T)), from log-softmax (never overflows). */
export function softTargetLoss(studentLogits: tf.Tensor2D, teacherLogits: tf.Tensor2D, temperature: number): tf.Scalar {
  return tf.tidy(() => {
    const logPt = tf.logSoftmax(tf.div(teacherLogits, temperature));
    const logPs = tf.logSoftmax(tf.div(studentLogits, temperature));
    const kl = tf.sum(tf.mul(tf.exp(logPt), tf.sub(logPt, logPs)), 1);
    return tf.mul(tf.mean(kl), temperature * temperature) as tf.Scalar;
  });
}

/** Hinton's distillation loss: (1 − λ)·CE(y, s) + λ·T²·KL(p_t^T ‖ p_s^T). */
export function distillationLoss(
  studentLogits: tf.Tensor2D,
  teacherLogits: tf.Tensor2D,
  oneHot: tf.Tensor2D,
  temperature: number,
  softWeight: number,
): tf.Scalar {
  return tf.tidy(
    () =>
      tf.add(
        tf.mul(hardLoss(studentLogits, oneHot), 1 - softWeight),
        tf.mul(softTargetLoss(studentLogits, teacherLogits, temperature), softWeight),
      ) as tf.Scalar,
  );
}

/** FitNet's hint loss: ½ · mean over the batch of ‖regressed − hint‖² (summed over units). */
export function hintLoss(regressed: tf.Tensor2D, hint: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mul(tf.mean(tf.sum(tf.square(tf.sub(regressed, hint)), 1)), 0.5) as tf.Scalar);
}
