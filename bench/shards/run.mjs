/**
 * bench/shards: one `krs score` of n = 100 000 samples (teacher 512 wide, student 256, 100
 * classes; null level and intervals on, as by default) against the same run in 1, 2 and 4
 * shards started in parallel on this machine (`--shard i/N --state-out`), then `krs merge`.
 * Reports the wall time of the shards (all started together), of the merge, their sum, and the
 * ratio to the single process, all in the same invocation; checks the merged KRS equals the
 * single run's. Then the state file's size against the layer widths (n = 4000 each).
 *
 *   node bench/shards/run.mjs [--n 100000] [--data DIR] [--repeat 1]
 *
 * Data come from bench/shards/generate.py (NumPy, seeded) into DIR (default
 * bench/shards/data, git-ignored). On a 2-core machine, 4 shards share 2 cores: the ratio shows
 * what the machine allows, not what 4 machines would.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBuild, option, root } from '../score/common.mjs';

const here = dirname(fileURLToPath(import.meta.url));

const args = process.argv.slice(2);
const n = Number(option(args, 'n', '100000'));
const data = option(args, 'data', join(here, 'data', `n${n}`));
const repeat = Number(option(args, 'repeat', '1'));
const log = (s) => process.stderr.write(`${s}\n`);
const BIN = join(root, 'dist/cli/main.js');
ensureBuild(log, [
  ['dist/cli/main.js', 'src/cli/main.ts'],
  ['dist/cli/merge.js', 'src/cli/merge.ts'],
]);

function generate(dir, extra) {
  if (existsSync(join(dir, 'manifest.json'))) return;
  log(`generating captures (NumPy, seeded) into ${dir} …`);
  const r = spawnSync('python3', [join(here, 'generate.py'), '--out', dir, ...extra], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('bench/shards/generate.py failed');
}

const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

/** Run krs with args; resolves with wall milliseconds, CPU seconds (user + sys) and peak RSS (MiB) when /usr/bin/time is there, and stdout. */
function krs(argv) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const cmd = TIME ? [TIME, ['-f', 'KRS_TIME %U %S %M', process.execPath, BIN, ...argv]] : [process.execPath, [BIN, ...argv]];
    const p = spawn(cmd[0], cmd[1], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (status) => {
      if (status !== 0) return reject(new Error(`krs ${argv[0]} exited ${status}: ${err}`));
      const t = /KRS_TIME (\S+) (\S+) (\d+)/.exec(err);
      resolve({ ms: performance.now() - t0, out, cpu: t ? Number(t[1]) + Number(t[2]) : Number.NaN, rssMiB: t ? Number(t[3]) / 1024 : Number.NaN });
    });
  });
}

const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
generate(data, ['--n', String(n)]);
const base = ['score', '--task', 'classification', '--teacher', join(data, 'teacher.npz'), '--student', join(data, 'student.npz'), '--no-progress'];
const work = mkdtempSync(join(tmpdir(), 'krs-bench-shards-'));
log(
  `machine: ${cpus().length} cores, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);

const rows = [];
for (let rep = 0; rep < repeat; rep++) {
  const single = await krs([...base, '--json']);
  const krsSingle = JSON.parse(single.out).krs;
  rows.push({
    rep,
    shards: 'single process',
    shardMs: single.ms,
    mergeMs: 0,
    totalMs: single.ms,
    ratio: 1,
    cpu: single.cpu,
    cpuRatio: 1,
    rss: single.rssMiB,
    bytes: 0,
    delta: 0,
  });
  for (const count of [1, 2, 4]) {
    const files = Array.from({ length: count }, (_, i) => join(work, `r${rep}-n${count}-s${i}.krs`));
    const t0 = performance.now();
    const runs = await Promise.all(files.map((file, i) => krs([...base, '--shard', `${i}/${count}`, '--state-out', file])));
    const shardMs = performance.now() - t0;
    const merge = await krs(['merge', ...files, '--json']);
    const krsMerged = JSON.parse(merge.out).krs;
    const bytes = files.reduce((a, f) => a + statSync(f).size, 0);
    const cpu = runs.reduce((a, r) => a + r.cpu, 0) + merge.cpu;
    rows.push({
      rep,
      shards: count,
      shardMs,
      mergeMs: merge.ms,
      totalMs: shardMs + merge.ms,
      ratio: (shardMs + merge.ms) / single.ms,
      cpu,
      cpuRatio: cpu / single.cpu,
      rss: Math.max(...runs.map((r) => r.rssMiB)),
      bytes,
      delta: Math.abs(krsMerged - krsSingle),
    });
  }
}
console.log(
  `\nkrs score, n = ${n} (teacher 512, student 256, 100 classes; null level and intervals on), ${cpus().length} cores, load after ${loadavg()[0].toFixed(2)}`,
);
console.log('shards           shards wall   merge     total   wall ÷ single   CPU (all)   CPU ÷ single   peak RSS/process   state files   |ΔKRS|');
for (const r of rows) {
  console.log(
    `${String(r.shards).padEnd(16)} ${secs(r.shardMs).padStart(10)} ${secs(r.mergeMs).padStart(8)} ${secs(r.totalMs).padStart(9)} ${r.ratio.toFixed(2).padStart(14)}× ${`${r.cpu.toFixed(1)} s`.padStart(10)} ${r.cpuRatio.toFixed(2).padStart(13)}× ${`${r.rss.toFixed(0)} MiB`.padStart(17)} ${r.bytes ? `${(r.bytes / 2 ** 20).toFixed(1)} MiB`.padStart(12) : '           -'}   ${r.delta.toExponential(1)}`,
  );
}

// State file size against the widths: one shard (all samples) of n = 4000, widths w × w/2.
console.log('\nstate file of one shard (n = 4000, intervals on, null level on) against the widths:');
console.log('teacher × student   state file   per-group layer state (20 groups, feature-space)');
for (const w of [64, 256, 1024, 2048]) {
  const dir = join(here, 'data', `w${w}`);
  generate(dir, ['--n', '4000', '--teacher-width', String(w), '--student-width', String(w / 2), '--classes', '10']);
  const file = join(work, `w${w}.krs`);
  await krs([
    'score',
    '--task',
    'classification',
    '--teacher',
    join(dir, 'teacher.npz'),
    '--student',
    join(dir, 'student.npz'),
    '--no-progress',
    '--state-out',
    file,
  ]);
  const stats = 8 * ((w * (w + 1)) / 2 + ((w / 2) * (w / 2 + 1)) / 2 + (w * w) / 2);
  console.log(`${`${w} × ${w / 2}`.padEnd(19)} ${`${(statSync(file).size / 2 ** 20).toFixed(2)} MiB`.padStart(10)}   ${(stats / 2 ** 20).toFixed(2)} MiB`);
}
rmSync(work, { recursive: true, force: true });
