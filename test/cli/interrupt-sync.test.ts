/**
 * SIGINT/SIGTERM during the long synchronous stretches of a command (issue 22, item 13): the
 * checksum pass over an npz entry, reading and writing a state file, copying a capture's
 * archive together, training the demo's networks, writing a charts folder. Each used to hold
 * the thread to its end, so the signal was dropped (exit 0, files written after it).
 *
 * The signal arrives *during* the synchronous step, however slow the machine: the process
 * announces `krs: paused at <point>` and blocks the thread (KRS_PAUSE_AT, src/io/interrupt.ts)
 * until the test, having sent the signal, creates the KRS_PAUSE_UNTIL file. The command must
 * then stop at its next stop point: exit 130 (SIGINT) / 143 (SIGTERM), one true line, the old
 * target left as it was, no temporary file.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NpzWriter } from '../../src/io/node-npz-writer.js';
import { krs } from '../helpers/cli.js';
import { type Outcome, runPaused } from '../helpers/interrupt.js';

const MODELS = new URL('../fixtures/models/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'krs-interrupt-sync-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let runs = 0;

/**
 * Start the bin paused at `point`; once it says so, send `signal`, then let it go on. `later`
 * are failpoints the run must not reach (they would announce themselves on stderr).
 */
function run(args: string[], point: string, signal: NodeJS.Signals, later: string[] = []): Promise<Outcome> {
  return runPaused(args, { pause: point, signal, later, release: join(dir, `go-${runs++}`), cwd: dir });
}

/** Exit status and the one line of an interrupt that wrote nothing. */
function expectStopped(o: Outcome, signal: NodeJS.Signals): void {
  expect(o.stderr).not.toMatch(/Napi::Error|terminate called|internal error|at .*\.js:\d+/);
  expect(o.signal).toBeNull();
  expect(o.status).toBe(signal === 'SIGINT' ? 130 : 143);
  expect(o.stderr).toContain(`krs: interrupted (${signal}); no file was written (partial files were removed, existing files left as they were)`);
  expect(o.stderr.match(/^krs: interrupted/gm)).toHaveLength(1);
}

/** `name` and its temporary files (`.name.partial-…`) in `folder`. */
const entries = (folder: string, name: string) => readdirSync(folder).filter((n) => n === name || n.startsWith(`.${name}.`));

/** A stored capture of n samples: ids, logits and one feature layer of width p, seeded values. */
function makeCapture(file: string, n: number, p: number, seed: number): void {
  const w = new NpzWriter(file, n);
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (let i = 0; i < n; i += 128) {
    const m = Math.min(128, n - i);
    w.append('ids', { dtype: 'int32', shape: [m], data: Int32Array.from({ length: m }, (_, k) => i + k) });
    w.append('feat', { dtype: 'float32', shape: [m, p], data: Float32Array.from({ length: m * p }, rnd) });
    w.append('logits', { dtype: 'float32', shape: [m, 10], data: Float32Array.from({ length: m * 10 }, () => 4 * rnd()) });
  }
  w.finish();
}

const teacher = join(dir, 'teacher.npz');
const student = join(dir, 'student.npz');
const scoreArgs = () => ['score', '--task', 'classification', '--teacher', teacher, '--student', student, '--backend', 'typescript', '--no-progress'];
const states = [join(dir, 'shard-0.krs'), join(dir, 'shard-1.krs')];

beforeAll(async () => {
  makeCapture(teacher, 512, 96, 1);
  makeCapture(student, 512, 48, 2);
  for (const [i, file] of states.entries()) {
    const r = await krs(...scoreArgs(), '--batch-size', '128', '--shard', `${i}/2`, '--state-out', file);
    expect(r.status, r.stderr).toBe(0);
  }
});

describe.concurrent('signals during synchronous work', () => {
  it('krs merge --state-out: reading a state (SIGINT) or writing the merged one (SIGTERM) stops there; the old file stays', async () => {
    for (const [name, point, signal] of [
      ['merged-read.krs', 'state-read', 'SIGINT'],
      ['merged-write.krs', 'write-chunk', 'SIGTERM'],
    ] as const) {
      const out = join(dir, name);
      writeFileSync(out, 'previous');
      const o = await run(['merge', ...states, '--state-out', out], point, signal);
      expectStopped(o, signal);
      expect(readFileSync(out, 'utf8')).toBe('previous');
      expect(entries(dir, name)).toEqual([name]);
      expect(o.stdout).toBe('');
    }
  });

  it('krs score: during the checksum pass over an npz entry (SIGINT) it stops before any batch; during --state-out (SIGTERM) the old state stays', async () => {
    const verify = await run([...scoreArgs(), '--json'], 'verify-chunk', 'SIGINT', ['score-batch:0']);
    expectStopped(verify, 'SIGINT');
    expect(verify.stderr).not.toContain('paused at score-batch:0');
    expect(verify.stdout).toContain('"INTERRUPTED"');

    const out = join(dir, 'score-state.krs');
    writeFileSync(out, 'previous');
    const o = await run([...scoreArgs(), '--shard', '0/1', '--state-out', out], 'write-chunk', 'SIGTERM');
    expectStopped(o, 'SIGTERM');
    expect(readFileSync(out, 'utf8')).toBe('previous');
    expect(entries(dir, 'score-state.krs')).toEqual(['score-state.krs']);
  });

  it('krs capture --no-worker: while the archive is copied together (SIGINT) it stops; the old capture stays', async () => {
    const out = join(dir, 'local.npz');
    writeFileSync(out, 'previous');
    const o = await run(
      [
        'capture',
        '--model',
        join(MODELS, 'mlp-teacher.onnx'),
        '--input',
        'mnist',
        '--limit',
        '300',
        '--batch-size',
        '100',
        '--layers',
        'relu1,relu2',
        '--out',
        out,
        '--no-progress',
        '--no-worker',
      ],
      'npz-copy',
      'SIGINT',
    );
    expectStopped(o, 'SIGINT');
    expect(readFileSync(out, 'utf8')).toBe('previous');
    expect(entries(dir, 'local.npz')).toEqual(['local.npz']);
  });

  it('krs demo --study: during a training batch (SIGINT) it stops; no results are written', async () => {
    const out = join(dir, 'study');
    const o = await run(['demo', '--study', '--quick', '--out', out, '--backend', 'typescript', '--no-progress'], 'train-batch', 'SIGINT');
    // The folder's mode marker is written before training starts (so another mode cannot take
    // the folder); nothing after it.
    expect(o.status).toBe(130);
    expect(o.stderr).toMatch(/krs: interrupted \(SIGINT\) after .*study\/\.krs-demo was written in full; no other file was written/);
    expect(o.stderr.match(/^krs: interrupted/gm)).toHaveLength(1);
    expect(existsSync(join(out, 'results.json'))).toBe(false);
  });

  it('krs merge --charts (SIGTERM after some charts): the charts folder keeps the old charts, no mix, no temporary folder', async () => {
    const charts = join(dir, 'charts');
    const first = await krs('merge', ...states, '--charts', charts);
    expect(first.status, first.stderr).toBe(0);
    const names = readdirSync(charts).sort();
    expect(names.length).toBeGreaterThan(2);
    for (const n of names) writeFileSync(join(charts, n), 'old');
    writeFileSync(join(charts, 'notes.txt'), 'mine');
    const o = await run(['merge', ...states, '--charts', charts], 'chart-written', 'SIGTERM');
    expectStopped(o, 'SIGTERM');
    expect(readdirSync(charts).sort()).toEqual([...names, 'notes.txt'].sort());
    for (const n of names) expect(readFileSync(join(charts, n), 'utf8')).toBe('old');
    expect(entries(dir, 'charts')).toEqual(['charts']);
  });

  it('a charts folder written in full replaces the old one, keeping files krs did not write', async () => {
    const charts = join(dir, 'charts-again');
    mkdirSync(charts);
    writeFileSync(join(charts, 'notes.txt'), 'mine');
    const r = await krs('merge', ...states, '--charts', charts);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(charts, 'notes.txt'), 'utf8')).toBe('mine');
    expect(readdirSync(charts).filter((n) => n.endsWith('.svg')).length).toBeGreaterThan(0);
    expect(entries(dir, 'charts-again')).toEqual(['charts-again']);
  });
});
