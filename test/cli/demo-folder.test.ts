/**
 * `krs demo` modes and their output folders: a mode refuses (exit 2, before any training) a
 * folder another mode made, unless --force. The runs themselves are in demo*.test.ts.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { claimDemoFolder } from '../../src/train/demo-folder.js';
import { krs } from '../helpers/cli.js';

const freshDir = () => join(mkdtempSync(join(tmpdir(), 'krs-demo-folder-cli-')), 'out');

describe('krs demo --out: one mode per folder', () => {
  it('each mode refuses a folder made by another, in one line naming it and --force, before training', async () => {
    const cases: [made: 'mnist' | 'study' | 'regression', args: string[], maker: string][] = [
      ['study', ['--quick'], 'krs demo --study'],
      ['mnist', ['--study', '--quick'], 'krs demo'],
      ['mnist', ['--task', 'regression', '--quick'], 'krs demo'],
    ];
    for (const [made, args, maker] of cases) {
      const dir = freshDir();
      claimDemoFolder(dir, made);
      const r = await krs('demo', ...args, '--out', dir, '--no-progress');
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(dir);
      expect(r.stderr).toContain(`'${maker}'`);
      expect(r.stderr).toContain('--force');
      expect(readdirSync(dir)).toEqual(['.krs-demo']);
    }
  });

  it('--help shows each mode its own default folder and --force', async () => {
    const r = await krs('demo', '--help');
    expect(r.stdout).toMatch(/--out <dir>.*krs-demo-study.*krs-demo-regression/s);
    expect(r.stdout).toMatch(/--force/);
  });
});
