/**
 * Training speed of the dense networks at 48×48 (not a test; run by hand):
 *
 *     npx tsx bench/train/dense-speed.ts [wasm|cpu] [scenes=256] [det|seg|both]
 *
 * One epoch (batch 32) of each teacher and student on digit scenes, the ½-width student with
 * every KD method; prints images/s of wall time and images per CPU-second (the idle-machine
 * rate of the single-threaded backends when other processes share the cores).
 */
import '@tensorflow/tfjs-backend-cpu';
import { createRng } from '../../src/core/rng.js';
import { sceneDataset } from '../../src/train/dense/data.js';
import { type DetMethod, trainDetector } from '../../src/train/dense/det-train.js';
import { buildDetector, DET_STUDENTS, DET_TEACHER } from '../../src/train/dense/detector.js';
import { type SegMethod, trainSegmenter } from '../../src/train/dense/seg-train.js';
import { buildSegmenter, SEG_STUDENTS, SEG_TEACHER } from '../../src/train/dense/segmenter.js';
import { digitScenes } from '../../src/train/scenes.js';
import { initTf, tf } from '../../src/train/tf.js';

const backend = process.argv[2] ?? 'wasm';
const N = Number(process.argv[3] ?? 256);
if (backend === 'wasm') await initTf();
else await tf.setBackend('cpu');
const { train } = digitScenes({ seed: 1, trainScenes: N, testScenes: 10 });
const data = sceneDataset(train);
const which = process.argv[4] ?? 'both';
async function timed(label: string, params: number, f: () => Promise<{ epochLosses: number[] }>) {
  const c0 = process.cpuUsage();
  const t = performance.now();
  const r = await f();
  const s = (performance.now() - t) / 1000;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  console.log(
    backend,
    label,
    params,
    'params',
    'wall',
    (N / s).toFixed(1),
    'img/s; cpu',
    (N / cpu).toFixed(1),
    'img/cpu-s',
    r.epochLosses.map((v) => v.toFixed(3)).join(' '),
  );
}
if (which !== 'seg') {
  const teacher = buildDetector(DET_TEACHER, createRng(1, 'init'));
  await timed(DET_TEACHER.name, teacher.params, () =>
    trainDetector({ net: teacher, data, method: { kind: 'baseline' }, epochs: 1, batchSize: 32, learningRate: 1e-3, seed: 1 }),
  );
  for (const arch of DET_STUDENTS) {
    const methods: DetMethod[] =
      arch === DET_STUDENTS[1] ? [{ kind: 'baseline' }, { kind: 'output' }, { kind: 'fitnet' }, { kind: 'imitation' }] : [{ kind: 'baseline' }];
    for (const method of methods) {
      const net = buildDetector(arch, createRng(1, 'init'));
      await timed(`${arch.name} ${method.kind}`, net.params, () =>
        trainDetector({ net, teacher, data, method, epochs: 1, batchSize: 32, learningRate: 1e-3, seed: 1 }),
      );
      net.dispose();
    }
  }
}
if (which !== 'det') {
  const teacher = buildSegmenter(SEG_TEACHER, createRng(1, 'init'));
  await timed(SEG_TEACHER.name, teacher.params, () =>
    trainSegmenter({ net: teacher, data, method: { kind: 'baseline' }, epochs: 1, batchSize: 32, learningRate: 1e-3, seed: 1 }),
  );
  for (const arch of SEG_STUDENTS) {
    const methods: SegMethod[] =
      arch === SEG_STUDENTS[1] ? [{ kind: 'baseline' }, { kind: 'pixel' }, { kind: 'fitnet' }, { kind: 'affinity' }] : [{ kind: 'baseline' }];
    for (const method of methods) {
      const net = buildSegmenter(arch, createRng(1, 'init'));
      await timed(`${arch.name} ${method.kind}`, net.params, () =>
        trainSegmenter({ net, teacher, data, method, epochs: 1, batchSize: 32, learningRate: 1e-3, seed: 1 }),
      );
      net.dispose();
    }
  }
}
