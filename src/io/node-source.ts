/**
 * Node-only file access for the readers: {@link fileSource}, and {@link fsError} to turn
 * Node's fs errors into KrsErrors. Every `node:` import of `src/io` lives in a
 * `node-*.ts` file, so the rest of `src/io` runs in a browser.
 */
import * as fs from 'node:fs';
import './node-crc32.js';
import { errors, KrsError } from '../core/errors.js';
import { type ByteSource, checkRange } from './source.js';

/** Largest single fs.readSync (Node refuses more than 2^31 − 1 bytes per call). */
const MAX_READ = 2 ** 30;

/**
 * A {@link ByteSource} over a file, read with fs.openSync/fs.readSync at explicit
 * positions, so files over 2 GiB work (fs.readFileSync refuses them). The file is opened
 * per read, so no descriptor is held between reads; its size is taken once, here.
 * @throws KrsError FILE_NOT_FOUND if `file` does not exist or cannot be read, BAD_FILE if
 *   it is not a regular file ({@link regularFileStat}); reads throw BAD_FILE if the file has shrunk.
 */
export function fileSource(file: string): ByteSource {
  const size = regularFileStat(file).size;
  const readInto = (offset: number, dest: Uint8Array): void => {
    checkRange(source, offset, dest.length);
    if (dest.length === 0) return;
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (e) {
      throw fsError(file, e);
    }
    try {
      let done = 0;
      while (done < dest.length) {
        const want = Math.min(MAX_READ, dest.length - done);
        const got = fs.readSync(fd, dest, done, want, offset + done);
        if (got === 0) {
          throw errors.badFile(file, `truncated: the file ended at byte ${offset + done} while reading (it has shrunk since it was opened?)`);
        }
        done += got;
      }
    } catch (e) {
      if (e instanceof KrsError) throw e;
      throw fsError(file, e);
    } finally {
      fs.closeSync(fd);
    }
  };
  const source: ByteSource = {
    name: file,
    size,
    read(offset, length) {
      checkRange(source, offset, length);
      const out = new Uint8Array(length);
      readInto(offset, out);
      return out;
    },
    readInto,
  };
  return source;
}

/**
 * The stat of `file`, which must be a regular file (or a link to one).
 * @param expected what was expected, for the message of a directory ('a file', 'an .onnx file')
 * @throws KrsError FILE_NOT_FOUND / unreadable; BAD_FILE for a directory, and for a device,
 *   FIFO or socket: `/dev/zero` reports size 0 and never ends, so no size check could bound
 *   the read.
 */
export function regularFileStat(file: string, expected = 'a file'): fs.Stats {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (e) {
    throw fsError(file, e);
  }
  if (stat.isDirectory()) throw errors.badFile(file, `is a directory, expected ${expected}`);
  if (!stat.isFile()) throw errors.badFile(file, `is not a regular file (a device, pipe or socket has no size to check), expected ${expected}`);
  return stat;
}

/** Map a Node fs error to a KrsError naming the path. */
export function fsError(file: string, e: unknown): KrsError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return errors.fileNotFound(file);
  if (code === 'EISDIR') return errors.badFile(file, 'is a directory, expected a file');
  if (code === 'EACCES' || code === 'EPERM') return errors.fileUnreadable(file, 'permission denied');
  return errors.fileUnreadable(file, code ?? (e instanceof Error ? e.message : String(e)));
}
