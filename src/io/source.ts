/**
 * Random-access byte sources: the only way the parsers in `src/io` see a file.
 *
 * A {@link ByteSource} is synchronous and random access, so a parser can read a
 * header, then exactly the bytes of the rows it needs, without loading the whole
 * file. The core library builds sources from memory ({@link bytesSource}) or as
 * windows of other sources ({@link windowSource}); `node-source.ts` adds files.
 * Nothing here imports a Node-only module, so the parsers run in a browser.
 */
import { errors } from '../core/errors.js';

/** Synchronous random-access bytes with a name used in every error message. */
export interface ByteSource {
  /** Shown in error messages: a path, a file name, or `archive.npz[entry.npy]`. */
  readonly name: string;
  /** Total length in bytes. */
  readonly size: number;
  /**
   * `length` bytes starting at `offset`. The result may be a view of the source's own
   * storage: callers must not modify it.
   * @throws KrsError BAD_FILE if the range runs past the end of the source.
   */
  read(offset: number, length: number): Uint8Array;
  /**
   * Optional: fill `dest` with the `dest.length` bytes starting at `offset`, without an
   * intermediate copy. Sources that can (files, inflating streams) implement it so that
   * large arrays are read straight into their final typed array.
   */
  readInto?(offset: number, dest: Uint8Array): void;
  /**
   * Optional: the bytes at `offset` as a view of memory the source holds (no copy, no
   * allocation), for sources over bytes in memory. Callers must not modify it.
   */
  view?(offset: number, length: number): Uint8Array;
  /**
   * Optional: check the integrity of the whole source (a zip entry's CRC-32 and size) and
   * throw BAD_FILE naming it if the bytes are corrupt. Readers call it before they return
   * any value decoded from the source's data, so a corrupt entry never yields a number,
   * whichever rows are read. It reads the whole source once (streaming, in bounded memory);
   * later calls return at once. Sources without a checksum (files, memory) omit it.
   */
  verify?(): void;
  /**
   * Optional: {@link ByteSource.verify} in chunks, with a stop point (`checkInterrupt`,
   * src/io/interrupt.ts) after each, so an interrupt during a long check acts within a chunk.
   */
  verifyAsync?(): Promise<void>;
}

/** {@link verifySource} with stop points where the source has them (see {@link ByteSource.verifyAsync}). */
export async function verifySourceAsync(source: ByteSource): Promise<void> {
  if (source.verifyAsync) await source.verifyAsync();
  else source.verify?.();
}

/** Check `source`'s integrity where it has a checksum (see {@link ByteSource.verify}). */
export function verifySource(source: ByteSource): void {
  source.verify?.();
}

/**
 * A source over bytes already in memory. `read` returns views (no copy).
 * @example bytesSource('upload.npy', new Uint8Array(await file.arrayBuffer()))
 */
export function bytesSource(name: string, bytes: Uint8Array): ByteSource {
  return {
    name,
    size: bytes.length,
    read(offset, length) {
      checkRange(this, offset, length);
      return bytes.subarray(offset, offset + length);
    },
    view(offset, length) {
      return this.read(offset, length);
    },
    readInto(offset, dest) {
      checkRange(this, offset, dest.length);
      dest.set(bytes.subarray(offset, offset + dest.length));
    },
  };
}

/** Fill `dest` from `source` at `offset`, using `readInto` when the source has it. */
export function readInto(source: ByteSource, offset: number, dest: Uint8Array): void {
  if (dest.length === 0) return;
  if (source.readInto) source.readInto(offset, dest);
  else dest.set(source.read(offset, dest.length));
}

/**
 * Throw BAD_FILE unless [offset, offset + length) lies inside the source. Parsers check
 * their own bounds first with a more specific message; this is the last line of defence.
 */
export function checkRange(source: { readonly name: string; readonly size: number }, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw errors.internal(`read of ${length} bytes at offset ${offset} from ${source.name}`);
  }
  if (offset + length > source.size) {
    throw errors.badFile(source.name, `truncated: a read of ${length} bytes at offset ${offset} runs past the end of the file (${source.size} bytes)`);
  }
}
