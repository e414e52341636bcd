/**
 * A small PNG decoder (ISO/IEC 15948 / W3C PNG 2nd ed.) that returns the raw samples —
 * for a palette image the palette INDICES, not colours — which is what a label map needs
 * and what pngjs does not expose (it always expands palettes to RGBA). Browser-safe:
 * zlib data are inflated with fflate.
 *
 * Supports every standard colour type and bit depth (greyscale 1/2/4/8/16, RGB 8/16,
 * palette 1/2/4/8, grey+alpha 8/16, RGBA 8/16), Adam7 interlacing and the five filter
 * types. Chunk CRCs are checked; ancillary chunks (tRNS, gAMA, text…) are ignored, so
 * no gamma or transparency is applied. Samples below 8 bits are unpacked, not rescaled.
 * The image size declared by IHDR is checked against `maxImagePixels` (src/io/limits.ts)
 * before anything is inflated, and inflation stops at the size the header implies.
 */
import { unzlibSync } from 'fflate';
import { errors } from '../core/errors.js';
import { crc32 } from './crc32.js';
import { checkLimit, type LimitOptions, resolveLimits } from './limits.js';

/** The IHDR fields. */
export interface PngHeader {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  /** 0 greyscale, 2 RGB, 3 palette, 4 greyscale+alpha, 6 RGBA. */
  readonly colorType: number;
  readonly interlaced: boolean;
}

/** A decoded PNG: `samples` holds `channels` values per pixel, row-major, unscaled. */
export interface PngImage extends PngHeader {
  readonly channels: number;
  /** Uint8Array for bit depths ≤ 8, Uint16Array for 16. */
  readonly samples: Uint8Array | Uint16Array;
  /** PLTE entries as RGB triples, for palette images. */
  readonly palette: Uint8Array | undefined;
}

/** Human name of each colour type. */
export const COLOR_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'greyscale',
  2: 'RGB',
  3: 'palette',
  4: 'greyscale+alpha',
  6: 'RGBA',
};

const CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const DEPTHS: Readonly<Record<number, readonly number[]>> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};
const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Adam7 passes: x0, y0, dx, dy. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/**
 * Decode a PNG file.
 * @param name file name for error messages
 * @param check called with the header before any pixel data are inflated; may throw
 *   to reject the image early (e.g. a colour type the caller cannot use)
 * @param limits resource limits (`maxImagePixels`)
 * @throws KrsError BAD_FILE for a bad signature, truncation, a bad chunk CRC, an invalid
 *   header, corrupt image data or a bad filter type; BAD_VALUE for width × height above
 *   `maxImagePixels`.
 */
export function decodePng(bytes: Uint8Array, name: string, check?: (header: PngHeader) => void, limits: LimitOptions = {}): PngImage {
  const maxima = resolveLimits(limits);
  if (bytes.length < 8 || !SIGNATURE.every((b, i) => bytes[i] === b)) throw errors.badFile(name, 'not a PNG file: bad signature');
  const { header: h, palette, idat } = readChunks(bytes, name, check, maxima);
  if (h.colorType === 3 && palette === undefined) throw errors.badFile(name, 'corrupt: palette image without a PLTE chunk');
  if (idat.length === 0) throw errors.badFile(name, 'corrupt: no IDAT chunk (no image data)');
  const channels = CHANNELS[h.colorType]!;
  const bitsPerPixel = channels * h.bitDepth;
  const passes = h.interlaced
    ? ADAM7.map(([x0, y0, dx, dy]) => ({ x0, y0, dx, dy, w: Math.ceil((h.width - x0) / dx), h: Math.ceil((h.height - y0) / dy) }))
    : [{ x0: 0, y0: 0, dx: 1, dy: 1, w: h.width, h: h.height }];
  let expected = 0;
  for (const ps of passes) if (ps.w > 0 && ps.h > 0) expected += ps.h * (1 + Math.ceil((ps.w * bitsPerPixel) / 8));
  const raw = inflate(idat, expected, name);
  const count = h.width * h.height * channels;
  let samples: Uint8Array | Uint16Array;
  try {
    samples = h.bitDepth === 16 ? new Uint16Array(count) : new Uint8Array(count);
  } catch {
    throw errors.tooLarge(name, count * (h.bitDepth === 16 ? 2 : 1));
  }
  const bpp = Math.max(1, bitsPerPixel >> 3);
  let pos = 0;
  for (const ps of passes) {
    if (ps.w <= 0 || ps.h <= 0) continue;
    const rowBytes = Math.ceil((ps.w * bitsPerPixel) / 8);
    unfilter(raw, pos, rowBytes, ps.h, bpp, name);
    for (let y = 0; y < ps.h; y++) {
      const row = pos + y * (rowBytes + 1) + 1;
      const outRow = (ps.y0 + y * ps.dy) * h.width;
      for (let x = 0; x < ps.w; x++) {
        const out = (outRow + ps.x0 + x * ps.dx) * channels;
        for (let c = 0; c < channels; c++) {
          const k = x * channels + c;
          let s: number;
          if (h.bitDepth === 8) s = raw[row + k]!;
          else if (h.bitDepth === 16) s = (raw[row + 2 * k]! << 8) | raw[row + 2 * k + 1]!;
          else {
            const bit = k * h.bitDepth;
            s = (raw[row + (bit >> 3)]! >> (8 - h.bitDepth - (bit & 7))) & ((1 << h.bitDepth) - 1);
          }
          samples[out + c] = s;
        }
      }
    }
    pos += ps.h * (rowBytes + 1);
  }
  return { ...h, channels, samples, palette };
}

/**
 * Walks the chunks after the signature up to IEND, checking each one's length and CRC, that
 * IHDR comes first (checked by `check` and against the pixel limit) and that no unknown
 * critical chunk appears; returns the header, the palette and the IDAT chunks in order.
 */
function readChunks(
  bytes: Uint8Array,
  name: string,
  check: ((header: PngHeader) => void) | undefined,
  maxima: ReturnType<typeof resolveLimits>,
): { header: PngHeader; palette: Uint8Array | undefined; idat: Uint8Array[] } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header: PngHeader | undefined;
  let palette: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  let ended = false;
  for (let p = 8; !ended; ) {
    if (p + 12 > bytes.length) throw errors.badFile(name, `truncated: the file ends at byte ${bytes.length} before the IEND chunk`);
    const len = v.getUint32(p);
    const type = String.fromCharCode(...bytes.subarray(p + 4, p + 8));
    if (len > bytes.length - p - 12) {
      throw errors.badFile(name, `truncated: chunk '${type}' at byte ${p} declares ${len} bytes, only ${bytes.length - p - 12} remain`);
    }
    const data = bytes.subarray(p + 8, p + 8 + len);
    if (crc32(bytes.subarray(p + 4, p + 8 + len)) !== v.getUint32(p + 8 + len)) {
      throw errors.badFile(name, `corrupt: chunk '${type}' at byte ${p} has a bad CRC`);
    }
    if (header === undefined && type !== 'IHDR') throw errors.badFile(name, `corrupt: first chunk is '${type}', expected 'IHDR'`);
    switch (type) {
      case 'IHDR':
        header = parseHeader(data, name);
        check?.(header);
        checkLimit(maxima, 'maxImagePixels', name, `the image size ${header.width}×${header.height} (pixels)`, header.width * header.height);
        break;
      case 'PLTE':
        palette = data;
        break;
      case 'IDAT':
        idat.push(data);
        break;
      case 'IEND':
        ended = true;
        break;
      default:
        if ((type.charCodeAt(0) & 0x20) === 0) throw errors.badFile(name, `unsupported critical chunk '${type}'`);
    }
    p += 12 + len;
  }
  return { header: header!, palette, idat };
}

function parseHeader(d: Uint8Array, name: string): PngHeader {
  if (d.length !== 13) throw errors.badFile(name, `corrupt: IHDR has ${d.length} bytes, expected 13`);
  const v = new DataView(d.buffer, d.byteOffset, 13);
  const width = v.getUint32(0);
  const height = v.getUint32(4);
  const bitDepth = d[8]!;
  const colorType = d[9]!;
  if (width === 0 || height === 0 || width > 2 ** 31 - 1 || height > 2 ** 31 - 1) {
    throw errors.badFile(name, `corrupt: image size ${width}×${height}`);
  }
  if (!DEPTHS[colorType]?.includes(bitDepth)) {
    throw errors.badFile(name, `corrupt: invalid colour type ${colorType} with bit depth ${bitDepth}`);
  }
  if (d[10] !== 0 || d[11] !== 0 || d[12]! > 1) {
    throw errors.badFile(name, `corrupt: unknown compression ${d[10]}, filter ${d[11]} or interlace ${d[12]} method`);
  }
  return { width, height, bitDepth, colorType, interlaced: d[12] === 1 };
}

/** Inflate the concatenated IDAT data into exactly `expected` bytes. */
function inflate(idat: Uint8Array[], expected: number, name: string): Uint8Array {
  let z: Uint8Array;
  if (idat.length === 1) z = idat[0]!;
  else {
    z = new Uint8Array(idat.reduce((n, c) => n + c.length, 0));
    let o = 0;
    for (const c of idat) {
      z.set(c, o);
      o += c.length;
    }
  }
  let out: Uint8Array;
  try {
    out = unzlibSync(z, { out: new Uint8Array(expected) });
  } catch (e) {
    throw errors.badFile(name, `corrupt or truncated image data (${(e as Error).message})`);
  }
  if (out.length < expected) throw errors.badFile(name, `truncated image data: ${out.length} of ${expected} bytes`);
  return out;
}

/** Undo the per-row filters of `rows` scanlines starting at `start`, in place. */
function unfilter(b: Uint8Array, start: number, rowBytes: number, rows: number, bpp: number, name: string): void {
  for (let y = 0; y < rows; y++) {
    const f = start + y * (rowBytes + 1);
    const r = f + 1;
    const u = r - rowBytes - 1; // previous row, valid when y > 0
    switch (b[f]) {
      case 0:
        break;
      case 1:
        for (let i = bpp; i < rowBytes; i++) b[r + i] = b[r + i]! + b[r + i - bpp]!;
        break;
      case 2:
        if (y > 0) for (let i = 0; i < rowBytes; i++) b[r + i] = b[r + i]! + b[u + i]!;
        break;
      case 3:
        for (let i = 0; i < rowBytes; i++) {
          const left = i >= bpp ? b[r + i - bpp]! : 0;
          const up = y > 0 ? b[u + i]! : 0;
          b[r + i] = b[r + i]! + ((left + up) >> 1);
        }
        break;
      case 4:
        for (let i = 0; i < rowBytes; i++) {
          const a = i >= bpp ? b[r + i - bpp]! : 0;
          const bb = y > 0 ? b[u + i]! : 0;
          const c = i >= bpp && y > 0 ? b[u + i - bpp]! : 0;
          const p = a + bb - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - bb);
          const pc = Math.abs(p - c);
          b[r + i] = b[r + i]! + (pa <= pb && pa <= pc ? a : pb <= pc ? bb : c);
        }
        break;
      default:
        throw errors.badFile(name, `corrupt image data: unknown filter type ${b[f]} on scanline ${y}`);
    }
  }
}
