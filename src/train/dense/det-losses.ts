/**
 * Losses of the CenterNet-style detector and of its output distillation, as pure functions
 * of TensorFlow.js tensors (call them inside `optimizer.minimize`).
 *
 * Notation: z heatmap logits [b, H, W, 10], p = σ(z), y the Gaussian target heatmap,
 * N = #{cells and classes with y = 1} (the objects), m the centre mask [b, H, W, 1].
 *
 * | loss            | formula                                                                              |
 * |-----------------|--------------------------------------------------------------------------------------|
 * | focal heatmap   | −(1/max(N, 1)) Σ { (1 − p)^α log p if y = 1; (1 − y)^β p^α log(1 − p) otherwise }, α 2, β 4 |
 * | size / offset   | (1/max(Σm, 1)) Σ_cells m · (|ŝ_w − s_w| + |ŝ_h − s_h|)   (L1 at the centre cells)   |
 * | detection       | focal + λ_size·size + λ_off·offset, λ_size 0.1, λ_off 1 (CenterNet's weights)         |
 * | output KD       | (1/max(Σm, 1)) Σ_cells,classes (p_s − p_t)² + λ_size·L1(ŝ_s, ŝ_t at m) [+ λ_off·L1(ô_s, ô_t at m)] |
 *
 * The focal loss is Zhou et al.'s penalty-reduced variant of Lin et al.'s focal loss; log p and
 * log(1 − p) are computed as −softplus(−z) and −softplus(z), which never overflow (CenterNet
 * clamps p to [1e-4, 1 − 1e-4] instead). Output distillation regresses the student's
 * sigmoid heatmap to the teacher's by squared error over every cell and class, normalised,
 * like the focal loss, by the number of objects, and the student's size (and offset) to the
 * teacher's at the ground-truth centres by L1 — the teacher's boxes are only meaningful
 * there. It is added to the ground-truth detection loss with a weight (see `kdWeight`).
 */
import { tf } from '../tf.js';

/** Exponents of the penalty-reduced focal loss. */
export interface FocalOptions {
  /** Focusing exponent α. Default 2. */
  alpha?: number;
  /** Penalty reduction exponent β of the negatives near a centre. Default 4. */
  beta?: number;
}

/** Penalty-reduced focal loss of heatmap logits [b, H, W, C] against targets y ∈ [0, 1] with peaks exactly 1. */
export function focalHeatmapLoss(logits: tf.Tensor4D, target: tf.Tensor4D, options: FocalOptions = {}): tf.Scalar {
  const alpha = options.alpha ?? 2;
  const beta = options.beta ?? 4;
  return tf.tidy(() => {
    const p = tf.sigmoid(logits);
    const logP = tf.neg(tf.softplus(tf.neg(logits)));
    const log1mP = tf.neg(tf.softplus(logits));
    const pos = tf.cast(tf.equal(target, 1), 'float32');
    const neg = tf.sub(1, pos);
    const posTerm = tf.mul(tf.mul(pos, tf.pow(tf.sub(1, p), alpha)), logP);
    const negTerm = tf.mul(tf.mul(tf.mul(neg, tf.pow(tf.sub(1, target), beta)), tf.pow(p, alpha)), log1mP);
    const count = tf.maximum(tf.sum(pos), 1);
    return tf.div(tf.neg(tf.add(tf.sum(posTerm), tf.sum(negTerm))), count) as tf.Scalar;
  });
}

/** L1 of a 2-channel regression [b, H, W, 2] at the masked cells, summed over the channels, averaged over Σmask (≥ 1). */
export function maskedL1Loss(pred: tf.Tensor4D, target: tf.Tensor4D, mask: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() => tf.div(tf.sum(tf.mul(mask, tf.abs(tf.sub(pred, target)))), tf.maximum(tf.sum(mask), 1)) as tf.Scalar);
}

/** Weights of the detection loss's terms. */
export interface DetLossWeights {
  /** λ_size. Default 0.1. */
  size?: number;
  /** λ_off (ignored without an offset head). Default 1. */
  offset?: number;
}

/** The heads a loss reads (a detector's output, or the teacher's precomputed heads). */
export interface DetHeads {
  readonly heatmapLogits: tf.Tensor4D;
  readonly size: tf.Tensor4D;
  readonly offset: tf.Tensor4D | null;
}

/** Ground-truth targets as tensors: heatmap [b, H, W, 10], size, offset [b, H, W, 2], centre mask [b, H, W, 1]. */
export interface DetTargetTensors {
  readonly heatmap: tf.Tensor4D;
  readonly size: tf.Tensor4D;
  readonly offset: tf.Tensor4D;
  readonly centreMask: tf.Tensor4D;
}

/** The ground-truth loss: focal + λ_size·L1(size) + λ_off·L1(offset). */
export function detectionLoss(out: DetHeads, target: DetTargetTensors, weights: DetLossWeights = {}, focal: FocalOptions = {}): tf.Scalar {
  return tf.tidy(() => {
    let loss = tf.add(
      focalHeatmapLoss(out.heatmapLogits, target.heatmap, focal),
      tf.mul(maskedL1Loss(out.size, target.size, target.centreMask), weights.size ?? 0.1),
    );
    if (out.offset) loss = tf.add(loss, tf.mul(maskedL1Loss(out.offset, target.offset, target.centreMask), weights.offset ?? 1));
    return loss as tf.Scalar;
  });
}

/**
 * Output distillation: (1/max(Σm, 1)) Σ (σ(z_s) − σ(z_t))² + λ_size·L1(ŝ_s, ŝ_t at m)
 * + λ_off·L1(ô_s, ô_t at m) when both have offsets. m is the ground-truth centre mask.
 */
export function outputDistillLoss(student: DetHeads, teacher: DetHeads, centreMask: tf.Tensor4D, weights: DetLossWeights = {}): tf.Scalar {
  return tf.tidy(() => {
    const diff = tf.sub(tf.sigmoid(student.heatmapLogits), tf.sigmoid(teacher.heatmapLogits));
    const heat = tf.div(tf.sum(tf.square(diff)), tf.maximum(tf.sum(centreMask), 1));
    let loss = tf.add(heat, tf.mul(maskedL1Loss(student.size, teacher.size, centreMask), weights.size ?? 0.1));
    if (student.offset && teacher.offset) loss = tf.add(loss, tf.mul(maskedL1Loss(student.offset, teacher.offset, centreMask), weights.offset ?? 1));
    return loss as tf.Scalar;
  });
}
