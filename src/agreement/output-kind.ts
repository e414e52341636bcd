/**
 * What an output array holds — logits, probabilities, sigmoid scores or label ids — told from
 * its values (docs/formulas.md §"Output kinds"). One function, {@link inferOutputKind} (and its
 * streaming form {@link outputKindScan}), decides it for `krs score`, `krs eval` and
 * `krs explain`; {@link resolveOutputKinds} combines the inferred kinds with the ones the user
 * set; {@link sigmoidToLogits} is the one conversion of sigmoid scores into logits.
 *
 * Rules, on every value of the array, the class axis being the last one, first match wins:
 *
 * 1. no values → `logits` (nothing to tell it by);
 * 2. every value equal (a constant array) → `probs` if its rows sum to 1, else `logits`:
 *    constant rows carry no class information under any reading, so none is claimed;
 * 3. every value a non-negative integer → `labels` (class ids, label maps), except when every
 *    row (last axis, C ≥ 2) is one-hot — a hard distribution → `probs`;
 * 4. every value in [0, 1] and every row summing to 1 within {@link PROBS_SUM_TOLERANCE} → `probs`;
 * 5. every value in [0, 1] otherwise → `sigmoid` (independent per-class scores);
 * 6. otherwise → `logits`.
 *
 * Edge cases: all rows must sum to 1 for `probs`, so a sigmoid row that sums to ≈ 1 by chance
 * changes nothing when other rows do not; with a single row (or very few) the inference is only
 * as good as that row, which is why `krs explain` infers from the whole array, not from the
 * sample it shows, and `krs eval` from its first batch (256 samples by default). A 1-class
 * output (C = 1) in [0, 1] is `sigmoid` unless every value is exactly 1. Logits that happen to
 * be non-negative integers, or all within [0, 1], are mis-read: the kind and the reason are
 * printed, and an explicit kind always wins.
 */
import { errors } from '../core/errors.js';
import { type NumericArray, numberAt, type Tensor } from '../core/tensor.js';
import { fixed } from '../core/units.js';

/** What an output array holds. */
export type OutputKind = 'logits' | 'probs' | 'sigmoid' | 'labels';
/** The kinds of per-class scores an agreement can read (every kind but `labels`). */
export type ScoreKind = Exclude<OutputKind, 'labels'>;
export const SCORE_KINDS: readonly ScoreKind[] = ['logits', 'probs', 'sigmoid'];

/** Probability rows must sum to 1 within this (as KL agreement checks them). */
export const PROBS_SUM_TOLERANCE = 1e-3;

/** Words for a kind, for messages and summaries. */
export const KIND_WORDS: Record<OutputKind, string> = {
  logits: 'logits',
  probs: 'probabilities',
  sigmoid: 'sigmoid scores',
  labels: 'label ids',
};

export interface InferredKind {
  readonly kind: OutputKind;
  /** Why, in words: the facts about the values that decided it. */
  readonly reason: string;
}

/** Running facts about an output array's values, folded chunk by chunk. */
export interface OutputKindScan {
  /** Fold in rows (a tensor whose last axis is the classes; any leading shape). */
  add(t: Tensor): void;
  /** The kind of everything added so far. */
  result(): InferredKind;
}

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4))));

/**
 * A streaming {@link inferOutputKind}: `add` every chunk of the array (rows in any order),
 * then `result()`. O(size) time over all chunks, O(1) memory.
 * @throws SHAPE_MISMATCH (from `add`) when chunks disagree on the class count.
 */
export function outputKindScan(what: string): OutputKindScan {
  let C = -1;
  let count = 0;
  let rows = 0;
  let min = Infinity;
  let max = -Infinity;
  let first = Number.NaN;
  let constant = true;
  let integers = true;
  let unit = true; // every value in [0, 1]
  let sumsToOne = true;
  let oneHot = true;
  let badRow = -1;
  let badSum = 0;
  let notSumming = 0;
  return {
    add(t: Tensor): void {
      const c = t.shape.length === 0 ? 1 : t.shape.length === 1 ? 1 : t.shape[t.shape.length - 1]!;
      if (C === -1) C = c;
      else if (c !== C) throw errors.shapeMismatch(`${what}: class count (last axis)`, `${C} as in earlier rows`, String(c));
      const d: NumericArray = t.data;
      const len = d.length;
      if (C === 0) return;
      for (let r = 0; r < len / C; r++) {
        let s = 0;
        let ones = 0;
        let zeros = 0;
        for (let k = 0; k < C; k++) {
          const v = numberAt(d, r * C + k);
          if (count === 0) first = v;
          count++;
          if (v !== first) constant = false;
          if (v < min) min = v;
          if (v > max) max = v;
          if (integers && !Number.isInteger(v)) integers = false;
          if (!(v >= 0 && v <= 1)) unit = false;
          if (v === 1) ones++;
          else if (v === 0) zeros++;
          s += v;
        }
        if (!(ones === 1 && zeros === C - 1)) oneHot = false;
        if (!(Math.abs(s - 1) <= PROBS_SUM_TOLERANCE)) {
          if (sumsToOne) {
            badRow = rows;
            badSum = s;
          }
          sumsToOne = false;
          notSumming++;
        }
        rows++;
      }
    },
    result(): InferredKind {
      if (count === 0) return { kind: 'logits', reason: 'no values to tell the kind by; read as logits' };
      const range = `${fmt(min)} … ${fmt(max)}`;
      const allSum = `each of the ${rows} row${rows === 1 ? '' : 's'} sums to 1 (within ${PROBS_SUM_TOLERANCE})`;
      if (constant) {
        return sumsToOne
          ? { kind: 'probs', reason: `every value is ${fmt(first)} and ${allSum}` }
          : { kind: 'logits', reason: `every value is ${fmt(first)}: no class is preferred under any reading; read as logits` };
      }
      if (integers && min >= 0) {
        if (oneHot && C >= 2) return { kind: 'probs', reason: `every row is one-hot (a 1 and ${C - 1} zeros)` };
        return { kind: 'labels', reason: `every value is a non-negative integer (${range})` };
      }
      if (unit) {
        if (sumsToOne) return { kind: 'probs', reason: `every value is in [0, 1] and ${allSum}` };
        return {
          kind: 'sigmoid',
          reason: `every value is in [0, 1] but ${notSumming} of ${rows} row${rows === 1 ? '' : 's'} do not sum to 1 (row ${badRow} sums to ${fixed(badSum, 4)})`,
        };
      }
      return { kind: 'logits', reason: `values outside [0, 1] (${range})` };
    },
  };
}

/**
 * The kind of an output array, from its values (see the module comment for the rules).
 * O(size).
 * @example inferOutputKind(tensor(new Float32Array([0.9, 0.2, 0.1, 0.7]), [2, 2]), 'student logits').kind // 'sigmoid'
 */
export function inferOutputKind(t: Tensor, what: string): InferredKind {
  const s = outputKindScan(what);
  s.add(t);
  return s.result();
}

/** One side's kind: what the user set, or what the values say. */
export interface SideKind {
  readonly kind: OutputKind;
  /** `option` when set by the user, `values` when inferred. */
  readonly source: 'option' | 'values';
  /** The inference's reason, or that it was set. */
  readonly reason: string;
}

/** Both sides' resolved kinds, as a result reports them. */
export interface OutputKinds {
  readonly teacher: SideKind;
  readonly student: SideKind;
}

export interface KindSide {
  /** e.g. `teacher output 'logits' of t.npz`. */
  readonly what: string;
  /** The kind the user set (option), if any. */
  readonly declared?: ScoreKind | undefined;
  /** The kind the values say (needed when not declared). */
  readonly inferred?: InferredKind;
}

/**
 * Combine set and inferred kinds. A set kind always wins (values that contradict it are caught
 * when read: rows that are not probabilities, sigmoid scores outside [0, 1]). When neither side
 * was set and the inferred kinds differ, the reading is ambiguous — one inference may be
 * wrong — so it is an error naming both kinds and both options. When one side was set, the
 * other side's inferred kind is used.
 * @param options the API names that set the teacher's and the student's kind.
 * @throws BAD_OPTION (outputKindsDiffer) for differing inferred kinds.
 */
export function resolveOutputKinds(teacher: KindSide, student: KindSide, options: readonly [string, string]): OutputKinds {
  const one = (s: KindSide): SideKind => {
    if (s.declared) return { kind: s.declared, source: 'option', reason: 'set by option' };
    if (!s.inferred) throw errors.internal(`no kind for ${s.what}`);
    return { kind: s.inferred.kind, source: 'values', reason: s.inferred.reason };
  };
  const t = one(teacher);
  const s = one(student);
  if (t.source === 'values' && s.source === 'values' && t.kind !== s.kind) {
    const words = (side: KindSide, k: SideKind) => `${side.what} looks like ${KIND_WORDS[k.kind]} (${k.reason})`;
    throw errors.outputKindsDiffer(words(teacher, t), words(student, s), options, { teacherKind: t.kind, studentKind: s.kind });
  }
  return { teacher: t, student: s };
}

/**
 * Check that a resolved kind is one a KL agreement can read.
 * @throws BAD_VALUE (labelsNotScores) for `labels`.
 */
export function scoreKind(k: SideKind, what: string, option: string): ScoreKind {
  if (k.kind === 'labels')
    throw errors.labelsNotScores(what, k.reason, 'KL agreement needs per-class scores (logits, probabilities or sigmoid scores)', option);
  return k.kind;
}

/** Sigmoid scores are clipped to [ε, 1 − ε] before the inversion, ε = 1e-7. */
const SIGMOID_EPS = 1e-7;

/**
 * Sigmoid scores turned back into logits, element-wise: z = log(p / (1 − p)) with p clipped to
 * [1e-7, 1 − 1e-7] (so z ∈ [−16.12, 16.12]: float32 sigmoid outputs carry no more than that —
 * ONNX Runtime returns exactly 0 and 1 beyond about |z| = 17). The inverse of σ(z) = 1/(1 + e^−z)
 * wherever p is not clipped. Returns a new float64 tensor; the input is not modified. O(size).
 * @param option the API name of the option that says these are sigmoid scores (for the message).
 * @throws BAD_VALUE (notSigmoid) for a value outside [0, 1] (NaN included).
 */
export function sigmoidToLogits(t: Tensor, what: string, option: string): Tensor {
  const n = t.data.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = numberAt(t.data, i);
    if (!(v >= 0 && v <= 1)) throw errors.notSigmoid(what, i, v, option);
    const p = Math.min(1 - SIGMOID_EPS, Math.max(SIGMOID_EPS, v));
    out[i] = Math.log(p / (1 - p));
  }
  return { dtype: 'float64', shape: [...t.shape], data: out };
}

/** One line for summaries: `teacher logits (values outside [0, 1] (…)); student sigmoid scores (set by option)`. */
export function describeKinds(k: OutputKinds, optionNames: readonly [string, string] = ['teacherInputs', 'studentInputs']): string {
  const side = (name: string, s: SideKind, option: string) =>
    `${name} ${KIND_WORDS[s.kind]} (${s.source === 'option' ? `set by ${option}` : `from the values: ${s.reason}`})`;
  return `${side('teacher', k.teacher, optionNames[0])}; ${side('student', k.student, optionNames[1])}`;
}
