/**
 * `krs demo --study --seeds … --resume` (end to end, quick MLP studies): a seed whose folder
 * holds its finished study is kept — not trained again — and counted in seeds.json; a folder
 * made with other settings is refused, naming the setting; --resume needs --seeds.
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { krs } from '../helpers/cli.js';

const quick = ['demo', '--study', '--quick', '--no-heatmaps'];

describe('krs demo --study --seeds --resume', () => {
  it('keeps a finished seed, runs the rest, and refuses a seed folder of other settings', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'krs-resume-')), 'study');
    const first = await krs(...quick, '--seeds', '1', '--out', out);
    expect(first.status, first.stderr).toBe(0);
    const seed1 = join(out, 'seed-1', 'results.json');
    const before = { text: readFileSync(seed1, 'utf8'), mtime: statSync(seed1).mtimeMs };

    const resumed = await krs(...quick, '--seeds', '1,2', '--resume', '--out', out, '--json');
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/seed 1 \(1 of 2\) kept: .*seed-1 holds its finished study/);
    expect(resumed.stderr).toMatch(/seed 2 \(2 of 2\) → .*seed-2/);
    expect(readFileSync(seed1, 'utf8')).toBe(before.text);
    expect(statSync(seed1).mtimeMs).toBe(before.mtime);
    const seeds = JSON.parse(readFileSync(join(out, 'seeds.json'), 'utf8'));
    expect(seeds.seeds).toEqual([1, 2]);
    const teacher = seeds.statistics.find((s: { name: string }) => s.name === 'teacher_metric');
    expect(teacher.values[0]).toBe(JSON.parse(before.text).teacher.metric);
    expect(seeds.runs[0].out).toBe(join(out, 'seed-1'));

    const other = await krs(...quick, '--seeds', '1,2', '--resume', '--epochs', '2', '--out', out);
    expect(other.status).toBe(2);
    expect(other.stderr).toMatch(/--resume .*seed-1.*results\.json.*config\.studentEpochs: 2 here, 1 in the file/);
    expect(other.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--resume needs --seeds', async () => {
    const r = await krs(...quick, '--resume', '--out', join(mkdtempSync(join(tmpdir(), 'krs-resume-')), 'x'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--resume.*--seeds/);
  });
});
