/**
 * The contract every study family plugs into (docs/studies.md §"The protocol"): the MLP
 * classification study, and the vision and NLP families to come. A family knows its data, its
 * networks and its training methods; the protocol (`run.ts`) knows the paper's design — one
 * teacher, students of several sizes each trained by every method from the same initial
 * weights, every student scored against the teacher by {@link KrsMetric} with intervals, every
 * KD student paired with the baseline (labels-only) student of its own size.
 */
import type { Tensor } from '../../core/tensor.js';
import type { KrsBatch, KrsMetricOptions, LayerPair } from '../../krs/metric.js';
import type { Task } from '../../tasks/registry.js';

/** A network's evaluation on the held-out set: what FSS, AOA and the task metric need. */
export interface HeldOut<Paired = unknown> {
  /** Activations of the layers FSS may pair, by layer name, [n, …] each. */
  readonly features: Readonly<Record<string, Tensor>>;
  /** The task metric on the held-out set, in percent (accuracy, mAP@0.5, mIoU…). */
  readonly metric: number;
  /** What the family needs for AOA and for the paired standard error (logits, predictions, detections…). */
  readonly outputs: Paired;
}

/** The part of a {@link KrsBatch} that carries outputs (logits, label maps, detections). */
export type OutputPart = Omit<KrsBatch, 'teacher' | 'student'>;

/** The data of a study, as results.json and the summary name them. */
export interface StudyData {
  /** Display name of the data set (`MNIST`). */
  label: string;
  /** What one sample is, plural (`digits`, `scenes`, `e-mails`). */
  unit: string;
  /** Where the data come from. */
  source: string;
  /** Samples available in all, and in the training and held-out sets. */
  total: number;
  train: number;
  test: number;
}

/** A student architecture of the study. */
export interface StudentSpec {
  /** Full name (`mlp-784-64-10`, `cnn-4-8-32`…). */
  readonly name: string;
  /** Short name for experiment ids and chart labels (`64`, `32x3`, `c4-8`). */
  readonly short: string;
  readonly params: number;
  /** How it differs from the teacher (`wide-shallow`, `narrow-deep`, `narrow`…). */
  readonly shape: string;
}

/** A training method: the baseline (labels only, the pre-KD student) or a KD method. */
export interface MethodSpec {
  /** Its id in tables: `baseline`, `kd-T4`, `fitnet`, `at`… */
  readonly method: string;
  /** The family's kind of method (`baseline` marks the pre-KD student). */
  readonly kind: string;
  /** Softmax temperature of the soft targets, or null. */
  readonly temperature: number | null;
}

/** What the protocol reports while it runs (a stage line, or a training batch). */
export type StudyEvent =
  | { type: 'stage'; message: string }
  | { type: 'batch'; model: string; phase: 'train' | 'kd'; epoch: number; epochs: number; batch: number; batches: number };

/** One family's networks, data and methods; the protocol drives it. */
export interface StudyFamily<Outputs = unknown> {
  /** The `demo` field of results.json (`mnist-study`), which also marks the output folder's mode. */
  readonly demo: string;
  /** `mlp`, `cnn`, `detector`, `segmenter`, `transformer`. */
  readonly family: string;
  readonly task: Task;
  /** The data set's name in the experiments table (`mnist`, `mnist-scenes`…). */
  readonly dataset: string;
  /** The task metric's name in tables (`accuracy`, `mAP@0.5`, `mIoU`). */
  readonly metric: string;
  /** Where the data come from and how they were split, for results.json. */
  readonly data: StudyData;
  readonly teacher: { name: string; params: number };
  readonly students: readonly StudentSpec[];
  /** The baseline first, then the KD methods. */
  readonly methods: readonly MethodSpec[];
  /** Train the teacher (once) and evaluate it on the held-out set. */
  trainTeacher(emit: (e: StudyEvent) => void): Promise<HeldOut<Outputs>>;
  /** Train one student by one method (from the architecture's shared initial weights) and evaluate it. */
  trainStudent(student: StudentSpec, method: MethodSpec, emit: (e: StudyEvent) => void): Promise<HeldOut<Outputs>>;
  /** The teacher/student layer pairs FSS averages for this student. */
  pairs(student: StudentSpec): LayerPair[];
  /** How activations and outputs are read when scoring (pooling of conv maps, channels-last, output kinds, the exact route of linear CKA, one similarity for every pair); the task's defaults when absent. */
  readonly scoring?: Pick<KrsMetricOptions, 'pool' | 'channelsLast' | 'output' | 'exactRoute' | 'similarity'>;
  /** The layers of the cross-layer CKA heatmap of the teacher against this student; every feature layer of each side when absent. */
  heatmapLayers?(student: StudentSpec): { teacher: string[]; student: string[] };
  /** The outputs AOA compares, teacher against student, as one KRS batch's output part. */
  outputBatch(teacher: HeldOut<Outputs>, student: HeldOut<Outputs>): OutputPart;
  /** Paired standard error (points) of metric(post) − metric(pre) on the same held-out samples. */
  pairedSe(pre: HeldOut<Outputs>, post: HeldOut<Outputs>): number;
  /** Caveats about a trained teacher (e.g. an accuracy below what the family expects). */
  teacherWarnings(teacher: HeldOut<Outputs>): string[];
  /** Release what the family holds (tensors of the training set, teacher targets). */
  dispose(): void;
}
