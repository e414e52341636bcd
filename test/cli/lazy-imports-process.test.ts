/**
 * What a real `krs` process loads (end to end: spawns the built bin): every module the ESM
 * loader loads is recorded by a `node --import` hook (test/helpers/record-imports.mjs), and
 * `krs --help` and `krs score` on the 64-sample fixture must load no training, service or
 * report code, nor tfjs, onnxruntime, fastify or vega — including through dynamic imports
 * that run on those paths (which the static check of `lazy-imports.test.ts` cannot see).
 * `krs serve openapi` is the control: it does load the service and fastify.
 * Not timed: bench/cli/startup.mjs measures the CPU time.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { KRS_BIN } from '../helpers/cli.js';
import { fixturePath } from '../helpers/fixtures.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HOOK = fileURLToPath(new URL('../helpers/record-imports.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'krs-imports-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run the bin with the recording hook; the loaded modules as paths relative to the repository. */
function loaded(name: string, ...args: string[]): string[] {
  const log = join(dir, `${name}.log`);
  const r = spawnSync(process.execPath, ['--import', HOOK, KRS_BIN, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, KRS_IMPORT_LOG: log },
  });
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((u) => u.startsWith('file://'))
    .map((u) => fileURLToPath(u).slice(ROOT.length));
}

/** Modules of the lazy folders (but the light serve defaults) and of the lazy packages. */
function heavy(modules: readonly string[]): string[] {
  return modules.filter(
    (m) =>
      (/^dist\/(train|serve|report)\//.test(m) && m !== 'dist/serve/defaults.js') ||
      /node_modules\/(@tensorflow|onnxruntime-node|onnxruntime-common|fastify|@fastify|vega[^/]*|d3[^/]*|@resvg|pg|better-sqlite3|kysely)\//.test(m),
  );
}

describe('a krs process loads only what its command uses', () => {
  it('krs --help', () => {
    const m = loaded('help', '--help');
    expect(m).toContain('dist/cli/main.js');
    expect(heavy(m)).toEqual([]);
  });

  it('krs score on the 64-sample fixture', () => {
    const f = (n: string) => fixturePath(`score/${n}`);
    const m = loaded(
      'score',
      'score',
      '--task',
      'classification',
      '--teacher',
      f('cls-teacher.npz'),
      '--student',
      f('cls-student.npz'),
      '--backend',
      'typescript',
    );
    expect(m).toContain('dist/krs/score-captures.js');
    expect(heavy(m)).toEqual([]);
  });

  it('the control: krs serve openapi loads the service and fastify', () => {
    const m = heavy(loaded('openapi', 'serve', 'openapi'));
    expect(m).toContain('dist/serve/app.js');
    expect(m.some((p) => p.includes('node_modules/fastify/'))).toBe(true);
  });
});
