/**
 * A plain-language reading of a score, and tuning advice from its components (DESIGN §1
 * item 4, the paper's §4.4): the findings of {@link diagnose} (high AOA with low FSS points to
 * feature-level supervision; high FSS with low AOA to the softmax temperature or the weight
 * of the distillation loss), plus two the per-layer and per-sample numbers allow: the weakest
 * layer pair when it lies {@link WEAK_LAYER} points under the FSS, and top-1 disagreement
 * hidden by a high AOA.
 */
import { diagnose } from '../krs/diagnose.js';
import type { OutputResult } from '../krs/output.js';
import type { ScoreLike } from './charts/score.js';
import { pairLabel } from './charts/score.js';

/** A layer pair at least this many points below the FSS is singled out. */
export const WEAK_LAYER = 15;

export interface ScoreReading {
  /** Sentences explaining what the numbers mean. */
  reading: string[];
  /** Findings and tuning advice. */
  diagnostics: string[];
}

export interface ReadableScore extends ScoreLike {
  task: string;
  n: number;
  similarity?: string;
  output?: Partial<OutputResult> & { metric?: string };
}

const f1 = (v: number) => v.toFixed(1);

function aoaMeaning(r: ReadableScore): string {
  const o = r.output ?? {};
  switch (o.metric) {
    case 'kl-agreement': {
      const top1 =
        'top1Agreement' in o && typeof o.top1Agreement === 'number'
          ? `; the two models pick the same top class on ${f1(o.top1Agreement * 100)}% of the samples`
          : '';
      return `AOA = ${f1(r.aoa)} is the mean of exp(−KL) between the teacher's and the student's softmax outputs: 100 would mean identical output distributions on every sample${top1}.`;
    }
    case 'iou-agreement':
      return `AOA = ${f1(r.aoa)} is the mean per-image agreement of the student's detections with the teacher's (matched boxes' IoU over the larger box count): 100 would mean the same boxes, classes and all.`;
    case 'miou':
      return `AOA = ${f1(r.aoa)} is the mean IoU of the student's label maps against the teacher's: 100 would mean the same label on every pixel.`;
    case 'normalised-mse':
      return `AOA = ${f1(r.aoa)} is 1 − MSE/M between the teacher's and the student's predictions (M: the worst-case MSE): 100 would mean identical predictions, 0 no better than predicting the teacher's mean.`;
    default:
      return `AOA = ${f1(r.aoa)} measures how alike the teacher's and the student's outputs are (100 = identical).`;
  }
}

/** What the score says, and what to try next. */
export function readScore(r: ReadableScore): ScoreReading {
  const sim = r.similarity === 'cosine' ? 'cosine similarity' : r.similarity && r.similarity !== 'mixed' ? `${r.similarity.toUpperCase()}` : 'similarity';
  const reading = [
    `The student retains ${f1(r.krs)} of 100 points of its teacher's knowledge by KRS, on ${r.n} ${r.task} samples: ${r.alpha} × FSS + ${+r.beta.toFixed(4)} × AOA, the ${r.task} weighting${r.alpha > 0.5 ? ', which stresses the features' : r.alpha < 0.5 ? ', which stresses the outputs' : ', features and outputs alike'}.`,
    `FSS = ${f1(r.fss)} is the mean ${sim} of ${r.layers.length} teacher/student layer pair${r.layers.length === 1 ? '' : 's'}, × 100: how alike the two networks represent the same inputs inside (100 = identical up to rotation and scale).`,
    aoaMeaning(r),
  ];
  const diagnostics = diagnose({ fss: r.fss, aoa: r.aoa }).findings.map((f) => `${f.message[0]!.toUpperCase()}${f.message.slice(1)}.`);
  if (r.layers.length > 1) {
    const weakest = [...r.layers].sort((a, b) => a.score - b.score)[0]!;
    if (r.fss - weakest.score >= WEAK_LAYER) {
      diagnostics.push(
        `The weakest layer pair is ${pairLabel(weakest.teacher, weakest.student)} at ${f1(weakest.score)}, ${f1(r.fss - weakest.score)} points under the FSS: the place to add a feature (hint) loss first.`,
      );
    }
  }
  const o = r.output ?? {};
  if (o.metric === 'kl-agreement' && 'top1Agreement' in o && typeof o.top1Agreement === 'number' && o.top1Agreement < 0.9 && r.aoa >= 70) {
    diagnostics.push(
      `AOA is ${f1(r.aoa)} yet the top-1 classes differ on ${f1((1 - o.top1Agreement) * 100)}% of samples: the distributions are close but the arg-max flips near decision boundaries.`,
    );
  }
  return { reading, diagnostics };
}
