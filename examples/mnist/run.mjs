#!/usr/bin/env node
/**
 * Runs `krs eval` on three real, public MNIST models with the built-in mnist digits:
 * the CNN (zoo-mnist-8) as teacher against each of the two others as students, with each
 * model's accuracy, KRS and the cross-layer CKA matrix of their conv/gemm/relu outputs.
 *
 *   npm run example:mnist                 # all 10 000 digits
 *   npm run example:mnist -- --limit 1000 # a quick look
 *
 * Models: KRS_MODELS_DIR, else ../shared/models beside the repository.
 * Results (JSON) are written to examples/mnist/out/; the readable summaries go to stdout.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const models = process.env.KRS_MODELS_DIR ?? resolve(root, '../shared/models');
const cli = join(root, 'dist/cli/main.js');
const extra = process.argv.slice(2);
const out = join(here, 'out');

for (const f of ['zoo-mnist-8.onnx', 'zuramai-mnist.onnx', 'mnist.onnx.data', 'michbogos-mnist.onnx']) {
  if (!existsSync(join(models, f))) {
    console.error(`example: ${join(models, f)} is missing (set KRS_MODELS_DIR to the folder of the shared MNIST models)`);
    process.exit(1);
  }
}
if (!existsSync(cli)) {
  console.error('example: dist/ is not built; run `npm run build` first (npm run example:mnist does)');
  process.exit(1);
}
mkdirSync(out, { recursive: true });

const runs = [
  {
    name: 'cnn-vs-oneconv',
    title: 'CNN teacher vs one-conv student (weights in an external data file)',
    args: ['--student', join(models, 'zuramai-mnist.onnx'), '--pair', '/relu_2/Relu_output_0:view', '--pair', '/relu/Relu_output_0:relu'],
  },
  {
    name: 'cnn-vs-mlp',
    title: 'CNN teacher vs MLP student (rank-3 input, sigmoid outputs)',
    args: [
      '--student',
      join(models, 'michbogos-mnist.onnx'),
      '--student-outputs',
      'sigmoid',
      '--pair',
      '/relu_2/Relu_output_0:onnx::Gemm_8',
      '--pair',
      '/fc1/Gemm_output_0:input.1',
    ],
  },
];

const krs = (args) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });

for (const run of runs) {
  console.log(`\n=== ${run.title} ===\n`);
  const common = [
    'eval',
    '--teacher',
    join(models, 'zoo-mnist-8.onnx'),
    '--input',
    'mnist',
    '--task',
    'classification',
    '--preprocess',
    'symmetric',
    '--all-pairs',
    ...run.args,
    ...extra,
  ];
  const r = krs([...common, '--json']);
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
