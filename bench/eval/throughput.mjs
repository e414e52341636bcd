#!/usr/bin/env node
/**
 * bench/eval/throughput — what krs adds on top of inference (issue 23, item 4): samples/s of
 * `krs capture` (one model) and `krs eval` (teacher and student), next to ONNX Runtime's own
 * session run time on the same batches — the floor: an `InferenceSession` of the same model
 * file fed the same float32 batches (built once, before timing, the way krs builds its feeds),
 * run one after another on this thread, nothing else. For eval the floor is both models'.
 * The project's MNIST test models (test/fixtures/models): the CNN, the MLP teacher, the
 * one-conv model; eval pairs the CNN (teacher) with the distilled MLP.
 *
 *     npm run bench:throughput           # = node bench/eval/throughput.mjs
 *     node bench/eval/throughput.mjs --samples 5000 --repeat 3 --json
 *
 * Median wall seconds of --repeat runs (default 3) after a warm-up, both ways; krs's runs
 * include its worker thread start, session creation, data reading and (capture) writing the
 * .npz, which is what a user waits for. Target (issue 23): krs ≤ 1.2× the floor.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ort from 'onnxruntime-node';
import { ensureBuild, option, root } from '../score/common.mjs';

const args = process.argv.slice(2);
const samples = Number(option(args, 'samples', '2000'));
const repeat = Number(option(args, 'repeat', '3'));
const json = args.includes('--json');
const log = (s) => process.stderr.write(`${s}\n`);
const BATCH = 256;

ensureBuild(log, [
  ['dist/runtime/eval.js', 'src/runtime/eval.ts'],
  ['dist/runtime/capture-run.js', 'src/runtime/capture-run.ts'],
]);
const load = (rel) => import(pathToFileURL(join(root, 'dist', rel)).href);
const { runEval } = await load('runtime/eval.js');
const { runCapture } = await load('runtime/capture-run.js');
const { mnistDataset } = await load('runtime/data/mnist.js');
const { prepareSide } = await load('runtime/model-side.js');
const { buildFeeds } = await load('runtime/preprocess.js');
const { typescriptBackend } = await load('linalg/typescript-backend.js');

const model = (name) => join(root, 'test/fixtures/models', name);
const data = mnistDataset(samples);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The model's feeds for every batch, as krs builds them (plans from prepareSide, buildFeeds). */
function feedsOf(file) {
  const side = prepareSide('model', { file }, data, '', []);
  const names = [...new Set(side.job.plans.map((p) => p.array))];
  const batches = [];
  for (let s = 0; s < samples; s += BATCH) {
    const b = data.read(s, Math.min(samples, s + BATCH), names);
    const feeds = buildFeeds(side.job.plans, b.arrays, data.channelAxis, file);
    batches.push(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor('float32', Float32Array.from(t.data), [...t.shape])])));
  }
  return batches;
}

/** ONNX Runtime alone: the session's run time over every batch (seconds), session made before timing. */
async function floor(file) {
  const session = await ort.InferenceSession.create(file, { graphOptimizationLevel: 'all', executionMode: 'sequential', interOpNumThreads: 1 });
  const batches = feedsOf(file);
  await session.run(batches[0]); // warm-up
  const times = [];
  for (let r = 0; r < repeat; r++) {
    const t0 = performance.now();
    for (const feeds of batches) await session.run(feeds);
    times.push((performance.now() - t0) / 1000);
  }
  await session.release();
  return median(times);
}

async function timedMedian(fn) {
  await fn(); // warm-up
  const times = [];
  for (let r = 0; r < repeat; r++) {
    const t0 = performance.now();
    await fn();
    times.push((performance.now() - t0) / 1000);
  }
  return median(times);
}

const dir = mkdtempSync(join(tmpdir(), 'krs-throughput-'));
const rows = [];
try {
  for (const name of ['cnn.onnx', 'mlp-teacher.onnx', 'one-conv.onnx']) {
    const f = await floor(model(name));
    const k = await timedMedian(() => runCapture({ data, model: { file: model(name) }, out: join(dir, 'c.npz'), batchSize: BATCH }));
    rows.push({ what: `capture ${name}`, floor: f, krs: k });
    log(`capture ${name}: floor ${f.toFixed(3)} s, krs ${k.toFixed(3)} s`);
  }
  const f = (await floor(model('cnn.onnx'))) + (await floor(model('mlp-student.onnx')));
  const k = await timedMedian(() =>
    runEval({
      task: 'classification',
      data,
      teacher: { file: model('cnn.onnx') },
      student: { file: model('mlp-student.onnx') },
      batchSize: BATCH,
      backend: typescriptBackend,
    }),
  );
  rows.push({ what: 'eval cnn.onnx → mlp-student.onnx', floor: f, krs: k });
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const lavg = loadavg().map((v) => v.toFixed(2));
if (json) process.stdout.write(`${JSON.stringify({ samples, batch: BATCH, repeat, load: lavg, rows }, null, 2)}\n`);
else {
  const sps = (s) => Math.round(samples / s);
  process.stdout.write(
    `${[
      `krs throughput vs ONNX Runtime's own session runs, ${samples} MNIST digits in batches of ${BATCH}; median of ${repeat} (load ${lavg.join(' ')})`,
      '',
      'case                                  ORT alone s  samples/s   krs s   samples/s   krs ÷ ORT',
      ...rows.map(
        (r) =>
          `${r.what.padEnd(38)}${r.floor.toFixed(3).padStart(11)}  ${String(sps(r.floor)).padStart(9)}  ${r.krs.toFixed(3).padStart(6)}  ${String(sps(r.krs)).padStart(9)}   ${(r.krs / r.floor).toFixed(2)}×`,
      ),
      '',
      'target (issue 23): krs ≤ 1.2× ONNX Runtime alone',
    ].join('\n')}\n`,
  );
}
