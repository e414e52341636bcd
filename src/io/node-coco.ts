/**
 * Node-only: read a COCO-results JSON file (see `coco.ts`).
 */
import * as fs from 'node:fs';
import { parseCocoResults, type Detection } from './coco.js';
import { fsError } from './node-source.js';

/**
 * Read and validate a COCO-results detections file.
 * @throws KrsError FILE_NOT_FOUND for a missing file; BAD_FILE / BAD_VALUE as `parseCocoResults`.
 * @example readCocoResults('student_dets.json').length
 */
export function readCocoResults(file: string): Detection[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw fsError(file, e);
  }
  return parseCocoResults(text, file);
}
