/**
 * The CNN study's feature losses, as pure functions of TensorFlow.js tensors (call them
 * inside `optimizer.minimize`, which tracks gradients). Vanilla KD reuses the MLP's
 * `distillationLoss` (src/train/losses.ts).
 *
 * | method | loss                                                                                 |
 * |--------|--------------------------------------------------------------------------------------|
 * | fitnet | stage 1: ½ · mean_b ‖r(A_S) − A_T‖² over a conv stage (Romero et al. 2015); stage 2: KD |
 * | at     | CE(y, s) + β/2 · Σ_j mean_b ‖Q_S^j/‖Q_S^j‖₂ − Q_T^j/‖Q_T^j‖₂‖₂ (Zagoruyko & Komodakis 2017) |
 *
 * A_S, A_T are a student and a teacher stage [b, h, w, c] (channels last), r the learned 1×1
 * convolution from the student's channels to the teacher's, Q = Σ_c |A_c|^p (p = 2) a
 * stage's attention map flattened to h·w values, j the stages paired.
 */
import { errors, fmtShape } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import { tf } from '../tf.js';

/** The smallest norm an attention map is divided by (an all-zero map stays zero). */
const NORM_FLOOR = 1e-12;

/**
 * The attention map of a stage: Q = Σ_c |A_c|^p over the channels, flattened to [b, h·w]
 * (row-major over h, w). p = 2 by default (the paper's choice), computed as A² exactly.
 */
export function attentionMap(a: tf.Tensor4D, p = 2): tf.Tensor2D {
  return tf.tidy(() => {
    const [b, h, w] = a.shape;
    const powered = p === 2 ? tf.square(a) : tf.pow(tf.abs(a), p);
    return tf.reshape(tf.sum(powered, 3), [b, h * w]) as tf.Tensor2D;
  });
}

/**
 * A stage's attention map divided by its L2 norm, per sample: Q / max(‖Q‖₂, 1e-12). The floor
 * only matters for an all-zero map (a sample whose stage is dead), which stays all zero
 * instead of becoming NaN.
 */
export function normalisedAttention(a: tf.Tensor4D, p = 2): tf.Tensor2D {
  return tf.tidy(() => {
    const q = attentionMap(a, p);
    const norm = tf.maximum(tf.sqrt(tf.sum(tf.square(q), 1, true)), NORM_FLOOR);
    return tf.div(q, norm) as tf.Tensor2D;
  });
}

/**
 * The attention-transfer term: β/2 · Σ_j mean over the batch of ‖q_S^j − q_T^j‖₂, q the
 * normalised attention maps ({@link normalisedAttention}) of the paired student and teacher
 * stages. Pass the teacher's maps already normalised ([b, h·w] each; the study computes them
 * once for the whole training set). The norm is not squared, as in the paper's formula (2);
 * its gradient at a zero distance is taken as 0 (the sum of squares is floored at 1e-24
 * before the square root).
 * @throws KrsError SHAPE_MISMATCH when a student map's spatial size is not the teacher's.
 */
export function attentionTransferLoss(student: readonly tf.Tensor4D[], teacherAttention: readonly tf.Tensor2D[], beta: number, p = 2): tf.Scalar {
  if (student.length !== teacherAttention.length || student.length === 0) {
    throw errors.shapeMismatch(
      'attention transfer',
      'one teacher map per student stage (at least one)',
      `${student.length} student and ${teacherAttention.length} teacher stages`,
    );
  }
  student.forEach((s, j) => {
    const t = teacherAttention[j]!;
    if (s.shape[0] !== t.shape[0] || s.shape[1] * s.shape[2] !== t.shape[1]) {
      throw errors.shapeMismatch(
        `attention transfer, stage ${j + 1}`,
        `student maps of ${t.shape[1]} positions for ${t.shape[0]} samples`,
        `student stage ${fmtShape(s.shape)}`,
      );
    }
  });
  return tf.tidy(() => {
    const terms = student.map((s, j) => {
      const d = tf.sub(normalisedAttention(s, p), teacherAttention[j]!);
      return tf.mean(tf.sqrt(tf.maximum(tf.sum(tf.square(d), 1), 1e-24)));
    });
    return tf.mul(tf.addN(terms), beta / 2) as tf.Scalar;
  });
}

/** The learned 1×1 convolution of FitNet's hint stage: kernel [c_S, c_T] and bias [c_T]. Dispose it when done. */
export interface ConvRegressor {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;
  readonly variables: tf.Variable[];
  /** r(A) = A ⋆ kernel + bias, a 1×1 convolution: [b, h, w, c_S] → [b, h, w, c_T]. */
  apply(a: tf.Tensor4D): tf.Tensor4D;
  dispose(): void;
}

/**
 * A 1×1-conv regressor from `from` to `to` channels, its kernel Glorot-uniform
 * U(±√(6 / (from + to))) drawn from `rng` (row-major [from, to]; the regressor is linear), its
 * bias 0. Computed as a matrix product over the b·h·w positions, which is what a 1×1
 * convolution is (and needs no convolution gradient).
 */
export function convRegressor(from: number, to: number, rng: Rng): ConvRegressor {
  const limit = Math.sqrt(6 / (from + to));
  const k = new Float32Array(from * to);
  for (let i = 0; i < k.length; i++) k[i] = (2 * rng.next() - 1) * limit;
  return convRegressorFrom(k, new Float32Array(to), from, to);
}

/** A 1×1-conv regressor with the given kernel [from, to] (row-major) and bias [to]. */
export function convRegressorFrom(kernel: Float32Array, bias: Float32Array, from: number, to: number): ConvRegressor {
  if (kernel.length !== from * to || bias.length !== to) {
    throw errors.badValue('1×1-conv regressor', `${kernel.length} + ${bias.length} values`, `${from * to} + ${to} values`);
  }
  const kv = tf.variable(tf.tensor2d(kernel, [from, to]), true);
  const bv = tf.variable(tf.tensor1d(bias), true);
  return {
    kernel: kv,
    bias: bv,
    variables: [kv, bv],
    apply: (a) =>
      tf.tidy(() => {
        const [b, h, w, c] = a.shape;
        if (c !== from) throw errors.shapeMismatch('FitNet regressor input', `${from} channels`, `shape ${fmtShape(a.shape)}`);
        return tf.reshape(tf.add(tf.matMul(tf.reshape(a, [b * h * w, c]), kv), bv), [b, h, w, to]) as tf.Tensor4D;
      }),
    dispose: () => tf.dispose([kv, bv]),
  };
}

/**
 * FitNet's hint loss on a conv stage: ½ · mean over the batch of ‖regressed − hint‖², the
 * squared distance summed over every position and channel (as the MLP's `hintLoss` sums over
 * units).
 * @throws KrsError SHAPE_MISMATCH when the two shapes differ.
 */
export function convHintLoss(regressed: tf.Tensor4D, hint: tf.Tensor4D): tf.Scalar {
  if (regressed.shape.some((d, i) => d !== hint.shape[i])) {
    throw errors.shapeMismatch('FitNet hint', `the teacher's stage shape ${fmtShape(hint.shape)}`, `regressed student stage ${fmtShape(regressed.shape)}`);
  }
  return tf.tidy(() => tf.mul(tf.mean(tf.sum(tf.square(tf.sub(regressed, hint)), [1, 2, 3])), 0.5) as tf.Scalar);
}
