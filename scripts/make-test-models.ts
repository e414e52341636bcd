/**
 * Makes the project's own small MNIST ONNX models in test/fixtures/models/ — the models the
 * runtime and CLI tests and examples/mnist use when the public models of ../shared/models are
 * not beside the repository. Each has a counterpart of a quirk of the public ones:
 *
 * | file                                   | what                                                                                   |
 * |----------------------------------------|----------------------------------------------------------------------------------------|
 * | `mlp-teacher.onnx`                     | MLP 784-128-64-10 (Flatten, Gemm, Relu), trained on the labels: the teacher              |
 * | `mlp-student.onnx`                     | MLP 784-32-10 (MatMul + Add, Relu, Gemm), distilled from the teacher (Hinton KD, T = 4)  |
 * | `cnn.onnx`                             | Conv(4 fixed Sobel filters) → Relu → MaxPool → Constant-shape Reshape → Gemm(64) → Relu → Gemm; only the head trained |
 * | `mlp-sigmoid.onnx`                     | rank-3 input [N, 28, 28]; MLP 784-48-10 → Sigmoid (trained with binary cross-entropy): sigmoid outputs |
 * | `one-conv.onnx` + `one-conv.weights`   | Conv(4 fixed filters, stride 2) → Relu → Reshape → Gemm; both weights in the external data file `one-conv.weights` |
 *
 * All take pixels in [0, 1] (no preprocessing). Dense layers are trained with the demo's
 * TensorFlow.js code (src/train/) on rows 2000–9999 of the built-in `mnist` data set; rows
 * 0–1999 (what `--input mnist --limit 2000` reads) are held out. Every random choice is
 * seeded, and the wasm backend is single-threaded, so a rerun writes identical bytes; the
 * sha256 of every file is written to SHA256SUMS (checked by test/runtime/onnx-model.test.ts).
 *
 *   npx tsx scripts/make-test-models.ts          # (re)write test/fixtures/models/  (npm run models:make)
 *   npx tsx scripts/make-test-models.ts --check  # rebuild in a temporary folder; exit 1 if any byte differs from SHA256SUMS
 *   npx tsx scripts/make-test-models.ts --out DIR
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { OnnxDataType, tensorValueInfo } from '../src/runtime/onnx-proto.js';
import { initTf } from '../src/train/tf.js';
import { type ConvShape, convFeatures, MIXED_FILTERS, SOBEL_FILTERS } from './make-test-models/conv-features.js';
import {
  conv2d,
  encodeSpec,
  externalInitializer,
  flatten,
  float32Bytes,
  floatInitializer,
  gemm,
  int64Constant,
  int64Initializer,
  type ModelSpec,
  maxPool,
  node,
} from './make-test-models/onnx-builders.js';
import { accuracy, denseLayers, digitSets, HELD_OUT, trainDense, withInputs } from './make-test-models/train-nets.js';

export const DEFAULT_OUT = fileURLToPath(new URL('../test/fixtures/models', import.meta.url));
export const SEED = 1;
/** Epochs of every trained network (8 000 digits, batches of 64). */
const EPOCHS = 10;
const F = OnnxDataType.FLOAT;
const CNN_CONV: ConvShape = { channels: 4, kernel: 3, stride: 1, pad: 1, pool: 2 };
const ONE_CONV: ConvShape = { channels: 4, kernel: 3, stride: 2, pad: 1, pool: 1 };
export const EXTERNAL_DATA_FILE = 'one-conv.weights';

/** The files the script writes, in SHA256SUMS order. */
export const MODEL_FILES = ['cnn.onnx', 'mlp-sigmoid.onnx', 'mlp-student.onnx', 'mlp-teacher.onnx', 'one-conv.onnx', EXTERNAL_DATA_FILE] as const;

export interface MadeModels {
  /** File name → bytes. */
  files: Record<string, Uint8Array>;
  /** Held-out accuracy (rows 0–1999) of each model, as TensorFlow.js computes it. */
  heldOutAccuracy: Record<string, number>;
}

const denseName = (i: number) => `fc${i + 1}`;

/** Gemm/Relu chain of trained dense layers from `x`; the last Gemm writes `out`. Returns nodes and initializers. */
function denseChain(layers: ReturnType<typeof denseLayers>, x: string, out: string, reluNames: (i: number) => string) {
  const nodes = [];
  const initializers = [];
  let h = x;
  for (const [i, l] of layers.entries()) {
    const name = denseName(i);
    initializers.push(floatInitializer(`${name}.weight`, [l.inputs, l.units], l.kernel), floatInitializer(`${name}.bias`, [l.units], l.bias));
    const last = i === layers.length - 1;
    nodes.push(gemm(h, `${name}.weight`, `${name}.bias`, last ? out : name));
    if (!last) {
      nodes.push(node('Relu', [name], [reluNames(i)]));
      h = reluNames(i);
    }
  }
  return { nodes, initializers };
}

/** Train every model and encode it (nothing is written). */
export async function makeTestModels(log: (line: string) => void = () => {}): Promise<MadeModels> {
  await initTf();
  const { train, heldOut } = digitSets();
  const files: Record<string, Uint8Array> = {};
  const heldOutAccuracy: Record<string, number> = {};
  const image = (batch: string) => tensorValueInfo('input', F, [batch, 1, 28, 28]);
  const logits = (batch: string, name = 'output') => tensorValueInfo(name, F, [batch, 10]);
  const record = (file: string, acc: number) => {
    heldOutAccuracy[file] = acc;
    log(`${file}: held-out accuracy ${(100 * acc).toFixed(2)}% (${HELD_OUT} digits)`);
  };

  // The teacher MLP: Flatten → Gemm(128) → Relu → Gemm(64) → Relu → Gemm(10).
  const teacher = await trainDense({ seed: SEED, name: 'teacher', hidden: [128, 64], epochs: EPOCHS, loss: 'softmax' }, train);
  record('mlp-teacher.onnx', accuracy(teacher, heldOut));
  {
    const chain = denseChain(denseLayers(teacher), 'flatten', 'output', (i) => `relu${i + 1}`);
    files['mlp-teacher.onnx'] = encodeSpec({
      name: 'mlp_teacher',
      opset: 17,
      doc: 'krs test model: MLP 784-128-64-10 trained on MNIST labels (scripts/make-test-models.ts)',
      nodes: [flatten('input', 'flatten'), ...chain.nodes],
      initializers: chain.initializers,
      inputs: [image('batch')],
      outputs: [logits('batch')],
    });
  }

  // The student MLP, distilled from the teacher; its hidden layer is MatMul + Add (as tf2onnx writes it), its head a Gemm.
  const student = await trainDense({ seed: SEED, name: 'student', hidden: [32], epochs: EPOCHS, loss: { teacher, temperature: 4, softWeight: 0.9 } }, train);
  record('mlp-student.onnx', accuracy(student, heldOut));
  {
    const [h, out] = denseLayers(student);
    files['mlp-student.onnx'] = encodeSpec({
      name: 'mlp_student',
      opset: 17,
      doc: 'krs test model: MLP 784-32-10 distilled from mlp-teacher.onnx (Hinton KD, T = 4, λ = 0.9) (scripts/make-test-models.ts)',
      nodes: [
        flatten('input', 'flatten'),
        node('MatMul', ['flatten', 'fc1.weight'], ['fc1']),
        node('Add', ['fc1', 'fc1.bias'], ['fc1_biased']),
        node('Relu', ['fc1_biased'], ['relu1']),
        gemm('relu1', 'fc2.weight', 'fc2.bias', 'output'),
      ],
      initializers: [
        floatInitializer('fc1.weight', [784, h!.units], h!.kernel),
        floatInitializer('fc1.bias', [h!.units], h!.bias),
        floatInitializer('fc2.weight', [out!.inputs, 10], out!.kernel),
        floatInitializer('fc2.bias', [10], out!.bias),
      ],
      inputs: [image('batch')],
      outputs: [logits('batch')],
    });
  }
  teacher.dispose();
  student.dispose();

  // Rank-3 input, sigmoid outputs: Flatten → Gemm(48) → Relu → Gemm(10) → Sigmoid.
  const sigmoid = await trainDense({ seed: SEED, name: 'sigmoid', hidden: [48], epochs: EPOCHS, loss: 'sigmoid' }, train);
  record('mlp-sigmoid.onnx', accuracy(sigmoid, heldOut));
  {
    const chain = denseChain(denseLayers(sigmoid), 'flatten', 'fc2', (i) => `relu${i + 1}`);
    files['mlp-sigmoid.onnx'] = encodeSpec({
      name: 'mlp_sigmoid',
      opset: 10,
      doc: 'krs test model: MLP 784-48-10 on [N, 28, 28] digits, ten sigmoid outputs (binary cross-entropy) (scripts/make-test-models.ts)',
      nodes: [flatten('input', 'flatten'), ...chain.nodes, node('Sigmoid', ['fc2'], ['output'])],
      initializers: chain.initializers,
      inputs: [tensorValueInfo('input', F, ['batch_size', 28, 28])],
      outputs: [logits('batch_size')],
    });
  }
  sigmoid.dispose();

  // The CNN: fixed Sobel filters, a trained head on their pooled features (4 × 14 × 14 = 784).
  const zeroBias = new Float32Array(4);
  const cnnHead = await trainDense(
    { seed: SEED, name: 'cnn-head', hidden: [64], epochs: EPOCHS, loss: 'softmax' },
    withInputs(train, convFeatures(train.x, train.n, SOBEL_FILTERS, zeroBias, CNN_CONV)),
  );
  record('cnn.onnx', accuracy(cnnHead, withInputs(heldOut, convFeatures(heldOut.x, heldOut.n, SOBEL_FILTERS, zeroBias, CNN_CONV))));
  {
    const chain = denseChain(denseLayers(cnnHead), 'flatten', 'output', () => 'relu2');
    files['cnn.onnx'] = encodeSpec({
      name: 'cnn',
      opset: 13,
      doc: 'krs test model: Conv(4 fixed Sobel 3x3 filters) → Relu → MaxPool 2 → Reshape → Gemm(64) → Relu → Gemm(10), head trained on MNIST (scripts/make-test-models.ts)',
      nodes: [
        conv2d('input', 'conv1.weight', 'conv1.bias', 'conv1', 3, 1, 1),
        node('Relu', ['conv1'], ['relu1']),
        maxPool('relu1', 'pool1', 2),
        int64Constant('flatten_shape', [-1, 784]),
        node('Reshape', ['pool1', 'flatten_shape'], ['flatten']),
        ...chain.nodes,
      ],
      initializers: [floatInitializer('conv1.weight', [4, 1, 3, 3], SOBEL_FILTERS), floatInitializer('conv1.bias', [4], zeroBias), ...chain.initializers],
      inputs: [image('batch')],
      outputs: [logits('batch')],
    });
  }
  cnnHead.dispose();

  // One conv with its weights in an external data file: Conv(4, stride 2) → Relu → Reshape → Gemm(10), a linear head.
  const oneHead = await trainDense(
    { seed: SEED, name: 'one-conv-head', hidden: [], epochs: EPOCHS, loss: 'softmax' },
    withInputs(train, convFeatures(train.x, train.n, MIXED_FILTERS, zeroBias, ONE_CONV)),
  );
  record('one-conv.onnx', accuracy(oneHead, withInputs(heldOut, convFeatures(heldOut.x, heldOut.n, MIXED_FILTERS, zeroBias, ONE_CONV))));
  {
    const [fc] = denseLayers(oneHead);
    const convBytes = float32Bytes(MIXED_FILTERS);
    const fcBytes = float32Bytes(fc!.kernel);
    const data = new Uint8Array(convBytes.length + fcBytes.length);
    data.set(convBytes, 0);
    data.set(fcBytes, convBytes.length);
    files[EXTERNAL_DATA_FILE] = data;
    const spec: ModelSpec = {
      name: 'one_conv',
      opset: 20,
      doc: `krs test model: Conv(4 fixed 3x3 filters, stride 2) → Relu → Reshape → Gemm(10); weights in ${EXTERNAL_DATA_FILE} (scripts/make-test-models.ts)`,
      nodes: [
        conv2d('input', 'conv.weight', 'conv.bias', 'conv', 3, 2, 1),
        node('Relu', ['conv'], ['relu']),
        node('Reshape', ['relu', 'flatten_shape'], ['flatten']),
        gemm('flatten', 'fc.weight', 'fc.bias', 'output'),
      ],
      initializers: [
        externalInitializer('conv.weight', [4, 1, 3, 3], EXTERNAL_DATA_FILE, 0, convBytes.length),
        floatInitializer('conv.bias', [4], zeroBias),
        int64Initializer('flatten_shape', [-1, 784]),
        externalInitializer('fc.weight', [784, 10], EXTERNAL_DATA_FILE, convBytes.length, fcBytes.length),
        floatInitializer('fc.bias', [10], fc!.bias),
      ],
      inputs: [image('N')],
      outputs: [logits('N')],
    };
    files['one-conv.onnx'] = encodeSpec(spec);
  }
  oneHead.dispose();
  return { files, heldOutAccuracy };
}

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** SHA256SUMS text (`sha256sum -c` format) of the made files. */
export function checksums(files: Record<string, Uint8Array>): string {
  return MODEL_FILES.map((f) => `${sha256(files[f]!)}  ${f}\n`).join('');
}

/** Write the files and SHA256SUMS into `dir`. */
export function writeModels(dir: string, made: MadeModels): void {
  mkdirSync(dir, { recursive: true });
  for (const f of MODEL_FILES) writeFileSync(join(dir, f), made.files[f]!);
  writeFileSync(join(dir, 'SHA256SUMS'), checksums(made.files));
}

async function main(argv: string[]): Promise<number> {
  const check = argv.includes('--check');
  const o = argv.indexOf('--out');
  const out = o >= 0 ? resolve(argv[o + 1] ?? '') : DEFAULT_OUT;
  const started = Date.now();
  const made = await makeTestModels((line) => console.log(line));
  if (check) {
    const expected = readFileSync(join(out, 'SHA256SUMS'), 'utf8');
    const tmp = mkdtempSync(join(tmpdir(), 'krs-test-models-'));
    try {
      writeModels(tmp, made);
      const actual = readFileSync(join(tmp, 'SHA256SUMS'), 'utf8');
      if (actual !== expected) {
        console.error(`make-test-models --check: the rebuilt models differ from ${join(out, 'SHA256SUMS')}:\n${actual}`);
        return 1;
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    console.log(`identical to ${join(out, 'SHA256SUMS')} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return 0;
  }
  writeModels(out, made);
  console.log(`wrote ${MODEL_FILES.length} files and SHA256SUMS to ${out} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`make-test-models: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    },
  );
}
