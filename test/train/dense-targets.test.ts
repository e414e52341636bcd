/**
 * Detector targets, imitation masks and the decoder against the NumPy reference of
 * test/fixtures/dense/make_fixtures.py; COCO results round-trip through the reader.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCocoResults } from '../../src/io/coco.js';
import { cocoResultsJson, decodeDetections, heatmapPeaks } from '../../src/train/dense/det-decode.js';
import { type BoxObject, detectionTargets, gaussianRadius, gridOf, imitationMask } from '../../src/train/dense/det-targets.js';

const fx = JSON.parse(readFileSync(new URL('../fixtures/dense/fixtures.json', import.meta.url), 'utf8'));

function allClose(got: ArrayLike<number>, want: number[], tol = 1e-6): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / Math.max(1, Math.abs(want[i]!)));
  expect(worst).toBeLessThanOrEqual(tol);
}

describe('detector targets', () => {
  const t = fx.targets;
  const objects = t.objects as BoxObject[][];
  const grid = gridOf(t.grid * t.stride, t.grid * t.stride);

  it('the Gaussian radius: the diagonal shift that keeps IoU ≥ 0.7, floored', () => {
    for (const [w, h, r] of t.radii as [number, number, number][]) expect(gaussianRadius(w, h)).toBe(r);
  });

  it('heatmaps, sizes, offsets and centre masks equal the reference', () => {
    const got = detectionTargets(objects, grid);
    allClose(got.heatmap, t.heatmap);
    allClose(got.size, t.size);
    allClose(got.offset, t.offset);
    allClose(got.centreMask, t.centreMask);
    // Every object's centre holds exactly 1 in its class plane.
    expect(got.heatmap.filter((v) => v === 1).length).toBe(objects.flat().length);
  });

  it("imitation masks: 'box' (cell centres inside a box, plus centre cells) and 'gaussian' (max over classes)", () => {
    allClose(imitationMask(objects, grid, 'box'), t.boxMask);
    allClose(imitationMask(objects, grid, 'gaussian'), t.gaussianMask);
  });

  it('bad objects are one-line BAD_VALUE errors naming the image and object', () => {
    expect(() => detectionTargets([[{ classIndex: 10, bbox: [0, 0, 4, 4] }]], grid)).toThrow(/class index of object 0 of image 0 is 10/);
    expect(() => detectionTargets([[], [{ classIndex: 1, bbox: [0, 0, -1, 4] }]], grid)).toThrow(/bbox of object 0 of image 1/);
    expect(() => gridOf(50, 48)).toThrow(/multiples of 4/);
  });
});

describe('decoder', () => {
  const d = fx.decoder;
  const input = { imageId: '7', heatmap: Float32Array.from(d.heatmap), size: Float32Array.from(d.size), offset: Float32Array.from(d.offset) };
  const opts = { height: d.height, width: d.width, classes: d.classes, stride: 4 };
  const check = (got: ReturnType<typeof decodeDetections>, want: { categoryId: number; bbox: number[]; score: number }[]) => {
    expect(got.map((g) => g.categoryId)).toEqual(want.map((w) => w.categoryId));
    got.forEach((g, i) => {
      expect(g.imageId).toBe('7');
      allClose(g.bbox, want[i]!.bbox, 1e-5);
      allClose([g.score], [want[i]!.score], 1e-7);
    });
  };

  it('3×3 peaks (plateaus kept), top-K, threshold, boxes from offset and size', () => {
    check(decodeDetections(input, { ...opts, topK: 5, scoreMin: 0.2 }), d.withOffset);
    check(decodeDetections({ ...input, offset: null }, { ...opts, topK: 4, scoreMin: 0 }), d.withoutOffset);
    check(decodeDetections(input, { ...opts, topK: 1000, scoreMin: 0 }), d.all);
    expect(heatmapPeaks(input.heatmap, d.height, d.width, d.classes).length).toBe(d.all.length);
  });

  it('category ids map the heatmap classes; bad options are BAD_OPTION', () => {
    const got = decodeDetections(input, { ...opts, topK: 2, scoreMin: 0, categoryIds: [11, 12, 13] });
    expect(got.map((g) => g.categoryId)).toEqual(d.all.slice(0, 2).map((w: { categoryId: number }) => w.categoryId + 11));
    expect(() => decodeDetections(input, { ...opts, topK: 0 })).toThrow(/topK/);
    expect(() => decodeDetections(input, { ...opts, categoryIds: [1] })).toThrow(/categoryIds/);
    expect(() => decodeDetections({ ...input, size: new Float32Array(3) }, opts)).toThrow(/size head of image 7/);
  });

  it('COCO results JSON reads back as the same detections', () => {
    const dets = decodeDetections(input, { ...opts, topK: 5, scoreMin: 0.2 });
    const back = parseCocoResults(cocoResultsJson([...dets, { ...dets[0]!, imageId: 'scene-a' }]), 'r.json');
    expect(back).toEqual([...dets, { ...dets[0]!, imageId: 'scene-a' }]);
    expect(JSON.parse(cocoResultsJson(dets))[0].image_id).toBe(7);
  });
});

describe('detector targets with a smallest radius (TargetOptions)', () => {
  const r = JSON.parse(readFileSync(new URL('../fixtures/dense/det-radius.json', import.meta.url), 'utf8'));
  const objects = (r.objects as [number, [number, number, number, number]][][]).map((list) => list.map(([classIndex, bbox]) => ({ classIndex, bbox })));
  const grid = gridOf(r.grid * r.stride, r.grid * r.stride);

  it('heatmaps equal the NumPy reference for each minRadius and radius IoU', () => {
    for (const c of r.cases as { minRadius: number; radiusIou: number; nonZero: [number, number][] }[]) {
      const got = detectionTargets(objects, grid, { minRadius: c.minRadius, radiusIou: c.radiusIou });
      const want = new Array<number>(got.heatmap.length).fill(0);
      for (const [i, v] of c.nonZero) want[i] = v;
      allClose(got.heatmap, want);
    }
  });

  it('the default options are CenterNet’s rule (radius 0 for the study’s digits) and minRadius widens every peak', () => {
    const plain = detectionTargets(objects, grid);
    expect(detectionTargets(objects, grid, { minRadius: 0, radiusIou: 0.7 }).heatmap).toEqual(plain.heatmap);
    const wide = detectionTargets(objects, grid, { minRadius: 1 });
    expect(plain.heatmap.filter((v) => v > 0).length).toBe(objects.flat().length);
    expect(wide.heatmap.filter((v) => v > 0).length).toBeGreaterThan(4 * objects.flat().length);
    expect(wide.heatmap.filter((v) => v === 1).length).toBe(objects.flat().length);
  });

  it('refuses a bad radius option with a one-line BAD_OPTION', () => {
    expect(() => detectionTargets(objects, grid, { minRadius: -1 })).toThrow(/minRadius/);
    expect(() => detectionTargets(objects, grid, { minRadius: 1.5 })).toThrow(/minRadius/);
    expect(() => detectionTargets(objects, grid, { radiusIou: 1 })).toThrow(/radiusIou/);
  });
});
