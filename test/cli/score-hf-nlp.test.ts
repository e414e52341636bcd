/**
 * `krs score --task nlp` on captures written the way a Hugging Face user writes them
 * (test/fixtures/nlp-hf/make_fixtures.py, seeded NumPy): `hidden_states.0` … `hidden_states.N`
 * (samples × tokens × width, garbage at padded positions), an int64 `attention_mask`, logits
 * and a unicode `text` array. FSS against the NumPy reference of masked mean pooling + linear
 * CKA of the last hidden states; AOA against exp(−KL) of the softmax outputs.
 */
import { describe, expect, it } from 'vitest';
import { lastHiddenState, lastHiddenStatePairs } from '../../src/tasks/nlp.js';
import { taskSpec } from '../../src/tasks/registry.js';
import { krs } from '../helpers/cli.js';
import { expectClose, fixturePath, loadJson } from '../helpers/fixtures.js';

const ex = loadJson('nlp-hf/expected.json');
const f = (name: string) => fixturePath(`nlp-hf/${name}`);

async function scoreJson(...args: string[]): Promise<any> {
  const r = await krs('score', '--task', 'nlp', '--teacher', f('teacher.npz'), '--student', f('student.npz'), ...args, '--json');
  if (r.status !== 0) throw new Error(`krs score exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe('nlp: the default pair of transformers-style captures', () => {
  it('is the last hidden_states.N of each side, whatever the depths; null without them', () => {
    const t = ['hidden_states.0', 'hidden_states.2', 'hidden_states.12', 'hidden_states.10', 'attention_mask', 'logits'];
    const s = ['logits', 'hidden_states.6', 'hidden_states.0', 'hidden_states.x'];
    expect(lastHiddenState(t)).toBe('hidden_states.12');
    expect(taskSpec('nlp').defaultPairs?.(t, s)).toEqual([{ teacher: 'hidden_states.12', student: 'hidden_states.6' }]);
    expect(lastHiddenStatePairs(t, ['pooler', 'logits'])).toBeNull();
    expect(taskSpec('classification').defaultPairs).toBeUndefined();
  });
});

describe('krs score --task nlp on Hugging Face-style captures (NumPy reference)', () => {
  it('scores the last hidden states mean-pooled with attention_mask, CKA across widths, AOA of the softmax', async () => {
    const out = await scoreJson('--backend', 'typescript');
    expect(out.layers.map((l: any) => [l.teacher, l.student])).toEqual([ex.pair]);
    expect(out.similarity).toBe('cka');
    expect(out.n).toBe(ex.n);
    // float32 captures against a float64 reference.
    expectClose(out.fss, ex.fss, 1e-4);
    expectClose(out.aoa, ex.aoa, 1e-5);
    expectClose(out.krs, ex.krs, 1e-4);
    // Without the mask the padded garbage would dominate: the reference says how far off.
    expect(Math.abs(ex.fssUnmasked - ex.fss)).toBeGreaterThan(10);
  });

  it('every layer pair by --pair, each equal to the reference matrix of masked means', async () => {
    const pairs: string[] = [];
    ex.cross.forEach((row: number[], i: number) => row.forEach((_v, j) => pairs.push('--pair', `hidden_states.${i}:hidden_states.${j}`)));
    const out = await scoreJson(...pairs, '--backend', 'typescript');
    for (const l of out.layers) {
      const [i, j] = [Number(l.teacher.split('.')[1]), Number(l.student.split('.')[1])];
      expectClose(l.score, ex.cross[i][j], 1e-4);
    }
  });

  it('the text array is never taken for a layer', async () => {
    const r = await krs('score', '--task', 'nlp', '--teacher', f('teacher.npz'), '--student', f('teacher.npz'), '--pool', 'mean', '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).layers.map((l: any) => l.teacher)).toEqual(['hidden_states.3']);
  });
});

describe('krs heatmap --pool mean on Hugging Face-style captures honours attention_mask', () => {
  it('every cell equals the reference matrix of masked means (the text array is not a layer)', async () => {
    const r = await krs('heatmap', '--teacher', f('teacher.npz'), '--student', f('student.npz'), '--pool', 'mean', '--backend', 'typescript', '--json');
    expect(r.status, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout);
    expect(m.teacherLayers).toEqual(ex.cross.map((_: number[], i: number) => `hidden_states.${i}`));
    expect(m.studentLayers).toEqual(ex.cross[0].map((_: number, j: number) => `hidden_states.${j}`));
    ex.cross.forEach((row: number[], i: number) => row.forEach((v, j) => expectClose(100 * m.cka[i][j], v, 1e-4)));
  });
});
