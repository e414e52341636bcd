/**
 * A plain-language reading of a score, and tuning advice from its components (docs/formulas.md §"Diagnostics";
 * the paper's §4.4): the findings of {@link diagnose} (high AOA with low FSS points to
 * feature-level supervision; high FSS with low AOA to the softmax temperature or the weight
 * of the distillation loss), plus two the per-layer and per-sample numbers allow: the weakest
 * layer pair when it lies {@link WEAK_LAYER} points under the FSS, and top-1 disagreement
 * hidden by a high AOA. The reading states what the numbers are — similarity and agreement
 * with the teacher on these inputs — next to their reference levels (the teacher against
 * itself: 100; the null level; a baseline), and never as knowledge kept.
 */

import { diagnose } from '../krs/diagnose.js';
import type { ReferenceLevels } from '../krs/reference-levels.js';
import { isSimilarity, similaritySpec } from '../similarity/registry.js';
import { isTask, taskSpec } from '../tasks/registry.js';
import type { ScoreLike } from './charts/score.js';
import { pairLabel } from './charts/score.js';
import { fmt, fmtWeight } from './format.js';

/** A layer pair at least this many points below the FSS is singled out. */
const WEAK_LAYER = 15;

export interface ScoreReading {
  /** Sentences explaining what the numbers mean. */
  reading: string[];
  /** Findings and tuning advice. */
  diagnostics: string[];
}

/**
 * An output agreement result as the report reads it: its metric's name, AOA, and whatever
 * scalar details the metric adds (mean KL, top-1 agreement, matched boxes…); see output-details.ts.
 */
export interface ReportOutput {
  metric?: string;
  aoa?: number;
  n?: number;
}

/** The output result's fields, details included. */
const outputFields = (r: { output?: ReportOutput }): Readonly<Record<string, unknown>> => (r.output ?? {}) as Readonly<Record<string, unknown>>;

export interface ReadableScore extends ScoreLike {
  task: string;
  n: number;
  similarity?: string;
  output?: ReportOutput;
  /** Reference levels (src/krs/reference-levels.ts), when the score has them. */
  reference?: ReferenceLevels | null;
}

const f1 = (v: number) => fmt(v, 1);

/**
 * What AOA is for each output metric, one sentence each (per task: these move into the task
 * specs). The default covers a metric none of them names.
 */
/**
 * What the AOA value means, in the words of the task's agreement spec (src/agreement/*.ts,
 * `meaning`); a generic sentence when the output's metric is not the task's (or unknown).
 */
function aoaMeaning(r: ReadableScore): string {
  const o = outputFields(r);
  const agreement = isTask(r.task) ? taskSpec(r.task).agreement : undefined;
  if (agreement && o.metric === agreement.name) return agreement.meaning({ ...o, metric: agreement.name, aoa: r.aoa, n: r.n });
  return `AOA = ${f1(r.aoa)} is the agreement of the student's outputs with the teacher's (100 = identical).`;
}

/**
 * The reference levels in one sentence: 100 for the teacher against itself, the null level and
 * the baseline when known, and what the score is not.
 */
function referenceSentence(r: ReadableScore): string {
  const ref = r.reference;
  const levels = [`the teacher against itself scores 100 by construction`];
  if (ref?.null)
    levels.push(
      `the student's samples shuffled against the teacher's (chance alignment) score KRS ${f1(ref.null.krs)} (FSS ${f1(ref.null.fss)}, AOA ${f1(ref.null.aoa)})`,
    );
  if (ref?.baseline) {
    const d = ref.baseline.delta;
    const ci = d.ci95.krs;
    levels.push(
      `the baseline ${ref.baseline.file} scores KRS ${f1(ref.baseline.krs)}, so student − baseline is ${d.krs >= 0 ? '+' : ''}${f1(d.krs)}${ci ? ` (95% CI ${f1(ci[0])} to ${f1(ci[1])})` : ''}`,
    );
  }
  return `For reference, ${levels.join('; ')}. KRS is the similarity and agreement of the student with the teacher on these inputs, not a share of the teacher's knowledge: models trained independently on the same task also score high${ref?.baseline ? '' : ', so only a baseline student (trained without distillation) shows what distillation added'}.`;
}

/** What the score says, and what to try next. */
export function readScore(r: ReadableScore): ScoreReading {
  const sim = isSimilarity(r.similarity) ? similaritySpec(r.similarity).title : 'similarity';
  const reading = [
    `KRS = ${f1(r.krs)} on a 0–100 scale, where 100 means identical to the teacher: ${fmtWeight(r.alpha)} × FSS + ${fmtWeight(r.beta)} × AOA, the ${r.task} weighting${r.alpha > 0.5 ? ', which stresses the features' : r.alpha < 0.5 ? ', which stresses the outputs' : ', features and outputs alike'}. It describes these ${r.n} ${r.task} samples: the student and the teacher compared on the same inputs.`,
    `FSS = ${f1(r.fss)} is the similarity of the two networks' layer representations of these inputs: the mean ${sim} of ${r.layers.length} teacher/student layer pair${r.layers.length === 1 ? '' : 's'}, × 100 (100 = identical up to rotation and scale).`,
    aoaMeaning(r),
    referenceSentence(r),
  ];
  const diagnostics = diagnose({ fss: r.fss, aoa: r.aoa, krs: r.krs, reference: r.reference ?? null }).findings.map(
    (f) => `${f.message[0]!.toUpperCase()}${f.message.slice(1)}.`,
  );
  if (r.layers.length > 1) {
    const weakest = [...r.layers].sort((a, b) => a.score - b.score)[0]!;
    if (r.fss - weakest.score >= WEAK_LAYER) {
      diagnostics.push(
        `The weakest layer pair is ${pairLabel(weakest.teacher, weakest.student)} at ${f1(weakest.score)}, ${f1(r.fss - weakest.score)} points under the FSS: if a feature (hint) loss is added, the place to start.`,
      );
    }
  }
  const o = outputFields(r);
  if (o.metric === 'kl-agreement' && 'top1Agreement' in o && typeof o.top1Agreement === 'number' && o.top1Agreement < 0.9 && r.aoa >= 70) {
    diagnostics.push(
      `AOA is ${f1(r.aoa)} yet the top-1 classes differ on ${f1((1 - o.top1Agreement) * 100)}% of samples: the distributions are close on average but their arg-max differs on those samples (krs explain --worst lists them).`,
    );
  }
  return { reading, diagnostics };
}
