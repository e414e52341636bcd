/**
 * Each demo mode has its own output folder and marks it (`.krs-demo`); a mode refuses a folder
 * another mode made unless forced, so no folder ever mixes two modes' files.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { claimDemoFolder, DEMO_MARKER, defaultDemoFolder, demoFolderMode } from '../../src/train/demo-folder.js';
import { expectKrsError } from '../helpers/fixtures.js';

const freshDir = () => join(mkdtempSync(join(tmpdir(), 'krs-demo-folder-')), 'out');

describe('demo output folders', () => {
  it('gives each mode its own default folder', () => {
    expect([defaultDemoFolder('mnist'), defaultDemoFolder('study'), defaultDemoFolder('regression')]).toEqual([
      'krs-demo',
      'krs-demo-study',
      'krs-demo-regression',
    ]);
  });

  it('creates a new folder with a marker naming the mode, and takes it again for the same mode', () => {
    const dir = freshDir();
    claimDemoFolder(dir, 'study');
    expect(JSON.parse(readFileSync(join(dir, DEMO_MARKER), 'utf8'))).toEqual({ mode: 'study', command: 'krs demo --study' });
    expect(demoFolderMode(dir)).toBe('study');
    expect(() => claimDemoFolder(dir, 'study')).not.toThrow();
  });

  it('refuses a folder another mode made, in one line naming the folder, that mode and --force; --force takes it over', async () => {
    const dir = freshDir();
    claimDemoFolder(dir, 'mnist');
    const err = await expectKrsError(() => claimDemoFolder(dir, 'regression'), 'BAD_OPTION', /--force/);
    expect(err.message).toContain(dir);
    expect(err.message).toContain("'krs demo'");
    expect(err.message.split('\n')).toHaveLength(1);
    claimDemoFolder(dir, 'regression', { force: true });
    expect(demoFolderMode(dir)).toBe('regression');
  });

  it('tells a folder written before markers by its results.json, and takes a folder of no demo', async () => {
    const old = freshDir();
    mkdirSync(old, { recursive: true });
    writeFileSync(join(old, 'results.json'), JSON.stringify({ demo: 'household-power-forecast', seed: 1 }));
    expect(demoFolderMode(old)).toBe('regression');
    await expectKrsError(() => claimDemoFolder(old, 'mnist'), 'BAD_OPTION', /krs demo --task regression/);
    const other = freshDir();
    mkdirSync(other, { recursive: true });
    writeFileSync(join(other, 'notes.txt'), 'mine');
    expect(demoFolderMode(other)).toBeNull();
    expect(() => claimDemoFolder(other, 'mnist')).not.toThrow();
  });
});
