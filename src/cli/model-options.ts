/**
 * Options shared by the commands that run ONNX models (`krs capture`, `krs eval`): data-set
 * reading and per-model input handling, with their parsers.
 */
import { errors } from '../core/errors.js';
import type { DatasetOptions } from '../runtime/data/open.js';
import type { ModelSideOptions } from '../runtime/model-side.js';
import { OUTPUT_KINDS, type OutputKind } from '../runtime/output-kinds.js';
import { type Preprocess, parsePreprocess } from '../runtime/preprocess-spec.js';
import { type FlagsOf, flag, optionsOf } from './flag-table.js';
import { oneOf, parsePositiveInt } from './options.js';

/** A comma-separated list of positive integers: `1,28,28`. */
export function parseShape(option: string) {
  return (value: string): number[] => {
    const parts = value.split(/[,x×]/).map((s) => s.trim());
    const dims = parts.map(Number);
    if (parts.some((p) => p === '') || dims.some((d) => !Number.isInteger(d) || d < 1))
      throw errors.badOption(option, value, 'positive integers separated by commas, e.g. 1,28,28');
    return dims;
  };
}

/** `H x W` or one number for a square: `28`, `224x224`, `32,64`. */
export function parseImageSize(value: string): [number, number] {
  const dims = parseShape('--image-size')(value);
  if (dims.length === 1) return [dims[0]!, dims[0]!];
  if (dims.length === 2) return [dims[0]!, dims[1]!];
  throw errors.badOption('--image-size', value, 'HEIGHTxWIDTH or one number');
}

/** Comma-separated names (empty items dropped). */
export function parseList(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}

/** Repeatable `modelInput=array`. */
export function collectFeed(option: string) {
  return (value: string, previous: Record<string, string> = {}): Record<string, string> => {
    const i = value.indexOf('=');
    if (i <= 0 || i === value.length - 1) throw errors.badOption(option, value, 'modelInput=dataArray');
    return { ...previous, [value.slice(0, i)]: value.slice(i + 1) };
  };
}

export function preprocessOption(option: string) {
  return (value: string): Preprocess => parsePreprocess(value, option);
}

/** A fraction in (0, 1]. */
function parseFraction(option: string) {
  return (value: string): number => {
    const f = Number(value);
    if (value.trim() === '' || !(f > 0 && f <= 1)) throw errors.badOption(option, value, 'a fraction in (0, 1], e.g. 0.7');
    return f;
  };
}

/** `--model <file>` (`krs capture`, `krs layers`). */
export const MODEL_FLAG = flag('--model <file>', 'the .onnx model', { required: true });

/** Data-set flags (`krs capture`, `krs eval`); all but `--batch-size` are DatasetOptions of the same name. */
export const DATA_FLAGS = [
  flag('--limit <n>', 'use only the first n samples', { parse: parsePositiveInt, to: true }),
  flag('--batch-size <n>', 'samples per batch (default 256)', { parse: parsePositiveInt }),
  flag('--input-key <key>', 'npz: the array to feed (default x, inputs, input, images, data, X)', { to: true }),
  flag('--target-key <key>', 'npz: the labels/targets array (default y, labels, targets, target, Y)', { to: true }),
  flag('--image-size <HxW>', 'images: resize to HEIGHTxWIDTH (bilinear)', { parse: () => parseImageSize, to: true }),
  flag('--color <mode>', 'images: grey, rgb or auto (default auto: as the first image)', { parse: oneOf(['grey', 'rgb', 'auto'] as const), to: true }),
  flag('--channels-last', 'images are fed HWC (and spatial activations are NHWC), not CHW', { to: true }),
  flag('--window <n>', 'CSV time series: window length (samples are [window, features])', { parse: parsePositiveInt, to: true }),
  flag('--horizon <n>', 'CSV time series: target steps after the window (default 1)', { parse: parsePositiveInt, to: true }),
  flag('--stride <n>', 'CSV time series: step between windows (default 1)', { parse: parsePositiveInt, to: true }),
  flag('--columns <a,b>', 'CSV time series: feature columns (default: every numeric column)', { parse: () => parseList, to: true }),
  flag('--target-column <c>', 'CSV time series: the column to forecast (needed when there are several feature columns)', { to: true }),
  flag(
    '--time-column <c>',
    'CSV time series: the time column, or none (default: the first column of dates: ISO 8601, YYYY/MM/DD, MM/DD/YYYY or DD/MM/YYYY); gaps in time become missing rows',
    { to: true },
  ),
  flag(
    '--fill <how>',
    'CSV time series: missing values: skip (the windows touching them; the default), previous (last value carried forward) or linear (interpolated)',
    { parse: oneOf(['skip', 'previous', 'linear'] as const), to: true },
  ),
  flag('--standardise', 'CSV time series: standardise each used column with mean and std fitted on the training split (recorded in the capture)', {
    to: true,
  }),
  flag('--train-fraction <f>', 'CSV time series: the training split for --standardise: the first fraction of the rows (default 0.7)', {
    parse: parseFraction,
    to: true,
  }),
  flag('--standardise-from <capture.npz>', 'CSV time series: standardise with the means and stds recorded in this capture (written with --standardise)', {
    to: true,
  }),
] as const;

export type DataFlags = FlagsOf<typeof DATA_FLAGS>;

export function datasetOptions(o: DataFlags): DatasetOptions {
  return optionsOf(o, DATA_FLAGS);
}

/** Per-model flags, prefixed (`--teacher-shape`) or not (`--shape`, for `krs capture`). */
export function modelFlagTable<const S extends 'teacher' | 'student' | null>(side: S) {
  const p = (side ? `${side}-` : '') as S extends string ? `${S}-` : '';
  const who = side ? `the ${side}` : 'the model';
  return [
    flag(`--${p}shape <dims>`, `per-sample input shape for ${who}, e.g. 1,28,28 (default: from the model's input)`, { parse: parseShape }),
    flag(
      `--${p}preprocess <spec>`,
      `preprocessing for ${who}: none, symmetric ([0,1]→[-1,1]), mnist, imagenet, bytes, or scale=…,mean=…,std=… (lists with ':')`,
      { parse: preprocessOption },
    ),
    flag(`--${p}feed <input=array>`, `feed model input 'input' from data array 'array' (repeatable; models with several inputs)`, { parse: collectFeed }),
    flag(
      `--${p}outputs <kind>`,
      `${who}'s output holds ${OUTPUT_KINDS.join(', ')} (default: told from the values; krs capture writes them as given, with a warning)`,
      { parse: oneOf(OUTPUT_KINDS) },
    ),
    flag(`--${p}output-tensor <name>`, `tensor to score as ${who}'s output (default: its first graph output)`),
  ] as const;
}

/** One model's flags, unprefixed. */
export type ModelFlags = FlagsOf<ReturnType<typeof modelFlagTable<null>>>;

/** Read a side's flags from commander's camel-cased option object. */
export function modelFlags(o: Record<string, unknown>, side: 'teacher' | 'student' | null): ModelFlags {
  const key = (name: string) => (side ? side + name[0]!.toUpperCase() + name.slice(1) : name);
  return {
    shape: o[key('shape')] as number[] | undefined,
    preprocess: (o[key('preprocess')] ?? o.preprocess) as Preprocess | undefined,
    feed: o[key('feed')] as Record<string, string> | undefined,
    outputs: o[key('outputs')] as OutputKind | undefined,
    outputTensor: o[key('outputTensor')] as string | undefined,
  };
}

export function sideOptions(file: string, f: ModelFlags, layers?: string[]): ModelSideOptions {
  return {
    file,
    ...(f.shape ? { shape: f.shape } : {}),
    ...(f.preprocess ? { preprocess: f.preprocess } : {}),
    ...(f.feed ? { feeds: f.feed } : {}),
    ...(f.outputs ? { outputs: f.outputs } : {}),
    ...(f.outputTensor ? { outputTensor: f.outputTensor } : {}),
    ...(layers ? { layers } : {}),
  };
}
