/**
 * Node-only: open a capture (docs/data-model.md §"Captures") by path — an .npz, a .safetensors, a single .npy
 * or a folder of .npy files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { errors } from '../core/errors.js';
import { type Capture, type CaptureOptions, npyCapture } from './capture.js';
import { fileSource, fsError } from './node-source.js';
import { type CaptureFormat, npyKey, openCaptureSource } from './open.js';

/** Options of {@link openCapture}. */
export interface OpenCaptureOptions extends CaptureOptions {
  /** Override detection by extension / content (`npy-dir`: a folder of .npy files). */
  readonly format?: CaptureFormat | 'npy-dir';
}

/**
 * Open a capture by path: a directory is a folder of .npy files (key = file name
 * without `.npy`, sorted; other files are ignored, but an entry named `*.npy` that is
 * not a regular file — a folder, a socket — is BAD_FILE rather than silently dropped, as
 * is one that cannot be examined); a file is read by extension
 * (`.npz`, `.safetensors`, `.npy` — a single .npy is a one-key capture named after the
 * file) or, failing that, by its first bytes.
 * @throws KrsError FILE_NOT_FOUND for a missing path; BAD_FILE for an unrecognised or
 *   corrupt file, or a folder without .npy files.
 * @example openCapture('runs/teacher.npz').keys() // ['layer3', 'logits']
 */
export function openCapture(p: string, options: OpenCaptureOptions = {}): Capture {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(p);
  } catch (e) {
    throw fsError(p, e);
  }
  if (stat.isDirectory() || options.format === 'npy-dir') {
    if (!stat.isDirectory()) throw errors.badFile(p, 'is not a directory (format npy-dir)');
    let names: string[];
    try {
      names = fs.readdirSync(p);
    } catch (e) {
      throw fsError(p, e);
    }
    const npys = names.filter((n) => n.toLowerCase().endsWith('.npy')).sort();
    for (const n of npys) checkRegularFile(path.join(p, n));
    if (npys.length === 0) throw errors.badFile(p, 'directory holds no .npy files');
    return npyCapture(p, new Map(npys.map((n) => [npyKey(n), fileSource(path.join(p, n))])), options);
  }
  const f = options.format as CaptureFormat | undefined;
  return openCaptureSource(fileSource(p), f, options);
}

/** @throws KrsError BAD_FILE unless `p` is a regular file (symlinks followed); as fsError if it cannot be examined. */
function checkRegularFile(p: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch (e) {
    throw fsError(p, e);
  }
  if (!st.isFile()) throw errors.badFile(p, `is ${st.isDirectory() ? 'a directory' : 'not a regular file'}, expected a .npy file`);
}
