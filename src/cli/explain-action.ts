/**
 * What `krs explain` does (declared in `explain.ts`): explain single samples of two captures
 * (top-k classes, KL agreement, per-layer cosine), or list the worst ones.
 */

import { type ClassProb, displayText, type ExplainResult, explainSamples, type SampleExplanation, type WorstSample } from '../analysis/explain.js';
import { errors } from '../core/errors.js';
import { resolveLimits } from '../io/limits.js';
import { openCapture } from '../io/node-capture.js';
import { readWholeText } from '../io/node-read.js';
import type { ExplainFlags } from './explain.js';
import { fmt, table, toJson } from './format.js';
import { cliIo } from './io.js';
import { kindsLine } from './krs-summary.js';

/** The action of `krs explain`. */
export async function explainAction(o: ExplainFlags): Promise<void> {
  const result = runExplain(o);
  cliIo().stdout.write(o.json ? `${toJson(result)}\n` : `${renderExplain(result, o.textChars)}\n`);
  for (const w of result.warnings) cliIo().stderr.write(`warning: ${w}\n`);
}

/** Class names from a file: a JSON array of strings, or one name per line. */
export function readClassNames(path: string): string[] {
  const text = readWholeText(path, resolveLimits(), 'class names file');
  if (path.toLowerCase().endsWith('.json')) {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      throw errors.badFile(path, `is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
    }
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw errors.badFile(path, 'expected a JSON array of class names (strings)');
    return v as string[];
  }
  const lines = text.split(/\r?\n/);
  while (lines.length && lines[lines.length - 1]!.trim() === '') lines.pop();
  return lines.map((l) => l.trim());
}

export function runExplain(o: ExplainFlags): ExplainResult {
  return explainSamples({
    teacher: openCapture(o.teacher),
    student: openCapture(o.student),
    sample: o.sample,
    id: o.id,
    worst: o.worst,
    k: o.k,
    classes: o.classes ? readClassNames(o.classes) : undefined,
    pairs: o.pair,
    outputKey: o.outputKey,
    ids: o.ids,
    temperature: o.temperature,
    teacherInputs: o.teacherOutputs,
    studentInputs: o.studentOutputs,
    pool: o.pool,
    channelsLast: o.channelsLast,
  });
}

const name = (c: ClassProb) => c.label ?? `class ${c.index}`;
const pct = (p: number) => `${fmt(p * 100, 1)}%`;

/** Characters of a sample's text shown by default, and in the --worst table. */
export const TEXT_CHARS = 200;
const WORST_TEXT_CHARS = 40;

/** The readable case study; `textChars` characters of a sample's text (escaped) when the captures carry it. */
export function renderExplain(r: ExplainResult, textChars = TEXT_CHARS): string {
  const out: string[] = [];
  out.push(`krs explain — ${r.n} samples, ${r.classes} classes, τ = ${r.temperature}${r.ids ? `, aligned by '${r.ids}'` : ''}`);
  out.push(`teacher ${r.teacherFile}`);
  out.push(`student ${r.studentFile}`);
  out.push('', ...kindsLine(r.kinds).slice(0, 1));
  if (r.sample) out.push(...sampleLines(r, r.sample, textChars));
  if (r.worst) out.push(...worstLines(r, r.worst, textChars));
  return out.join('\n');
}

/** The case study of one sample: its text, the top classes of both models, the agreement, the layers. */
function sampleLines(r: ExplainResult, s: SampleExplanation, textChars: number): string[] {
  const out: string[] = [];
  const truth = s.truth ? `; true class ${s.truth.label ?? s.truth.index} (from '${s.truth.key}')` : '';
  out.push('', `sample ${s.index}${s.id !== null ? ` (id ${s.id})` : ''}${s.studentIndex !== s.index ? `, student row ${s.studentIndex}` : ''}${truth}`);
  if (s.text !== null) out.push(`text ('${r.textKey}'): ${displayText(s.text, textChars)}`);
  out.push('');
  const rows = s.teacher.top.map((t, i) => {
    const st = s.student.top[i];
    return [String(t.rank), name(t), pct(t.prob), st ? name(st) : '', st ? pct(st.prob) : ''];
  });
  out.push(table(['rank', 'teacher', 'p', 'student', 'p '], rows));
  out.push('');
  out.push(
    `top-1 ${s.top1Agree ? 'agrees' : 'differs'}; top-${r.k} overlap ${fmt(s.topKOverlap * 100, 0)}% (the share of the teacher's ${r.k} most likely classes that are also among the student's ${r.k})`,
  );
  out.push(`KL(teacher‖student) ${fmt(s.kl, 4)} nats, agreement exp(−KL) ${fmt(s.agreement, 1)}, JS ${fmt(s.js, 4)} nats`);
  if (s.layers.length) {
    out.push('');
    out.push(
      table(
        ['teacher layer', 'student layer', 'widths', 'cosine', 'gram r'],
        s.layers.map((l) => [
          l.teacher,
          l.student,
          `${l.teacherWidth}/${l.studentWidth}`,
          l.cosine === null ? '—' : fmt(l.cosine, 1),
          l.gramCorrelation === null ? '—' : fmt(l.gramCorrelation, 3),
        ]),
      ),
    );
    out.push("  gram r: correlation of the sample's rows of the two centred Gram matrices (any widths; its part of CKA)");
    for (const l of s.layers) {
      if (l.reason) out.push(`  ${l.teacher}:${l.student}: cosine: ${l.reason}`);
      if (l.gramReason) out.push(`  ${l.teacher}:${l.student}: gram r: ${l.gramReason}`);
    }
  }
  return out;
}

/** The --worst table. */
function worstLines(r: ExplainResult, worst: readonly WorstSample[], textChars: number): string[] {
  const out: string[] = [];
  out.push('', `the ${worst.length} samples where the student disagrees most (largest KL)`, '');
  const pairs = worst[0]?.layers ?? [];
  out.push(
    table(
      [
        'rank',
        'sample',
        'id',
        'true',
        'KL',
        'agreement',
        'teacher top-1',
        'p',
        'student top-1',
        'p ',
        ...pairs.map((l) => `r ${l.teacher}:${l.student}`),
        ...(r.textKey ? ['text'] : []),
      ],
      worst.map((w) => [
        String(w.rank),
        String(w.index),
        w.id ?? '—',
        w.truth ? (w.truth.label ?? String(w.truth.index)) : '—',
        fmt(w.kl, 4),
        fmt(w.agreement, 1),
        name(w.teacherTop1),
        pct(w.teacherTop1.prob),
        name(w.studentTop1),
        pct(w.studentTop1.prob),
        ...(w.layers ?? []).map((l) => (l.gramCorrelation === null ? '—' : fmt(l.gramCorrelation, 3))),
        ...(r.textKey ? [displayText(w.text ?? '', Math.min(textChars, WORST_TEXT_CHARS))] : []),
      ]),
    ),
  );
  return out;
}
