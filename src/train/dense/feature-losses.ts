/**
 * Feature-level distillation losses on conv maps [b, h, w, c], shared by the detector and the
 * segmenter (pure functions of tensors; call them inside `optimizer.minimize`).
 *
 * | loss            | formula                                                                                 |
 * |-----------------|-----------------------------------------------------------------------------------------|
 * | FitNet hint     | mean over b·h·w·c of (r(F_s) − F_t)², r a learned 1×1 conv (Romero et al. 2015)          |
 * | imitation       | Σ_{b,i,j,c} I_bij (a(F_s) − F_t)²_bijc / (2 · max(Σ I, 1)), a a learned 3×3 conv (Wang et al. 2019) |
 * | affinity        | mean over b and all ordered pairs (i, j) of (a^S_ij − a^T_ij)² (Liu et al. 2019)          |
 *
 * Imitation: I is the imitation mask (`imitationMask` in det-targets.ts, 0/1 or soft); the
 * sum runs over the whole batch and is divided by twice the batch's mask total, Wang et al.'s
 * 1/(2N_p) with N_p summed over the images. Affinity: the stage is first average-pooled into
 * β×β patches (stride β, β = 1 keeps every position), each of the n = (h/β)(w/β) positions
 * becomes a feature vector f_i ∈ ℝ^c, and a_ij = f_i·f_j / (‖f_i‖_ε ‖f_j‖_ε) with
 * ‖f‖_ε = √(‖f‖² + ε), ε = 1e-8 — the cosine similarity, 0 for an all-zero vector (a ReLU map
 * can have one) instead of NaN, with a finite gradient. The mean runs over all n² ordered pairs,
 * i = j included (their a is 1 on both sides unless the vector is zero), as in the paper.
 * Student and teacher may differ in channels (the affinity is n × n either way) but not in
 * h, w.
 */
import { errors } from '../../core/errors.js';
import { tf } from '../tf.js';

function sameShape(what: string, a: tf.Tensor, b: tf.Tensor): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw errors.shapeMismatch(what, `[${b.shape.join(', ')}] (the teacher's)`, `[${a.shape.join(', ')}]`);
  }
}

/** FitNet's hint loss on conv maps: mean squared difference of the regressed student map and the teacher's. */
export function hintLoss(regressed: tf.Tensor4D, hint: tf.Tensor4D): tf.Scalar {
  sameShape('regressed student stage', regressed, hint);
  return tf.tidy(() => tf.mean(tf.square(tf.sub(regressed, hint))) as tf.Scalar);
}

/** Fine-grained feature imitation: masked squared error over 2·Σmask, mask [b, h, w, 1]. */
export function imitationLoss(adapted: tf.Tensor4D, teacher: tf.Tensor4D, mask: tf.Tensor4D): tf.Scalar {
  sameShape('adapted student stage', adapted, teacher);
  const [b, h, w] = teacher.shape;
  if (mask.shape[0] !== b || mask.shape[1] !== h || mask.shape[2] !== w || mask.shape[3] !== 1) {
    throw errors.shapeMismatch('imitation mask', `[${b}, ${h}, ${w}, 1]`, `[${mask.shape.join(', ')}]`);
  }
  return tf.tidy(() => {
    const se = tf.sum(tf.mul(mask, tf.square(tf.sub(adapted, teacher))));
    return tf.div(se, tf.mul(tf.maximum(tf.sum(mask), 1), 2)) as tf.Scalar;
  });
}

/** ε inside the norms of the affinity's cosine. */
export const AFFINITY_EPS = 1e-8;

/** The affinity matrices [b, n, n] of a stage [b, h, w, c] pooled into β×β patches. */
export function affinityMatrix(features: tf.Tensor4D, patch = 1): tf.Tensor3D {
  if (!Number.isInteger(patch) || patch < 1) throw errors.badOption('patch', patch, 'a positive integer');
  const [, h, w] = features.shape;
  if (h % patch !== 0 || w % patch !== 0) throw errors.shapeMismatch('affinity stage', `height and width multiples of the patch ${patch}`, `${h}×${w}`);
  return tf.tidy(() => {
    const pooled = patch === 1 ? features : tf.avgPool(features, patch, patch, 'valid');
    const [b, ph, pw, c] = pooled.shape;
    const f = tf.reshape(pooled, [b, ph * pw, c]);
    const unit = tf.div(f, tf.sqrt(tf.add(tf.sum(tf.square(f), 2, true), AFFINITY_EPS)));
    return tf.matMul(unit, unit, false, true) as tf.Tensor3D;
  });
}

/** Pair-wise affinity distillation: mean over b, i, j of (a^S_ij − a^T_ij)². */
export function affinityLoss(student: tf.Tensor4D, teacher: tf.Tensor4D, patch = 1): tf.Scalar {
  if (student.shape[0] !== teacher.shape[0] || student.shape[1] !== teacher.shape[1] || student.shape[2] !== teacher.shape[2]) {
    throw errors.shapeMismatch(
      'student stage for affinity',
      `[${teacher.shape.slice(0, 3).join(', ')}, c] (the teacher's batch, height, width)`,
      `[${student.shape.join(', ')}]`,
    );
  }
  return tf.tidy(() => tf.mean(tf.square(tf.sub(affinityMatrix(student, patch), affinityMatrix(teacher, patch)))) as tf.Scalar);
}
