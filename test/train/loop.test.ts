import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import { shiftedBatch } from '../../src/train/augment.js';
import { buildCnn, cnnArchitecture, cnnInit } from '../../src/train/cnn/models.js';
import { cnnTrainLoop } from '../../src/train/cnn/train.js';
import { cosineRate, runTrainLoop } from '../../src/train/loop.js';
import { hardLoss } from '../../src/train/losses.js';
import { type MnistSplit, mnistSplit } from '../../src/train/mnist-split.js';
import { buildMlp, glorotInit, mlpArchitecture } from '../../src/train/models.js';
import { recurrentArchitecture } from '../../src/train/regression/config.js';
import { buildRecurrent, recurrentInit } from '../../src/train/regression/models.js';
import { trainSeries } from '../../src/train/regression/train.js';
import { initTf, tf } from '../../src/train/tf.js';
import { trainLoop, trainTensors } from '../../src/train/train.js';
import { expectKrsError } from '../helpers/fixtures.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/train/${name}`, import.meta.url), 'utf8'));
/** test/fixtures/train/make_loop_reference.py: the loop in NumPy from the published formulas. */
const reference = fixture('loop-reference.json') as {
  x: number[][];
  y: number[][];
  w0: number[][];
  orders: number[][];
  learningRate: number;
  batchSize: number;
  epochLosses: number[];
  w: number[][];
};
/**
 * What the three loops the shared one replaced (`trainLoop`, `cnnTrainLoop`, `trainSeries` as
 * of commit a6007cb, each a loop of its own) gave on these tiny networks: the first values and
 * the sum of every weight array, and the epoch losses. The adapters over the shared loop must
 * reproduce them exactly (the demos' and studies' numbers depend on it).
 */
const pins = fixture('loop-pins.json');

type WeightSummary = { n: number; head: number[]; sum: number };
const summary = (ws: Float32Array[]): WeightSummary[] => ws.map((w) => ({ n: w.length, head: Array.from(w.slice(0, 3)), sum: w.reduce((s, v) => s + v, 0) }));

let split: MnistSplit;
beforeAll(async () => {
  await initTf();
  split = mnistSplit(1, 6, 2);
});

describe('runTrainLoop', () => {
  const linear = () => {
    const w = tf.variable(tf.tensor2d(reference.w0), true);
    return { w, net: { forward: (x: tf.Tensor2D) => tf.matMul(x, w), variables: () => [w] } };
  };
  const data = () => ({ x: tf.tensor2d(reference.x), y: tf.tensor2d(reference.y) });

  it('draws the batch orders the reference uses', () => {
    const order = createRng(7, 'loop-order');
    expect([Array.from(order.permutation(5)), Array.from(order.permutation(5))]).toEqual(reference.orders);
  });

  it('matches the NumPy Adam + cosine reference on a linear model (2 epochs, a partial last batch)', async () => {
    const { w, net } = linear();
    const { x, y } = data();
    const batches: number[] = [];
    const losses = await runTrainLoop({
      net,
      n: 5,
      batch: (rows) => {
        const idx = tf.tensor1d(rows, 'int32');
        return { x: tf.gather(x, idx) as tf.Tensor2D, y: tf.gather(y, idx) };
      },
      loss: (out, b) => tf.losses.meanSquaredError(b.y, out) as tf.Scalar,
      epochs: 2,
      batchSize: reference.batchSize,
      learningRate: reference.learningRate,
      order: createRng(7, 'loop-order'),
      onBatch: (p) => batches.push(p.batch),
    });
    expect(batches).toEqual([1, 2, 3, 1, 2, 3]);
    losses.forEach((l, i) => expect(l).toBeCloseTo(reference.epochLosses[i]!, 5));
    const got = w.arraySync();
    got.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(reference.w[i]![j]!, 5)));
    tf.dispose([w, x, y]);
  });

  it('frees every tensor of a step but the variables it trains', async () => {
    const { w, net } = linear();
    const { x, y } = data();
    const before = tf.memory().numTensors;
    await runTrainLoop({
      net,
      n: 5,
      batch: (rows) => ({ x: tf.gather(x, tf.tensor1d(rows, 'int32')) as tf.Tensor2D, y: tf.gather(y, tf.tensor1d(rows, 'int32')) }),
      loss: (out, b) => tf.losses.meanSquaredError(b.y, out) as tf.Scalar,
      epochs: 1,
      batchSize: 2,
      learningRate: 0.1,
      order: createRng(7, 'loop-order'),
    });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([w, x, y]);
  });

  it('refuses a non-finite loss when asked to (UNDEFINED), naming the epoch and batch', async () => {
    const { w, net } = linear();
    const x = tf.tensor2d(reference.x);
    await expectKrsError(
      () =>
        runTrainLoop({
          net,
          n: 5,
          batch: (rows) => ({ x: tf.gather(x, tf.tensor1d(rows, 'int32')) as tf.Tensor2D }),
          loss: (out) => tf.div(tf.sum(out), tf.scalar(0)) as tf.Scalar,
          epochs: 1,
          batchSize: 5,
          learningRate: 0.1,
          order: createRng(7, 'loop-order'),
          requireFinite: true,
        }),
      'UNDEFINED',
      /epoch 1, batch 1/,
    );
    tf.dispose([w, x]);
  });

  it('decays the learning rate by the cosine from lr towards 0', () => {
    expect(cosineRate(0.1, 0, 4)).toBe(0.1);
    expect(cosineRate(0.1, 2, 4)).toBeCloseTo(0.05, 15);
    expect(cosineRate(0.1, 3, 0)).toBe(0.1);
  });
});

describe('the adapters give the weights the loops they replaced gave (2 steps each)', () => {
  it('trainLoop (MLP, with augmentation)', async () => {
    const data = trainTensors(split.train);
    const arch = mlpArchitecture([3]);
    const net = buildMlp(arch, glorotInit(arch, createRng(1, 'pin-init')));
    const losses: number[] = [];
    const aug = createRng(1, 'pin-shift');
    await trainLoop({
      net,
      data,
      loss: (o, b) => hardLoss(o[o.length - 1]!, b.oneHot),
      epochs: 1,
      batchSize: 3,
      learningRate: 0.01,
      order: createRng(1, 'pin-order'),
      inputs: (rows) => shiftedBatch(split.train.x, rows, aug, 2),
      onEpoch: (_e, l) => void losses.push(l),
    });
    expect({ losses, weights: summary(net.weights()) }).toEqual(pins.mlp);
    net.dispose();
    data.dispose();
  });

  it('cnnTrainLoop', async () => {
    const data = trainTensors(split.train);
    const arch = cnnArchitecture([2, 2], [4]);
    const net = buildCnn(arch, cnnInit(arch, createRng(1, 'pin-init')));
    const losses: number[] = [];
    await cnnTrainLoop({
      net,
      data,
      loss: (o, b) => hardLoss(o[o.length - 1] as tf.Tensor2D, b.oneHot),
      epochs: 1,
      batchSize: 3,
      learningRate: 0.01,
      order: createRng(1, 'pin-order'),
      onEpoch: (_e, l) => void losses.push(l),
    });
    expect({ losses, weights: summary(net.weights()) }).toEqual(pins.cnn);
    net.dispose();
    data.dispose();
  });

  it('trainSeries (LSTM, keeping the epoch of lowest validation MSE)', async () => {
    const arch = recurrentArchitecture('lstm', 3, 2);
    const net = buildRecurrent(arch, 5, recurrentInit(arch, 5, createRng(1, 'pin-init')));
    const xs = Float32Array.from({ length: 30 }, (_, i) => Math.sin(i / 3));
    const ys = Float32Array.from({ length: 6 }, (_, i) => Math.cos(i));
    const data = { x: tf.tensor3d(xs, [6, 5, 1]), y: tf.tensor2d(ys, [6, 1]), n: 6 };
    const losses: unknown[] = [];
    const validation = [0.5, 0.25, 0.75];
    let k = 0;
    const kept = await trainSeries({
      net,
      data,
      loss: (o, b) => tf.losses.meanSquaredError(b.y, o[2]!) as tf.Scalar,
      epochs: 3,
      batchSize: 3,
      learningRate: 0.01,
      order: createRng(1, 'pin-order'),
      validate: () => validation[k++]!,
      keepBest: true,
      onEpoch: (e, l, v) => void losses.push([e, l, v]),
    });
    expect({ kept, losses, weights: summary(net.weights()) }).toEqual(pins.series);
    net.dispose();
    tf.dispose([data.x, data.y]);
  });
});
