import { describe, expect, it } from 'vitest';
import { boxIou, type Detection, type DetectionImage, detectionAgreement, detectionAgreementMeasure, groupDetections } from '../../src/agreement/index.js';
import { checkMeasureProperties, closeResults, expectClose, expectFieldsClose, expectKrsError, loadFixture } from './helpers.js';

interface Fx {
  images: DetectionImage[];
  cases: { scoreMin: number; iouMin: number; expected: Record<string, unknown> & { perImage: number[] } }[];
  iou: { a: [number, number, number, number]; b: [number, number, number, number]; iou: number }[];
}
const fx = loadFixture<Fx>('detection.json');

const det = (imageId: string, categoryId: number, bbox: [number, number, number, number], score = 0.9): Detection => ({
  imageId,
  categoryId,
  bbox,
  score,
});

describe('detectionAgreement against the NumPy reference', () => {
  it.each(fx.cases.map((c) => [`scoreMin=${c.scoreMin} iouMin=${c.iouMin}`, c] as const))('%s', (_n, c) => {
    const r = detectionAgreement(fx.images, { scoreMin: c.scoreMin, iouMin: c.iouMin });
    expect(r.metric).toBe('iou-agreement');
    expectFieldsClose(r as unknown as Record<string, unknown>, c.expected, 'detection');
    // per image too, one image at a time through the measure
    c.expected.perImage.forEach((e, i) => {
      const one = detectionAgreement([fx.images[i]!], { scoreMin: c.scoreMin, iouMin: c.iouMin });
      expectClose(one.aoa, e * 100, `image ${fx.images[i]!.imageId}`);
    });
  });

  it('boxIou matches the reference, degenerate boxes included', () => {
    for (const { a, b, iou } of fx.iou) {
      expectClose(boxIou(a, b), iou, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
      expectClose(boxIou(b, a), iou, 'symmetric');
    }
  });

  it('the fixture covers crowded, one-sided, both-empty, filtered and class-mismatch images', () => {
    const sizes = fx.images.map((im) => [im.teacher.length, im.student.length]);
    expect(sizes.some(([t, s]) => t! >= 25 && s! >= 20)).toBe(true);
    expect(sizes.some(([t, s]) => t! > 0 && s === 0)).toBe(true);
    expect(sizes.some(([t, s]) => t === 0 && s! > 0)).toBe(true);
    expect(sizes.some(([t, s]) => t === 0 && s === 0)).toBe(true);
    expect(fx.images.some((im) => im.teacher.length > 0 && im.teacher.every((d) => d.score < 0.5))).toBe(true);
  });
});

describe('detectionAgreement behaviour', () => {
  it('doc example, both empty = 1, one side empty = 0', () => {
    const a = detectionAgreement([{ imageId: 'a', teacher: [det('a', 1, [0, 0, 10, 10])], student: [det('a', 1, [1, 0, 10, 10], 0.8)] }]);
    expectClose(a.aoa, (90 / 110) * 100, 'aoa');
    expect(a.meanMatchedIou).toBeCloseTo(90 / 110, 14);
    expect(detectionAgreement([{ imageId: 'e', teacher: [], student: [] }]).aoa).toBe(100);
    const one = detectionAgreement([{ imageId: 'x', teacher: [det('x', 1, [0, 0, 5, 5])], student: [] }]);
    expect(one.aoa).toBe(0);
    expect(one.meanMatchedIou).toBeNull();
    expect(one.teacherBoxes).toBe(1);
  });

  it('score filter is ≥ scoreMin; IoU below iouMin does not count; other classes never match', () => {
    const img = (score: number, cat: number, box: [number, number, number, number]): DetectionImage => ({
      imageId: 'i',
      teacher: [det('i', 1, [0, 0, 10, 10], 0.5)],
      student: [det('i', cat, box, score)],
    });
    expect(detectionAgreement([img(0.5, 1, [0, 0, 10, 10])]).aoa).toBe(100);
    expect(detectionAgreement([img(0.4999, 1, [0, 0, 10, 10])]).aoa).toBe(0);
    expect(detectionAgreement([img(0.9, 2, [0, 0, 10, 10])]).matchedPairs).toBe(0);
    // IoU exactly 0.5 counts (≥), just below does not
    expect(detectionAgreement([img(0.9, 1, [0, 0, 5, 10])]).matchedPairs).toBe(1);
    expect(detectionAgreement([img(0.9, 1, [0, 0, 4.99, 10])]).matchedPairs).toBe(0);
  });

  it('greedy matching takes the highest IoU first (not the optimal assignment); ties by teacher then student index', () => {
    // Unit boxes shifted along x: IoU(shift d) = (10 − d)/(10 + d).
    // T0–S0 9/11, T1–S0 8/12, T0–S1 7/13, T1–S1 4/16 (< 0.5). Greedy keeps T0–S0 only.
    const box = (x: number): [number, number, number, number] => [x, 0, 10, 10];
    const T = [det('g', 1, box(0)), det('g', 1, box(3))];
    const S = [det('g', 1, box(1)), det('g', 1, box(-3))];
    const r = detectionAgreement([{ imageId: 'g', teacher: T, student: S }]);
    expect(r.matchedPairs).toBe(1);
    expectClose(r.aoa, (9 / 11 / 2) * 100, 'greedy');
    // exact ties: identical boxes pair up in index order, every pair at IoU 1
    const same = [det('h', 1, box(0)), det('h', 1, box(0))];
    const r2 = detectionAgreement([{ imageId: 'h', teacher: same, student: [...same, det('h', 1, box(0))] }]);
    expect(r2.matchedPairs).toBe(2);
    expectClose(r2.aoa, (2 / 3) * 100, 'ties');
  });

  it('groupDetections reproduces the grouped images (with imageIds for images without detections)', () => {
    const flatT = fx.images.flatMap((im) => im.teacher);
    const flatS = fx.images.flatMap((im) => im.student);
    const ids = fx.images.map((im) => im.imageId);
    const grouped = groupDetections(flatT, flatS, ids);
    expect(grouped.map((g) => g.imageId).sort()).toEqual([...ids].sort());
    const direct = detectionAgreement(fx.images);
    expect(detectionAgreement(grouped)).toEqual(direct);
    // without imageIds the images nobody detected anything on are absent
    expect(groupDetections(flatT, flatS).length).toBeLessThan(ids.length);
  });
});

describe('detectionAgreementMeasure properties', () => {
  it('k batches = one shot, shards merge, reset, inputs unchanged, JSON', () => {
    const imgs = fx.images;
    const batches = [imgs.slice(0, 5), imgs.slice(5, 6), imgs.slice(6, 20), imgs.slice(20)];
    checkMeasureProperties({
      measure: detectionAgreementMeasure({ scoreMin: 0.3, iouMin: 0.5 }),
      whole: imgs,
      batches,
      shards: [[batches[0]!], [batches[1]!, batches[2]!], [batches[3]!]],
      snapshot: (b) => structuredClone(b),
      compare: closeResults(1e-12),
    });
  });
});

describe('detectionAgreement bad input', () => {
  const ok = (id: string): DetectionImage => ({ imageId: id, teacher: [det(id, 1, [0, 0, 5, 5])], student: [] });
  it('negative box width/height names the image and side', () => {
    expectKrsError(
      () => detectionAgreement([ok('a'), { imageId: 'b', teacher: [], student: [det('b', 1, [0, 0, -3, 5])] }]),
      'BAD_VALUE',
      "student detection 0 of image 'b'",
      'width',
      '-3',
    );
    expectKrsError(
      () => detectionAgreement([{ imageId: 'c', teacher: [det('c', 1, [0, 0, 3, -1])], student: [] }]),
      'BAD_VALUE',
      "teacher detection 0 of image 'c'",
    );
  });
  it('non-finite box, score or category', () => {
    expectKrsError(
      () => detectionAgreement([{ imageId: 'n', teacher: [det('n', 1, [0, NaN, 3, 3])], student: [] }]),
      'BAD_VALUE',
      "image 'n'",
      'teacher',
      'bbox',
    );
    expectKrsError(
      () => detectionAgreement([{ imageId: 'n', teacher: [], student: [det('n', 1, [0, 0, 3, 3], Infinity)] }]),
      'BAD_VALUE',
      "image 'n'",
      'student',
      'score',
    );
    expectKrsError(() => detectionAgreement([{ imageId: 'n', teacher: [det('n', NaN, [0, 0, 3, 3])], student: [] }]), 'BAD_VALUE', 'categoryId');
    expectKrsError(
      () => detectionAgreement([{ imageId: 'n', teacher: [{ imageId: 'n', categoryId: 1, bbox: [0, 0, 3] as never, score: 1 }], student: [] }]),
      'BAD_VALUE',
      'bbox',
    );
  });
  it('a detection filed under another image', () => {
    expectKrsError(() => detectionAgreement([{ imageId: 'p', teacher: [det('q', 1, [0, 0, 3, 3])], student: [] }]), 'BAD_VALUE', "'p'", 'q');
  });
  it('duplicate image ids: in a batch, across batches, across merged shards', () => {
    expectKrsError(() => detectionAgreement([ok('a'), ok('b'), ok('a')]), 'ID_MISMATCH', "'a'", 'same batch');
    const m = detectionAgreementMeasure();
    const s = m.init();
    m.update(s, [ok('a'), ok('b')]);
    const before = JSON.stringify(m.toJSON(s));
    expectKrsError(() => m.update(s, [ok('c'), ok('b')]), 'ID_MISMATCH', "'b'", 'already');
    expect(JSON.stringify(m.toJSON(s))).toBe(before); // the failing batch left no trace ('c' not added)
    const s2 = m.init();
    m.update(s2, [ok('c'), ok('b')]);
    expectKrsError(() => m.merge(s, s2), 'ID_MISMATCH', "'b'", 'both shards');
    expectKrsError(() => m.fromJSON({ ...(m.toJSON(s) as object), imageIds: ['a', 'a'] }), 'BAD_VALUE', 'repeated');
  });
  it('bad options, other options, no images', () => {
    expectKrsError(() => detectionAgreementMeasure({ iouMin: 0 }), 'BAD_OPTION', 'iouMin');
    expectKrsError(() => detectionAgreementMeasure({ iouMin: 1.5 }), 'BAD_OPTION', 'iouMin');
    expectKrsError(() => detectionAgreementMeasure({ scoreMin: NaN }), 'BAD_OPTION', 'scoreMin');
    const a = detectionAgreementMeasure({ scoreMin: 0.5 });
    const b = detectionAgreementMeasure({ scoreMin: 0.3 });
    expectKrsError(() => a.merge(a.init(), b.init()), 'BAD_OPTION', 'scoreMin');
    expectKrsError(() => a.compute(a.init()), 'UNDEFINED', 'detection AOA', 'no images');
  });
});
