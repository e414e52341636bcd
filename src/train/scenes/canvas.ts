/**
 * One scene's canvas while it is drawn: the image (max-compositing of everything drawn) and,
 * per pixel, which digit owns it (the top-most digit whose mask covers the pixel). The ground
 * truth — label map and boxes — is read off the owners, so it comes from the digits' own
 * pixels and nothing else (clutter never owns a pixel).
 */

/** A box in pixel units, COCO order [x, y, width, height]; x + width and y + height are exclusive. */
export type Box = readonly [x: number, y: number, width: number, height: number];

/** A digit resampled to its size: the s × s patch and its mask (patch ≥ the label threshold). */
export interface DigitPatch {
  readonly size: number;
  readonly values: Float32Array;
  readonly mask: Uint8Array;
  /** Pixels in the mask. */
  readonly pixels: number;
  /** Tight box of the mask within the patch (0, 0, 0, 0 when the mask is empty). */
  readonly box: Box;
}

/** A patch of `values` (s × s) with its mask at `threshold` (a pixel is in it when value ≥ threshold). */
export function digitPatch(values: Float32Array, size: number, threshold: number): DigitPatch {
  const mask = new Uint8Array(size * size);
  let pixels = 0;
  for (let k = 0; k < mask.length; k++) {
    if (values[k]! >= threshold) {
      mask[k] = 1;
      pixels++;
    }
  }
  return { size, values, mask, pixels, box: tightBox(mask, size, size, 1) };
}

/**
 * The tight box of the pixels of `map` (h × w, row-major) equal to `value`: x = the smallest
 * column, width = largest − smallest + 1 (x + width exclusive), likewise y and height;
 * [0, 0, 0, 0] when there is none.
 */
export function tightBox(map: ArrayLike<number>, h: number, w: number, value: number): Box {
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (map[y * w + x] !== value) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  return x1 < 0 ? [0, 0, 0, 0] : [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
}

/** Intersection over union of two boxes (areas as continuous rectangles); 0 when both are empty. */
export function boxIou(a: Box, b: Box): number {
  const iw = Math.max(0, Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]));
  const ih = Math.max(0, Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]));
  const inter = iw * ih;
  const union = a[2] * a[3] + b[2] * b[3] - inter;
  return union > 0 ? inter / union : 0;
}

/** The canvas of one scene: `height` × `width` pixels, row-major. */
export class SceneCanvas {
  readonly image: Float32Array;
  /** Index (in drawing order) of the digit owning each pixel, −1 for background. */
  readonly owner: Int16Array;
  /** Pixels each drawn digit still owns. */
  readonly visible: number[] = [];

  constructor(
    readonly height: number,
    readonly width: number,
  ) {
    this.image = new Float32Array(height * width);
    this.owner = new Int16Array(height * width).fill(-1);
  }

  /** How many pixels each drawn digit would lose to `patch` drawn at (x, y). */
  losses(patch: DigitPatch, x: number, y: number): number[] {
    const lost = new Array<number>(this.visible.length).fill(0);
    const s = patch.size;
    for (let r = 0; r < s; r++) {
      for (let c = 0; c < s; c++) {
        if (!patch.mask[r * s + c]) continue;
        const o = this.owner[(y + r) * this.width + x + c]!;
        if (o >= 0) lost[o]!++;
      }
    }
    return lost;
  }

  /**
   * Draw a digit on top: image = max(image, patch) over the patch's square; the pixels of its
   * mask become its own (taken from any digit below). Returns its index.
   */
  drawDigit(patch: DigitPatch, x: number, y: number): number {
    const index = this.visible.length;
    const s = patch.size;
    this.visible.push(0);
    for (let r = 0; r < s; r++) {
      for (let c = 0; c < s; c++) {
        const k = (y + r) * this.width + x + c;
        const v = patch.values[r * s + c]!;
        if (v > this.image[k]!) this.image[k] = v;
        if (!patch.mask[r * s + c]) continue;
        const o = this.owner[k]!;
        if (o >= 0) this.visible[o]!--;
        this.owner[k] = index;
        this.visible[index]!++;
      }
    }
    return index;
  }

  /** Draw clutter: image = max(image, values) over the h × w rectangle at (x, y); owners unchanged. */
  drawClutter(values: Float32Array, h: number, w: number, x: number, y: number): void {
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w; c++) {
        const k = (y + r) * this.width + x + c;
        const v = values[r * w + c]!;
        if (v > this.image[k]!) this.image[k] = v;
      }
    }
  }

  /** The label map: 0 for background, else the category of the owning digit (`categories[owner]`). */
  labelMap(categories: readonly number[]): Uint8Array {
    const labels = new Uint8Array(this.owner.length);
    for (let k = 0; k < labels.length; k++) {
      const o = this.owner[k]!;
      if (o >= 0) labels[k] = categories[o]!;
    }
    return labels;
  }

  /** The instance map: 0 for background, i + 1 for the i-th digit drawn. */
  instanceMap(): Uint8Array {
    const instances = new Uint8Array(this.owner.length);
    for (let k = 0; k < instances.length; k++) instances[k] = this.owner[k]! + 1;
    return instances;
  }

  /** Tight box of the pixels owned by digit `index`. */
  boxOf(index: number): Box {
    return tightBox(this.owner, this.height, this.width, index);
  }
}
