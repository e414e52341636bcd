/**
 * Node-only: read a whole small file (a PNG, a JSON or CSV table) after checking its size
 * against a resource limit, so a huge file is refused before it is loaded.
 */
import * as fs from 'node:fs';
import { KrsError } from '../core/errors.js';
import { checkLimit, type Limits } from './limits.js';
import { fsError, regularFileStat } from './node-source.js';

/**
 * The bytes of `file`, which must be a regular file of at most `limits[limit]` bytes.
 * @param what what the file is, for the message ('PNG file', 'JSON file')
 * @throws KrsError FILE_NOT_FOUND for a missing or unreadable file; BAD_FILE for a directory, device or pipe;
 *   BAD_VALUE when larger than the limit.
 */
export function readWholeFile(file: string, limits: Limits, limit: keyof Limits, what: string): Buffer {
  try {
    const st = regularFileStat(file);
    checkLimit(limits, limit, file, `the size of the ${what} (bytes)`, st.size);
    return fs.readFileSync(file);
  } catch (e) {
    throw e instanceof KrsError ? e : fsError(file, e);
  }
}

/** {@link readWholeFile} as UTF-8 text, a leading byte-order mark dropped. */
export function readWholeText(file: string, limits: Limits, what: string): string {
  return readWholeFile(file, limits, 'maxTextBytes', what)
    .toString('utf8')
    .replace(/^\uFEFF/, '');
}
