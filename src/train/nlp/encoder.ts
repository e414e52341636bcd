/**
 * A small BERT-style encoder (Devlin et al. 2019) built from TensorFlow.js ops (`ops.ts`):
 *
 *     h₀ = LN(E_tok[ids] + E_pos[0…t−1])                          hidden_states.0
 *     for l = 1…L (post-LN, as BERT):
 *       a   = MHSA(h_{l−1}, mask)                                  attentions.(l−1)  [b, heads, t, t]
 *       u   = LN(h_{l−1} + a)
 *       h_l = LN(u + GELU(u W₁ + b₁) W₂ + b₂)              GELU in its tanh form (ops.ts)                      hidden_states.l   [b, t, width]
 *     pooled = tanh(W_p · pool(h_L) + b_p)       pool: the [CLS] (first) token, or the masked mean
 *     logits = W_c · pooled + b_c                                  [b, classes]
 *
 * The head pools [CLS] by default, as BERT's does (and as Patient KD's normalised [CLS] states
 * assume); `pooling: 'mean'` averages the real tokens instead. No dropout: runs are
 * deterministic, and the study keeps the epoch of best validation accuracy instead.
 *
 * Initial weights are seeded (`createRng(seed, 'nlp-init:<name>')`): every matrix and both
 * embedding tables ~ N(0, 0.02²) truncated at ±2σ (BERT's initialiser), biases 0, layer-norm
 * γ = 1 and β = 0.
 */
import { errors } from '../../core/errors.js';
import { createRng, type Rng } from '../../core/rng.js';
import { tf } from '../tf.js';
import { type AttentionWeights, attentionBias, dense, embed, gelu, layerNorm, linear, maskedMean, selfAttention } from './ops.js';
import { MAX_SEQUENCE } from './tokenizer.js';

/** The shape of an encoder. */
export interface EncoderConfig {
  /** Names the model (and its initialisation stream). */
  readonly name: string;
  /** Transformer layers L (≥ 1). */
  readonly layers: number;
  /** Attention heads; must divide `width`. */
  readonly heads: number;
  /** Hidden width d. */
  readonly width: number;
  /** Feed-forward width (default 4·width). */
  readonly ffWidth?: number;
  /** Vocabulary size (the tokenizer's). */
  readonly vocabSize: number;
  /** Position-embedding rows: the longest sequence (default 128). */
  readonly maxLength?: number;
  /** Output classes (default 2: ham, spam). */
  readonly classes?: number;
  /** What the head pools (default 'cls'). */
  readonly pooling?: 'cls' | 'mean';
}

/** What one forward pass returns (tensors the caller disposes, or reads inside a tidy). */
export interface EncoderOutput {
  /** `hidden_states.0` (embeddings) … `hidden_states.L`, each [b, t, width]. */
  readonly hiddenStates: tf.Tensor3D[];
  /** Each layer's attention probabilities, [b, heads, t, t] (L of them). */
  readonly attentions: tf.Tensor4D[];
  /** The pooler's output [b, width]. */
  readonly pooled: tf.Tensor2D;
  /** [b, classes]. */
  readonly logits: tf.Tensor2D;
}

/**
 * The proposed study sizes (docs/studies.md §"NLP: SpamAssassin"): a 4-layer teacher of width
 * 64 and four students — half the depth (DistilBERT's choice), half the width at full depth
 * (TinyBERT's layer map then pairs every layer), both halved, and a single layer. Every model
 * has 4 heads, so TinyBERT's attention loss pairs heads one to one.
 */
export const NLP_SIZES = {
  teacher: { name: 'teacher', layers: 4, heads: 4, width: 64 },
  students: [
    { name: 'student-l2-w64', layers: 2, heads: 4, width: 64 },
    { name: 'student-l4-w32', layers: 4, heads: 4, width: 32 },
    { name: 'student-l2-w32', layers: 2, heads: 4, width: 32 },
    { name: 'student-l1-w64', layers: 1, heads: 4, width: 64 },
  ],
} as const;

type Shape = readonly number[];

/** Every weight's name and shape, in a fixed order (the optimiser's and `weights()`'s). */
export function weightShapes(c: EncoderConfig): [string, Shape][] {
  const d = c.width;
  const f = c.ffWidth ?? 4 * d;
  const out: [string, Shape][] = [
    ['embeddings.word', [c.vocabSize, d]],
    ['embeddings.position', [c.maxLength ?? MAX_SEQUENCE, d]],
    ['embeddings.norm.gamma', [d]],
    ['embeddings.norm.beta', [d]],
  ];
  for (let l = 0; l < c.layers; l++) {
    const p = `layer.${l}`;
    for (const m of ['query', 'key', 'value', 'output']) out.push([`${p}.attention.${m}.kernel`, [d, d]], [`${p}.attention.${m}.bias`, [d]]);
    out.push([`${p}.attention.norm.gamma`, [d]], [`${p}.attention.norm.beta`, [d]]);
    out.push([`${p}.ff.in.kernel`, [d, f]], [`${p}.ff.in.bias`, [f]], [`${p}.ff.out.kernel`, [f, d]], [`${p}.ff.out.bias`, [d]]);
    out.push([`${p}.ff.norm.gamma`, [d]], [`${p}.ff.norm.beta`, [d]]);
  }
  out.push(['pooler.kernel', [d, d]], ['pooler.bias', [d]], ['classifier.kernel', [d, c.classes ?? 2]], ['classifier.bias', [c.classes ?? 2]]);
  return out;
}

/** Number of weights of a configuration. */
export function encoderParams(c: EncoderConfig): number {
  return weightShapes(c).reduce((s, [, shape]) => s + shape.reduce((a, b) => a * b, 1), 0);
}

/** A standard normal draw truncated to ±2 (rejection), times `std`. */
export function truncatedNormal(rng: Rng, std: number): number {
  for (;;) {
    const u = 1 - rng.next();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
    if (Math.abs(z) <= 2) return z * std;
  }
}

/** The seeded initial weights of a configuration (module comment), by name. */
export function initialWeights(c: EncoderConfig, seed: number): Map<string, Float32Array> {
  const rng = createRng(seed, `nlp-init:${c.name}`);
  const out = new Map<string, Float32Array>();
  for (const [name, shape] of weightShapes(c)) {
    const a = new Float32Array(shape.reduce((x, y) => x * y, 1));
    if (name.endsWith('.gamma')) a.fill(1);
    else if (shape.length === 2) for (let i = 0; i < a.length; i++) a[i] = truncatedNormal(rng, 0.02);
    out.set(name, a);
  }
  return out;
}

function checkConfig(c: EncoderConfig): void {
  const int = (option: string, v: number | undefined, min: number) => {
    if (v !== undefined && !(Number.isInteger(v) && v >= min)) throw errors.badOption(option, v, `an integer ≥ ${min}`);
  };
  int('layers', c.layers, 1);
  int('heads', c.heads, 1);
  int('width', c.width, 1);
  int('ffWidth', c.ffWidth, 1);
  int('vocabSize', c.vocabSize, 5);
  int('classes', c.classes, 2);
  int('maxLength', c.maxLength, 1);
  if (c.width % c.heads !== 0) throw errors.badOption('heads', c.heads, `a divisor of the width ${c.width}`);
  if (c.pooling !== undefined && c.pooling !== 'cls' && c.pooling !== 'mean') throw errors.badOption('pooling', c.pooling, "'cls' or 'mean'");
}

/** A BERT-style encoder's weights as tf variables, and its forward pass. */
export class Encoder {
  readonly config: EncoderConfig;
  private readonly vars: Map<string, tf.Variable>;

  /**
   * @throws KrsError BAD_OPTION for a malformed configuration (heads not dividing the width…).
   */
  constructor(config: EncoderConfig, weights: ReadonlyMap<string, Float32Array>) {
    checkConfig(config);
    this.config = config;
    this.vars = new Map();
    for (const [name, shape] of weightShapes(config)) {
      const w = weights.get(name);
      if (!w || w.length !== shape.reduce((a, b) => a * b, 1))
        throw errors.shapeMismatch(`weight ${name} of ${config.name}`, `${shape.reduce((a, b) => a * b, 1)} values`, `${w?.length ?? 0}`);
      const init = tf.tensor(w, shape as number[]);
      this.vars.set(name, tf.variable(init, true, `${config.name}/${name}/${Encoder.serial++}`));
      init.dispose();
    }
  }

  private static serial = 0;

  /** A freshly initialised encoder (seeded, see the module comment). */
  static create(config: EncoderConfig, seed: number): Encoder {
    checkConfig(config);
    return new Encoder(config, initialWeights(config, seed));
  }

  /** Number of weights. */
  get params(): number {
    return encoderParams(this.config);
  }

  private v<T extends tf.Tensor>(name: string): T {
    return this.vars.get(name)! as unknown as T;
  }

  private attentionWeights(l: number): AttentionWeights {
    const part = (m: string) => ({
      kernel: this.v<tf.Tensor2D>(`layer.${l}.attention.${m}.kernel`),
      bias: this.v<tf.Tensor1D>(`layer.${l}.attention.${m}.bias`),
    });
    return { query: part('query'), key: part('key'), value: part('value'), output: part('output') };
  }

  /**
   * The forward pass of ids [b, t] (int32) with their attention mask [b, t] (1 real, 0 pad).
   * @throws KrsError SHAPE_MISMATCH when the shapes differ or t exceeds `maxLength`.
   */
  forward(inputIds: tf.Tensor2D, attentionMask: tf.Tensor2D): EncoderOutput {
    const [b, t] = inputIds.shape;
    const maxLength = this.config.maxLength ?? MAX_SEQUENCE;
    if (attentionMask.shape[0] !== b || attentionMask.shape[1] !== t)
      throw errors.shapeMismatch('attention_mask', `[${b}, ${t}]`, `[${attentionMask.shape.join(', ')}]`);
    if (t > maxLength) throw errors.shapeMismatch(`input ids of ${this.config.name}`, `at most ${maxLength} tokens`, `${t}`);
    return tf.tidy(() => {
      const position = tf.slice(this.v<tf.Tensor2D>('embeddings.position'), [0, 0], [t, this.config.width]);
      let h = layerNorm(
        tf.add(embed(inputIds, this.v('embeddings.word')), position) as tf.Tensor3D,
        this.v('embeddings.norm.gamma'),
        this.v('embeddings.norm.beta'),
      );
      const hiddenStates = [h];
      const attentions: tf.Tensor4D[] = [];
      const bias = attentionBias(attentionMask);
      for (let l = 0; l < this.config.layers; l++) {
        const p = `layer.${l}`;
        const { output, probabilities } = selfAttention(h, bias, this.attentionWeights(l), this.config.heads);
        const u = layerNorm(tf.add(h, output) as tf.Tensor3D, this.v(`${p}.attention.norm.gamma`), this.v(`${p}.attention.norm.beta`));
        const ff = dense(gelu(dense(u, this.v(`${p}.ff.in.kernel`), this.v(`${p}.ff.in.bias`))), this.v(`${p}.ff.out.kernel`), this.v(`${p}.ff.out.bias`));
        h = layerNorm(tf.add(u, ff) as tf.Tensor3D, this.v(`${p}.ff.norm.gamma`), this.v(`${p}.ff.norm.beta`));
        hiddenStates.push(h);
        attentions.push(probabilities);
      }
      const summary =
        this.config.pooling === 'mean'
          ? maskedMean(h, attentionMask)
          : (tf.reshape(tf.slice(h, [0, 0, 0], [b, 1, this.config.width]), [b, this.config.width]) as tf.Tensor2D);
      const pooled = tf.tanh(linear(summary, this.v('pooler.kernel'), this.v('pooler.bias')));
      const logits = linear(pooled, this.v('classifier.kernel'), this.v('classifier.bias'));
      return { hiddenStates, attentions, pooled, logits };
    });
  }

  /** The trainable variables, in `weightShapes` order. */
  variables(): tf.Variable[] {
    return [...this.vars.values()];
  }

  /** A copy of every weight, by name. */
  weights(): Map<string, Float32Array> {
    return new Map([...this.vars].map(([k, v]) => [k, (v.dataSync() as Float32Array).slice()]));
  }

  /** Overwrite every weight (same names and sizes as `weights()`). */
  setWeights(weights: ReadonlyMap<string, Float32Array>): void {
    for (const [name, v] of this.vars) {
      const w = weights.get(name);
      if (!w || w.length !== v.size) throw errors.shapeMismatch(`weight ${name} of ${this.config.name}`, `${v.size} values`, `${w?.length ?? 0}`);
      const t = tf.tensor(w, v.shape);
      v.assign(t);
      t.dispose();
    }
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
  }
}
