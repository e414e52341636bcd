/**
 * Choosing the data-set reader for an `--input` value: the word `mnist` (the built-in
 * digits), a `.csv` file (sliding windows; needs a window length), a folder of images, or
 * tensors on disk (`.npy`, `.npz`, `.safetensors`, a folder of `.npy` files).
 */
import * as fs from 'node:fs';
import { errors, opt } from '../../core/errors.js';
import { fsError } from '../../io/node-source.js';
import { arrayDataset } from './arrays.js';
import { csvWindowDataset } from './csv-windows.js';
import type { Dataset } from './dataset.js';
import { imageDataset, isImageFolder, type ColorMode } from './images.js';
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
  target?: string;
}

/**
 * @throws KrsError FILE_NOT_FOUND for a path that does not exist (and is not `mnist`);
 *   BAD_OPTION for a CSV without `--window`; whatever the reader throws.
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
    return csvWindowDataset(input, { ...options, window: options.window });
  }
  if (stat.isDirectory() && isImageFolder(input)) {
    return imageDataset(input, { size: options.imageSize, color: options.color, channelsLast: options.channelsLast, limit: options.limit });
  }
  return arrayDataset(input, options);
}
