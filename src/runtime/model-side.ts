/**
 * One model of a run (the teacher, the student, or the model of `krs capture`): load it,
 * resolve its taps and its output, plan its feeds from the data set, and read its outputs
 * the way the user said — logits, probabilities, or sigmoid scores (turned into logits by the
 * shared {@link sigmoidToLogits}) — and, for `krs capture`, warn when the values look like
 * probabilities or sigmoid scores and nobody said (told by {@link inferOutputKind}, the function
 * score, eval and explain use).
 */
import { inferOutputKind, KIND_WORDS, sigmoidToLogits } from '../agreement/output-kind.js';
import { errors } from '../core/errors.js';
import { sizeOf, type Tensor } from '../core/tensor.js';
import type { Dataset } from './data/dataset.js';
import type { ModelJob } from './model-run.js';
import { type LoadedModel, loadModel, tapModel } from './node-onnx.js';
import { closestNames, penultimateTensor, producerOf, resolveTensors } from './onnx-model.js';
import type { OutputKind } from './output-kinds.js';
import { describePreprocess, type ModelInputOptions, planFeeds } from './preprocess.js';

export { OUTPUT_KINDS, type OutputKind } from './output-kinds.js';

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
  const outputTensor = options.outputTensor ?? model.description.outputs[0]!.name;
  if (options.outputTensor) resolveTensors(model.description, [options.outputTensor], `${side} output tensor`);
  // Sigmoid scores are read as a capture of them is (krs score gives the same AOA): through the
  // one conversion; the exact logits before a Sigmoid node are another tensor, named on request.
  const invertSigmoid = options.outputs === 'sigmoid';
  if (invertSigmoid) {
    const p = producerOf(model.model, outputTensor);
    const flag = `--${side === 'model' ? '' : `${side}-`}`;
    const exact =
      p && p.opType === 'Sigmoid' && p.input
        ? `; it is a Sigmoid of '${p.input}': ${flag}output-tensor ${p.input} ${flag}outputs logits scores those logits without the clipping`
        : '';
    notes.push(`${side} output '${outputTensor}' read as sigmoid scores and turned into logits log(p/(1−p)) (p clipped to [1e-7, 1 − 1e-7])${exact}`);
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

/** The API name of the option that sets a side's output kind (`outputs`, `teacherOutputs`, `studentOutputs`). */
export function kindOption(side: PreparedSide | string): string {
  const s = typeof side === 'string' ? side : side.side;
  return s === 'model' ? 'outputs' : `${s}Outputs`;
}

/** The output of a batch as the metric should see it: sigmoid scores turned into logits ({@link sigmoidToLogits}) when declared and not tapped before the Sigmoid. */
export function readOutput(side: PreparedSide, t: Tensor): Tensor {
  if (!side.invertSigmoid) return t;
  return sigmoidToLogits(t, `${side.side} output '${side.outputTensor}' of ${side.model.file}`, kindOption(side));
}

/**
 * `krs capture`'s warning when nobody said what a model's outputs hold and their values look
 * like probabilities or sigmoid scores ({@link inferOutputKind}); null otherwise.
 */
export function probabilityWarning(side: PreparedSide, t: Tensor): string | null {
  if (side.declaredKind !== null || t.shape.length < 2) return null;
  const k = inferOutputKind(t, `${side.side} output '${side.outputTensor}'`);
  if (k.kind !== 'probs' && k.kind !== 'sigmoid') return null;
  const p = producerOf(side.model.model, side.outputTensor);
  const ends = p && ['Softmax', 'Sigmoid', 'LogSoftmax'].includes(p.opType) ? ` (the graph computes it with a ${p.opType} node)` : '';
  const flag = `--${side.side === 'model' ? '' : `${side.side}-`}outputs`;
  return `${side.side} outputs '${side.outputTensor}' of ${side.model.file} look like ${KIND_WORDS[k.kind]}, not logits: ${k.reason}${ends}; written as the model gives them under 'logits' (krs score, eval and explain tell the kind from the values) — pass ${flag} ${k.kind} to declare it (or ${flag} logits to silence this warning)`;
}

/**
 * Top-1 predictions vs integer labels: [correct, counted, skipped]. A row holding NaN or ±Inf
 * has no top class: it is skipped, not counted (so an accuracy over all rows is then not
 * reported). Outputs that are not n × C against n labels give [0, 0, 0].
 */
export function countCorrect(output: Tensor, targets: Tensor): [number, number, number] {
  if (output.shape.length !== 2 || targets.shape.length !== 1 || targets.shape[0] !== output.shape[0]) return [0, 0, 0];
  const [n, c] = output.shape as [number, number];
  let correct = 0;
  let counted = 0;
  rows: for (let i = 0; i < n; i++) {
    let best = 0;
    let bv = Number(output.data[i * c]);
    for (let k = 0; k < c; k++) {
      const v = Number(output.data[i * c + k]);
      if (!Number.isFinite(v)) continue rows;
      if (v > bv) {
        bv = v;
        best = k;
      }
    }
    counted++;
    if (best === Number(targets.data[i])) correct++;
  }
  return [correct, counted, n - counted];
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
