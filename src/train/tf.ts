/**
 * Node-only: TensorFlow.js for the demo, on the WebAssembly backend
 * (`@tensorflow/tfjs-core` + `@tensorflow/tfjs-layers` + `@tensorflow/tfjs-backend-wasm`,
 * 4.22). `@tensorflow/tfjs-node` is not used: it downloads a native library at install time,
 * which these machines cannot do. The wasm backend runs single-threaded in Node (XNNPACK,
 * SIMD when the CPU has it), which also makes training bitwise reproducible. The training
 * kernels that backend lacks (convolution filter gradients, `UnsortedSegmentSum` for gather's
 * gradient, …) are added by `./wasm-kernels.ts`, registered here.
 *
 * The module is imported lazily by `krs demo`, so other commands never load TensorFlow.js.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { errors } from '../core/errors.js';
import { registerWasmTrainingKernels } from './wasm-kernels.js';

export { tf, tfl };

let ready: Promise<void> | null = null;

/**
 * Select the wasm backend (once per process), with the training kernels of `./wasm-kernels.ts`
 * registered for it. Its `.wasm` binaries are loaded from the installed package's `dist/` folder.
 * @throws KrsError BAD_FILE when the backend cannot be initialised.
 */
export function initTf(): Promise<void> {
  ready ??= (async () => {
    const require = createRequire(import.meta.url);
    const dist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
    setWasmPaths(dist);
    registerWasmTrainingKernels();
    let ok = false;
    try {
      ok = await tf.setBackend('wasm');
      await tf.ready();
    } catch (e) {
      throw errors.badFile(dist, `the TensorFlow.js wasm backend could not start (${(e as Error).message.split('\n')[0]})`);
    }
    if (!ok || tf.getBackend() !== 'wasm') throw errors.badFile(dist, 'the TensorFlow.js wasm backend could not start');
  })();
  return ready;
}
