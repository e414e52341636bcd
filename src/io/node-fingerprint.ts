/**
 * Fingerprints of input files (docs/data-model.md §"Shard state files"): what a shard state
 * file records of the captures, data and models it was computed from, so `krs merge` refuses
 * shards of different inputs — two students that share a file name, a capture replaced between
 * shard runs — instead of merging them into a number that belongs to neither.
 *
 * A fingerprint is the CRC-32 of a listing of the file's content: for an `.npz` its members'
 * names, sizes and the CRC-32s its zip directory already holds (no data is read); for any other
 * file the CRC-32 of all its bytes (read once, in 8 MiB steps); for a folder, its files' names
 * and fingerprints, sorted. Not a cryptographic hash: it tells different inputs apart, it does
 * not stand up to someone forging a collision.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { errors } from '../core/errors.js';
import { CRC32_INIT, crc32, crc32Final, crc32Update } from './crc32.js';
import './node-crc32.js';
import { fileSource, fsError } from './node-source.js';
import { readInto } from './source.js';
import { readZipDirectory } from './zip.js';

const STEP = 8 << 20;
const hex = (n: number) => n.toString(16).padStart(8, '0');

/** CRC-32 of every byte of a file (its size when opened), read through {@link fileSource} in 8 MiB steps. */
function fileCrc(file: string): number {
  const source = fileSource(file);
  const buf = new Uint8Array(Math.min(STEP, source.size));
  let crc = CRC32_INIT;
  for (let at = 0; at < source.size; at += STEP) {
    const part = buf.subarray(0, Math.min(STEP, source.size - at));
    readInto(source, at, part);
    crc = crc32Update(crc, part);
  }
  return crc32Final(crc);
}

/** The fingerprint of a file or folder (see the module comment), as `crc32:<hex>`. */
export function fingerprint(path: string): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(path);
  } catch (e) {
    throw fsError(path, e);
  }
  if (stat.isDirectory()) {
    const listing = fs
      .readdirSync(path)
      .sort()
      .map((name) => `${name}\t${fingerprint(join(path, name))}`)
      .join('\n');
    return `crc32:${hex(crc32(new TextEncoder().encode(listing)))}`;
  }
  if (!stat.isFile()) throw errors.badFile(path, 'is not a regular file or a folder (a device or a pipe has no end to read to)');
  if (path.toLowerCase().endsWith('.npz')) {
    const listing = readZipDirectory(fileSource(path))
      .map((e) => `${e.name}\t${e.uncompressedSize}\t${hex(e.crc32)}`)
      .join('\n');
    return `crc32:${hex(crc32(new TextEncoder().encode(listing)))}`;
  }
  return `crc32:${hex(fileCrc(path))}`;
}
