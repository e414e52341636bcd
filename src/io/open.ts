/**
 * Pick the capture reader for a source by its name and first bytes (browser-safe; the
 * Node `openCapture(path)` in `node-capture.ts` adds files and folders).
 *
 * By extension: `.npz`, `.safetensors`, `.npy`. Otherwise by content: `PK\3\4` or
 * `PK\5\6` → npz, `\x93NUMPY` → npy, an 8-byte length followed by `{` → safetensors.
 */
import { errors } from '../core/errors.js';
import { type Capture, type CaptureOptions, npyCapture } from './capture.js';
import { npzCapture } from './npz.js';
import { safetensorsCapture } from './safetensors.js';
import type { ByteSource } from './source.js';
import { readZipDirectory } from './zip.js';

/** The single-file capture formats. */
export type CaptureFormat = 'npz' | 'safetensors' | 'npy';

const PYTORCH_SUFFIXES = ['.pt', '.pth', '.ckpt', '.pkl', '.pickle'];

/** What to do with a PyTorch file: krs reads no pickles (unpickling runs code). */
const PYTORCH_ADVICE =
  'is a PyTorch or pickle file (torch.save), which krs does not read (unpickling runs arbitrary code); ' +
  'save the arrays instead: numpy.savez(path, logits=t.cpu().numpy(), ...) or safetensors.torch.save_file({"logits": t.contiguous()}, path)';

/**
 * The format of a capture file, from its extension or else its first bytes.
 * @throws KrsError BAD_FILE if neither says.
 */
export function detectCaptureFormat(source: ByteSource): CaptureFormat {
  const lower = source.name.toLowerCase();
  if (lower.endsWith('.npz')) return 'npz';
  if (lower.endsWith('.safetensors')) return 'safetensors';
  if (lower.endsWith('.npy')) return 'npy';
  const head = source.read(0, Math.min(9, source.size));
  // torch.save writes a pickle (protocol 2+ starts 0x80) or, since PyTorch 1.6, a zip holding one.
  if (PYTORCH_SUFFIXES.some((s) => lower.endsWith(s)) || head[0] === 0x80) throw errors.badFile(source.name, PYTORCH_ADVICE);
  if (head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5)) {
    if (readZipDirectory(source).some((e) => e.name === 'data.pkl' || e.name.endsWith('/data.pkl'))) throw errors.badFile(source.name, PYTORCH_ADVICE);
    return 'npz';
  }
  if (head[0] === 0x93 && String.fromCharCode(...head.subarray(1, 6)) === 'NUMPY') return 'npy';
  if (head.length === 9 && head[8] === 0x7b) return 'safetensors';
  throw errors.badFile(source.name, 'unrecognised capture format: expected .npz, .safetensors, .npy or a folder of .npy files');
}

/**
 * A {@link Capture} over one file: npz, safetensors, or a single .npy (one key, the
 * file name without `.npy`).
 * @param options `limits`: resource limits for every read (src/io/limits.ts)
 * @throws KrsError BAD_FILE for an unrecognised or corrupt file.
 */
export function openCaptureSource(source: ByteSource, format: CaptureFormat = detectCaptureFormat(source), options: CaptureOptions = {}): Capture {
  switch (format) {
    case 'npz':
      return npzCapture(source, options);
    case 'safetensors':
      return safetensorsCapture(source, options);
    case 'npy':
      return npyCapture(source.name, new Map([[npyKey(source.name), source]]), options);
  }
}

/** The key of a .npy file: its base name without the `.npy` extension. */
export function npyKey(path: string): string {
  const base =
    path
      .split(/[\\/]/)
      .filter((p) => p !== '')
      .pop() ?? path;
  return base.toLowerCase().endsWith('.npy') ? base.slice(0, -4) : base;
}
