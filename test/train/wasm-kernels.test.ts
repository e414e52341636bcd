/**
 * The kernels src/train/wasm-kernels.ts adds to the wasm backend, against the `cpu` backend's.
 *
 * Tolerance rule. Each output value of these kernels is a float32 sum of products, and the
 * two backends add the terms in different orders. The rounding error of such a sum is bounded
 * relative to Σ|terms|, not to |Σ terms| (which cancellation can make arbitrarily small), so a
 * value passes when
 *
 *     |wasm − cpu| ≤ 1e-5 · A,   A = the same kernel on cpu applied to |inputs| (= Σ|terms|).
 *
 * A ≥ |cpu| always, with equality when the terms share a sign — so this is exactly 1e-5
 * relative there, and never looser than 1e-5 of the magnitudes that went into the value.
 * Where A = 0 (no terms, or all zero) both sides must be exactly 0.
 *
 * Through `tf.grad` of a whole conv net the terms are not available, so there a value passes
 * when |wasm − cpu| ≤ 1e-5 · (|cpu| + max|cpu|), max over the gradient tensor: 1e-5
 * relative, plus an absolute floor of 1e-5 of the tensor's scale for values near zero.
 */
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng, type Rng } from '../../src/core/rng.js';
import { initTf, tf } from '../../src/train/tf.js';
import { setPatchChunkValues, WASM_TRAINING_KERNELS } from '../../src/train/wasm-kernels.js';

beforeAll(() => initTf());

const RTOL = 1e-5;
type Pad = 'same' | 'valid' | number;
type Data = { shape: number[]; values: Float32Array | Int32Array; dtype: 'float32' | 'int32' };

function random(rng: Rng, shape: number[]): Data {
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i++) values[i] = 2 * rng.next() - 1;
  return { shape, values, dtype: 'float32' };
}
const abs = (d: Data): Data => ({ ...d, values: d.values.map(Math.abs) as Float32Array });

/** Run one kernel on a backend from plain arrays; returns its output's values and shape. */
async function runKernel(
  backend: 'wasm' | 'cpu',
  name: string,
  inputs: Record<string, Data>,
  attrs: Record<string, unknown>,
): Promise<{ shape: number[]; values: Float32Array }> {
  await tf.setBackend(backend);
  try {
    const tensors = Object.fromEntries(Object.entries(inputs).map(([k, d]) => [k, tf.tensor(d.values, d.shape, d.dtype)]));
    const out = tf.engine().runKernel(name, tensors, attrs as tf.NamedAttrMap) as tf.Tensor;
    const result = { shape: out.shape, values: Float32Array.from(out.dataSync()) };
    tf.dispose([out, ...Object.values(tensors)]);
    return result;
  } finally {
    await tf.setBackend('wasm');
  }
}

/** Worst |wasm − cpu| / (1e-5 · A) over the output (≤ 1 passes), after checking shapes agree. */
async function compareKernel(name: string, inputs: Record<string, Data>, absInputs: Record<string, Data>, attrs: Record<string, unknown>) {
  const wasm = await runKernel('wasm', name, inputs, attrs);
  const cpu = await runKernel('cpu', name, inputs, attrs);
  const bound = await runKernel('cpu', name, absInputs, attrs);
  expect(wasm.shape).toEqual(cpu.shape);
  let worst = 0;
  for (let i = 0; i < cpu.values.length; i++) {
    const err = Math.abs(wasm.values[i]! - cpu.values[i]!);
    const tol = RTOL * bound.values[i]!;
    if (tol === 0) expect(wasm.values[i]).toBe(0);
    else worst = Math.max(worst, err / tol);
  }
  expect(Number.isFinite(worst)).toBe(true);
  return worst;
}

interface ConvCase {
  b: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  kh: number;
  kw: number;
  strides: [number, number];
  pad: Pad;
  dataFormat: 'NHWC' | 'NCHW';
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)]!;
}

/** Output size of a convolution in tfjs's rules (same: ceil(n/s); valid: ceil((n−k+1)/s); number p: trunc((n−k+2p)/s + 1)). */
function outSize(n: number, k: number, s: number, pad: Pad): number {
  if (pad === 'same') return Math.ceil(n / s);
  if (pad === 'valid') return Math.ceil((n - k + 1) / s);
  return Math.trunc((n - k + 2 * pad) / s + 1);
}

function randomConvCase(rng: Rng, channelsMultiplier?: number): ConvCase {
  for (;;) {
    const c: ConvCase = {
      b: pick(rng, [1, 2, 3]),
      h: 1 + rng.int(12),
      w: 1 + rng.int(12),
      ci: pick(rng, [1, 2, 3, 5, 8]),
      co: pick(rng, [1, 3, 4, 7]),
      kh: pick(rng, [1, 2, 3, 5]),
      kw: pick(rng, [1, 2, 3, 5]),
      strides: [pick(rng, [1, 2, 3]), pick(rng, [1, 2, 3])],
      pad: pick(rng, ['same', 'valid', 0, 1, 2] as const),
      dataFormat: channelsMultiplier === undefined ? pick(rng, ['NHWC', 'NHWC', 'NCHW'] as const) : 'NHWC',
    };
    if (channelsMultiplier !== undefined) c.co = c.ci * channelsMultiplier;
    // tfjs-core 4.22's computeConv2DInfo sizes a numeric padding's output width with the
    // filter height and stride height (so cpu itself fails otherwise): square ones only.
    if (typeof c.pad === 'number') {
      c.kw = c.kh;
      c.strides[1] = c.strides[0];
    }
    const oh = outSize(c.h, c.kh, c.strides[0], c.pad);
    const ow = outSize(c.w, c.kw, c.strides[1], c.pad);
    if (oh >= 1 && ow >= 1) return c;
  }
}

function nhwcToFormat(c: ConvCase, [n, h, w, ch]: number[]): number[] {
  return c.dataFormat === 'NHWC' ? [n!, h!, w!, ch!] : [n!, ch!, h!, w!];
}
function convShapes(c: ConvCase) {
  const oh = outSize(c.h, c.kh, c.strides[0], c.pad);
  const ow = outSize(c.w, c.kw, c.strides[1], c.pad);
  return { x: nhwcToFormat(c, [c.b, c.h, c.w, c.ci]), dy: nhwcToFormat(c, [c.b, oh, ow, c.co]) };
}
const describeCase = (c: ConvCase) => `b${c.b} ${c.h}×${c.w}×${c.ci}→${c.co} k${c.kh}×${c.kw} s${c.strides.join('×')} pad ${c.pad} ${c.dataFormat}`;

describe('wasm training kernels are registered', () => {
  it('initTf registers every kernel of WASM_TRAINING_KERNELS for wasm', () => {
    for (const name of WASM_TRAINING_KERNELS) expect(tf.getKernel(name, 'wasm'), name).toBeDefined();
  });
});

describe('Conv2DBackpropFilter on wasm matches cpu', () => {
  const rng = createRng(20, 'wasm-kernels/conv2d-filter');
  const cases = Array.from({ length: 40 }, () => randomConvCase(rng));
  // Named shapes the studies use: LeNet's two convolutions, a strided 'same' conv and a 1×1 conv.
  cases.push(
    { b: 4, h: 28, w: 28, ci: 1, co: 6, kh: 5, kw: 5, strides: [1, 1], pad: 'valid', dataFormat: 'NHWC' },
    { b: 4, h: 12, w: 12, ci: 6, co: 16, kh: 5, kw: 5, strides: [1, 1], pad: 'valid', dataFormat: 'NHWC' },
    { b: 2, h: 9, w: 9, ci: 4, co: 8, kh: 3, kw: 3, strides: [2, 2], pad: 'same', dataFormat: 'NHWC' },
    { b: 3, h: 7, w: 5, ci: 8, co: 4, kh: 1, kw: 1, strides: [1, 1], pad: 'valid', dataFormat: 'NHWC' },
  );
  it.each(cases.map((c) => [describeCase(c), c] as const))('%s', async (_label, c) => {
    const shapes = convShapes(c);
    const x = random(rng, shapes.x);
    const dy = random(rng, shapes.dy);
    const attrs = { strides: c.strides, pad: c.pad, dataFormat: c.dataFormat, filterShape: [c.kh, c.kw, c.ci, c.co] };
    expect(await compareKernel('Conv2DBackpropFilter', { x, dy }, { x: abs(x), dy: abs(dy) }, attrs)).toBeLessThanOrEqual(1);
  });

  it('sums the patch products chunk by chunk when the patches exceed the chunk size', async () => {
    const previous = setPatchChunkValues(200); // 150 patch values a row: one row per chunk
    try {
      const c: ConvCase = { b: 2, h: 7, w: 6, ci: 6, co: 5, kh: 5, kw: 5, strides: [1, 1], pad: 'same', dataFormat: 'NHWC' };
      const shapes = convShapes(c);
      const x = random(rng, shapes.x);
      const dy = random(rng, shapes.dy);
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: c.dataFormat, filterShape: [c.kh, c.kw, c.ci, c.co] };
      expect(await compareKernel('Conv2DBackpropFilter', { x, dy }, { x: abs(x), dy: abs(dy) }, attrs)).toBeLessThanOrEqual(1);
      setPatchChunkValues(150 * 17); // 17 rows a chunk: 84 rows = 4 full chunks and a partial one
      expect(await compareKernel('Conv2DBackpropFilter', { x, dy }, { x: abs(x), dy: abs(dy) }, attrs)).toBeLessThanOrEqual(1);
    } finally {
      setPatchChunkValues(previous);
    }
  });
});

describe('depthwise convolution gradients on wasm match cpu', () => {
  const rng = createRng(20, 'wasm-kernels/depthwise');
  const cases = Array.from({ length: 16 }, (_, i) => randomConvCase(rng, 1 + (i % 2)));
  it.each(cases.map((c) => [describeCase(c), c] as const))('%s', async (_label, c) => {
    const shapes = convShapes(c);
    const x = random(rng, shapes.x);
    const dy = random(rng, shapes.dy);
    const filter = random(rng, [c.kh, c.kw, c.ci, c.co / c.ci]);
    const common = { strides: c.strides, pad: c.pad, dilations: 1 };
    const filterAttrs = { ...common, filterShape: filter.shape };
    const inputAttrs = { ...common, inputShape: x.shape };
    expect(await compareKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { x: abs(x), dy: abs(dy) }, filterAttrs)).toBeLessThanOrEqual(1);
    expect(await compareKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter }, { dy: abs(dy), filter: abs(filter) }, inputAttrs)).toBeLessThanOrEqual(1);
  });
});

describe('UnsortedSegmentSum on wasm matches cpu', () => {
  const rng = createRng(20, 'wasm-kernels/segment-sum');
  it.each([
    [1, [5], 3],
    [2, [7, 4], 5],
    [3, [9, 2, 3], 4],
    [4, [6, 1], 1],
  ] as const)('case %i: x %j, %i segments, ids including out-of-range ones', async (_i, shape, numSegments) => {
    const x = random(rng, [...shape]);
    const ids = Int32Array.from({ length: shape[0] }, () => rng.int(numSegments + 2) - 1);
    const segmentIds: Data = { shape: [shape[0]], values: ids, dtype: 'int32' };
    const attrs = { numSegments };
    expect(await compareKernel('UnsortedSegmentSum', { x, segmentIds }, { x: abs(x), segmentIds }, attrs)).toBeLessThanOrEqual(1);
  });

  it('sums int32 values exactly', async () => {
    const x: Data = { shape: [4, 2], values: Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), dtype: 'int32' };
    const segmentIds: Data = { shape: [4], values: Int32Array.from([1, 0, 1, 3]), dtype: 'int32' };
    const wasm = await runKernel('wasm', 'UnsortedSegmentSum', { x, segmentIds }, { numSegments: 3 });
    expect(Array.from(wasm.values)).toEqual([3, 4, 1 + 5, 2 + 6, 0, 0]);
  });
});

/** Parameters of the small conv net below, as plain arrays (the same on both backends). */
function netParams(rng: Rng): Record<string, Data> {
  return {
    w1: random(rng, [3, 3, 3, 4]),
    b1: random(rng, [4]),
    w2: random(rng, [3, 3, 4, 6]),
    wd: random(rng, [2, 2, 6, 2]),
    w3: random(rng, [1, 1, 12, 5]),
    wt: random(rng, [2, 2, 4, 5]),
    emb: random(rng, [10, 16]),
    wf: random(rng, [16, 10]),
    bf: random(rng, [10]),
  };
}

/**
 * A loss through every op the coming studies need: conv2d (stride 1 'same', stride 2
 * 'valid', 1×1), depthwise conv, maxPool, avgPool, conv2dTranspose, resizeBilinear,
 * resizeNearestNeighbor, concat, slice, pad, gather, layer norm (moments), batch matMul,
 * sigmoid, relu and log-softmax cross-entropy.
 */
function netLoss(p: Record<string, tf.Tensor>, x: tf.Tensor4D, labels: tf.Tensor1D): tf.Scalar {
  const c1 = tf.relu(tf.add(tf.conv2d(x, p.w1 as tf.Tensor4D, 1, 'same'), p.b1!)) as tf.Tensor4D; // [2,9,9,4]
  const p1 = tf.maxPool(c1, 2, 2, 'same'); // [2,5,5,4]
  const c2 = tf.relu(tf.conv2d(p1, p.w2 as tf.Tensor4D, 2, 'valid')); // [2,2,2,6]
  const d = tf.sigmoid(tf.depthwiseConv2d(c2, p.wd as tf.Tensor4D, 1, 'same')); // [2,2,2,12]
  const c3 = tf.conv2d(d, p.w3 as tf.Tensor4D, 1, 'valid'); // [2,2,2,5]
  const up = tf.conv2dTranspose(c3, p.wt as tf.Tensor4D, [2, 4, 4, 4], 2, 'same'); // [2,4,4,4]
  const bil = tf.image.resizeBilinear(up, [7, 7]); // [2,7,7,4]
  const near = tf.image.resizeNearestNeighbor(
    tf.pad(up, [
      [0, 0],
      [1, 2],
      [0, 3],
      [0, 0],
    ]) as tf.Tensor4D,
    [7, 7],
  );
  const both = tf.concat([bil, tf.slice(near as tf.Tensor4D, [0, 0, 0, 0], [2, 7, 7, 4])], 3); // [2,7,7,8]
  const pooled = tf.avgPool(both, 3, 3, 'valid'); // [2,2,2,8]
  const flat = tf.reshape(pooled, [2, 32]);
  const h = tf.add(tf.slice(flat, [0, 0], [2, 16]), tf.gather(p.emb!, labels)); // [2,16]
  const { mean, variance } = tf.moments(h, -1, true);
  const normed = tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, 1e-5)));
  const logits = tf.add(tf.matMul(tf.reshape(normed, [2, 1, 16]), tf.stack([p.wf!, p.wf!])), p.bf!); // batch matmul
  const logp = tf.logSoftmax(tf.reshape(logits, [2, 10]));
  return tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(labels, 10), logp), 1))) as tf.Scalar;
}

async function netGradients(backend: 'wasm' | 'cpu', params: Record<string, Data>, x: Data, labels: Int32Array) {
  await tf.setBackend(backend);
  try {
    return tf.tidy(() => {
      const names = Object.keys(params);
      const tensors = names.map((k) => tf.tensor(params[k]!.values, params[k]!.shape));
      const xt = tf.tensor4d(x.values, x.shape as [number, number, number, number]);
      const lt = tf.tensor1d(labels, 'int32');
      const grads = tf.grads((...ts: tf.Tensor[]) => netLoss(Object.fromEntries(names.map((k, i) => [k, ts[i]!])), xt, lt))(tensors);
      return Object.fromEntries(names.map((k, i) => [k, Float32Array.from(grads[i]!.dataSync())]));
    });
  } finally {
    await tf.setBackend('wasm');
  }
}

describe('tf.grad of a conv net on wasm matches cpu', () => {
  it.each([1, 2, 3])('seed %i: every parameter gradient within 1e-5 · (|cpu| + max|cpu|)', async (seed) => {
    const rng = createRng(seed, 'wasm-kernels/net');
    const params = netParams(rng);
    const x = random(rng, [2, 9, 9, 3]);
    const labels = Int32Array.from([rng.int(10), rng.int(10)]);
    const wasm = await netGradients('wasm', params, x, labels);
    const cpu = await netGradients('cpu', params, x, labels);
    for (const name of Object.keys(params)) {
      const c = cpu[name]!;
      const w = wasm[name]!;
      const scale = c.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expect(scale, `${name}: a zero gradient tests nothing`).toBeGreaterThan(0);
      let worst = 0;
      for (let i = 0; i < c.length; i++) worst = Math.max(worst, Math.abs(w[i]! - c[i]!) / (RTOL * (Math.abs(c[i]!) + scale)));
      expect(worst, name).toBeLessThanOrEqual(1);
    }
  });
});
