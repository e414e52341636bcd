/**
 * Choosing the matrix backend for a command: `auto` takes ONNX Runtime (float32 products at
 * BLAS speed) when it loads, and otherwise the portable float64 TypeScript backend. `openblas`
 * (the optional native addon, `npm run build:native`) is used only when asked for by name, so
 * `auto` gives the same results whether or not the addon is built.
 */

import { errors } from '../core/errors.js';
import type { MatrixBackend } from '../linalg/backend.js';

export const BACKENDS = ['auto', 'onnxruntime', 'openblas', 'typescript'] as const;
export type BackendChoice = (typeof BACKENDS)[number];

export interface ChosenBackend {
  backend: MatrixBackend;
  dispose(): Promise<void>;
}

export async function chooseBackend(choice: BackendChoice): Promise<ChosenBackend> {
  // Loaded when a command computes, not when the options are declared.
  const { typescriptBackend } = await import('../linalg/typescript-backend.js');
  if (choice === 'typescript') return { backend: typescriptBackend, dispose: async () => {} };
  if (choice === 'openblas') {
    // Throws BAD_OPTION (one line: what to build) when the addon is not built.
    const { createBlasBackend } = await import('../runtime/blas-backend.js');
    const backend = await createBlasBackend();
    return { backend, dispose: () => backend.dispose() };
  }
  try {
    const { createOrtBackend } = await import('../runtime/ort-backend.js');
    const backend = await createOrtBackend();
    return { backend, dispose: async () => (backend as { dispose?: () => Promise<void> | void }).dispose?.() ?? undefined };
  } catch (e) {
    if (choice === 'onnxruntime') throw errors.badOption('--backend', choice, `a loadable onnxruntime-node (${(e as Error).message.split('\n')[0]})`);
    return { backend: typescriptBackend, dispose: async () => {} };
  }
}
