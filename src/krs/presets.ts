/**
 * Task presets (DESIGN.md §1, §2.1): the weight α of feature similarity and the
 * similarity each task uses by default.
 *
 * | task           | α   | similarity                                   | output agreement       |
 * |----------------|-----|----------------------------------------------|------------------------|
 * | classification | 0.3 | cka                                          | softmax KL agreement   |
 * | detection      | 0.7 | cka                                          | IoU agreement          |
 * | segmentation   | 0.7 | cka                                          | mIoU agreement         |
 * | nlp            | 0.5 | cosine when widths match, else cka (noted)   | softmax KL agreement   |
 * | regression     | 0.5 | cosine when widths match, else cka (noted)   | normalised MSE         |
 */
import { errors } from '../core/errors.js';
import type { Similarity } from '../similarity/layer-similarity.js';
import type { Pooling } from '../similarity/features.js';

export type Task = 'classification' | 'detection' | 'segmentation' | 'nlp' | 'regression';
export const TASKS: readonly Task[] = ['classification', 'detection', 'segmentation', 'nlp', 'regression'];

export interface TaskPreset {
  readonly alpha: number;
  /** `cosine-if-equal-widths`: cosine for a pair of equal widths, cka otherwise. */
  readonly similarity: Similarity | 'cosine-if-equal-widths';
  /** Pooling of rank-3 (sequence) activations. */
  readonly sequencePool: Pooling;
  /** Capture keys searched, in order, for the model output. */
  readonly outputKeys: readonly string[];
}

export const PRESETS: Readonly<Record<Task, TaskPreset>> = {
  classification: { alpha: 0.3, similarity: 'cka', sequencePool: 'flatten', outputKeys: ['logits', 'probs'] },
  detection: { alpha: 0.7, similarity: 'cka', sequencePool: 'flatten', outputKeys: [] },
  segmentation: { alpha: 0.7, similarity: 'cka', sequencePool: 'flatten', outputKeys: ['logits', 'probs', 'labels'] },
  nlp: { alpha: 0.5, similarity: 'cosine-if-equal-widths', sequencePool: 'mean', outputKeys: ['logits', 'probs'] },
  regression: { alpha: 0.5, similarity: 'cosine-if-equal-widths', sequencePool: 'flatten', outputKeys: ['predictions', 'outputs', 'logits'] },
};

/** The preset of a task. @throws BAD_OPTION for an unknown task, listing the known ones. */
export function presetOf(task: string): TaskPreset {
  if (!(TASKS as readonly string[]).includes(task)) throw errors.badOption('--task', task, TASKS.join(', '));
  return PRESETS[task as Task];
}

/**
 * The similarity a layer pair gets: the explicit choice if any, else the task's preset
 * (for nlp/regression: cosine when p = q, else cka with a note saying why).
 */
export function similarityFor(
  task: Task,
  explicit: Similarity | undefined,
  teacherWidth: number,
  studentWidth: number,
): { similarity: Similarity; note?: string } {
  if (explicit) return { similarity: explicit };
  const preset = PRESETS[task].similarity;
  if (preset !== 'cosine-if-equal-widths') return { similarity: preset };
  if (teacherWidth === studentWidth) return { similarity: 'cosine' };
  return {
    similarity: 'cka',
    note: `the ${task} preset uses cosine similarity, which needs equal widths; teacher width ${teacherWidth} ≠ student width ${studentWidth}, so CKA was used`,
  };
}
