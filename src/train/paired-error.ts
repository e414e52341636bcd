/**
 * Paired standard errors of a task metric's change (docs/formulas.md §"Paired standard errors
 * of task metrics"): student B (after distillation) against the same student A before, both
 * evaluated on the same images, by the delete-a-group jackknife of `src/stats/jackknife.ts`
 * (Efron & Tibshirani 1993, ch. 11; Shao & Tu 1995, §2.1 and §5.2).
 *
 * The N images, in evaluation order, are cut into G contiguous blocks (image i in group
 * ⌊i·G/N⌋, as `KrsMetric` groups samples); the metric of each student is computed on all
 * images and on all images but group g, and with Δ = M(B) − M(A), Δ₋g = M₋g(B) − M₋g(A):
 *
 *     Δ̄ = (1/G) Σ_g Δ₋g,   se² = ((G − 1)/G) Σ_g (Δ₋g − Δ̄)²,   CI₉₅ = Δ ± t₀.₉₇₅,G−1 · se
 *
 * with the two-sided p-value of Δ/se on G − 1 degrees of freedom. mAP and mIoU are
 * dataset-level metrics (ranks pooled over images, pixel counts summed before dividing), not
 * means of per-image values, hence a jackknife over images rather than a paired t-test on
 * per-image differences. G defaults to 20 ({@link DEFAULT_GROUPS}, the default of krs's
 * intervals): each leave-out removes N/20 images, so the deletions grow with N, the regime in
 * which the delete-d jackknife stays consistent for non-smooth statistics (AP is a step
 * function of the ranking; Shao & Wu 1989) where deleting one image at a time need not; 19
 * degrees of freedom cost 7 % of the interval's width against the normal; and the groups are
 * those of the KRS intervals of the same images, so Δ of the task metric and ΔKRS are
 * resampled alike.
 */
import { type SegmentationAgreementOptions, type SegmentationAgreementResult, segmentationAgreementMeasure } from '../agreement/segmentation.js';
import { errors, KrsError } from '../core/errors.js';
import { asTensor, sliceRows, type Tensor, type TensorLike } from '../core/tensor.js';
import { blockBounds, DEFAULT_GROUPS } from '../krs/groups.js';
import { type PairedJackknife, pairedJackknife } from '../stats/jackknife.js';
import { accumulateCocoMap, type CocoMapOptions, type CocoMapResult, type Detection, evaluateCocoImages, type GroundTruthImage } from './coco-map.js';

export { DEFAULT_GROUPS };

/** The paired jackknife of one metric's change, in the metric's units (percent points here). */
export interface PairedMetricError extends PairedJackknife {
  /** The metric's name ('mAP@[.5:.95]', 'mAP@.5', 'mAP@.75', 'mIoU'). */
  readonly metric: string;
  /** The metric of student A (before) on all images. */
  readonly before: number;
  /** The metric of student B (after) on all images. */
  readonly after: number;
  /** Groups of images used (min(requested, images)). */
  readonly groups: number;
}

/** Options of {@link pairedMapErrors} and {@link pairedMiouError}. */
export interface PairedErrorOptions {
  /** Groups of images for the jackknife: an integer ≥ 2. Default 20 (fewer when there are fewer images). */
  groups?: number;
}

function resolveGroups(options: PairedErrorOptions, images: number): number {
  const groups = options.groups ?? DEFAULT_GROUPS;
  if (typeof groups !== 'number' || !Number.isSafeInteger(groups) || groups < 2) throw errors.badOption('groups', groups, 'an integer ≥ 2');
  return Math.min(groups, images);
}

/**
 * The images of each contiguous group: group g holds images [⌈g·N/G⌉, ⌈(g+1)·N/G⌉), so image i
 * is in group ⌊i·G/N⌋ (`blockBounds` of src/krs/groups.ts). G ≤ N, so no group is empty.
 * @example imageGroups(5, 2) // [[0, 1, 2], [3, 4]]
 */
export function imageGroups(images: number, groups: number): number[][] {
  const bounds = blockBounds(images, groups);
  return Array.from({ length: groups }, (_, g) => Array.from({ length: bounds[g + 1]! - bounds[g]! }, (_, k) => bounds[g]! + k));
}

/** Metric values of both students on a set of images, by metric name. */
type Evaluation<K extends string> = { before: Record<K, number>; after: Record<K, number> };

/**
 * The paired jackknife over groups of images for several metrics computed together:
 * `evaluate(keep)` gives both students' metrics on the images `keep` (all images when
 * undefined). A leave-out on which a metric is undefined (KrsError UNDEFINED, e.g. no category
 * with ground truth left) makes that metric's se null with the reason, as does G < 2.
 */
export function pairedGroupJackknife<K extends string>(
  images: number,
  groups: number,
  names: Record<K, string>,
  evaluate: (keep: readonly number[] | undefined, leftOut: number) => Evaluation<K>,
): Record<K, PairedMetricError> {
  const keys = Object.keys(names) as K[];
  const all = evaluate(undefined, -1);
  const replicates = { before: new Map<K, number[]>(), after: new Map<K, number[]>() };
  for (const k of keys) {
    replicates.before.set(k, []);
    replicates.after.set(k, []);
  }
  let undefinedReason: string | null = null;
  const blocks = imageGroups(images, groups);
  // One group has no leave-out to compare with: pairedJackknife then says it needs 2 groups.
  for (let g = 0; g < blocks.length && blocks.length >= 2 && undefinedReason === null; g++) {
    const left = new Set(blocks[g]);
    const keep = Array.from({ length: images }, (_, i) => i).filter((i) => !left.has(i));
    try {
      const e = evaluate(keep, g);
      for (const k of keys) {
        replicates.before.get(k)!.push(e.before[k]);
        replicates.after.get(k)!.push(e.after[k]);
      }
    } catch (err) {
      if (!(err instanceof KrsError && err.code === 'UNDEFINED')) throw err;
      undefinedReason = `undefined without group ${g + 1} of ${blocks.length} (${err.message})`;
    }
  }
  const out = {} as Record<K, PairedMetricError>;
  for (const k of keys) {
    const base = { metric: names[k], before: all.before[k], after: all.after[k], groups: blocks.length };
    if (undefinedReason !== null) {
      out[k] = { ...base, delta: all.after[k] - all.before[k], ci95: null, se: null, p: null, reason: `${names[k]} is ${undefinedReason}` };
      continue;
    }
    const jk = pairedJackknife(
      { estimate: all.before[k], replicates: replicates.before.get(k)! },
      { estimate: all.after[k], replicates: replicates.after.get(k)! },
      `the change of ${names[k]}`,
    );
    out[k] = { ...base, ...jk };
  }
  return out;
}

/** What {@link pairedMapErrors} returns. */
export interface PairedMapErrors {
  readonly before: CocoMapResult;
  readonly after: CocoMapResult;
  /** ΔmAP@[.5:.95] in percent points with its paired se. */
  readonly map: PairedMetricError;
  readonly map50: PairedMetricError;
  readonly map75: PairedMetricError;
  readonly groups: number;
}

const MAP_NAMES = { map: 'mAP@[.5:.95]', map50: 'mAP@.5', map75: 'mAP@.75' } as const;

/**
 * ΔmAP = mAP(after) − mAP(before) on the same ground truth, with paired jackknife standard
 * errors over G contiguous groups of the ground truth's images (module comment). Each image
 * is matched once per student ({@link evaluateCocoImages}); every leave-out re-ranks the
 * other images' detections ({@link accumulateCocoMap}), so a category whose ground truth is
 * all in the left-out group drops out of that replicate, as it would from an evaluation
 * without those images. Values in percent points.
 *
 * Edge cases: G = min(groups, images); one image gives se null with a reason; a leave-out with
 * no category with ground truth gives se null with the reason; identical students give
 * Δ = 0, se 0, CI [0, 0], p = 1.
 *
 * Complexity: two evaluations, then (G + 1)·2 accumulations, O(G·D log D) for D detections.
 *
 * @throws KrsError as {@link evaluateCocoImages} for either list; UNDEFINED when mAP on all
 *   images is undefined; BAD_OPTION for groups not an integer ≥ 2.
 *
 * @example
 * const r = pairedMapErrors(gt.images, studentBefore, studentAfter);
 * `${r.map.delta.toFixed(2)} ± ${r.map.se?.toFixed(2)}`; // '3.10 ± 0.84'
 */
export function pairedMapErrors(
  groundTruth: readonly GroundTruthImage[],
  before: readonly Detection[],
  after: readonly Detection[],
  options: CocoMapOptions & PairedErrorOptions = {},
): PairedMapErrors {
  const groups = resolveGroups(options, Array.isArray(groundTruth) ? groundTruth.length : 0);
  const a = evaluateCocoImages(groundTruth, before, options);
  const b = evaluateCocoImages(groundTruth, after, options);
  const resultA = accumulateCocoMap(a);
  const resultB = accumulateCocoMap(b);
  const pick = (r: CocoMapResult) => ({ map: r.map, map50: r.map50, map75: r.map75 });
  const errs = pairedGroupJackknife(groundTruth.length, Math.max(groups, 1), MAP_NAMES, (keep) =>
    keep === undefined
      ? { before: pick(resultA), after: pick(resultB) }
      : { before: pick(accumulateCocoMap(a, keep)), after: pick(accumulateCocoMap(b, keep)) },
  );
  return { before: resultA, after: resultB, ...errs, groups: errs.map.groups };
}

/** What {@link pairedMiouError} returns. */
export interface PairedMiouError {
  readonly before: SegmentationAgreementResult;
  readonly after: SegmentationAgreementResult;
  /** ΔmIoU in percent points with its paired se. */
  readonly miou: PairedMetricError;
  readonly groups: number;
}

/**
 * ΔmIoU = mIoU(after) − mIoU(before) against ground-truth label maps, with the paired jackknife
 * se over G contiguous groups of images (rows of axis 0). mIoU is the segmentation agreement of
 * `src/agreement/segmentation.ts` with the ground truth in the teacher's role (its `aoa`, in
 * percent): pixels whose ground truth holds `ignoreLabel` (default 255) are skipped; per-class
 * intersections and unions are summed over all images before dividing; the mean is over the
 * classes present in the ground truth or the prediction on non-ignored pixels (a class
 * predicted but absent from the ground truth counts with IoU 0; a class in neither is left
 * out); a predicted pixel holding the ignore label is a miss. Predictions may be label maps
 * n×H×W or scores n×C×H×W (argmax). Each group keeps one streaming state per student; the
 * leave-outs merge the others' states, so the label maps are read once.
 *
 * Edge cases: G = min(groups, n); a leave-out whose ground truth is all ignore labels gives se
 * null with the reason; identical predictions give Δ = 0, se 0, p = 1.
 *
 * @throws KrsError as the segmentation agreement (shapes, labels, NaN); SHAPE_MISMATCH when
 *   the three tensors hold different numbers of images; BAD_OPTION for groups.
 *
 * @example
 * const r = pairedMiouError(labels, predictionsBefore, predictionsAfter, { ignoreLabel: 255 });
 * r.miou.delta; r.miou.se;
 */
export function pairedMiouError(
  groundTruth: TensorLike,
  before: TensorLike,
  after: TensorLike,
  options: SegmentationAgreementOptions & PairedErrorOptions = {},
): PairedMiouError {
  const gt = asTensor(groundTruth, 'ground-truth label maps');
  const sides = [asTensor(before, 'label maps before'), asTensor(after, 'label maps after')] as const;
  const n = gt.shape[0] ?? 0;
  for (const [t, what] of [
    [sides[0], 'before'],
    [sides[1], 'after'],
  ] as const) {
    if (t.shape[0] !== n) throw errors.sampleCountMismatch(`segmentation predictions ${what} against the ground truth`, n, t.shape[0] ?? 0);
  }
  const groups = resolveGroups(options, n);
  const { groups: _g, ...agreementOptions } = options;
  const measure = segmentationAgreementMeasure(agreementOptions);
  const blocks = imageGroups(n, Math.max(groups, 1));
  const states = sides.map((side: Tensor) =>
    blocks.map((rows) => {
      const s = measure.init();
      const [start, end] = [rows[0] ?? 0, (rows[rows.length - 1] ?? -1) + 1];
      if (end > start) measure.update(s, { teacher: sliceRows(gt, start, end), student: sliceRows(side, start, end) });
      return s;
    }),
  );
  const mergeOf = (list: (typeof states)[0], skip: number) => list.filter((_, g) => g !== skip).reduce((x, y) => measure.merge(x, y));
  const resultA = measure.compute(mergeOf(states[0]!, -1));
  const resultB = measure.compute(mergeOf(states[1]!, -1));
  const errs = pairedGroupJackknife(n, Math.max(groups, 1), { miou: 'mIoU' }, (keep, g) => {
    if (keep === undefined) return { before: { miou: resultA.aoa }, after: { miou: resultB.aoa } };
    return { before: { miou: measure.compute(mergeOf(states[0]!, g)).aoa }, after: { miou: measure.compute(mergeOf(states[1]!, g)).aoa } };
  });
  return { before: resultA, after: resultB, miou: errs.miou, groups: errs.miou.groups };
}
