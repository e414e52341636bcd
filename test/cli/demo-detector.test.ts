import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { krs } from '../helpers/cli.js';

const outDir = () => mkdtempSync(join(tmpdir(), 'krs-demo-det-'));

describe('krs demo --study --family detector', () => {
  it('refuses the flags the detection study does not take, in one line', async () => {
    for (const args of [
      ['--temperatures', '2,4'],
      ['--soft-weight', '0.5'],
      ['--fitnet-temperature', '2'],
      ['--hint-epochs', '2'],
      ['--teacher-hidden', '64'],
      ['--student-hidden', '32'],
      ['--hint-layer', 'hidden1'],
      ['--test-size', '5'],
    ]) {
      const r = await krs('demo', '--study', '--family', 'detector', '--quick', '--out', outDir(), '--no-progress', ...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^krs: invalid --/);
    }
  });

  it('--quick runs the study into a study-detector folder with the COCO files', async () => {
    const out = outDir();
    const r = await krs('demo', '--study', '--family', 'detector', '--quick', '--out', out, '--no-progress');
    expect(r.status, r.stderr).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.family).toBe('detector');
    expect(results.metric).toBe('mAP@0.5');
    expect(JSON.parse(readFileSync(join(out, '.krs-demo'), 'utf8')).mode).toBe('study-detector');
    expect(readFileSync(join(out, 'ground-truth.json'), 'utf8')).toContain('"annotations"');
    expect(
      readFileSync(join(out, 'detections', 'teacher.json'), 'utf8')
        .trim()
        .startsWith('['),
    ).toBe(true);
  }, 300_000);
});
