/**
 * The tasks krs knows, by name: adding one is its own file (a {@link TaskSpec}), its test and
 * one line here.
 */
import type { AgreementSpec } from '../agreement/spec.js';
import { errors } from '../core/errors.js';
import { classification } from './classification.js';
import { detection } from './detection.js';
import { nlp } from './nlp.js';
import { regression } from './regression.js';
import { segmentation } from './segmentation.js';
import type { ReportSection, TaskSpec } from './spec.js';

const REGISTRY = {
  classification,
  detection,
  segmentation,
  nlp,
  regression,
} as const satisfies Record<string, TaskSpec>;

/** A task's name. */
export type Task = keyof typeof REGISTRY;

type AgreementOptionsOf<T> = T extends { readonly agreement: AgreementSpec<infer O, infer _R> } ? O : never;
type Intersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/** Every registered task's agreement options, intersected: what `output` of the metric's options may hold (each agreement reads its own). */
export type OutputOptions = Intersection<AgreementOptionsOf<(typeof REGISTRY)[Task]>>;

/** Every task's name, in registry order. */
export const TASKS = Object.keys(REGISTRY) as readonly Task[];

/** Whether `name` is a known task. */
export function isTask(name: unknown): name is Task {
  return typeof name === 'string' && Object.hasOwn(REGISTRY, name);
}

/** The spec of a task. @throws BAD_OPTION (option `task`) for an unknown name, listing the known ones. */
export function taskSpec(name: string): TaskSpec {
  if (!isTask(name)) throw errors.badOption('task', name, TASKS.join(', '));
  return REGISTRY[name];
}

/**
 * Every capture key some task reads as something other than a layer: its output keys and its
 * token mask, in registry order without repeats (`logits`, `probs`, `attention_mask`, …).
 * Scoring never pairs these as layers.
 */
export const TASK_CAPTURE_KEYS: readonly string[] = [
  ...new Set(
    TASKS.flatMap((name) => {
      const spec: TaskSpec = REGISTRY[name];
      return [...spec.outputKeys, ...(spec.maskKey ? [spec.maskKey] : [])];
    }),
  ),
];

/** The first task whose report shows `section` (the forecast charts: regression), or undefined. */
export function taskWithReportSection(section: ReportSection): TaskSpec | undefined {
  return TASKS.map((name) => REGISTRY[name] as TaskSpec).find((t) => t.reportSections.includes(section));
}
