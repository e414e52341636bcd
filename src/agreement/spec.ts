/**
 * The output-agreement plug-in contract (docs/architecture.md): an agreement is one file
 * exporting its streaming measure and an {@link AgreementSpec} — metadata, the measure over
 * the common {@link OutputBatch}, and the words that explain its result. A task names its
 * agreement in its TaskSpec (src/tasks/).
 */
import { errors } from '../core/errors.js';
import type { Measure, MeasureInfo } from '../core/measure.js';
import type { Tensor } from '../core/tensor.js';
import type { DetectionImage } from './detection.js';

/** What every task's outputs arrive as; each agreement reads the fields it needs. */
export interface OutputBatch {
  teacherOutput?: Tensor;
  studentOutput?: Tensor;
  /** 0/1 positions mask for token-level nlp logits. */
  outputMask?: Tensor;
  /** Detection only: the images of this batch with both sides' detections. */
  images?: readonly DetectionImage[];
}

/** The fields every agreement result has: its metric name, AOA in points and the samples. */
export interface AgreementResult {
  readonly metric: string;
  /** AOA, points (0–100). */
  readonly aoa: number;
  readonly n: number;
}

/**
 * One tunable number an agreement declares (e.g. detection's `scoreMin`). Its key in
 * {@link AgreementSpec.options} is its API name — the key of the agreement's options and of a
 * run's `output` settings; the CLI flag (`krs score`, `krs eval`, `krs explain`), the served
 * API's `settings.output` schema and the agreement's own check are generated from this
 * declaration (src/tasks/agreement-options.ts), so it is written nowhere else.
 */
export interface AgreementOption {
  /** The command-line flag, `--` and the key in kebab case (`--score-min`). */
  readonly flag: `--${string}`;
  /** The value's name in the flag's help (`s`). */
  readonly placeholder: string;
  /** What it sets, for `--help` and the API schema (the help reads `<help> (default <default>)`). */
  readonly help: string;
  /** The value when none is given: a number, or in words when it is computed from the data. */
  readonly default: number | string;
  /** Whether a given value is in the domain; else BAD_OPTION naming the option and {@link expected}. */
  readonly valid: (value: number) => boolean;
  /** The domain in words (`a finite number`). */
  readonly expected: string;
  /** Also null ("none", e.g. no ignored label), beside the numbers of its domain. */
  readonly nullable?: boolean;
}

/** The keys of an options type whose values are numbers: the ones an agreement declares as {@link AgreementOption}s. */
export type NumericOptionKeys<Options> = { [K in keyof Options]-?: NonNullable<Options[K]> extends number ? K : never }[keyof Options];

/**
 * A declared option's value from the given options: the default when absent (undefined or
 * null, unless {@link AgreementOption.nullable}: then null stays null), else the value checked
 * against the domain. @throws BAD_OPTION naming `key` and what it expects.
 */
export function declaredValue(key: string, option: AgreementOption, value: unknown): number | null {
  if (value === undefined || (value === null && !option.nullable)) return typeof option.default === 'number' ? option.default : null;
  if (value === null) return null;
  if (typeof value !== 'number' || !option.valid(value)) throw errors.badOption(key, value, option.expected);
  return value;
}

/** An output agreement: metadata, measure factory and the words for its result. */
export interface AgreementSpec<Options = unknown, Result extends AgreementResult = AgreementResult> extends MeasureInfo {
  /** The streaming measure over {@link OutputBatch}es. @throws BAD_OPTION for bad options. */
  measure(options: Options): Measure<unknown, OutputBatch, Result>;
  /**
   * Whether it reads per-class scores whose kind matters (logits, probabilities, sigmoid scores;
   * options `teacherInputs`/`studentInputs`): `krs score`, `krs eval` and `krs explain` then infer
   * each side's kind from the values when not set (src/agreement/output-kind.ts). Absent: false.
   */
  readonly readsOutputKinds?: boolean;
  /** Its tunable numbers by API name, every numeric option declared (see {@link AgreementOption}). */
  readonly options: { readonly [K in NumericOptionKeys<Options>]: AgreementOption };
  /** One line for the terminal: what was measured, with its extra figures. */
  summary(result: Result): string;
  /** A sentence for a report: what this AOA value means (100 = …). */
  meaning(result: Result): string;
}

/** Adapt a measure over another batch type to {@link OutputBatch}. */
export function overOutputs<S, B, R>(m: Measure<S, B, R>, toBatch: (b: OutputBatch) => B): Measure<S, OutputBatch, R> {
  return { ...m, update: (state, batch) => m.update(state, toBatch(batch)) };
}

/** The teacher and student output tensors of a batch. @throws BAD_VALUE when either is missing. */
export function requireOutputs(batch: OutputBatch, metric: string): { teacher: Tensor; student: Tensor } {
  if (!batch.teacherOutput || !batch.studentOutput) {
    throw errors.badValue(`${metric} batch`, 'no outputs', 'teacherOutput and studentOutput tensors');
  }
  return { teacher: batch.teacherOutput, student: batch.studentOutput };
}
