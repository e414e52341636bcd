import { closeSync, existsSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The project's own MNIST models, committed in test/fixtures/models and made by
 * scripts/make-test-models.ts (see the README there): always present, so tests that use
 * them run in a fresh clone.
 */
export const OWN_MODELS_DIR = join(ROOT, 'test/fixtures/models');

export type OwnModel = 'mlp-teacher.onnx' | 'mlp-student.onnx' | 'cnn.onnx' | 'mlp-sigmoid.onnx' | 'one-conv.onnx' | 'one-conv.weights';

/** Path of one of the project's own models (an error if it is missing: they are committed). */
export function ownModel(name: OwnModel): string {
  const p = join(OWN_MODELS_DIR, name);
  if (!existsSync(p)) throw new Error(`test model ${p} is missing (it is committed; rebuild it with npm run models:make)`);
  return p;
}

/**
 * The three public MNIST models (../shared/models beside the repository, or KRS_MODELS_DIR):
 * optional. Tests of them run when the folder holds all four files and skip otherwise.
 */
export const PUBLIC_MODELS_DIR = process.env.KRS_MODELS_DIR ?? resolve(ROOT, '../shared/models');

export type PublicModel = 'zoo-mnist-8.onnx' | 'zuramai-mnist.onnx' | 'michbogos-mnist.onnx' | 'mnist.onnx.data';
const PUBLIC_FILES: readonly PublicModel[] = ['zoo-mnist-8.onnx', 'zuramai-mnist.onnx', 'mnist.onnx.data', 'michbogos-mnist.onnx'];

/** Whether every public model file is there. */
export const publicModelsAvailable = PUBLIC_FILES.every((f) => existsSync(join(PUBLIC_MODELS_DIR, f)));

/** Path of a public model (not checked: use it inside `describe.skipIf(!publicModelsAvailable)`). */
export function publicModel(name: PublicModel): string {
  return join(PUBLIC_MODELS_DIR, name);
}

/**
 * When the public models are absent, say so — once per test run (a marker file named after
 * the vitest process, whose workers all share it as parent), naming the folder looked in and
 * how to provide it.
 */
export function notePublicModels(): void {
  if (publicModelsAvailable) return;
  try {
    closeSync(openSync(join(tmpdir(), `krs-public-models-note-${process.ppid}`), 'wx'));
  } catch {
    return;
  }
  const missing = PUBLIC_FILES.filter((f) => !existsSync(join(PUBLIC_MODELS_DIR, f)));
  console.info(
    `skipping the tests of the public MNIST models: ${PUBLIC_MODELS_DIR} lacks ${missing.join(', ')} ` +
      '(put them in ../shared/models beside the repository or set KRS_MODELS_DIR; see examples/mnist/README.md for where they come from)',
  );
}
