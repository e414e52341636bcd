/**
 * Hand-made inputs for the report tests, modelled on the paper's published numbers (its
 * Figures 3–5 and Table 6: e.g. ResNet-18 on CIFAR-100, FSS 32 → 39 and AOA 47 → 83 under SKD,
 * KRS 42.5 → 69.8; COCO UET ΔFSS +44, ΔAOA +18, ΔKRS +36.2). The statistics are computed with
 * src/stats, as the analysis does, so the numbers hang together.
 */
import type { AnalysisView, ExperimentView, TaskView } from '../../src/report/analysis-view.js';
import type { EpochPoint, StudentEpochs } from '../../src/report/charts/epochs.js';
import type { MatrixLike } from '../../src/report/charts/heatmap.js';
import type { RegressionPredictions } from '../../src/report/charts/regression.js';
import type { ReportScore } from '../../src/report/report.js';
import { alphaSweep, fiveNumberSummary, kendallTau, meanCi, pairedTTest, pearson } from '../../src/stats/index.js';

type Row = [
  id: string,
  task: string,
  method: string,
  student: string,
  dataset: string,
  fssPre: number,
  aoaPre: number,
  fssPost: number,
  aoaPost: number,
  metricPre: number,
  metricPost: number,
];

const ROWS: Row[] = [
  ['1', 'classification', 'Vanilla KD', 'ResNet-18', 'CIFAR-100', 32, 47, 36, 67, 71.2, 74.8],
  ['2', 'classification', 'SKD', 'ResNet-18', 'CIFAR-100', 32, 47, 39, 83, 71.2, 77.1],
  ['3', 'classification', 'Vanilla KD', 'AlexNet', 'CIFAR-100', 26, 38, 27, 57, 55.2, 58.9],
  ['4', 'classification', 'SKD', 'AlexNet', 'CIFAR-100', 26, 38, 27, 62, 55.2, 59.7],
  ['13', 'detection', 'FitNet', 'WRN-16-1', 'COCO', 40, 30, 46, 41, 30.1, 32.2],
  ['14', 'detection', 'ART', 'WRN-16-1', 'COCO', 40, 30, 65, 35, 30.1, 34.8],
  ['18', 'detection', 'UET', 'WRN-16-1', 'COCO', 40, 30, 84, 48, 30.1, 37.1],
  ['21', 'detection', 'UET', 'EfficientNet-Lite', 'PASCAL VOC', 45, 35, 82, 46, 40.2, 46.8],
  ['25', 'segmentation', 'GKD', 'ResNet-18', 'Oxford-IIIT Pet', 38, 50, 52, 56, 61.2, 64.8],
  ['26', 'segmentation', 'GLD', 'ResNet-18', 'Oxford-IIIT Pet', 38, 50, 69, 60, 61.2, 70.1],
  ['27', 'segmentation', 'CRCD', 'ResNet-18', 'Oxford-IIIT Pet', 38, 50, 58, 61, 61.2, 67.5],
  ['28', 'segmentation', 'GLD', 'AlexNet', 'Oxford-IIIT Pet', 30, 42, 48, 48, 48.8, 55.1],
];

const ALPHA: Record<string, number> = { classification: 0.3, detection: 0.7, segmentation: 0.7 };
const METRIC: Record<string, string> = { classification: 'accuracy', detection: 'mAP', segmentation: 'IoU' };

export function paperExperiments(): ExperimentView[] {
  return ROWS.map(([id, task, method, student, dataset, fssPre, aoaPre, fssPost, aoaPost, metricPre, metricPost]) => {
    const a = ALPHA[task]!;
    const krsPre = a * fssPre + (1 - a) * aoaPre;
    const krsPost = a * fssPost + (1 - a) * aoaPost;
    return {
      id,
      task,
      method,
      student,
      dataset,
      alpha: a,
      fssPre,
      aoaPre,
      fssPost,
      aoaPost,
      krsPre,
      krsPost,
      deltaKrs: krsPost - krsPre,
      deltaFss: fssPost - fssPre,
      deltaAoa: aoaPost - aoaPre,
      metric: METRIC[task]!,
      metricPre,
      metricPost,
    };
  });
}

export function paperAnalysis(): AnalysisView {
  const experiments = paperExperiments();
  const tasks: TaskView[] = [...new Set(experiments.map((e) => e.task))].map((task) => {
    const es = experiments.filter((e) => e.task === task);
    const pre = es.map((e) => e.krsPre!);
    const post = es.map((e) => e.krsPost!);
    const r = pearson(
      post,
      es.map((e) => e.metricPost!),
    );
    const t = pairedTTest(post, pre);
    const mc = (v: number[]) => {
      const m = meanCi(v);
      return { mean: m.mean!, ci95: m.ci ? ([m.ci[0], m.ci[1]] as [number, number]) : null };
    };
    return {
      task,
      n: es.length,
      metric: METRIC[task]!,
      alpha: ALPHA[task]!,
      pearson: r.r === null || r.p === null ? null : { r: r.r, p: r.p },
      pearsonOn: 'post',
      pairedT: t.t === null || t.p === null || t.df === null ? null : { t: t.t, df: t.df, p: t.p },
      pre: mc(pre),
      post: mc(post),
      preBox: fiveNumberSummary(pre),
      postBox: fiveNumberSummary(post),
    } as TaskView;
  });
  const methods = [...new Set(experiments.map((e) => e.method))];
  const gain = (m: string, f: (e: ExperimentView) => number) => {
    const es = experiments.filter((e) => e.method === m);
    return es.reduce((s, e) => s + f(e), 0) / es.length;
  };
  const rank = (f: (e: ExperimentView) => number) =>
    methods
      .map((m) => ({ method: m, gain: gain(m, f) }))
      .sort((a, b) => b.gain - a.gain)
      .map((m, i) => ({ ...m, rank: i + 1 }));
  const byMetric = rank((e) => e.metricPost! - e.metricPre!);
  const byKrs = rank((e) => e.deltaKrs);
  const k = kendallTau(
    methods.map((m) => byMetric.find((x) => x.method === m)!.gain),
    methods.map((m) => byKrs.find((x) => x.method === m)!.gain),
  );
  const best = (task: string) => experiments.filter((e) => e.task === task).sort((a, b) => b.metricPost! - a.metricPost!)[0]!;
  const sweeps = tasks.map((t) => {
    const e = best(t.task);
    return {
      label: `${t.task}: #${e.id} ${e.method}, ${e.student}, ${e.dataset}`,
      task: t.task,
      alpha: e.alpha!,
      points: alphaSweep(e.fssPost!, e.aoaPost!).points,
    };
  });
  return {
    experiments,
    tasks,
    methods: { byMetric, byKrs, kendall: k.tau === null || k.p === null ? null : { tau: k.tau, p: k.p } },
    sweeps,
    diagnostics: [
      'Detection and segmentation gains are FSS-dominant (e.g. #18 UET: ΔFSS +44 vs ΔAOA +18); with α = 0.7 KRS follows the features.',
      'Classification gains are AOA-dominant (e.g. #2 SKD: ΔAOA +36 vs ΔFSS +7): the students imitate outputs more than features; feature-level supervision would raise FSS.',
    ],
    warnings: [],
    source: 'experiments.csv',
  };
}

/** A classification score like the README's example. */
export function sampleScore(): ReportScore {
  return {
    task: 'classification',
    n: 64,
    alpha: 0.3,
    beta: 0.7,
    fss: 71.97,
    aoa: 93.94,
    krs: 87.349,
    similarity: 'cka',
    pool: 'flatten',
    teacherFile: 'teacher.npz',
    studentFile: 'student.npz',
    ids: 'ids',
    layers: [
      { teacher: 'conv', student: 'conv', score: 56.77, similarity: 'cka', estimator: 'exact' },
      { teacher: 'fc', student: 'fc', score: 87.17, similarity: 'cka', estimator: 'exact' },
    ],
    output: {
      metric: 'kl-agreement',
      aoa: 93.94,
      n: 64,
      meanKl: 0.0682,
      top1Agreement: 0.906,
      top5Overlap: 0.884,
      jsDivergence: 0.0165,
      temperature: 1,
    } as ReportScore['output'],
    warnings: ["student samples were reordered by 'ids' to match the teacher's order"],
    // Reference levels (src/krs/reference-levels.ts): KRS of the null = 0.3 × 3.12 + 0.7 × 11.48; of the baseline = 0.3 × 65.4 + 0.7 × 92.1.
    reference: {
      teacher: 100,
      null: {
        fss: 3.12,
        aoa: 11.48,
        krs: 8.972,
        layers: [
          { teacher: 'conv', student: 'conv', score: 4.1 },
          { teacher: 'fc', student: 'fc', score: 2.14 },
        ],
        seed: 1,
        method: 'shuffled',
      },
      baseline: {
        file: 'baseline.npz',
        fss: 65.4,
        aoa: 92.1,
        krs: 84.09,
        ci95: { fss: [62.1, 68.7], aoa: [90.2, 94.0], krs: [82.3, 85.9] },
        delta: {
          krs: 3.259,
          fss: 6.57,
          aoa: 1.84,
          ci95: { krs: [1.12, 5.4], fss: [2.9, 10.24], aoa: [0.31, 3.37] },
          se: { krs: 1.02, fss: 1.75, aoa: 0.73 },
          p: { krs: 0.0052, fss: 0.0013, aoa: 0.0207 },
          groups: 20,
          reasons: {},
        },
      },
    },
  };
}

/** A teacher with 6 layers and a student with 4, CKA falling off the diagonal; one undefined cell. */
export function sampleMatrix(shift = 0): MatrixLike {
  const t = ['conv1', 'layer1', 'layer2', 'layer3', 'layer4', 'fc'];
  const s = ['conv1', 'block1', 'block2', 'fc'];
  const cka = t.map((_, i) =>
    s.map((_, j) => {
      if (i === 2 && j === 1 && shift === 0) return null;
      const d = Math.abs(i / (t.length - 1) - j / (s.length - 1));
      return Math.min(1, Math.max(0, 0.95 - 1.1 * d + shift));
    }),
  );
  return { teacherLayers: t, studentLayers: s, cka, estimator: 'exact', n: 500 };
}

/**
 * Scores after every epoch of three students, shaped like the demo's: a shared epoch 0, a
 * baseline and a KD student for 4 epochs, and a FitNet student whose 2 hint epochs (outputs
 * untrained: AOA and accuracy near chance) come before 4 KD epochs.
 */
export function sampleEpochs(): StudentEpochs[] {
  const init: EpochPoint = { epoch: 0, phase: 'init', accuracy: 0.07, fss: 51.1, aoa: 11.5, krs: 0.3 * 51.1 + 0.7 * 11.5 };
  const curve = (phase: string, first: number, fss: number[], aoa: number[], acc: number[]): EpochPoint[] =>
    fss.map((f, i) => ({ epoch: first + i, phase, accuracy: acc[i]!, fss: f, aoa: aoa[i]!, krs: 0.3 * f + 0.7 * aoa[i]! }));
  return [
    {
      label: 'baseline (hard labels only)',
      epochs: [init, ...curve('train', 1, [83.1, 84.8, 85.1, 85.1], [82.1, 87.5, 89.6, 91.8], [0.894, 0.91, 0.9205, 0.933])],
    },
    { label: 'kd-T4 (vanilla KD, T=4)', epochs: [init, ...curve('kd', 1, [85.1, 86.9, 88.3, 89.0], [85.9, 89.1, 92.5, 94.0], [0.8795, 0.904, 0.926, 0.9325])] },
    {
      label: 'fitnet (FitNet hint + KD, T=4)',
      epochs: [
        init,
        ...curve('hint', 1, [88.0, 90.0], [11.7, 12.3], [0.107, 0.119]),
        ...curve('kd', 3, [86.4, 87.6, 89.2, 89.7], [83.7, 89.2, 93.0, 93.8], [0.866, 0.903, 0.93, 0.9355]),
      ],
    },
  ];
}

/** A 3-step forecast of a seasonal series, deterministic: teacher = truth + a step-growing wiggle, student = teacher + a bias and another wiggle. */
export function sampleRegression(n = 60, horizon = 3): RegressionPredictions {
  const truth: number[] = [];
  const teacher: number[] = [];
  const student: number[] = [];
  for (let i = 0; i < n; i++)
    for (let s = 0; s < horizon; s++) {
      const t = i + s + 1;
      const y = 10 + 2 * Math.sin((2 * Math.PI * t) / 24);
      const yt = y + 0.1 * (s + 1) * Math.sin(1.7 * t);
      truth.push(y);
      teacher.push(yt);
      student.push(yt + 0.05 + 0.08 * (s + 1) * Math.cos(2.3 * t));
    }
  return { teacher, student, truth, horizon, ids: Array.from({ length: n }, (_, i) => `t${i}`) };
}
