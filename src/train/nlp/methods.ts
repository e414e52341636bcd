/**
 * The NLP study's training methods (docs/studies.md §"NLP: SpamAssassin"): the baseline
 * (labels only: the pre-KD student) and the paper's three distillation methods, each with the
 * defaults of `losses.ts`:
 *
 * * `distilbert` — soft logits at T = 2 (w 5), the labels' cross-entropy (w 2) and the cosine
 *   loss on the last hidden states (w 1);
 * * `pkd` — Patient KD, PKD-skip: (1 − α)·CE + α·T²·KL at T = 5, α 0.5, plus β = 100 times the
 *   distance of the normalised [CLS] states of the intermediate layers;
 * * `tinybert` — hidden states (embeddings included) through a linear map, attention
 *   probabilities and soft cross-entropy of the logits at T = 1 (no labels: TinyBERT's task
 *   distillation).
 *
 * A student narrower than the teacher learns a linear map of its width to the teacher's
 * (seeded per student and method, trained with it); one as wide uses none.
 */
import { errors } from '../../core/errors.js';
import { tf } from '../tf.js';
import type { EncoderConfig, EncoderOutput } from './encoder.js';
import { createProjection, distilBertLoss, type Projection, patientKdLoss, tinyBertLoss } from './losses.js';
import type { TextBatch } from './train.js';

/** The methods of the study, the baseline first. */
export const NLP_METHODS = ['baseline', 'distilbert', 'pkd', 'tinybert'] as const;
export type NlpMethod = (typeof NLP_METHODS)[number];

/** The softmax temperature of each method's soft targets (null for the baseline). */
export const NLP_METHOD_TEMPERATURE: Readonly<Record<NlpMethod, number | null>> = { baseline: null, distilbert: 2, pkd: 5, tinybert: 1 };

/** A method's loss for the training loop, the extra variables it trains, and their release. */
export interface MethodLoss {
  /** Null for the baseline: the loop's own cross-entropy with the labels. */
  readonly loss: ((out: EncoderOutput, batch: TextBatch, teacher: EncoderOutput | null) => tf.Scalar) | null;
  readonly extraVariables: tf.Variable[];
  dispose(): void;
}

/**
 * The loss of `method` for `student` learning from `teacher` (their configurations).
 * @throws KrsError BAD_OPTION for an unknown method.
 */
export function methodLoss(method: string, teacher: EncoderConfig, student: EncoderConfig, seed: number): MethodLoss {
  if (!(NLP_METHODS as readonly string[]).includes(method)) throw errors.badOption('method', method, `one of ${NLP_METHODS.join(', ')}`);
  if (method === 'baseline') return { loss: null, extraVariables: [], dispose() {} };
  const projection: Projection | undefined =
    student.width === teacher.width ? undefined : createProjection(student.width, teacher.width, seed, `${student.name}:${method}`);
  const needTeacher = (t: EncoderOutput | null): EncoderOutput => {
    if (t === null) throw errors.internal(`the ${method} loss needs the teacher's outputs`);
    return t;
  };
  const loss = (out: EncoderOutput, batch: TextBatch, t: EncoderOutput | null): tf.Scalar => {
    const teacherOut = needTeacher(t);
    if (method === 'distilbert') return distilBertLoss(out, teacherOut, batch.oneHot, batch.attentionMask, { projection }).total;
    if (method === 'pkd') return patientKdLoss(out, teacherOut, batch.oneHot, { projection }).total;
    return tinyBertLoss(out, teacherOut, batch.attentionMask, { projection }).total;
  };
  return {
    loss,
    extraVariables: projection ? [projection.kernel, projection.bias] : [],
    dispose: () => {
      if (projection) tf.dispose([projection.kernel, projection.bias]);
    },
  };
}
