/**
 * A contact sheet of scenes for eyeballing: each scene's image (grey, white ink on black) with
 * its boxes and digits drawn in one colour per class, and beside it the label map in the same
 * colours (background black). SVG, rasterised to PNG by resvg (src/report/node-png.ts).
 */
import { errors } from '../../core/errors.js';
import { writeFileAtomic } from '../../io/node-atomic-write.js';
import { svgToPng } from '../../report/node-png.js';
import type { SceneSet } from './generate.js';

/** A colour per digit (index d), distinct on black. */
const CLASS_COLOURS = ['#ff595e', '#ffca3a', '#8ac926', '#1982c4', '#6a4c93', '#ff924c', '#52a675', '#4cc9f0', '#f72585', '#c0c0c0'];

export interface PreviewOptions {
  /** Scenes shown, from the first (default 8, at most the set's). */
  scenes?: number;
  /** SVG pixels per scene pixel (default 4; the PNG is twice that). */
  scale?: number;
  /** Scenes per row of the sheet (default 4). */
  columns?: number;
}

/** The pixels of a `height` × `width` map as SVG squares (one per pixel that is not black). */
function pixelRects(h: number, w: number, scale: number, ox: number, oy: number, colour: (k: number) => string | null): string {
  const parts: string[] = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const c = colour(y * w + x);
      if (c) parts.push(`<rect x="${ox + x * scale}" y="${oy + y * scale}" width="${scale}" height="${scale}" fill="${c}"/>`);
    }
  }
  return parts.join('');
}

/**
 * The contact sheet of the first scenes of `set`, as SVG.
 * @throws KrsError BAD_OPTION for a scene count, scale or column count that is not a positive integer.
 */
export function scenesSheetSvg(set: SceneSet, options: PreviewOptions = {}): string {
  const { scenes = Math.min(8, set.n), scale = 4, columns = 4 } = options;
  for (const [name, v, max] of [
    ['scenes', scenes, set.n],
    ['scale', scale, 64],
    ['columns', columns, 64],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > max) throw errors.badOption(name, v, `an integer from 1 to ${max}`);
  }
  const { height: h, width: w } = set;
  const gap = 2 * scale;
  const cellW = 2 * w * scale + 3 * gap;
  const cellH = h * scale + 2 * gap + 14;
  const rows = Math.ceil(scenes / columns);
  const parts: string[] = [];
  for (let i = 0; i < scenes; i++) {
    const ox = (i % columns) * cellW + gap;
    const oy = Math.floor(i / columns) * cellH + gap;
    const base = i * h * w;
    parts.push(`<rect x="${ox}" y="${oy}" width="${w * scale}" height="${h * scale}" fill="black"/>`);
    parts.push(
      pixelRects(h, w, scale, ox, oy, (k) => {
        const v = Math.round(255 * set.images[base + k]!);
        return v > 0 ? `rgb(${v},${v},${v})` : null;
      }),
    );
    const lx = ox + w * scale + gap;
    parts.push(`<rect x="${lx}" y="${oy}" width="${w * scale}" height="${h * scale}" fill="black"/>`);
    parts.push(pixelRects(h, w, scale, lx, oy, (k) => (set.labels[base + k]! > 0 ? CLASS_COLOURS[set.labels[base + k]! - 1]! : null)));
    for (const o of set.scenes[i]!.objects) {
      const [x, y, bw, bh] = o.bbox;
      const c = CLASS_COLOURS[o.digit]!;
      parts.push(`<rect x="${ox + x * scale}" y="${oy + y * scale}" width="${bw * scale}" height="${bh * scale}" fill="none" stroke="${c}" stroke-width="1"/>`);
      parts.push(`<text x="${ox + x * scale + 1}" y="${oy + y * scale + 9}" font-size="9" fill="${c}">${o.digit}</text>`);
    }
    const caption = `${set.side} ${i}: ${set.scenes[i]!.objects.map((o) => o.digit).join(' ')}${set.scenes[i]!.clutter.length ? ` · ${set.scenes[i]!.clutter.length} clutter` : ''}`;
    parts.push(`<text x="${ox}" y="${oy + h * scale + 12}" font-size="10" fill="#222">${caption}</text>`);
  }
  const width = Math.min(columns, scenes) * cellW;
  const height = rows * cellH;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" shape-rendering="crispEdges"><rect width="100%" height="100%" fill="white"/>${parts.join('')}</svg>`;
}

/**
 * Write the contact sheet of {@link scenesSheetSvg} as a PNG file (atomically).
 * @throws KrsError FILE_NOT_FOUND without a font (see src/report/node-png.ts); environment kinds when the file cannot be written.
 */
export function writeScenesPng(file: string, set: SceneSet, options: PreviewOptions = {}): void {
  writeFileAtomic(file, svgToPng(scenesSheetSvg(set, options)), 'the scenes preview');
}
