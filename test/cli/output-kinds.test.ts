/**
 * Output kinds end to end: a sigmoid model captured as it outputs (sigmoid scores), scored from
 * the capture with `krs score`, gives the AOA of `krs eval --student-outputs sigmoid` on the
 * same digits; the kinds are printed before the scores; undeclared kinds that differ are an
 * error naming both; `krs explain` reads the same kinds and agrees with the score.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { krs } from '../helpers/cli.js';
import { ownModel, publicModel } from '../helpers/models.js';

const TEACHER = ownModel('mlp-teacher.onnx');
const SIGMOID_MLP = ownModel('mlp-sigmoid.onnx');
const MICHBOGOS = publicModel('michbogos-mnist.onnx');
const hasMichbogos = existsSync(MICHBOGOS);
const LIMIT = '2000';

async function ok(...args: string[]) {
  const r = await krs(...args);
  if (r.status !== 0) throw new Error(`krs ${args[0]} exited ${r.status}: ${r.stderr}`);
  return r;
}
const capture = (model: string, out: string, layer: string, ...extra: string[]) =>
  ok('capture', '--model', model, '--input', 'mnist', '--limit', LIMIT, '--layers', layer, '--out', out, '--no-progress', '--no-worker', ...extra);

/** Capture both models as they output, score the captures, eval the models: the same AOA. */
async function scoreVsEval(student: string, studentLayer: string, studentPre: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'krs-kinds-'));
  const t = join(dir, 'teacher.npz');
  const s = join(dir, 'student.npz');
  await capture(TEACHER, t, 'relu2');
  const cap = await capture(student, s, studentLayer, ...studentPre.map((a) => a.replace('--student-', '--')));
  const pair = `relu2:${studentLayer}`;
  const base = ['score', '--task', 'classification', '--teacher', t, '--student', s, '--pair', pair, '--backend', 'typescript'];
  const undeclared = await krs(...base);
  const scored = await ok(...base, '--student-outputs', 'sigmoid');
  const scoredJson = JSON.parse((await ok(...base, '--student-outputs', 'sigmoid', '--json')).stdout);
  const evalArgs = ['eval', '--teacher', TEACHER, '--student', student, '--input', 'mnist', '--limit', LIMIT, '--task', 'classification'];
  const ev = JSON.parse(
    (await ok(...evalArgs, ...studentPre, '--pair', pair, '--student-outputs', 'sigmoid', '--backend', 'typescript', '--no-progress', '--no-worker', '--json'))
      .stdout,
  );
  return { dir, t, s, cap, undeclared, scored, scoredJson, ev };
}

describe('a sigmoid model scored from its capture and by eval', () => {
  it('own mlp-sigmoid.onnx: capture holds sigmoid scores; score --student-outputs sigmoid = eval --student-outputs sigmoid', async () => {
    const r = await scoreVsEval(SIGMOID_MLP, 'relu1', []);
    // The capture is written as the model outputs it, with a warning from the same inference.
    expect(r.cap.stderr).toMatch(/model outputs 'output' of .*mlp-sigmoid\.onnx look like sigmoid scores, not logits: every value is in \[0, 1\]/);
    // Nobody said: teacher logits vs student sigmoid scores is an error naming both kinds and the flags.
    expect(r.undeclared.status).toBe(2);
    expect(r.undeclared.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.undeclared.stderr).toMatch(
      /^krs: teacher output 'logits' of .*teacher\.npz looks like logits \(values outside \[0, 1\] .*\) but student output 'logits' of .*student\.npz looks like sigmoid scores \(every value is in \[0, 1\] but \d+ of 2000 rows do not sum to 1 .*\); say how to read them with --teacher-outputs and --student-outputs \(logits, probs or sigmoid\)\n$/,
    );
    // The kinds are printed before the scores.
    const lines = r.scored.stdout.split('\n');
    const kindsAt = lines.findIndex((l) => l.startsWith('outputs  '));
    expect(lines[kindsAt]).toMatch(
      /^outputs {2}teacher logits \(from the values: values outside \[0, 1\] .*\); student sigmoid scores \(set by --student-outputs\)$/,
    );
    expect(kindsAt).toBeLessThan(lines.findIndex((l) => l.startsWith('AOA')));
    expect(r.scoredJson.output).toMatchObject({
      teacherKind: 'logits',
      studentKind: 'sigmoid',
      kinds: { teacher: { source: 'values' }, student: { source: 'option' } },
    });
    expect(r.ev.output).toMatchObject({ teacherKind: 'logits', studentKind: 'sigmoid' });
    // Same AOA, top-1 agreement and FSS as eval on the same 2000 digits.
    expect(Math.abs(r.scoredJson.aoa - r.ev.aoa)).toBeLessThan(1e-9);
    expect(r.scoredJson.output.top1Agreement).toBe(r.ev.output.top1Agreement);
    expect(Math.abs(r.scoredJson.fss - r.ev.fss)).toBeLessThan(1e-6);
    expect(r.scoredJson.aoa).toBeGreaterThan(90); // read as logits it was ~23
    // Read as logits (both flags), the sigmoid scores give the misleading number the issue reported.
    const asLogits = JSON.parse(
      (await ok('score', '--task', 'classification', '--teacher', r.t, '--student', r.s, '--pair', 'relu2:relu1', '--student-outputs', 'logits', '--json'))
        .stdout,
    );
    expect(asLogits.aoa).toBeLessThan(30);

    // krs explain reads the same kinds: its per-sample agreements average to the score's AOA.
    const ex = JSON.parse((await ok('explain', '--teacher', r.t, '--student', r.s, '--worst', LIMIT, '--student-outputs', 'sigmoid', '--json')).stdout);
    expect(ex).toMatchObject({ teacherKind: 'logits', studentKind: 'sigmoid' });
    const mean = ex.worst.reduce((a: number, w: { agreement: number }) => a + w.agreement, 0) / ex.worst.length;
    expect(Math.abs(mean - r.scoredJson.aoa)).toBeLessThan(1e-9);
    const exText = await krs('explain', '--teacher', r.t, '--student', r.s, '--sample', '0');
    expect(exText.status).toBe(2);
    expect(exText.stderr).toMatch(/looks like sigmoid scores .*--teacher-outputs and --student-outputs/);
  }, 120_000);

  it.skipIf(!hasMichbogos)(
    'public michbogos-mnist.onnx (../shared/models): the same',
    async () => {
      const r = await scoreVsEval(MICHBOGOS, 'onnx::Gemm_8', ['--student-preprocess', 'symmetric']);
      expect(r.undeclared.status).toBe(2);
      expect(r.scored.stdout).toMatch(/^outputs {2}teacher logits .*; student sigmoid scores \(set by --student-outputs\)$/m);
      expect(Math.abs(r.scoredJson.aoa - r.ev.aoa)).toBeLessThan(1e-9);
      expect(r.scoredJson.output.top1Agreement).toBe(r.ev.output.top1Agreement);
      expect(r.scoredJson.output.top1Agreement).toBeGreaterThan(0.9);
      expect(r.scoredJson.aoa).toBeGreaterThan(80);
    },
    120_000,
  );
  if (!hasMichbogos) console.info(`skipping the michbogos-mnist.onnx output-kind test: ${MICHBOGOS} is not there`);
});

describe('kinds told from the values, and flags', () => {
  it('both sides sigmoid scores: inferred alike, no flag needed; flags the values contradict are one-line errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'krs-kinds-'));
    const a = join(dir, 'a.npz');
    await capture(SIGMOID_MLP, a, 'relu1');
    const same = JSON.parse((await ok('score', '--task', 'classification', '--teacher', a, '--student', a, '--json')).stdout);
    expect(same.output).toMatchObject({ teacherKind: 'sigmoid', studentKind: 'sigmoid', kinds: { teacher: { source: 'values' } } });
    expect(same.aoa).toBeCloseTo(100, 9);
    // --teacher-outputs probs on rows that are not distributions: the existing error stays.
    const bad = await krs('score', '--task', 'classification', '--teacher', a, '--student', a, '--teacher-outputs', 'probs');
    expect(bad.status).toBe(3);
    expect(bad.stderr).toMatch(/teacher probabilities row 0 is not a probability distribution .*set --teacher-outputs to logits/);
    // --student-outputs sigmoid on logits: one line naming the value and the flag.
    const t = join(dir, 't.npz');
    await capture(TEACHER, t, 'relu2');
    const wrong = await krs('score', '--task', 'classification', '--teacher', t, '--student', t, '--student-outputs', 'sigmoid');
    expect(wrong.status).toBe(3);
    expect(wrong.stderr).toMatch(
      /^krs: student sigmoid scores holds -?[\d.]+ at flat index \d+, not a sigmoid score in \[0, 1\]; if these are logits, set --student-outputs to logits\n$/,
    );
  }, 60_000);
});
