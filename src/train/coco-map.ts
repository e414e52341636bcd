/**
 * COCO-style average precision of box detections against ground truth (docs/formulas.md
 * §"COCO mAP"): the protocol of the COCO detection evaluation (Lin et al. 2014; the
 * `pycocotools` COCOeval of the COCO API) for boxes, area range "all", at most 100
 * detections, written from its published description.
 *
 * Per category c and IoU threshold t, with the images' detections of c ranked by score:
 *
 *     TP/FP/ignored   greedy matching per image, highest score first (evaluateImage)
 *     recall_j    = TP_j / n_c           n_c = non-crowd ground-truth boxes of c
 *     precision_j = TP_j / (TP_j + FP_j) (0 when both are 0), then made non-increasing:
 *                   precision_j ← max_{k ≥ j} precision_k
 *     AP_{c,t}    = (1/101) Σ_{r ∈ 0, .01, …, 1} precision_{j(r)},  j(r) = first j with recall_j ≥ r (0 if none)
 *
 * mAP@t = mean over categories with n_c > 0; mAP@[.5:.95] = mean over t ∈ .50, .55, …, .95.
 * Every AP and mAP is reported in percent (0–100), as detection papers do.
 *
 * Two steps, so that the jackknife of `paired-error.ts` re-accumulates subsets of images
 * without matching again: {@link evaluateCocoImages} matches each image once;
 * {@link accumulateCocoMap} ranks and averages over all images or a subset.
 */
import type { Detection } from '../agreement/detection.js';
import { errors, q } from '../core/errors.js';
import type { GroundTruthBox, GroundTruthImage } from '../io/coco-ground-truth.js';

export type { Detection, GroundTruthBox, GroundTruthImage };

/**
 * The ten IoU thresholds .50:.05:.95, bit for bit NumPy's `linspace(.5, .95, 10)` (as COCOeval
 * builds them: i·((.95 − .5)/9) + .5, the last set to .95; so .90 is 0.8999999999999999),
 * which decides IoUs that fall exactly on a threshold.
 */
export const IOU_THRESHOLDS: readonly number[] = Object.freeze(Array.from({ length: 10 }, (_, i) => (i === 9 ? 0.95 : i * ((0.95 - 0.5) / 9) + 0.5)));

/** The 101 recall points 0:.01:1, bit for bit NumPy's `linspace(0, 1, 101)` (i·0.01, the last 1). */
export const RECALL_POINTS: readonly number[] = Object.freeze(Array.from({ length: 101 }, (_, i) => (i === 100 ? 1 : i * 0.01)));

/** Where the maximum number of detections applies. */
export type MaxDetectionsScope = 'image-category' | 'image';

/** Options of {@link cocoMap} and {@link evaluateCocoImages}. */
export interface CocoMapOptions {
  /** Keep at most this many highest-scoring detections (per `maxDetectionsPer`). A positive integer. Default 100. */
  maxDetections?: number;
  /**
   * `'image-category'` (default): the cap applies to each image's detections of each category,
   * as COCOeval applies it (so its numbers are comparable with published ones); `'image'`: to
   * each image's detections of all categories together, as the protocol's text says and as a
   * detector that outputs at most 100 boxes an image does. The two agree when no image has
   * more than `maxDetections` detections.
   */
  maxDetectionsPer?: MaxDetectionsScope;
}

/** Outcome of one detection at one IoU threshold. */
const FALSE_POSITIVE = 0;
const TRUE_POSITIVE = 1;
/** Matched to a crowd region: neither true nor false positive. */
const IGNORED = 2;

/** One image's kept detections of one category, matched at every threshold. */
export interface CategoryMatches {
  /** Scores of the kept detections, highest first (ties in input order). */
  readonly scores: Float64Array;
  /** outcomes[t·D + d]: FALSE_POSITIVE, TRUE_POSITIVE or IGNORED of detection d at threshold t. */
  readonly outcomes: Uint8Array;
  /** Non-crowd ground-truth boxes of the category in the image. */
  readonly groundTruth: number;
}

/** The matching of one image: its categories with ground truth or kept detections. */
export interface ImageMatches {
  readonly imageId: string;
  readonly categories: ReadonlyMap<number, CategoryMatches>;
}

/** What {@link evaluateCocoImages} returns: every image matched once, in ground-truth order. */
export interface CocoImageEvaluations {
  readonly images: readonly ImageMatches[];
  readonly maxDetections: number;
  readonly maxDetectionsPer: MaxDetectionsScope;
}

/** The AP of one category, in percent. */
export interface CategoryAp {
  readonly categoryId: number;
  /** AP averaged over the ten thresholds (AP@[.5:.95]). */
  readonly ap: number;
  readonly ap50: number;
  readonly ap75: number;
  /** AP at each of {@link IOU_THRESHOLDS}. */
  readonly apByThreshold: readonly number[];
  /** Non-crowd ground-truth boxes. */
  readonly groundTruth: number;
  /** Detections ranked (kept by the cap). */
  readonly detections: number;
}

/** What {@link cocoMap} and {@link accumulateCocoMap} report; every AP in percent (0–100). */
export interface CocoMapResult {
  readonly metric: 'coco-map';
  /** mAP@[.5:.95]: mean over categories and the ten thresholds. */
  readonly map: number;
  /** mAP at IoU .50. */
  readonly map50: number;
  /** mAP at IoU .75. */
  readonly map75: number;
  /** mAP at each of {@link IOU_THRESHOLDS}. */
  readonly mapByThreshold: readonly number[];
  /** Categories averaged (≥ 1 non-crowd ground-truth box), ascending, with their APs. */
  readonly perCategory: readonly CategoryAp[];
  /** Images evaluated. */
  readonly images: number;
  /** Categories with detections but no non-crowd ground truth: left out, their detections unused. */
  readonly categoriesWithoutGroundTruth: readonly number[];
  readonly maxDetections: number;
  readonly maxDetectionsPer: MaxDetectionsScope;
}

function resolveOptions(options: CocoMapOptions): { maxDetections: number; maxDetectionsPer: MaxDetectionsScope } {
  const maxDetections = options.maxDetections ?? 100;
  if (typeof maxDetections !== 'number' || !Number.isSafeInteger(maxDetections) || maxDetections < 1) {
    throw errors.badOption('maxDetections', maxDetections, 'a positive integer');
  }
  const maxDetectionsPer = options.maxDetectionsPer ?? 'image-category';
  if (maxDetectionsPer !== 'image-category' && maxDetectionsPer !== 'image') {
    throw errors.badOption('maxDetectionsPer', maxDetectionsPer, "'image-category' or 'image'");
  }
  return { maxDetections, maxDetectionsPer };
}

function checkBox(bbox: unknown, where: string): void {
  if (!Array.isArray(bbox) || bbox.length !== 4 || !bbox.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw errors.badValue(`bbox of ${where}`, bbox, 'four finite numbers [x, y, width, height]');
  }
  if (bbox[2] < 0 || bbox[3] < 0) throw errors.badValue(`bbox of ${where}`, bbox, 'width ≥ 0 and height ≥ 0 ([x, y, width, height])');
}

function checkCategory(categoryId: unknown, where: string): void {
  if (typeof categoryId !== 'number' || !Number.isFinite(categoryId)) throw errors.badValue(`categoryId of ${where}`, categoryId, 'a finite number');
}

/** Validate the ground truth; returns the index of each image id. */
function checkGroundTruth(groundTruth: readonly GroundTruthImage[]): Map<string, number> {
  if (!Array.isArray(groundTruth)) throw errors.badValue('ground truth', typeof groundTruth, 'an array of {imageId, boxes}');
  const index = new Map<string, number>();
  groundTruth.forEach((im, i) => {
    if (typeof im !== 'object' || im === null) throw errors.badValue(`ground-truth image ${i}`, im, 'an object {imageId, boxes}');
    const id = String(im.imageId);
    if (index.has(id)) throw errors.duplicateId('ground-truth image id', id, `images ${index.get(id)} and ${i}`);
    index.set(id, i);
    if (!Array.isArray(im.boxes)) throw errors.badValue(`boxes of ground-truth image ${q(id)}`, typeof im.boxes, 'an array of {categoryId, bbox}');
    (im.boxes as readonly GroundTruthBox[]).forEach((b, k) => {
      const where = `ground-truth box ${k} of image ${q(id)}`;
      if (typeof b !== 'object' || b === null) throw errors.badValue(where, b, 'an object {categoryId, bbox, iscrowd?}');
      checkBox(b.bbox, where);
      checkCategory(b.categoryId, where);
      if (b.iscrowd !== undefined && typeof b.iscrowd !== 'boolean') throw errors.badValue(`iscrowd of ${where}`, b.iscrowd, 'true or false');
    });
  });
  return index;
}

/** Validate the detections and group their indices by image (input order kept). */
function groupDetectionsByImage(detections: readonly Detection[], index: ReadonlyMap<string, number>): number[][] {
  if (!Array.isArray(detections)) throw errors.badValue('detections', typeof detections, 'an array of {imageId, categoryId, bbox, score}');
  const byImage: number[][] = Array.from({ length: index.size }, () => []);
  detections.forEach((d, i) => {
    const where = `detection ${i}`;
    if (typeof d !== 'object' || d === null) throw errors.badValue(where, d, 'an object {imageId, categoryId, bbox, score}');
    const image = index.get(String(d.imageId));
    if (image === undefined) throw errors.badValue(`imageId of ${where}`, String(d.imageId), 'the id of an image of the ground truth');
    checkBox(d.bbox, `${where} (image ${q(String(d.imageId))})`);
    checkCategory(d.categoryId, where);
    if (typeof d.score !== 'number' || !Number.isFinite(d.score)) throw errors.badValue(`score of ${where}`, d.score, 'a finite number');
    byImage[image]!.push(i);
  });
  return byImage;
}

/**
 * IoU of a detection with a ground-truth box, as COCO computes it for boxes: the intersection
 * must have positive width and height, else 0; the union is area(d) + area(g) − intersection,
 * or area(d) alone for a crowd region g (so a detection inside a crowd has IoU 1). A
 * zero-area box therefore has IoU 0 with everything, itself included.
 * @example cocoBoxIou([0, 0, 2, 2], [1, 0, 2, 2], false); // 2 / 6
 */
export function cocoBoxIou(d: readonly number[], g: readonly number[], crowd: boolean): number {
  const w = Math.min(d[0]! + d[2]!, g[0]! + g[2]!) - Math.max(d[0]!, g[0]!);
  if (w <= 0) return 0;
  const h = Math.min(d[1]! + d[3]!, g[1]! + g[3]!) - Math.max(d[1]!, g[1]!);
  if (h <= 0) return 0;
  const inter = w * h;
  const areaD = d[2]! * d[3]!;
  return inter / (crowd ? areaD : areaD + g[2]! * g[3]! - inter);
}

/** Indices sorted by score, highest first; a stable sort, so ties keep their input order. */
function byScore(indices: number[], detections: readonly Detection[]): number[] {
  return indices.sort((a, b) => detections[b]!.score - detections[a]!.score);
}

/**
 * Greedy matching of one image and category at every threshold: detections highest score
 * first; each takes, among the ground-truth boxes still free (a crowd region is never used
 * up), the one of highest IoU ≥ t, non-crowd boxes before crowd regions (a crowd region only
 * when no non-crowd box qualifies), equal IoUs to the later box in order (non-crowd boxes in
 * input order, then crowd regions in input order) — COCOeval's rule. Matched to a non-crowd
 * box: TRUE_POSITIVE; to a crowd region: IGNORED; else FALSE_POSITIVE.
 */
function matchCategory(dets: readonly Detection[], gts: readonly GroundTruthBox[]): CategoryMatches {
  const order = [...gts.filter((g) => !g.iscrowd), ...gts.filter((g) => g.iscrowd === true)];
  const crowd = order.map((g) => g.iscrowd === true);
  const D = dets.length;
  const G = order.length;
  const iou = new Float64Array(D * G);
  for (let d = 0; d < D; d++) for (let g = 0; g < G; g++) iou[d * G + g] = cocoBoxIou(dets[d]!.bbox, order[g]!.bbox, crowd[g]!);
  const outcomes = new Uint8Array(IOU_THRESHOLDS.length * D);
  IOU_THRESHOLDS.forEach((t, ti) => {
    const taken = new Uint8Array(G);
    for (let d = 0; d < D; d++) {
      let best = Math.min(t, 1 - 1e-10);
      let m = -1;
      for (let g = 0; g < G; g++) {
        if (taken[g] && !crowd[g]) continue;
        if (m > -1 && !crowd[m] && crowd[g]) break;
        const v = iou[d * G + g]!;
        if (v < best) continue;
        best = v;
        m = g;
      }
      if (m === -1) continue; // FALSE_POSITIVE (0)
      taken[m] = 1;
      outcomes[ti * D + d] = crowd[m] ? IGNORED : TRUE_POSITIVE;
    }
  });
  return { scores: Float64Array.from(dets, (d) => d.score), outcomes, groundTruth: G - crowd.filter(Boolean).length };
}

/** One image: the cap applied, detections and boxes split by category, each category matched. */
function evaluateImage(
  image: GroundTruthImage,
  detectionIndices: number[],
  detections: readonly Detection[],
  cap: { maxDetections: number; maxDetectionsPer: MaxDetectionsScope },
): ImageMatches {
  const ranked = byScore(detectionIndices, detections);
  const kept = cap.maxDetectionsPer === 'image' ? ranked.slice(0, cap.maxDetections) : ranked;
  const detsOf = new Map<number, Detection[]>();
  for (const i of kept) {
    const d = detections[i]!;
    const list = detsOf.get(d.categoryId) ?? [];
    if (list.length < cap.maxDetections) list.push(d);
    detsOf.set(d.categoryId, list);
  }
  const gtsOf = new Map<number, GroundTruthBox[]>();
  for (const b of image.boxes) gtsOf.set(b.categoryId, [...(gtsOf.get(b.categoryId) ?? []), b]);
  const categories = new Map<number, CategoryMatches>();
  for (const c of new Set([...gtsOf.keys(), ...detsOf.keys()])) categories.set(c, matchCategory(detsOf.get(c) ?? [], gtsOf.get(c) ?? []));
  return { imageId: String(image.imageId), categories };
}

/**
 * Step 1 of {@link cocoMap}: match every image once (see the module comment). Images are those
 * of `groundTruth`, in its order — an image without detections keeps its boxes as misses, one
 * without boxes makes its detections false positives.
 *
 * Edge cases: detections are ranked by score, highest first, with a stable sort: ties keep
 * their order in `detections` within an image, and their images' order in `groundTruth`
 * across images. The cap keeps the first `maxDetections` of that ranking (per image and
 * category, or per image). Zero-area boxes have IoU 0 with everything ({@link cocoBoxIou}):
 * such a detection is a false positive, such a ground-truth box a miss. Crowd regions are
 * supported (COCOeval's rule): a detection matched to one is ignored, neither TP nor FP.
 *
 * Complexity: O(Σ_images Σ_categories D·G·10) time and O(D·10) memory for the outcomes.
 *
 * @throws KrsError BAD_OPTION (maxDetections not a positive integer, maxDetectionsPer not
 *   'image-category' or 'image'); BAD_VALUE (a bbox that is not four finite numbers or has a
 *   negative width or height, a non-finite score or categoryId, iscrowd not boolean, a
 *   detection on an image the ground truth does not list — each naming the detection or box
 *   and its image); ID_MISMATCH (an image id listed twice in the ground truth).
 */
export function evaluateCocoImages(
  groundTruth: readonly GroundTruthImage[],
  detections: readonly Detection[],
  options: CocoMapOptions = {},
): CocoImageEvaluations {
  const cap = resolveOptions(options);
  const index = checkGroundTruth(groundTruth);
  const byImage = groupDetectionsByImage(detections, index);
  const images = groundTruth.map((im, i) => evaluateImage(im, byImage[i]!, detections, cap));
  return { images, ...cap };
}

/** One category's detections over the chosen images, in rank order, and its ground-truth count. */
function rankCategory(parts: readonly CategoryMatches[]): { scores: number[]; outcomes: number[][]; groundTruth: number } {
  const scores: number[] = [];
  const outcomes: number[][] = IOU_THRESHOLDS.map(() => []);
  let groundTruth = 0;
  for (const p of parts) {
    groundTruth += p.groundTruth;
    const D = p.scores.length;
    for (let d = 0; d < D; d++) {
      scores.push(p.scores[d]!);
      for (let t = 0; t < IOU_THRESHOLDS.length; t++) outcomes[t]!.push(p.outcomes[t * D + d]!);
    }
  }
  const order = scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  return { scores: order.map((i) => scores[i]!), outcomes: outcomes.map((o) => order.map((i) => o[i]!)), groundTruth };
}

/**
 * AP of one ranked list at one threshold, a fraction: the precision envelope sampled at the
 * 101 recall points. O(D + 101).
 */
function averagePrecision(outcomes: readonly number[], groundTruth: number): number {
  const n = outcomes.length;
  const recall = new Float64Array(n);
  const precision = new Float64Array(n);
  let tp = 0;
  let fp = 0;
  for (let j = 0; j < n; j++) {
    if (outcomes[j] === TRUE_POSITIVE) tp++;
    else if (outcomes[j] === FALSE_POSITIVE) fp++;
    recall[j] = tp / groundTruth;
    precision[j] = tp + fp > 0 ? tp / (tp + fp) : 0;
  }
  for (let j = n - 1; j > 0; j--) if (precision[j]! > precision[j - 1]!) precision[j - 1] = precision[j]!;
  let sum = 0;
  let j = 0;
  for (const r of RECALL_POINTS) {
    while (j < n && recall[j]! < r) j++;
    if (j === n) break; // recall r never reached: precision 0 from here on
    sum += precision[j]!;
  }
  return sum / RECALL_POINTS.length;
}

function mean(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** The chosen images' indices, validated. */
function selectImages(count: number, images: readonly number[] | undefined): readonly number[] {
  if (images === undefined) return Array.from({ length: count }, (_, i) => i);
  for (const i of images) if (!Number.isInteger(i) || i < 0 || i >= count) throw errors.badOption('images', i, `image indices in [0, ${count - 1}]`);
  return images;
}

/**
 * Step 2 of {@link cocoMap}: rank, accumulate and average over the images of `evaluations`
 * whose indices are listed in `images` (default all; in that order, which decides score ties
 * across images), as percent. The jackknife of `paired-error.ts` calls it once per left-out
 * group. O(Σ_categories D·log D + 10·D).
 *
 * @throws KrsError UNDEFINED when no category has a non-crowd ground-truth box in the chosen
 *   images (every AP would be over no category); BAD_OPTION for an image index out of range.
 */
export function accumulateCocoMap(evaluations: CocoImageEvaluations, images?: readonly number[]): CocoMapResult {
  const chosen = selectImages(evaluations.images.length, images);
  const partsOf = new Map<number, CategoryMatches[]>();
  for (const i of chosen) {
    for (const [c, m] of evaluations.images[i]!.categories) partsOf.set(c, [...(partsOf.get(c) ?? []), m]);
  }
  const perCategory: CategoryAp[] = [];
  const withoutGroundTruth: number[] = [];
  for (const c of [...partsOf.keys()].sort((a, b) => a - b)) {
    const ranked = rankCategory(partsOf.get(c)!);
    if (ranked.groundTruth === 0) {
      if (ranked.scores.length > 0) withoutGroundTruth.push(c);
      continue;
    }
    const apByThreshold = ranked.outcomes.map((o) => averagePrecision(o, ranked.groundTruth) * 100);
    perCategory.push({
      categoryId: c,
      ap: mean(apByThreshold),
      ap50: apByThreshold[0]!,
      ap75: apByThreshold[5]!,
      apByThreshold,
      groundTruth: ranked.groundTruth,
      detections: ranked.scores.length,
    });
  }
  if (perCategory.length === 0) {
    throw errors.undefinedResult('COCO mAP', `no category has a non-crowd ground-truth box in the ${chosen.length} image(s) evaluated`);
  }
  const mapByThreshold = IOU_THRESHOLDS.map((_, t) => mean(perCategory.map((c) => c.apByThreshold[t]!)));
  return {
    metric: 'coco-map',
    map: mean(perCategory.map((c) => c.ap)),
    map50: mapByThreshold[0]!,
    map75: mapByThreshold[5]!,
    mapByThreshold,
    perCategory,
    images: chosen.length,
    categoriesWithoutGroundTruth: withoutGroundTruth,
    maxDetections: evaluations.maxDetections,
    maxDetectionsPer: evaluations.maxDetectionsPer,
  };
}

/**
 * COCO-style mAP of `detections` against `groundTruth` (boxes, area range "all", at most
 * `maxDetections` = 100), in percent: `accumulateCocoMap(evaluateCocoImages(…))`.
 *
 * Formula (module comment, docs/formulas.md §"COCO mAP"): per category and IoU threshold,
 * detections ranked by score are matched greedily to the free ground-truth box of highest
 * IoU ≥ t; precision made non-increasing in rank and sampled at recall 0:.01:1; AP = mean of
 * the 101 samples × 100; mAP = mean over categories with ground truth; map = mean over the
 * ten thresholds .50:.05:.95, map50 and map75 at .50 and .75.
 *
 * Edge cases: a category with detections but no non-crowd ground truth is left out (listed in
 * `categoriesWithoutGroundTruth`); a category with ground truth but no detections has AP 0;
 * an image without detections counts its boxes as misses; score ties keep input order
 * (stable, see {@link evaluateCocoImages}); zero-area boxes never match; crowd regions are
 * supported; no category with ground truth is UNDEFINED. Unlike COCOeval, precision is
 * TP/(TP + FP) exactly (COCOeval adds 2.2·10⁻¹⁶ to the denominator, so a perfect detector
 * there scores 99.99999999999997 on some data; here 100).
 *
 * @throws KrsError — see {@link evaluateCocoImages} and {@link accumulateCocoMap}.
 *
 * @example
 * const gt = [{ imageId: '1', boxes: [{ categoryId: 1, bbox: [0, 0, 10, 10] }] }];
 * cocoMap(gt, [{ imageId: '1', categoryId: 1, bbox: [0, 0, 10, 10], score: 0.9 }]).map; // 100
 * cocoMap(gt, [{ imageId: '1', categoryId: 1, bbox: [1, 0, 10, 10], score: 0.9 }]).map50; // 100 (IoU 0.818)
 */
export function cocoMap(groundTruth: readonly GroundTruthImage[], detections: readonly Detection[], options: CocoMapOptions = {}): CocoMapResult {
  return accumulateCocoMap(evaluateCocoImages(groundTruth, detections, options));
}
