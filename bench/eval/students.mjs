#!/usr/bin/env node
/**
 * bench/eval/students — `krs eval` with k students (issue 23, item 3): one pass, the teacher
 * run once per batch for all k students (`runEvalStudents`), next to the old behaviour — k
 * separate runs, the teacher run k times (`runEval` per student) — in the same invocation,
 * for k = 1, 2, 4, on the project's MNIST test models (test/fixtures/models): the CNN as the
 * teacher; students the distilled MLP, the one-conv model, the MLP teacher and the sigmoid MLP.
 *
 *     npm run bench:eval                         # = node bench/eval/students.mjs
 *     node bench/eval/students.mjs --samples 5000 --repeat 3 --json
 *
 * Per k: the median wall and CPU seconds (user + sys of this process, worker threads included)
 * of each way over --repeat runs (default 3), their ratio, and the teacher's inference share:
 * the teacher's ONNX Runtime milliseconds over the pass's wall time (one pass) and summed over
 * the k runs (separate runs). Both ways run in-process on the models' worker thread, the data
 * and the matrix backend as `krs eval` uses them (the TypeScript backend, so no second ONNX
 * Runtime session competes). Each k's KRS values are checked equal across the two ways
 * (≤ 1e-12 relative) before timing counts: a faster wrong answer is no result.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureBuild, option, root } from '../score/common.mjs';

const args = process.argv.slice(2);
const samples = Number(option(args, 'samples', '2000'));
const repeat = Number(option(args, 'repeat', '3'));
const json = args.includes('--json');
const log = (s) => process.stderr.write(`${s}\n`);

ensureBuild(log, [
  ['dist/runtime/eval.js', 'src/runtime/eval.ts'],
  ['dist/runtime/eval-lane.js', 'src/runtime/eval-lane.ts'],
  ['dist/runtime/model-worker.js', 'src/runtime/model-worker.ts'],
]);
const load = (rel) => import(pathToFileURL(join(root, 'dist', rel)).href);
const { runEval, runEvalStudents } = await load('runtime/eval.js');
const { mnistDataset } = await load('runtime/data/mnist.js');
const { typescriptBackend } = await load('linalg/typescript-backend.js');

const model = (name) => join(root, 'test/fixtures/models', name);
const TEACHER = model('cnn.onnx');
const STUDENTS = [
  { file: model('mlp-student.onnx') },
  { file: model('one-conv.onnx') },
  { file: model('mlp-teacher.onnx') },
  { file: model('mlp-sigmoid.onnx'), outputs: 'sigmoid' },
];

const options = (student) => ({
  task: 'classification',
  data: mnistDataset(samples),
  teacher: { file: TEACHER },
  student: student ?? STUDENTS[0],
  batchSize: 256,
  backend: typescriptBackend,
});

/** Wall and CPU seconds of `fn`, with its value. */
async function timed(fn) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1e6, value };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function onePass(k) {
  const out = await runEvalStudents(
    options(),
    STUDENTS.slice(0, k).map((student) => ({ student })),
  );
  return out.map((x) => x.result);
}

async function separate(k) {
  const results = [];
  for (const student of STUDENTS.slice(0, k)) results.push(await runEval(options(student)));
  return results;
}

function checkSame(a, b, k) {
  a.forEach((r, i) => {
    for (const key of ['krs', 'fss', 'aoa']) {
      const d = Math.abs(r[key] - b[i][key]) / Math.max(1, Math.abs(b[i][key]));
      if (!(d <= 1e-12)) throw new Error(`k = ${k}, student ${i + 1}: ${key} ${r[key]} (one pass) vs ${b[i][key]} (separate runs)`);
    }
  });
}

const rows = [];
// Warm-up: the first model session and the data load cost more than the rest.
await runEval(options());
for (const k of [1, 2, 4]) {
  const one = [];
  const sep = [];
  for (let r = 0; r < repeat; r++) {
    const a = await timed(() => onePass(k));
    const b = await timed(() => separate(k));
    checkSame(a.value, b.value, k);
    const teacherOne = a.value[0].timing.inferenceMs.teacher / 1000;
    const teacherSep = b.value.reduce((s, x) => s + x.timing.inferenceMs.teacher, 0) / 1000;
    one.push({ wall: a.wall, cpu: a.cpu, teacher: teacherOne });
    sep.push({ wall: b.wall, cpu: b.cpu, teacher: teacherSep });
    log(`k = ${k}, run ${r + 1}/${repeat}: one pass ${a.wall.toFixed(2)} s, separate runs ${b.wall.toFixed(2)} s`);
  }
  const m = (xs, key) => median(xs.map((x) => x[key]));
  rows.push({
    k,
    onePass: { wall: m(one, 'wall'), cpu: m(one, 'cpu'), teacher: m(one, 'teacher') },
    separate: { wall: m(sep, 'wall'), cpu: m(sep, 'cpu'), teacher: m(sep, 'teacher') },
  });
}

const loadavg = (await import('node:os')).loadavg().map((v) => v.toFixed(2));
if (json) {
  process.stdout.write(`${JSON.stringify({ samples, repeat, teacher: TEACHER, students: STUDENTS.map((s) => s.file), load: loadavg, rows }, null, 2)}\n`);
} else {
  const f = (v) => v.toFixed(2);
  const pct = (a, b) => `${Math.round((100 * a) / b)}%`;
  const lines = [
    `krs eval with k students, ${samples} MNIST digits, CNN teacher; median of ${repeat} (load ${loadavg.join(' ')})`,
    '',
    'k  one pass wall / CPU s   teacher share   separate runs wall / CPU s   teacher share   separate ÷ one pass (wall, CPU)',
    ...rows.map(
      (r) =>
        `${r.k}  ${f(r.onePass.wall).padStart(8)} / ${f(r.onePass.cpu).padEnd(10)}  ${pct(r.onePass.teacher, r.onePass.wall).padStart(13)}   ${f(r.separate.wall).padStart(13)} / ${f(r.separate.cpu).padEnd(11)}  ${pct(r.separate.teacher, r.separate.wall).padStart(13)}   ${f(r.separate.wall / r.onePass.wall)}×, ${f(r.separate.cpu / r.onePass.cpu)}×`,
    ),
    '',
    "teacher share: the teacher's ONNX Runtime time over the wall time (one run of it in the pass; k runs in the separate runs).",
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
