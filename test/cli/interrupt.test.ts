/**
 * SIGINT/SIGTERM/SIGKILL sent to the real bin at chosen moments of `krs capture` and
 * `krs eval`: the file state afterwards and the message must agree. The moments are made
 * exact with the KRS_PAUSE_AT failpoints (src/io/interrupt.ts): the process announces
 * `krs: paused at <point>` on stderr and waits there for the signal.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Outcome, runPaused } from '../helpers/interrupt.js';

const MODELS = new URL('../fixtures/models/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'krs-interrupt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Start the bin; when `pause` is given, send `signal` once it reports pausing there. */
function run(args: string[], pause: string | null, signal: NodeJS.Signals | null, env: Record<string, string> = {}): Promise<Outcome> {
  return runPaused(args, { pause, signal, env });
}

const capture = (out: string, ...extra: string[]) => [
  'capture',
  '--model',
  join(MODELS, 'mlp-teacher.onnx'),
  '--input',
  'mnist',
  '--limit',
  '600',
  '--batch-size',
  '100',
  '--layers',
  'relu1,relu2',
  '--out',
  out,
  '--no-progress',
  ...extra,
];

/** Files in the test folder whose name starts with `prefix` (temporary names included). */
const entries = (prefix: string) => readdirSync(dir).filter((n) => n.startsWith(prefix) || n.startsWith(`.${prefix}`));

function expectClean(o: Outcome): void {
  expect(o.stderr).not.toMatch(/Napi::Error|terminate called|internal error|at .*\.js:\d+/);
  expect(o.signal).toBeNull();
}

describe.concurrent('krs capture interrupted', () => {
  it('before the first batch (SIGINT, worker): the previous capture stays, no temporary files, the message says nothing was written', async () => {
    const out = join(dir, 'first.npz');
    writeFileSync(out, 'previous');
    const o = await run(capture(out), 'batch:0', 'SIGINT');
    expectClean(o);
    expect(o.status).toBe(130);
    expect(o.stderr).toContain('krs: interrupted (SIGINT); no file was written');
    expect(readFileSync(out, 'utf8')).toBe('previous');
    expect(entries('first.npz')).toEqual(['first.npz']);
    expect(o.stdout).toBe('');
  });

  it('mid-run (SIGTERM, worker; SIGINT, --no-worker): stops at the next batch, nothing new is left', async () => {
    for (const [name, signal, extra] of [
      ['mid.npz', 'SIGTERM', []],
      ['local.npz', 'SIGINT', ['--no-worker']],
    ] as const) {
      const out = join(dir, name);
      writeFileSync(out, 'previous');
      const o = await run(capture(out, ...extra), 'batch:3', signal);
      expectClean(o);
      expect(o.status).toBe(signal === 'SIGTERM' ? 143 : 130);
      expect(o.stderr).toContain(`krs: interrupted (${signal}); no file was written`);
      expect(readFileSync(out, 'utf8')).toBe('previous');
      expect(entries(name)).toEqual([name]);
    }
  });

  it('during the final rename: the new capture is complete and the message says it was written', async () => {
    const out = join(dir, 'commit.npz');
    writeFileSync(out, 'previous');
    const o = await run(capture(out), 'commit', 'SIGINT', { KRS_PAUSE_MS: '300' });
    expectClean(o);
    expect(o.status).toBe(130);
    expect(o.stderr).toContain(`krs: interrupted (SIGINT) after ${out} was written in full; no other file was written`);
    expect(readFileSync(out).subarray(0, 2).toString()).toBe('PK');
    expect(o.stdout).toContain(`wrote ${out}: 600 samples`);
    expect(entries('commit.npz')).toEqual(['commit.npz']);
  });

  it('SIGKILL leaves a temporary folder, which the next capture to the same file removes once its process is gone', async () => {
    const out = join(dir, 'killed.npz');
    const o = await run(capture(out), 'batch:2', 'SIGKILL');
    expect(o.signal).toBe('SIGKILL');
    const stale = entries('killed.npz');
    expect(stale).toHaveLength(1);
    expect(stale[0]).toMatch(/^\.killed\.npz\.partial-.+-\d+-[0-9a-f]{8}$/);
    expect(existsSync(out)).toBe(false);
    // Young temporary files are left alone (a slow writer on another clock); age this one.
    const old = new Date(Date.now() - 120_000);
    utimesSync(join(dir, stale[0]!), old, old);
    const again = await run(capture(out, '--limit', '100'), null, null);
    expect(again.status).toBe(0);
    expect(entries('killed.npz')).toEqual(['killed.npz']);
    expect(statSync(out).size).toBeGreaterThan(0);
  });
});

describe('krs eval interrupted', () => {
  it('mid-run with --save-captures: neither capture is written, exit 130 with a true message', async () => {
    const caps = join(dir, 'eval-caps');
    const o = await run(
      [
        'eval',
        '--teacher',
        join(MODELS, 'mlp-teacher.onnx'),
        '--student',
        join(MODELS, 'mlp-student.onnx'),
        '--input',
        'mnist',
        '--limit',
        '600',
        '--batch-size',
        '100',
        '--task',
        'classification',
        '--save-captures',
        caps,
        '--no-progress',
        '--backend',
        'typescript',
      ],
      'batch:2',
      'SIGINT',
    );
    expectClean(o);
    expect(o.status).toBe(130);
    expect(o.stderr).toContain('krs: interrupted (SIGINT); no file was written');
    expect(readdirSync(caps)).toEqual([]);
  });
});

describe('krs score interrupted', () => {
  it('between batches (SIGINT): stops there, exit 130, no report written, the message says so', async () => {
    const report = join(dir, 'score-report.html');
    const fixtures = new URL('../fixtures/score/', import.meta.url).pathname;
    const o = await run(
      [
        'score',
        '--task',
        'classification',
        '--teacher',
        join(fixtures, 'cls-teacher.npz'),
        '--student',
        join(fixtures, 'cls-student.npz'),
        '--batch-size',
        '16',
        '--backend',
        'typescript',
        '--report',
        report,
      ],
      'score-batch:16',
      'SIGINT',
    );
    expectClean(o);
    expect(o.status).toBe(130);
    expect(o.stderr).toMatch(/interrupted \(SIGINT\)/);
    expect(o.stderr).toMatch(/no file was written/);
    expect(existsSync(report)).toBe(false);
    expect(entries('score-report')).toEqual([]);
  });
});
