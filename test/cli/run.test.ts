/**
 * runCli in-process and the bin as a process: the same statuses and output, nothing written
 * to the host's streams, no signal handlers left behind, runs that do not see each other.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { krs, krsProcess } from '../helpers/cli.js';
import { fixturePath } from '../helpers/fixtures.js';

const T = fixturePath('score/cls-teacher.npz');
const S = fixturePath('score/cls-student.npz');
const CNN = fixturePath('models/cnn.onnx');
const SIGMOID = fixturePath('models/mlp-sigmoid.onnx');

describe('runCli (in-process)', () => {
  it('returns the status and writes only to the io given', async () => {
    const out = vi.spyOn(process.stdout, 'write');
    const err = vi.spyOn(process.stderr, 'write');
    try {
      const ok = await krs('score', '--task', 'classification', '--teacher', T, '--student', S, '--json', '--backend', 'typescript');
      expect(ok.status).toBe(0);
      expect(JSON.parse(ok.stdout).krs).toBeGreaterThan(0);
      const bad = await krs('score', '--task', 'ranking', '--teacher', T, '--student', S, '--json');
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/^krs: invalid --task "ranking"/);
      expect(JSON.parse(bad.stdout).error.code).toBe('BAD_OPTION');
      const missing = await krs('score', '--task', 'classification', '--teacher', '/nonexistent.npz', '--student', S);
      expect(missing).toMatchObject({ status: 3, stdout: '', stderr: expect.stringMatching(/^krs: \/nonexistent\.npz: no such file/) });
      expect(out).not.toHaveBeenCalled();
      expect(err).not.toHaveBeenCalled();
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  });

  it('model runs (worker thread), reports and the in-process demo print nothing on the host process streams or console', async () => {
    const host: string[] = [];
    const spies = [
      vi.spyOn(process.stdout, 'write').mockImplementation((s) => host.push(`stdout: ${String(s)}`) > 0),
      vi.spyOn(process.stderr, 'write').mockImplementation((s) => host.push(`stderr: ${String(s)}`) > 0),
      ...(['log', 'warn', 'error', 'info', 'debug'] as const).map((m) =>
        vi.spyOn(console, m).mockImplementation((...a) => void host.push(`console.${m}: ${a.join(' ')}`)),
      ),
    ];
    const dir = mkdtempSync(join(tmpdir(), 'krs-run-'));
    let runs: Awaited<ReturnType<typeof krs>>[];
    try {
      runs = [
        await krs('layers', '--model', CNN),
        await krs('capture', '--model', CNN, '--input', 'mnist', '--limit', '50', '--layers', 'relu1', '--pool', 'gap', '--out', join(dir, 'c.npz')),
        await krs(
          'eval',
          '--teacher',
          CNN,
          '--student',
          SIGMOID,
          '--input',
          'mnist',
          '--limit',
          '100',
          '--task',
          'classification',
          '--student-outputs',
          'sigmoid',
          '--all-pairs',
          '--report',
          join(dir, 'r.html'),
        ),
        await krs('demo', '--quick', '--temperatures', '2', '--out', join(dir, 'demo'), '--json'),
      ];
    } finally {
      for (const s of spies) s.mockRestore();
    }
    expect(runs.map((r) => r.status)).toEqual([0, 0, 0, 0]);
    expect(host).toEqual([]);
  });

  it('--help and --version print to stdout and return 0; an unknown command or option returns 2', async () => {
    const v = await krs('--version');
    expect(v).toMatchObject({ status: 0, stderr: '' });
    expect(v.stdout).toMatch(/^\d+\.\d+\.\d+/);
    const h = await krs('score', '--help');
    expect(h.status).toBe(0);
    expect(h.stdout).toMatch(/Usage: krs score/);
    expect(await krs('nope')).toMatchObject({ status: 2, stderr: expect.stringMatching(/^krs: unknown command 'nope'\n$/) });
    expect(await krs('score', '--task', 'classification', '--teacher', T, '--student', S, '--bogus')).toMatchObject({
      status: 2,
      stderr: expect.stringMatching(/^krs: unknown option '--bogus'/),
    });
  });

  it('installs no signal handlers and leaves process.exitCode alone', async () => {
    const before = [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
    const code = process.exitCode;
    const r = await krs('capture', '--model', '/nonexistent.onnx', '--input', 'mnist', '--out', '/tmp/x.npz', '--no-progress');
    expect(r.status).toBe(3);
    expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual(before);
    expect(process.exitCode).toBe(code);
  });

  it('concurrent runs keep their own output', async () => {
    const collect = () => {
      const io = { text: '', err: '' };
      return { io, streams: { stdout: { write: (s: string) => (io.text += s) }, stderr: { write: (s: string) => (io.err += s) } } };
    };
    const a = collect();
    const b = collect();
    const [sa, sb] = await Promise.all([
      runCli(['score', '--task', 'classification', '--teacher', T, '--student', S, '--json', '--backend', 'typescript'], a.streams),
      runCli(['analyze', '/nonexistent.csv'], b.streams),
    ]);
    expect([sa, sb]).toEqual([0, 3]);
    expect(JSON.parse(a.io.text).task).toBe('classification');
    expect(a.io.err).toBe("warning: student samples were reordered by 'ids' to match the teacher's order\n");
    expect(b.io.text).toBe('');
    expect(b.io.err).toMatch(/^krs: \/nonexistent\.csv: no such file/);
  });
});

describe('the krs bin (a real process)', () => {
  it('exits with the status runCli returns, one line on stderr, the JSON payload on stdout', () => {
    const v = krsProcess('--version');
    expect(v.status).toBe(0);
    expect(v.stdout).toMatch(/^\d+\.\d+\.\d+/);
    const usage = krsProcess('score', '--task', 'ranking', '--teacher', T, '--student', S, '--json');
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/^krs: invalid --task "ranking"[^\n]*\n$/);
    expect(JSON.parse(usage.stdout).error.kind).toBe('usage');
    const data = krsProcess('score', '--task', 'classification', '--teacher', '/nonexistent.npz', '--student', S);
    expect(data.status).toBe(3);
    const ok = krsProcess('score', '--task', 'classification', '--teacher', T, '--student', S, '--json', '--backend', 'typescript');
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout).task).toBe('classification');
  });
});
