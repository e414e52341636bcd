/**
 * `krs explain` end to end (the built CLI): the case study of one sample, --worst N, --json,
 * and bad input.
 */
import { describe, expect, it } from 'vitest';
import { krs } from '../helpers/cli.js';
import { expectClose, fixturePath, loadJson } from '../helpers/fixtures.js';

const ex = loadJson('explain/expected.json');
const T = fixturePath('explain/teacher.npz');
const S = fixturePath('explain/student.npz');
const CLASSES = fixturePath('explain/classes.txt');

describe('krs explain', () => {
  it('prints the top-k of both models, the KL agreement and per-layer cosines', async () => {
    const r = await krs('explain', '--teacher', T, '--student', S, '--sample', '4', '--classes', CLASSES);
    expect(r.status).toBe(0);
    const e = ex.samples.find((s: any) => s.index === 4);
    expect(r.stdout).toMatch(/sample 4 \(id 1004\), student row \d+/);
    expect(r.stdout).toMatch(
      new RegExp(
        `1  ${e.teacherTop[0].label} +${(e.teacherTop[0].prob * 100).toFixed(1)}%  ${e.studentTop[0].label} +${(e.studentTop[0].prob * 100).toFixed(1)}%`,
      ),
    );
    expect(r.stdout).toMatch(new RegExp(`KL\\(teacher‖student\\) ${e.kl.toFixed(4)} nats, agreement exp\\(−KL\\) ${e.agreement.toFixed(1)}`));
    expect(r.stdout).toMatch(/wide +wide +8\/4 +—/);
    expect(r.stdout).toMatch(/widths differ \(8 vs 4\)/);
  });

  it('--json and --worst', async () => {
    const r = await krs('explain', '--teacher', T, '--student', S, '--id', '1007', '--worst', '3', '--k', '2', '--pair', 'feat:feat', '--json');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ n: 12, classes: 5, k: 2, ids: 'ids', outputKey: { teacher: 'logits', student: 'logits' } });
    expect(out.sample.index).toBe(7);
    expect(out.sample.teacher.top).toHaveLength(2);
    expect(out.sample.layers.map((l: any) => l.teacher)).toEqual(['feat']);
    expect(out.worst.map((w: any) => w.index)).toEqual(ex.worst.slice(0, 3).map((w: any) => w.index));
    expectClose(out.worst[0].kl, ex.worst[0].kl, 1e-6);
  });

  it('bad input: one-line errors and exit statuses', async () => {
    const none = await krs('explain', '--teacher', T, '--student', S);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/--sample I or --id ID\) and\/or --worst N/);
    expect(await krs('explain', '--teacher', T, '--student', S, '--sample', '99')).toMatchObject({
      status: 2,
      stderr: expect.stringMatching(/--sample 99: expected a row index in \[0, 11\]/),
    });
    expect(await krs('explain', '--teacher', T, '--student', S, '--sample', '-1')).toMatchObject({ status: 2, stderr: expect.stringMatching(/--sample/) });
    expect(await krs('explain', '--teacher', T, '--student', '/nonexistent.npz', '--sample', '0')).toMatchObject({
      status: 3,
      stderr: expect.stringMatching(/no such file/),
    });
    expect(await krs('explain', '--teacher', T, '--student', S, '--sample', '0', '--classes', '/nonexistent.txt')).toMatchObject({ status: 3 });
  });
});
