/**
 * `--estimator minibatch` uses the minibatch the user gave (`--batch-size`, the streaming batch),
 * as docs/formulas.md §"Minibatch unbiased-HSIC CKA" states: checked against the NumPy reference
 * written from the published formula (test/fixtures/minibatch/make_minibatch_fixtures.py), and a
 * sharded run merged equals the whole run (the shards fold the run's own minibatches).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { krs } from '../helpers/cli.js';
import { expectClose, fixturePath, loadJson } from '../helpers/fixtures.js';

const expected = loadJson<Record<string, { cka: number; batches: number }>>('minibatch/expected.json');
const args = [
  'score',
  '--task',
  'classification',
  '--teacher',
  fixturePath('minibatch/mb-teacher.npz'),
  '--student',
  fixturePath('minibatch/mb-student.npz'),
  '--pair',
  'feat:feat',
  '--estimator',
  'minibatch',
  '--backend',
  'typescript',
  '--no-null',
];

async function scored(...extra: string[]): Promise<any> {
  const r = await krs(...args, ...extra, '--json');
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe('krs score --estimator minibatch --batch-size b', () => {
  for (const b of [64, 100, 998]) {
    it(`minibatches of ${b} rows: the NumPy reference's value and batch count`, async () => {
      const j = await scored('--batch-size', String(b));
      const want = expected[`batch${b}`]!;
      expect(j.layers[0].batches).toBe(want.batches);
      expectClose(j.layers[0].score / 100, want.cka, 1e-10);
      expect(j.batchSize).toBe(b);
    });
  }

  it('the batch size moves the estimate (it is not cut at the interval groups)', async () => {
    const a = await scored('--batch-size', '64');
    const b = await scored('--batch-size', '100');
    expect(Math.abs(a.layers[0].score - b.layers[0].score)).toBeGreaterThan(0.1);
  });

  it('3 shards merged equal the whole run (each shard folds whole minibatches of the run)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'krs-minibatch-'));
    const whole = await scored('--batch-size', '64');
    const states: string[] = [];
    for (let i = 0; i < 3; i++) {
      const file = join(dir, `shard-${i}.krs`);
      const r = await krs(...args, '--batch-size', '64', '--shard', `${i}/3`, '--state-out', file);
      expect(r.status, r.stderr).toBe(0);
      states.push(file);
    }
    const m = await krs('merge', ...states.reverse(), '--json');
    expect(m.status, m.stderr).toBe(0);
    const merged = JSON.parse(m.stdout);
    expect(merged.layers[0].batches).toBe(16);
    expectClose(merged.layers[0].score, whole.layers[0].score, 1e-12);
    expect(merged.layers[0].ci95).toEqual(whole.layers[0].ci95);
  });
});
