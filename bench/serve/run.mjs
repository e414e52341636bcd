#!/usr/bin/env node
/**
 * bench/serve — throughput and latency of `krs serve` on loopback, side by side with ceilings
 * measured in the same run, on SQLite and (when it answers) PostgreSQL. One table per store;
 * `--json` prints every figure as JSON on stdout (the tables then go to stderr).
 *
 *     npm run bench:serve                 # = node bench/serve/run.mjs
 *     node bench/serve/run.mjs --seconds 5 --warmup 2 --count 20000 --clients 8 --points 10000 --tabs 5 \
 *         --pg postgres://postgres@127.0.0.1:5432/test --stores sqlite,postgres --json
 *
 * Per store, with `--clients` (8) closed-loop clients (each sends, waits for the answer, sends
 * again), every measurement after an untimed warm-up of the same load (--warmup seconds) and
 * bounded by --count requests or --seconds, whichever comes first:
 *
 *   ceilings   GET /v1/health of the krs server under test; a bare fastify server (bare.mjs,
 *              its own process) inserting one row per request into a table of its own in the
 *              same store — the small body as text, each state case's body as a blob, and
 *              for batches the whole body read but one small row stored (as krs does);
 *   cases      state-300B (output-only state, JSON), state-78kB and state-1MB (KrsMetric
 *              states, JSON `{step, state}` and binary state files `application/x-krs-state`;
 *              "n/a" when the server refuses the binary form with 415/400), batch-256x1000
 *              (output-only .npz batch): posts/s, samples/s (batches), p50/p99/max latency,
 *              errors (any non-201), the rate as a ratio to the matching ceiling, the target;
 *   dashboard  78 kB post latency with no tab, then with --tabs (5) dashboard tabs open;
 *   reads      a run of --points (10 000) points: its whole window read by 2 clients while 2
 *              others poll /v1/health;
 *   crash      SIGKILL under load; every acknowledged post present and whole after a restart.
 *
 * Each measurement also reports `others`: the share of the machine processes other than
 * these took meanwhile (cpu.mjs), flagged above 10 % — the targets are for an idle machine.
 *
 * Servers are child processes started on port 0 and always killed (servers.mjs, guard.mjs);
 * temporary stores are removed (PostgreSQL: schemas of their own, dropped). Modules: bodies.mjs
 * (request bodies), http.mjs (clients, closed loop), cases.mjs (ceilings and post cases),
 * scenarios.mjs (dashboard, reads, crash), bare.mjs (the ceiling server), table.mjs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ensureBuild, machineMonitor, option } from '../score/common.mjs';
import { makeBodies, size } from './bodies.mjs';
import { caseList, ceilings, runCase } from './cases.mjs';
import { keepAlive, request } from './http.mjs';
import { crash, dashboard, reads } from './scenarios.mjs';
import { cleanup, onCleanup, serveBare, serveKrs, stop } from './servers.mjs';
import { ms, num, table, yesNo } from './table.mjs';

const args = process.argv.slice(2);
const o = {
  clients: Number(option(args, 'clients', 8)),
  count: Number(option(args, 'count', 20000)),
  seconds: Number(option(args, 'seconds', 5)),
  warmup: Number(option(args, 'warmup', 2)),
  points: Number(option(args, 'points', 10000)),
  tabs: Number(option(args, 'tabs', 5)),
};
const pgUrl = option(args, 'pg', 'postgres://postgres@127.0.0.1:5432/test');
const wanted = option(args, 'stores', 'sqlite,postgres').split(',');
const asJson = args.includes('--json');
const log = (s = '') => (asJson ? process.stderr : process.stdout).write(`${s}\n`);

ensureBuild(log, [
  ['dist/cli/main.js', 'src/cli/main.ts'],
  ['dist/serve/app.js', 'src/serve/app.ts'],
  ['dist/serve/service.js', 'src/serve/service.ts'],
  ['dist/serve/store/store.js', 'src/serve/store/store.ts'],
  ['dist/io/state-file.js', 'src/io/state-file.ts'],
  ['dist/krs/metric.js', 'src/krs/metric.ts'],
]);

/** Other processes' share of all cores above which a measurement is flagged as disturbed. */
const DISTURBED = 0.1;
const fmtLoad = (l) => l.map((x) => x.toFixed(2)).join(' ');
const started = new Date();
const load0 = loadavg();
// How busy the machine is right now (the load average lags by a minute): 1 s of CPU counters.
const before = machineMonitor();
await new Promise((r) => setTimeout(r, 1000));
const idleCheck = before.stop();
const monitor = machineMonitor();
const cores = availableParallelism();
const machine = { node: process.version, cores, cpu: cpus()[0]?.model ?? '?', loadStart: load0, busyBefore: idleCheck.busyFraction };
log(`krs serve bench — ${started.toISOString()}`);
log(`node ${process.version}, ${cores} cores (${machine.cpu}), load average ${fmtLoad(load0)} (1, 5, 15 min) at start`);
const busyBefore = idleCheck.busyFraction;
if (busyBefore !== undefined) log(`CPU busy in the second before the start: ${num(busyBefore * 100)} %`);
if (load0[0] > 0.5 || busyBefore > 0.1)
  log(`note: the machine is not idle (1-min load ${load0[0].toFixed(2)}, ${num((busyBefore ?? 0) * 100)} % busy); the figures will be low`);
log(
  `The load clients (this process, one thread) share the ${cores} cores with the servers${wanted.includes('postgres') ? ' and PostgreSQL' : ''}: every figure is server + clients on one machine.`,
);
log(
  `${o.clients} closed-loop clients (each sends, waits for the answer, sends again); each measurement: ${o.warmup} s warm-up, then ${num(o.count)} requests or ${o.seconds} s, whichever first.`,
);

log(
  'ceilings: "krs GET /v1/health" is the server under test; "bare" is bench/serve/bare.mjs (fastify, own process): one insert per request, ' +
    'no batching, into the same store — text = the body as text, blob = the body as a blob, receive = the whole body read and one 400 B row stored.',
);

const tmp = mkdtempSync(join(tmpdir(), 'krs-bench-serve-'));
onCleanup(() => rmSync(tmp, { recursive: true, force: true }));
const bodies = await makeBodies(tmp);
const { small, s78k, s1m, batch } = bodies;
log(
  `bodies: state-300B ${size(small.bytes)} JSON (output-only, classification); state-78kB ${size(s78k.bytes)} JSON / ${size(s78k.binary.length)} state file ` +
    `(one layer pair ${s78k.widths}, ${s78k.groups} groups, ${s78k.samples} samples); state-1MB ${size(s1m.bytes)} / ${size(s1m.binary.length)} ` +
    `(${s1m.widths}, ${s1m.groups} groups, ${s1m.samples} samples); batch ${size(batch.body.length)} .npz (${batch.shape} float32 teacher and student logits)`,
);

// ---------------------------------------------------------------- stores
const stores = [];
if (wanted.includes('sqlite')) {
  const file = join(tmp, 'krs.db');
  stores.push({ name: 'sqlite', title: `SQLite (${file}; WAL, synchronous = FULL)`, location: file, bare: file, crash: join(tmp, 'crash.db') });
}
let skipped = null;
if (wanted.includes('postgres')) {
  const schema = `krs_bench_${process.pid}_${Date.now().toString(36)}`;
  const at = (name) => {
    const u = new URL(pgUrl);
    u.searchParams.set('schema', name);
    return u.toString();
  };
  const probe = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 2000 });
  try {
    await probe.connect();
    await probe.end();
    const names = [schema, `${schema}_bare`, `${schema}_crash`];
    onCleanup(async () => {
      const c = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 5000 });
      await c.connect();
      try {
        for (const n of names) await c.query(`drop schema if exists "${n}" cascade`);
      } finally {
        await c.end();
      }
    });
    stores.push({
      name: 'postgres',
      title: `PostgreSQL (${pgUrl}, schema ${schema}; synchronous_commit = on)`,
      location: at(schema),
      bare: at(names[1]),
      crash: at(names[2]),
    });
  } catch (e) {
    skipped = `no PostgreSQL answers at ${pgUrl} (${e.message})`;
    log(`PostgreSQL skipped: ${skipped}`);
    await probe.end().catch(() => {});
  }
}

async function benchStore(s) {
  log();
  log(`== ${s.title}`);
  const krs = { ...(await serveKrs(s.location)), agent: keepAlive(o.clients) };
  const bare = { ...(await serveBare(s.bare)), agent: keepAlive(o.clients) };
  const out = { store: s.name, location: s.title };
  try {
    out.ceilings = await ceilings(o, krs, bare, bodies);
    await stop(bare.child);
    bare.agent.destroy();
    out.cases = [];
    for (const c of caseList(bodies)) {
      const name = `${c.id.replace(/\s+/g, '-')}`;
      out.cases.push(await runCase(o, krs, c, out.ceilings[c.ceiling], name));
    }
    out.dashboard = await dashboard(o, krs, s78k);
    out.reads = await reads(o, krs, small);
    const h = await request(krs.agent, `${krs.url}/v1/health`);
    if (h.status !== 200) throw new Error(`krs server unhealthy after the run: ${h.status}`);
  } finally {
    krs.agent.destroy();
    bare.agent.destroy();
    await stop(krs.child);
    await stop(bare.child);
  }
  out.crash = await crash(s.crash, s1m);
  printStore(out);
  return out;
}

function printStore(r) {
  const cols = [
    { title: 'case' },
    { title: 'body' },
    { title: 'posts/s', right: true },
    { title: 'samples/s', right: true },
    { title: 'p50 ms', right: true },
    { title: 'p99 ms', right: true },
    { title: 'max ms', right: true },
    { title: 'errors', right: true },
    { title: 'others', right: true },
    { title: 'vs ceiling', right: true },
    { title: 'ceiling' },
    { title: 'target' },
    { title: 'met' },
  ];
  const rows = ['ceilings'];
  const notes = [];
  const disturbed = [];
  /** Other processes' share of the machine during a measurement; '!' (and a note) above DISTURBED. */
  const others = (x, what) => {
    if (x === null || x === undefined) return '?';
    if (x > DISTURBED && what) disturbed.push(`${what} (${num(x * 100)} %)`);
    return `${num(x * 100)} %${x > DISTURBED ? '!' : ''}`;
  };
  for (const c of Object.values(r.ceilings)) {
    rows.push([`  ${c.name}`, c.bytes ? size(c.bytes) : '', num(c.perSecond), '', ms(c.p50), ms(c.p99), ms(c.max), num(c.errors), others(c.others, c.name)]);
    if (c.errors) notes.push(`${c.name}: ${c.errors} errors, first: ${c.firstError}`);
  }
  rows.push('cases');
  for (const c of r.cases) {
    if (c.na) {
      rows.push(Object.assign([`  ${c.id}`, size(c.bytes), `n/a (server does not take binary states; it answered ${c.probe.split(' ')[0]})`], { span: true }));
      continue;
    }
    rows.push([
      `  ${c.id}`,
      size(c.bytes),
      num(c.perSecond),
      c.samplesPerSecond === null ? '' : num(c.samplesPerSecond),
      ms(c.p50),
      ms(c.p99),
      ms(c.max),
      num(c.errors),
      others(c.others, c.id),
      `${num(c.ratio * 100)} %`,
      c.ceiling,
      c.target,
      yesNo(c.met),
    ]);
    if (c.errors) notes.push(`${c.id}: ${c.errors} errors, first: ${c.firstError}`);
  }
  log(table(cols, rows));
  for (const n of notes) log(`  ! ${n}`);
  const d = r.dashboard;
  log(
    `dashboard: state-78kB posts with 0 tabs: ${num(d.none.perSecond)}/s, p50 ${ms(d.none.p50)} ms, p99 ${ms(d.none.p99)} ms; ` +
      `with ${d.tabs} tabs: ${num(d.open.perSecond)}/s, p50 ${ms(d.open.p50)} ms, p99 ${ms(d.open.p99)} ms; ` +
      `ratio p50 ${num(d.ratioP50, 2)}×, p99 ${num(d.ratioP99, 2)}× (target ≤ 1.2×: ${yesNo(d.met)}; others ${others(d.none.others, 'dashboard, 0 tabs')} / ${others(d.open.others, `dashboard, ${d.tabs} tabs`)})`,
  );
  log(
    `           tabs: ${num(d.tabEvents)} point events, ${num(d.tabFetches)} fetches (run + series step), fetch p50 ${ms(d.tabFetchP50)} ms, p99 ${ms(d.tabFetchP99)} ms, ${d.tabErrors} errors` +
      (d.tabFirstError ? ` (first: ${d.tabFirstError})` : ''),
  );
  const w = r.reads;
  log(
    `reads: ${num(w.points)} points (filled at ${num(w.fill.perSecond)} posts/s, ${2 * o.clients} clients${w.fill.errors ? `, ${w.fill.errors} errors: ${w.fill.firstError}` : ''}); ` +
      `window over all (${num(w.windowPoints)} points) from 2 clients: ${num(w.window.ok)} reads, p50 ${ms(w.window.p50)} ms, p99 ${ms(w.window.p99)} ms` +
      (w.window.errors ? `, ${w.window.errors} errors (${w.window.firstError})` : ''),
  );
  log(
    `       /v1/health from 2 clients meanwhile: ${num(w.health.ok)} polls, p50 ${ms(w.health.p50)} ms, p99 ${ms(w.health.p99)} ms, max ${ms(w.health.max)} ms ` +
      `(target p99 < 50 ms: ${yesNo(w.met)}; others ${others(w.others, 'reads')})`,
  );
  const k = r.crash;
  log(
    `crash: SIGKILL after ${k.acknowledged} acknowledged 1 MB posts; after restart ${k.stored} stored, ${k.missing} acknowledged missing, ` +
      `every stored point whole: ${k.whole ? 'yes' : 'NO'}`,
  );
  r.disturbed = disturbed;
  if (disturbed.length)
    log(`  ! disturbed: other processes took more than ${DISTURBED * 100} % of the machine during ${disturbed.join(', ')}: rerun on an idle machine`);
}

const results = [];
const failures = [];
try {
  for (const s of stores) {
    try {
      results.push(await benchStore(s));
    } catch (e) {
      // One store failing (its server would not start, a request threw) does not stop the next.
      failures.push(e);
      results.push({ store: s.name, location: s.title, failed: e.message });
      log(`${s.name}: failed: ${e.message.split('\n')[0]}`);
    }
  }
} finally {
  await cleanup();
}
const load1 = loadavg();
const m = monitor.stop();
machine.loadEnd = load1;
machine.busyFraction = m.busyFraction;
machine.stealFraction = m.stealFraction;
log();
log(
  `load average ${fmtLoad(load1)} at end; CPU busy ${m.busyFraction === undefined ? '?' : `${num(m.busyFraction * 100)} %`}, ` +
    `stolen ${m.stealFraction === undefined ? '?' : `${num(m.stealFraction * 100, 1)} %`} during the run; ${((Date.now() - started) / 1000).toFixed(0)} s in all.`,
);
for (const e of failures) process.stderr.write(`bench/serve failed: ${e.stack ?? e}\n`);
if (failures.length) process.exitCode = 1;
if (asJson) {
  const bodyInfo = {
    small: { bytes: small.bytes, samples: small.samples },
    s78k: { bytes: s78k.bytes, binaryBytes: s78k.binary.length, widths: s78k.widths, groups: s78k.groups, samples: s78k.samples },
    s1m: { bytes: s1m.bytes, binaryBytes: s1m.binary.length, widths: s1m.widths, groups: s1m.groups, samples: s1m.samples },
    batch: { bytes: batch.body.length, shape: batch.shape, samples: batch.samples },
  };
  process.stdout.write(`${JSON.stringify({ started: started.toISOString(), options: o, machine, bodies: bodyInfo, skipped, results }, null, 2)}\n`);
}
