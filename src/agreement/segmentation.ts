/**
 * AOA for semantic segmentation: mIoU of the student's label maps against the teacher's
 * (docs/formulas.md §"Segmentation mIoU").
 *
 *     IoU_c = Σ|T=c ∧ S=c| / Σ|T=c ∨ S=c|      accumulated over the whole data set
 *     AOA   = mean over classes occurring in T or S of IoU_c × 100
 *
 * Pixels where the teacher's map holds the ignore label are skipped.
 */

import { errors, fmtShape } from '../core/errors.js';
import { computeOnce, configuredMeasure, type Measure } from '../core/measure.js';
import { declareState, sameOptions, sparseCounts, sum } from '../core/state.js';
import type { Tensor } from '../core/tensor.js';
import { asTensor, type TensorLike } from '../core/tensor.js';
import { fixed } from '../core/units.js';
import { assertFinite, assertSameSamples } from '../core/validate.js';
import { numbers } from './common.js';
import { type AgreementOption, type AgreementSpec, declaredValue, overOutputs, requireOutputs } from './spec.js';

/** Largest class label accepted (counts are kept in arrays indexed by label). */
export const MAX_SEGMENTATION_LABEL = 65535;

/** Options of {@link segmentationAgreementMeasure} and {@link segmentationAgreement}. */
export interface SegmentationAgreementOptions {
  /**
   * Teacher pixels with this label are skipped; a student pixel with it counts as a miss of
   * the teacher's class and is no class of its own. An integer, or null for none. Default 255.
   */
  ignoreLabel?: number | null;
  /** Rank-4 score tensors are n×H×W×C instead of n×C×H×W. Default false. */
  channelsLast?: boolean;
}

/** The options after defaults; stored in every state so that only like states merge. */
export interface SegmentationAgreementConfig {
  readonly ignoreLabel: number | null;
  readonly channelsLast: boolean;
}

/**
 * One batch. Each side is either a label map n×H×W (integer values ≥ 0, any dtype) or
 * per-class scores n×C×H×W (logits or probabilities; n×H×W×C with `channelsLast`), reduced by
 * argmax over the class axis (ties → lowest class). The two sides may be of different kinds.
 */
export interface SegmentationAgreementBatch {
  readonly teacher: Tensor;
  readonly student: Tensor;
}

/** Per-class pixel counts over non-ignored pixels, indexed by class label. */
export interface SegmentationAgreementState {
  readonly config: SegmentationAgreementConfig;
  /** Images seen. */
  n: number;
  /** Pixels whose teacher label is not the ignore label. */
  validPixels: number;
  /** Of those, pixels where student and teacher labels are equal. */
  agreePixels: number;
  /** Pixel counts per class, indexed by class label (all three of the same length). */
  counts: ClassCounts;
}

/** Pixel counts per class label. */
export interface ClassCounts {
  /** |T=c ∧ S=c| per class. */
  intersection: number[];
  /** |T=c| per class. */
  teacherPixels: number[];
  /** |S=c| per class (student pixels equal to the ignore label are not counted). */
  studentPixels: number[];
}

/** What {@link segmentationAgreement} reports. */
export interface SegmentationAgreementResult {
  readonly metric: 'miou';
  /** mIoU × 100, in [0, 100]. */
  readonly aoa: number;
  /** Images. */
  readonly n: number;
  /** Non-ignored pixels scored. */
  readonly pixels: number;
  /** IoU of every class occurring in teacher or student, keyed by class label. */
  readonly perClassIou: Record<string, number>;
  /** Fraction of non-ignored pixels where the labels are equal. */
  readonly pixelAgreement: number;
  /** Number of classes averaged (those occurring in teacher or student). */
  readonly classes: number;
  readonly ignoreLabel: number | null;
}

const MEASURE = 'aoa-segmentation';
const VERSION = 1;

/** The options, declared once (flags, API schema and the check below come from here). */
const OPTIONS = {
  ignoreLabel: {
    flag: '--ignore-label',
    placeholder: 'l',
    help: 'segmentation: teacher label to skip',
    default: 255,
    valid: (v) => Number.isInteger(v),
    expected: 'an integer or null',
    nullable: true,
  },
} as const satisfies Record<string, AgreementOption>;

function resolveOptions(options: SegmentationAgreementOptions = {}): SegmentationAgreementConfig {
  const ignoreLabel = declaredValue('ignoreLabel', OPTIONS.ignoreLabel, options.ignoreLabel);
  const channelsLast = options.channelsLast ?? false;
  if (typeof channelsLast !== 'boolean') throw errors.badOption('channelsLast', channelsLast, 'true or false');
  return { ignoreLabel, channelsLast };
}

/**
 * The state, declared once (src/core/state.ts): the options must match, counts add (per class,
 * padded to the larger label range); JSON tagged aoa-segmentation v1 with the per-class counts
 * stored sparsely as [class, intersection, teacher, student] for every class seen.
 */
const STATE = declareState<SegmentationAgreementState>({
  measure: MEASURE,
  version: VERSION,
  fields: {
    config: sameOptions(resolveOptions),
    n: sum(),
    validPixels: sum(),
    agreePixels: sum(),
    counts: sparseCounts(['intersection', 'teacherPixels', 'studentPixels'], {
      maxLabel: MAX_SEGMENTATION_LABEL,
      entry: 'class, intersection, teacher, student',
      consistent: ([i, t, s]) => i! <= t! && i! <= s!,
    }),
  },
});

interface LabelMap {
  n: number;
  h: number;
  w: number;
  labels: ArrayLike<number>;
}

/** Label map of one side: the data of a rank-3 map, or the argmax of rank-4 scores. */
function toLabels(t: Tensor, side: 'teacher' | 'student', config: SegmentationAgreementConfig): LabelMap {
  const shape = t.shape;
  if (shape.length === 3) {
    const what = `${side} label map`;
    assertFinite(t, what);
    const labels = numbers(t);
    const ignore = config.ignoreLabel;
    for (let i = 0; i < labels.length; i++) {
      const v = labels[i]!;
      if (v === ignore) continue;
      if (!Number.isInteger(v) || v < 0 || v > MAX_SEGMENTATION_LABEL) {
        throw errors.badValue(
          `${what} ${fmtShape(shape)} at flat index ${i}`,
          v,
          `an integer class label in [0, ${MAX_SEGMENTATION_LABEL}]${ignore === null ? '' : ` or the ignore label ${ignore}`}`,
        );
      }
    }
    return { n: shape[0]!, h: shape[1]!, w: shape[2]!, labels };
  }
  if (shape.length !== 4) {
    throw errors.shapeMismatch(
      `${side} segmentation output`,
      `a label map n×H×W or scores ${config.channelsLast ? 'n×H×W×C' : 'n×C×H×W'}`,
      `shape ${fmtShape(shape)}`,
    );
  }
  const what = `${side} segmentation scores`;
  assertFinite(t, what);
  const x = numbers(t);
  const [n, a, b, c] = shape as [number, number, number, number];
  const [C, h, w] = config.channelsLast ? [c, a, b] : [a, b, c];
  if (C < 1) throw errors.shapeMismatch(what, 'at least one class', `shape ${fmtShape(shape)}`);
  if (C - 1 > MAX_SEGMENTATION_LABEL) throw errors.shapeMismatch(what, `at most ${MAX_SEGMENTATION_LABEL + 1} classes`, `shape ${fmtShape(shape)}`);
  const hw = h * w;
  const labels = new Int32Array(n * hw);
  if (config.channelsLast) {
    for (let p = 0; p < n * hw; p++) {
      const off = p * C;
      let best = x[off]!;
      let arg = 0;
      for (let k = 1; k < C; k++) {
        const v = x[off + k]!;
        if (v > best) {
          best = v;
          arg = k;
        }
      }
      labels[p] = arg;
    }
  } else {
    const best = new Float64Array(hw);
    for (let i = 0; i < n; i++) {
      const base = i * C * hw;
      const out = i * hw;
      for (let p = 0; p < hw; p++) best[p] = x[base + p]!;
      for (let k = 1; k < C; k++) {
        const off = base + k * hw;
        for (let p = 0; p < hw; p++) {
          const v = x[off + p]!;
          if (v > best[p]!) {
            best[p] = v;
            labels[out + p] = k;
          }
        }
      }
    }
  }
  return { n, h, w, labels };
}

function grow(arr: number[], length: number): void {
  while (arr.length < length) arr.push(0);
}

function updateState(state: SegmentationAgreementState, batch: SegmentationAgreementBatch): void {
  const { teacher, student } = batch;
  assertSameSamples(teacher, student, 'segmentation outputs');
  const T = toLabels(teacher, 'teacher', state.config);
  const S = toLabels(student, 'student', state.config);
  if (T.h !== S.h || T.w !== S.w) {
    throw errors.shapeMismatch(
      'segmentation label maps',
      'teacher and student maps of the same height × width',
      `teacher ${T.h}×${T.w} (shape ${fmtShape(teacher.shape)}), student ${S.h}×${S.w} (shape ${fmtShape(student.shape)})`,
    );
  }
  const ignore = state.config.ignoreLabel;
  const tl = T.labels;
  const sl = S.labels;
  const size = T.n * T.h * T.w;
  let maxLabel = -1;
  for (let i = 0; i < size; i++) {
    const t = tl[i]!;
    if (t === ignore) continue;
    if (t > maxLabel) maxLabel = t;
    const s = sl[i]!;
    if (s !== ignore && s > maxLabel) maxLabel = s;
  }
  const L = maxLabel + 1;
  const inter = new Float64Array(L);
  const tc = new Float64Array(L);
  const sc = new Float64Array(L);
  let valid = 0;
  let agree = 0;
  for (let i = 0; i < size; i++) {
    const t = tl[i]!;
    if (t === ignore) continue;
    valid++;
    tc[t]++;
    const s = sl[i]!;
    if (s === t) {
      agree++;
      inter[t]++;
      sc[s]++;
    } else if (s !== ignore) {
      sc[s]++;
    }
  }
  const { intersection, teacherPixels, studentPixels } = state.counts;
  grow(intersection, L);
  grow(teacherPixels, L);
  grow(studentPixels, L);
  for (let c = 0; c < L; c++) {
    intersection[c] += inter[c]!;
    teacherPixels[c] += tc[c]!;
    studentPixels[c] += sc[c]!;
  }
  state.n += T.n;
  state.validPixels += valid;
  state.agreePixels += agree;
}

function computeState(state: SegmentationAgreementState): SegmentationAgreementResult {
  if (state.validPixels === 0) {
    throw errors.undefinedResult(
      'segmentation AOA',
      state.n === 0 ? 'no images were given' : `every teacher pixel holds the ignore label ${state.config.ignoreLabel}`,
    );
  }
  const perClassIou: Record<string, number> = {};
  let sum = 0;
  let classes = 0;
  const { intersection, teacherPixels, studentPixels } = state.counts;
  for (let c = 0; c < teacherPixels.length; c++) {
    const t = teacherPixels[c]!;
    const s = studentPixels[c]!;
    if (t + s === 0) continue;
    const i = intersection[c]!;
    const iou = i / (t + s - i);
    perClassIou[String(c)] = iou;
    sum += iou;
    classes++;
  }
  return {
    metric: 'miou',
    aoa: (sum / classes) * 100,
    n: state.n,
    pixels: state.validPixels,
    perClassIou,
    pixelAgreement: state.agreePixels / state.validPixels,
    classes,
    ignoreLabel: state.config.ignoreLabel,
  };
}

/**
 * The streaming segmentation-agreement measure (AOA for segmentation).
 *
 * Formula: with the teacher as reference and pixels whose teacher label is the ignore label
 * skipped, per-class IoU_c = Σ|T=c ∧ S=c| / Σ|T=c ∨ S=c| over the whole data set (not per
 * image); mIoU = mean of IoU_c over the classes occurring in teacher or student on non-ignored
 * pixels; AOA = mIoU × 100. Also pixelAgreement and perClassIou.
 *
 * Edge cases: rank-3 inputs are label maps (any dtype; values must be integers in
 * [0, 65535] or the ignore label), rank-4 inputs are scores reduced by argmax over the class
 * axis (axis 1, or the last with `channelsLast`; ties → lowest class). A student pixel holding
 * the ignore label counts against the teacher's class and is not a class itself. Image size may
 * change between batches, not between teacher and student. All pixels ignored → UNDEFINED.
 *
 * Complexity: O(n·H·W·C) for score inputs, O(n·H·W) for label maps; state O(max label).
 *
 * @throws KrsError BAD_OPTION (ignoreLabel not an integer/null, channelsLast not boolean),
 *   SHAPE_MISMATCH (rank not 3 or 4, sample counts, H×W differing between teacher and student),
 *   NON_FINITE (NaN/±Inf), BAD_VALUE (negative, fractional or too large labels),
 *   UNDEFINED (no non-ignored pixels).
 *
 * @example
 * const m = segmentationAgreementMeasure({ ignoreLabel: 255 });
 * const s = m.init();
 * for (const b of batches) m.update(s, b); // { teacher: n×H×W uint8, student: n×C×H×W float32 }
 * m.compute(s).perClassIou;                // { '0': 0.97, '1': 0.81, … }
 */
export function segmentationAgreementMeasure(
  options: SegmentationAgreementOptions = {},
): Measure<SegmentationAgreementState, SegmentationAgreementBatch, SegmentationAgreementResult> {
  return configuredMeasure(MEASURE, STATE, resolveOptions(options), updateState, computeState);
}

/**
 * Segmentation agreement in one call (AOA for segmentation):
 * `compute(update(init(), {teacher, student}))` of {@link segmentationAgreementMeasure}.
 *
 * Formula: AOA = mean over classes occurring in teacher or student of
 * Σ|T=c ∧ S=c| / Σ|T=c ∨ S=c| × 100, teacher pixels with the ignore label (255) skipped.
 * Edge cases as in {@link segmentationAgreementMeasure}. Complexity O(n·H·W·C).
 *
 * @throws KrsError — see {@link segmentationAgreementMeasure}.
 *
 * @example
 * const t = tensor(new Uint8Array([0, 0, 1, 255]), [1, 2, 2]);
 * const s = tensor(new Uint8Array([0, 1, 1, 1]), [1, 2, 2]);
 * segmentationAgreement(t, s).aoa; // classes 0: 1/2, 1: 1/2 → 50
 */
export function segmentationAgreement(teacher: TensorLike, student: TensorLike, options: SegmentationAgreementOptions = {}): SegmentationAgreementResult {
  return computeOnce(segmentationAgreementMeasure(options), {
    teacher: asTensor(teacher, 'teacher label maps'),
    student: asTensor(student, 'student label maps'),
  });
}

/** `miou` — AOA of segmentation: mean IoU of the student's label maps against the teacher's. */
export const segmentationAgreementSpec: AgreementSpec<SegmentationAgreementOptions, SegmentationAgreementResult> = {
  name: 'miou',
  title: 'mIoU agreement',
  description: "mean over classes of the IoU of the student's label maps with the teacher's, accumulated over the data set",
  bounds: [0, 1],
  options: OPTIONS,
  measure: (options) => overOutputs(segmentationAgreementMeasure(options), (b) => requireOutputs(b, 'miou')),
  summary: (r) => `mIoU over ${r.classes} classes, pixel agreement ${fixed(r.pixelAgreement * 100, 1)}%`,
  meaning: (r) =>
    `AOA = ${fixed(r.aoa, 1)} is the agreement of the student's label maps with the teacher's: their mean IoU, × 100; 100 = the same label on every pixel.`,
};
