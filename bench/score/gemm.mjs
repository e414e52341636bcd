#!/usr/bin/env node
/**
 * bench/score gemm — the block products of the sample-space Gram pass, alone: ONNX Runtime's
 * MLAS (krs's float32 backend, `productsAsComputed`, results in reused buffers) against NumPy's
 * OpenBLAS (bench/score/gemm_reference.py, `np.matmul(..., out=C)`) on the same shapes, in the
 * same invocation, with the same thread count on both sides. It answers one question the wide
 * and grid benches raise: is krs's excess over NumPy in the products or around them?
 *
 *     npm run bench:gemm                       # = node bench/score/gemm.mjs (all cores)
 *     node bench/score/gemm.mjs --threads 1 --repeat 5 --json
 *     node bench/score/gemm.mjs --backend openblas   # krs's OpenBLAS addon (npm run build:native) instead
 *
 * Cases (M × N × K, float32, seeded N(0, 1) data on each side): the Gram pass's panel
 * products A·Bᵀ (1024 × 4096, K = the wide bench's widths 21 632 and 12 544 and the grid's
 * 4096 and 512) and a block-row's diagonal block A·Aᵀ (1024 × 1024, K = 21 632; krs's
 * symmetric product by block columns, NumPy's `ssyrk`). GFLOP/s counts 2·M·N·K for a general
 * product and M·M·K (the useful half) for a symmetric one. Best of --repeat after a warm-up.
 */
import { join } from 'node:path';
import { benchBackend, machineMonitor, option, root, runNumpy } from './common.mjs';

const args = process.argv.slice(2);
const repeat = Number(option(args, 'repeat', 3));
const threads = option(args, 'threads') === undefined ? undefined : Number(option(args, 'threads'));
const asJson = args.includes('--json');
const log = (...a) => (asJson ? console.error(...a) : console.log(...a));

const cases = [
  ['general', 1024, 4096, 21632],
  ['general', 1024, 4096, 12544],
  ['general', 1024, 4096, 4096],
  ['general', 1024, 4096, 512],
  ['symmetric', 1024, 1024, 21632],
];

const { backend, label } = await benchBackend(args, log);
const { createRng } = await import(join(root, 'dist/core/rng.js'));

const machine = machineMonitor();
const numpyEnv = threads === undefined ? {} : { OPENBLAS_NUM_THREADS: String(threads) };
const numpy = runNumpy('gemm_reference.py', ['--cases', JSON.stringify(cases), '--repeat', String(repeat)], numpyEnv);

/** Seeded N(0, 1) float32 values (Box–Muller on krs's generator; the distribution, not NumPy's stream). */
function normals(length, seed) {
  const rng = createRng(seed, 'bench-gemm');
  const out = new Float32Array(length);
  for (let i = 0; i < length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rng.next()));
    const t = 2 * Math.PI * rng.next();
    out[i] = r * Math.cos(t);
    if (i + 1 < length) out[i + 1] = r * Math.sin(t);
  }
  return out;
}

const krs = [];
try {
  for (const [kind, m, n, k] of cases) {
    const a = { rows: m, cols: k, data: normals(m * k, 1), rangeSafe: true };
    const b = kind === 'symmetric' ? a : { rows: n, cols: k, data: normals(n * k, 2), rangeSafe: true };
    const run = () => backend.productsAsComputed([{ op: 'ABt', a, b }]);
    await run();
    let best = Number.POSITIVE_INFINITY;
    for (let r = 0; r < repeat; r++) {
      const t0 = performance.now();
      await run();
      best = Math.min(best, (performance.now() - t0) / 1000);
    }
    const flops = kind === 'symmetric' ? m * m * k : 2 * m * n * k;
    krs.push({ kind, m, n, k, seconds: best, gflops: flops / best / 1e9 });
  }
} finally {
  await backend.dispose();
}
const state = machine.stop();
const rows = krs.map((c, i) => ({ ...c, numpyGflops: numpy.cases[i].gflops, ratio: numpy.cases[i].seconds / c.seconds }));
const result = {
  backend: backend.name,
  core: backend.core,
  threads: backend.threads,
  repeat,
  machine: state,
  numpy: { version: numpy.numpy, blas: numpy.blas },
  cases: rows,
};

if (asJson) {
  console.log(JSON.stringify(result));
} else {
  const b = numpy.blas;
  log(
    `${label} ${backend.threads} threads vs NumPy ${numpy.numpy}, ${b.library} ${b.version ?? ''} kernel ${b.coretype ?? '?'}, ${b.threads ?? '?'} threads; best of ${repeat}`,
  );
  log('case                      krs GFLOP/s  NumPy GFLOP/s  krs time / NumPy time');
  for (const c of rows) {
    const name = `${c.kind === 'symmetric' ? 'A·Aᵀ' : 'A·Bᵀ'} ${c.m}×${c.n}×${c.k}`.padEnd(26);
    log(`${name}${c.gflops.toFixed(0).padStart(11)}${c.numpyGflops.toFixed(0).padStart(15)}${(1 / c.ratio).toFixed(2).padStart(12)}×`);
  }
  log(
    `machine: load ${state.loadStart.toFixed(2)} → ${state.loadEnd.toFixed(2)}, CPU busy ${(100 * state.busyFraction).toFixed(0)} %, stolen ${(100 * state.stealFraction).toFixed(0)} %`,
  );
}
