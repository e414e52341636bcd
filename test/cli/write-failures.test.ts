/**
 * Failures of the machine while writing — a folder where a file goes, a file where a folder
 * goes, no permission, a read-only or full file system — are one-line errors of kind
 * `environment` (exit 4) naming the path, and leave nothing half-written.
 *
 * How each is produced: EISDIR, EEXIST and ENOTDIR with real folders and files; EPERM/EACCES
 * with a path under /sys (sysfs refuses new files, even to root); EROFS and ENOSPC by
 * injecting the errno into Node's fs calls (node:fs patched and `syncBuiltinESMExports`), and
 * additionally, where this process may mount (root with CAP_SYS_ADMIN), on a real read-only
 * tmpfs and a real 64 KiB tmpfs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs, { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { krs } from '../helpers/cli.js';

const MODELS = new URL('../fixtures/models/', import.meta.url).pathname;
const SCORE = new URL('../fixtures/score/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'krs-write-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const capture = (out: string) => ['capture', '--model', join(MODELS, 'mlp-student.onnx'), '--input', 'mnist', '--limit', '64', '--out', out, '--no-progress'];
const score = (...extra: string[]) => [
  'score',
  '--task',
  'classification',
  '--teacher',
  join(SCORE, 'cls-teacher.npz'),
  '--student',
  join(SCORE, 'cls-student.npz'),
  '--backend',
  'typescript',
  ...extra,
];

/** Make every `fs.writeSync` fail with `code` while `fn` runs. */
async function failingWrites<T>(code: string, fn: () => Promise<T>): Promise<T> {
  const real = fs.writeSync;
  fs.writeSync = (() => {
    throw Object.assign(new Error(`${code}: injected`), { code });
  }) as typeof fs.writeSync;
  syncBuiltinESMExports();
  try {
    return await fn();
  } finally {
    fs.writeSync = real;
    syncBuiltinESMExports();
  }
}

/** Exit 4, one line naming the path, with `code` in the --json payload when there is one. */
function expectEnvironment(r: { status: number | null; stdout: string; stderr: string }, code: string, path: string): void {
  expect(r.status).toBe(4);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toContain('krs: cannot write');
  expect(r.stderr).toContain(path);
  expect(r.stderr).not.toMatch(/internal error|cannot be read/);
  if (r.stdout.startsWith('{"error"')) expect(JSON.parse(r.stdout).error).toMatchObject({ code, kind: 'environment' });
}

describe('environment failures (exit 4)', () => {
  it('capture --out naming a folder is BAD_TARGET before any model runs; --json carries the kind', async () => {
    const out = join(dir, 'folder.npz');
    mkdirSync(out);
    const r = await krs(...capture(out), '--json');
    expectEnvironment(r, 'BAD_TARGET', out);
    expect(r.stderr).toContain('it is a folder; name a file, or remove the folder');
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'BAD_TARGET', kind: 'environment', details: { file: out, errno: 'EISDIR' } });
    const plain = join(dir, 'plain-folder');
    mkdirSync(plain);
    const r2 = await krs(...capture(plain));
    expect(r2.status).toBe(4);
    expect(r2.stderr).toContain(`cannot write the capture ${plain}: it is a folder`);
  });

  it('capture --out below a file is BAD_TARGET (ENOTDIR or EEXIST), naming the path', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const r = await krs(...capture(join(file, 'x.npz')));
    expect(r.status).toBe(4);
    expect(r.stderr).toMatch(/cannot write the capture .*a-file.*(a file is in the way|is a file, not a folder)/);
  });

  it('capture --out where files cannot be created (/sys) is NOT_WRITABLE, not "cannot be read"', async () => {
    const r = await krs(...capture('/sys/krs-test-capture.npz'), '--json');
    expect(r.status).toBe(4);
    expect(r.stderr).toMatch(/^krs: cannot write the capture(s? into)? \/sys.*: (permission denied|operation not permitted)/);
    expect(JSON.parse(r.stdout).error.code).toBe('NOT_WRITABLE');
  });

  it('a device, a FIFO or a link to a pipe is never replaced: BAD_TARGET, the node left as it was', async () => {
    const fifo = join(dir, 'state.fifo');
    execFileSync('mkfifo', [fifo]);
    const viaLink = join(dir, 'stdout-link.krs');
    symlinkSync('/proc/self/fd/1', viaLink);
    for (const target of ['/dev/full', '/dev/null', fifo]) {
      const r = await krs(...score('--state-out', target, '--json'));
      expectEnvironment(r, 'BAD_TARGET', target);
      expect(r.stderr).toContain('it is a device, pipe or socket, not a regular file');
    }
    expect(lstatSync('/dev/full').isCharacterDevice()).toBe(true);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    // Through the link is this process's stdout (a pipe or a file, never rewritten by a rename).
    const r = await krs(...score('--state-out', viaLink));
    expect(r.status).not.toBe(0);
    expect(lstatSync(viaLink).isSymbolicLink()).toBe(true);
    const capture = await krs('capture', '--model', join(MODELS, 'mlp-student.onnx'), '--input', 'mnist', '--limit', '8', '--out', fifo, '--no-progress');
    expectEnvironment(capture, 'BAD_TARGET', fifo);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('a symbolic link to a file: the file it points to is replaced, the link kept', async () => {
    const real = join(dir, 'real-results.krs');
    writeFileSync(real, 'old');
    const link = join(dir, 'linked.krs');
    symlinkSync(real, link);
    const r = await krs(...score('--state-out', link));
    expect(r.status).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(real).subarray(8, 40).toString()).toMatch(/"a0"|__metadata__|dtype/);
    const dangling = join(dir, 'dangling.krs');
    symlinkSync(join(dir, 'nowhere', 'x.krs'), dangling);
    const d = await krs(...score('--state-out', dangling));
    expectEnvironment(d, 'BAD_TARGET', dangling);
    expect(d.stderr).toContain('a symbolic link to a path that does not exist');
  });

  it('--charts naming an existing file and --report naming a folder are BAD_TARGET; nothing is written', async () => {
    const file = join(dir, 'charts-file');
    writeFileSync(file, 'keep');
    const r = await krs(...score('--charts', file, '--json'));
    expectEnvironment(r, 'BAD_TARGET', file);
    expect(r.stderr).toContain('a file is in the way where a folder is needed');
    expect(readFileSync(file, 'utf8')).toBe('keep');
    const folder = join(dir, 'report.html');
    mkdirSync(folder);
    const r2 = await krs(...score('--report', folder));
    expectEnvironment(r2, 'BAD_TARGET', folder);
  });

  it('a full disk (ENOSPC injected) while writing a capture: NO_SPACE, no capture and no temporary files', async () => {
    const out = join(dir, 'full.npz');
    const r = await failingWrites('ENOSPC', () => krs(...capture(out), '--json'));
    expectEnvironment(r, 'NO_SPACE', out);
    expect(r.stderr).toContain('no space left on the device; free some space or write elsewhere');
    expect(readdirSync(dir).filter((n) => n.includes('full.npz'))).toEqual([]);
  });

  it('a full disk (ENOSPC) or a read-only file system (EROFS) while writing a report: the previous report stays whole', async () => {
    const report = join(dir, 'r.html');
    writeFileSync(report, 'previous report');
    for (const [errno, code, text] of [
      ['ENOSPC', 'NO_SPACE', 'no space left on the device'],
      ['EROFS', 'NOT_WRITABLE', 'read-only file system; choose a folder on a writable file system'],
    ] as const) {
      const r = await failingWrites(errno, () => krs(...score('--report', report), '--json'));
      expectEnvironment(r, code, report);
      expect(r.stderr).toContain(`cannot write the report ${report}: ${text}`);
      expect(readFileSync(report, 'utf8')).toBe('previous report');
      expect(readdirSync(dir).filter((n) => n.includes('r.html'))).toEqual(['r.html']);
    }
  });
});

/** Mount a tmpfs at `at` with `options`; false where this process may not mount. */
function mountTmpfs(at: string, options: string): boolean {
  mkdirSync(at, { recursive: true });
  return spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', at]).status === 0;
}
const probe = join(dir, 'probe');
const canMount = process.platform === 'linux' && mountTmpfs(probe, 'size=64k');
if (canMount) spawnSync('umount', [probe]);

describe.skipIf(!canMount)('on real file systems (mounted tmpfs)', () => {
  const mounts: string[] = [];
  afterAll(() => {
    for (const m of mounts) spawnSync('umount', [m]);
  });

  it('a read-only file system: NOT_WRITABLE naming the capture', async () => {
    const ro = join(dir, 'ro');
    expect(mountTmpfs(ro, 'ro,size=64k')).toBe(true);
    mounts.push(ro);
    const r = await krs(...capture(join(ro, 'c.npz')));
    expect(r.status).toBe(4);
    expect(r.stderr).toContain(`read-only file system`);
  });

  it('a 64 KiB file system: NO_SPACE, no partial capture left, the previous one intact', async () => {
    const small = join(dir, 'small');
    expect(mountTmpfs(small, 'size=64k')).toBe(true);
    mounts.push(small);
    const out = join(small, 'c.npz');
    writeFileSync(out, 'previous');
    const r = await krs(...capture(out), '--limit', '600', '--layers', 'relu1'); // 600 × 64 float32 and more: over 64 KiB
    expectEnvironment(r, 'NO_SPACE', out);
    expect(readFileSync(out, 'utf8')).toBe('previous');
    expect(readdirSync(small)).toEqual(['c.npz']);
    expect(existsSync(join(small, 'c.npz'))).toBe(true);
  });
});
