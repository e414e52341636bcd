import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Detection } from '../../src/agreement/detection.js';
import { segmentationAgreement } from '../../src/agreement/segmentation.js';
import { tensor } from '../../src/core/tensor.js';
import type { GroundTruthImage } from '../../src/io/coco-ground-truth.js';
import { accumulateCocoMap, evaluateCocoImages } from '../../src/train/coco-map.js';
import { imageGroups, pairedGroupJackknife, pairedMapErrors, pairedMiouError } from '../../src/train/paired-error.js';
import { expectClose, expectKrsError } from '../agreement/helpers.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'coco-map');

interface Jk {
  before: number;
  after: number;
  delta: number;
  se: number;
  replicates: number[];
}
interface MapCase {
  images: GroundTruthImage[];
  before: Detection[];
  after: Detection[];
  groups: number;
  expected: { groups: number; map: Jk; map50: Jk; map75: Jk };
}
interface MiouCase {
  shape: [number, number, number];
  groundTruth: number[];
  before: number[];
  after: number[];
  groups: number;
  ignoreLabel: number;
  expected: { groups: number; miou: Jk };
}
const fx = JSON.parse(readFileSync(join(FIXTURES, 'paired-error.json'), 'utf8')) as { map: MapCase[]; miou: MiouCase[] };

const close = (a: number | null, e: number, what: string) => {
  expect(a, what).not.toBeNull();
  expectClose(a!, e, what, 0, 1e-12);
};
const labels = (data: number[], shape: readonly number[]) => tensor(Int32Array.from(data), shape);

describe('paired jackknife against the NumPy reference', () => {
  it.each(fx.map.map((c, i) => [`ΔmAP, ${c.images.length} images, ${c.groups} groups (case ${i})`, c] as const))('%s', (_n, c) => {
    const r = pairedMapErrors(c.images, c.before, c.after, { groups: c.groups });
    expect(r.groups).toBe(c.expected.groups);
    for (const key of ['map', 'map50', 'map75'] as const) {
      const e = c.expected[key];
      close(r[key].before, e.before, `${key} before`);
      close(r[key].after, e.after, `${key} after`);
      close(r[key].delta, e.delta, `${key} delta`);
      close(r[key].se, e.se, `${key} se`);
      expect(r[key].se!).toBeGreaterThan(0);
      expect(r[key].ci95![1] - r[key].ci95![0]).toBeGreaterThan(0);
    }
    // The replicates themselves: the same contiguous groups, the same leave-outs.
    const a = evaluateCocoImages(c.images, c.before);
    const b = evaluateCocoImages(c.images, c.after);
    imageGroups(c.images.length, c.expected.groups).forEach((rows, g) => {
      const keep = c.images.map((_, i) => i).filter((i) => !rows.includes(i));
      close(accumulateCocoMap(b, keep).map - accumulateCocoMap(a, keep).map, c.expected.map.replicates[g]!, `replicate ${g}`);
    });
  });

  it.each(fx.miou.map((c, i) => [`ΔmIoU, ${c.shape.join('×')}, ${c.groups} groups (case ${i})`, c] as const))('%s', (_n, c) => {
    const gt = labels(c.groundTruth, c.shape);
    const r = pairedMiouError(gt, labels(c.before, c.shape), labels(c.after, c.shape), { groups: c.groups, ignoreLabel: c.ignoreLabel });
    expect(r.groups).toBe(c.expected.groups);
    const e = c.expected.miou;
    close(r.miou.before, e.before, 'before');
    close(r.miou.after, e.after, 'after');
    close(r.miou.delta, e.delta, 'delta');
    close(r.miou.se, e.se, 'se');
    expect(r.miou.metric).toBe('mIoU');
    // mIoU is the segmentation agreement with the ground truth as the teacher.
    expect(r.before.aoa).toBe(segmentationAgreement(gt, labels(c.before, c.shape), { ignoreLabel: c.ignoreLabel }).aoa);
  });
});

const gt: GroundTruthImage[] = Array.from({ length: 6 }, (_, i) => ({
  imageId: String(i),
  boxes: [{ categoryId: 1 + (i % 2), bbox: [0, 0, 10, 10] as const }],
}));
const hit = (i: number, score = 0.9): Detection => ({ imageId: String(i), categoryId: 1 + (i % 2), bbox: [0, 0, 10, 10], score });
const miss = (i: number, score = 0.95): Detection => ({ imageId: String(i), categoryId: 1 + (i % 2), bbox: [40, 40, 10, 10], score });

describe('paired errors by hand', () => {
  it('contiguous groups: image i in group ⌊i·G/N⌋', () => {
    expect(imageGroups(5, 2)).toEqual([
      [0, 1, 2],
      [3, 4],
    ]);
    expect(imageGroups(3, 3)).toEqual([[0], [1], [2]]);
    imageGroups(47, 20).forEach((rows, g) => {
      for (const i of rows) expect(Math.floor((i * 20) / 47)).toBe(g);
    });
  });

  it('identical students: Δ = 0, se 0, CI [0, 0], p = 1', () => {
    const dets = [hit(0), hit(1), miss(2), hit(3), hit(5)];
    const r = pairedMapErrors(gt, dets, dets, { groups: 3 });
    expect(r.map).toMatchObject({ delta: 0, se: 0, ci95: [0, 0], p: 1, groups: 3 });
    const maps = labels([0, 1, 1, 0, 2, 2, 0, 1], [4, 1, 2]);
    expect(pairedMiouError(maps, maps, maps, { groups: 4 }).miou).toMatchObject({ delta: 0, se: 0, p: 1, before: 100, after: 100 });
  });

  it('groups default to 20 and are capped by the images; one image has no se', () => {
    const before = gt.map((_, i) => (i < 3 ? miss(i) : hit(i)));
    const after = gt.map((_, i) => hit(i));
    const r = pairedMapErrors(gt, before, after);
    expect(r.groups).toBe(6);
    expect(r.map.delta).toBeGreaterThan(0);
    expect(r.map.se).toBeGreaterThan(0);
    const one = pairedMapErrors([gt[0]!], [miss(0)], [hit(0)]);
    expect(one.map).toMatchObject({ se: null, ci95: null, p: null, before: 0, after: 100, delta: 100, groups: 1 });
    expect(one.map.reason).toContain('at least 2 groups');
  });

  it('a leave-out that makes the metric undefined gives se null with the reason', () => {
    const g: GroundTruthImage[] = [
      { imageId: 'a', boxes: [{ categoryId: 1, bbox: [0, 0, 5, 5] }] },
      { imageId: 'b', boxes: [] },
    ];
    const r = pairedMapErrors(g, [], [{ imageId: 'a', categoryId: 1, bbox: [0, 0, 5, 5], score: 1 }], { groups: 2 });
    expect(r.map50).toMatchObject({ delta: 100, se: null, ci95: null, p: null });
    expect(r.map50.reason).toMatch(/mAP@\.5 is undefined without group 1 of 2 .*no category/);
    const maps = labels([255, 255, 0, 1], [2, 1, 2]);
    const m = pairedMiouError(maps, maps, labels([0, 0, 0, 0], [2, 1, 2]), { groups: 2 });
    expect(m.miou.se).toBeNull();
    expect(m.miou.reason).toContain('without group 2 of 2');
  });

  it('pairedGroupJackknife passes other errors through', () => {
    expect(() =>
      pairedGroupJackknife(4, 2, { x: 'x' }, (keep) => {
        if (keep) throw new Error('boom');
        return { before: { x: 1 }, after: { x: 2 } };
      }),
    ).toThrow('boom');
  });

  it('rejects bad options and mismatched inputs', () => {
    expectKrsError(() => pairedMapErrors(gt, [], [], { groups: 1 }), 'BAD_OPTION', 'groups');
    expectKrsError(() => pairedMapErrors(gt, [], [], { groups: 2.5 }), 'BAD_OPTION', 'groups');
    expectKrsError(() => pairedMapErrors(gt, [{ ...hit(0), score: Number.POSITIVE_INFINITY }], []), 'BAD_VALUE', 'score of detection 0');
    const maps = labels([0, 1, 1, 0], [2, 1, 2]);
    expectKrsError(() => pairedMiouError(maps, labels([0, 1], [1, 1, 2]), maps), 'SHAPE_MISMATCH', 'before');
    expectKrsError(() => pairedMiouError(maps, maps, tensor(Float64Array.from([0, Number.NaN, 1, 0]), [2, 1, 2])), 'NON_FINITE');
  });
});
