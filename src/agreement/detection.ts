/**
 * AOA for object detection: IoU agreement of greedy same-class matches (docs/formulas.md §"Detection IoU agreement").
 *
 * Per image, both sides are filtered to score ≥ s_min; same-class teacher/student pairs
 * are matched greedily by descending IoU, a pair counting only at IoU ≥ iou_min, and
 *
 *     agreement(image) = Σ matched IoU / max(|T|, |S|)     (1 when both are empty)
 *     AOA = mean over images × 100
 */

import { errors, q } from '../core/errors.js';
import { computeOnce, configuredMeasure, type Measure } from '../core/measure.js';
import { declareState, disjointIds, sameOptions, sum } from '../core/state.js';
import { fixed } from '../core/units.js';
import { type AgreementOption, type AgreementSpec, declaredValue, overOutputs } from './spec.js';

/**
 * One detection in the COCO-results convention: `bbox` is [x, y, width, height] in pixels
 * with (x, y) the top-left corner; `score` is the detector's confidence.
 */
export type Detection = {
  imageId: string;
  categoryId: number;
  bbox: [number, number, number, number];
  score: number;
};

/** The teacher's and the student's detections on one image. */
export interface DetectionImage {
  readonly imageId: string;
  readonly teacher: readonly Detection[];
  readonly student: readonly Detection[];
}

/** Options of {@link detectionAgreementMeasure} and {@link detectionAgreement}. */
export interface DetectionAgreementOptions {
  /** Keep detections with score ≥ scoreMin (both sides). Finite. Default 0.5. */
  scoreMin?: number;
  /** A matched pair counts only at IoU ≥ iouMin. In (0, 1]. Default 0.5. */
  iouMin?: number;
}

/** The options after defaults; stored in every state so that only like states merge. */
export interface DetectionAgreementConfig {
  readonly scoreMin: number;
  readonly iouMin: number;
}

/** Running sums plus the image ids seen (to reject repeats). */
export interface DetectionAgreementState {
  readonly config: DetectionAgreementConfig;
  /** Every image id folded in so far. */
  readonly imageIds: Set<string>;
  /** Σ over images of the per-image agreement. */
  sumAgreement: number;
  /** Matched pairs (IoU ≥ iouMin). */
  matchedPairs: number;
  /** Σ IoU over matched pairs. */
  sumMatchedIou: number;
  /** Teacher detections kept after score filtering. */
  teacherBoxes: number;
  /** Student detections kept after score filtering. */
  studentBoxes: number;
}

/** What {@link detectionAgreement} reports. */
export interface DetectionAgreementResult {
  readonly metric: 'iou-agreement';
  /** Mean per-image agreement × 100, in [0, 100]. */
  readonly aoa: number;
  /** Images (equal to `images`; the common field name across tasks). */
  readonly n: number;
  /** Images scored. */
  readonly images: number;
  /** Matched same-class pairs with IoU ≥ iouMin. */
  readonly matchedPairs: number;
  /** Teacher detections with score ≥ scoreMin. */
  readonly teacherBoxes: number;
  /** Student detections with score ≥ scoreMin. */
  readonly studentBoxes: number;
  /** Mean IoU of the matched pairs; null when nothing matched (undefined, not 0). */
  readonly meanMatchedIou: number | null;
  readonly scoreMin: number;
  readonly iouMin: number;
}

const MEASURE = 'aoa-detection';
const VERSION = 1;

/** The options, declared once (flags, API schema and the checks below come from here). */
const OPTIONS = {
  scoreMin: {
    flag: '--score-min',
    placeholder: 's',
    help: 'detection: keep boxes with score ≥ s',
    default: 0.5,
    valid: (v) => Number.isFinite(v),
    expected: 'a finite number',
  },
  iouMin: {
    flag: '--iou-min',
    placeholder: 't',
    help: 'detection: a matched pair needs IoU ≥ t',
    default: 0.5,
    valid: (v) => v > 0 && v <= 1,
    expected: 'a number in (0, 1]',
  },
} as const satisfies Record<string, AgreementOption>;

function resolveOptions(options: DetectionAgreementOptions = {}): DetectionAgreementConfig {
  const scoreMin = declaredValue('scoreMin', OPTIONS.scoreMin, options.scoreMin)!;
  const iouMin = declaredValue('iouMin', OPTIONS.iouMin, options.iouMin)!;
  return { scoreMin, iouMin };
}

/**
 * The state, declared once (src/core/state.ts): the options must match, image ids are a
 * disjoint union (an id in two shards is ID_MISMATCH), the rest are running sums; JSON tagged
 * aoa-detection v1.
 */
const STATE = declareState<DetectionAgreementState>({
  measure: MEASURE,
  version: VERSION,
  fields: {
    config: sameOptions(resolveOptions),
    imageIds: disjointIds('detection image id'),
    sumAgreement: sum(),
    matchedPairs: sum(),
    sumMatchedIou: sum(),
    teacherBoxes: sum(),
    studentBoxes: sum(),
  },
});

/**
 * Intersection over union of two boxes in [x, y, width, height] form.
 *
 * IoU = area(a ∩ b) / (area(a) + area(b) − area(a ∩ b)). Degenerate boxes (width or height 0)
 * have zero area: two of them have IoU 1 if they are identical (same x, y, w, h) and 0
 * otherwise; a degenerate box against a box of positive area has IoU 0.
 * Complexity O(1). Inputs are assumed finite with width, height ≥ 0.
 *
 * @example
 * boxIou([0, 0, 2, 2], [1, 0, 2, 2]); // 2 / 6 = 0.333…
 */
export function boxIou(a: readonly [number, number, number, number], b: readonly [number, number, number, number]): number {
  const [ax, ay, aw, ah] = a;
  const [bx, by, bw, bh] = b;
  const iw = Math.min(ax + aw, bx + bw) - Math.max(ax, bx);
  const ih = Math.min(ay + ah, by + bh) - Math.max(ay, by);
  const inter = iw > 0 && ih > 0 ? iw * ih : 0;
  const union = aw * ah + bw * bh - inter;
  if (union > 0) return inter / union;
  return ax === bx && ay === by && aw === bw && ah === bh ? 1 : 0;
}

/** Validate every detection of one side of one image; BAD_VALUE names the image and the side. */
function validateSide(dets: readonly Detection[], imageId: string, side: 'teacher' | 'student'): void {
  if (!Array.isArray(dets)) throw errors.badValue(`${side} detections of image ${q(imageId)}`, typeof dets, 'an array of detections');
  for (let i = 0; i < dets.length; i++) {
    const d = dets[i]!;
    const where = `${side} detection ${i} of image ${q(imageId)}`;
    if (typeof d !== 'object' || d === null) throw errors.badValue(where, d, 'an object {imageId, categoryId, bbox, score}');
    if (d.imageId !== undefined && String(d.imageId) !== imageId) {
      throw errors.badValue(`imageId of ${where}`, String(d.imageId), `${q(imageId)} (the image it is grouped under)`);
    }
    const b = d.bbox;
    if (!Array.isArray(b) || b.length !== 4 || !b.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw errors.badValue(`bbox of ${where}`, b, 'four finite numbers [x, y, width, height]');
    }
    if (b[2] < 0 || b[3] < 0) throw errors.badValue(`bbox of ${where}`, b, 'width ≥ 0 and height ≥ 0 ([x, y, width, height])');
    if (typeof d.score !== 'number' || !Number.isFinite(d.score)) throw errors.badValue(`score of ${where}`, d.score, 'a finite number');
    if (typeof d.categoryId !== 'number' || !Number.isFinite(d.categoryId)) {
      throw errors.badValue(`categoryId of ${where}`, d.categoryId, 'a finite number');
    }
  }
}

/** Score-filtered detections of one image and the sum of its greedy matched IoU. */
interface ImageMatch {
  teacherBoxes: number;
  studentBoxes: number;
  pairs: number;
  sumIou: number;
  agreement: number;
}

/**
 * Greedy matching of one image. Candidates are all same-class pairs with IoU ≥ iouMin, taken
 * in order of IoU descending, then teacher index ascending, then student index ascending
 * (indices in the image's input arrays); a pair is kept when neither box is matched yet.
 * O(|T|·|S|·log(|T|·|S|)).
 */
function matchImage(image: DetectionImage, config: DetectionAgreementConfig): ImageMatch {
  const T: number[] = [];
  const S: number[] = [];
  image.teacher.forEach((d, i) => {
    if (d.score >= config.scoreMin) T.push(i);
  });
  image.student.forEach((d, i) => {
    if (d.score >= config.scoreMin) S.push(i);
  });
  const denom = Math.max(T.length, S.length);
  if (denom === 0) return { teacherBoxes: 0, studentBoxes: 0, pairs: 0, sumIou: 0, agreement: 1 };
  const cand: { iou: number; t: number; s: number }[] = [];
  for (const t of T) {
    const dt = image.teacher[t]!;
    for (const s of S) {
      const ds = image.student[s]!;
      if (dt.categoryId !== ds.categoryId) continue;
      const iou = boxIou(dt.bbox, ds.bbox);
      if (iou >= config.iouMin) cand.push({ iou, t, s });
    }
  }
  cand.sort((a, b) => b.iou - a.iou || a.t - b.t || a.s - b.s);
  const usedT = new Set<number>();
  const usedS = new Set<number>();
  let pairs = 0;
  let sumIou = 0;
  for (const c of cand) {
    if (usedT.has(c.t) || usedS.has(c.s)) continue;
    usedT.add(c.t);
    usedS.add(c.s);
    pairs++;
    sumIou += c.iou;
  }
  return { teacherBoxes: T.length, studentBoxes: S.length, pairs, sumIou, agreement: sumIou / denom };
}

function updateState(state: DetectionAgreementState, batch: readonly DetectionImage[]): void {
  if (!Array.isArray(batch)) throw errors.badValue('detection batch', typeof batch, 'an array of {imageId, teacher, student}');
  // Validate the whole batch first so that a bad image leaves the state unchanged.
  const ids: string[] = [];
  const inBatch = new Set<string>();
  for (const img of batch) {
    const id = String(img.imageId);
    if (state.imageIds.has(id)) throw errors.duplicateId('detection image id', id, 'it was already added to this state');
    if (inBatch.has(id)) throw errors.duplicateId('detection image id', id, 'twice in the same batch');
    inBatch.add(id);
    ids.push(id);
    validateSide(img.teacher, id, 'teacher');
    validateSide(img.student, id, 'student');
  }
  let sumAgreement = 0;
  let matchedPairs = 0;
  let sumMatchedIou = 0;
  let teacherBoxes = 0;
  let studentBoxes = 0;
  for (const img of batch) {
    const m = matchImage(img, state.config);
    sumAgreement += m.agreement;
    matchedPairs += m.pairs;
    sumMatchedIou += m.sumIou;
    teacherBoxes += m.teacherBoxes;
    studentBoxes += m.studentBoxes;
  }
  for (const id of ids) state.imageIds.add(id);
  state.sumAgreement += sumAgreement;
  state.matchedPairs += matchedPairs;
  state.sumMatchedIou += sumMatchedIou;
  state.teacherBoxes += teacherBoxes;
  state.studentBoxes += studentBoxes;
}

function computeState(state: DetectionAgreementState): DetectionAgreementResult {
  const images = state.imageIds.size;
  if (images === 0) throw errors.undefinedResult('detection AOA', 'no images were given');
  return {
    metric: 'iou-agreement',
    aoa: (state.sumAgreement / images) * 100,
    n: images,
    images,
    matchedPairs: state.matchedPairs,
    teacherBoxes: state.teacherBoxes,
    studentBoxes: state.studentBoxes,
    meanMatchedIou: state.matchedPairs > 0 ? state.sumMatchedIou / state.matchedPairs : null,
    scoreMin: state.config.scoreMin,
    iouMin: state.config.iouMin,
  };
}

/**
 * The streaming detection-agreement measure (AOA for detection). A batch is an array of
 * images, each with its teacher and student detections ({@link groupDetections} builds it
 * from two flat COCO-results lists).
 *
 * Formula: per image, keep detections with score ≥ scoreMin (default 0.5) on both sides; match
 * same-class pairs greedily by descending IoU ({@link boxIou}), a pair counting only at
 * IoU ≥ iouMin (default 0.5); agreement = Σ matched IoU / max(|T|, |S|), or 1 when both sides
 * are empty after filtering. AOA = mean over images × 100.
 *
 * Edge cases: ties between candidate pairs are broken deterministically by IoU descending, then
 * teacher index, then student index (positions in the image's input arrays). Degenerate
 * (zero-area) boxes have IoU 1 with an identical box and 0 otherwise. All detections are
 * validated, filtered or not. An image id may be folded in only once per state; `merge` of
 * shards that share an image id throws. meanMatchedIou is null when nothing matched.
 *
 * Complexity: O(Σ_images |T|·|S|·log(|T|·|S|)) time; the state holds the set of image ids, O(images).
 *
 * @throws KrsError BAD_OPTION (scoreMin not finite, iouMin outside (0, 1]), BAD_VALUE (bbox not
 *   four finite numbers, negative width/height, non-finite score or categoryId, a detection's
 *   imageId differing from its image — each naming the image id and side), ID_MISMATCH (an image
 *   id seen twice, in one batch, across batches or across merged shards), UNDEFINED (no images).
 *
 * @example
 * const m = detectionAgreementMeasure({ scoreMin: 0.3 });
 * const s = m.init();
 * m.update(s, groupDetections(teacherDets, studentDets));
 * m.compute(s).aoa;
 */
export function detectionAgreementMeasure(
  options: DetectionAgreementOptions = {},
): Measure<DetectionAgreementState, readonly DetectionImage[], DetectionAgreementResult> {
  return configuredMeasure(MEASURE, STATE, resolveOptions(options), updateState, computeState);
}

/**
 * Group two flat detection lists (e.g. two COCO-results files) by image.
 *
 * The images are those whose id appears in either list, in order of first appearance (teacher
 * list first), followed by any ids of `imageIds` not yet present (images on which neither
 * model detected anything; they score 1). Detections keep their relative order. O(|T| + |S|).
 *
 * @example
 * groupDetections(
 *   [{ imageId: '1', categoryId: 3, bbox: [0, 0, 10, 10], score: 0.9 }],
 *   [{ imageId: '2', categoryId: 3, bbox: [0, 0, 10, 10], score: 0.8 }],
 * ); // [{imageId:'1', teacher:[…], student:[]}, {imageId:'2', teacher:[], student:[…]}]
 */
export function groupDetections(teacher: readonly Detection[], student: readonly Detection[], imageIds: Iterable<string> = []): DetectionImage[] {
  const byId = new Map<string, { imageId: string; teacher: Detection[]; student: Detection[] }>();
  const get = (id: string) => {
    let g = byId.get(id);
    if (g === undefined) {
      g = { imageId: id, teacher: [], student: [] };
      byId.set(id, g);
    }
    return g;
  };
  for (const d of teacher) get(String(d.imageId)).teacher.push(d);
  for (const d of student) get(String(d.imageId)).student.push(d);
  for (const id of imageIds) get(String(id));
  return [...byId.values()];
}

/**
 * Detection agreement in one call (AOA for detection):
 * `compute(update(init(), images))` of {@link detectionAgreementMeasure}.
 *
 * Formula: AOA = mean over images of Σ matched IoU / max(|T|, |S|) × 100 (1 per image when both
 * sides are empty after score filtering); greedy same-class matching by descending IoU at
 * IoU ≥ iouMin. Edge cases, tie-breaking and degenerate boxes as in {@link detectionAgreementMeasure}.
 * Complexity O(Σ |T|·|S|·log(|T|·|S|)).
 *
 * @throws KrsError — see {@link detectionAgreementMeasure}.
 *
 * @example
 * detectionAgreement([
 *   { imageId: 'a',
 *     teacher: [{ imageId: 'a', categoryId: 1, bbox: [0, 0, 10, 10], score: 0.9 }],
 *     student: [{ imageId: 'a', categoryId: 1, bbox: [1, 0, 10, 10], score: 0.8 }] },
 * ]).aoa; // IoU 90/110 → 81.8…
 */
export function detectionAgreement(images: readonly DetectionImage[], options: DetectionAgreementOptions = {}): DetectionAgreementResult {
  return computeOnce(detectionAgreementMeasure(options), images);
}

/** `iou-agreement` — AOA of detections: matched boxes' IoU over the larger box count, per image. */
export const detectionAgreementSpec: AgreementSpec<DetectionAgreementOptions, DetectionAgreementResult> = {
  name: 'iou-agreement',
  title: 'IoU agreement',
  description: 'mean over images of Σ matched IoU / max(teacher boxes, student boxes), same-class boxes matched greedily',
  bounds: [0, 1],
  options: OPTIONS,
  measure: (options) =>
    overOutputs(detectionAgreementMeasure(options), (b) => {
      if (!b.images) throw errors.badValue('detection batch', 'no images', 'per-image teacher and student detections');
      return b.images;
    }),
  summary: (r) =>
    `IoU agreement over ${r.images} images: ${r.matchedPairs} matched pairs of ${r.teacherBoxes} teacher / ${r.studentBoxes} student boxes, mean matched IoU ${fixed(r.meanMatchedIou, 3)}`,
  meaning: (r) =>
    `AOA = ${fixed(r.aoa, 1)} is the agreement of the student's detections with the teacher's: per image, the matched boxes' IoU over the larger box count, averaged, × 100; 100 = the same boxes, classes and all.`,
};
