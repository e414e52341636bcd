#!/usr/bin/env node
/**
 * bench/cli/startup — what the `krs` bin costs to start: CPU seconds (user + sys) of
 * `krs --help`, `krs score --help` and `krs score` on the 64-sample classification fixture
 * (test/fixtures/score/cls-*.npz, the captures the `krs score` tests use), each run
 * --repeat times (default 7) next to `node -e ""` as the floor.
 *
 *     npm run bench:startup               # = node bench/cli/startup.mjs
 *     node bench/cli/startup.mjs --repeat 11 --json
 *     node bench/cli/startup.mjs --dist /tmp/old/dist   # another build (e.g. before a change)
 *
 * CPU, not wall: the machine is shared, and a process's CPU time is what start-up costs it
 * whatever the load. Each child's user + sys time comes from `/usr/bin/time` (GNU time; the
 * child's own rusage, written to a temporary file), so the numbers include Node's own
 * bootstrap — hence the floor. Reported per command: the median and the smallest CPU time,
 * the median wall time, and the median's ratio to the floor's median.
 * Targets (issue 23): `krs --help` ≤ 0.25 s and `krs score` ≤ 0.5 s of CPU.
 *
 * Builds dist/ first when it is missing or older than the CLI sources.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuild, root } from '../score/common.mjs';

const args = process.argv.slice(2);
const repeat = Number(args[args.indexOf('--repeat') + 1] ?? 7) || 7;
const json = args.includes('--json');
const distArg = args.includes('--dist') ? args[args.indexOf('--dist') + 1] : undefined;
const log = (s) => process.stderr.write(`${s}\n`);

const TIME = '/usr/bin/time';
if (!existsSync(TIME)) throw new Error(`${TIME} (GNU time) is needed to read a child's CPU time`);
if (!distArg)
  ensureBuild(log, [
    ['dist/cli/main.js', 'src/cli/main.ts'],
    ['dist/cli/run.js', 'src/cli/run.ts'],
    ['dist/cli/score.js', 'src/cli/score.ts'],
    ['dist/cli/score-action.js', 'src/cli/score-action.ts'],
  ]);

const bin = distArg ? join(distArg, 'cli/main.js') : join(root, 'dist/cli/main.js');
const fixture = (name) => join(root, 'test/fixtures/score', name);
const CASES = [
  { name: 'node -e ""', argv: ['-e', ''], floor: true },
  { name: 'krs --help', argv: [bin, '--help'], target: 0.25 },
  { name: 'krs score --help', argv: [bin, 'score', '--help'] },
  {
    name: 'krs score (64 samples)',
    argv: [
      bin,
      'score',
      '--task',
      'classification',
      '--teacher',
      fixture('cls-teacher.npz'),
      '--student',
      fixture('cls-student.npz'),
      '--backend',
      'typescript',
    ],
    target: 0.5,
  },
];

/** One run of a case under /usr/bin/time: its CPU (user + sys) and wall seconds. */
function runOnce(argv, dir) {
  const out = join(dir, 'time.txt');
  const r = spawnSync(TIME, ['-f', '%e %U %S', '-o', out, process.execPath, ...argv], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  const [wall, user, sys] = readFileSync(out, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  return { cpu: user + sys, wall };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const dir = mkdtempSync(join(tmpdir(), 'krs-startup-'));
const rows = [];
try {
  for (const c of CASES) runOnce(c.argv, dir); // warm the file cache
  // Interleaved rounds, so a change of load on the shared machine hits every case alike.
  const runs = CASES.map(() => []);
  for (let i = 0; i < repeat; i++) CASES.forEach((c, k) => runs[k].push(runOnce(c.argv, dir)));
  const floor = median(runs[CASES.findIndex((c) => c.floor)].map((r) => r.cpu));
  CASES.forEach((c, k) => {
    const cpu = median(runs[k].map((r) => r.cpu));
    rows.push({
      case: c.name,
      cpuMedian: +cpu.toFixed(3),
      cpuMin: +Math.min(...runs[k].map((r) => r.cpu)).toFixed(3),
      wallMedian: +median(runs[k].map((r) => r.wall)).toFixed(3),
      ratioToFloor: +(cpu / floor).toFixed(2),
      target: c.target ?? null,
      met: c.target === undefined ? null : cpu <= c.target,
    });
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
if (json) {
  process.stdout.write(`${JSON.stringify({ date: new Date().toISOString(), load, repeat, rows }, null, 2)}\n`);
} else {
  const pad = (s, n) => String(s).padEnd(n);
  process.stdout.write(`krs start-up, CPU seconds (user + sys), median of ${repeat} (load ${load})\n\n`);
  process.stdout.write(`${pad('case', 24)}${pad('CPU median', 12)}${pad('CPU min', 10)}${pad('wall', 8)}${pad('× floor', 9)}target\n`);
  for (const r of rows) {
    const target = r.target === null ? '' : `≤ ${r.target} s ${r.met ? 'met' : 'NOT met'}`;
    process.stdout.write(
      `${pad(r.case, 24)}${pad(r.cpuMedian.toFixed(2), 12)}${pad(r.cpuMin.toFixed(2), 10)}${pad(r.wallMedian.toFixed(2), 8)}${pad(`${r.ratioToFloor.toFixed(2)}×`, 9)}${target}\n`,
    );
  }
}
