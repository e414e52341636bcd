/**
 * The NLP study's task metrics on the held-out e-mails: accuracy and the F1 score of the spam
 * class, with paired standard errors of their change between two students evaluated on the
 * same e-mails (docs/studies.md §"NLP: SpamAssassin").
 *
 * F1 of the positive class (spam, label 1) from the confusion counts:
 *
 *     F1 = 2·TP / (2·TP + FP + FN)                (in percent: × 100)
 *
 * undefined (KrsError UNDEFINED) when 2·TP + FP + FN = 0, i.e. no e-mail is spam and none is
 * predicted spam. F1 is not a mean of per-sample values, so the paired standard error of
 * ΔF1 = F1(B) − F1(A) is the delete-a-group jackknife of src/train/paired-error.ts over G
 * contiguous groups of e-mails (the groups of the KRS intervals):
 *
 *     se² = ((G − 1)/G) Σ_g (Δ₋g − Δ̄)²,   Δ̄ = (1/G) Σ_g Δ₋g
 *
 * Accuracy's paired standard error is the closed form of `protocol/statistics.ts`.
 */
import { errors } from '../../core/errors.js';
import { type PairedMetricError, pairedGroupJackknife } from '../paired-error.js';

/** The positive class of the F1 score: spam. */
export const POSITIVE_CLASS = 1;

/**
 * F1 (percent) of the positive class over the rows `keep` (every row when undefined).
 * @throws KrsError UNDEFINED when no row is positive or predicted positive.
 */
export function f1Score(predicted: ArrayLike<number>, labels: ArrayLike<number>, keep?: readonly number[]): number {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  const n = keep ? keep.length : labels.length;
  for (let k = 0; k < n; k++) {
    const i = keep ? keep[k]! : k;
    const p = predicted[i] === POSITIVE_CLASS;
    const y = labels[i] === POSITIVE_CLASS;
    if (p && y) tp++;
    else if (p) fp++;
    else if (y) fn++;
  }
  const denominator = 2 * tp + fp + fn;
  if (denominator === 0) throw errors.undefinedResult('the F1 score', 'no e-mail is spam and none is predicted spam');
  return (200 * tp) / denominator;
}

/**
 * The paired jackknife of ΔF1 = F1(after) − F1(before) over `groups` contiguous groups of the
 * samples (fewer when there are fewer samples); se null with the reason when F1 is undefined
 * without some group.
 * @throws KrsError SHAPE_MISMATCH when the arrays differ in length; BAD_OPTION for groups < 2.
 */
export function pairedF1Error(before: ArrayLike<number>, after: ArrayLike<number>, labels: ArrayLike<number>, groups = 20): PairedMetricError {
  const n = labels.length;
  if (before.length !== n || after.length !== n) {
    throw errors.shapeMismatch('predictions of the paired F1', `${n} samples (the labels')`, `${before.length} and ${after.length}`);
  }
  if (!(Number.isSafeInteger(groups) && groups >= 2)) throw errors.badOption('groups', groups, 'an integer ≥ 2');
  return pairedGroupJackknife(n, Math.min(groups, n), { f1: 'F1' }, (keep) => ({
    before: { f1: f1Score(before, labels, keep) },
    after: { f1: f1Score(after, labels, keep) },
  })).f1;
}
