/**
 * Node-only: the paper's protocol (§4.2) over any {@link StudyFamily} — the one experiment
 * runner of every study.
 *
 * 1. Train the teacher once; evaluate it on the held-out set.
 * 2. For each student size, for each method (the baseline first): train from the size's shared
 *    initial weights, evaluate on the held-out set, score against the teacher with
 *    {@link KrsMetric} (jackknife 95 % intervals over `intervalGroups` groups of held-out
 *    samples). Only the baseline's evaluation is kept (the pre-KD side of its size's
 *    experiments); each KD student is paired with it as soon as it is scored.
 * 3. Write the experiments table (`krs analyze`'s input), the study table and results.json;
 *    the hooks analyse the table and write the report.
 */
import * as path from 'node:path';
import { fixed } from '../../core/units.js';
import { ensureDir, writeFileAtomic } from '../../io/node-atomic-write.js';
import { KrsMetric, type KrsResult } from '../../krs/metric.js';
import type { MatrixBackend } from '../../linalg/backend.js';
import { CrossLayerCka, type CrossLayerEstimator } from '../../similarity/cross-layer.js';
import type { ExactRoute } from '../../similarity/spec.js';
import { VERSION } from '../../version.js';
import type { DemoFiles } from '../demo.js';
import { experimentsCsv } from '../experiments.js';
import { finishRun, type RunHooks, secondsSince } from '../finish-run.js';
import type { HeldOut, MethodSpec, StudentSpec, StudyData, StudyEvent, StudyFamily } from './family.js';
import { experimentRows, pairExperiment, type StudyExperiment, type StudyStudent, type StudySummary, studentRow, studyCsv, studySummary } from './results.js';

/** The protocol's own settings (the family holds its data, networks and training settings). */
export interface ProtocolSettings {
  seed: number;
  quick: boolean;
  /** α of KRS (the task's preset: classification 0.3, detection and segmentation 0.7, nlp 0.5). */
  alpha: number;
  /** Jackknife groups of the per-student intervals. */
  intervalGroups: number;
}

/** The protocol's settings out of a study's configuration (which holds them among its own). */
export const protocolSettings = (c: ProtocolSettings): ProtocolSettings => ({ seed: c.seed, quick: c.quick, alpha: c.alpha, intervalGroups: c.intervalGroups });

/** What a study run writes (no captures, no per-epoch table). */
export interface StudyFiles extends Omit<DemoFiles, 'epochsCsv' | 'captures'> {
  study: string;
}

export interface StudyResult<Config = unknown> {
  demo: string;
  family: string;
  task: string;
  dataset: string;
  metric: string;
  version: string;
  seed: number;
  quick: boolean;
  config: Config;
  data: StudyData;
  alpha: number;
  teacher: { arch: string; params: number; metric: number; seconds: number };
  students: StudyStudent[];
  experiments: StudyExperiment[];
  summary: StudySummary;
  /** Cross-layer CKA of the teacher's layers against each student's (every size, every method); empty with `heatmaps: false`. */
  heatmaps: StudyHeatmap[];
  /** What the analysis hook returned (`krs analyze` over the experiments table), or null. */
  analysis: unknown;
  files: StudyFiles;
  warnings: string[];
  seconds: number;
}

export type StudyHooks = RunHooks<StudyFiles, StudyResult>;

/** The cross-layer CKA matrix of the teacher against one student, on the held-out set. */
export interface StudyHeatmap {
  arch: string;
  short: string;
  method: string;
  teacherLayers: string[];
  studentLayers: string[];
  /** cka[i][j]: linear CKA (fraction) of teacher layer i and student layer j; null when undefined. */
  cka: (number | null)[][];
  /** How the matrix was computed: always `exact` here. */
  estimator: CrossLayerEstimator;
  /** The exact route chosen by cost (`feature-space` or `sample-space`, as `krs heatmap` chooses it). */
  route: ExactRoute | null;
  /** Held-out samples the matrix is computed on. */
  n: number;
}

export interface RunProtocolOptions {
  out: string;
  backend?: MatrixBackend;
  onEvent?: (e: StudyEvent) => void;
  hooks?: StudyHooks;
  /** Compute the cross-layer CKA matrix of every student (default true; `krs demo --study --no-heatmaps` turns it off). */
  heatmaps?: boolean;
}

/** The teacher's evaluation and its summary line in results.json. */
interface TrainedTeacher<O> {
  held: HeldOut<O>;
  row: StudyResult['teacher'];
}

/** Run the protocol on `family` and write results.json, study.csv, experiments.csv/.json (and what the hooks write) to `options.out`. */
export async function runProtocol<O, Config>(
  family: StudyFamily<O>,
  settings: ProtocolSettings,
  config: Config,
  options: RunProtocolOptions,
): Promise<StudyResult<Config>> {
  const t0 = performance.now();
  const emit = options.onEvent ?? (() => {});
  ensureDir(options.out, 'the study outputs into');
  try {
    const teacher = await trainTeacher(family, emit);
    const { students, experiments, heatmaps } = await trainStudents(family, teacher, settings, options, emit);
    const result: StudyResult<Config> = {
      demo: family.demo,
      family: family.family,
      task: family.task,
      dataset: family.dataset,
      metric: family.metric,
      version: VERSION,
      seed: settings.seed,
      quick: settings.quick,
      config,
      data: family.data,
      alpha: settings.alpha,
      teacher: teacher.row,
      students,
      experiments,
      summary: studySummary(students, experiments),
      heatmaps,
      analysis: null,
      files: writeTables(family, settings.alpha, students, experiments, options.out),
      warnings: settings.quick ? [] : family.teacherWarnings(teacher.held),
      seconds: 0,
    };
    const rows = experimentRows(family, settings.alpha, students, experiments);
    return (await finishRun(result as StudyResult, rows, options.out, options.hooks, t0, (message) => emit({ type: 'stage', message }))) as StudyResult<Config>;
  } finally {
    family.dispose();
  }
}

async function trainTeacher<O>(family: StudyFamily<O>, emit: (e: StudyEvent) => void): Promise<TrainedTeacher<O>> {
  const start = performance.now();
  emit({ type: 'stage', message: `teacher ${family.teacher.name} (${family.teacher.params} parameters)` });
  const held = await family.trainTeacher(emit);
  const seconds = secondsSince(start);
  emit({ type: 'stage', message: `teacher: held-out ${family.metric} ${fixed(held.metric, 2)}% (${fixed(seconds, 0)} s)` });
  return { held, row: { arch: family.teacher.name, params: family.teacher.params, metric: held.metric, seconds } };
}

/** Every student size by every method, scored and paired with its size's baseline. */
async function trainStudents<O>(
  family: StudyFamily<O>,
  teacher: TrainedTeacher<O>,
  settings: ProtocolSettings,
  options: Pick<RunProtocolOptions, 'backend' | 'heatmaps'>,
  emit: (e: StudyEvent) => void,
): Promise<{ students: StudyStudent[]; experiments: StudyExperiment[]; heatmaps: StudyHeatmap[] }> {
  const backend = options.backend;
  const students: StudyStudent[] = [];
  const experiments: StudyExperiment[] = [];
  const heatmaps: StudyHeatmap[] = [];
  const total = family.students.length * family.methods.length;
  for (const [a, student] of family.students.entries()) {
    let base: { row: StudyStudent; held: HeldOut<O> } | null = null;
    for (const [m, method] of family.methods.entries()) {
      const start = performance.now();
      const held = await family.trainStudent(student, method, emit);
      const scored = await scoreStudent(family, teacher.held, held, student, settings, backend);
      if (options.heatmaps !== false) heatmaps.push(await crossLayer(family, teacher.held, held, student, method, backend));
      const row = studentRow(student, method, family.teacher.params, held.metric, scored, secondsSince(start));
      students.push(row);
      if (base === null) base = { row, held };
      else experiments.push(pairExperiment(student, base.row, row, family.pairedSe(base.held, held)));
      emit({ type: 'stage', message: studentLine(a * family.methods.length + m + 1, total, student, method, family.metric, row) });
    }
  }
  return { students, experiments, heatmaps };
}

/** The cross-layer CKA matrix of the teacher against one student on the held-out set (exact, by the cheaper route for the known sample count, as `krs heatmap`). */
async function crossLayer<O>(
  family: StudyFamily<O>,
  teacher: HeldOut<O>,
  student: HeldOut<O>,
  spec: StudentSpec,
  method: MethodSpec,
  backend: MatrixBackend | undefined,
): Promise<StudyHeatmap> {
  const layers = family.heatmapLayers?.(spec) ?? { teacher: Object.keys(teacher.features), student: Object.keys(student.features) };
  const pick = (held: HeldOut<O>, names: string[]) => Object.fromEntries(names.map((n) => [n, held.features[n]!]));
  const first = teacher.features[layers.teacher[0]!]!;
  const matrix = new CrossLayerCka(layers.teacher, layers.student, {
    ...(family.scoring?.pool ? { pool: family.scoring.pool } : {}),
    ...(family.scoring?.channelsLast !== undefined ? { channelsLast: family.scoring.channelsLast } : {}),
    ...(backend ? { backend } : {}),
    samples: first.shape[0]!,
  });
  await matrix.update(pick(teacher, layers.teacher), pick(student, layers.student));
  const r = await matrix.compute();
  return {
    arch: spec.name,
    short: spec.short,
    method: method.method,
    teacherLayers: r.teacherLayers,
    studentLayers: r.studentLayers,
    cka: r.cka,
    estimator: r.estimator,
    route: r.route,
    n: r.n,
  };
}

function studentLine(k: number, total: number, student: StudentSpec, method: MethodSpec, metric: string, row: StudyStudent): string {
  return `student ${k}/${total}: ${student.name} ${method.method}: ${metric} ${fixed(row.metric, 2)}%  FSS ${fixed(row.fss, 2)}  AOA ${fixed(row.aoa, 2)}  KRS ${fixed(row.krs, 2)}  (${fixed(row.seconds, 0)} s)`;
}

/** Score a student's held-out evaluation against the teacher's, with jackknife intervals. */
async function scoreStudent<O>(
  family: StudyFamily<O>,
  teacher: HeldOut<O>,
  student: HeldOut<O>,
  spec: StudentSpec,
  settings: ProtocolSettings,
  backend: MatrixBackend | undefined,
): Promise<KrsResult> {
  const pairs = family.pairs(spec);
  const first = teacher.features[pairs[0]!.teacher]!;
  const metric = new KrsMetric({
    task: family.task,
    pairs,
    alpha: settings.alpha,
    backend,
    intervals: { groups: settings.intervalGroups, samples: first.shape[0]! },
    ...family.scoring,
  });
  const side = (held: HeldOut<O>, names: string[]) => Object.fromEntries(names.map((n) => [n, held.features[n]!]));
  await metric.update({
    teacher: side(teacher, [...new Set(pairs.map((p) => p.teacher))]),
    student: side(student, [...new Set(pairs.map((p) => p.student))]),
    ...family.outputBatch(teacher, student),
  });
  return metric.compute();
}

/** Write experiments.csv/.json and study.csv; the files of the run. */
function writeTables(family: StudyFamily<unknown>, alpha: number, students: StudyStudent[], experiments: StudyExperiment[], out: string): StudyFiles {
  const rows = experimentRows(family, alpha, students, experiments);
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
  return files;
}
