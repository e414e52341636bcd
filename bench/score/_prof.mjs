import { join } from 'node:path';

const root = '/work/main';
const { readNpyFloat32, benchBackend, timedBackend } = await import(join(root, 'bench/score/common.mjs'));
const { CrossLayerCka } = await import(join(root, 'dist/similarity/cross-layer.js'));
const dataDir = join(root, 'bench/score/data/grid');
const teacher = [...Array(8).keys()].map((d) => readNpyFloat32(join(dataDir, `teacher_${d}.npy`)));
const student = [...Array(8).keys()].map((d) => readNpyFloat32(join(dataDir, `student_${d}.npy`)));
const tNames = teacher.map((_, d) => `t${d}`),
  sNames = student.map((_, d) => `s${d}`);
const n = 10000,
  batch = 1000;
const record = (names, arrays, start, end) =>
  Object.fromEntries(
    names.map((name, i) => {
      const { shape, data } = arrays[i];
      const p = shape[1];
      return [name, { dtype: 'float32', shape: [end - start, p], data: data.subarray(start * p, end * p) }];
    }),
  );
const { backend } = await benchBackend(process.argv.slice(2), console.log);
const warm = { rows: 64, cols: 8, data: new Float64Array(512).fill(1) };
await backend.products([{ op: 'ABt', a: warm, b: warm }]);
const acc = { centre: 0, sums: 0 };
if (process.env.NO_CENTRE) delete backend.centreRows;
for (const k of ['centreRows', 'panelSums'])
  if (backend[k]) {
    const f = backend[k].bind(backend);
    backend[k] = (...a) => {
      const t = performance.now();
      try {
        return f(...a);
      } finally {
        acc[k === 'centreRows' ? 'centre' : 'sums'] += performance.now() - t;
      }
    };
  }
const gstat = new Map();
if (process.env.HUGE) {
  const { createRequire } = await import('node:module');
  const ad = createRequire(import.meta.url)(join(root, 'native/krs_blas.node'));
  globalThis.__advise = (b) => ad.adviseHugePages(b);
}
globalThis.__gemmHook = (name, m, n, k, dt) => {
  const key = `${name} k=${k}`;
  const e = gstat.get(key) ?? { ms: 0, flop: 0, calls: 0 };
  e.ms += dt;
  e.flop += 2 * m * n * k * (name === 'syrk' ? 0.5 : 1);
  e.calls++;
  gstat.set(key, e);
};
const timed = timedBackend(backend);

import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

const session = new Session();
session.connect();
for (let r = 0; r < Number(process.env.RUNS ?? 2); r++) {
  if (r === 1) {
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  timed.take();
  const t0 = performance.now();
  const m = new CrossLayerCka(tNames, sNames, { backend: timed.backend, samples: n });
  for (let s = 0; s < n; s += batch) {
    const e = Math.min(n, s + batch);
    await m.update(record(tNames, teacher, s, e), record(sNames, student, s, e), {}, { handOver: true });
  }
  const t1 = performance.now();
  await m.compute();
  const t2 = performance.now();
  console.log(
    `run ${r}: update ${(t1 - t0) / 1000} s, compute ${(t2 - t1) / 1000} s, products ${timed.take()} s, centre ${acc.centre / 1000}, sums ${acc.sums / 1000}`,
  );
  acc.centre = acc.sums = 0;
  if (r === Number(process.env.RUNS ?? 2) - 1) {
    let ms = 0,
      fl = 0;
    for (const [k, e] of [...gstat].sort()) {
      ms += e.ms;
      fl += e.flop;
      console.log(k, e.calls, (e.ms / 1000).toFixed(2), 's', (e.flop / e.ms / 1e6).toFixed(0), 'GFLOP/s');
    }
    console.log('total', (ms / 1000).toFixed(2), (fl / ms / 1e6).toFixed(0));
  }
  gstat.clear();
}
const { profile } = await session.post('Profiler.stop');
writeFileSync('/tmp/prof/warm.cpuprofile', JSON.stringify(profile));
await backend.dispose();
