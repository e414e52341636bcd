/**
 * Node-only: read a COCO-results JSON file (see `coco.ts`).
 */
import { type Detection, parseCocoResults } from './coco.js';
import { type LimitOptions, resolveLimits } from './limits.js';
import { readWholeText } from './node-read.js';

/**
 * Read and validate a COCO-results detections file.
 * The file's size is checked against `maxTextBytes` before it is read; a UTF-8 byte-order
 * mark is dropped.
 * @throws KrsError FILE_NOT_FOUND for a missing file; BAD_FILE / BAD_VALUE as
 *   `parseCocoResults`; BAD_VALUE for a file above `maxTextBytes`.
 * @example readCocoResults('student_dets.json').length
 */
export function readCocoResults(file: string, options: { limits?: LimitOptions } = {}): Detection[] {
  return parseCocoResults(readWholeText(file, resolveLimits(options.limits), 'JSON file'), file);
}
