#!/usr/bin/env node
/**
 * bench/score grid — the exact cross-layer linear-CKA matrix of 8 teacher × 8 student layers
 * (widths 512–4096, n = 10 000: the shape of pytorch-cka's published figure, all ResNet-18
 * layer pairs on 10 000 CIFAR images in 2.33 s on an H100), timed in krs (`CrossLayerCka` on
 * the ONNX Runtime float32 backend) and in a committed NumPy script
 * (bench/score/grid_reference.py: centred float32 Gram blocks by sgemm, all pair sums at once
 * by a float64 dsyrk per block) on the same arrays, in the same invocation.
 *
 *     npm run bench:grid                  # = node bench/score/grid.mjs
 *     node bench/score/grid.mjs --repeat 2 --batch 500 --json
 *
 * krs takes the sample-space route (told n, n²/2·(Σp + Σq) ≈ 1.7e12 multiply-adds is below
 * the feature space's n·(Σp²/2 + Σq²/2 + Σp·Σq) ≈ 3.4e12): the rows are kept and one
 * Gram pass over every layer's n × n Gram matrix, block by block, serves all 64 pairs.
 *
 * Steps: generate the data with NumPy if bench/score/data/grid/ is missing (seeded,
 * bench/score/generate_grid.py, ~1.4 GB, gitignored); build dist/ if stale; run the NumPy
 * reference in its own process (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its
 * environment only); run krs in this process; print both times, their ratio, the largest
 * CKA difference over the 64 cells and each process's peak memory (RSS high-water mark, data
 * included). Target (the issue): krs ≤ 1.0× NumPy.
 *
 * Timed on both sides: the computation only (krs: a new CrossLayerCka fed the loaded arrays
 * in batches of --batch rows as a data loader would — handed over (`{ handOver: true }`, the fourth argument), so
 * the rows are kept without a copy, as a loader's fresh arrays may be — then compute(); NumPy: centring, the
 * Gram blocks, the sums), not loading; one untimed warm-up, then --repeat runs (default 3),
 * best time.
 *
 * Options: --repeat N, --batch N (rows per update, default 1000), --backend
 * onnxruntime|openblas (default onnxruntime; openblas is the native addon of npm run
 * build:native, run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, see common.mjs
 * benchBackend), --threads N (the backend's threads, default all cores), --data DIR (another
 * data set made by generate_grid.py --out DIR --n N; it must exist), --json.
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
const batch = Number(option(args, 'batch', 1000));
const asJson = args.includes('--json');
const log = (...a) => (asJson ? console.error(...a) : console.log(...a));

const { dataDir, manifest } = benchData(args, join(here, 'data', 'grid'), 'generate_grid.py', log);
ensureBuild(log, [
  ['dist/similarity/cross-layer.js', 'src/similarity/cross-layer.ts'],
  ['dist/linalg/gram-pass.js', 'src/linalg/gram-pass.ts'],
]);
const { CrossLayerCka } = await import(join(root, 'dist/similarity/cross-layer.js'));

const n = manifest.n;
const tWidths = manifest.teacherWidths;
const sWidths = manifest.studentWidths;
const tNames = tWidths.map((_, d) => `t${d}`);
const sNames = sWidths.map((_, d) => `s${d}`);
log(
  `bench/score grid: n = ${n}, ${tWidths.length} teacher layers (widths ${tWidths.join(', ')}) × ${sWidths.length} student layers (${sWidths.join(', ')}), float32, batches of ${batch}, best of ${repeat}`,
);

const machine = machineMonitor();
const numpy = runNumpy('grid_reference.py', ['--data', dataDir, '--repeat', String(repeat)]);

const teacher = tNames.map((_, d) => readNpyFloat32(join(dataDir, `teacher_${d}.npy`)));
const student = sNames.map((_, d) => readNpyFloat32(join(dataDir, `student_${d}.npy`)));
collectGarbage();
const loadedRss = maxRssBytes();

/** Rows [start, end) of every layer as a record of tensors (views, no copies). */
const record = (names, arrays, start, end) =>
  Object.fromEntries(
    names.map((name, i) => {
      const { shape, data } = arrays[i];
      const p = shape[1];
      return [name, { dtype: 'float32', shape: [end - start, p], data: data.subarray(start * p, end * p) }];
    }),
  );

const { backend, label } = await benchBackend(args, log);
let krs;
try {
  const warm = { rows: 64, cols: 8, data: new Float64Array(512).fill(1) };
  await backend.products([{ op: 'ABt', a: warm, b: warm }]); // session creation (ORT) or thread start (OpenBLAS) outside the timing
  const timed = timedBackend(backend);
  krs = await timeBest(async () => {
    timed.take();
    const m = new CrossLayerCka(tNames, sNames, { backend: timed.backend, samples: n });
    for (let s = 0; s < n; s += batch) {
      const e = Math.min(n, s + batch);
      // Handed over: the batches are views of arrays nobody writes to, as a loader's fresh arrays are.
      await m.update(record(tNames, teacher, s, e), record(sNames, student, s, e), {}, { handOver: true });
    }
    const value = await m.compute();
    return { value, productSeconds: timed.take() };
  }, repeat);
} finally {
  await backend.dispose();
}
const state = machine.stop();

const r = krs.result.value;
const best = krs.runs.indexOf(krs.seconds);
const productSeconds = krs.productSeconds[best];
let maxDiff = 0;
r.cka.forEach((row, i) =>
  row.forEach((v, j) => {
    maxDiff = Math.max(maxDiff, v === null ? Number.POSITIVE_INFINITY : Math.abs(v - numpy.cka[i][j]));
  }),
);
const result = {
  n,
  teacherWidths: tWidths,
  studentWidths: sWidths,
  batch,
  repeat,
  machine: state,
  numpy: {
    version: numpy.numpy,
    blas: numpy.blas,
    block: numpy.block,
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
    cka: r.cka,
    maxRssBytes: maxRssBytes(),
    loadedRssBytes: loadedRss,
    ratioVsNumpy: krs.seconds / numpy.seconds,
    cpuRatioVsNumpy: Math.min(...krs.cpuSeconds) / Math.min(...numpy.cpuSeconds),
    maxAbsDiffVsNumpy: maxDiff,
  },
};

if (asJson) {
  console.log(JSON.stringify(result));
} else {
  const b = numpy.blas;
  log(`NumPy ${numpy.numpy}, BLAS ${b.library} ${b.version ?? ''} kernel ${b.coretype ?? '?'}, ${b.threads ?? '?'} threads`);
  log(
    `  NumPy (blocks of ${numpy.block}, float32 Grams, float64 sums): ${secs(numpy.seconds)}   runs ${numpy.runs.map((s) => s.toFixed(3)).join(', ')}, CPU ${numpy.cpuSeconds.map((s) => s.toFixed(1)).join(', ')} s`,
  );
  log(
    `krs ${backend.name} (${label}), ${backend.threads} threads, route ${r.route}: ${secs(krs.seconds)}   runs ${krs.runs.map((s) => s.toFixed(3)).join(', ')}, CPU ${krs.cpuSeconds.map((s) => s.toFixed(1)).join(', ')} s`,
  );
  log(
    `  of which in backend.products (float32 conversion, Gemms, float64 copies): ${secs(productSeconds)}; in the Gram pass's element-wise sums and row storage: ${secs(krs.seconds - productSeconds)} (products per run: ${krs.productSeconds.map((s) => s.toFixed(2)).join(', ')} s)`,
  );
  log(
    `  the untimed first run: ${secs(krs.warmUp.seconds)}, CPU ${krs.warmUp.cpuSeconds.toFixed(1)} s (it also pays the page faults of the centred copies, which the backend lends again to later runs)`,
  );
  log(`ratio krs / NumPy: ${result.krs.ratioVsNumpy.toFixed(2)}×   (target ≤ 1.0×: ${result.krs.ratioVsNumpy <= 1 ? 'met' : 'NOT met'})`);
  log(`ratio of the least CPU time per run (less sensitive to other load on the machine): ${result.krs.cpuRatioVsNumpy.toFixed(2)}×`);
  log('CKA (krs), teacher rows × student columns:');
  for (const row of r.cka) log(`  ${row.map((v) => (v === null ? '  null' : v.toFixed(4))).join(' ')}`);
  log(
    `max |ΔCKA| krs vs NumPy over ${tWidths.length * sWidths.length} cells: ${maxDiff.toExponential(2)}   (NumPy self-check, blocked vs float64 feature space on a slice: ${numpy.selfCheck.maxAbsDiff.toExponential(2)})`,
  );
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
if (!(maxDiff < 1e-5) || !(numpy.selfCheck.maxAbsDiff < 1e-6)) {
  console.error(`CKA values disagree: krs vs NumPy ${maxDiff}, NumPy self-check ${numpy.selfCheck.maxAbsDiff}`);
  process.exitCode = 1;
}
