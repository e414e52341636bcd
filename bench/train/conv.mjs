#!/usr/bin/env node
/**
 * bench/train — training speed of a LeNet-5-style CNN on MNIST digits on TensorFlow.js's
 * wasm backend (with the training kernels of src/train/wasm-kernels.ts, registered by
 * `initTf()`) against the `cpu` backend (plain JavaScript), in the same invocation.
 *
 *     npm run bench:train                 # = node bench/train/conv.mjs
 *     node bench/train/conv.mjs --batches 20 --batch-size 64 --warmup 2 --profile --json
 *
 * Model (NHWC): conv 6@5×5 'same' + ReLU → maxPool 2 → conv 16@5×5 'valid' + ReLU → maxPool 2
 * → flatten (400) → dense 120 ReLU → dense 84 ReLU → dense 10; softmax cross-entropy, SGD
 * (learning rate 0.05). Data: the digits of the `mnist` package (src/runtime/data/mnist.ts,
 * imported through dist/), batch i = images [i·B, (i+1)·B) of its interleaved order.
 *
 * Both backends start from the same weights (seeded Glorot-uniform, drawn once) and see the
 * same batches. Each makes --warmup untimed steps, then --batches timed steps (a step = forward,
 * backward, SGD update, loss read back); images/s = batches · B / seconds. The final losses are
 * printed as a check that both trained the same network (they drift apart only by float32
 * rounding). --profile prints where each backend's time goes, by kernel (one profiled step).
 */
import '@tensorflow/tfjs-backend-cpu';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureBuild, machineMonitor, option, root } from '../score/common.mjs';

const args = process.argv.slice(2);
const batches = Number(option(args, 'batches', '20'));
const batchSize = Number(option(args, 'batch-size', '64'));
const warmup = Number(option(args, 'warmup', '2'));
const asJson = args.includes('--json');
const profile = args.includes('--profile');
const log = (s) => process.stderr.write(`${s}\n`);
for (const [name, v] of [
  ['batches', batches],
  ['batch-size', batchSize],
  ['warmup', warmup],
]) {
  if (!Number.isInteger(v) || v < (name === 'warmup' ? 0 : 1)) throw new Error(`--${name} must be a positive integer, got ${v}`);
}

ensureBuild(log, [
  ['dist/train/tf.js', 'src/train/tf.ts'],
  ['dist/train/wasm-kernels.js', 'src/train/wasm-kernels.ts'],
  ['dist/runtime/data/mnist.js', 'src/runtime/data/mnist.ts'],
]);
const load = (p) => import(pathToFileURL(join(root, p)).href);
const { initTf, tf, tfl } = await load('dist/train/tf.js');
const { loadMnist } = await load('dist/runtime/data/mnist.js');
await initTf();

const PIXELS = 28 * 28;
const CLASSES = 10;
const { images, labels } = loadMnist();
if ((warmup + batches) * batchSize > labels.length) {
  throw new Error(`--warmup + --batches times --batch-size exceeds the ${labels.length} digits`);
}

function lenet() {
  const relu = 'relu';
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5, padding: 'same', activation: relu }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({ filters: 16, kernelSize: 5, padding: 'valid', activation: relu }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 120, activation: relu }),
      tfl.layers.dense({ units: 84, activation: relu }),
      tfl.layers.dense({ units: CLASSES }),
    ],
  });
}

/** Seeded Glorot-uniform kernels and zero biases for every weight of the model (drawn once). */
function initialWeights(model) {
  let state = 20;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  return model.getWeights().map((w) => {
    const values = new Float32Array(w.size);
    if (w.shape.length > 1) {
      const receptive = w.shape.slice(0, -2).reduce((a, b) => a * b, 1);
      const fanIn = receptive * w.shape.at(-2);
      const fanOut = receptive * w.shape.at(-1);
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < values.length; i++) values[i] = (2 * uniform() - 1) * limit;
    }
    return { shape: w.shape, values };
  });
}

function batchTensors(i) {
  const x = tf.tensor4d(images.subarray(i * batchSize * PIXELS, (i + 1) * batchSize * PIXELS), [batchSize, 28, 28, 1]);
  const y = tf.oneHot(tf.tensor1d(labels.subarray(i * batchSize, (i + 1) * batchSize), 'int32'), CLASSES);
  return { x, y };
}

/** Train on one backend; returns seconds for the timed steps, the last loss and a kernel profile. */
async function trainOn(backend, weights) {
  await tf.setBackend(backend);
  const model = lenet();
  model.setWeights(weights.map((w) => tf.tensor(w.values, w.shape)));
  const optimizer = tf.train.sgd(0.05);
  const vars = model.trainableWeights.map((w) => w.read());
  const step = (i) => {
    const { x, y } = batchTensors(i);
    const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x)), true, vars);
    const value = loss.dataSync()[0];
    tf.dispose([x, y, loss]);
    return value;
  };
  for (let i = 0; i < warmup; i++) step(i);
  let kernels = null;
  if (profile) {
    const info = await tf.profile(() => {
      step(0);
    });
    const byName = new Map();
    for (const k of info.kernels) byName.set(k.name, (byName.get(k.name) ?? 0) + (await k.kernelTimeMs));
    kernels = [...byName.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8);
  }
  const t0 = performance.now();
  let last = Number.NaN;
  for (let i = warmup; i < warmup + batches; i++) last = step(i);
  const seconds = (performance.now() - t0) / 1000;
  model.dispose();
  optimizer.dispose();
  return { seconds, imagesPerSecond: (batches * batchSize) / seconds, lastLoss: last, kernels };
}

await tf.setBackend('wasm');
const weights = tf.tidy(() => initialWeights(lenet()));
const monitor = machineMonitor();
log(`LeNet-5 on MNIST: ${warmup} warm-up + ${batches} timed batches of ${batchSize}, load ${loadavg()[0].toFixed(1)} …`);
const wasm = await trainOn('wasm', weights);
const cpu = await trainOn('cpu', weights);
await tf.setBackend('wasm');
const machine = monitor.stop();

const result = {
  model: 'LeNet-5 (conv 6@5x5 same, pool, conv 16@5x5 valid, pool, fc 120, 84, 10)',
  batches,
  batchSize,
  warmup,
  wasm,
  cpu,
  speedup: wasm.imagesPerSecond / cpu.imagesPerSecond,
  machine,
};
if (asJson) {
  console.log(JSON.stringify(result, null, 2));
} else {
  const line = (name, r) =>
    `${name.padEnd(5)} ${r.imagesPerSecond.toFixed(0).padStart(7)} images/s  (${r.seconds.toFixed(2)} s; last loss ${r.lastLoss.toFixed(4)})`;
  console.log(line('wasm', wasm));
  console.log(line('cpu', cpu));
  console.log(`wasm / cpu: ${result.speedup.toFixed(2)}× the images per second`);
  console.log(
    `machine: load ${machine.loadStart.toFixed(1)} → ${machine.loadEnd.toFixed(1)}` +
      (machine.busyFraction === undefined ? '' : `, CPU ${(100 * machine.busyFraction).toFixed(0)} % busy`),
  );
  if (profile) {
    for (const [name, r] of [
      ['wasm', wasm],
      ['cpu', cpu],
    ]) {
      console.log(`${name} kernels (one step, ms): ${r.kernels.map(([k, ms]) => `${k} ${ms.toFixed(1)}`).join(', ')}`);
    }
  }
}
