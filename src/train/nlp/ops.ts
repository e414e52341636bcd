/**
 * The building blocks of the NLP study's encoder as pure functions of TensorFlow.js tensors
 * (tfjs-layers has no attention layer). Each is differentiable by tfjs's autodiff on the wasm
 * backend; `embed` has its own gradient because the gradient of `gather`
 * (UnsortedSegmentSum) has no wasm kernel.
 *
 * Shapes: b sequences, t tokens, d width, h heads of width d/h.
 */
import { tf } from '../tf.js';

/** Layer-norm ε (PyTorch's default; BERT's 1e-12 vanishes in float32). */
export const LAYER_NORM_EPSILON = 1e-5;

/** What is added to the attention scores of padded keys before the softmax. */
export const MASKED_SCORE = -1e9;

/**
 * Layer normalisation over the last axis: γ ⊙ (x − μ) / √(σ² + ε) + β, with μ and σ² the
 * mean and (biased) variance of each row (Ba, Kiros & Hinton 2016).
 */
export function layerNorm<T extends tf.Tensor>(x: T, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon = LAYER_NORM_EPSILON): T {
  return tf.tidy(() => {
    const axis = x.rank - 1;
    const { mean, variance } = tf.moments(x, axis, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon))), gamma), beta) as T;
  });
}

/**
 * GELU in its tanh form (Hendrycks & Gimpel 2016; the original BERT code's):
 * ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) = x · σ(2·√(2/π)·(x + 0.044715·x³)),
 * written with the sigmoid, which the wasm backend runs an order of magnitude faster than
 * `tanh` or `erf`. Within 1e-3 of the exact x·Φ(x) everywhere.
 */
export function gelu<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), 2 * Math.sqrt(2 / Math.PI)))) as T);
}

/**
 * x [n, in] · W [in, out] + bias [out] → [n, out], with a gradient written out:
 * ∂x = dy·Wᵀ, ∂W = xᵀ·dy, ∂bias = 1ᵀ·dy. The transposes are explicit because the wasm
 * backend multiplies a transposed operand (`matMul(a, b, true)`) an order of magnitude more
 * slowly than a transposed copy, which is what tfjs's own gradient of matMul asks for.
 */
export function linear(x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xa, ka, ba, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([xa, ka]);
    return {
      value: tf.fused.matMul({ a: xa as tf.Tensor2D, b: ka as tf.Tensor2D, bias: ba }),
      gradFunc: (dy: tf.Tensor, [xs, ks]: tf.Tensor[]) => [
        tf.matMul(dy as tf.Tensor2D, tf.transpose(ks!)),
        tf.matMul(tf.transpose(xs!), dy as tf.Tensor2D),
        tf.reshape(tf.matMul(tf.ones([1, dy.shape[0]!]), dy as tf.Tensor2D), [dy.shape[1]!]),
      ],
    };
  });
  return op(x, kernel, bias) as tf.Tensor2D;
}

/** x [b, t, in] · W [in, out] + bias [out] → [b, t, out] (by {@link linear}). */
export function dense(x: tf.Tensor3D, kernel: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, t, d] = x.shape;
    return tf.reshape(linear(tf.reshape(x, [b * t, d]), kernel, bias), [b, t, kernel.shape[1]]);
  });
}

/**
 * Rows of `table` [V, d] at `ids` [b, t] → [b, t, d]. Gradient with respect to the table: the
 * upstream gradient's rows scattered and summed into [V, d] (scatterND sums repeated ids).
 */
export function embed(ids: tf.Tensor2D, table: tf.Tensor2D): tf.Tensor3D {
  const [b, t] = ids.shape;
  const [v, d] = table.shape;
  const lookup = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [tableArg, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const flat = tf.reshape(ids, [b * t]);
    save([flat]);
    return {
      value: tf.reshape(tf.gather(tableArg, flat), [b, t, d]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.scatterND(tf.reshape(saved[0]!, [b * t, 1]), tf.reshape(dy, [b * t, d]), [v, d]),
    };
  });
  return lookup(table) as tf.Tensor3D;
}

/** The weights of one multi-head self-attention block. */
export interface AttentionWeights {
  readonly query: { kernel: tf.Tensor2D; bias: tf.Tensor1D };
  readonly key: { kernel: tf.Tensor2D; bias: tf.Tensor1D };
  readonly value: { kernel: tf.Tensor2D; bias: tf.Tensor1D };
  readonly output: { kernel: tf.Tensor2D; bias: tf.Tensor1D };
}

/** [b, t, d] → [b, h, t, d/h]. */
function splitHeads(x: tf.Tensor3D, heads: number): tf.Tensor4D {
  const [b, t, d] = x.shape;
  return tf.transpose(tf.reshape(x, [b, t, heads, d / heads]), [0, 2, 1, 3]);
}

/**
 * The additive attention bias of a mask [b, t] (1 real token, 0 padding): 0 for real keys,
 * {@link MASKED_SCORE} for padded ones, shaped [b, 1, 1, t] to broadcast over heads and queries.
 */
export function attentionBias(mask: tf.Tensor2D): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, t] = mask.shape;
    return tf.reshape(tf.mul(tf.sub(1, tf.cast(mask, 'float32')), MASKED_SCORE), [b, 1, 1, t]);
  });
}

/**
 * Multi-head scaled dot-product self-attention (Vaswani et al. 2017):
 * A = softmax(Q Kᵀ / √(d/h) + bias) per head, out = concat_h(A V) W_o + b_o, with
 * Q = x W_q + b_q and likewise K, V. Padded keys get probability 0 (`bias` from
 * {@link attentionBias}); padded queries still attend to the real keys (their rows are
 * ignored downstream by the mask). Returns the output [b, t, d] and the attention
 * probabilities [b, h, t, t].
 */
export function selfAttention(x: tf.Tensor3D, bias: tf.Tensor4D, w: AttentionWeights, heads: number): { output: tf.Tensor3D; probabilities: tf.Tensor4D } {
  return tf.tidy(() => {
    const [b, t, d] = x.shape;
    const q = splitHeads(dense(x, w.query.kernel, w.query.bias), heads);
    const k = splitHeads(dense(x, w.key.kernel, w.key.bias), heads);
    const v = splitHeads(dense(x, w.value.kernel, w.value.bias), heads);
    const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(d / heads)), bias);
    const probabilities = tf.softmax(scores) as tf.Tensor4D;
    const context = tf.reshape(tf.transpose(tf.matMul(probabilities, v), [0, 2, 1, 3]), [b, t, d]) as tf.Tensor3D;
    return { output: dense(context, w.output.kernel, w.output.bias), probabilities };
  });
}

/** Mean over the real tokens: Σ_t m_t x_t / Σ_t m_t, [b, t, d] and mask [b, t] → [b, d]. */
export function maskedMean(x: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const m = tf.expandDims(tf.cast(mask, 'float32'), 2);
    return tf.div(tf.sum(tf.mul(x, m), 1), tf.maximum(tf.sum(m, 1), 1)) as tf.Tensor2D;
  });
}
