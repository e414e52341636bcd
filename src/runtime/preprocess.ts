/**
 * Per-model input handling: preprocessing (scale, mean, std), fitting a data sample to the
 * shape a model's input declares, converting to the input's element type, and the plan
 * that maps a model's inputs to a data set's arrays. Teacher and student often disagree
 * on all of these (`1,28,28` vs `28,28`; [0, 1] vs [−1, 1]), so each model has its own.
 *
 * Browser-safe: pure functions over {@link Tensor}s.
 */
import { errors, fmtShape } from '../core/errors.js';
import { type DType, type NumericArray, sizeOf, type Tensor, type TensorInfo } from '../core/tensor.js';
import type { Dim, TensorDescription } from './onnx-model.js';
import { IDENTITY, type Preprocess } from './preprocess-spec.js';

export { describePreprocess, IDENTITY, PREPROCESS_PRESETS, type Preprocess, parsePreprocess } from './preprocess-spec.js';

/**
 * Apply a preprocessing to a batch (n, ...sample) into a new float32 tensor. `channelAxis`
 * is the axis of the sample shape whose index picks mean[c]/std[c] when they are lists.
 * @throws KrsError SHAPE_MISMATCH when a per-channel list's length differs from the channel count.
 */
export function applyPreprocess(t: Tensor, p: Preprocess, channelAxis: number, what: string): Tensor {
  const sample = t.shape.slice(1);
  const channels = Math.max(p.mean.length, p.std.length);
  const out = new Float32Array(t.data.length);
  const src = t.data;
  const big = src instanceof BigInt64Array || src instanceof BigUint64Array;
  if (channels <= 1) {
    const a = p.scale / p.std[0]!;
    const b = -p.mean[0]! / p.std[0]!;
    for (let i = 0; i < out.length; i++) out[i] = (big ? Number(src[i]) : (src[i] as number)) * a + b;
    return { dtype: 'float32', shape: t.shape, data: out };
  }
  const c = sample[channelAxis];
  for (const [name, list] of [
    ['mean', p.mean],
    ['std', p.std],
  ] as const) {
    if (list.length !== 1 && list.length !== c) {
      throw errors.shapeMismatch(
        `${name} of the preprocessing of ${what}`,
        `1 or ${c} values (one per channel, axis ${channelAxis + 1} of ${fmtShape(t.shape)})`,
        `${list.length}`,
      );
    }
  }
  const inner = sizeOf(sample.slice(channelAxis + 1));
  for (let i = 0; i < out.length; i++) {
    const ch = Math.floor(i / inner) % c!;
    const m = p.mean.length === 1 ? p.mean[0]! : p.mean[ch]!;
    const s = p.std.length === 1 ? p.std[0]! : p.std[ch]!;
    out[i] = ((big ? Number(src[i]) : (src[i] as number)) * p.scale - m) / s;
  }
  return { dtype: 'float32', shape: t.shape, data: out };
}

const squeeze = (s: readonly number[]) => s.filter((d) => d !== 1);
const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * The per-sample shape to feed a model input, given the data's sample shape.
 *
 * - With `explicit` (`--teacher-shape 1,28,28`): it must hold as many values as a sample and
 *   agree with the input's fixed dimensions.
 * - Otherwise the input's declared dimensions after the batch axis are used when they are
 *   all fixed and equal the data's sample shape up to axes of size 1 (so `[1, 28, 28]` data
 *   feeds a `[N, 28, 28]` input); a symbolic dimension takes the data's size when the ranks agree.
 *
 * @throws KrsError SHAPE_MISMATCH (expected vs got, and what to pass) when the data cannot fit.
 */
export function fitSampleShape(
  sample: readonly number[],
  input: TensorDescription,
  file: string,
  explicit: readonly number[] | undefined,
  option: string,
): number[] {
  const declared = input.shape ? input.shape.slice(1) : null;
  const got = `samples of shape ${fmtShape(sample)}`;
  // As onnx-model's fmtDims (not imported: it would load the ONNX decoder into the model worker).
  const expected = declared ? fmtShape(input.shape!.map((d) => (d === null ? '?' : d)) as unknown as number[]) : 'an unknown shape';
  const fixedAgree = (want: readonly number[]) =>
    !declared || (declared.length === want.length && declared.every((d, i) => typeof d !== 'number' || d === want[i]));
  if (explicit) {
    if (sizeOf(explicit) !== sizeOf(sample)) {
      throw errors.inputShape(
        file,
        input.name,
        `${option} ${fmtShape(explicit)} to hold ${sizeOf(explicit)} values per sample`,
        `${got} (${sizeOf(sample)} values)`,
        '',
      );
    }
    if (!fixedAgree(explicit)) {
      throw errors.inputShape(file, input.name, expected, `${option} ${fmtShape(explicit)}`, 'the model declares other fixed sizes');
    }
    return [...explicit];
  }
  if (!declared) return [...sample];
  if (declared.every((d): d is number => typeof d === 'number')) {
    if (same(declared, sample)) return [...sample];
    if (sizeOf(declared) === sizeOf(sample) && same(squeeze(declared), squeeze(sample))) return [...declared];
    const hint =
      sizeOf(declared) === sizeOf(sample)
        ? `same number of values but a different layout: pass ${option} ${declared.join(',')} if a plain reshape is right (or --channels-last for images)`
        : `pass ${option} or resize the data`;
    throw errors.inputShape(file, input.name, expected, got, hint);
  }
  // Symbolic dimensions beyond the batch axis.
  const fits = (s: readonly number[]) => declared.length === s.length && declared.every((d, i) => typeof d !== 'number' || d === s[i]);
  if (fits(sample)) return [...sample];
  const sq = squeeze(sample);
  if (fits(sq)) return sq;
  throw errors.inputShape(file, input.name, expected, got, `pass ${option}`);
}

/** The typed-array constructor of an ONNX input element type krs can feed. */
export function convertTo(t: Tensor, dtype: DType | 'string' | null, what: string): Tensor {
  const want = dtype ?? 'float32';
  if (t.dtype === want) return t;
  const n = t.data.length;
  const src = t.data;
  const big = src instanceof BigInt64Array || src instanceof BigUint64Array;
  const at = (i: number) => (big ? Number(src[i]) : (src[i] as number));
  let data: NumericArray;
  switch (want) {
    case 'float32':
    case 'float16':
      data = new Float32Array(n);
      for (let i = 0; i < n; i++) (data as Float32Array)[i] = at(i);
      break;
    case 'float64':
      data = new Float64Array(n);
      for (let i = 0; i < n; i++) (data as Float64Array)[i] = at(i);
      break;
    case 'int64':
      data = new BigInt64Array(n);
      for (let i = 0; i < n; i++) (data as BigInt64Array)[i] = big ? BigInt(src[i] as bigint) : BigInt(Math.round(at(i)));
      break;
    case 'int32':
      data = Int32Array.from({ length: n }, (_, i) => at(i));
      break;
    case 'uint8':
    case 'bool':
      data = Uint8Array.from({ length: n }, (_, i) => at(i));
      break;
    case 'int8':
      data = Int8Array.from({ length: n }, (_, i) => at(i));
      break;
    default:
      throw errors.unsupportedDtype(what, want);
  }
  return { dtype: want === 'float16' ? 'float32' : want, shape: t.shape, data };
}

/** Per-model input options (the `--teacher-*` / `--student-*` flags). */
export interface ModelInputOptions {
  /** Per-sample shape for the main input (`--teacher-shape`). */
  shape?: readonly number[];
  /** Preprocessing of the main input (`--teacher-preprocess`). Default: none. */
  preprocess?: Preprocess;
  /** Model input name → data array name (`--teacher-feed input_ids=ids`). */
  feeds?: Readonly<Record<string, string>>;
}

/** How one model input is filled from a data batch. */
export interface FeedPlan {
  readonly input: string;
  readonly array: string;
  /** Per-sample shape to reshape to. */
  readonly sampleShape: readonly number[];
  readonly dtype: DType | 'string' | null;
  /** Preprocessing (main input only). */
  readonly preprocess: Preprocess | null;
  /** Fixed batch size the model declares, or null when the batch axis is symbolic. */
  readonly fixedBatch: number | null;
}

/**
 * Decide which data array fills each model input, and how.
 * A one-input model gets the data set's main array; a model with several inputs gets, for
 * each, the array named in `feeds`, else the array of the same name.
 * @throws KrsError UNKNOWN_KEY for an input without an array (listing the arrays and the
 *   flag to pass); SHAPE_MISMATCH from {@link fitSampleShape}.
 */
export function planFeeds(
  inputs: readonly TensorDescription[],
  arrays: Readonly<Record<string, TensorInfo>>,
  primary: string | null,
  file: string,
  options: ModelInputOptions,
  side: string,
  channelAxis = 0,
): FeedPlan[] {
  const feeds = options.feeds ?? {};
  const flag = (name: string) => (side === 'model' ? `--${name}` : `--${side}-${name}`);
  for (const k of Object.keys(feeds)) {
    if (!inputs.some((i) => i.name === k))
      throw errors.unknownKey(
        `model input (${flag('feed')})`,
        k,
        file,
        inputs.map((i) => i.name),
      );
  }
  return inputs.map((input) => {
    if (inputs.length === 1 && primary === null && !feeds[input.name]) {
      throw errors.badOption(
        '--input-key',
        null,
        `the data array to feed ${file} (the data set holds ${Object.keys(arrays).join(', ')} and none is named x, inputs, input, images or data)`,
      );
    }
    const array = feeds[input.name] ?? (inputs.length === 1 ? primary! : input.name);
    const info = arrays[array];
    if (!info) {
      throw errors.unknownKey(
        `data array for model input ${JSON.stringify(input.name)} (map it with ${flag('feed')} ${input.name}=ARRAY)`,
        array,
        'the data set',
        Object.keys(arrays),
      );
    }
    const isPrimary = array === primary;
    const pre = isPrimary ? options.preprocess : undefined;
    if (pre && Math.max(pre.mean.length, pre.std.length) > 1) {
      const c = info.shape[channelAxis + 1];
      for (const [name, list] of [
        ['mean', pre.mean],
        ['std', pre.std],
      ] as const) {
        if (list.length !== 1 && list.length !== c) {
          throw errors.shapeMismatch(
            `${name} of ${flag('preprocess')} for ${file}`,
            `1 or ${c} values (one per channel: axis ${channelAxis + 1} of the data, ${fmtShape(info.shape)})`,
            `${list.length}`,
          );
        }
      }
    }
    const sampleShape = fitSampleShape(info.shape.slice(1), input, file, isPrimary ? options.shape : undefined, flag('shape'));
    const d0: Dim | undefined = input.shape?.[0];
    return {
      input: input.name,
      array,
      sampleShape,
      dtype: input.dtype,
      preprocess: isPrimary && options.preprocess ? options.preprocess : null,
      fixedBatch: typeof d0 === 'number' ? d0 : null,
    };
  });
}

/**
 * The feeds of one model for one data batch: preprocess, reshape and convert each array.
 * Arrays are never modified.
 */
export function buildFeeds(plans: readonly FeedPlan[], arrays: Readonly<Record<string, Tensor>>, channelAxis: number, file: string): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const p of plans) {
    let t = arrays[p.array]!;
    if (p.preprocess && p.preprocess !== IDENTITY) t = applyPreprocess(t, p.preprocess, channelAxis, `${file} input '${p.input}'`);
    t = convertTo(t, p.dtype, `${file} input '${p.input}'`);
    out[p.input] = { dtype: t.dtype, shape: [t.shape[0]!, ...p.sampleShape], data: t.data };
  }
  return out;
}
