/**
 * Tiny training runs of the dense networks on digit scenes (wasm backend): every method
 * lowers its loss, one seed gives bitwise the same weights, and the predictions are valid
 * krs detections (COCO results) and label maps.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { detectionAgreement } from '../../src/agreement/detection.js';
import { segmentationAgreement } from '../../src/agreement/segmentation.js';
import { createRng } from '../../src/core/rng.js';
import { parseCocoResults } from '../../src/io/coco.js';
import { cocoMap } from '../../src/train/coco-map.js';
import { type DenseDataset, groundTruthImages, SCENE_CATEGORY_IDS, sceneDataset } from '../../src/train/dense/data.js';
import { cocoResultsJson } from '../../src/train/dense/det-decode.js';
import { type DetMethod, predictDetections, trainDetector } from '../../src/train/dense/det-train.js';
import { buildDetector, DET_STUDENTS } from '../../src/train/dense/detector.js';
import { labelMapTensor, predictLabelMaps, type SegMethod, trainSegmenter } from '../../src/train/dense/seg-train.js';
import { buildSegmenter, SEG_STUDENTS } from '../../src/train/dense/segmenter.js';
import { digitScenes } from '../../src/train/scenes.js';
import { initTf } from '../../src/train/tf.js';

let data: DenseDataset;
let held: DenseDataset;
beforeAll(async () => {
  await initTf();
  const { train, test } = digitScenes({ seed: 3, trainScenes: 48, testScenes: 8 });
  data = sceneDataset(train);
  held = sceneDataset(test, 1000);
});

const SLOW = 20 * 60_000;
const loop = { epochs: 3, batchSize: 16, learningRate: 3e-3, seed: 1 };
const decreases = (l: number[]) => expect(l[l.length - 1]!).toBeLessThan(l[0]!);

describe('detector training', () => {
  it(
    'baseline, output KD, FitNet and imitation each lower their loss; the same seed gives the same weights',
    async () => {
      const teacher = buildDetector(DET_STUDENTS[2]!, createRng(1, 'teacher-init'));
      await trainDetector({ ...loop, net: teacher, data, method: { kind: 'baseline' } });
      const methods: DetMethod[] = [
        { kind: 'baseline' },
        { kind: 'output' },
        { kind: 'fitnet', stage: 'stage2' },
        { kind: 'imitation', mask: 'gaussian' },
        { kind: 'imitation', stage: 'head' },
      ];
      for (const method of methods) {
        const net = buildDetector(DET_STUDENTS[3]!, createRng(1, 'student-init'));
        const r = await trainDetector({ ...loop, net, teacher, data, method });
        expect(r.epochLosses.every(Number.isFinite)).toBe(true);
        decreases(r.epochLosses);
        if (method.kind === 'imitation' && method.stage === 'head') {
          const again = buildDetector(DET_STUDENTS[3]!, createRng(1, 'student-init'));
          const r2 = await trainDetector({ ...loop, net: again, teacher, data, method });
          expect(r2.epochLosses).toEqual(r.epochLosses);
          expect(again.weights()).toEqual(net.weights());
          again.dispose();
        }
        net.dispose();
      }
      // Predictions: krs detections that read back from COCO results, agree with themselves, and score a mAP.
      const dets = predictDetections(teacher, held, { categoryIds: SCENE_CATEGORY_IDS, scoreMin: 0.01 });
      expect(dets.length).toBeGreaterThan(0);
      for (const d of dets) {
        expect(SCENE_CATEGORY_IDS).toContain(d.categoryId);
        expect(d.bbox[0]).toBeGreaterThanOrEqual(0);
        expect(d.bbox[0] + d.bbox[2]).toBeLessThanOrEqual(48);
        expect(d.bbox[1] + d.bbox[3]).toBeLessThanOrEqual(48);
      }
      expect(parseCocoResults(cocoResultsJson(dets), 'teacher.json')).toEqual(dets);
      const images = held.ids.map((imageId) => ({
        imageId,
        teacher: dets.filter((d) => d.imageId === imageId),
        student: dets.filter((d) => d.imageId === imageId),
      }));
      expect(detectionAgreement(images, { scoreMin: 0.01 }).aoa).toBe(100);
      const m = cocoMap(groundTruthImages(held), dets);
      expect(m.map50).toBeGreaterThanOrEqual(0);
      expect(m.map50).toBeLessThanOrEqual(100);
      teacher.dispose();
    },
    SLOW,
  );

  it('KD methods without a teacher, or imitation on the 24×24 stage, are BAD_OPTION', async () => {
    const net = buildDetector(DET_STUDENTS[3]!, createRng(1, 'student-init'));
    await expect(trainDetector({ ...loop, net, data, method: { kind: 'output' } })).rejects.toThrow(/missing .*teacher/);
    await expect(trainDetector({ ...loop, net, teacher: net, data, method: { kind: 'imitation', stage: 'stage1' } })).rejects.toThrow(
      /stage on the output grid/,
    );
    net.dispose();
  });
});

describe('segmenter training', () => {
  it(
    'baseline, pixel KD, FitNet and affinity each lower their loss; the same seed gives the same weights',
    async () => {
      const teacher = buildSegmenter(SEG_STUDENTS[2]!, createRng(1, 'teacher-init'));
      await trainSegmenter({ ...loop, net: teacher, data, method: { kind: 'baseline' } });
      const methods: SegMethod[] = [{ kind: 'baseline' }, { kind: 'pixel', temperature: 2 }, { kind: 'fitnet', stage: 'dec2' }, { kind: 'affinity', patch: 2 }];
      for (const method of methods) {
        const net = buildSegmenter(SEG_STUDENTS[3]!, createRng(1, 'student-init'));
        const r = await trainSegmenter({ ...loop, net, teacher, data, method });
        expect(r.epochLosses.every(Number.isFinite)).toBe(true);
        decreases(r.epochLosses);
        if (method.kind === 'affinity') {
          const again = buildSegmenter(SEG_STUDENTS[3]!, createRng(1, 'student-init'));
          const r2 = await trainSegmenter({ ...loop, net: again, teacher, data, method });
          expect(r2.epochLosses).toEqual(r.epochLosses);
          expect(again.weights()).toEqual(net.weights());
          again.dispose();
        }
        net.dispose();
      }
      const maps = predictLabelMaps(teacher, held);
      expect(maps.length).toBe(held.n * 48 * 48);
      expect(Math.max(...maps)).toBeLessThanOrEqual(10);
      const miou = segmentationAgreement(labelMapTensor(held.labels!, held), labelMapTensor(maps, held)).aoa;
      expect(miou).toBeGreaterThanOrEqual(0);
      expect(miou).toBeLessThanOrEqual(100);
      teacher.dispose();
    },
    SLOW,
  );
});

describe('detector training targets (TargetOptions)', () => {
  it(
    'the heatmap radius option reaches the loss; a bad one is a BAD_OPTION before training',
    async () => {
      const run = async (targets?: { minRadius: number }) => {
        const net = buildDetector(DET_STUDENTS[3]!, createRng(1, 'student-init'));
        try {
          return (await trainDetector({ ...loop, epochs: 1, net, data, method: { kind: 'baseline' }, ...(targets ? { targets } : {}) })).epochLosses[0]!;
        } finally {
          net.dispose();
        }
      };
      const plain = await run();
      expect(await run({ minRadius: 0 })).toBe(plain);
      // Wider Gaussians soften the negatives next to each centre: a lower focal loss from the same weights.
      expect(await run({ minRadius: 1 })).toBeLessThan(plain);
      await expect(run({ minRadius: -1 })).rejects.toThrow(/minRadius/);
    },
    SLOW,
  );
});
