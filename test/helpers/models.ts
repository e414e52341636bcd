import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The real MNIST models (shared/models beside the repository; KRS_MODELS_DIR overrides).
 * Tests that use them fail, rather than skip, when they are missing: they are required.
 */
export const MODELS_DIR = process.env.KRS_MODELS_DIR ?? resolve(fileURLToPath(new URL('../..', import.meta.url)), '../shared/models');

export function model(name: 'zoo-mnist-8.onnx' | 'zuramai-mnist.onnx' | 'michbogos-mnist.onnx' | 'mnist.onnx.data'): string {
  const p = join(MODELS_DIR, name);
  if (!existsSync(p)) throw new Error(`real model ${p} is missing (set KRS_MODELS_DIR to the folder holding the shared MNIST models)`);
  return p;
}
