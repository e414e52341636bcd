/**
 * Tuning runs of the detection study's detector (not a test; run by hand): trains one
 * detector on the ground truth and reports per-epoch loss and CPU time and the held-out
 * mAP@0.5 / mAP@[.5:.95] (400 held-out scenes of seed 1, as the study's), and how many
 * detections pass the AOA score thresholds. Settings from the environment:
 *
 *     N=2000 E=8 LR=2e-3 BS=32 MINR=0 RIOU=0.7 ARCH=16-32-48-h48 npx tsx bench/train/det-tune.ts
 */

import { createRng } from '../../src/core/rng.js';
import { cocoMap } from '../../src/train/coco-map.js';
import { groundTruthImages, SCENE_CATEGORY_IDS, sceneDataset } from '../../src/train/dense/data.js';
import { predictDetections, trainDetector } from '../../src/train/dense/det-train.js';
import { buildDetector, detectorArchitecture } from '../../src/train/dense/detector.js';
import { digitScenes } from '../../src/train/scenes.js';
import { initTf } from '../../src/train/tf.js';

const env = (k: string, d: string) => process.env[k] ?? d;
const N = Number(env('N', '2000'));
const E = Number(env('E', '8'));
const lr = Number(env('LR', '2e-3'));
const bs = Number(env('BS', '32'));
const minRadius = Number(env('MINR', '0'));
const radiusIou = Number(env('RIOU', '0.7'));
const [w, h] = env('ARCH', '16-32-48-h48').split('-h');
const arch = detectorArchitecture(w!.split('-').map(Number) as [number, number, number], Number(h));
await initTf();
const { train, test } = digitScenes({ seed: 1, trainScenes: N, testScenes: 400 });
const data = sceneDataset(train);
const held = sceneDataset(test, 1);
const tag = `${arch.name} N=${N} E=${E} lr=${lr} bs=${bs} minR=${minRadius} rIoU=${radiusIou}`;
const c0 = process.cpuUsage();
const cpu = () => ((process.cpuUsage(c0).user + process.cpuUsage(c0).system) / 1e6).toFixed(0);
const net = buildDetector(arch, createRng(1, 'det-teacher-init'));
const evaluate = () => {
  const dets = predictDetections(net, held, { categoryIds: SCENE_CATEGORY_IDS, topK: 20, scoreMin: 0.01 });
  const m = cocoMap(groundTruthImages(held), dets);
  const above = (t: number) => dets.filter((d) => d.score >= t).length;
  return `mAP@0.5 ${m.map50.toFixed(2)} mAP ${m.map.toFixed(2)} ≥0.3: ${above(0.3)} ≥0.5: ${above(0.5)} gt ${held.objects!.flat().length}`;
};
await trainDetector({
  net,
  data,
  method: { kind: 'baseline' },
  epochs: E,
  batchSize: bs,
  learningRate: lr,
  seed: 1,
  targets: { minRadius, radiusIou },
  onEpoch: (e, loss) => console.log(tag, 'epoch', e, 'loss', loss.toFixed(4), 'cpu', cpu(), ...(process.env.EVAL_EACH ? [evaluate()] : [])),
});
console.log('RESULT', tag, 'params', net.params, evaluate(), 'train cpu', cpu());
