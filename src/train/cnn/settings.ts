/**
 * The CNN study's training settings and methods, as measured on the wasm backend (single
 * thread, TensorFlow.js 4.22 with the training kernels of src/train/wasm-kernels.ts; 6 000
 * training and 2 000 held-out MNIST digits, seed 1, Adam with cosine decay, batch 64).
 *
 * Training throughput, digits per CPU-second of the process (wall-clock speeds were 4–10×
 * lower on the shared machine they were measured on, load 17–22 on 2 cores; CPU time stands
 * for one idle core; the smallest student is no faster than the middle one, its time going
 * to per-kernel overhead):
 *
 * | network                 | parameters | baseline |    KD |    AT | FitNet (hint + KD) |
 * |-------------------------|-----------:|---------:|------:|------:|-------------------:|
 * | teacher cnn-6-16-120-84 |     61 706 |      991 |       |       |                    |
 * | student cnn-2-4-32-16   |      4 186 |    2 160 | 2 183 | 1 988 |              2 233 |
 * | student cnn-3-8-48-32   |     12 232 |    2 412 | 2 715 | 2 204 |              2 514 |
 * | student cnn-4-12-80-56  |     30 502 |    1 746 | 1 630 | 1 454 |              1 830 |
 *
 * Inference: about 7 000 digits per CPU-second (teacher).
 *
 * Accuracy on the 2 000 held-out digits: the teacher 96.9 % after 3 epochs, 97.7 % after 8,
 * 98.4 % after 15 (random shifts of ±2 pixels); the students' baselines after 5 epochs 94.0 %,
 * 95.0 % and 97.0 % (smallest first) — the spread the study needs, LeNet-5 itself being a
 * teacher clearly above its students (a wider teacher would cost ~6× its conv time for a few
 * tenths of a point, and a larger capacity gap does not make a better teacher: Mirzadeh et al. 2020).
 *
 * A full run at these settings (teacher 15 epochs; 3 student sizes × 6 trainings of 5 epochs,
 * FitNet 1 hint epoch more; 18 students scored, 15 post-KD experiments): ≈ 90 s teacher +
 * ≈ 275 s students + scoring — ≈ 0.5 s a student with the conv stages pooled per channel,
 * ≈ 27 s flattened (20 jackknife groups on 4 000 digits) — ≈ 6.5 min of one idle core
 * pooled, ≈ 15 min flattened; with 10 student epochs ≈ 11 and ≈ 19 min. All inside 25
 * minutes on an idle core, not on a machine as loaded as the measuring one.
 */
import { createRng } from '../../core/rng.js';
import type { CnnArchitecture } from './models.js';
import type { CnnMethod } from './train.js';

/** Training settings of the CNN study (the MLP study's names, src/train/study-config.ts). */
export interface CnnTrainingSettings {
  teacherEpochs: number;
  studentEpochs: number;
  /** FitNet's hint epochs, before its `studentEpochs` of KD. */
  hintEpochs: number;
  batchSize: number;
  learningRate: number;
  /** The teacher's random-shift augmentation, in pixels (src/train/augment.ts); 0 for none. */
  teacherShift: number;
  temperatures: readonly number[];
  /** λ, the weight of the soft targets in KD and FitNet's second stage. */
  softWeight: number;
  fitnetTemperature: number;
  /** FitNet's hint stage (a conv stage of both networks). */
  hintStage: string;
  /** Attention transfer's β and stages. */
  atBeta: number;
  atStages: readonly string[];
}

/**
 * The settings the measurements support. The learning rate is 4·10⁻³, not the MLPs' 10⁻³: at
 * 10⁻³ a student reached 59 % held-out accuracy after one epoch and the teacher 94.6 % after
 * three, against 92 % (two epochs) and 96.9 % at 4·10⁻³. β = 1 on both conv stages: in a
 * two-epoch run of cnn-3-8-48-32, β = 1 cut the held-out attention distance to the teacher
 * (mean ‖q_S − q_T‖₂) from 0.90 / 0.67 (baseline; conv1 / conv2) to 0.70 / 0.47 for 1.2 points
 * of accuracy, β = 10 to 0.29 / 0.30 for 2.3 points, β = 100 no further — β = 1 moves the
 * maps clearly while the cross-entropy still leads. FitNet guides conv2 (the middle of the
 * five layers, as Romero et al. take the teacher's middle layer).
 *
 * At these settings (teacher 98.4 %), cnn-3-8-48-32 after 5 epochs: baseline 94.95 %, KD at
 * T = 4 95.25 %, FitNet 95.2 %, AT 93.5 % — AT brings the attention maps closest to the
 * teacher's (distance 0.56 / 0.43 against the baseline's 0.91 / 0.71) but costs 1.5 points of
 * accuracy here: a method that raises feature similarity without raising accuracy, which the
 * study should see. Lower `atBeta` for a gentler pull.
 */
export const CNN_TRAINING: Readonly<CnnTrainingSettings> = {
  teacherEpochs: 15,
  studentEpochs: 5,
  hintEpochs: 1,
  batchSize: 64,
  learningRate: 4e-3,
  teacherShift: 2,
  temperatures: [2, 4, 8],
  softWeight: 0.9,
  fitnetTemperature: 4,
  hintStage: 'conv2',
  atBeta: 1,
  atStages: ['conv1', 'conv2'],
};

/** One method of the study, with the name its experiment carries (`baseline`, `kd-T2`, …, `fitnet`, `at`). */
export interface NamedCnnMethod {
  readonly method: string;
  readonly spec: CnnMethod;
}

/**
 * The methods every student size is trained by, in order: the baseline (the pre-KD student),
 * KD at each temperature, FitNet (its regressor drawn from stream `cnn-fitnet-regressor:<arch>`
 * of `seed`), attention transfer — with the default settings, 5 post-KD experiments a size.
 */
export function cnnStudyMethods(seed: number, arch: CnnArchitecture, s: Readonly<CnnTrainingSettings> = CNN_TRAINING): NamedCnnMethod[] {
  return [
    { method: 'baseline', spec: { kind: 'baseline' } },
    ...s.temperatures.map((t) => ({ method: `kd-T${t}`, spec: { kind: 'kd', temperature: t, softWeight: s.softWeight } as const })),
    {
      method: 'fitnet',
      spec: {
        kind: 'fitnet',
        stage: s.hintStage,
        hintEpochs: s.hintEpochs,
        regressor: createRng(seed, `cnn-fitnet-regressor:${arch.name}`),
        temperature: s.fitnetTemperature,
        softWeight: s.softWeight,
      },
    },
    { method: 'at', spec: { kind: 'at', beta: s.atBeta, stages: [...s.atStages] } },
  ];
}
