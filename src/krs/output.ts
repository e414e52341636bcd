/**
 * The output-agreement measure of each task, behind one batch shape, so that
 * {@link KrsMetric} can treat every task alike.
 *
 * | task                 | batch fields used                         | measure                        |
 * |----------------------|-------------------------------------------|--------------------------------|
 * | classification / nlp | teacherOutput, studentOutput, outputMask  | softmax KL agreement           |
 * | detection            | images (per-image detections)             | IoU agreement                  |
 * | segmentation         | teacherOutput, studentOutput              | mIoU agreement                 |
 * | regression           | teacherOutput, studentOutput              | normalised-MSE agreement       |
 */
import { errors } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { klAgreementMeasure, type KlAgreementOptions, type KlAgreementResult } from '../agreement/classification.js';
import { detectionAgreementMeasure, type DetectionAgreementOptions, type DetectionAgreementResult, type DetectionImage } from '../agreement/detection.js';
import { segmentationAgreementMeasure, type SegmentationAgreementOptions, type SegmentationAgreementResult } from '../agreement/segmentation.js';
import { regressionAgreementMeasure, type RegressionAgreementOptions, type RegressionAgreementResult } from '../agreement/regression.js';
import type { Measure } from '../core/measure.js';
import type { Task } from './presets.js';

export interface OutputBatch {
  teacherOutput?: Tensor;
  studentOutput?: Tensor;
  /** 0/1 positions mask for token-level nlp logits. */
  outputMask?: Tensor;
  /** Detection only: the images of this batch with both sides' detections. */
  images?: readonly DetectionImage[];
}

export type OutputOptions = KlAgreementOptions & DetectionAgreementOptions & SegmentationAgreementOptions & RegressionAgreementOptions;

export type OutputResult = KlAgreementResult | DetectionAgreementResult | SegmentationAgreementResult | RegressionAgreementResult;

function requireOutputs(batch: OutputBatch, task: Task): { teacher: Tensor; student: Tensor } {
  if (!batch.teacherOutput || !batch.studentOutput) {
    throw errors.badValue(`${task} batch`, 'no outputs', 'teacherOutput and studentOutput tensors');
  }
  return { teacher: batch.teacherOutput, student: batch.studentOutput };
}

/** Adapt a measure over another batch type to {@link OutputBatch}. */
function adapt<S, B, R>(m: Measure<S, B, R>, toBatch: (b: OutputBatch) => B): Measure<S, OutputBatch, R> {
  return { ...m, name: m.name, update: (state, batch) => m.update(state, toBatch(batch)) };
}

/** The output-agreement measure for a task. */
export function outputMeasure(task: Task, options: OutputOptions): Measure<unknown, OutputBatch, OutputResult> {
  switch (task) {
    case 'classification':
    case 'nlp':
      return adapt(klAgreementMeasure(options), (b) => ({ ...requireOutputs(b, task), ...(b.outputMask ? { mask: b.outputMask } : {}) })) as Measure<
        unknown,
        OutputBatch,
        OutputResult
      >;
    case 'detection':
      return adapt(detectionAgreementMeasure(options), (b) => {
        if (!b.images) throw errors.badValue('detection batch', 'no images', 'per-image teacher and student detections');
        return b.images;
      }) as Measure<unknown, OutputBatch, OutputResult>;
    case 'segmentation':
      return adapt(segmentationAgreementMeasure(options), (b) => requireOutputs(b, task)) as Measure<unknown, OutputBatch, OutputResult>;
    case 'regression':
      return adapt(regressionAgreementMeasure(options), (b) => requireOutputs(b, task)) as Measure<unknown, OutputBatch, OutputResult>;
  }
}
