#!/usr/bin/env node
/**
 * bench/serve — throughput and latency of `krs serve` on loopback, on SQLite and (when it
 * answers) PostgreSQL, plus a crash test. Bounded: each case stops after --count posts or
 * --seconds seconds, whichever comes first; the servers are child processes this script
 * starts and kills; temporary stores are removed (PostgreSQL: a schema of its own, dropped).
 *
 *     npm run bench:serve                  # = node bench/serve/run.mjs
 *     node bench/serve/run.mjs --count 300 --seconds 10 --pg postgres://postgres@127.0.0.1:5432/test --json
 *
 * Cases, each with 1, 8 and 32 concurrent clients (each client posts, waits for the
 * acknowledgement, posts again):
 *   batch — an output-only batch, 256 samples × 1000 classes of teacher and student logits
 *           (float32 .npz body, 2 MB), scored on the server (AOA; no layer pairs);
 *   state — a serialised KrsMetric state (one layer pair 128 → 64, 1000 classes, 5 groups,
 *           256 samples; 1.1 MB of JSON), validated, checked against the run's settings,
 *           scored (with its intervals) and stored.
 * Reported: posts/s (acknowledged posts ÷ wall time) and p50/p99 latency (ms).
 *
 * Crash test (per store): 8 clients post states; the server is killed with SIGKILL once 40
 * are acknowledged; a new server on the same store must hold every acknowledged post, whole.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuild, option, root } from '../score/common.mjs';

const args = process.argv.slice(2);
const count = Number(option(args, 'count', 400));
const seconds = Number(option(args, 'seconds', 8));
const pgUrl = option(args, 'pg', 'postgres://postgres@127.0.0.1:5432/test');
const asJson = args.includes('--json');
const log = (s) => (asJson ? process.stderr : process.stdout).write(`${s}\n`);

ensureBuild(log, [
  ['dist/cli/main.js', 'src/cli/main.ts'],
  ['dist/serve/app.js', 'src/serve/app.ts'],
  ['dist/serve/service.js', 'src/serve/service.ts'],
  ['dist/serve/store/store.js', 'src/serve/store/store.ts'],
]);
const BIN = join(root, 'dist/cli/main.js');
const { KrsMetric } = await import(join(root, 'dist/krs/metric.js'));
const { NpzWriter } = await import(join(root, 'dist/io/node-npz-writer.js'));
const pg = (await import('pg')).default;

// ---------------------------------------------------------------- data
let seed = 1;
const rand = () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 32 - 0.5;
};
const f32 = (n, p, f = rand) => ({ dtype: 'float32', shape: [n, p], data: Float32Array.from({ length: n * p }, f) });
const tmp = mkdtempSync(join(tmpdir(), 'krs-bench-serve-'));
const N = 256;
const C = 1000;
const tOut = f32(N, C);
const sOut = { ...tOut, data: tOut.data.map((x) => 1.5 * x + 0.2 * rand()) };
const npzFile = join(tmp, 'batch.npz');
const w = new NpzWriter(npzFile, N);
w.append('teacher_output', tOut);
w.append('student_output', sOut);
w.finish();
const batchBody = readFileSync(npzFile);
const STATE_SETTINGS = { pairs: ['h:h'], intervals: { groups: 5 } };
const metric = new KrsMetric({ task: 'classification', pairs: [{ teacher: 'h', student: 'h' }], intervals: { groups: 5 } });
const tH = f32(N, 128);
const sH = f32(N, 64);
await metric.update({ teacher: { h: tH }, student: { h: sH }, teacherOutput: tOut, studentOutput: sOut });
const stateBody = JSON.stringify({ state: metric.toJSON() });
log(`bodies: batch ${(batchBody.length / 1e6).toFixed(2)} MB (.npz, ${N} × ${C} float32 × 2); state ${(stateBody.length / 1e6).toFixed(2)} MB (JSON)`);

// ---------------------------------------------------------------- server
/** Every server this script started: killed when it ends, however it ends. */
const children = new Set();
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
function serve(store) {
  const child = spawn(process.execPath, [BIN, 'serve', '--store', store, '--port', '0', '--rate-limit', '0', '--body-limit', '64'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${err}`)), 30_000);
    child.stdout.on('data', (c) => {
      out += c;
      const m = /krs serve: (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1] });
      }
    });
    child.stderr.on('data', (c) => (err += c));
    child.on('exit', (code, sig) => reject(new Error(`server exited (${code ?? sig}): ${err}`)));
  });
}
const stop = (child) =>
  new Promise((r) => {
    if (child.exitCode !== null || child.signalCode !== null) return r();
    child.once('exit', r);
    child.kill('SIGKILL');
  });

async function json(url, path, body) {
  const r = await fetch(url + path, { method: body ? 'POST' : 'GET', headers: { 'content-type': 'application/json' }, body: body && JSON.stringify(body) });
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return r.json();
}

// ---------------------------------------------------------------- load
async function load(url, path, body, type, clients) {
  const lat = [];
  let posted = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const one = async () => {
    while (posted < count && performance.now() < deadline) {
      posted++;
      const t0 = performance.now();
      const r = await fetch(url + path, { method: 'POST', headers: { 'content-type': type }, body });
      const text = await r.text();
      if (r.status !== 201) throw new Error(`${path}: ${r.status} ${text.slice(0, 200)}`);
      lat.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: clients }, one));
  const wall = (performance.now() - started) / 1000;
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
  return { posts: lat.length, seconds: wall, perSecond: lat.length / wall, p50: q(0.5), p99: q(0.99) };
}

async function crash(store) {
  const { child, url } = await serve(store);
  await json(url, '/v1/runs', { name: 'crash', task: 'classification', settings: STATE_SETTINGS });
  const acked = new Set();
  let next = 0;
  let dead = false;
  const one = async () => {
    while (!dead) {
      const step = next++;
      try {
        const r = await fetch(`${url}/v1/runs/crash/states`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: stateBody.replace('{"state"', `{"step":${step},"state"`),
        });
        await r.text();
        if (r.status === 201) acked.add(step);
      } catch {}
    }
  };
  const clients = Array.from({ length: 8 }, one);
  // Kill once 40 posts are acknowledged (or after 10 s), mid-load.
  const until = Date.now() + 10_000;
  while (acked.size < 40 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  dead = true;
  await stop(child);
  await Promise.allSettled(clients);
  const again = await serve(store);
  try {
    const { points } = await json(again.url, '/v1/runs/crash/points');
    const steps = new Set(points.map((p) => p.step));
    const missing = [...acked].filter((s) => !steps.has(s));
    const w = await json(again.url, '/v1/runs/crash/window');
    const whole = w.points === points.length && w.scores.n === N * points.length;
    return { acknowledged: acked.size, stored: points.length, missing: missing.length, whole };
  } finally {
    await stop(again.child);
  }
}

// ---------------------------------------------------------------- stores
const stores = [{ name: 'sqlite', location: join(tmp, 'krs.db') }];
const schema = `krs_bench_${process.pid}_${Date.now().toString(36)}`;
try {
  const c = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 2000 });
  await c.connect();
  await c.end();
  stores.push({ name: 'postgres', location: `${pgUrl}?schema=${schema}` });
} catch (e) {
  log(`PostgreSQL skipped: no server at ${pgUrl} (${e.message})`);
}

const results = [];
try {
  for (const s of stores) {
    const { child, url } = await serve(s.location);
    try {
      await json(url, '/v1/runs', { name: 'batch', kind: 'deployment', task: 'classification', settings: { pairs: [] } });
      await json(url, '/v1/runs', { name: 'state', task: 'classification', settings: STATE_SETTINGS });
      // Warm-up (JIT, connections), not timed.
      await load(url, '/v1/runs/batch/batches', batchBody, 'application/x-npz', 2);
      for (const clients of [1, 8, 32]) {
        for (const [kind, path, body, type] of [
          ['batch', '/v1/runs/batch/batches', batchBody, 'application/x-npz'],
          ['state', '/v1/runs/state/states', stateBody, 'application/json'],
        ]) {
          const r = await load(url, path, body, type, clients);
          results.push({ store: s.name, case: kind, clients, ...r });
          log(
            `${s.name.padEnd(8)} ${kind.padEnd(5)} ${String(clients).padStart(2)} clients: ${r.perSecond.toFixed(1).padStart(7)} posts/s  p50 ${r.p50.toFixed(1).padStart(6)} ms  p99 ${r.p99.toFixed(1).padStart(6)} ms  (${r.posts} posts in ${r.seconds.toFixed(1)} s)`,
          );
        }
      }
    } finally {
      await stop(child);
    }
    const c = await crash(s.location.replace(/krs\.db$/, 'crash.db').replace(schema, `${schema}_crash`));
    results.push({ store: s.name, case: 'crash', ...c });
    log(
      `${s.name.padEnd(8)} crash: ${c.acknowledged} acknowledged, ${c.stored} stored, ${c.missing} acknowledged missing, every stored point whole: ${c.whole}`,
    );
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
  if (stores.length > 1) {
    const c = new pg.Client({ connectionString: pgUrl });
    await c.connect();
    await c.query(`drop schema if exists "${schema}" cascade`);
    await c.query(`drop schema if exists "${schema}_crash" cascade`);
    await c.end();
  }
}
if (asJson) process.stdout.write(`${JSON.stringify({ count, seconds, node: process.version, results }, null, 2)}\n`);
