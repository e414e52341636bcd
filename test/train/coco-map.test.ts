import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Detection } from '../../src/agreement/detection.js';
import type { GroundTruthImage } from '../../src/io/coco-ground-truth.js';
import {
  accumulateCocoMap,
  type CocoMapOptions,
  type CocoMapResult,
  cocoBoxIou,
  cocoMap,
  evaluateCocoImages,
  IOU_THRESHOLDS,
  RECALL_POINTS,
} from '../../src/train/coco-map.js';
import { expectClose, expectKrsError } from '../agreement/helpers.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'coco-map');

interface Expected {
  map: number;
  map50: number;
  map75: number;
  mapByThreshold: number[];
  images: number;
  categoriesWithoutGroundTruth: number[];
  perCategory: { categoryId: number; ap: number; ap50: number; ap75: number; apByThreshold: number[]; groundTruth: number; detections: number }[];
}
interface Case {
  name: string;
  images: GroundTruthImage[];
  detections: Detection[];
  options: CocoMapOptions;
  expected: Expected;
}
const fx = JSON.parse(readFileSync(join(FIXTURES, 'coco-map.json'), 'utf8')) as { iouThresholds: number[]; recallPoints: number[]; cases: Case[] };

/** Fixture values agree to 1e-12 (absolute, on the 0–100 scale). */
const close = (a: number, e: number, what: string) => expectClose(a, e, what, 0, 1e-12);

function expectMatches(r: CocoMapResult, e: Expected, what: string): void {
  close(r.map, e.map, `${what} map`);
  close(r.map50, e.map50, `${what} map50`);
  close(r.map75, e.map75, `${what} map75`);
  r.mapByThreshold.forEach((v, t) => close(v, e.mapByThreshold[t]!, `${what} mapByThreshold[${t}]`));
  expect(r.images).toBe(e.images);
  expect(r.categoriesWithoutGroundTruth).toEqual(e.categoriesWithoutGroundTruth);
  expect(r.perCategory.map((c) => c.categoryId)).toEqual(e.perCategory.map((c) => c.categoryId));
  r.perCategory.forEach((c, k) => {
    const ec = e.perCategory[k]!;
    const at = `${what} category ${c.categoryId}`;
    close(c.ap, ec.ap, `${at} ap`);
    close(c.ap50, ec.ap50, `${at} ap50`);
    close(c.ap75, ec.ap75, `${at} ap75`);
    c.apByThreshold.forEach((v, t) => close(v, ec.apByThreshold[t]!, `${at} ap@${t}`));
    expect(c.groundTruth, at).toBe(ec.groundTruth);
    expect(c.detections, at).toBe(ec.detections);
  });
}

describe('cocoMap against the NumPy reference', () => {
  it('uses NumPy linspace thresholds and recall points, bit for bit', () => {
    expect([...IOU_THRESHOLDS]).toEqual(fx.iouThresholds);
    expect([...RECALL_POINTS]).toEqual(fx.recallPoints);
    expect(IOU_THRESHOLDS[8]).toBe(0.8999999999999999);
  });

  it.each(fx.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expectMatches(cocoMap(c.images, c.detections, c.options), c.expected, c.name);
  });

  it('the fixtures cover ties, crowds, zero areas, empty images, capped images and a category without ground truth', () => {
    const dets = fx.cases.flatMap((c) => c.detections);
    const scores = new Set<string>();
    let tie = false;
    for (const c of fx.cases) {
      for (const d of c.detections) {
        const key = `${c.name}|${d.score}`;
        if (scores.has(key)) tie = true;
        scores.add(key);
      }
    }
    expect(tie).toBe(true);
    expect(fx.cases.some((c) => c.images.some((im) => im.boxes.some((b) => b.iscrowd)))).toBe(true);
    expect(fx.cases.some((c) => c.images.some((im) => im.boxes.some((b) => b.bbox[2] === 0)))).toBe(true);
    expect(dets.some((d) => d.bbox[2] === 0)).toBe(true);
    expect(fx.cases.some((c) => c.images.some((im) => !c.detections.some((d) => d.imageId === im.imageId)))).toBe(true);
    expect(fx.cases.some((c) => c.images.some((im) => im.boxes.length === 0))).toBe(true);
    expect(fx.cases.some((c) => c.expected.categoriesWithoutGroundTruth.length > 0)).toBe(true);
    // The caps bind: the capped cases differ from the uncapped ones of the same scene.
    expect(fx.cases.filter((c) => c.options.maxDetections !== 100).some((c, i) => c.expected.map !== fx.cases[3 * Math.floor(i / 2)]!.expected.map)).toBe(true);
    // Some IoU falls exactly on a threshold (integer boxes).
    let onThreshold = false;
    for (const c of fx.cases) {
      for (const d of c.detections) {
        const im = c.images.find((x) => x.imageId === d.imageId)!;
        for (const b of im.boxes) if (IOU_THRESHOLDS.includes(cocoBoxIou(d.bbox, b.bbox, false))) onThreshold = true;
      }
    }
    expect(onThreshold).toBe(true);
  });

  it('accumulating a subset of images equals evaluating that subset alone', () => {
    const c = fx.cases[6]!;
    const ev = evaluateCocoImages(c.images, c.detections, c.options);
    const keep = c.images.map((_, i) => i).filter((i) => i % 3 !== 1);
    const sub = c.images.filter((_, i) => i % 3 !== 1);
    const ids = new Set(sub.map((im) => im.imageId));
    const alone = cocoMap(
      sub,
      c.detections.filter((d) => ids.has(d.imageId)),
      c.options,
    );
    expect(accumulateCocoMap(ev, keep)).toEqual(alone);
  });
});

const gt1: GroundTruthImage[] = [
  {
    imageId: 'a',
    boxes: [
      { categoryId: 1, bbox: [0, 0, 10, 10] },
      { categoryId: 1, bbox: [20, 20, 10, 10] },
      { categoryId: 2, bbox: [50, 50, 20, 10] },
    ],
  },
  { imageId: 'b', boxes: [{ categoryId: 2, bbox: [0, 0, 4, 4] }] },
];
const det = (imageId: string, categoryId: number, bbox: [number, number, number, number], score: number): Detection => ({ imageId, categoryId, bbox, score });
const perfect = gt1.flatMap((im) => im.boxes.map((b, k) => det(im.imageId, b.categoryId, [...b.bbox] as [number, number, number, number], 0.9 - 0.1 * k)));

describe('cocoMap by hand', () => {
  it('a perfect detector scores 100 at every threshold', () => {
    const r = cocoMap(gt1, perfect);
    expect(r.map).toBe(100);
    expect(r.mapByThreshold).toEqual(Array(10).fill(100));
    expect(r.perCategory.map((c) => [c.categoryId, c.groundTruth, c.detections])).toEqual([
      [1, 2, 2],
      [2, 2, 2],
    ]);
  });

  it('no detections score 0; an image without detections counts its boxes as misses', () => {
    expect(cocoMap(gt1, []).map).toBe(0);
    // Only image a detected, perfectly: category 1 is 100; category 2 has recall 1/2, so its
    // precision (1) is sampled at 51 of the 101 recall points.
    const r = cocoMap(
      gt1,
      perfect.filter((d) => d.imageId === 'a'),
    );
    expect(r.perCategory[0]!.ap).toBe(100);
    close(r.perCategory[1]!.ap, (51 / 101) * 100, 'half recall');
  });

  it('a duplicate detection is a false positive, ranked where its score puts it', () => {
    const g: GroundTruthImage[] = [{ imageId: 'x', boxes: [{ categoryId: 1, bbox: [0, 0, 10, 10] }] }];
    // Duplicate below the true positive: precision 1 up to recall 1 → AP 100.
    expect(cocoMap(g, [det('x', 1, [0, 0, 10, 10], 0.9), det('x', 1, [0, 0, 10, 10], 0.8)]).map).toBe(100);
    // A false positive above it: precision 1/2 at recall 1 → AP 50.
    const r = cocoMap(g, [det('x', 1, [0, 0, 10, 10], 0.8), det('x', 1, [50, 50, 10, 10], 0.9)]);
    close(r.map, 50, 'fp first');
  });

  it('ties in score keep input order (stable), within and across images', () => {
    const g: GroundTruthImage[] = [
      { imageId: 'p', boxes: [{ categoryId: 1, bbox: [0, 0, 10, 10] }] },
      { imageId: 'q', boxes: [] },
    ];
    const tp = det('p', 1, [0, 0, 10, 10], 0.5);
    const fp = det('p', 1, [40, 40, 10, 10], 0.5);
    expect(cocoMap(g, [tp, fp]).map).toBe(100);
    close(cocoMap(g, [fp, tp]).map, 50, 'fp first');
    // Across images: the ground truth's image order decides, not the detections' order.
    const fpQ = det('q', 1, [0, 0, 10, 10], 0.5);
    expect(cocoMap(g, [fpQ, tp]).map).toBe(100);
    close(cocoMap([g[1]!, g[0]!], [tp, fpQ]).map, 50, 'image q first');
  });

  it('greedy matching: the higher score takes the box of highest IoU; IoU exactly at a threshold matches', () => {
    const g: GroundTruthImage[] = [{ imageId: 'm', boxes: [{ categoryId: 1, bbox: [0, 0, 10, 10] }] }];
    // IoU 0.75 exactly ([0,0,10,7.5] inside): a TP at .50–.75, a miss above.
    const r = cocoMap(g, [det('m', 1, [0, 0, 10, 7.5], 0.9)]);
    expect(r.mapByThreshold).toEqual([100, 100, 100, 100, 100, 100, 0, 0, 0, 0]);
    expect(r.map75).toBe(100);
    close(r.map, 60, 'six of ten thresholds');
  });

  it('a category with detections but no ground truth is left out, and named', () => {
    const r = cocoMap(gt1, [...perfect, det('a', 7, [0, 0, 5, 5], 0.99)]);
    expect(r.map).toBe(100);
    expect(r.categoriesWithoutGroundTruth).toEqual([7]);
    expect(r.perCategory.map((c) => c.categoryId)).toEqual([1, 2]);
  });

  it('zero-area boxes never match; a crowd region absorbs detections without counting them', () => {
    const g: GroundTruthImage[] = [
      {
        imageId: 'z',
        boxes: [
          { categoryId: 1, bbox: [0, 0, 10, 10] },
          { categoryId: 1, bbox: [30, 30, 0, 5] },
          { categoryId: 1, bbox: [100, 100, 50, 50], iscrowd: true },
        ],
      },
    ];
    expect(cocoBoxIou([30, 30, 0, 5], [30, 30, 0, 5], false)).toBe(0);
    expect(cocoBoxIou([110, 110, 5, 5], [100, 100, 50, 50], true)).toBe(1);
    const dets = [det('z', 1, [0, 0, 10, 10], 0.9), det('z', 1, [110, 110, 5, 5], 0.95), det('z', 1, [120, 120, 5, 5], 0.94), det('z', 1, [30, 30, 0, 5], 0.3)];
    const r = cocoMap(g, dets);
    // Two non-crowd boxes (the zero-area one can never be found): TP then FP → recall ½ at precision 1.
    expect(r.perCategory[0]!.groundTruth).toBe(2);
    close(r.map, (51 / 101) * 100, 'crowd ignored, zero-area missed');
  });

  it('maxDetections caps per image and category (COCOeval) or per image', () => {
    const g: GroundTruthImage[] = [
      {
        imageId: 'c',
        boxes: [
          { categoryId: 1, bbox: [0, 0, 10, 10] },
          { categoryId: 2, bbox: [20, 0, 10, 10] },
        ],
      },
    ];
    const dets = [det('c', 1, [50, 50, 5, 5], 0.9), det('c', 1, [0, 0, 10, 10], 0.8), det('c', 2, [20, 0, 10, 10], 0.7)];
    // Per image and category, 1: category 1 keeps only its false positive.
    const a = cocoMap(g, dets, { maxDetections: 1 });
    expect(a.perCategory.map((c) => c.ap)).toEqual([0, 100]);
    // Per image, 2: category 2's box is cut.
    const b = cocoMap(g, dets, { maxDetections: 2, maxDetectionsPer: 'image' });
    close(b.perCategory[0]!.ap, 50, 'fp above tp');
    expect(b.perCategory[1]!.ap).toBe(0);
  });

  it('rejects bad input with one-line KrsErrors naming the culprit', () => {
    const bad = (over: Partial<Detection>) => [{ ...perfect[0]!, ...over }];
    expectKrsError(() => cocoMap(gt1, bad({ score: Number.NaN })), 'BAD_VALUE', 'score of detection 0');
    expectKrsError(() => cocoMap(gt1, bad({ bbox: [0, 0, Number.POSITIVE_INFINITY, 1] })), 'BAD_VALUE', 'bbox of detection 0', "image 'a'");
    expectKrsError(() => cocoMap(gt1, bad({ bbox: [0, 0, -1, 1] })), 'BAD_VALUE', 'width ≥ 0');
    expectKrsError(() => cocoMap(gt1, bad({ categoryId: Number.NaN })), 'BAD_VALUE', 'categoryId of detection 0');
    expectKrsError(() => cocoMap(gt1, bad({ imageId: 'nope' })), 'BAD_VALUE', 'imageId of detection 0', 'nope');
    const gtBad: GroundTruthImage[] = [{ imageId: 'a', boxes: [{ categoryId: 1, bbox: [0, Number.NaN, 1, 1] }] }];
    expectKrsError(() => cocoMap(gtBad, []), 'BAD_VALUE', "ground-truth box 0 of image 'a'");
    expectKrsError(() => cocoMap([gt1[0]!, gt1[0]!], []), 'ID_MISMATCH', "'a'");
    expectKrsError(() => cocoMap(gt1, [], { maxDetections: 0 }), 'BAD_OPTION', 'maxDetections');
    expectKrsError(() => cocoMap(gt1, [], { maxDetectionsPer: 'batch' as never }), 'BAD_OPTION', 'maxDetectionsPer');
    expectKrsError(() => cocoMap([{ imageId: 'e', boxes: [] }], []), 'UNDEFINED', 'no category');
    expectKrsError(() => accumulateCocoMap(evaluateCocoImages(gt1, []), [5]), 'BAD_OPTION', 'images');
  });

  it('leaves its inputs unchanged', () => {
    const g = structuredClone(gt1);
    const d = structuredClone(perfect).reverse();
    const before = JSON.stringify([g, d]);
    cocoMap(g, d, { maxDetections: 1, maxDetectionsPer: 'image' });
    expect(JSON.stringify([g, d])).toBe(before);
  });
});
