/**
 * One model of a run (the teacher, the student, or the model of `krs capture`): load it,
 * resolve its taps and its output, plan its feeds from the data set, and read its outputs
 * the way the user said — logits, probabilities, or sigmoid scores — warning when the
 * values look like probabilities and nobody said.
 */
import { errors } from '../core/errors.js';
import { sizeOf, type Tensor } from '../core/tensor.js';
import type { Dataset } from './data/dataset.js';
import type { ModelJob } from './model-run.js';
import { loadModel, tapModel, type LoadedModel } from './node-onnx.js';
import { closestNames, penultimateTensor, producerOf, resolveTensors } from './onnx-model.js';
import { describePreprocess, planFeeds, type ModelInputOptions } from './preprocess.js';

/** How a model's output array is read. `sigmoid`: element-wise sigmoid scores (turned back into logits). */
export type OutputKind = 'logits' | 'probs' | 'sigmoid';
export const OUTPUT_KINDS: readonly OutputKind[] = ['logits', 'probs', 'sigmoid'];

export interface ModelSideOptions extends ModelInputOptions {
  /** The .onnx file. */
  file: string;
  /** Tensors to tap: names, or `@Op` for every output of that op type. */
  layers?: readonly string[];
  /** The output tensor to score (default: the graph's first output). */
  outputTensor?: string;
  /** How to read the output; absent: logits, with a warning when they look like probabilities. */
  outputs?: OutputKind;
}

export interface PreparedSide {
  readonly side: string;
  readonly model: LoadedModel;
  readonly job: ModelJob;
  /** Tapped layer names, resolved, in the order asked. */
  readonly layers: readonly string[];
  /** The tensor fetched as the output. */
  readonly outputTensor: string;
  /** How the fetched output is read after {@link readOutput}: logits or probs. */
  readonly outputKind: 'logits' | 'probs';
  /** Whether the fetched output must be turned from sigmoid scores into logits. */
  readonly invertSigmoid: boolean;
  readonly declaredKind: OutputKind | null;
  readonly notes: string[];
  /** Summary for results. */
  readonly summary: SideSummary;
}

export interface SideSummary {
  file: string;
  opset: number | null;
  inputs: { name: string; array: string; sampleShape: number[]; dtype: string | null; preprocess: string | null }[];
  output: string;
  outputKind: OutputKind | null;
  layers: string[];
}

/** Op types whose outputs `--all-pairs` uses by default: convolutions, dense layers and ReLU-like activations. */
export const DEFAULT_LAYER_OPS = ['Conv', 'ConvTranspose', 'Gemm', 'MatMul', 'Relu', 'LeakyRelu', 'PRelu', 'Gelu', 'Elu', 'Selu', 'HardSwish', 'Tanh'];

/**
 * Expand layer selectors: a tensor name, or `@Op` (every output of an `Op` node).
 * @throws KrsError UNKNOWN_KEY for an unknown name (with the closest names) or an op with no node.
 */
export function expandLayers(m: LoadedModel, selectors: readonly string[], what: string): string[] {
  const out: string[] = [];
  for (const s of selectors) {
    if (s.startsWith('@')) {
      const op = s.slice(1);
      const hits = m.description.tensors.filter((t) => t.op === op).map((t) => t.name);
      if (hits.length === 0) {
        const ops = [...new Set(m.description.tensors.map((t) => t.op))].filter((o) => o !== 'input');
        const close = closestNames(op, ops);
        throw errors.unknownKey(
          `${what} op`,
          s,
          m.file,
          [...close, ...ops.filter((o) => !close.includes(o))].map((o) => `@${o}`),
        );
      }
      out.push(...hits);
    } else out.push(...resolveTensors(m.description, [s], what));
  }
  return [...new Set(out)];
}

/** Layers produced by any of `ops`, in graph order. */
export function layersByOps(m: LoadedModel, ops: readonly string[]): string[] {
  const set = new Set(ops);
  return m.description.tensors.filter((t) => set.has(t.op)).map((t) => t.name);
}

/**
 * Load and plan one model.
 * @throws KrsError FILE_NOT_FOUND / BAD_FILE for the model, UNKNOWN_KEY for a tap or output
 *   name, SHAPE_MISMATCH when the data do not fit the model's input.
 */
export function prepareSide(
  side: string,
  options: ModelSideOptions,
  data: Dataset,
  arrayPrefix: string,
  extraLayers: readonly string[] = [],
  threads?: number,
  loaded?: LoadedModel,
): PreparedSide {
  const model = loaded ?? loadModel(options.file);
  const notes: string[] = [];
  const layers = expandLayers(model, [...(options.layers ?? []), ...extraLayers], `${side} layer`);
  let outputTensor = options.outputTensor ?? model.description.outputs[0]!.name;
  if (options.outputTensor) resolveTensors(model.description, [options.outputTensor], `${side} output tensor`);
  let invertSigmoid = false;
  if (options.outputs === 'sigmoid') {
    const p = producerOf(model.model, outputTensor);
    if (p && p.opType === 'Sigmoid' && p.input) {
      notes.push(`${side} output '${outputTensor}' is a Sigmoid of '${p.input}': scored the exact logits '${p.input}'`);
      outputTensor = p.input;
    } else {
      invertSigmoid = true;
      notes.push(`${side} output '${outputTensor}' read as sigmoid scores and turned into logits log(p/(1−p)) (clipped to p ∈ [1e-7, 1 − 1e-7])`);
    }
  }
  const arrays = Object.fromEntries(Object.entries(data.arrays).map(([k, v]) => [arrayPrefix + k, v]));
  const feeds = options.feeds ? Object.fromEntries(Object.entries(options.feeds).map(([k, v]) => [k, arrayPrefix + v])) : undefined;
  const plans = planFeeds(
    model.description.inputs,
    arrays,
    data.primary === null ? null : arrayPrefix + data.primary,
    options.file,
    { ...options, feeds },
    side,
    data.channelAxis,
  );
  const fetch = [...new Set([...layers, outputTensor])];
  const job: ModelJob = {
    side,
    file: options.file,
    bytes: tapModel(model, fetch, `${side} layer`),
    dir: model.dir,
    plans,
    channelAxis: data.channelAxis,
    fetch,
    ...(threads ? { threads } : {}),
  };
  return {
    side,
    model,
    job,
    layers,
    outputTensor,
    outputKind: options.outputs === 'probs' ? 'probs' : 'logits',
    invertSigmoid,
    declaredKind: options.outputs ?? null,
    notes,
    summary: {
      file: options.file,
      opset: model.description.opset,
      inputs: plans.map((p) => ({
        name: p.input,
        array: p.array.slice(arrayPrefix.length),
        sampleShape: [...p.sampleShape],
        dtype: p.dtype,
        preprocess: p.preprocess ? describePreprocess(p.preprocess) : null,
      })),
      output: outputTensor,
      outputKind: options.outputs ?? null,
      layers: [...layers],
    },
  };
}

/** The penultimate features of a model (what its head reads), or null. */
export function defaultFeatureLayer(side: PreparedSide | LoadedModel): string | null {
  const m = 'model' in side && 'job' in side ? side.model : (side as LoadedModel);
  return penultimateTensor(m.model);
}

const EPS = 1e-7;

/** The output of a batch as the metric should see it (sigmoid scores turned into logits). */
export function readOutput(side: PreparedSide, t: Tensor): Tensor {
  if (!side.invertSigmoid) return t;
  const out = new Float64Array(t.data.length);
  for (let i = 0; i < out.length; i++) {
    const p = Math.min(1 - EPS, Math.max(EPS, Number(t.data[i])));
    out[i] = Math.log(p / (1 - p));
  }
  return { dtype: 'float64', shape: t.shape, data: out };
}

/**
 * A warning when a model's outputs, read as logits by default, look like probabilities:
 * every value in [0, 1] (and rows summing to 1, or not: softmax vs sigmoid). Null otherwise
 * or when the user said how to read them.
 */
export function probabilityWarning(side: PreparedSide, t: Tensor): string | null {
  if (side.declaredKind !== null) return null;
  const d = t.data;
  if (d.length === 0 || t.shape.length < 2) return null;
  for (let i = 0; i < d.length; i++) {
    const v = Number(d[i]);
    if (!(v >= 0 && v <= 1)) return null;
  }
  const c = t.shape[t.shape.length - 1]!;
  const rows = d.length / c;
  let sumsToOne = true;
  for (let r = 0; r < rows && sumsToOne; r++) {
    let s = 0;
    for (let k = 0; k < c; k++) s += Number(d[r * c + k]);
    if (Math.abs(s - 1) > 1e-3) sumsToOne = false;
  }
  const p = producerOf(side.model.model, side.outputTensor);
  const ends = p && ['Softmax', 'Sigmoid', 'LogSoftmax'].includes(p.opType) ? ` (the graph computes it with a ${p.opType} node)` : '';
  const flag = `--${side.side === 'model' ? '' : `${side.side}-`}outputs`;
  return sumsToOne
    ? `${side.side} outputs '${side.outputTensor}' of ${side.model.file} look like probabilities, not logits: every value is in [0, 1] and each row sums to 1${ends}; they were scored as logits — pass ${flag} probs (or ${flag} logits to keep that and silence this warning)`
    : `${side.side} outputs '${side.outputTensor}' of ${side.model.file} look like sigmoid scores, not logits: every value is in [0, 1] but rows do not sum to 1${ends}; they were scored as logits — pass ${flag} sigmoid (or ${flag} logits to keep that and silence this warning)`;
}

/** Top-1 predictions vs integer labels: [correct, counted]. */
export function countCorrect(output: Tensor, targets: Tensor): [number, number] {
  if (output.shape.length !== 2 || targets.shape.length !== 1 || targets.shape[0] !== output.shape[0]) return [0, 0];
  const [n, c] = output.shape as [number, number];
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bv = Number(output.data[i * c]);
    for (let k = 1; k < c; k++) {
      const v = Number(output.data[i * c + k]);
      if (v > bv) {
        bv = v;
        best = k;
      }
    }
    if (best === Number(targets.data[i])) correct++;
  }
  return [correct, n];
}

/** Squared and absolute errors of regression outputs vs targets of the same size per sample: [Σe², Σ|e|, count] or null. */
export function regressionErrors(output: Tensor, targets: Tensor): [number, number, number] | null {
  if (output.shape[0] !== targets.shape[0] || sizeOf(output.shape) !== sizeOf(targets.shape)) return null;
  let se = 0;
  let ae = 0;
  for (let i = 0; i < output.data.length; i++) {
    const e = Number(output.data[i]) - Number(targets.data[i]);
    se += e * e;
    ae += Math.abs(e);
  }
  return [se, ae, output.data.length];
}
