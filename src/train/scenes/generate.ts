/**
 * Scene sets: many seeded scenes from one side of the MNIST split, in arrays ready for TF.js
 * (docs/studies.md §"Digit scenes").
 */
import { errors, opt } from '../../core/errors.js';
import { createRng } from '../../core/rng.js';
import { MNIST_SIZE } from '../../runtime/data/mnist.js';
import { type DigitSet, type MnistSplit, mnistSplit } from '../mnist-split.js';
import { type ClutterPlacement, intIn, randomScene, type SceneObject } from './compose.js';
import { type ResolvedSceneOptions, resolveSceneOptions, type SceneOptions } from './options.js';

/** Which side of the split a scene set draws its digits from. */
export type SceneSide = 'train' | 'test';

/** What one scene holds besides its pixels. */
export interface Scene {
  /** Its digits in drawing order (later on top), with boxes and areas. */
  readonly objects: readonly SceneObject[];
  /** Its clutter fragments (never labelled). */
  readonly clutter: readonly ClutterPlacement[];
  /** `mnist` rows of digits drawn for the scene that found no place (see `maxTries`). */
  readonly leftOut: readonly number[];
}

/** `n` scenes of one side. Pixel arrays are row-major [n, height, width] (NHWC with C = 1). */
export interface SceneSet {
  readonly side: SceneSide;
  readonly seed: number;
  readonly n: number;
  readonly height: number;
  readonly width: number;
  /** [n, height, width], values in [0, 1]. */
  readonly images: Float32Array;
  /** [n, height, width]: 0 background, d + 1 for digit d (11 classes). */
  readonly labels: Uint8Array;
  /** [n, height, width]: 0 background, k + 1 where the scene's k-th object is labelled (instance segmentation). */
  readonly instances: Uint8Array;
  readonly scenes: readonly Scene[];
  readonly options: ResolvedSceneOptions;
}

/** Most pixels one scene set may hold (2^28: 1 GiB of float32 images). */
export const MAX_SET_PIXELS = 2 ** 28;

/** The random streams of a side: their names under the seed (docs/studies.md §"Digit scenes"). */
export const sceneStreams = (side: SceneSide) => ({
  counts: `scenes/${side}/counts`,
  digits: (round: number) => `scenes/${side}/digits/${round}`,
  place: (scene: number) => `scenes/${side}/${scene}/place`,
  clutter: (scene: number) => `scenes/${side}/${scene}/clutter`,
});

/**
 * `count` scenes from the digits of one side. Scene i draws its digit count from the stream
 * `counts` (the i-th draw), takes that many digits next in the side's digit order (a seeded
 * permutation of the side, stream `digits/0`; with `reuseDigits`, further rounds from
 * `digits/1`, …), places them with its own stream `i/place` and draws its clutter with
 * `i/clutter`. So a smaller `count` under the same seed gives a prefix of the same scenes.
 * @param countOption the option named when `count` is refused
 * @throws KrsError BAD_OPTION for bad options (see `resolveSceneOptions`), a `count` that is
 *   not a non-negative integer or passes {@link MAX_SET_PIXELS}, or scenes that need more
 *   digits than the side holds without `reuseDigits`.
 */
export function generateScenes(digits: DigitSet, side: SceneSide, count: number, seed: number, options: SceneOptions = {}, countOption = 'count'): SceneSet {
  const o = resolveSceneOptions(options);
  if (!Number.isSafeInteger(seed)) throw errors.badOption('seed', seed, 'an integer');
  const pixels = o.height * o.width;
  if (!Number.isInteger(count) || count < 0 || count * pixels > MAX_SET_PIXELS) {
    throw errors.badOption(
      countOption,
      count,
      `an integer from 0 to ${Math.floor(MAX_SET_PIXELS / pixels)} (at most 2^28 pixels of ${o.height} × ${o.width} scenes)`,
    );
  }
  const streams = sceneStreams(side);
  const countRng = createRng(seed, streams.counts);
  const counts = Array.from({ length: count }, () => intIn(countRng, o.digitsPerScene));
  const needed = counts.reduce((a, b) => a + b, 0);
  if (needed > digits.n && !o.reuseDigits) {
    throw errors.badOption(
      countOption,
      count,
      `at most as many scenes as the ${digits.n} ${side === 'train' ? 'training' : 'held-out'} digits allow, each digit used once: these scenes draw ${needed} digits (${o.digitsPerScene[0]}–${o.digitsPerScene[1]} a scene); ask for fewer scenes or fewer ${opt('digitsPerScene')}, more digits on this side, or set ${opt('reuseDigits')}`,
    );
  }
  const order = digitOrder(digits.n, seed, streams.digits);
  const images = new Float32Array(count * pixels);
  const labels = new Uint8Array(count * pixels);
  const instances = new Uint8Array(count * pixels);
  const scenes: Scene[] = [];
  let next = 0;
  for (let i = 0; i < count; i++) {
    const rows = Array.from({ length: counts[i]! }, () => order(next++));
    const s = randomScene(digits, rows, createRng(seed, streams.place(i)), createRng(seed, streams.clutter(i)), o);
    images.set(s.image, i * pixels);
    labels.set(s.labels, i * pixels);
    instances.set(s.instances, i * pixels);
    scenes.push({ objects: s.objects, clutter: s.clutter, leftOut: s.leftOut });
  }
  return { side, seed, n: count, height: o.height, width: o.width, images, labels, instances, scenes, options: o };
}

/** Position j of the side's digit order: round ⌊j / n⌋'s permutation (stream `digits/round`), entry j mod n. */
function digitOrder(n: number, seed: number, stream: (round: number) => string): (j: number) => number {
  const rounds: Int32Array[] = [];
  return (j) => {
    const round = Math.floor(j / n);
    while (rounds.length <= round) rounds.push(createRng(seed, stream(rounds.length)).permutation(n));
    return rounds[round]![j % n]!;
  };
}

/** Every `mnist` row a scene set drew on: its digits (placed or left out) and its clutter's sources. */
export function mnistIdsUsed(set: SceneSet): Set<number> {
  const ids = new Set<number>();
  for (const s of set.scenes) {
    for (const o of s.objects) ids.add(o.mnistId);
    for (const id of s.leftOut) ids.add(id);
    for (const c of s.clutter) ids.add(c.mnistId);
  }
  return ids;
}

/** Options of {@link digitScenes}: the seed, how many scenes of each side, the split's sizes, and how scenes look. */
export interface DigitScenesOptions extends SceneOptions {
  seed: number;
  /** Scenes drawn from the training digits. */
  trainScenes: number;
  /** Scenes drawn from the held-out digits. */
  testScenes: number;
  /** Training digits of the split (default 8 000). */
  trainDigits?: number;
  /** Held-out digits of the split (default 2 000). */
  testDigits?: number;
}

/**
 * Training and held-out scenes under one seed: the MNIST split `mnistSplit(seed, trainDigits,
 * testDigits)`, training scenes from its training digits only and held-out scenes from its
 * held-out digits only (objects and clutter alike), so no held-out scene holds a digit any
 * training scene could have seen.
 * @throws KrsError BAD_OPTION for split sizes that are not positive integers summing to at most
 *   10 000 (`trainDigits`, `testDigits`), and as {@link generateScenes} (`trainScenes`,
 *   `testScenes`, the scene options).
 * @example digitScenes({ seed: 1, trainScenes: 2000, testScenes: 500 }).test.images
 */
export function digitScenes(options: DigitScenesOptions): { train: SceneSet; test: SceneSet; split: MnistSplit } {
  const { seed, trainScenes, testScenes, trainDigits = 8000, testDigits = 2000, ...look } = options;
  resolveSceneOptions(look);
  if (!Number.isSafeInteger(seed)) throw errors.badOption('seed', seed, 'an integer');
  for (const [option, v] of [
    ['trainDigits', trainDigits],
    ['testDigits', testDigits],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || trainDigits + testDigits > MNIST_SIZE) {
      throw errors.badOption(
        option,
        v,
        `a positive integer, with ${opt('trainDigits')} + ${opt('testDigits')} (${trainDigits} + ${testDigits}) at most the ${MNIST_SIZE} MNIST digits`,
      );
    }
  }
  const split = mnistSplit(seed, trainDigits, testDigits);
  return {
    train: generateScenes(split.train, 'train', trainScenes, seed, look, 'trainScenes'),
    test: generateScenes(split.test, 'test', testScenes, seed, look, 'testScenes'),
    split,
  };
}
