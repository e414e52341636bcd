/**
 * The README's way to get `krs` on the PATH (issue 22, item 8): `npm link` in the clone puts a
 * `krs` bin in the global prefix that runs this checkout from any folder. Run here with a
 * throw-away prefix (npm_config_prefix), so the machine's global folder is untouched, and
 * --ignore-scripts (dist/ is already built by the global setup).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const prefix = mkdtempSync(join(tmpdir(), 'krs-prefix-'));
const elsewhere = mkdtempSync(join(tmpdir(), 'krs-elsewhere-'));
afterAll(() => {
  rmSync(prefix, { recursive: true, force: true });
  rmSync(elsewhere, { recursive: true, force: true });
});

describe('krs on the PATH', () => {
  it('npm link: `krs` runs from any folder', () => {
    const env = { ...process.env, npm_config_prefix: prefix, npm_config_audit: 'false', npm_config_fund: 'false' };
    const link = spawnSync('npm', ['link', '--ignore-scripts'], { cwd: root, env, encoding: 'utf8', timeout: 300_000 });
    expect(link.status, link.stderr).toBe(0);
    const run = spawnSync('krs', ['--version'], {
      cwd: elsewhere,
      env: { ...process.env, PATH: `${join(prefix, 'bin')}:${process.env.PATH}` },
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe(VERSION);
    const help = spawnSync('krs', ['score', '--help'], {
      cwd: elsewhere,
      env: { ...process.env, PATH: `${join(prefix, 'bin')}:${process.env.PATH}` },
      encoding: 'utf8',
    });
    expect(help.stdout).toMatch(/--teacher/);
  });
});
