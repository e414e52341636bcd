#!/usr/bin/env node
/**
 * bench/score — exact linear CKA of 4 layer pairs (n = 10 000; teacher width 2048, student
 * width 512), timed in krs (ONNX Runtime float32 backend) and in a committed NumPy script
 * (bench/score/reference.py) on the same arrays, in the same invocation.
 *
 *     npm run bench                      # = node bench/score/run.mjs
 *     node bench/score/run.mjs --repeat 5 --json
 *
 * Steps: generate the data with NumPy if bench/score/data/ is missing (seeded,
 * bench/score/generate.py, ~400 MB, gitignored); build dist/ if it is missing or older
 * than the sources it needs; run the NumPy reference (with OPENBLAS_CORETYPE and
 * OPENBLAS_L2_SIZE removed from its environment only, so OpenBLAS picks its kernel for
 * this CPU); run krs; print both times, their ratio and the largest CKA difference.
 * Target (the issue): krs ≤ 1.0× NumPy float32.
 *
 * Timed on both sides: the computation only (centring, products, CKA), not loading; each
 * side makes one untimed warm-up pass, then runs --repeat times (default 3) and reports
 * its best time.
 *
 * Options: --repeat N, --threads N (ORT intra-op threads, default all cores),
 *          --block N (symmetric block rows), --json.
 */
import { join } from 'node:path';
import { ensureBuild as buildIfStale, ensureGenerated, here, readNpyFloat32, root, runNumpy as runNumpyScript } from './common.mjs';

const dataDir = join(here, 'data');

// ---------------------------------------------------------------------------
// options
// ---------------------------------------------------------------------------
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const repeat = Number(opt('repeat', 3));
const threads = opt('threads') === undefined ? undefined : Number(opt('threads'));
const block = opt('block') === undefined ? undefined : Number(opt('block'));
const asJson = args.includes('--json');
const log = (...a) => (asJson ? console.error(...a) : console.log(...a));

// ---------------------------------------------------------------------------
// data and build
// ---------------------------------------------------------------------------
function ensureData() {
  return ensureGenerated(dataDir, 'generate.py', log);
}

function ensureBuild() {
  buildIfStale(log, [
    ['dist/runtime/ort-backend.js', 'src/runtime/ort-backend.ts'],
    ['dist/similarity/layer-similarity.js', 'src/similarity/layer-similarity.ts'],
  ]);
}

// ---------------------------------------------------------------------------
// the NumPy reference
// ---------------------------------------------------------------------------
function runNumpy() {
  return runNumpyScript('reference.py', ['--data', dataDir, '--repeat', String(repeat)]);
}

// ---------------------------------------------------------------------------
// krs: the library's own path — the streaming layer-similarity Measure that `krs score`
// and KrsMetric use, on the ONNX Runtime backend, one batch of all n samples per pair.
// ---------------------------------------------------------------------------
async function krsScore(data, backend, layerSimilarity) {
  const out = [];
  for (const [i, { teacher, student }] of data.pairs.entries()) {
    const m = layerSimilarity({ similarity: 'cka', backend, pool: 'flatten', teacherName: `t${i}`, studentName: `s${i}` });
    const s = m.init();
    await m.update(s, {
      teacher: { dtype: 'float32', shape: teacher.shape, data: teacher.data },
      student: { dtype: 'float32', shape: student.shape, data: student.data },
    });
    out.push((await m.compute(s)).value);
  }
  return out;
}

async function timeBest(fn) {
  await fn(); // untimed warm-up, as on the NumPy side (page faults, JIT)
  const runs = [];
  let result;
  for (let r = 0; r < repeat; r++) {
    const t0 = performance.now();
    result = await fn();
    runs.push((performance.now() - t0) / 1000);
  }
  return { seconds: Math.min(...runs), runs, cka: result };
}

// ---------------------------------------------------------------------------
// main
// ---------------------------------------------------------------------------
const manifest = ensureData();
ensureBuild();
const { createOrtBackend } = await import(join(root, 'dist/runtime/ort-backend.js'));

log(
  `bench/score: n = ${manifest.n}, ${manifest.layers} layer pairs, widths ${manifest.teacherWidth} and ${manifest.studentWidth}, float32 data, best of ${repeat}`,
);
const numpy = runNumpy();

const data = { pairs: [] };
for (let l = 0; l < manifest.layers; l++) {
  data.pairs.push({
    teacher: readNpyFloat32(join(dataDir, `teacher_${l}.npy`)),
    student: readNpyFloat32(join(dataDir, `student_${l}.npy`)),
  });
}

const backendOptions = {};
if (threads !== undefined) backendOptions.intraOpNumThreads = threads;
if (block !== undefined) backendOptions.symmetricBlock = block;
const backend = await createOrtBackend(backendOptions);
let krs;
try {
  // create the session and JIT-compile the loops outside the timing
  const warm = { rows: 64, cols: 8, data: new Float64Array(512).fill(1) };
  await backend.products([{ op: 'AtB', a: warm, b: warm }]);
  const { layerSimilarity } = await import(join(root, 'dist/index.js'));
  krs = await timeBest(() => krsScore(data, backend, layerSimilarity));
} finally {
  await backend.dispose();
}

const maxDiff = (a, b) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
const result = {
  n: manifest.n,
  pairs: manifest.layers,
  widths: [manifest.teacherWidth, manifest.studentWidth],
  repeat,
  numpy: {
    blas: numpy.blas,
    float32: { seconds: numpy.float32.seconds, runs: numpy.float32.runs, cka: numpy.float32.cka },
    float64: numpy.float64 && { seconds: numpy.float64.seconds, runs: numpy.float64.runs, cka: numpy.float64.cka },
  },
  krs: {
    backend: backend.name,
    threads: backend.threads,
    seconds: krs.seconds,
    runs: krs.runs,
    cka: krs.cka,
    ratioVsNumpyFloat32: krs.seconds / numpy.float32.seconds,
    ratioVsNumpyFloat64: numpy.float64 ? krs.seconds / numpy.float64.seconds : null,
    maxAbsDiffVsNumpyFloat32: maxDiff(krs.cka, numpy.float32.cka),
    maxAbsDiffVsNumpyFloat64: numpy.float64 ? maxDiff(krs.cka, numpy.float64.cka) : null,
  },
};

const f = (s) => `${s.toFixed(3)} s`;
const b = numpy.blas;
if (asJson) {
  console.log(JSON.stringify(result));
} else {
  log(`NumPy ${numpy.numpy}, BLAS ${b.library} ${b.version ?? ''} kernel ${b.coretype ?? '?'}, ${b.threads ?? '?'} threads (via ${b.source})`);
  log(`  NumPy float32 products (float64 centring): ${f(numpy.float32.seconds)}   runs ${numpy.float32.runs.map((s) => s.toFixed(3)).join(', ')}`);
  if (numpy.float64)
    log(`  NumPy float64 throughout:                   ${f(numpy.float64.seconds)}   runs ${numpy.float64.runs.map((s) => s.toFixed(3)).join(', ')}`);
  log(`krs ${backend.name}, ${backend.threads} threads:        ${f(krs.seconds)}   runs ${krs.runs.map((s) => s.toFixed(3)).join(', ')}`);
  log(`ratio krs / NumPy float32: ${result.krs.ratioVsNumpyFloat32.toFixed(2)}×   (target ≤ 1.0×: ${result.krs.ratioVsNumpyFloat32 <= 1 ? 'met' : 'NOT met'})`);
  if (numpy.float64) log(`ratio krs / NumPy float64: ${result.krs.ratioVsNumpyFloat64.toFixed(2)}×`);
  log(`CKA krs:           ${krs.cka.map((v) => v.toFixed(8)).join('  ')}`);
  log(`CKA NumPy float64: ${(numpy.float64 ?? numpy.float32).cka.map((v) => v.toFixed(8)).join('  ')}`);
  log(
    `max |ΔCKA| krs vs NumPy float32: ${result.krs.maxAbsDiffVsNumpyFloat32.toExponential(2)}, vs float64: ${result.krs.maxAbsDiffVsNumpyFloat64?.toExponential(2)}`,
  );
}
const worst = result.krs.maxAbsDiffVsNumpyFloat32;
if (!(worst < 1e-5)) {
  console.error(`CKA values disagree with NumPy by ${worst}`);
  process.exitCode = 1;
}
