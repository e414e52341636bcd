/**
 * Node-only: read and write shard state files (`state-file.ts`), written atomically so a
 * killed shard never leaves a half-written state under its name.
 *
 * The asynchronous forms are the ones the CLI uses: they read and write in chunks of 8 MiB
 * with a stop point after each (`checkInterrupt`, src/io/interrupt.ts), and make one between
 * encoding or decoding and the file's I/O, so Ctrl-C during a state file of hundreds of
 * megabytes is acted on within a chunk or a step.
 */
import * as fs from 'node:fs';
import { errors, KrsError } from '../core/errors.js';
import { CHUNK_BYTES, checkInterrupt, pauseAtSync } from './interrupt.js';
import { checkLimit, resolveLimits } from './limits.js';
import { writeFileAtomic, writeFileAtomicAsync } from './node-atomic-write.js';
import { readWholeFile } from './node-read.js';
import { fsError, regularFileStat } from './node-source.js';
import { decodeStateFile, encodeStateFile } from './state-file.js';

/** Write `document` to `file` as a state file; returns its size in bytes. */
export function writeStateFile(file: string, document: unknown): number {
  const bytes = encodeStateFile(document);
  writeFileAtomic(file, bytes, 'the state file');
  return bytes.length;
}

/** {@link writeStateFile} with stop points (see the module comment). @throws as it, and INTERRUPTED (nothing written). */
export async function writeStateFileAsync(file: string, document: unknown): Promise<number> {
  await checkInterrupt();
  const bytes = encodeStateFile(document);
  await checkInterrupt();
  await writeFileAtomicAsync(file, bytes, 'the state file');
  return bytes.length;
}

/** The document of the state file `file`. @throws FILE_NOT_FOUND, BAD_VALUE (not a krs state file). */
export function readStateFile(file: string): unknown {
  const bytes = readWholeFile(file, resolveLimits(), 'maxArrayBytes', 'state file');
  return decodeStateFile(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), file);
}

/** {@link readStateFile} with stop points (see the module comment). @throws as it, and INTERRUPTED. */
export async function readStateFileAsync(file: string): Promise<unknown> {
  let fd = -1;
  let bytes: Uint8Array;
  regularFileStat(file); // before opening: opening a FIFO would wait for a writer
  try {
    fd = fs.openSync(file, 'r');
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) throw errors.badFile(file, 'is a directory, expected a file');
    checkLimit(resolveLimits(), 'maxArrayBytes', file, 'the size of the state file (bytes)', st.size);
    bytes = new Uint8Array(st.size);
    for (let at = 0; at < st.size; ) {
      const want = Math.min(CHUNK_BYTES, st.size - at);
      const got = fs.readSync(fd, bytes, at, want, at);
      if (got === 0) throw errors.badFile(file, `truncated: the file ended at byte ${at} while reading (it has shrunk since it was opened?)`);
      at += got;
      pauseAtSync('state-read');
      await checkInterrupt();
    }
  } catch (e) {
    throw e instanceof KrsError ? e : fsError(file, e);
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
  await checkInterrupt();
  const document = decodeStateFile(bytes, file);
  await checkInterrupt();
  return document;
}
