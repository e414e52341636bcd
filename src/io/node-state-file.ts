/**
 * Node-only: read and write shard state files (`state-file.ts`), written atomically so a
 * killed shard never leaves a half-written state under its name.
 */
import { writeFileAtomic } from './node-atomic-write.js';
import { readWholeFile } from './node-read.js';
import { resolveLimits } from './limits.js';
import { decodeStateFile, encodeStateFile } from './state-file.js';

/** Write `document` to `file` as a state file; returns its size in bytes. */
export function writeStateFile(file: string, document: unknown): number {
  const bytes = encodeStateFile(document);
  writeFileAtomic(file, bytes, 'the state file');
  return bytes.length;
}

/** The document of the state file `file`. @throws FILE_NOT_FOUND, BAD_VALUE (not a krs state file). */
export function readStateFile(file: string): unknown {
  const bytes = readWholeFile(file, resolveLimits(), 'maxArrayBytes', 'state file');
  return decodeStateFile(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), file);
}
