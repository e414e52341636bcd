import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { krs } from '../helpers/cli.js';

const outDir = () => mkdtempSync(join(tmpdir(), 'krs-demo-seg-'));

describe('krs demo --study --family segmenter', () => {
  it('refuses the flags the segmentation study does not take, in one line', async () => {
    for (const args of [
      ['--temperatures', '2,4'],
      ['--soft-weight', '0.5'],
      ['--hint-epochs', '2'],
      ['--teacher-hidden', '64'],
      ['--hint-layer', 'enc3'],
      ['--test-size', '5'],
    ]) {
      const r = await krs('demo', '--study', '--family', 'segmenter', '--quick', '--out', outDir(), '--no-progress', ...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^krs: invalid --/);
    }
  });

  it('--quick runs the study into a study-segmenter folder with the PNG label maps', async () => {
    const out = outDir();
    const r = await krs('demo', '--study', '--family', 'segmenter', '--quick', '--out', out, '--no-progress');
    expect(r.status, r.stderr).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.family).toBe('segmenter');
    expect(results.metric).toBe('mIoU');
    expect(JSON.parse(readFileSync(join(out, '.krs-demo'), 'utf8')).mode).toBe('study-segmenter');
    const pngs = readdirSync(join(out, 'label-maps', 'teacher'));
    expect(pngs).toHaveLength(results.data.test);
    expect(pngs.every((f) => f.endsWith('.png'))).toBe(true);
  }, 600_000);
});
