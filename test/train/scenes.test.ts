/**
 * The digit-scene generator (docs/studies.md §"Digit scenes"): resampling and composition
 * against a NumPy reference (test/fixtures/train/make_scenes_reference.py), then the
 * generator's guarantees — determinism, prefixes, the split, ground truth read off the pixels,
 * clutter never labelled, the COCO ground truth — and its errors.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCocoResults } from '../../src/io/coco.js';
import { loadMnist } from '../../src/runtime/data/mnist.js';
import { type DigitSet, type MnistSplit, mnistSplit } from '../../src/train/mnist-split.js';
import { patchOf } from '../../src/train/scenes/compose.js';
import {
  areaResize,
  areaWeights,
  boxIou,
  cocoGroundTruth,
  composeScene,
  digitScenes,
  generateScenes,
  mnistIdsUsed,
  type SceneSet,
  scenesSheetSvg,
  tightBox,
  writeCocoGroundTruth,
  writeScenesPng,
} from '../../src/train/scenes.js';
import { expectKrsError, loadJson } from '../helpers/fixtures.js';

interface Reference {
  resample: { row: number; size: number; values: number[] }[];
  scene: {
    height: number;
    width: number;
    threshold: number;
    placements: { row: number; size: number; x: number; y: number }[];
    clutter: { row: number; size: number; srcX: number; srcY: number; x: number; y: number; intensity: number }[];
    image: number[];
    labels: number[];
    objects: { mnistId: number; digit: number; categoryId: number; bbox: number[]; area: number; pixels: number }[];
  };
}
const ref = loadJson<Reference>('train/scenes-reference.json');

/** The whole built-in mnist data set as one DigitSet (row = mnist id), for recipes that name mnist rows. */
function allDigits(): DigitSet {
  const { images, labels } = loadMnist();
  return { x: images, y: labels, ids: Int32Array.from({ length: labels.length }, (_, i) => i), n: labels.length };
}

function expectAllClose(actual: ArrayLike<number>, expected: readonly number[], tol: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let k = 0; k < expected.length; k++) worst = Math.max(worst, Math.abs(actual[k]! - expected[k]!));
  expect(worst).toBeLessThanOrEqual(tol);
}

/** Byte-for-byte equality of two typed arrays (much faster than toEqual on large arrays). */
function same(a: Float32Array | Uint8Array, b: Float32Array | Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

describe('area resampling (against NumPy)', () => {
  it('matches the reference integral of the piecewise-constant digit, shrinking and enlarging', () => {
    const { images } = loadMnist();
    for (const r of ref.resample) expectAllClose(areaResize(images, 28, r.size, r.row * 784), r.values, 1e-6);
  });

  it('has rows of weights summing to 1 and is the identity at the same size', () => {
    for (const [n, s] of [
      [28, 12],
      [28, 17],
      [28, 40],
      [5, 3],
    ] as const) {
      const a = areaWeights(n, s);
      for (let i = 0; i < s; i++) {
        let sum = 0;
        for (let k = 0; k < n; k++) sum += a[i * n + k]!;
        expect(sum).toBeCloseTo(1, 12);
      }
    }
    const { images } = loadMnist();
    expect(areaResize(images, 28, 28, 5 * 784)).toEqual(images.subarray(5 * 784, 6 * 784));
  });
});

describe('composeScene (against NumPy)', () => {
  it('composites a fixed recipe: image, label map, boxes and areas as the reference, occlusion and clutter included', () => {
    const s = ref.scene;
    const scene = composeScene(
      allDigits(),
      s.placements,
      s.clutter.map((c) => ({ ...c, mnistId: c.row })),
      {
        height: s.height,
        width: s.width,
        labelThreshold: s.threshold,
      },
    );
    expectAllClose(scene.image, s.image, 1e-6);
    expect(Array.from(scene.labels)).toEqual(s.labels);
    expect(
      scene.objects.map((o) => ({ mnistId: o.mnistId, digit: o.digit, categoryId: o.categoryId, bbox: [...o.bbox], area: o.area, pixels: o.pixels })),
    ).toEqual(s.objects);
    // The first digit lost pixels to a later one: the top-most digit wins.
    expect(s.objects[0]!.area).toBeLessThan(s.objects[0]!.pixels);
  });

  it('never labels clutter: a scene of clutter only has ink but no label', () => {
    const s = ref.scene;
    const scene = composeScene(
      allDigits(),
      [],
      s.clutter.map((c) => ({ ...c, mnistId: c.row })),
      { height: s.height, width: s.width, labelThreshold: 0.05 },
    );
    expect(scene.image.some((v) => v > 0)).toBe(true);
    expect(scene.labels.every((v) => v === 0)).toBe(true);
    expect(scene.objects).toEqual([]);
  });
});

/** Checks every scene of `set` against the ground-truth rules of docs/studies.md §"Digit scenes". */
function checkGroundTruth(set: SceneSet): void {
  const { height: h, width: w } = set;
  const px = h * w;
  expect(set.images.length).toBe(set.n * px);
  expect(set.labels.length).toBe(set.n * px);
  expect(set.instances.length).toBe(set.n * px);
  const [minDigits, maxDigits] = set.options.digitsPerScene;
  set.scenes.forEach((scene, i) => {
    const labels = set.labels.subarray(i * px, (i + 1) * px);
    const instances = set.instances.subarray(i * px, (i + 1) * px);
    const image = set.images.subarray(i * px, (i + 1) * px);
    expect(scene.objects.length).toBeGreaterThanOrEqual(1);
    expect(scene.objects.length + scene.leftOut.length).toBeGreaterThanOrEqual(minDigits);
    expect(scene.objects.length + scene.leftOut.length).toBeLessThanOrEqual(maxDigits);
    // Per pixel (counted, not one expect a pixel): label = category of the instance there; a
    // labelled pixel holds ink ≥ the threshold; every value in [0, 1].
    const bad: string[] = [];
    for (let k = 0; k < px; k++) {
      const inst = instances[k]!;
      const want = inst === 0 ? 0 : scene.objects[inst - 1]?.categoryId;
      if (labels[k] !== want) bad.push(`scene ${i} pixel ${k}: label ${labels[k]}, instance ${inst}`);
      if (inst > 0 && image[k]! < set.options.labelThreshold) bad.push(`scene ${i} pixel ${k}: labelled with ink ${image[k]}`);
      if (!(image[k]! >= 0 && image[k]! <= 1)) bad.push(`scene ${i} pixel ${k}: value ${image[k]}`);
    }
    expect(bad.slice(0, 5)).toEqual([]);
    scene.objects.forEach((o, j) => {
      expect(o.categoryId).toBe(o.digit + 1);
      expect(o.bbox).toEqual(tightBox(instances, h, w, j + 1));
      let area = 0;
      for (let k = 0; k < px; k++) if (instances[k] === j + 1) area++;
      expect(o.area).toBe(area);
      expect(o.area).toBeGreaterThanOrEqual(set.options.minVisible * o.pixels);
      expect(o.pixels).toBeGreaterThanOrEqual(set.options.minPixels);
      const { size, x, y } = o.placement;
      expect(size).toBeGreaterThanOrEqual(set.options.digitSize[0]);
      expect(size).toBeLessThanOrEqual(set.options.digitSize[1]);
      expect(x >= 0 && y >= 0 && x + size <= w && y + size <= h).toBe(true);
      // The box lies inside the digit's square.
      expect(o.bbox[0] >= x && o.bbox[1] >= y && o.bbox[0] + o.bbox[2] <= x + size && o.bbox[1] + o.bbox[3] <= y + size).toBe(true);
    });
    for (const c of scene.clutter) {
      expect(c.intensity).toBeGreaterThanOrEqual(set.options.clutterIntensity[0]);
      expect(c.intensity).toBeLessThanOrEqual(set.options.clutterIntensity[1]);
      expect(c.x + c.size <= w && c.y + c.size <= h).toBe(true);
    }
  });
}

describe('digitScenes', () => {
  let a: ReturnType<typeof digitScenes>;
  beforeAll(() => {
    a = digitScenes({ seed: 7, trainScenes: 120, testScenes: 60 });
  });

  it('gives the scene counts asked for, 48 × 48 by default, with labels 0…10 and 1–4 digits a scene', () => {
    expect([a.train.n, a.test.n]).toEqual([120, 60]);
    expect([a.train.height, a.train.width]).toEqual([48, 48]);
    for (const set of [a.train, a.test]) {
      expect(set.labels.every((v) => v <= 10)).toBe(true);
      checkGroundTruth(set);
    }
    const perCount = [1, 2, 3, 4].map((k) => a.train.scenes.filter((s) => s.objects.length === k).length);
    expect(perCount.every((c) => c > 0)).toBe(true);
    expect(a.train.scenes.some((s) => s.clutter.length > 0)).toBe(true);
  });

  it('draws training scenes only from training digits and held-out scenes only from held-out digits, each digit once per side', () => {
    const train = new Set(a.split.train.ids);
    const test = new Set(a.split.test.ids);
    const usedTrain = mnistIdsUsed(a.train);
    const usedTest = mnistIdsUsed(a.test);
    for (const id of usedTrain) expect(train.has(id)).toBe(true);
    for (const id of usedTest) expect(test.has(id)).toBe(true);
    expect([...usedTest].some((id) => usedTrain.has(id))).toBe(false);
    for (const set of [a.train, a.test]) {
      const objects = set.scenes.flatMap((s) => [...s.objects.map((o) => o.mnistId), ...s.leftOut]);
      expect(new Set(objects).size).toBe(objects.length);
    }
    // The digit of an object is the mnist label of its row.
    const { labels } = loadMnist();
    for (const o of a.test.scenes.flatMap((s) => s.objects)) expect(o.digit).toBe(labels[o.mnistId]);
  });

  it('is fixed by the seed; another seed gives other scenes', () => {
    const b = digitScenes({ seed: 7, trainScenes: 120, testScenes: 60 });
    expect(same(b.train.images, a.train.images)).toBe(true);
    expect(same(b.test.labels, a.test.labels)).toBe(true);
    expect(same(b.test.instances, a.test.instances)).toBe(true);
    expect(JSON.stringify(b.test.scenes)).toBe(JSON.stringify(a.test.scenes));
    const c = digitScenes({ seed: 8, trainScenes: 120, testScenes: 60 });
    expect(same(c.train.images, a.train.images)).toBe(false);
    expect(JSON.stringify(c.test.scenes)).not.toBe(JSON.stringify(a.test.scenes));
  });
});

describe('generateScenes', () => {
  let split: MnistSplit;
  beforeAll(() => {
    split = mnistSplit(3, 600, 200);
  });

  it('takes a prefix: fewer scenes under the same seed are the first scenes of more', () => {
    const small = generateScenes(split.test, 'test', 15, 3);
    const large = generateScenes(split.test, 'test', 40, 3);
    const px = 48 * 48;
    expect(same(small.images, large.images.subarray(0, 15 * px))).toBe(true);
    expect(same(small.labels, large.labels.subarray(0, 15 * px))).toBe(true);
    expect(JSON.stringify(small.scenes)).toBe(JSON.stringify(large.scenes.slice(0, 15)));
  });

  it('respects a non-square canvas and other ranges', () => {
    const set = generateScenes(split.train, 'train', 40, 3, { height: 32, width: 64, digitSize: [10, 20], digitsPerScene: [2, 3], clutterPerScene: [2, 2] });
    expect([set.height, set.width, set.images.length]).toEqual([32, 64, 40 * 32 * 64]);
    checkGroundTruth(set);
    expect(set.scenes.every((s) => s.clutter.length === 2)).toBe(true);
  });

  it('holds the overlap rule: the boxes of digits before occlusion overlap by IoU ≤ maxIou', () => {
    const byDefault = generateScenes(split.train, 'train', 60, 4);
    let overlapping = 0;
    for (const s of byDefault.scenes) {
      const own = s.objects.map((o) => {
        const p = patchOf(split.train, o.placement.row, o.placement.size, 0.5);
        expect(p.pixels).toBe(o.pixels);
        return [p.box[0] + o.placement.x, p.box[1] + o.placement.y, p.box[2], p.box[3]] as const;
      });
      for (let i = 0; i < own.length; i++) {
        for (let j = 0; j < i; j++) {
          const iou = boxIou(own[i]!, own[j]!);
          expect(iou).toBeLessThanOrEqual(0.1);
          if (iou > 0) overlapping++;
        }
      }
    }
    expect(overlapping).toBeGreaterThan(0);
    const set = generateScenes(split.train, 'train', 60, 4, { maxIou: 0, digitsPerScene: [3, 4] });
    checkGroundTruth(set);
    for (const s of set.scenes) {
      // With maxIou 0 no digit covers another's pixels: every digit keeps its whole mask.
      for (const o of s.objects) expect(o.area).toBe(o.pixels);
    }
  });

  it('reuses digits only when asked, every digit once before any twice', async () => {
    const few = mnistSplit(3, 50, 20);
    await expectKrsError(() => generateScenes(few.test, 'test', 30, 3), 'BAD_OPTION', /count 30/, /20 held-out digits/, /reuseDigits/);
    const set = generateScenes(few.test, 'test', 30, 3, { reuseDigits: true });
    const order = set.scenes.flatMap((s) => [...s.objects.map((o) => o.mnistId), ...s.leftOut]);
    expect(order.length).toBeGreaterThan(20);
    expect(new Set(order.slice(0, 20)).size).toBe(20);
    for (const id of order) expect(few.test.ids.includes(id)).toBe(true);
  });

  it('refuses bad sizes and ranges with one clear line', async () => {
    const d = split.train;
    await expectKrsError(() => generateScenes(d, 'train', 5, 1, { height: 20 }), 'BAD_OPTION', /height 20/, /too small for a digit/, /28/);
    await expectKrsError(() => generateScenes(d, 'train', 5, 1, { width: 64, height: 64, digitSize: [12, 40] }), 'BAD_OPTION', /digitSize/, /28/);
    await expectKrsError(() => generateScenes(d, 'train', 5, 1, { digitsPerScene: [0, 4] }), 'BAD_OPTION', /digitsPerScene \[0,4\]/, /1 ≤ min ≤ max ≤ 10/);
    await expectKrsError(() => generateScenes(d, 'train', 5, 1, { digitsPerScene: [3, 2] }), 'BAD_OPTION', /digitsPerScene/);
    await expectKrsError(() => generateScenes(d, 'train', 5, 1, { digitsPerScene: [1, 11] }), 'BAD_OPTION', /digitsPerScene/);
    await expectKrsError(() => generateScenes(d, 'train', -1, 1), 'BAD_OPTION', /count -1/);
    await expectKrsError(() => generateScenes(d, 'train', 2.5, 1), 'BAD_OPTION', /count 2.5/);
    await expectKrsError(() => generateScenes(d, 'train', 5, 1.5), 'BAD_OPTION', /seed/);
    await expectKrsError(() => generateScenes(d, 'train', 5, 1, { labelThreshold: 0 }), 'BAD_OPTION', /labelThreshold/);
    await expectKrsError(() => generateScenes(d, 'train', 5, 1, { minVisible: 1.5 }), 'BAD_OPTION', /minVisible/);
    await expectKrsError(() => generateScenes(d, 'train', 5, 1, { clutterIntensity: [0, 0.3] }), 'BAD_OPTION', /clutterIntensity/);
    await expectKrsError(() => generateScenes(d, 'train', 5, 1, { clutterSize: [4, 30] }), 'BAD_OPTION', /clutterSize/);
    await expectKrsError(
      () => digitScenes({ seed: 1, trainScenes: 1, testScenes: 1, trainDigits: 9000, testDigits: 2000 }),
      'BAD_OPTION',
      /trainDigits/,
      /10000/,
    );
    await expectKrsError(
      () => digitScenes({ seed: 1, trainScenes: 100, testScenes: 1, trainDigits: 50, testDigits: 20 }),
      'BAD_OPTION',
      /trainScenes 100/,
      /training digits/,
    );
    expect(generateScenes(d, 'train', 0, 1).n).toBe(0);
  });
});

describe('COCO ground truth and the preview', () => {
  let set: SceneSet;
  let dir: string;
  beforeAll(() => {
    set = generateScenes(mnistSplit(2, 300, 100).test, 'test', 12, 2);
    dir = mkdtempSync(join(tmpdir(), 'krs-scenes-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes images, one annotation per digit (ids from 1) and the 10 categories d + 1', () => {
    const gt = cocoGroundTruth(set);
    expect(gt.images.map((i) => i.id)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(gt.images[0]).toEqual({ id: 0, width: 48, height: 48, file_name: 'test-0.png' });
    const objects = set.scenes.flatMap((s, i) => s.objects.map((o) => ({ o, i })));
    expect(gt.annotations.map((a) => a.id)).toEqual(objects.map((_, k) => k + 1));
    gt.annotations.forEach((a, k) => {
      const { o, i } = objects[k]!;
      expect(a).toEqual({ id: k + 1, image_id: i, category_id: o.digit + 1, bbox: [...o.bbox], area: o.area, iscrowd: 0 });
    });
    expect(gt.categories.map((c) => [c.id, c.name])).toEqual(Array.from({ length: 10 }, (_, d) => [d + 1, String(d)]));
    expect(cocoGroundTruth(set, 100).images[3]!.id).toBe(103);
  });

  it('writes the JSON file, and its boxes read back as COCO results krs accepts', async () => {
    const file = join(dir, 'gt.json');
    writeCocoGroundTruth(file, set);
    const gt = JSON.parse(readFileSync(file, 'utf8'));
    expect(gt).toEqual(JSON.parse(JSON.stringify(cocoGroundTruth(set))));
    const asResults = gt.annotations.map((a: { image_id: number; category_id: number; bbox: number[] }) => ({ ...a, score: 1 }));
    expect(parseCocoResults(JSON.stringify(asResults), 'gt.json')).toHaveLength(gt.annotations.length);
    await expectKrsError(() => cocoGroundTruth(set, -1), 'BAD_OPTION', /firstImageId/);
  });

  it('draws a contact sheet with a box per digit and writes it as a PNG', () => {
    const svg = scenesSheetSvg(set, { scenes: 4, scale: 2, columns: 2 });
    const boxes = set.scenes.slice(0, 4).reduce((n, s) => n + s.objects.length, 0);
    expect(svg.match(/fill="none" stroke=/g)).toHaveLength(boxes);
    const file = join(dir, 'scenes.png');
    writeScenesPng(file, set, { scenes: 4, scale: 2, columns: 2 });
    const png = readFileSync(file);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    // IHDR width: 2 columns of (2 panels of 48 px + 3 gaps of 4 px) × 2 px of SVG scale, times resvg's zoom of 2.
    expect(png.readUInt32BE(16)).toBe(2 * (2 * 48 * 2 + 3 * 4) * 2);
  });
});
