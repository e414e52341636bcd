/**
 * The distillation losses of the NLP study, as pure functions of TensorFlow.js tensors (call
 * them inside `optimizer.minimize`). Notation: s and t the student's and teacher's logits
 * [b, C], y one-hot labels, T a temperature, p^T = softmax(·/T), h^S_l and h^T_l hidden
 * states [b, tok, d] (`hidden_states.l`), A^S_l and A^T_l attention probabilities
 * [b, heads, tok, tok], m the attention mask [b, tok] (1 real token, 0 padding).
 *
 * | method | loss |
 * |---|---|
 * | baseline | CE(y, s) |
 * | DistilBERT (Sanh et al. 2019) | w_kd·T²·KL(p_t^T ‖ p_s^T) + w_ce·CE(y, s) + w_cos·L_cos(h^S_M W, h^T_L) |
 * | Patient KD, skip (Sun et al. 2019) | (1 − α)·CE(y, s) + α·T²·KL(p_t^T ‖ p_s^T) + β·L_PT |
 * | TinyBERT (Jiao et al. 2020) | w_hid·Σ_m L_hid(h^S_m W, h^T_g(m)) + w_att·Σ_m L_att(A^S_m, A^T_g(m)) + w_pred·SCE(p_t^T, p_s^T) |
 *
 * * KL(p_t^T ‖ p_s^T) is averaged over the batch; T² keeps its gradients on the scale of the
 *   hard loss's (Hinton et al. 2015). DistilBERT's masked-LM term is the task's CE here.
 * * L_cos = Σ m_bi (1 − cos(u_bi, v_bi)) / Σ m_bi over the real tokens of the last layers,
 *   cos(u, v) = u·v / max(‖u‖‖v‖, 1e-8) (PyTorch's `CosineEmbeddingLoss` with target 1).
 * * L_PT = mean over the batch, the chosen layer pairs and the width of (ĥ^S − ĥ^T)², with
 *   ĥ = h[:, 0, :] / ‖h[:, 0, :]‖ the normalised [CLS] state (PKD's `patience_loss`, an MSE
 *   over elements); the pairs are PKD-skip's ({@link pkdSkipPairs}).
 * * L_hid = Σ m_bi ‖u_bi − v_bi‖² / (d · Σ m_bi): the MSE over the real tokens and the
 *   width; L_att = Σ m_bi m_bj (a_bhij − a'_bhij)² / (heads · Σ m_bi m_bj): the MSE over the
 *   heads and the pairs of real tokens; SCE(p, q) = −mean_b Σ_c p_c log q_c.
 *   TinyBERT's paper fits the pre-softmax scores; the probabilities are fitted here (what
 *   `output_attentions` gives, bounded, and without the −10⁹ of padded keys). The layer map
 *   is TinyBERT's uniform one ({@link tinyBertPairs}), embeddings included.
 * * W is a learned linear map [d_S, d_T] + bias ({@link Projection}) when the widths differ
 *   (one map shared by every layer, as TinyBERT's code shares `fit_dense`); none when equal.
 */
import { errors, fmtShape } from '../../core/errors.js';
import { createRng } from '../../core/rng.js';
import { hardLoss, softTargetLoss } from '../losses.js';
import { tf } from '../tf.js';
import { truncatedNormal } from './encoder.js';
import { linear } from './ops.js';

/** A learned linear map from the student's width to the teacher's: x W + b. */
export interface Projection {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;
}

/** A loss and its parts (each a scalar; `total` is what the optimiser minimises). */
export interface LossTerms {
  readonly total: tf.Scalar;
  readonly terms: Readonly<Record<string, tf.Scalar>>;
}

/** What a model gives the losses: `EncoderOutput`'s fields. */
export interface ModelOutputs {
  readonly hiddenStates: readonly tf.Tensor3D[];
  readonly attentions: readonly tf.Tensor4D[];
  readonly logits: tf.Tensor2D;
}

/**
 * A seeded map from width `from` to `to`: kernel ~ N(0, 0.02²) truncated at ±2σ, bias 0.
 * The caller trains its variables with the student's and disposes them.
 */
export function createProjection(from: number, to: number, seed: number, name: string): Projection {
  const rng = createRng(seed, `nlp-projection:${name}`);
  const k = Float32Array.from({ length: from * to }, () => truncatedNormal(rng, 0.02));
  const [k0, b0] = [tf.tensor2d(k, [from, to]), tf.zeros([to])];
  const projection = { kernel: tf.variable(k0, true), bias: tf.variable(b0, true) };
  tf.dispose([k0, b0]);
  return projection;
}

/** Student layer j (1 … M−1) ↔ teacher layer round(j·L/M): PKD-skip's intermediate layers, as [student, teacher] `hidden_states` indices. */
export function pkdSkipPairs(teacherLayers: number, studentLayers: number): [number, number][] {
  checkLayers(teacherLayers, studentLayers);
  return Array.from({ length: studentLayers - 1 }, (_, k) => [k + 1, Math.round(((k + 1) * teacherLayers) / studentLayers)] as [number, number]);
}

/** Student layer m (0 … M, 0 = embeddings) ↔ teacher layer round(m·L/M): TinyBERT's uniform map. */
export function tinyBertPairs(teacherLayers: number, studentLayers: number): [number, number][] {
  checkLayers(teacherLayers, studentLayers);
  return Array.from({ length: studentLayers + 1 }, (_, m) => [m, Math.round((m * teacherLayers) / studentLayers)] as [number, number]);
}

function checkLayers(teacher: number, student: number): void {
  if (!(Number.isInteger(teacher) && teacher >= 1)) throw errors.badOption('teacherLayers', teacher, 'a positive integer');
  if (!(Number.isInteger(student) && student >= 1 && student <= teacher))
    throw errors.badOption('studentLayers', student, `an integer from 1 to the teacher's ${teacher}`);
}

/** The student's states in the teacher's width: through `projection` when given; they must then match. */
function mapped<T extends tf.Tensor>(student: T, teacher: tf.Tensor, projection: Projection | undefined, what: string): T {
  const last = student.rank - 1;
  let out = student;
  if (projection) {
    const flat = tf.reshape(student, [-1, student.shape[last]!]) as tf.Tensor2D;
    out = tf.reshape(linear(flat, projection.kernel as tf.Tensor2D, projection.bias as tf.Tensor1D), [
      ...student.shape.slice(0, last),
      projection.kernel.shape[1]!,
    ]) as T;
  }
  if (out.shape.join() !== teacher.shape.join()) {
    throw errors.shapeMismatch(
      what,
      fmtShape(teacher.shape),
      `${fmtShape(out.shape)}${projection ? ' after the projection' : ' (widths differ: pass a projection)'}`,
    );
  }
  return out;
}

/** 1 − cosine of matching token vectors, averaged over the real tokens (L_cos above). */
export function cosineEmbeddingLoss(student: tf.Tensor3D, teacher: tf.Tensor3D, mask: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const m = tf.cast(mask, 'float32');
    const dot = tf.sum(tf.mul(student, teacher), 2);
    const norms = tf.sqrt(tf.maximum(tf.mul(tf.sum(tf.square(student), 2), tf.sum(tf.square(teacher), 2)), 1e-16));
    const loss = tf.sub(1, tf.div(dot, norms));
    return tf.div(tf.sum(tf.mul(loss, m)), tf.maximum(tf.sum(m), 1)) as tf.Scalar;
  });
}

/** MSE over the real tokens and the width (L_hid above). */
export function maskedHiddenMse(student: tf.Tensor3D, teacher: tf.Tensor3D, mask: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const m = tf.expandDims(tf.cast(mask, 'float32'), 2);
    const sq = tf.sum(tf.mul(tf.squaredDifference(student, teacher), m));
    return tf.div(sq, tf.mul(tf.maximum(tf.sum(m), 1), teacher.shape[2])) as tf.Scalar;
  });
}

/** MSE of attention probabilities over the heads and the pairs of real tokens (L_att above). */
export function attentionMse(student: tf.Tensor4D, teacher: tf.Tensor4D, mask: tf.Tensor2D): tf.Scalar {
  if (student.shape.join() !== teacher.shape.join())
    throw errors.shapeMismatch('student attention maps', fmtShape(teacher.shape), `${fmtShape(student.shape)} (heads and tokens must match the teacher's)`);
  return tf.tidy(() => {
    const m = tf.cast(mask, 'float32');
    const [b, t] = mask.shape;
    const pairs = tf.mul(tf.reshape(m, [b, 1, t, 1]), tf.reshape(m, [b, 1, 1, t]));
    const sq = tf.sum(tf.mul(tf.squaredDifference(student, teacher), pairs));
    return tf.div(sq, tf.mul(tf.maximum(tf.sum(pairs), 1), teacher.shape[1])) as tf.Scalar;
  });
}

/** Soft cross-entropy −mean_b Σ_c softmax(t/T)_c · log softmax(s/T)_c. */
export function softCrossEntropy(studentLogits: tf.Tensor2D, teacherLogits: tf.Tensor2D, temperature: number): tf.Scalar {
  return tf.tidy(
    () => tf.neg(tf.mean(tf.sum(tf.mul(tf.softmax(tf.div(teacherLogits, temperature)), tf.logSoftmax(tf.div(studentLogits, temperature))), 1))) as tf.Scalar,
  );
}

/** The [CLS] (first-token) states of [b, tok, d], L2-normalised: [b, d]. */
export function normalisedCls(h: tf.Tensor3D): tf.Tensor2D {
  return tf.tidy(() => {
    const [b, , d] = h.shape;
    const cls = tf.reshape(tf.slice(h, [0, 0, 0], [b, 1, d]), [b, d]);
    return tf.div(cls, tf.sqrt(tf.maximum(tf.sum(tf.square(cls), 1, true), 1e-24))) as tf.Tensor2D;
  });
}

function checkTemperature(t: number): void {
  if (!(Number.isFinite(t) && t > 0)) throw errors.badOption('temperature', t, 'a positive number');
}

/** `tf.tidy` for a function returning loss terms (tidy's own type wants an index signature). */
function tidyTerms(fn: () => LossTerms): LossTerms {
  return tf.tidy(fn as unknown as () => tf.TensorContainer) as unknown as LossTerms;
}

function combine(parts: Record<string, [number, tf.Scalar]>): LossTerms {
  const terms = Object.fromEntries(Object.entries(parts).map(([k, [, v]]) => [k, v]));
  const total = tf.addN(Object.values(parts).map(([w, v]) => tf.mul(v, w))) as tf.Scalar;
  return { total, terms };
}

export interface DistilBertOptions {
  temperature?: number;
  /** w_kd (default 5, DistilBERT's α_ce). */
  softWeight?: number;
  /** w_ce (default 2, DistilBERT's α_mlm, whose place the task's labels take). */
  hardWeight?: number;
  /** w_cos (default 1, DistilBERT's α_cos). */
  cosineWeight?: number;
  /** Needed when the student is narrower than the teacher. */
  projection?: Projection;
}

/** DistilBERT-style loss (table above); T defaults to 2 (DistilBERT's). */
export function distilBertLoss(student: ModelOutputs, teacher: ModelOutputs, oneHot: tf.Tensor2D, mask: tf.Tensor2D, o: DistilBertOptions = {}): LossTerms {
  const { temperature = 2, softWeight = 5, hardWeight = 2, cosineWeight = 1 } = o;
  checkTemperature(temperature);
  return tidyTerms(() => {
    const hs = mapped(student.hiddenStates.at(-1)!, teacher.hiddenStates.at(-1)!, o.projection, 'student last hidden states');
    return combine({
      kd: [softWeight, softTargetLoss(student.logits, teacher.logits, temperature)],
      ce: [hardWeight, hardLoss(student.logits, oneHot)],
      cos: [cosineWeight, cosineEmbeddingLoss(hs, teacher.hiddenStates.at(-1)!, mask)],
    });
  });
}

export interface PatientKdOptions {
  /** T (default 5, the smallest of PKD's grid). */
  temperature?: number;
  /** α, the soft targets' share against the labels (default 0.5). */
  alpha?: number;
  /** β, the weight of L_PT (default 100, from PKD's grid {10, 100, 500, 1000}). */
  beta?: number;
  /** [student, teacher] `hidden_states` indices (default {@link pkdSkipPairs}). */
  pairs?: readonly [number, number][];
  /** Needed when the student is narrower than the teacher (applied before normalising). */
  projection?: Projection;
}

/** Patient KD loss, PKD-skip (table above). With one student layer there are no pairs and L_PT = 0. */
export function patientKdLoss(student: ModelOutputs, teacher: ModelOutputs, oneHot: tf.Tensor2D, o: PatientKdOptions = {}): LossTerms {
  const { temperature = 5, alpha = 0.5, beta = 100 } = o;
  checkTemperature(temperature);
  if (!(alpha >= 0 && alpha <= 1)) throw errors.badOption('alpha', alpha, 'a number from 0 to 1');
  const pairs = o.pairs ?? pkdSkipPairs(teacher.hiddenStates.length - 1, student.hiddenStates.length - 1);
  return tidyTerms(() => {
    const pt = pairs.length
      ? tf.mean(
          tf.stack(
            pairs.map(([s, t]) => {
              const ht = checkedLayer(teacher.hiddenStates, t, 'teacher');
              const hs = mapped(checkedLayer(student.hiddenStates, s, 'student'), ht, o.projection, `student hidden_states.${s}`);
              return tf.mean(tf.squaredDifference(normalisedCls(hs), normalisedCls(ht)));
            }),
          ),
        )
      : tf.scalar(0);
    return combine({
      ce: [1 - alpha, hardLoss(student.logits, oneHot)],
      kd: [alpha, softTargetLoss(student.logits, teacher.logits, temperature)],
      pt: [beta, pt as tf.Scalar],
    });
  });
}

function checkedLayer<T>(states: readonly T[], index: number, who: string): T {
  const h = states[index];
  if (h === undefined) throw errors.badOption('pairs', index, `a ${who} layer index from 0 to ${states.length - 1}`);
  return h;
}

export interface TinyBertOptions {
  /** T of the prediction loss (default 1, TinyBERT's). */
  temperature?: number;
  hiddenWeight?: number;
  attentionWeight?: number;
  predictionWeight?: number;
  /** [student, teacher] layer indices (default {@link tinyBertPairs}); attention pairs skip index 0. */
  pairs?: readonly [number, number][];
  /** Needed when the student is narrower than the teacher. */
  projection?: Projection;
}

/** TinyBERT-style loss (table above); the weights default to 1. Student and teacher need the same number of heads. */
export function tinyBertLoss(student: ModelOutputs, teacher: ModelOutputs, mask: tf.Tensor2D, o: TinyBertOptions = {}): LossTerms {
  const { temperature = 1, hiddenWeight = 1, attentionWeight = 1, predictionWeight = 1 } = o;
  checkTemperature(temperature);
  const pairs = o.pairs ?? tinyBertPairs(teacher.hiddenStates.length - 1, student.hiddenStates.length - 1);
  return tidyTerms(() => {
    const hidden = pairs.map(([s, t]) => {
      const ht = checkedLayer(teacher.hiddenStates, t, 'teacher');
      return maskedHiddenMse(mapped(checkedLayer(student.hiddenStates, s, 'student'), ht, o.projection, `student hidden_states.${s}`), ht, mask);
    });
    const attention = pairs
      .filter(([s, t]) => s > 0 && t > 0)
      .map(([s, t]) => attentionMse(checkedLayer(student.attentions, s - 1, 'student'), checkedLayer(teacher.attentions, t - 1, 'teacher'), mask));
    return combine({
      hidden: [hiddenWeight, (hidden.length ? tf.addN(hidden) : tf.scalar(0)) as tf.Scalar],
      attention: [attentionWeight, (attention.length ? tf.addN(attention) : tf.scalar(0)) as tf.Scalar],
      prediction: [predictionWeight, softCrossEntropy(student.logits, teacher.logits, temperature)],
    });
  });
}
