#!/usr/bin/env node
/**
 * bench/score wide — exact linear CKA of one pair of layers much wider than the sample count:
 * n = 10 000 samples of a teacher conv map 64×14×14 (12 544 features flattened) and a student
 * conv map 32×26×26 (21 632), timed in krs (ONNX Runtime float32 backend) and in a committed
 * NumPy script (bench/score/wide_reference.py: centred float32 Gram matrices by ssyrk, HSIC
 * sums in float64) on the same arrays, in the same invocation.
 *
 *     npm run bench:wide                  # = node bench/score/wide.mjs
 *     node bench/score/wide.mjs --repeat 2 --json
 *
 * krs takes the sample-space route here (it is told n, and n²/2·(p + q) ≈ 1.7e12
 * multiply-adds is below the feature space's n·(p²/2 + q²/2 + p·q) ≈ 4.5e12): the rows are
 * kept and the n × n Gram matrices K = XcXcᵀ, L = YcYcᵀ are visited block by block and
 * reduced to Σ K∘L, row sums and diagonals (src/linalg/gram-pass.ts); then
 * CKA = tr(KcLc)/√(tr(KcKc)·tr(LcLc)). NumPy materialises K and L (400 MB each).
 *
 * Steps: generate the data with NumPy if bench/score/data/wide/ is missing (seeded,
 * bench/score/generate_wide.py, ~1.4 GB, gitignored); build dist/ if stale; run the NumPy
 * reference in its own process (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its
 * environment only); run krs in this process; print both times, their ratio, the CKA
 * difference and each process's peak memory (RSS high-water mark, data included).
 * Target (the issue): krs ≤ 1.0× NumPy.
 *
 * Timed on both sides: the computation only (krs: `similarityOf` on the loaded arrays —
 * storing the rows, column sums, the Gram pass, CKA; NumPy: centring, the two Grams, the
 * sums), not loading; one untimed warm-up, then --repeat runs (default 3), best time.
 *
 * Options: --repeat N, --backend onnxruntime|openblas (default onnxruntime; openblas is the
 * native addon of npm run build:native, run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset,
 * see common.mjs benchBackend), --threads N (the backend's threads, default all cores),
 * --data DIR (another data set made by generate_wide.py --out DIR --n N; it must exist),
 * --json.
 */
import { join } from 'node:path';
import {
  benchBackend,
  benchData,
  collectGarbage,
  ensureBuild,
  gib,
  here,
  machineMonitor,
  maxRssBytes,
  option,
  readNpyFloat32,
  root,
  runNumpy,
  secs,
  timeBest,
  timedBackend,
} from './common.mjs';

const args = process.argv.slice(2);
const repeat = Number(option(args, 'repeat', 3));
const asJson = args.includes('--json');
const log = (...a) => (asJson ? console.error(...a) : console.log(...a));

const { dataDir, manifest } = benchData(args, join(here, 'data', 'wide'), 'generate_wide.py', log);
ensureBuild(log, [
  ['dist/similarity/layer-similarity.js', 'src/similarity/layer-similarity.ts'],
  ['dist/linalg/gram-pass.js', 'src/linalg/gram-pass.ts'],
  ['dist/similarity/linear-cka.js', 'src/similarity/linear-cka.ts'],
]);
const { similarityOf } = await import(join(root, 'dist/similarity/layer-similarity.js'));

const n = manifest.n;
const [p, q] = [manifest.teacherShape, manifest.studentShape].map((s) => s.reduce((a, b) => a * b, 1));
log(
  `bench/score wide: n = ${n}, teacher ${manifest.teacherShape.join('×')} (${p} features), student ${manifest.studentShape.join('×')} (${q}), float32, best of ${repeat}`,
);

const machine = machineMonitor();
const numpy = runNumpy('wide_reference.py', ['--data', dataDir, '--repeat', String(repeat)]);

const teacher = readNpyFloat32(join(dataDir, 'teacher.npy'));
const student = readNpyFloat32(join(dataDir, 'student.npy'));
collectGarbage();
const loadedRss = maxRssBytes();

const { backend, label } = await benchBackend(args, log);
let krs;
try {
  const warm = { rows: 64, cols: 8, data: new Float64Array(512).fill(1) };
  await backend.products([{ op: 'ABt', a: warm, b: warm }]); // session creation (ORT) or thread start (OpenBLAS) outside the timing
  const timed = timedBackend(backend);
  krs = await timeBest(async () => {
    timed.take();
    const value = await similarityOf(
      { dtype: 'float32', shape: teacher.shape, data: teacher.data },
      { dtype: 'float32', shape: student.shape, data: student.data },
      { similarity: 'cka', backend: timed.backend, samples: n, teacherName: 'teacher 64×14×14', studentName: 'student 32×26×26' },
    );
    return { value, productSeconds: timed.take() };
  }, repeat);
} finally {
  await backend.dispose();
}
const state = machine.stop();

const r = krs.result.value;
const best = krs.runs.indexOf(krs.seconds);
const productSeconds = krs.productSeconds[best];
const result = {
  n,
  widths: [p, q],
  shapes: [manifest.teacherShape, manifest.studentShape],
  repeat,
  machine: state,
  numpy: {
    version: numpy.numpy,
    blas: numpy.blas,
    seconds: numpy.seconds,
    runs: numpy.runs,
    cpuSeconds: numpy.cpuSeconds,
    cka: numpy.cka,
    maxRssBytes: numpy.maxRssBytes,
    loadedRssBytes: numpy.loadedRssBytes,
    selfCheck: numpy.selfCheck,
  },
  krs: {
    backend: backend.name,
    core: backend.core,
    threads: backend.threads,
    route: r.route,
    seconds: krs.seconds,
    runs: krs.runs,
    cpuSeconds: krs.cpuSeconds,
    warmUp: krs.warmUp,
    productSeconds,
    cka: r.value,
    maxRssBytes: maxRssBytes(),
    loadedRssBytes: loadedRss,
    ratioVsNumpy: krs.seconds / numpy.seconds,
    cpuRatioVsNumpy: Math.min(...krs.cpuSeconds) / Math.min(...numpy.cpuSeconds),
    absDiffVsNumpy: Math.abs(r.value - numpy.cka),
  },
};

if (asJson) {
  console.log(JSON.stringify(result));
} else {
  const b = numpy.blas;
  log(`NumPy ${numpy.numpy}, BLAS ${b.library} ${b.version ?? ''} kernel ${b.coretype ?? '?'}, ${b.threads ?? '?'} threads`);
  log(
    `  NumPy (float32 Grams, float64 sums):  ${secs(numpy.seconds)}   runs ${numpy.runs.map((s) => s.toFixed(3)).join(', ')}, CPU ${numpy.cpuSeconds.map((s) => s.toFixed(1)).join(', ')} s`,
  );
  log(
    `krs ${backend.name} (${label}), ${backend.threads} threads, route ${r.route}: ${secs(krs.seconds)}   runs ${krs.runs.map((s) => s.toFixed(3)).join(', ')}, CPU ${krs.cpuSeconds.map((s) => s.toFixed(1)).join(', ')} s`,
  );
  log(
    `  of which in backend.products (float32 conversion, Gemms, float64 copies): ${secs(productSeconds)}; in the Gram pass's element-wise sums and row storage: ${secs(krs.seconds - productSeconds)}`,
  );
  log(
    `  the untimed first run: ${secs(krs.warmUp.seconds)}, CPU ${krs.warmUp.cpuSeconds.toFixed(1)} s (it also pays the page faults of the centred copies, which the backend lends again to later runs)`,
  );
  log(`ratio krs / NumPy: ${result.krs.ratioVsNumpy.toFixed(2)}×   (target ≤ 1.0×: ${result.krs.ratioVsNumpy <= 1 ? 'met' : 'NOT met'})`);
  log(`ratio of the least CPU time per run (less sensitive to other load on the machine): ${result.krs.cpuRatioVsNumpy.toFixed(2)}×`);
  log(`CKA krs ${r.value.toFixed(9)}, NumPy ${numpy.cka.toFixed(9)}: |Δ| = ${result.krs.absDiffVsNumpy.toExponential(2)}`);
  log(`  (NumPy self-check on a slice, Gram route vs float64 feature space: |Δ| = ${numpy.selfCheck.absDiff.toExponential(2)})`);
  log(
    `peak memory (RSS high-water mark, data included): NumPy ${gib(numpy.maxRssBytes)} (${gib(numpy.loadedRssBytes)} after loading), krs ${gib(result.krs.maxRssBytes)} (${gib(loadedRss)} after loading)`,
  );
  log(
    `machine: load ${state.loadStart.toFixed(2)} → ${state.loadEnd.toFixed(2)}, CPU busy ${(100 * state.busyFraction).toFixed(0)} %, stolen ${(100 * state.stealFraction).toFixed(0)} %`,
  );
}
if (r.route !== 'sample-space') {
  console.error(`expected the sample-space route, krs took ${r.route}`);
  process.exitCode = 1;
}
if (!(result.krs.absDiffVsNumpy < 1e-5) || !(numpy.selfCheck.absDiff < 1e-6)) {
  console.error(`CKA values disagree: krs vs NumPy ${result.krs.absDiffVsNumpy}, NumPy self-check ${numpy.selfCheck.absDiff}`);
  process.exitCode = 1;
}
