/**
 * Tuning advice from the KRS components (the paper's §4.4, docs/formulas.md §"Diagnostics"): read what a
 * student's FSS and AOA say about how to improve its distillation — and only what they say.
 * The scores measure similarity and agreement with the teacher on the inputs given; models
 * that were never distilled from one another score high too (the project's own MNIST models
 * against their teacher: KRS 80–92; three public MNIST models by different authors against
 * each other: 80–84 on 2000 digits), so no finding reads a high score as distillation having
 * worked: only a baseline (the gains, or `reference.baseline`) can show what distillation added.
 *
 * Levels, on the 0–100 scale: a component is `low` below `low` (default 40), `high` at or
 * above `high` (default 60), `medium` between.
 *
 * Findings on the components after KD (first matching rule):
 * 1. `capacity-gap` — both low: the student reproduces neither the teacher's representations
 *    nor its outputs. The paper ties this to shallow or mismatched students (AlexNet,
 *    WRN-16-1): try a larger student, a teacher assistant (an intermediate-size teacher), or
 *    check that the distillation loss is active at all.
 * 2. `feature-supervision` — FSS not high, and AOA high with FSS low or AOA − FSS ≥ `gap`
 *    (default 25): the student matches the outputs without the internal structure; a
 *    feature-level loss (FitNet-style hint layers, attention transfer, CKA or relational
 *    losses) is the lever for FSS. The FSS-not-high condition is new: the public MNIST MLP
 *    (michbogos) against the zoo CNN scores FSS 61, AOA 92 — a gap of 31 with FSS already high,
 *    where advising hint layers did not follow from the numbers.
 * 3. `output-calibration` — FSS high and AOA low, or FSS − AOA ≥ `gap`: the features align
 *    but the outputs do not; revisit the softmax temperature and the weight of the KD loss
 *    against the hard-label loss.
 * 4. `well-aligned` — both high: close to the teacher on these inputs. Without a baseline the
 *    message says that this alone does not show distillation worked (every undistilled MNIST
 *    pair above lands here or in rule 2).
 * 5. `moderate` — otherwise: neither lags by the gap and not both high; if the student is being
 *    distilled, supervising both (more epochs, a better-matched teacher) may raise both.
 *
 * When only the gains are known (FSS and AOA null), rule 1–5 is replaced by
 * `components-unknown` (info).
 *
 * Findings on the change (when the components before KD are known or the gains are given),
 * added after the one above:
 * - `fss-decreased` / `aoa-decreased` — a component fell after KD (with the other rising,
 *   the paper's "conflict" case): the distillation objective is pulling against it.
 * - `no-gain` — ΔKRS ≤ 0: the distillation did not raise KRS.
 *
 * Findings on the reference levels (src/krs/reference-levels.ts), when given:
 * - `near-null` (warning) — KRS, FSS or AOA within {@link NEAR_NULL} points of its null level
 *   (the student's samples shuffled): no better than chance alignment, which points at
 *   misaligned samples, wrong layer pairs or output kinds before any tuning.
 * - `baseline-gain` (info) — a baseline is given and student − baseline KRS has a 95 % interval
 *   above 0: what the student's training added over the baseline's, on these inputs.
 * - `no-gain-over-baseline` (warning) — the interval of student − baseline includes or lies
 *   below 0 (or there is none and Δ ≤ 0).
 *
 * Complexity O(1).
 *
 * @throws BAD_OPTION for thresholds outside [0, 100], low > high, or gap ≤ 0; BAD_VALUE for
 *   non-finite components.
 * @example diagnose({ fss: 39, aoa: 83 }).findings[0].code // 'feature-supervision'
 */
import { errors, opt } from '../core/errors.js';

export interface DiagnosisThresholds {
  /** Below this a component is low. Default 40. */
  readonly low: number;
  /** At or above this a component is high. Default 60. */
  readonly high: number;
  /** A component this many points above the other is dominant. Default 25. */
  readonly gap: number;
}

export const DEFAULT_THRESHOLDS: DiagnosisThresholds = { low: 40, high: 60, gap: 25 };

export type Level = 'low' | 'medium' | 'high';

export type FindingCode =
  | 'capacity-gap'
  | 'feature-supervision'
  | 'output-calibration'
  | 'well-aligned'
  | 'moderate'
  | 'components-unknown'
  | 'fss-decreased'
  | 'aoa-decreased'
  | 'no-gain'
  | 'near-null'
  | 'baseline-gain'
  | 'no-gain-over-baseline';

/** A score within this many points of its null level is no better than chance alignment (`near-null`). */
export const NEAR_NULL = 10;

export interface Finding {
  readonly code: FindingCode;
  /** `advice` asks for a change; `warning` flags a regression; `info` needs no action. */
  readonly severity: 'info' | 'advice' | 'warning';
  /** One sentence naming the values it rests on. */
  readonly message: string;
}

export interface Diagnosis {
  /** The components diagnosed (after KD); null when only the gains are known. */
  readonly fss: number | null;
  readonly aoa: number | null;
  readonly fssLevel: Level | null;
  readonly aoaLevel: Level | null;
  readonly findings: readonly Finding[];
  readonly thresholds: DiagnosisThresholds;
}

export interface DiagnoseInput {
  /** FSS after KD, 0–100; null when only the gains are known (then only the change is diagnosed). */
  readonly fss: number | null;
  /** AOA after KD, 0–100; null likewise. */
  readonly aoa: number | null;
  /** Changes from before KD, when known. */
  readonly deltaFss?: number | null;
  readonly deltaAoa?: number | null;
  readonly deltaKrs?: number | null;
  /** A baseline is known elsewhere (e.g. the demo's analysis of KD against its baseline student): no baseline caveat. */
  readonly baselineKnown?: boolean;
  /** KRS of the student, for the reference findings (default α-free: only FSS and AOA are compared then). */
  readonly krs?: number | null;
  /** Reference levels of a score (src/krs/reference-levels.ts), when known. */
  readonly reference?: {
    readonly null?: { readonly fss: number; readonly aoa: number; readonly krs: number } | null;
    readonly baseline?: {
      readonly file: string;
      readonly krs: number;
      readonly delta: { readonly krs: number; readonly ci95: { readonly krs: readonly [number, number] | null }; readonly p: { readonly krs: number | null } };
    } | null;
  } | null;
}

/** Check and complete thresholds. @throws BAD_OPTION as in the module comment. */
export function resolveThresholds(t: Partial<DiagnosisThresholds> = {}): DiagnosisThresholds {
  const out = { ...DEFAULT_THRESHOLDS, ...Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined)) } as DiagnosisThresholds;
  for (const k of ['low', 'high'] as const) {
    if (!Number.isFinite(out[k]) || out[k] < 0 || out[k] > 100) throw errors.badOption(k, out[k], 'a number in [0, 100]');
  }
  if (out.low > out.high) throw errors.badOption('low', out.low, `at most ${opt('high')} (${out.high})`);
  if (!Number.isFinite(out.gap) || out.gap <= 0 || out.gap > 100) throw errors.badOption('gap', out.gap, 'a number in (0, 100]');
  return out;
}

const f1 = (v: number) => (Math.round(v * 10) / 10).toString();

/** A change shown to one decimal that reads as a fall: −0.04 rounds to 0 and is no fall ("FSS fell by 0"). */
const fell = (delta: number | null | undefined): delta is number => typeof delta === 'number' && Math.round(-delta * 10) > 0;

/** Diagnose a student from its components. See the module comment. */
export function diagnose(input: DiagnoseInput, thresholds: Partial<DiagnosisThresholds> = {}): Diagnosis {
  const t = resolveThresholds(thresholds);
  const { fss, aoa, deltaFss, deltaAoa, deltaKrs } = input;
  if (fss !== null && !Number.isFinite(fss)) throw errors.badValue('FSS', fss, 'a finite number');
  if (aoa !== null && !Number.isFinite(aoa)) throw errors.badValue('AOA', aoa, 'a finite number');
  if ((fss === null) !== (aoa === null)) throw errors.badValue('FSS and AOA', `${fss}, ${aoa}`, 'both numbers or both null');
  const level = (v: number): Level => (v < t.low ? 'low' : v >= t.high ? 'high' : 'medium');
  const fssLevel = fss === null ? null : level(fss);
  const aoaLevel = aoa === null ? null : level(aoa);
  const findings: Finding[] = [];
  const known = (v: number | null | undefined): v is number => v !== undefined && v !== null;
  // A baseline (the gains of an experiments table, or a baseline student) says what distillation added; without one, a
  // high score must not be read as distillation having worked.
  const hasBaseline = known(deltaKrs) || !!input.reference?.baseline || input.baselineKnown === true;
  if (fss !== null && aoa !== null) findings.push(componentFinding(fss, aoa, fssLevel!, aoaLevel!, t, hasBaseline));
  else {
    const gains = known(deltaFss) && known(deltaAoa) ? ` (ΔFSS ${f1(deltaFss)}, ΔAOA ${f1(deltaAoa)})` : '';
    findings.push({
      code: 'components-unknown',
      severity: 'info',
      message: `only the gains are known${gains}: FSS and AOA after KD are needed for tuning advice`,
    });
  }
  if (fell(deltaFss)) {
    findings.push({
      code: 'fss-decreased',
      severity: 'warning',
      message: `FSS fell by ${f1(-deltaFss)} after distillation${known(deltaAoa) && deltaAoa > 0 ? ` while AOA rose by ${f1(deltaAoa)}` : ''}: the objective pulls the features away from the teacher's`,
    });
  }
  if (fell(deltaAoa)) {
    findings.push({
      code: 'aoa-decreased',
      severity: 'warning',
      message: `AOA fell by ${f1(-deltaAoa)} after distillation${known(deltaFss) && deltaFss > 0 ? ` while FSS rose by ${f1(deltaFss)}` : ''}: the outputs moved away from the teacher's`,
    });
  }
  if (known(deltaKrs) && deltaKrs <= 0) {
    findings.push({ code: 'no-gain', severity: 'warning', message: `KRS did not rise after distillation (ΔKRS ${f1(deltaKrs)})` });
  }
  findings.push(...referenceFindings(input));
  return { fss, aoa, fssLevel, aoaLevel, findings, thresholds: t };
}

const signed1 = (v: number) => `${v > 0 ? '+' : ''}${f1(v)}`;

/** `near-null`, `baseline-gain`, `no-gain-over-baseline` (module comment). */
function referenceFindings(input: DiagnoseInput): Finding[] {
  const out: Finding[] = [];
  const ref = input.reference;
  const nul = ref?.null;
  if (nul) {
    const near = (['krs', 'fss', 'aoa'] as const).filter((k) => {
      const v = k === 'krs' ? input.krs : input[k];
      return v !== null && v !== undefined && v - nul[k] < NEAR_NULL;
    });
    if (near.length) {
      const list = near.map((k) => `${k.toUpperCase()} ${f1((k === 'krs' ? input.krs : input[k])!)} (null ${f1(nul[k])})`).join(', ');
      out.push({
        code: 'near-null',
        severity: 'warning',
        message: `${list}: within ${NEAR_NULL} points of the null level, the score of the student's samples shuffled against the teacher's — no better than chance alignment; check that both captures hold the same samples in the same order, the layer pairs and the output kinds before tuning anything`,
      });
    }
  }
  const b = ref?.baseline;
  if (b) {
    const ci = b.delta.ci95.krs;
    const p = b.delta.p.krs;
    const d = `ΔKRS ${signed1(b.delta.krs)}${ci ? ` [${f1(ci[0])}, ${f1(ci[1])}]` : ''}${p !== null ? `, p ${p < 1e-4 ? '< 0.0001' : p.toFixed(4)}` : ''}`;
    if (ci ? ci[0] > 0 : false) {
      out.push({
        code: 'baseline-gain',
        severity: 'info',
        message: `KRS is above the baseline ${b.file} (${f1(b.krs)}; ${d}): the student is closer to the teacher on these inputs than the baseline is, by an amount the sample noise does not explain`,
      });
    } else {
      out.push({
        code: 'no-gain-over-baseline',
        severity: 'warning',
        message: `KRS is not shown to be above the baseline ${b.file} (${f1(b.krs)}; ${d}${ci ? '' : ', no interval'}): on these inputs the student is not detectably closer to the teacher than the baseline`,
      });
    }
  }
  return out;
}

/** The first matching rule of 1–5 in the module comment. */
function componentFinding(fss: number, aoa: number, fssLevel: Level, aoaLevel: Level, t: DiagnosisThresholds, hasBaseline: boolean): Finding {
  const vals = `FSS ${f1(fss)}, AOA ${f1(aoa)}`;
  if (fssLevel === 'low' && aoaLevel === 'low') {
    return {
      code: 'capacity-gap',
      severity: 'advice',
      message: `both components are low (${vals}, below ${t.low}): the student may lack the capacity to match the teacher — try a larger student or a teacher assistant, and check that the distillation loss is active and that both captures hold the same samples in the same order`,
    };
  }
  // FSS must not be high itself: "features do not agree" is false at FSS ≥ high (michbogos vs the zoo CNN: FSS 61, AOA 92).
  if (fssLevel !== 'high' && ((aoaLevel === 'high' && fssLevel === 'low') || aoa - fss >= t.gap)) {
    return {
      code: 'feature-supervision',
      severity: 'advice',
      message: `outputs agree far more than features (${vals}): to bring the student's representations closer to the teacher's, add feature-level supervision (hint layers as in FitNet, attention transfer, CKA or relational losses) at semantically rich layers; outputs that agree with dissimilar features are also what models trained independently on the same task show`,
    };
  }
  if ((fssLevel === 'high' && aoaLevel === 'low') || fss - aoa >= t.gap) {
    return {
      code: 'output-calibration',
      severity: 'advice',
      message: `features align but outputs do not (${vals}): revisit the softmax temperature and the weight of the KD loss against the hard-label loss`,
    };
  }
  if (fssLevel === 'high' && aoaLevel === 'high') {
    return {
      code: 'well-aligned',
      severity: 'info',
      message: `both components are high (${vals}, at least ${t.high}): the student's representations and outputs are both close to the teacher's on these inputs${hasBaseline ? '' : '; this alone does not show that distillation worked — models trained independently on the same task score this high too, so compare with a baseline student (krs score --baseline)'}`,
    };
  }
  const levels = fssLevel === aoaLevel ? `both ${fssLevel}` : `FSS ${fssLevel}, AOA ${aoaLevel}`;
  return {
    code: 'moderate',
    severity: 'info',
    message: `neither component lags the other by ${t.gap} or more and they are not both high (${vals}: ${levels}): if the student is being distilled, stronger distillation (longer training, a better-matched teacher, a method that supervises features and outputs) may raise both`,
  };
}
