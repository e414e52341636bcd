/**
 * Training targets of the CenterNet-style detector, built from ground-truth boxes in plain
 * TypeScript (Float32Arrays in the tensors' row-major order, so a batch is one copy into
 * TensorFlow.js), and the imitation mask of the feature-imitation KD method.
 *
 * For an object with box [x, y, w, h] in pixels and stride s (4), in grid units:
 *
 *     centre c = ((x + w/2) / s, (y + h/2) / s),  cell = ⌊c⌋ (clamped to the grid),
 *     offset = c − cell ∈ [0, 1)²,  size = (w / s, h / s)
 *
 * Heatmap of its class: a Gaussian exp(−((i − cellx)² + (j − celly)²) / (2σ²)) over the cells
 * with |i − cellx| ≤ r and |j − celly| ≤ r, σ = (2r + 1)/6, combined with other objects of the
 * class by element-wise max; the centre cell holds exactly 1.
 *
 * Radius rule (ours, simpler than CenterNet's three cases and free of its sign slip): r is the
 * largest whole number of cells by which the centre may move diagonally, (r, r), with the
 * shifted box keeping IoU ≥ o = 0.7 with the true one. The shifted box's overlap is
 * (w − r)(h − r) of a union 2wh − (w − r)(h − r), so IoU ≥ o ⇔ r² − (w + h) r + wh(1 − o)/(1 + o) ≥ 0,
 * whose smaller root is r* = ((w + h) − √((w + h)² − 4wh(1 − o)/(1 + o))) / 2; r = max(0, ⌊r*⌋).
 *
 * Objects whose centres fall in the same cell share the size/offset target cell: the later
 * object in the list overwrites the earlier one's size and offset (both heatmaps keep their peak).
 */
import { errors } from '../../core/errors.js';
import { DET_CLASSES, DET_STRIDE } from './detector.js';

/** A ground-truth object: its class index (0…9, the digit) and its box [x, y, w, h] in pixels. */
export interface BoxObject {
  readonly classIndex: number;
  readonly bbox: readonly [number, number, number, number];
}

/** The grid of one image: H × W cells of `stride` pixels. */
export interface Grid {
  readonly height: number;
  readonly width: number;
  readonly stride: number;
}

/** The grid of an image of `imageHeight` × `imageWidth` pixels at stride 4. */
export function gridOf(imageHeight: number, imageWidth: number, stride = DET_STRIDE): Grid {
  if (imageHeight % stride !== 0 || imageWidth % stride !== 0) {
    throw errors.shapeMismatch('detector image', `height and width multiples of ${stride}`, `${imageHeight}×${imageWidth}`);
  }
  return { height: imageHeight / stride, width: imageWidth / stride, stride };
}

/** Minimum IoU a centre shifted by the radius keeps (CenterNet's 0.7). */
export const RADIUS_MIN_IOU = 0.7;

/** The Gaussian radius in cells of a box of w × h cells (see the module comment). */
export function gaussianRadius(w: number, h: number, minIou = RADIUS_MIN_IOU): number {
  const s = w + h;
  const disc = s * s - (4 * w * h * (1 - minIou)) / (1 + minIou);
  const r = (s - Math.sqrt(Math.max(0, disc))) / 2;
  return Math.max(0, Math.floor(r));
}

/** Dense targets of a batch, row-major: heatmap [n, H, W, 10], size and offset [n, H, W, 2], centre mask [n, H, W, 1]. */
export interface DetTargets {
  readonly n: number;
  readonly grid: Grid;
  readonly heatmap: Float32Array;
  readonly size: Float32Array;
  readonly offset: Float32Array;
  /** 1 at each object's centre cell, else 0. */
  readonly centreMask: Float32Array;
}

function checkObject(o: BoxObject, image: number, k: number): void {
  const where = `object ${k} of image ${image}`;
  if (!Number.isInteger(o.classIndex) || o.classIndex < 0 || o.classIndex >= DET_CLASSES) {
    throw errors.badValue(`class index of ${where}`, o.classIndex, `an integer in [0, ${DET_CLASSES})`);
  }
  const b = o.bbox;
  if (!Array.isArray(b) || b.length !== 4 || !b.every(Number.isFinite) || b[2] < 0 || b[3] < 0) {
    throw errors.badValue(`bbox of ${where}`, b, 'four finite numbers [x, y, w, h] with w, h ≥ 0');
  }
}

/** The centre cell and sub-cell offset of a box, in grid units (cell clamped to the grid). */
export function centreCell(bbox: readonly [number, number, number, number], grid: Grid): { cx: number; cy: number; dx: number; dy: number } {
  const fx = (bbox[0] + bbox[2] / 2) / grid.stride;
  const fy = (bbox[1] + bbox[3] / 2) / grid.stride;
  const cx = Math.min(grid.width - 1, Math.max(0, Math.floor(fx)));
  const cy = Math.min(grid.height - 1, Math.max(0, Math.floor(fy)));
  return { cx, cy, dx: fx - cx, dy: fy - cy };
}

/** Draw one object's Gaussian into its class's heatmap plane of image `img` (element-wise max). */
function drawGaussian(heatmap: Float32Array, img: number, grid: Grid, cls: number, cx: number, cy: number, r: number): void {
  const sigma = (2 * r + 1) / 6;
  const plane = img * grid.height * grid.width;
  for (let y = Math.max(0, cy - r); y <= Math.min(grid.height - 1, cy + r); y++) {
    for (let x = Math.max(0, cx - r); x <= Math.min(grid.width - 1, cx + r); x++) {
      const g = x === cx && y === cy ? 1 : Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sigma * sigma));
      const at = (plane + y * grid.width + x) * DET_CLASSES + cls;
      if (g > heatmap[at]!) heatmap[at] = g;
    }
  }
}

/** How the heatmap's Gaussians are sized. */
export interface TargetOptions {
  /** IoU o of the radius rule (above). Default 0.7 (CenterNet's). */
  readonly radiusIou?: number;
  /** Smallest radius in cells: r = max(minRadius, ⌊r*⌋). Default 0 (CenterNet's). */
  readonly minRadius?: number;
}

function checkTargetOptions(o: TargetOptions): void {
  if (o.radiusIou !== undefined && !(o.radiusIou > 0 && o.radiusIou < 1)) throw errors.badOption('radiusIou', o.radiusIou, 'an IoU in (0, 1)');
  if (o.minRadius !== undefined && !(Number.isInteger(o.minRadius) && o.minRadius >= 0 && o.minRadius <= 16)) {
    throw errors.badOption('minRadius', o.minRadius, 'an integer from 0 to 16 (cells)');
  }
}

/** Targets for a batch of images (one object list per image); `options` sizes the Gaussians. */
export function detectionTargets(objects: readonly (readonly BoxObject[])[], grid: Grid, options: TargetOptions = {}): DetTargets {
  checkTargetOptions(options);
  const minRadius = options.minRadius ?? 0;
  const n = objects.length;
  const cells = grid.height * grid.width;
  const heatmap = new Float32Array(n * cells * DET_CLASSES);
  const size = new Float32Array(n * cells * 2);
  const offset = new Float32Array(n * cells * 2);
  const centreMask = new Float32Array(n * cells);
  objects.forEach((list, img) => {
    list.forEach((o, k) => {
      checkObject(o, img, k);
      const w = o.bbox[2] / grid.stride;
      const h = o.bbox[3] / grid.stride;
      const { cx, cy, dx, dy } = centreCell(o.bbox, grid);
      drawGaussian(heatmap, img, grid, o.classIndex, cx, cy, Math.max(minRadius, gaussianRadius(w, h, options.radiusIou)));
      const cell = img * cells + cy * grid.width + cx;
      size[2 * cell] = w;
      size[2 * cell + 1] = h;
      offset[2 * cell] = dx;
      offset[2 * cell + 1] = dy;
      centreMask[cell] = 1;
    });
  });
  return { n, grid, heatmap, size, offset, centreMask };
}

/** How the imitation mask picks the cells near objects. */
export type ImitationMaskMode = 'box' | 'gaussian';

/**
 * The imitation mask I [n, H, W, 1] of fine-grained feature imitation (Wang et al. 2019), on
 * the detector's output grid:
 *
 * * `box` (the default): 1 at every cell whose centre ((x + ½)·s, (y + ½)·s) lies inside a
 *   ground-truth box (x₀ ≤ px < x₀ + w, y₀ ≤ py < y₀ + h), and at every object's centre cell
 *   (so a box smaller than a cell still counts), else 0;
 * * `gaussian`: the soft mask max over classes of the target heatmap (1 at centres, the
 *   Gaussian neighbourhood of radius r around them, 0 elsewhere).
 *
 * The paper thresholds anchor IoUs instead; a CenterNet grid has no anchors, so the cells
 * covered by objects play their part.
 */
export function imitationMask(objects: readonly (readonly BoxObject[])[], grid: Grid, mode: ImitationMaskMode = 'box'): Float32Array {
  const n = objects.length;
  const cells = grid.height * grid.width;
  const mask = new Float32Array(n * cells);
  if (mode === 'gaussian') {
    const { heatmap } = detectionTargets(objects, grid);
    for (let c = 0; c < n * cells; c++) {
      let m = 0;
      for (let k = 0; k < DET_CLASSES; k++) m = Math.max(m, heatmap[c * DET_CLASSES + k]!);
      mask[c] = m;
    }
    return mask;
  }
  if (mode !== 'box') throw errors.badOption('imitationMask', mode, "'box' or 'gaussian'");
  objects.forEach((list, img) => {
    list.forEach((o, k) => {
      checkObject(o, img, k);
      const [x0, y0, w, h] = o.bbox;
      for (let y = 0; y < grid.height; y++) {
        const py = (y + 0.5) * grid.stride;
        if (py < y0 || py >= y0 + h) continue;
        for (let x = 0; x < grid.width; x++) {
          const px = (x + 0.5) * grid.stride;
          if (px >= x0 && px < x0 + w) mask[img * cells + y * grid.width + x] = 1;
        }
      }
      const { cx, cy } = centreCell(o.bbox, grid);
      mask[img * cells + cy * grid.width + cx] = 1;
    });
  });
  return mask;
}
