/**
 * Decoding the CenterNet-style detector's heads into boxes, and writing them as COCO results.
 *
 * For one image, with p the sigmoid heatmap [H, W, C], ŝ the size head and ô the offset head
 * (both [H, W, 2], in grid cells) and s the stride:
 *
 * 1. peaks: (y, x, c) with p[y][x][c] equal to the maximum of p[·][·][c] over its 3×3
 *    neighbourhood (clipped at the border) — CenterNet's 3×3 max-pool in place of NMS; equal
 *    neighbours on a plateau are all peaks;
 * 2. the top K peaks by score (ties: lower flat index (y·W + x)·C + c first), then those with
 *    p ≥ scoreMin;
 * 3. box: centre ((x + ôx)·s, (y + ôy)·s), or ((x + ½)·s, (y + ½)·s) without an offset head;
 *    width and height max(0, ŝ)·s; the corners clipped to the image [0, W·s] × [0, H·s];
 *    bbox = [x₀, y₀, x₁ − x₀, y₁ − y₀] (COCO: top-left corner, pixels);
 * 4. categoryId = categoryIds[c] (default c, the digit), score p.
 */
import type { Detection } from '../../agreement/detection.js';
import { errors } from '../../core/errors.js';

/** One image's heads, row-major Float32Arrays. */
export interface DecodeInput {
  readonly imageId: string;
  /** Sigmoid heatmap [H, W, C] (probabilities, not logits). */
  readonly heatmap: Float32Array;
  /** Size head [H, W, 2] in cells. */
  readonly size: Float32Array;
  /** Offset head [H, W, 2] in cells, or null. */
  readonly offset: Float32Array | null;
}

/** Options of {@link decodeDetections}. */
export interface DecodeOptions {
  /** Grid height and width (cells). */
  readonly height: number;
  readonly width: number;
  /** Heatmap classes C. */
  readonly classes: number;
  /** Pixels per cell. Default 4. */
  readonly stride?: number;
  /** Keep at most this many peaks per image. Default 20. */
  readonly topK?: number;
  /** Drop peaks below this score. Default 0.05. */
  readonly scoreMin?: number;
  /** The category id of each heatmap class (default the class index). */
  readonly categoryIds?: readonly number[];
}

function checkDecodeOptions(o: DecodeOptions): void {
  for (const k of ['height', 'width', 'classes'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 1) throw errors.badOption(k, o[k], 'a positive integer');
  }
  if (o.topK !== undefined && !(Number.isInteger(o.topK) && o.topK >= 1)) throw errors.badOption('topK', o.topK, 'a positive integer');
  if (o.scoreMin !== undefined && !Number.isFinite(o.scoreMin)) throw errors.badOption('scoreMin', o.scoreMin, 'a finite number');
  if (o.categoryIds !== undefined && o.categoryIds.length !== o.classes) {
    throw errors.badOption('categoryIds', o.categoryIds, `${o.classes} category ids, one per heatmap class`);
  }
}

/** Flat indices (y·W + x)·C + c of the 3×3 local maxima of a heatmap [H, W, C]. */
export function heatmapPeaks(heatmap: Float32Array, height: number, width: number, classes: number): number[] {
  const peaks: number[] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < classes; c++) {
        const v = heatmap[(y * width + x) * classes + c]!;
        let isPeak = true;
        for (let dy = -1; dy <= 1 && isPeak; dy++) {
          const yy = y + dy;
          if (yy < 0 || yy >= height) continue;
          for (let dx = -1; dx <= 1; dx++) {
            const xx = x + dx;
            if (xx < 0 || xx >= width) continue;
            if (heatmap[(yy * width + xx) * classes + c]! > v) {
              isPeak = false;
              break;
            }
          }
        }
        if (isPeak) peaks.push((y * width + x) * classes + c);
      }
    }
  }
  return peaks;
}

/** Detections of one image (see the module comment), highest score first. */
export function decodeDetections(input: DecodeInput, options: DecodeOptions): Detection[] {
  checkDecodeOptions(options);
  const { height: H, width: W, classes: C } = options;
  const s = options.stride ?? 4;
  if (input.heatmap.length !== H * W * C) throw errors.shapeMismatch(`heatmap of image ${input.imageId}`, `${H}×${W}×${C} values`, `${input.heatmap.length}`);
  if (input.size.length !== H * W * 2) throw errors.shapeMismatch(`size head of image ${input.imageId}`, `${H}×${W}×2 values`, `${input.size.length}`);
  if (input.offset && input.offset.length !== H * W * 2)
    throw errors.shapeMismatch(`offset head of image ${input.imageId}`, `${H}×${W}×2 values`, `${input.offset.length}`);
  const peaks = heatmapPeaks(input.heatmap, H, W, C);
  peaks.sort((a, b) => input.heatmap[b]! - input.heatmap[a]! || a - b);
  const scoreMin = options.scoreMin ?? 0.05;
  const out: Detection[] = [];
  for (const flat of peaks.slice(0, options.topK ?? 20)) {
    const score = input.heatmap[flat]!;
    if (!(score >= scoreMin)) continue;
    const c = flat % C;
    const cell = (flat - c) / C;
    const x = cell % W;
    const y = (cell - x) / W;
    const cx = (x + (input.offset ? input.offset[2 * cell]! : 0.5)) * s;
    const cy = (y + (input.offset ? input.offset[2 * cell + 1]! : 0.5)) * s;
    const w = Math.max(0, input.size[2 * cell]!) * s;
    const h = Math.max(0, input.size[2 * cell + 1]!) * s;
    const clip = (v: number, hi: number) => Math.min(hi, Math.max(0, v));
    const x0 = clip(cx - w / 2, W * s);
    const y0 = clip(cy - h / 2, H * s);
    const x1 = clip(cx + w / 2, W * s);
    const y1 = clip(cy + h / 2, H * s);
    out.push({ imageId: input.imageId, categoryId: options.categoryIds ? options.categoryIds[c]! : c, bbox: [x0, y0, x1 - x0, y1 - y0], score });
  }
  return out;
}

/**
 * COCO-results JSON text of detections (`[{"image_id", "category_id", "bbox", "score"}]`):
 * an image id that is a canonical decimal integer is written as a number (as COCO ground
 * truth has it), any other as a string; `src/io/coco.ts` reads both back to the same id.
 */
export function cocoResultsJson(dets: readonly Detection[]): string {
  const rows = dets.map((d) => ({
    image_id: /^(0|[1-9]\d{0,14})$/.test(d.imageId) ? Number(d.imageId) : d.imageId,
    category_id: d.categoryId,
    bbox: [...d.bbox],
    score: d.score,
  }));
  return JSON.stringify(rows);
}
