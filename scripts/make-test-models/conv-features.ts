/**
 * The fixed (not trained) convolution filters of the test CNNs, and the features they give
 * on 28×28 digits, computed here exactly as the ONNX graph computes them (so that a
 * classifier head can be trained on them with TensorFlow.js, whose wasm backend cannot train
 * convolutions).
 *
 * Layout is NCHW throughout and features are flattened channel-major, c·H·W + y·W + x,
 * which is what ONNX Reshape/Flatten of an [N, C, H, W] tensor gives.
 */

/** Four 3×3 filters, [4, 1, 3, 3]: Sobel x, −Sobel x, Sobel y, −Sobel y, each divided by 4 (so a unit step gives 1). After ReLU they keep edges of each polarity and direction. */
export const SOBEL_FILTERS = Float32Array.from(
  [
    [-1, 0, 1, -2, 0, 2, -1, 0, 1],
    [1, 0, -1, 2, 0, -2, 1, 0, -1],
    [-1, -2, -1, 0, 0, 0, 1, 2, 1],
    [1, 2, 1, 0, 0, 0, -1, -2, -1],
  ].flatMap((f) => f.map((v) => v / 4)),
);

/** Four 3×3 filters, [4, 1, 3, 3]: a 3×3 box blur, a (negated) Laplacian, and the two diagonal edges. */
export const MIXED_FILTERS = Float32Array.from(
  [
    [1 / 9, 1 / 9, 1 / 9, 1 / 9, 1 / 9, 1 / 9, 1 / 9, 1 / 9, 1 / 9],
    [0, -1 / 4, 0, -1 / 4, 1, -1 / 4, 0, -1 / 4, 0],
    [0, 1 / 2, 1 / 2, -1 / 2, 0, 1 / 2, -1 / 2, -1 / 2, 0],
    [1 / 2, 1 / 2, 0, 1 / 2, 0, -1 / 2, 0, -1 / 2, -1 / 2],
  ].flat(),
);

export interface ConvShape {
  /** Output channels (filters); input has one channel. */
  channels: number;
  /** Square kernel size. */
  kernel: number;
  stride: number;
  /** Zero padding on every side. */
  pad: number;
  /** Max-pooling window (and stride) after the ReLU; 1 for none. */
  pool: number;
}

/** Side of the feature map: ⌊(28 + 2·pad − kernel) / stride⌋ + 1, then ⌊· / pool⌋. */
export function featureSide(s: ConvShape, side = 28): number {
  return Math.floor(Math.floor((side + 2 * s.pad - s.kernel) / s.stride + 1) / s.pool);
}

/**
 * maxpool(relu(conv(x, w) + b)) for `n` single-channel 28×28 images, flattened per sample to
 * channels·side² floats. Sums run in float64, then round to float32 (ONNX Runtime sums in
 * float32 in its own order: the two differ by rounding only).
 */
export function convFeatures(images: Float32Array, n: number, weights: Float32Array, bias: Float32Array, s: ConvShape): Float32Array {
  const side = 28;
  const convSide = Math.floor((side + 2 * s.pad - s.kernel) / s.stride + 1);
  const out = featureSide(s);
  const per = s.channels * out * out;
  const features = new Float32Array(n * per);
  const map = new Float64Array(convSide * convSide);
  for (let i = 0; i < n; i++) {
    const img = images.subarray(i * side * side, (i + 1) * side * side);
    for (let c = 0; c < s.channels; c++) {
      const w = weights.subarray(c * s.kernel * s.kernel, (c + 1) * s.kernel * s.kernel);
      for (let oy = 0; oy < convSide; oy++) {
        for (let ox = 0; ox < convSide; ox++) {
          let sum = bias[c]!;
          for (let ky = 0; ky < s.kernel; ky++) {
            const y = oy * s.stride - s.pad + ky;
            if (y < 0 || y >= side) continue;
            for (let kx = 0; kx < s.kernel; kx++) {
              const x = ox * s.stride - s.pad + kx;
              if (x >= 0 && x < side) sum += w[ky * s.kernel + kx]! * img[y * side + x]!;
            }
          }
          map[oy * convSide + ox] = Math.max(0, sum);
        }
      }
      const base = i * per + c * out * out;
      for (let py = 0; py < out; py++) {
        for (let px = 0; px < out; px++) {
          let m = 0;
          for (let dy = 0; dy < s.pool; dy++) for (let dx = 0; dx < s.pool; dx++) m = Math.max(m, map[(py * s.pool + dy) * convSide + px * s.pool + dx]!);
          features[base + py * out + px] = m;
        }
      }
    }
  }
  return features;
}
