/**
 * Composing one scene: digits placed by rejection sampling (or as a given recipe), light
 * clutter, and the ground truth read off the canvas (docs/studies.md §"Digit scenes").
 */
import type { Rng } from '../../core/rng.js';
import type { DigitSet } from '../mnist-split.js';
import { type Box, boxIou, type DigitPatch, digitPatch, SceneCanvas } from './canvas.js';
import { DIGIT_SIDE, type ResolvedSceneOptions } from './options.js';
import { areaResize } from './resample.js';

const DIGIT_PIXELS = DIGIT_SIDE * DIGIT_SIDE;

/** Where a digit goes: row `row` of the side's digits, resampled to `size` × `size`, top-left corner at (x, y). */
export interface DigitPlacement {
  readonly row: number;
  readonly size: number;
  readonly x: number;
  readonly y: number;
}

/**
 * A clutter fragment: the `size` × `size` window at (`srcX`, `srcY`) of row `row`'s 28 × 28
 * digit, multiplied by `intensity`, drawn with its top-left corner at (x, y). Never labelled.
 */
export interface ClutterPlacement {
  readonly row: number;
  /** The source digit's row in the built-in `mnist` data set. */
  readonly mnistId: number;
  readonly size: number;
  readonly srcX: number;
  readonly srcY: number;
  readonly x: number;
  readonly y: number;
  readonly intensity: number;
}

/** One digit of a scene, with its ground truth. */
export interface SceneObject {
  /** The digit, 0–9. */
  readonly digit: number;
  /** Its class in the label map and its COCO category id: digit + 1. */
  readonly categoryId: number;
  /** Tight box of the pixels labelled with it, [x, y, width, height]; x + width and y + height exclusive. */
  readonly bbox: Box;
  /** Pixels labelled with it (its visible mask). */
  readonly area: number;
  /** Pixels of its own mask before later digits covered some. */
  readonly pixels: number;
  /** Its row in the built-in `mnist` data set. */
  readonly mnistId: number;
  /** How it was placed (row within the side's digits, size, corner). */
  readonly placement: DigitPlacement;
}

/** One composed scene (image and label map, `height` × `width`, row-major). */
export interface ComposedScene {
  readonly image: Float32Array;
  readonly labels: Uint8Array;
  /** 0 background, i + 1 where the i-th object (of `objects`) is labelled. */
  readonly instances: Uint8Array;
  /** The digits in drawing order (later ones on top). */
  readonly objects: readonly SceneObject[];
  readonly clutter: readonly ClutterPlacement[];
}

/** The resampled patch of row `row` at `size`, with its mask at the label threshold. */
export function patchOf(digits: DigitSet, row: number, size: number, threshold: number): DigitPatch {
  return digitPatch(areaResize(digits.x, DIGIT_SIDE, size, row * DIGIT_PIXELS), size, threshold);
}

/** The values of a clutter fragment (size × size, row-major). */
export function clutterValues(digits: DigitSet, c: ClutterPlacement): Float32Array {
  const out = new Float32Array(c.size * c.size);
  const base = c.row * DIGIT_PIXELS;
  for (let r = 0; r < c.size; r++) {
    for (let k = 0; k < c.size; k++) out[r * c.size + k] = c.intensity * digits.x[base + (c.srcY + r) * DIGIT_SIDE + c.srcX + k]!;
  }
  return out;
}

/** Labels and boxes read off a canvas on which `placed` (with their patches) were drawn in order. */
function groundTruth(
  canvas: SceneCanvas,
  digits: DigitSet,
  placed: readonly { placement: DigitPlacement; patch: DigitPatch }[],
  clutter: readonly ClutterPlacement[],
): ComposedScene {
  const categories = placed.map((p) => digits.y[p.placement.row]! + 1);
  const objects = placed.map(
    (p, i): SceneObject => ({
      digit: digits.y[p.placement.row]!,
      categoryId: categories[i]!,
      bbox: canvas.boxOf(i),
      area: canvas.visible[i]!,
      pixels: p.patch.pixels,
      mnistId: digits.ids[p.placement.row]!,
      placement: p.placement,
    }),
  );
  return { image: canvas.image, labels: canvas.labelMap(categories), instances: canvas.instanceMap(), objects, clutter };
}

/**
 * A scene from a given recipe, without any check: the digits drawn in order (max-compositing,
 * the top-most digit's mask owns a pixel), then the clutter (max-compositing, owns nothing).
 * The generator composes through the same canvas; tests compare this with a NumPy reference.
 */
export function composeScene(
  digits: DigitSet,
  placements: readonly DigitPlacement[],
  clutter: readonly ClutterPlacement[],
  options: Pick<ResolvedSceneOptions, 'height' | 'width' | 'labelThreshold'>,
): ComposedScene {
  const canvas = new SceneCanvas(options.height, options.width);
  const placed = placements.map((placement) => {
    const patch = patchOf(digits, placement.row, placement.size, options.labelThreshold);
    canvas.drawDigit(patch, placement.x, placement.y);
    return { placement, patch };
  });
  for (const c of clutter) canvas.drawClutter(clutterValues(digits, c), c.size, c.size, c.x, c.y);
  return groundTruth(canvas, digits, placed, clutter);
}

/** Uniform integer in [r[0], r[1]]. */
export function intIn(rng: Rng, r: readonly [number, number]): number {
  return r[0] + rng.int(r[1] - r[0] + 1);
}

/**
 * Try to place row `row` on the canvas: up to `maxTries` attempts, each drawing a size
 * (uniform in `digitSize`) and a corner (uniform over the positions where the digit's square
 * fits), accepted when its mask has ≥ `minPixels` pixels, its box (tight box of its mask) has
 * IoU ≤ `maxIou` with every earlier digit's box (before occlusion), and every earlier digit
 * keeps ≥ `minVisible` of its own mask pixels. Draws the accepted digit; null when none is.
 */
function placeDigit(
  canvas: SceneCanvas,
  digits: DigitSet,
  row: number,
  placed: readonly { placement: DigitPlacement; patch: DigitPatch; box: Box }[],
  rng: Rng,
  o: ResolvedSceneOptions,
): { placement: DigitPlacement; patch: DigitPatch; box: Box } | null {
  for (let t = 0; t < o.maxTries; t++) {
    const size = intIn(rng, o.digitSize);
    const x = rng.int(o.width - size + 1);
    const y = rng.int(o.height - size + 1);
    const patch = patchOf(digits, row, size, o.labelThreshold);
    if (patch.pixels < o.minPixels) continue;
    const box: Box = [patch.box[0] + x, patch.box[1] + y, patch.box[2], patch.box[3]];
    if (placed.some((p) => boxIou(box, p.box) > o.maxIou)) continue;
    const lost = canvas.losses(patch, x, y);
    if (placed.some((p, i) => canvas.visible[i]! - lost[i]! < o.minVisible * p.patch.pixels)) continue;
    canvas.drawDigit(patch, x, y);
    return { placement: { row, size, x, y }, patch, box };
  }
  return null;
}

/**
 * A clutter fragment drawn at random: a source digit uniform over the side's digits, a size
 * uniform in `clutterSize`, its window centred (as far as the 28 × 28 frame allows) on a pixel
 * drawn uniformly among the source's pixels ≥ the label threshold (so it holds a piece of
 * stroke), an intensity uniform in `clutterIntensity`, a corner uniform over the canvas.
 */
function drawClutterFragment(digits: DigitSet, rng: Rng, o: ResolvedSceneOptions): ClutterPlacement {
  const row = rng.int(digits.n);
  const size = intIn(rng, o.clutterSize);
  const base = row * DIGIT_PIXELS;
  const ink: number[] = [];
  for (let k = 0; k < DIGIT_PIXELS; k++) if (digits.x[base + k]! >= o.labelThreshold) ink.push(k);
  const centre = ink.length > 0 ? ink[rng.int(ink.length)]! : (DIGIT_PIXELS >> 1) + (DIGIT_SIDE >> 1);
  const clamp = (v: number) => Math.min(Math.max(v, 0), DIGIT_SIDE - size);
  const srcX = clamp((centre % DIGIT_SIDE) - (size >> 1));
  const srcY = clamp(Math.floor(centre / DIGIT_SIDE) - (size >> 1));
  const intensity = o.clutterIntensity[0] + rng.next() * (o.clutterIntensity[1] - o.clutterIntensity[0]);
  const x = rng.int(o.width - size + 1);
  const y = rng.int(o.height - size + 1);
  return { row, mnistId: digits.ids[row]!, size, srcX, srcY, x, y, intensity };
}

/**
 * A random scene of the digits at `rows` (in drawing order): each placed by {@link placeDigit}
 * with `placeRng`, those that find no place left out; then the clutter (count uniform in
 * `clutterPerScene`) with `clutterRng`.
 */
export function randomScene(
  digits: DigitSet,
  rows: readonly number[],
  placeRng: Rng,
  clutterRng: Rng,
  o: ResolvedSceneOptions,
): ComposedScene & { readonly leftOut: readonly number[] } {
  const canvas = new SceneCanvas(o.height, o.width);
  const placed: { placement: DigitPlacement; patch: DigitPatch; box: Box }[] = [];
  const leftOut: number[] = [];
  for (const row of rows) {
    const p = placeDigit(canvas, digits, row, placed, placeRng, o);
    if (p) placed.push(p);
    else leftOut.push(digits.ids[row]!);
  }
  const fragments = intIn(clutterRng, o.clutterPerScene);
  const clutter: ClutterPlacement[] = [];
  for (let f = 0; f < fragments; f++) {
    const c = drawClutterFragment(digits, clutterRng, o);
    canvas.drawClutter(clutterValues(digits, c), c.size, c.size, c.x, c.y);
    clutter.push(c);
  }
  return { ...groundTruth(canvas, digits, placed, clutter), leftOut };
}
