/**
 * Tuning advice from the KRS components (the paper's §4.4, docs/formulas.md §"Diagnostics"): read what a
 * student's FSS and AOA say about how to improve its distillation.
 *
 * Levels, on the 0–100 scale: a component is `low` below `low` (default 40), `high` at or
 * above `high` (default 60), `medium` between.
 *
 * Findings on the components after KD (first matching rule):
 * 1. `capacity-gap` — both low: the student reproduces neither the teacher's representations
 *    nor its outputs. The paper ties this to shallow or mismatched students (AlexNet,
 *    WRN-16-1): try a larger student, a teacher assistant (an intermediate-size teacher), or
 *    check that the distillation loss is active at all.
 * 2. `feature-supervision` — AOA high and FSS low, or AOA − FSS ≥ `gap` (default 25): the
 *    student mimics the outputs without the internal structure; add feature-level
 *    supervision (FitNet-style hint layers, attention transfer, CKA or relational losses) at
 *    semantically rich layers.
 * 3. `output-calibration` — FSS high and AOA low, or FSS − AOA ≥ `gap`: the features align
 *    but the outputs do not; revisit the softmax temperature and the weight of the KD loss
 *    against the hard-label loss.
 * 4. `well-aligned` — both high.
 * 5. `moderate` — otherwise: neither lags by the gap and not both high; stronger distillation (more epochs, a
 *    better-matched teacher, a method that supervises both) may raise both.
 *
 * When only the gains are known (FSS and AOA null), rule 1–5 is replaced by
 * `components-unknown` (info).
 *
 * Findings on the change (when the components before KD are known or the gains are given),
 * added after the one above:
 * - `fss-decreased` / `aoa-decreased` — a component fell after KD (with the other rising,
 *   the paper's "conflict" case): the distillation objective is pulling against it.
 * - `no-gain` — ΔKRS ≤ 0: the distillation did not increase knowledge retention.
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
  | 'no-gain';

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
  if (fss !== null && aoa !== null) findings.push(componentFinding(fss, aoa, fssLevel!, aoaLevel!, t));
  else {
    const gains = known(deltaFss) && known(deltaAoa) ? ` (ΔFSS ${f1(deltaFss)}, ΔAOA ${f1(deltaAoa)})` : '';
    findings.push({
      code: 'components-unknown',
      severity: 'info',
      message: `only the gains are known${gains}: FSS and AOA after KD are needed for tuning advice`,
    });
  }
  if (known(deltaFss) && deltaFss < 0) {
    findings.push({
      code: 'fss-decreased',
      severity: 'warning',
      message: `FSS fell by ${f1(-deltaFss)} after distillation${known(deltaAoa) && deltaAoa > 0 ? ` while AOA rose by ${f1(deltaAoa)}` : ''}: the objective pulls the features away from the teacher's`,
    });
  }
  if (known(deltaAoa) && deltaAoa < 0) {
    findings.push({
      code: 'aoa-decreased',
      severity: 'warning',
      message: `AOA fell by ${f1(-deltaAoa)} after distillation${known(deltaFss) && deltaFss > 0 ? ` while FSS rose by ${f1(deltaFss)}` : ''}: the outputs moved away from the teacher's`,
    });
  }
  if (known(deltaKrs) && deltaKrs <= 0) {
    findings.push({ code: 'no-gain', severity: 'warning', message: `KRS did not rise after distillation (ΔKRS ${f1(deltaKrs)})` });
  }
  return { fss, aoa, fssLevel, aoaLevel, findings, thresholds: t };
}

/** The first matching rule of 1–5 in the module comment. */
function componentFinding(fss: number, aoa: number, fssLevel: Level, aoaLevel: Level, t: DiagnosisThresholds): Finding {
  const vals = `FSS ${f1(fss)}, AOA ${f1(aoa)}`;
  if (fssLevel === 'low' && aoaLevel === 'low') {
    return {
      code: 'capacity-gap',
      severity: 'advice',
      message: `both components are low (${vals}, below ${t.low}): the student may lack the capacity to absorb the teacher — try a larger student or a teacher assistant, and check that the distillation loss is active`,
    };
  }
  if ((aoaLevel === 'high' && fssLevel === 'low') || aoa - fss >= t.gap) {
    return {
      code: 'feature-supervision',
      severity: 'advice',
      message: `outputs agree but features do not (${vals}): add feature-level supervision (hint layers as in FitNet, attention transfer, CKA or relational losses) at semantically rich layers`,
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
      message: `both components are high (${vals}, at least ${t.high}): the student's representations and outputs are both close to the teacher's on these inputs`,
    };
  }
  const levels = fssLevel === aoaLevel ? `both ${fssLevel}` : `FSS ${fssLevel}, AOA ${aoaLevel}`;
  return {
    code: 'moderate',
    severity: 'info',
    message: `neither component lags the other by ${t.gap} or more and they are not both high (${vals}: ${levels}): stronger distillation (longer training, a better-matched teacher, a method that supervises features and outputs) may raise both`,
  };
}
