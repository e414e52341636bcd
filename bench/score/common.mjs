/**
 * Helpers shared by the bench/score scripts (run.mjs, wide.mjs, grid.mjs): options, the
 * .npy reader, the dist/ build check, running a NumPy reference script, best-of-N timing,
 * and the machine's state (load, CPU steal) during a run.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';

export const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, '..', '..');

/** `--name value` from argv, or the default. */
export function option(args, name, dflt) {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
}

/** Run a seeded generator script into `dir` unless `dir/manifest.json` exists; returns the manifest. */
export function ensureGenerated(dir, script, log, extraArgs = []) {
  const manifest = join(dir, 'manifest.json');
  if (!existsSync(manifest)) {
    log(`generating bench data (NumPy, seeded, ${script}) into ${dir} …`);
    const r = spawnSync('python3', [join(here, script), '--out', dir, ...extraArgs], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`bench/score/${script} failed`);
  }
  return JSON.parse(readFileSync(manifest, 'utf8'));
}

/** Build dist/ when one of the given outputs is missing or older than its source. */
export function ensureBuild(log, needed) {
  const stale = needed.some(([out, src]) => {
    const o = join(root, out);
    const s = join(root, src);
    return existsSync(s) && (!existsSync(o) || statSync(o).mtimeMs < statSync(s).mtimeMs);
  });
  if (!stale) return;
  log('building dist/ (tsc -p tsconfig.build.json) …');
  // tsc emits even when other files have type errors; only a missing output is fatal.
  spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], {
    stdio: 'ignore',
    cwd: root,
  });
  for (const [out] of needed) if (!existsSync(join(root, out))) throw new Error(`build failed: ${out} missing`);
}

/**
 * Minimal .npy reader: little-endian float32, C order (what the generators write). The
 * values are read straight into the returned Float32Array (no second copy of the file in
 * memory, so the RSS high-water mark counts the data once).
 */
export function readNpyFloat32(file) {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(12);
    readSync(fd, head, 0, 12, 0);
    if (head.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file}: not a .npy file`);
    const major = head[6];
    const headerLen = major === 1 ? head.readUInt16LE(8) : head.readUInt32LE(8);
    const start = major === 1 ? 10 : 12;
    const headerBuf = Buffer.alloc(headerLen);
    readSync(fd, headerBuf, 0, headerLen, start);
    const header = headerBuf.toString('latin1');
    if (!/'descr':\s*'<f4'/.test(header) || !/'fortran_order':\s*False/.test(header)) {
      throw new Error(`${file}: expected little-endian float32 in C order, header ${header.trim()}`);
    }
    const shape = header
      .match(/'shape':\s*\(([^)]*)\)/)[1]
      .split(',')
      .filter((s) => s.trim())
      .map(Number);
    const count = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(count);
    const bytes = new Uint8Array(data.buffer);
    let done = 0;
    while (done < bytes.length) {
      const got = readSync(fd, bytes, done, Math.min(bytes.length - done, 1 << 30), start + headerLen + done);
      if (got === 0) throw new Error(`${file}: truncated (${done} of ${bytes.length} data bytes)`);
      done += got;
    }
    return { shape, data };
  } finally {
    closeSync(fd);
  }
}

/**
 * Run a NumPy script with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its
 * environment only (so OpenBLAS picks its kernel for this CPU); returns its JSON output.
 */
export function runNumpy(script, args, extraEnv = {}) {
  const env = { ...process.env, ...extraEnv };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const r = spawnSync('python3', [join(here, script), ...args], { env, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`bench/score/${script} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

let gcFn;
/** Collect garbage (V8's gc, exposed on first use) so one run's leftovers do not raise the next run's peak memory. */
export function collectGarbage() {
  if (!gcFn) {
    v8.setFlagsFromString('--expose-gc');
    gcFn = vm.runInNewContext('gc');
  }
  gcFn();
}

/**
 * One untimed warm-up call, then `repeat` timed calls (garbage collected before each,
 * untimed); the best time, every run's time and CPU time (all threads), the last result,
 * and each run's `result.productSeconds` when the calls report one.
 */
export async function timeBest(fn, repeat) {
  collectGarbage();
  const w0 = performance.now();
  const wc0 = process.cpuUsage();
  await fn();
  const wc = process.cpuUsage(wc0);
  const warmUp = { seconds: (performance.now() - w0) / 1000, cpuSeconds: (wc.user + wc.system) / 1e6 };
  const runs = [];
  const productSeconds = [];
  const cpuSeconds = [];
  let result;
  for (let r = 0; r < repeat; r++) {
    collectGarbage();
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    result = await fn();
    const c = process.cpuUsage(c0);
    runs.push((performance.now() - t0) / 1000);
    cpuSeconds.push((c.user + c.system) / 1e6);
    if (result && typeof result.productSeconds === 'number') productSeconds.push(result.productSeconds);
  }
  return { seconds: Math.min(...runs), runs, cpuSeconds, productSeconds, result, warmUp };
}

/** This process's RSS high-water mark, bytes (process.resourceUsage().maxRSS is in KiB). */
export function maxRssBytes() {
  return process.resourceUsage().maxRSS * 1024;
}

/** CPU counters from /proc/stat (Linux; null elsewhere). */
function cpuTimes() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = f;
    return { busy: user + nice + system + irq + softirq, idle: idle + iowait, steal: steal ?? 0 };
  } catch {
    return null;
  }
}

/**
 * The machine while a benchmark runs: `start()` notes the 1-minute load average and the CPU
 * counters; `stop()` returns the load at both ends and the fractions of CPU time that were
 * busy (all processes) and stolen by the hypervisor in between.
 */
export function machineMonitor() {
  const load0 = loadavg()[0];
  const t0 = cpuTimes();
  return {
    stop() {
      const t1 = cpuTimes();
      const out = { loadStart: load0, loadEnd: loadavg()[0] };
      if (t0 && t1) {
        const total = t1.busy + t1.idle + t1.steal - (t0.busy + t0.idle + t0.steal);
        out.busyFraction = (t1.busy - t0.busy) / total;
        out.stealFraction = (t1.steal - t0.steal) / total;
      }
      return out;
    },
  };
}

export const gib = (bytes) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;
export const secs = (s) => `${s.toFixed(3)} s`;

/**
 * The backend with a stopwatch on `products` and `productsAsComputed` (operand conversion to
 * float32, the Gemms, any float64 copies of the results — everything the backend does): `take()` returns the seconds
 * spent inside it since the last `take()`. The rest of a run's time is the caller's own
 * JavaScript (for the Gram pass: its element-wise sums over every block; storing rows).
 */
export function timedBackend(inner) {
  let spent = 0;
  const backend = {
    name: inner.name,
    threads: inner.threads,
    async products(requests) {
      const t0 = performance.now();
      try {
        return await inner.products(requests);
      } finally {
        spent += performance.now() - t0;
      }
    },
  };
  // Lent buffers are not products: passed through untimed.
  if (inner.lendBuffer) backend.lendBuffer = (length) => inner.lendBuffer(length);
  if (inner.giveBackBuffer) backend.giveBackBuffer = (buffer) => inner.giveBackBuffer(buffer);
  // Nor are the Gram pass's element-wise sums (counted with the rest of the pass, as in JavaScript).
  if (inner.panelSums) backend.panelSums = (...a) => inner.panelSums(...a);
  if (inner.centreRows) backend.centreRows = (...a) => inner.centreRows(...a);
  if (inner.productsAsComputed) {
    backend.productsAsComputed = async (requests) => {
      const t0 = performance.now();
      try {
        return await inner.productsAsComputed(requests);
      } finally {
        spent += performance.now() - t0;
      }
    };
  }
  return {
    backend,
    take() {
      const s = spent / 1000;
      spent = 0;
      return s;
    },
  };
}

/**
 * The matrix backend a bench measures, from `--backend onnxruntime|openblas` (default
 * onnxruntime) and `--threads N` (default all cores): `{ backend, label }`.
 *
 * openblas: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed from this process's
 * environment before the addon (and so OpenBLAS) is first loaded — the same removal
 * `runNumpy` makes for NumPy — so both sides run the kernel OpenBLAS picks for this CPU
 * (reported in the label). The addon must be built (`npm run build:native`); if it is not,
 * one line says so and the process exits 1.
 */
export async function benchBackend(args, log) {
  const name = option(args, 'backend', 'onnxruntime');
  const threadsArg = option(args, 'threads');
  const threads = threadsArg === undefined ? undefined : Number(threadsArg);
  if (name === 'onnxruntime') {
    ensureBuild(log, [
      ['dist/runtime/ort-backend.js', 'src/runtime/ort-backend.ts'],
      ['dist/runtime/gemm-backend.js', 'src/runtime/gemm-backend.ts'],
    ]);
    const { createOrtBackend } = await import(join(root, 'dist/runtime/ort-backend.js'));
    const backend = await createOrtBackend(threads === undefined ? {} : { intraOpNumThreads: threads });
    return { backend, label: 'ONNX Runtime (MLAS)' };
  }
  if (name !== 'openblas') {
    console.error(`--backend ${name}: expected onnxruntime or openblas`);
    process.exit(1);
  }
  ensureBuild(log, [
    ['dist/runtime/blas-backend.js', 'src/runtime/blas-backend.ts'],
    ['dist/runtime/gemm-backend.js', 'src/runtime/gemm-backend.ts'],
  ]);
  delete process.env.OPENBLAS_CORETYPE;
  delete process.env.OPENBLAS_L2_SIZE;
  const { createBlasBackend } = await import(join(root, 'dist/runtime/blas-backend.js'));
  try {
    const backend = await createBlasBackend(threads === undefined ? {} : { threads });
    return {
      backend,
      label: `OpenBLAS (kernel ${backend.core}; OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE unset; OPENBLAS_THREAD_TIMEOUT ${backend.threadTimeout || 'unset'})`,
    };
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}

/** The data set's manifest: generated into the default folder when missing; an explicit `--data` folder must hold one. */
export function benchData(args, defaultDir, script, log) {
  const dir = option(args, 'data');
  if (dir !== undefined && !existsSync(join(dir, 'manifest.json'))) {
    console.error(`--data ${dir}: no manifest.json there (make one with bench/score/${script} --out ${dir})`);
    process.exit(1);
  }
  const dataDir = dir ?? defaultDir;
  return { dataDir, manifest: ensureGenerated(dataDir, script, log) };
}
