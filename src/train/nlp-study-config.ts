/**
 * The NLP study's settings (`krs demo --study --family nlp`): the paper's NLP protocol on the
 * SpamAssassin corpus — a 4-layer BERT-style teacher and students of four sizes, each trained
 * by the baseline (labels only) and by DistilBERT-style, Patient KD and TinyBERT-style
 * distillation from the size's shared initial weights — 4 sizes × 3 KD methods = 12
 * experiments, scored on the held-out e-mails.
 *
 * Why 64 tokens (docs/studies.md §"NLP: SpamAssassin", measured): at 128 tokens a full study
 * costs ≈ 78 CPU-minutes (≈ 44 on two cores), over the 25-minute budget even on both cores;
 * at 64 tokens the full run measured 15.5 CPU-minutes on one process (89 % of the e-mails fill
 * the window; the teacher loses nothing measurable).
 */
import { errors } from '../core/errors.js';
import { NLP_SIZES } from './nlp/encoder.js';
import { NLP_METHODS, type NlpMethod } from './nlp/methods.js';
import { MAX_SEQUENCE } from './nlp/tokenizer.js';
import { checkFiniteNumbers, checkPositiveIntegers, checkStudyCommon, studyConfigFrom } from './protocol/config.js';

/** The shape of one encoder of the study (4 heads each: TinyBERT pairs heads one to one). */
export interface NlpModelSize {
  readonly name: string;
  readonly layers: number;
  readonly heads: number;
  readonly width: number;
}

export interface NlpStudyConfig {
  seed: number;
  quick: boolean;
  /** Tokens per sequence, [CLS] and [SEP] included. */
  maxLength: number;
  /** Vocabulary entries, special tokens included (built on the training e-mails). */
  maxVocab: number;
  /** Training e-mails: a seeded stratified subset of the training split, or null for all of it. */
  trainSize: number | null;
  /** Held-out e-mails: a seeded subset of the held-out split, or null for all of it. */
  testSize: number | null;
  teacher: NlpModelSize;
  students: NlpModelSize[];
  methods: NlpMethod[];
  teacherEpochs: number;
  studentEpochs: number;
  batchSize: number;
  learningRate: number;
  /** α of KRS (the nlp preset 0.5, the paper's). */
  alpha: number;
  /** Jackknife groups of the intervals and of the paired F1 standard error. */
  intervalGroups: number;
}

export const NLP_STUDY_DEFAULTS: Omit<NlpStudyConfig, 'seed' | 'quick'> = {
  maxLength: 64,
  maxVocab: 8000,
  trainSize: null,
  testSize: null,
  teacher: NLP_SIZES.teacher,
  students: [...NLP_SIZES.students],
  methods: [...NLP_METHODS],
  teacherEpochs: 3,
  studentEpochs: 2,
  batchSize: 32,
  learningRate: 1e-3,
  alpha: 0.5,
  intervalGroups: 20,
};

/**
 * `--quick` (CI, ≤ 30 CPU-seconds): 600 training / 300 held-out e-mails, 32 tokens, a 2-layer
 * teacher of width 32 (2 epochs), two small students (1 epoch), batches of 16 at a learning
 * rate of 5e-3 — at the full settings' 1e-3 and 32 one epoch of 600 e-mails is 19 steps, and
 * every network still predicts "ham" for every e-mail.
 */
export const NLP_STUDY_QUICK: Partial<NlpStudyConfig> = {
  maxLength: 32,
  maxVocab: 2000,
  trainSize: 600,
  testSize: 300,
  teacher: { name: 'teacher', layers: 2, heads: 4, width: 32 },
  students: [
    { name: 'student-l1-w32', layers: 1, heads: 4, width: 32 },
    { name: 'student-l2-w16', layers: 2, heads: 4, width: 16 },
  ],
  teacherEpochs: 2,
  studentEpochs: 1,
  batchSize: 16,
  learningRate: 5e-3,
  intervalGroups: 10,
};

/**
 * The configuration of an NLP study run; unset values take the full or quick defaults.
 * @throws KrsError BAD_OPTION for a value out of range (named as its command-line flag).
 */
export function nlpStudyConfig(settings: Partial<NlpStudyConfig> = {}): NlpStudyConfig {
  const c = studyConfigFrom<NlpStudyConfig>(NLP_STUDY_DEFAULTS, NLP_STUDY_QUICK, settings);
  checkStudyCommon(c);
  checkPositiveIntegers([
    ['teacherEpochs', c.teacherEpochs],
    ['epochs', c.studentEpochs],
    ['batchSize', c.batchSize],
  ]);
  if (c.trainSize !== null && !(Number.isInteger(c.trainSize) && c.trainSize >= 2))
    throw errors.badOption('trainSize', c.trainSize, 'an integer ≥ 2 (training e-mails)');
  if (c.testSize !== null && !(Number.isInteger(c.testSize) && c.testSize >= 40)) {
    throw errors.badOption('testSize', c.testSize, 'at least 40 held-out e-mails (for the jackknife groups)');
  }
  if (!(Number.isInteger(c.maxLength) && c.maxLength >= 4 && c.maxLength <= MAX_SEQUENCE))
    throw errors.badOption('maxLength', c.maxLength, `an integer from 4 to ${MAX_SEQUENCE}`);
  checkFiniteNumbers([['learningRate', c.learningRate]], 'positive');
  if (c.methods[0] !== 'baseline' || c.methods.length < 2)
    throw errors.badOption('methods', c.methods.join(','), 'the baseline first, then one or more KD methods');
  return c;
}
