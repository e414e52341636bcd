/**
 * A segmentation teacher run (not a test; run by hand): per-epoch loss, CPU seconds, and the
 * held-out mIoU (segmentationAgreement of the predictions against the ground-truth maps, 300
 * held-out scenes) with the per-class IoU — for the one-variable-at-a-time measurements behind
 * the segmentation study's settings (docs/studies.md §"Segmentation study").
 *
 *     npx tsx bench/train/seg-teacher-run.ts scenes=1000 epochs=4 lr=2e-3 widths=8-16-32 power=0 batch=32
 */
import { segmentationAgreement } from '../../src/agreement/segmentation.js';
import { createRng } from '../../src/core/rng.js';
import { sceneDataset } from '../../src/train/dense/data.js';
import { medianFrequencyWeights } from '../../src/train/dense/seg-losses.js';
import { labelMapTensor, predictLabelMaps, trainSegmenter } from '../../src/train/dense/seg-train.js';
import { buildSegmenter, SEG_CLASSES, segmenterArchitecture } from '../../src/train/dense/segmenter.js';
import { digitScenes } from '../../src/train/scenes.js';
import { initTf } from '../../src/train/tf.js';

const arg = Object.fromEntries(process.argv.slice(2).map((a) => a.split('=') as [string, string]));
const N = Number(arg.scenes ?? 1000);
const E = Number(arg.epochs ?? 4);
const lr = Number(arg.lr ?? 2e-3);
const batch = Number(arg.batch ?? 32);
const power = Number(arg.power ?? 0);
const widths = (arg.widths ?? '8-16-32').split('-').map(Number) as [number, number, number];
await initTf();
const { train, test } = digitScenes({ seed: 1, trainScenes: N, testScenes: 300 });
const data = sceneDataset(train);
const held = sceneDataset(test, 100000);
const arch = segmenterArchitecture(widths);
const net = buildSegmenter(arch, createRng(1, 'teacher-init'));
const classWeights = power > 0 ? medianFrequencyWeights(train.labels, SEG_CLASSES, power) : undefined;
const tag = `${arch.name} params=${net.params} N=${N} E=${E} lr=${lr} batch=${batch} power=${power}`;
console.log(tag, 'weights', classWeights?.map((w) => w.toFixed(3)).join(' ') ?? 'none');
const c0 = process.cpuUsage();
const t0 = performance.now();
const cpu = () => {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
};
await trainSegmenter({
  net,
  data,
  method: { kind: 'baseline' },
  epochs: E,
  batchSize: batch,
  learningRate: lr,
  seed: 1,
  ...(classWeights ? { classWeights } : {}),
  onEpoch: (epoch, loss) =>
    console.log('epoch', epoch, 'loss', loss.toFixed(4), 'wall', ((performance.now() - t0) / 1000).toFixed(0), 's cpu', cpu().toFixed(0), 's'),
});
const pred = predictLabelMaps(net, held);
const r = segmentationAgreement(labelMapTensor(held.labels!, held), labelMapTensor(pred, held));
let correct = 0;
for (let i = 0; i < pred.length; i++) if (pred[i] === held.labels![i]) correct++;
const iou = Object.entries(r.perClassIou)
  .map(([k, v]) => `${k}:${(100 * v).toFixed(0)}`)
  .join(' ');
console.log('RESULT', tag, 'mIoU', r.aoa.toFixed(2), 'pixacc', ((100 * correct) / pred.length).toFixed(2), 'cpu', cpu().toFixed(0), 'iou', iou);
