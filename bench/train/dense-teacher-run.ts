/**
 * A short teacher run (not a test; run by hand), reporting per-epoch loss and time and the
 * held-out metric (300 held-out scenes): mAP@0.5 and mAP@[.5:.95] (src/train/coco-map.ts) for
 * the detector, mIoU (segmentationAgreement against the ground-truth maps) for the segmenter.
 *
 *     npx tsx bench/train/dense-teacher-run.ts det|seg [scenes=1000] [epochs=4] [lr=2e-3]
 */

import { segmentationAgreement } from '../../src/agreement/segmentation.js';
import { createRng } from '../../src/core/rng.js';
import { cocoMap } from '../../src/train/coco-map.js';
import { groundTruthImages, SCENE_CATEGORY_IDS, sceneDataset } from '../../src/train/dense/data.js';
import { predictDetections, trainDetector } from '../../src/train/dense/det-train.js';
import { buildDetector, DET_TEACHER } from '../../src/train/dense/detector.js';
import { labelMapTensor, predictLabelMaps, trainSegmenter } from '../../src/train/dense/seg-train.js';
import { buildSegmenter, SEG_TEACHER } from '../../src/train/dense/segmenter.js';
import { digitScenes } from '../../src/train/scenes.js';
import { initTf } from '../../src/train/tf.js';

const which = process.argv[2]!;
const N = Number(process.argv[3] ?? 1000);
const E = Number(process.argv[4] ?? 4);
const lr = Number(process.argv[5] ?? 2e-3);
await initTf();
const { train, test } = digitScenes({ seed: 1, trainScenes: N, testScenes: 300 });
const data = sceneDataset(train);
const held = sceneDataset(test, 100000);
const c0 = process.cpuUsage();
const t0 = performance.now();
const report = (epoch: number, loss: number) => {
  const c = process.cpuUsage(c0);
  console.log(
    which,
    'epoch',
    epoch,
    'loss',
    loss.toFixed(4),
    'wall',
    ((performance.now() - t0) / 1000).toFixed(0),
    's cpu',
    ((c.user + c.system) / 1e6).toFixed(0),
    's',
  );
};
if (which === 'det') {
  const net = buildDetector(DET_TEACHER, createRng(1, 'teacher-init'));
  await trainDetector({ net, data, method: { kind: 'baseline' }, epochs: E, batchSize: 32, learningRate: lr, seed: 1, onEpoch: report });
  const dets = predictDetections(net, held, { categoryIds: SCENE_CATEGORY_IDS, topK: 20, scoreMin: 0.01 });
  const m = cocoMap(groundTruthImages(held), dets);
  console.log(
    'det teacher',
    DET_TEACHER.name,
    `N=${N} E=${E} lr=${lr}`,
    'mAP@0.5',
    m.map50.toFixed(2),
    'mAP@[.5:.95]',
    m.map.toFixed(2),
    'dets',
    dets.length,
    'above 0.5:',
    dets.filter((d) => d.score >= 0.5).length,
    'gt',
    held.objects!.flat().length,
  );
} else {
  const net = buildSegmenter(SEG_TEACHER, createRng(1, 'teacher-init'));
  await trainSegmenter({ net, data, method: { kind: 'baseline' }, epochs: E, batchSize: 32, learningRate: lr, seed: 1, onEpoch: report });
  const pred = predictLabelMaps(net, held);
  const r = segmentationAgreement(labelMapTensor(held.labels!, held), labelMapTensor(pred, held));
  let correct = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === held.labels![i]) correct++;
  console.log('seg teacher', SEG_TEACHER.name, `N=${N} E=${E} lr=${lr}`, 'mIoU', r.aoa.toFixed(2), 'pixel acc', ((100 * correct) / pred.length).toFixed(2));
}
