/**
 * Write a label map as a PNG (the inverse of `decodeLabelMap` for 8-bit maps): an H×W map of
 * class ids 0 … 255 becomes an 8-bit greyscale PNG (colour type 0, not interlaced, filter
 * type 0 on every row) whose pixel values are the class ids, as Cityscapes and ADE20K store
 * their maps. Browser-safe: the IDAT stream is deflated with fflate; chunk CRCs by `crc32.ts`.
 */
import { zlibSync } from 'fflate';
import { errors } from '../core/errors.js';
import { crc32 } from './crc32.js';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** One chunk: length, type, data, CRC of type + data. */
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * Encode `labels` (row-major, `height`·`width` values) as an 8-bit greyscale PNG.
 * @param what the map's name for error messages
 * @throws KrsError SHAPE_MISMATCH when the length is not height·width; BAD_VALUE for a label
 *   that is not an integer in [0, 255]; BAD_OPTION for a non-positive size.
 * @example decodeLabelMap(encodeLabelMapPng(map, 48, 48), 'x.png').data // = map
 */
export function encodeLabelMapPng(labels: ArrayLike<number>, height: number, width: number, what = 'label map'): Uint8Array {
  for (const [k, v] of [
    ['height', height],
    ['width', width],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 0x7fffffff) throw errors.badOption(k, v, 'a positive integer');
  }
  if (labels.length !== height * width) throw errors.shapeMismatch(what, `${height}×${width} = ${height * width} values`, String(labels.length));
  const raw = new Uint8Array(height * (width + 1));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = labels[y * width + x]!;
      if (!(Number.isInteger(v) && v >= 0 && v <= 255)) throw errors.badValue(`${what} at row ${y}, column ${x}`, v, 'an integer class id in [0, 255]');
      raw[y * (width + 1) + 1 + x] = v;
    }
  }
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale; compression, filter and interlace methods 0
  const parts = [Uint8Array.from(SIGNATURE), chunk('IHDR', ihdr), chunk('IDAT', zlibSync(raw, { level: 9 })), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
