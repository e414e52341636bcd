/**
 * Node-only: read a folder of PNG label maps (see `label-map.ts`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { errors, KrsError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { decodeLabelMap } from './label-map.js';
import { type LimitOptions, resolveLimits } from './limits.js';
import { readWholeFile } from './node-read.js';
import { fsError } from './node-source.js';

/** One label map per image, with the images' ids. */
export interface LabelMapFolder {
  /** File names without the `.png` extension, sorted by file name. */
  ids: string[];
  /** H×W label maps, in the order of `ids`. */
  maps: Tensor[];
}

/**
 * Read every `.png` file of a folder (extension case-insensitive, sorted by name; other
 * files and subfolders are ignored, but an entry named `*.png` that is not a regular file
 * is BAD_FILE, not dropped) as a label map.
 * @param options `limits`: resource limits (`maxImagePixels`, and `maxArrayBytes` for the file size)
 * @throws KrsError FILE_NOT_FOUND for a missing folder; BAD_FILE if it is not a folder,
 *   holds no PNG, or any PNG is corrupt or not palette/greyscale (naming that file);
 *   BAD_VALUE for an image above the limits.
 * @example readLabelMapFolder('preds/teacher').ids // ['0001', '0002', …]
 */
export function readLabelMapFolder(dir: string, options: { limits?: LimitOptions } = {}): LabelMapFolder {
  let names: string[];
  try {
    if (!fs.statSync(dir).isDirectory()) throw errors.badFile(dir, 'is not a folder of PNG label maps');
    names = fs.readdirSync(dir);
  } catch (e) {
    throw e instanceof KrsError ? e : fsError(dir, e);
  }
  const pngs = names.filter((n) => n.toLowerCase().endsWith('.png')).sort();
  if (pngs.length === 0) throw errors.badFile(dir, 'folder holds no .png label maps');
  const maps = pngs.map((n) => readLabelMap(path.join(dir, n), options));
  return { ids: pngs.map((n) => n.slice(0, -4)), maps };
}

/**
 * Read one PNG label map file (its size checked against `maxArrayBytes` before it is read).
 * @throws KrsError FILE_NOT_FOUND; BAD_FILE for a directory, or as `decodeLabelMap`;
 *   BAD_VALUE above the limits.
 */
export function readLabelMap(file: string, options: { limits?: LimitOptions } = {}): Tensor {
  const limits = resolveLimits(options.limits);
  return decodeLabelMap(readWholeFile(file, limits, 'maxArrayBytes', 'PNG file'), file, limits);
}
