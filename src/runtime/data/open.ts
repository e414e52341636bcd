/**
 * Choosing the data-set reader for an `--input` value: the word `mnist` (the built-in
 * digits), a `.csv` file (sliding windows; needs a window length), a folder of images, or
 * tensors on disk (`.npy`, `.npz`, `.safetensors`, a folder of `.npy` files).
 */
import * as fs from 'node:fs';
import { errors, opt } from '../../core/errors.js';
import type { LimitOptions } from '../../io/limits.js';
import { fsError } from '../../io/node-source.js';
import { arrayDataset } from './arrays.js';
import { readStandardisation } from './csv-standardise.js';
import { csvWindowDataset } from './csv-windows.js';
import type { Dataset } from './dataset.js';
import { type ColorMode, imageDataset, isImageFolder } from './images.js';
import { mnistDataset } from './mnist.js';

export interface DatasetOptions {
  limit?: number;
  /** npy/npz: the main array and the targets. */
  inputKey?: string;
  targetKey?: string;
  /** Images. */
  imageSize?: readonly [number, number];
  color?: ColorMode;
  channelsLast?: boolean;
  /** CSV windows. */
  window?: number;
  horizon?: number;
  stride?: number;
  columns?: readonly string[];
  targetColumn?: string;
  /** The time column, or `none` (default: the first ISO date/date-time column). */
  timeColumn?: string;
  /** Missing values: `skip` the windows touching them (default), or fill them (`previous`, `linear`). */
  fill?: 'skip' | 'previous' | 'linear';
  /** Standardise the used columns, fitted on the first `trainFraction` of the rows (default 0.7). */
  standardise?: boolean;
  trainFraction?: number;
  /** A capture written with `standardise`: reuse its recorded means and standard deviations. */
  standardiseFrom?: string;
  /** CSV: resource limits (`maxCsvRows`); default: the environment's, else the defaults (src/io/limits.ts). */
  limits?: LimitOptions;
}

/**
 * @throws KrsError FILE_NOT_FOUND for a path that does not exist (and is not `mnist`);
 *   BAD_OPTION for a CSV without `--window`, or with both `standardise` and
 *   `standardiseFrom`; whatever the reader throws (CSV: `csv-windows.ts`, `csv-standardise.ts`).
 */
export function openDataset(input: string, options: DatasetOptions = {}): Dataset {
  if (input === 'mnist' && !fs.existsSync(input)) return mnistDataset(options.limit);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(input);
  } catch (e) {
    throw fsError(input, e);
  }
  if (input.toLowerCase().endsWith('.csv')) {
    if (options.window === undefined)
      throw errors.badOption('window', undefined, `a window length for the CSV time series ${input} (e.g. ${opt('window')} 24 ${opt('horizon')} 1)`);
    const { standardiseFrom, ...rest } = options;
    if (standardiseFrom !== undefined && options.standardise)
      throw errors.badOption('standardise', true, `either ${opt('standardise')} (fit here) or ${opt('standardiseFrom')} (reuse a capture's), not both`);
    return csvWindowDataset(input, {
      ...rest,
      window: options.window,
      ...(standardiseFrom !== undefined ? { standardiseFrom: readStandardisation(standardiseFrom) } : {}),
    });
  }
  if (stat.isDirectory() && isImageFolder(input)) {
    return imageDataset(input, { size: options.imageSize, color: options.color, channelsLast: options.channelsLast, limit: options.limit });
  }
  return arrayDataset(input, options);
}
