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
 * Not fixable here (no gradient in tfjs-core itself, on any backend): `stridedSlice`;
 * `einsum` has no wasm forward kernel either. Gradients of dilated convolutions (dilation > 1)
 * are rejected by tfjs-core itself.
 *
 * ## The added kernels
 * - `Conv2DBackpropFilter`: dW[kh,kw,ci,co] = Σ_{b,oh,ow} x[b, oh·sh − top + kh, ow·sw − left + kw, ci]
 *   · dy[b,oh,ow,co] (x read as 0 outside the image). Computed as an im2col product: the
 *   patches Pᵀ [kh·kw·ci, rows] are written into the wasm heap, then multiplied by dy [rows, co]
 *   with the backend's own `BatchMatMul` (XNNPACK), in row chunks of at most 2²² patch values
 *   (16 MiB) whose products are summed. NCHW tensors are transposed to NHWC first (wasm `Transpose`).
 *   Any padding (`same`, `valid`, a number, explicit) and rounding mode works, since only
 *   `computeConv2DInfo`'s top/left padding and dy's size enter the formula.
 * - `DepthwiseConv2dNativeBackpropFilter` / `…Input`: direct loops over typed arrays on the
 *   wasm heap (dilation 1, NHWC only — what tfjs-core's gradient sends), channel multiplier m:
 *   dW[kh,kw,c,q] = Σ x[b,ih,iw,c]·dy[b,oh,ow,c·m+q];  dx[b,ih,iw,c] = Σ W[kh,kw,c,q]·dy[b,oh,ow,c·m+q].
 * - `UnsortedSegmentSum`: out[s, …] = Σ_{i : ids[i] = s} x[i, …] for s in [0, numSegments); ids
 *   outside that range are dropped (as on `cpu`). A loop over typed arrays on the wasm heap.
 *
 * Every kernel is checked against the `cpu` backend's (test/train/wasm-kernels.test.ts).
 */
import {
  backend_util,
  type DataType,
  getKernel,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  registerKernel,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

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
 * Write the im2col patches of rows [m0, m0 + rows) of the convolution, transposed, into `p`
 * ([K, rows], K = kh·kw·c in HWI order); `x` is NHWC. Positions outside the image give 0.
 */
function writePatchesTransposed(p: Float32Array, x: Float32Array, info: backend_util.Conv2DInfo, m0: number, rows: number): void {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      const k0 = (kh * KW + kw) * C;
      let b = Math.floor(m0 / (OH * OW));
      let oh = Math.floor(m0 / OW) % OH;
      let ow = m0 % OW;
      for (let r = 0; r < rows; r++) {
        const ih = oh * SH - top + kh;
        const iw = ow * SW - left + kw;
        if (ih >= 0 && ih < H && iw >= 0 && iw < W) {
          const src = ((b * H + ih) * W + iw) * C;
          for (let c = 0; c < C; c++) p[(k0 + c) * rows + r] = x[src + c]!;
        } else {
          for (let c = 0; c < C; c++) p[(k0 + c) * rows + r] = 0;
        }
        if (++ow === OW) {
          ow = 0;
          if (++oh === OH) {
            oh = 0;
            b++;
          }
        }
      }
    }
  }
}

/** Σ over row chunks of Pᵀ·dy, on NHWC tensors; returns [K, co] (K = kh·kw·ci). */
function filterGradientNhwc(backend: BackendWasm, x: TensorInfo, dy: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const K = info.filterHeight * info.filterWidth * info.inChannels;
  const CO = info.outChannels;
  const M = info.batchSize * info.outHeight * info.outWidth;
  const chunk = Math.max(1, Math.min(M, Math.floor(patchChunkValues / K)));
  let total: TensorInfo | null = null;
  for (let m0 = 0; m0 < M; m0 += chunk) {
    const rows = Math.min(chunk, M - m0);
    const patches = backend.makeOutput([K, rows], 'float32');
    writePatchesTransposed(view(backend, patches), view(backend, x), info, m0, rows);
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
 * Register the kernels of {@link WASM_TRAINING_KERNELS} for the `wasm` backend. Idempotent: a
 * kernel that is already registered (by an earlier call, or by a later tfjs-backend-wasm that
 * ships its own) is left alone.
 */
export function registerWasmTrainingKernels(): void {
  for (const config of configs) {
    if (!getKernel(config.kernelName, 'wasm')) registerKernel(config);
  }
}
