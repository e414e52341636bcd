/**
 * Node-only: read a folder of PNG label maps (see `label-map.ts`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { errors, KrsError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { decodeLabelMap } from './label-map.js';
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
 * files and subfolders are ignored) as a label map.
 * @throws KrsError FILE_NOT_FOUND for a missing folder; BAD_FILE if it is not a folder,
 *   holds no PNG, or any PNG is corrupt or not palette/greyscale (naming that file).
 * @example readLabelMapFolder('preds/teacher').ids // ['0001', '0002', …]
 */
export function readLabelMapFolder(dir: string): LabelMapFolder {
  let names: string[];
  try {
    if (!fs.statSync(dir).isDirectory()) throw errors.badFile(dir, 'is not a folder of PNG label maps');
    names = fs.readdirSync(dir);
  } catch (e) {
    throw e instanceof KrsError ? e : fsError(dir, e);
  }
  const pngs = names.filter((n) => n.toLowerCase().endsWith('.png') && isFile(path.join(dir, n))).sort();
  if (pngs.length === 0) throw errors.badFile(dir, 'folder holds no .png label maps');
  const maps = pngs.map((n) => readLabelMap(path.join(dir, n)));
  return { ids: pngs.map((n) => n.slice(0, -4)), maps };
}

/**
 * Read one PNG label map file.
 * @throws KrsError FILE_NOT_FOUND, or BAD_FILE as `decodeLabelMap`.
 */
export function readLabelMap(file: string): Tensor {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw fsError(file, e);
  }
  return decodeLabelMap(bytes, file);
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}
