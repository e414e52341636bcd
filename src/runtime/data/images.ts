/**
 * A folder of PNG/JPEG images as a data set.
 *
 * Images directly in the folder are unlabelled samples; a folder of sub-folders is read the
 * torchvision `ImageFolder` way: one class per sub-folder (sorted names), its images
 * labelled with the class index. Files are taken in sorted order.
 *
 * Each image becomes float32 values in [0, 1] (8-bit / 255), greyscale (1 channel,
 * ITU-R 601 luma) or RGB (3 channels), resized bilinearly (half-pixel centres) to
 * `size` when given — otherwise every image must have the first one's size — laid out
 * CHW (default) or HWC (`channelsLast`). Alpha is dropped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { errors, opt } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import { fsError, regularFileStat } from '../../io/node-source.js';
import { type Dataset, limited, rowIds } from './dataset.js';

export type ColorMode = 'grey' | 'rgb' | 'auto';

export interface ImageDatasetOptions {
  /** [height, width] to resize to. */
  size?: readonly [number, number];
  /** `auto` (default): greyscale if the first image is, else RGB. */
  color?: ColorMode;
  channelsLast?: boolean;
  limit?: number;
}

const IMAGE = /\.(png|jpe?g)$/i;

/** True when `dir` holds images, directly or in sub-folders. */
export function isImageFolder(dir: string): boolean {
  try {
    const entries = fs.readdirSync(dir, { withFileTypes: true });
    if (entries.some((e) => e.isFile() && IMAGE.test(e.name))) return true;
    return entries.some((e) => e.isDirectory() && fs.readdirSync(path.join(dir, e.name)).some((n) => IMAGE.test(n)));
  } catch {
    return false;
  }
}

interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Decode a PNG or JPEG file to 8-bit RGBA. @throws KrsError BAD_FILE naming the file. */
export function decodeImage(file: string): Rgba {
  let bytes: Buffer;
  regularFileStat(file, 'an image file');
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw fsError(file, e);
  }
  try {
    if (bytes[0] === 0x89 && bytes[1] === 0x50) {
      const png = PNG.sync.read(bytes);
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length) };
    }
    if (bytes[0] === 0xff && bytes[1] === 0xd8) {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
      return { width: img.width, height: img.height, data: img.data };
    }
  } catch (e) {
    throw errors.badFile(file, `cannot be decoded as an image (${(e as Error).message.split('\n')[0]})`);
  }
  throw errors.badFile(file, 'is neither a PNG nor a JPEG file');
}

function isGrey(img: Rgba): boolean {
  const d = img.data;
  for (let i = 0; i < d.length; i += 4) if (d[i] !== d[i + 1] || d[i] !== d[i + 2]) return false;
  return true;
}

/**
 * @throws KrsError FILE_NOT_FOUND for a missing folder; BAD_FILE for a folder without
 *   images or an undecodable image; SHAPE_MISMATCH for images of another size without `size`.
 */
export function imageDataset(dir: string, options: ImageDatasetOptions = {}): Dataset {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    throw fsError(dir, e);
  }
  const files: string[] = [];
  const labels: number[] = [];
  const direct = entries
    .filter((e) => e.isFile() && IMAGE.test(e.name))
    .map((e) => e.name)
    .sort();
  let classes: string[] | undefined;
  if (direct.length) {
    files.push(...direct.map((n) => path.join(dir, n)));
  } else {
    classes = entries
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    classes = classes.filter((c) => fs.readdirSync(path.join(dir, c)).some((n) => IMAGE.test(n)));
    classes.forEach((c, ci) => {
      for (const n of fs
        .readdirSync(path.join(dir, c))
        .filter((n) => IMAGE.test(n))
        .sort()) {
        files.push(path.join(dir, c, n));
        labels.push(ci);
      }
    });
  }
  if (files.length === 0) throw errors.badFile(dir, 'holds no .png, .jpg or .jpeg images (directly or in class sub-folders)');
  const first = decodeImage(files[0]!);
  const color: 'grey' | 'rgb' = (options.color ?? 'auto') === 'auto' ? (isGrey(first) ? 'grey' : 'rgb') : (options.color as 'grey' | 'rgb');
  const channels = color === 'grey' ? 1 : 3;
  const [h, w] = options.size ?? [first.height, first.width];
  const sample = options.channelsLast ? [h, w, channels] : [channels, h, w];
  const size = limited(files.length, options.limit);
  const labelled = classes !== undefined;
  return {
    name: dir,
    kind: 'images',
    size,
    primary: 'x',
    arrays: { x: { dtype: 'float32', shape: [size, ...sample] } },
    channelAxis: options.channelsLast ? 2 : 0,
    targets: labelled ? { dtype: 'int32', shape: [size] } : null,
    ...(classes ? { classes } : {}),
    read(start, end) {
      const per = h * w * channels;
      const data = new Float32Array((end - start) * per);
      for (let i = start; i < end; i++) {
        const img = i === 0 ? first : decodeImage(files[i]!);
        if (!options.size && (img.width !== w || img.height !== h)) {
          throw errors.shapeMismatch(`image ${files[i]}`, `${w}×${h} like ${files[0]} (or pass ${opt('imageSize')})`, `${img.width}×${img.height}`);
        }
        toFloat(img, h, w, color, options.channelsLast ?? false, data.subarray((i - start) * per, (i - start + 1) * per));
      }
      const x: Tensor = { dtype: 'float32', shape: [end - start, ...sample], data };
      const out = { arrays: { x }, ids: rowIds(start, end), owned: true };
      return labelled ? { ...out, targets: { dtype: 'int32', shape: [end - start], data: Int32Array.from(labels.slice(start, end)) } } : out;
    },
  };
}

/** Resize (bilinear, half-pixel centres) and convert one RGBA image into `out`. */
function toFloat(img: Rgba, h: number, w: number, color: 'grey' | 'rgb', channelsLast: boolean, out: Float32Array): void {
  const { width: W, height: H, data } = img;
  const channels = color === 'grey' ? 1 : 3;
  const sy = H / h;
  const sx = W / w;
  const px = (x: number, y: number, c: number) => data[(y * W + x) * 4 + c]!;
  for (let y = 0; y < h; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), H - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, H - 1);
    const wy = fy - y0;
    for (let x = 0; x < w; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), W - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, W - 1);
      const wx = fx - x0;
      const rgb = [0, 1, 2].map((c) => (px(x0, y0, c) * (1 - wx) + px(x1, y0, c) * wx) * (1 - wy) + (px(x0, y1, c) * (1 - wx) + px(x1, y1, c) * wx) * wy) as [
        number,
        number,
        number,
      ];
      const values = color === 'grey' ? [0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]] : rgb;
      for (let c = 0; c < channels; c++) {
        const v = values[c]! / 255;
        out[channelsLast ? (y * w + x) * channels + c : c * h * w + y * w + x] = v;
      }
    }
  }
}
