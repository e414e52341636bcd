/**
 * Node-only: the training kernels that `@tensorflow/tfjs-backend-wasm` 4.22 lacks, registered
 * for the `wasm` backend by {@link registerWasmTrainingKernels} (called once by `initTf()`).
 *
 * ## Audit (tfjs-core 4.22 gradients on tfjs-backend-wasm 4.22)
 * Every op below was run forward and through `tf.grad` on `wasm`; `tf.getKernel(name, 'wasm')`
 * names what exists. All forward kernels exist. Gradient kernels:
 *
 * | op (forward kernel) | its gradient needs | on wasm |
 * |---|---|---|
 * | conv2d, 1×1 conv, fused conv2d (`Conv2D`, `FusedConv2D`) | `Conv2DBackpropInput`, `Conv2DBackpropFilter` | input: yes; **filter: missing → added** |
 * | conv2dTranspose (`Conv2DBackpropInput`) | `Conv2D`, `Conv2DBackpropFilter` | **filter: missing → added** |
 * | depthwiseConv2d (`DepthwiseConv2dNative`) | `DepthwiseConv2dNativeBackpropInput`, `…Filter` | **both missing → added** |
 * | maxPool, avgPool | `MaxPoolGrad`, `AvgPoolGrad` | yes |
 * | resizeNearestNeighbor, resizeBilinear | `ResizeNearestNeighborGrad`, `ResizeBilinearGrad` | yes |
 * | gather (`GatherV2`) | `UnsortedSegmentSum` (+ reshape, transpose) | **missing → added** |
 * | matMul, fused matMul (`BatchMatMul`, `_FusedMatMul`) | `BatchMatMul`, `Sum`, `Step`, `Multiply` | yes |
 * | softmax, logSoftmax (composite), sigmoid, relu | `Multiply`, `Sum`, `Sub`, `Exp`, `Step` | yes |
 * | mean / variance / moments (layer norm) | `Mean`, `Sum`, `Sub`, `Multiply`, `RealDiv`, `Sqrt`, `Tile` | yes |
 * | concat, slice, pad, mirrorPad, stack, tile | `SplitV`/`Slice`, `PadV2`, `Slice`, `Unpack`, `Sum` | yes |
 *
 * Not fixable here (tfjs-core itself, on any backend): `stridedSlice` has no gradient;
 * `batchNorm` without `offset` and `scale` fails in its gradient (pass both, or write it out);
 * gradients of dilated convolutions (dilation > 1) are rejected. Outside the list: `einsum` has
 * no wasm kernel (nor a gradient).
 *
 * ## The added kernels
 * - `Conv2DBackpropFilter`: dW[kh,kw,ci,co] = Σ_{b,oh,ow} x[b, oh·sh − top + kh, ow·sw − left + kw, ci]
 *   · dy[b,oh,ow,co] (x read as 0 outside the image). Computed as an im2col product: the
 *   patches Pᵀ [kh·kw·ci, rows] are written into the wasm heap, then multiplied by dy [rows, co]
 *   with the backend's own `BatchMatMul` (XNNPACK), in chunks of whole images holding at most
 *   2²² patch values (16 MiB; at least one image) whose products are summed. NCHW tensors are
 *   transposed to NHWC first (wasm `Transpose`).
 *   Any padding (`same`, `valid`, a number, explicit) and rounding mode works, since only
 *   `computeConv2DInfo`'s top/left padding and dy's size enter the formula.
 * - `DepthwiseConv2dNativeBackpropFilter` / `…Input`: direct loops over typed arrays on the
 *   wasm heap (dilation 1, NHWC only — what tfjs-core's gradient sends), channel multiplier m:
 *   dW[kh,kw,c,q] = Σ x[b,ih,iw,c]·dy[b,oh,ow,c·m+q];  dx[b,ih,iw,c] = Σ W[kh,kw,c,q]·dy[b,oh,ow,c·m+q].
 * - `Conv2DBackpropInput` (replaced, not missing): the built-in one is a direct loop, about 3×
 *   slower than this (LeNet's second convolution, batch 64: 52 vs 17 ms on a loaded machine); for stride 1 (NHWC) it now runs as a forward XNNPACK `Conv2D`
 *   of dy with the flipped filter (see {@link conv2DBackpropInput}); other cases keep the built-in.
 * - `UnsortedSegmentSum`: out[s, …] = Σ_{i : ids[i] = s} x[i, …] for s in [0, numSegments); ids
 *   outside that range are dropped (as on `cpu`). A loop over typed arrays on the wasm heap.
 *
 * Every kernel is checked against the `cpu` backend's (test/train/wasm-kernels.test.ts).
 */

import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  backend_util,
  type DataType,
  getKernel,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  registerKernel,
  type TensorInfo,
  unregisterKernel,
  util,
} from '@tensorflow/tfjs-core';

/** The kernels this module adds to the wasm backend. */
export const WASM_TRAINING_KERNELS = [
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'UnsortedSegmentSum',
] as const;

/** At most this many patch values (float32) are held at once by `Conv2DBackpropFilter`. */
let patchChunkValues = 1 << 22;

/**
 * Set how many patch values `Conv2DBackpropFilter` holds at once (default 2²²; at least one
 * row is always taken); returns the previous setting. For tests of the chunked sum.
 */
export function setPatchChunkValues(values: number): number {
  const previous = patchChunkValues;
  patchChunkValues = Math.max(1, Math.floor(values));
  return previous;
}

type Args = { inputs: Record<string, TensorInfo>; backend: BackendWasm; attrs: NamedAttrMap };

/** Run another wasm kernel on the same backend (so the work stays in WebAssembly). */
function runWasm(name: string, inputs: Record<string, TensorInfo>, backend: BackendWasm, attrs: NamedAttrMap): TensorInfo {
  const kernel = getKernel(name, 'wasm');
  if (!kernel) throw new Error(`the wasm backend has no '${name}' kernel`);
  return kernel.kernelFunc({ inputs, backend, attrs }) as TensorInfo;
}

function view(backend: BackendWasm, t: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

function requireFloat32(kernel: string, ...tensors: TensorInfo[]): void {
  for (const t of tensors) if (t.dtype !== 'float32') throw new Error(`${kernel} on wasm needs float32 tensors, got ${t.dtype}`);
}

/** NCHW → NHWC through the wasm Transpose kernel (a new tensor the caller disposes). */
function toChannelsLast(backend: BackendWasm, t: TensorInfo): TensorInfo {
  return runWasm('Transpose', { x: t }, backend, { perm: [0, 2, 3, 1] });
}

/**
 * Write the im2col patches of images [b0, b1) of the convolution, transposed, into `p`
 * ([K, rows], K = kh·kw·c in HWI order, rows = (b1 − b0)·oh·ow); `x` is NHWC. Positions
 * outside the image give 0. Each patch row is written left to right (the in-image span of
 * output columns is computed once per filter column), so writes are sequential.
 */
function writePatchesTransposed(p: Float32Array, x: Float32Array, info: backend_util.Conv2DInfo, b0: number, b1: number): void {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const rows = (b1 - b0) * OH * OW;
  const step = SW * C;
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      // Output columns whose input column ow·SW − left + kw lies in [0, W).
      const owLo = Math.min(OW, Math.max(0, Math.ceil((left - kw) / SW)));
      const owHi = Math.max(owLo, Math.min(OW, Math.floor((W - 1 + left - kw) / SW) + 1));
      for (let c = 0; c < C; c++) {
        let dst = ((kh * KW + kw) * C + c) * rows;
        for (let b = b0; b < b1; b++) {
          for (let oh = 0; oh < OH; oh++, dst += OW) {
            const ih = oh * SH - top + kh;
            if (ih < 0 || ih >= H) {
              p.fill(0, dst, dst + OW);
              continue;
            }
            if (owLo > 0) p.fill(0, dst, dst + owLo);
            if (owHi < OW) p.fill(0, dst + owHi, dst + OW);
            let src = ((b * H + ih) * W + owLo * SW - left + kw) * C + c;
            for (let ow = owLo; ow < owHi; ow++, src += step) p[dst + ow] = x[src]!;
          }
        }
      }
    }
  }
}

/**
 * Σ over chunks of whole images of Pᵀ·dy, on NHWC tensors; returns [K, co] (K = kh·kw·ci).
 * A chunk holds as many images as fit in the patch budget, and at least one.
 */
function filterGradientNhwc(backend: BackendWasm, x: TensorInfo, dy: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const K = info.filterHeight * info.filterWidth * info.inChannels;
  const CO = info.outChannels;
  const B = info.batchSize;
  const perImage = info.outHeight * info.outWidth;
  const M = B * perImage;
  const images = Math.max(1, Math.min(B, Math.floor(patchChunkValues / (K * perImage))));
  let total: TensorInfo | null = null;
  for (let b0 = 0; b0 < B && M > 0; b0 += images) {
    const b1 = Math.min(B, b0 + images);
    const rows = (b1 - b0) * perImage;
    const m0 = b0 * perImage;
    const patches = backend.makeOutput([K, rows], 'float32');
    writePatchesTransposed(view(backend, patches), view(backend, x), info, b0, b1);
    let dyRows: TensorInfo;
    if (rows === M) {
      backend.incRef(dy.dataId);
      dyRows = { dataId: dy.dataId, shape: [M, CO], dtype: 'float32' };
    } else {
      dyRows = backend.makeOutput([rows, CO], 'float32');
      view(backend, dyRows).set(view(backend, dy).subarray(m0 * CO, (m0 + rows) * CO));
    }
    const part = runWasm('BatchMatMul', { a: patches, b: dyRows }, backend, { transposeA: false, transposeB: false });
    backend.disposeData(patches.dataId);
    backend.disposeData(dyRows.dataId);
    if (total === null) {
      total = part;
    } else {
      const acc = view(backend, total);
      const add = view(backend, part);
      for (let i = 0; i < acc.length; i++) acc[i]! += add[i]!;
      backend.disposeData(part.dataId);
    }
  }
  if (total === null) {
    total = backend.makeOutput([K, CO], 'float32');
    view(backend, total).fill(0);
  }
  return total;
}

/** `Conv2DBackpropFilter` for wasm: im2col patches × dy through the backend's BatchMatMul. */
function conv2DBackpropFilter({ inputs, backend, attrs }: Args): TensorInfo {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  requireFloat32('Conv2DBackpropFilter', x, dy);
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as {
    strides: [number, number] | number;
    pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
    dataFormat: 'NHWC' | 'NCHW';
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    filterShape: [number, number, number, number];
  };
  const format = backend_util.convertConv2DDataFormat(dataFormat);
  const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, format);
  const channelsFirst = info.dataFormat === 'channelsFirst';
  const xLast = channelsFirst ? toChannelsLast(backend, x) : x;
  const dyLast = channelsFirst ? toChannelsLast(backend, dy) : dy;
  const dw = filterGradientNhwc(backend, xLast, dyLast, info);
  if (channelsFirst) {
    backend.disposeData(xLast.dataId);
    backend.disposeData(dyLast.dataId);
  }
  return { dataId: dw.dataId, shape: [...filterShape], dtype: 'float32' };
}

type ConvBackpropInputAttrs = {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
};

/** The wasm backend's own `Conv2DBackpropInput` (a direct loop), kept for what the fast path declines. */
let builtinBackpropInput: KernelConfig | undefined;

/**
 * `Conv2DBackpropInput` for wasm. For stride 1, NHWC, dx is the forward correlation of dy
 * with the filter flipped in space and transposed in channels,
 * dx[b,ih,iw,ci] = Σ dy[b, ih − t' + kh, iw − l' + kw, co] · W[KH−1−kh, KW−1−kw, ci, co],
 * padded t' = KH−1−top, l' = KW−1−left (and bottom/right so that dx is H×W), which runs as the
 * backend's XNNPACK `Conv2D` (about 3× faster than the built-in loop on LeNet shapes). Strides
 * above 1, NCHW, or paddings wider than the filter go to the built-in kernel.
 */
function conv2DBackpropInput(args: Args): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as ConvBackpropInputAttrs;
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(dataFormat),
  );
  const { filterHeight: KH, filterWidth: KW, inHeight: H, inWidth: W, outHeight: OH, outWidth: OW } = info;
  const top = KH - 1 - info.padInfo.top;
  const left = KW - 1 - info.padInfo.left;
  const bottom = H + KH - 1 - OH - top;
  const right = W + KW - 1 - OW - left;
  const fast =
    info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    info.dataFormat === 'channelsLast' &&
    dy.dtype === 'float32' &&
    filter.dtype === 'float32' &&
    Math.min(top, left, bottom, right) >= 0;
  if (!fast) {
    if (!builtinBackpropInput) throw new Error("the wasm backend's Conv2DBackpropInput kernel is missing");
    return builtinBackpropInput.kernelFunc(args as never) as TensorInfo;
  }
  const flipped = runWasm('Reverse', { x: filter }, backend, { dims: [0, 1] });
  const transposed = runWasm('Transpose', { x: flipped }, backend, { perm: [0, 1, 3, 2] });
  backend.disposeData(flipped.dataId);
  const padding: backend_util.ExplicitPadding = [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
  const dx = runWasm('Conv2D', { x: dy, filter: transposed }, backend, {
    strides: 1,
    pad: padding,
    dataFormat: 'NHWC',
    dilations: 1,
  } as unknown as NamedAttrMap);
  backend.disposeData(transposed.dataId);
  return dx;
}

type DepthwiseAttrs = {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dilations: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

function depthwiseInfo(kernel: string, xShape: number[], filterShape: number[], attrs: NamedAttrMap): backend_util.Conv2DInfo {
  const { strides, pad, dilations, dimRoundingMode } = attrs as unknown as DepthwiseAttrs;
  const info = backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations ?? 1,
    pad,
    dimRoundingMode,
    true,
  );
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) throw new Error(`${kernel} on wasm supports dilation 1 only`);
  return info;
}

/**
 * Visit every (input pixel, filter tap, output pixel) triple of a depthwise convolution:
 * `f(xIndex, wIndex, dyIndex)` for channel c and multiplier q, with x, W, dy in NHWC / HWCM.
 */
function forEachDepthwiseTap(info: backend_util.Conv2DInfo, f: (xi: number, wi: number, yi: number) => void): void {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = info;
  const m = CO / C;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let kh = 0; kh < KH; kh++) {
        const ih = oh * SH - top + kh;
        if (ih < 0 || ih >= H) continue;
        for (let ow = 0; ow < OW; ow++) {
          const yBase = ((b * OH + oh) * OW + ow) * CO;
          for (let kw = 0; kw < KW; kw++) {
            const iw = ow * SW - left + kw;
            if (iw < 0 || iw >= W) continue;
            const xBase = ((b * H + ih) * W + iw) * C;
            const wBase = (kh * KW + kw) * C * m;
            for (let c = 0; c < C; c++) {
              for (let q = 0; q < m; q++) f(xBase + c, wBase + c * m + q, yBase + c * m + q);
            }
          }
        }
      }
    }
  }
}

/** `DepthwiseConv2dNativeBackpropFilter` for wasm (typed-array loops on the heap). */
function depthwiseBackpropFilter({ inputs, backend, attrs }: Args): TensorInfo {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  requireFloat32('DepthwiseConv2dNativeBackpropFilter', x, dy);
  const filterShape = (attrs as unknown as { filterShape: number[] }).filterShape;
  const info = depthwiseInfo('DepthwiseConv2dNativeBackpropFilter', x.shape, filterShape, attrs);
  const out = backend.makeOutput([...filterShape], 'float32');
  const dw = view(backend, out);
  const xv = view(backend, x);
  const dyv = view(backend, dy);
  dw.fill(0);
  forEachDepthwiseTap(info, (xi, wi, yi) => {
    dw[wi]! += xv[xi]! * dyv[yi]!;
  });
  return out;
}

/** `DepthwiseConv2dNativeBackpropInput` for wasm (typed-array loops on the heap). */
function depthwiseBackpropInput({ inputs, backend, attrs }: Args): TensorInfo {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  requireFloat32('DepthwiseConv2dNativeBackpropInput', dy, filter);
  const inputShape = (attrs as unknown as { inputShape: number[] }).inputShape;
  const info = depthwiseInfo('DepthwiseConv2dNativeBackpropInput', inputShape, filter.shape, attrs);
  const out = backend.makeOutput([...inputShape], 'float32');
  const dx = view(backend, out);
  const wv = view(backend, filter);
  const dyv = view(backend, dy);
  dx.fill(0);
  forEachDepthwiseTap(info, (xi, wi, yi) => {
    dx[xi]! += wv[wi]! * dyv[yi]!;
  });
  return out;
}

/** `UnsortedSegmentSum` for wasm: rows of x summed into their segment (ids out of range dropped). */
function unsortedSegmentSum({ inputs, backend, attrs }: Args): TensorInfo {
  const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo };
  const numSegments = (attrs as unknown as { numSegments: number }).numSegments;
  if (segmentIds.shape.length !== 1 || segmentIds.shape[0] !== x.shape[0]) {
    throw new Error(`UnsortedSegmentSum on wasm needs 1-D segment ids of length ${x.shape[0]}, got shape [${segmentIds.shape}]`);
  }
  const rowSize = util.sizeFromShape(x.shape.slice(1));
  const out = backend.makeOutput([numSegments, ...x.shape.slice(1)], x.dtype as DataType);
  const o = backend.typedArrayFromHeap(out);
  const xv = backend.typedArrayFromHeap(x);
  const ids = backend.typedArrayFromHeap(segmentIds);
  o.fill(0);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i]!;
    if (!(s >= 0 && s < numSegments)) continue;
    const src = i * rowSize;
    const dst = s * rowSize;
    for (let j = 0; j < rowSize; j++) o[dst + j]! += xv[src + j]!;
  }
  return out;
}

const configs: KernelConfig[] = [
  { kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2DBackpropFilter as unknown as KernelFunc },
  {
    kernelName: 'DepthwiseConv2dNativeBackpropFilter',
    backendName: 'wasm',
    kernelFunc: depthwiseBackpropFilter as unknown as KernelFunc,
  },
  {
    kernelName: 'DepthwiseConv2dNativeBackpropInput',
    backendName: 'wasm',
    kernelFunc: depthwiseBackpropInput as unknown as KernelFunc,
  },
  { kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSum as unknown as KernelFunc },
];

/**
 * Register the kernels of {@link WASM_TRAINING_KERNELS} for the `wasm` backend, and replace
 * its `Conv2DBackpropInput` by {@link conv2DBackpropInput} (which keeps the built-in one for
 * the cases it declines, and its setup function). Idempotent: a kernel that is already
 * registered (by an earlier call, or by a later tfjs-backend-wasm that ships its own) is left
 * alone.
 */
export function registerWasmTrainingKernels(): void {
  for (const config of configs) {
    if (!getKernel(config.kernelName, 'wasm')) registerKernel(config);
  }
  const current = getKernel('Conv2DBackpropInput', 'wasm');
  if (current && current.kernelFunc !== (conv2DBackpropInput as unknown as KernelFunc)) {
    builtinBackpropInput = current;
    unregisterKernel('Conv2DBackpropInput', 'wasm');
    registerKernel({ ...current, kernelFunc: conv2DBackpropInput as unknown as KernelFunc });
  }
}
