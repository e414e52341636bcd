/**
 * NumPy `.npz` reader: a zip archive of .npy files, as written by `np.savez` (stored
 * entries) and `np.savez_compressed` (deflated entries). NumPy writes every entry with
 * zip64 local headers (`force_zip64=True`), and large archives with zip64 directory
 * records; both are read (see `zip.ts`).
 *
 * Keys are entry names without the `.npy` suffix (`np.savez(f, logits=x)` → `logits`).
 * Entries not ending in `.npy` and directory entries are ignored. Only the central
 * directory is read on open; an entry is read (and inflated) only when asked for, and
 * listing shapes reads just each entry's .npy header (for a deflated entry, the first
 * inflated chunk).
 *
 * An entry must hold exactly its .npy header and data (as NumPy writes it): trailing bytes
 * are BAD_FILE, found from the header before the rest of the entry is inflated. Every read
 * of values verifies the entry's CRC first (see `zip.ts`), so row ranges are as trustworthy
 * as whole reads.
 */
import { errors, fmtShape } from '../core/errors.js';
import { sizeOf } from '../core/tensor.js';
import { type Capture, type CaptureOptions, lookup, readNpyIds } from './capture.js';
import { ITEM_SIZE } from './decode.js';
import { type NpyInfo, readNpy, readNpyInfo, readNpyRows } from './npy.js';
import { type ByteSource, verifySourceAsync } from './source.js';
import { openZipEntry, readZipDirectory, type ZipEntry } from './zip.js';

/**
 * The arrays of an .npz archive as a lazy {@link Capture}.
 * @throws KrsError BAD_FILE if the source is not a readable zip archive (reads of a
 *   corrupt or truncated entry throw BAD_FILE naming `archive.npz[entry.npy]`).
 * @example npzCapture(bytesSource('t.npz', bytes)).info('logits').shape // [1000, 10]
 */
export function npzCapture(source: ByteSource, options: CaptureOptions = {}): Capture {
  const limits = options.limits ?? {};
  const entries = npzEntries(source);
  const opened = new Map<string, ByteSource>();
  const infos = new Map<string, NpyInfo>();
  const entry = (key: string): ByteSource => {
    let s = opened.get(key);
    if (!s) {
      s = openZipEntry(source, lookup(entries, key, source.name));
      opened.set(key, s);
    }
    return s;
  };
  const info = (key: string): NpyInfo => {
    let i = infos.get(key);
    if (!i) {
      const s = entry(key);
      i = readNpyInfo(s, limits);
      const end = i.dataOffset + sizeOf(i.shape) * ITEM_SIZE[i.dtype];
      if (end !== s.size) {
        throw errors.badFile(
          s.name,
          `corrupt: the entry holds ${s.size} bytes, but its .npy header and data (${i.dtype} ${fmtShape(i.shape)}) take ${end}; NumPy writes nothing after the data`,
        );
      }
      infos.set(key, i);
    }
    return i;
  };
  return {
    source: source.name,
    keys: () => [...entries.keys()],
    info: (key) => {
      const { dtype, shape } = info(key);
      return { dtype, shape };
    },
    read: (key) => readNpy(entry(key), info(key), limits),
    readRows: (key, start, end) => readNpyRows(entry(key), start, end, info(key), limits),
    readIds: (key) => readNpyIds(entry(key), key, limits),
    verify: (key) => verifySourceAsync(entry(key)),
  };
}

/**
 * Key → zip entry for the .npy members of an archive, in archive order.
 * @throws KrsError BAD_FILE as `readZipDirectory`, or if two entries give the same key.
 */
export function npzEntries(source: ByteSource): Map<string, ZipEntry> {
  const out = new Map<string, ZipEntry>();
  for (const e of readZipDirectory(source)) {
    if (!e.name.endsWith('.npy') || e.name.endsWith('/')) continue;
    const key = e.name.slice(0, -4);
    if (out.has(key)) throw errors.badFile(source.name, `corrupt: two entries are named ${JSON.stringify(e.name)}`);
    out.set(key, e);
  }
  return out;
}
