/**
 * The parameters of the digit-scene generator, their defaults and their checks
 * (docs/studies.md §"Digit scenes").
 */
import { errors, opt } from '../../core/errors.js';

/** An inclusive range [min, max]. */
export type Range = readonly [min: number, max: number];

/** What a scene looks like; every field has a default. */
export interface SceneOptions {
  /** Canvas height in pixels (default 48). */
  height?: number;
  /** Canvas width in pixels (default 48). */
  width?: number;
  /** Digits drawn per scene, uniform integer in [min, max] (default [1, 4]; 1 ≤ min ≤ max ≤ 10). */
  digitsPerScene?: Range;
  /** Side of a digit's 28 × 28 frame after resampling, uniform integer in [min, max] px (default [12, 28]). */
  digitSize?: Range;
  /** A digit is in the label map where its resampled value is ≥ this (default 0.5, in (0, 1]). */
  labelThreshold?: number;
  /** Largest IoU allowed between a new digit's box and an earlier one's (both before occlusion; default 0.1). */
  maxIou?: number;
  /** Fraction of its own mask pixels every digit keeps visible after later digits are drawn (default 0.8). */
  minVisible?: number;
  /** Fewest mask pixels a resampled digit may have (default 8). */
  minPixels?: number;
  /** Placement attempts per digit before it is left out of its scene (default 100). */
  maxTries?: number;
  /** Clutter fragments per scene, uniform integer in [min, max] (default [0, 3]). */
  clutterPerScene?: Range;
  /** Side of a square clutter fragment in px, uniform integer in [min, max] (default [4, 8], ≤ 28). */
  clutterSize?: Range;
  /** Factor a fragment's values are multiplied by, uniform in [min, max] (default [0.15, 0.35], within (0, 1]). */
  clutterIntensity?: Range;
  /**
   * May a digit appear in more than one scene of the same side? Default false: each digit at
   * most once per side (the request must not need more digits than the side has). With true,
   * digits are used in rounds: each round a fresh permutation of the side's digits, so no
   * digit is used twice before every digit has been used once.
   */
  reuseDigits?: boolean;
}

/** {@link SceneOptions} with every default filled in. */
export type ResolvedSceneOptions = { readonly [K in keyof SceneOptions]-?: Exclude<SceneOptions[K], undefined> };

export const SCENE_DEFAULTS: ResolvedSceneOptions = {
  height: 48,
  width: 48,
  digitsPerScene: [1, 4],
  digitSize: [12, 28],
  labelThreshold: 0.5,
  maxIou: 0.1,
  minVisible: 0.8,
  minPixels: 8,
  maxTries: 100,
  clutterPerScene: [0, 3],
  clutterSize: [4, 8],
  clutterIntensity: [0.15, 0.35],
  reuseDigits: false,
};

/** Largest canvas side (a scene set of 10 000 512 × 512 scenes is already 10 GB of float32). */
export const MAX_CANVAS = 1024;
/** Most digits a scene may ask for. */
export const MAX_DIGITS_PER_SCENE = 10;
/** Side of an MNIST digit. */
export const DIGIT_SIDE = 28;

function isRange(r: unknown): r is Range {
  return Array.isArray(r) && r.length === 2 && r.every((v) => typeof v === 'number' && Number.isFinite(v)) && r[0] <= r[1];
}

function checkIntRange(option: string, r: unknown, lo: number, hi: number, what: string): Range {
  if (!isRange(r) || !Number.isInteger(r[0]) || !Number.isInteger(r[1]) || r[0] < lo || r[1] > hi) {
    throw errors.badOption(option, r, `[min, max], integers with ${lo} ≤ min ≤ max ≤ ${hi} (${what})`);
  }
  return r;
}

function checkFraction(option: string, v: unknown, lo: number, hi: number, openLow: boolean): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || (openLow ? v <= lo : v < lo) || v > hi) {
    throw errors.badOption(option, v, `a number in ${openLow ? '(' : '['}${lo}, ${hi}]`);
  }
  return v;
}

function checkInt(option: string, v: unknown, lo: number, hi: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw errors.badOption(option, v, `an integer from ${lo} to ${hi} (${what})`);
  }
  return v;
}

/**
 * The options with defaults filled in, every one checked.
 * @throws KrsError BAD_OPTION naming the option: a canvas side that is not an integer in
 *   [1, 1024] or is smaller than the largest digit size ("canvas too small for a digit"),
 *   digits per scene outside 1…10, digit sizes outside 1…28, a threshold, IoU or visible
 *   fraction outside its interval, clutter sizes outside 1…28 or intensities outside (0, 1].
 */
export function resolveSceneOptions(options: SceneOptions = {}): ResolvedSceneOptions {
  const o = { ...SCENE_DEFAULTS, ...definedOnly(options) };
  const digitSize = checkIntRange('digitSize', o.digitSize, 1, DIGIT_SIDE, 'pixels; a digit is at most its 28 × 28 frame');
  for (const side of ['height', 'width'] as const) {
    checkInt(side, o[side], 1, MAX_CANVAS, 'pixels');
    if (o[side] < digitSize[1]) {
      throw errors.badOption(
        side,
        o[side],
        `at least the largest digit size ${digitSize[1]} (the canvas is too small for a digit; lower ${opt('digitSize')} or enlarge the canvas)`,
      );
    }
  }
  const clutterSize = checkIntRange('clutterSize', o.clutterSize, 1, DIGIT_SIDE, 'pixels, cut from a 28 × 28 digit');
  if (clutterSize[1] > Math.min(o.height, o.width)) {
    throw errors.badOption('clutterSize', o.clutterSize, `a largest size within the canvas (${o.height} × ${o.width})`);
  }
  const intensity = o.clutterIntensity;
  if (!isRange(intensity) || intensity[0] <= 0 || intensity[1] > 1) {
    throw errors.badOption('clutterIntensity', intensity, '[min, max] with 0 < min ≤ max ≤ 1');
  }
  if (typeof o.reuseDigits !== 'boolean') throw errors.badOption('reuseDigits', o.reuseDigits, 'true or false');
  return {
    ...o,
    digitsPerScene: checkIntRange('digitsPerScene', o.digitsPerScene, 1, MAX_DIGITS_PER_SCENE, 'digits in one scene'),
    digitSize,
    labelThreshold: checkFraction('labelThreshold', o.labelThreshold, 0, 1, true),
    maxIou: checkFraction('maxIou', o.maxIou, 0, 1, false),
    minVisible: checkFraction('minVisible', o.minVisible, 0, 1, true),
    minPixels: checkInt('minPixels', o.minPixels, 1, DIGIT_SIDE * DIGIT_SIDE, 'mask pixels of a resampled digit'),
    maxTries: checkInt('maxTries', o.maxTries, 1, 1_000_000, 'attempts to place one digit'),
    clutterPerScene: checkIntRange('clutterPerScene', o.clutterPerScene, 0, 1000, 'fragments in one scene'),
    clutterSize,
  };
}

/** The fields of `o` that are not undefined (so `{ height: undefined }` keeps the default). */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
