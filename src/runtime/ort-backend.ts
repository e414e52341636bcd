/**
 * A fast {@link MatrixBackend} on ONNX Runtime's CPU provider (Node only).
 *
 * Every product is computed by one tiny in-memory ONNX graph, `C = Gemm(P, Q, transB=1)`,
 * i.e. C = P·Qᵀ for row-major float32 P (M×K) and Q (N×K) with symbolic M, N, K, run by
 * ONNX Runtime's MLAS kernels. Everything around the Gemm — operands converted to float32
 * (transposed for AᵀB), symmetric products by block columns, the range guard, scratch
 * buffers, `productsAsComputed`, `lendBuffer` — is src/runtime/gemm-backend.ts, shared with
 * the OpenBLAS backend (src/runtime/blas-backend.ts). Measured for XᵀX with X 10 000 × 2048
 * (float64 in, transposing conversion included): 0.22 s as one Gemm, 0.14–0.15 s in blocks
 * of 64–256 rows (NumPy float32 `X.T @ X`: ~0.12 s).
 *
 * Precision: the products are float32 (MLAS accumulates in float32). On post-ReLU features
 * with non-zero means (n = 2000, p = 512, q = 256, centred in float64) the worst entry error
 * of each product is ~5e-7 of its largest entry, and linear CKA agrees with the float64
 * backend to ~1e-8 relative, even with a common offset of 1000 on every feature
 * (test/runtime/ort-backend.test.ts measures both; on the bench/score data, n = 10 000 and
 * widths 2048/512, CKA agrees with NumPy float64 to 1.5e-9 and with NumPy's float32 products
 * to 2e-8).
 *
 * Threading: ONNX Runtime's intra-op pool uses `intraOpNumThreads` threads (default: every
 * core, `os.availableParallelism()`), the calling thread included. Note that
 * onnxruntime-node's `session.run` executes synchronously on the JavaScript thread
 * (inside a `setImmediate`), so while a product runs the event loop is blocked — a
 * progress bar does not redraw and a server does not answer. Moving the sessions to a
 * worker thread is a later concern.
 */
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { errors } from '../core/errors.js';
import { createGemmBackend, type GemmBackend, type GemmBackendOptions, type GemmEngine, type GemmOperand, symmetricBlockOption } from './gemm-backend.js';
import { encodeModel, intAttribute, OnnxDataType, tensorValueInfo } from './onnx-proto.js';

export { DEFAULT_SYMMETRIC_BLOCK, rangeScale, transposeToFloat32 } from './gemm-backend.js';

export interface OrtBackendOptions extends GemmBackendOptions {
  /** Threads of ONNX Runtime's intra-op pool (default: all cores, `os.availableParallelism()`). */
  intraOpNumThreads?: number;
  /** ONNX Runtime graph optimisation level (default `'all'`). */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Let the intra-op pool's idle threads spin before they sleep (ONNX Runtime's default), instead
   * of sleeping at once (default false here): between two products the Gram pass sums blocks on
   * the JavaScript thread, and a spinning pool thread burns the other core meanwhile.
   */
  spinning?: boolean;
}

/** A MatrixBackend that owns native resources: call {@link OrtBackend.dispose} when done (it releases the ONNX Runtime session). */
export type OrtBackend = GemmBackend<'onnxruntime-f32'>;

/** C = P·Qᵀ: inputs P [M, K], Q [N, K] float32; output C [M, N]. */
function gemmNtModel(): Uint8Array {
  const F = OnnxDataType.FLOAT;
  return encodeModel({
    producerName: 'krs',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'krs_gemm_nt',
      node: [{ opType: 'Gemm', name: 'gemm', input: ['P', 'Q'], output: ['C'], attribute: [intAttribute('transB', 1)] }],
      input: [tensorValueInfo('P', F, ['M', 'K']), tensorValueInfo('Q', F, ['N', 'K'])],
      output: [tensorValueInfo('C', F, ['M', 'N'])],
    },
  });
}

/**
 * The ONNX Runtime float32 backend: the products of src/runtime/gemm-backend.ts, each Gemm
 * one run of the graph above in a session created on first use.
 *
 * Calls to `products` are serialised (one runs at a time), and float32 copies of the
 * operands and block outputs live in scratch buffers that are kept between calls
 * (about 4 bytes × (n·p + n·q) plus one block product for a CKA update) until
 * {@link OrtBackend.dispose}; pass `reuseBuffers: false` to allocate per call instead.
 *
 * @example
 *   const backend = await createOrtBackend();
 *   try {
 *     const [xtx] = await backend.products([{ op: 'AtB', a: x, b: x }]);
 *   } finally {
 *     await backend.dispose();
 *   }
 * @throws BAD_OPTION for a non-positive thread count or block size.
 */
export async function createOrtBackend(options: OrtBackendOptions = {}): Promise<OrtBackend> {
  const threads = options.intraOpNumThreads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) throw errors.badOption('intraOpNumThreads', threads, 'an integer ≥ 1');
  symmetricBlockOption(options);
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    extra: { session: { intra_op: { allow_spinning: options.spinning === true ? '1' : '0' } } },
  };
  return createGemmBackend(ortEngine(sessionOptions), 'onnxruntime-f32', threads, options);
}

/**
 * C = P·Qᵀ by the Gemm graph, in a session created when the first call is readied and released
 * by `dispose`. ONNX Runtime writes C into `into` (the pre-allocated output); onnxruntime-node
 * 1.30 also returns a copy of it in a new ArrayBuffer, which is dropped — a copy per product
 * that its API cannot turn off (measured in README §Performance).
 */
function ortEngine(sessionOptions: ort.InferenceSession.SessionOptions): GemmEngine {
  let session: Promise<ort.InferenceSession> | undefined;
  const getSession = (): Promise<ort.InferenceSession> => {
    session ??= ort.InferenceSession.create(gemmNtModel(), sessionOptions);
    return session;
  };
  return {
    async ready(): Promise<void> {
      await getSession();
    },
    async gemmNT(p: GemmOperand, q: GemmOperand, into: Float32Array): Promise<void> {
      const s = await getSession();
      await s.run(
        {
          P: new ort.Tensor('float32', p.data, [p.rows, p.cols]),
          Q: new ort.Tensor('float32', q.data, [q.rows, q.cols]),
        },
        { C: new ort.Tensor('float32', into, [p.rows, q.rows]) },
      );
    },
    async dispose(): Promise<void> {
      const s = session;
      session = undefined;
      if (s) await (await s).release();
    },
  };
}
