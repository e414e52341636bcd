/**
 * Node-only: read a COCO ground-truth JSON file (see `coco-ground-truth.ts`).
 */
import { type CocoGroundTruth, parseCocoGroundTruth } from './coco-ground-truth.js';
import { type LimitOptions, resolveLimits } from './limits.js';
import { readWholeText } from './node-read.js';

/**
 * Read and validate a COCO ground-truth file (images, annotations, categories).
 * The file's size is checked against `maxTextBytes` before it is read; a UTF-8 byte-order
 * mark is dropped.
 * @throws KrsError FILE_NOT_FOUND for a missing file; BAD_FILE / BAD_VALUE / ID_MISMATCH as
 *   `parseCocoGroundTruth`; BAD_VALUE for a file above `maxTextBytes`.
 * @example readCocoGroundTruth('instances_val.json').images.length
 */
export function readCocoGroundTruth(file: string, options: { limits?: LimitOptions } = {}): CocoGroundTruth {
  return parseCocoGroundTruth(readWholeText(file, resolveLimits(options.limits), 'JSON file'), file);
}
