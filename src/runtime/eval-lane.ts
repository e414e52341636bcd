/**
 * One student of a `krs eval` pass: everything that is per student when one teacher run feeds
 * several students (`krs eval --student a --student b …`, `--baseline`). A lane reads the
 * teacher's and its student's outputs of each batch as a one-student run would (output kinds
 * told from the first batch, sigmoid scores turned into logits), folds them into its own
 * {@link KrsMetric}, null-level stash, cross-layer matrix and accuracy counts, and gives the
 * counts and context its result is made of (src/runtime/eval.ts). The teacher's arrays are
 * shared by every lane and never modified (the metric's contract), so each lane's numbers are
 * those of a run of its student alone.
 */
import { inferOutputKind, type OutputKinds, resolveOutputKinds, scoreKind, sigmoidToLogits } from '../agreement/output-kind.js';
import type { Tensor } from '../core/tensor.js';
import { KrsMetric, type KrsMetricOptions, type LayerPair } from '../krs/metric.js';
import { NullStash, type ReferenceLevels } from '../krs/reference-levels.js';
import { CrossLayerCka, type CrossLayerResult } from '../similarity/cross-layer.js';
import { DEFAULT_MEMORY_BUDGET } from '../similarity/spec.js';
import { taskSpec } from '../tasks/registry.js';
import type { OutputOptions } from '../tasks/spec.js';
import type { EvalOptions } from './eval.js';
import { countCorrect, kindOption, type PreparedSide, readOutput, regressionErrors } from './model-side.js';

/** Correct top-1 predictions and counted samples; squared, absolute errors and their count. */
interface Counts {
  correct: number;
  counted: number;
  se: number;
  ae: number;
  m: number;
}

const zeroCounts = (): Counts => ({ correct: 0, counted: 0, se: 0, ae: 0, m: 0 });

/** What makes a lane: the two prepared models, the resolved pairs and matrix layers, the run's size. */
export interface LaneSetup {
  teacher: PreparedSide;
  student: PreparedSide;
  /** The student's key among the pool's jobs (`student`, or `student#i` with several). */
  key: string;
  pairs: LayerPair[];
  grid: { teacher: string[]; student: string[] } | null;
  /** Keep the arrays for the null level. */
  null: boolean;
  samples: number;
  firstSample: number;
  warnings: string[];
}

export class StudentLane {
  /** Made by the first batch, once the output kinds are known. */
  metric: KrsMetric | null = null;
  kinds: OutputKinds | null = null;
  readonly counts = { teacher: zeroCounts(), student: zeroCounts() };
  /** Milliseconds folding batches (metric, stash, matrix, counts) and of which the matrix. */
  readonly ms = { scoring: 0, cross: 0, compute: 0 };
  private readonly outputOptions: OutputOptions;
  private readonly inferredSigmoid = { teacher: false, student: false };
  private readonly stash: NullStash | null;
  private readonly grid: CrossLayerCka | null;

  constructor(
    readonly setup: LaneSetup,
    private readonly options: EvalOptions,
  ) {
    this.outputOptions = { ...options.output };
    const budget = options.memoryBudget ?? DEFAULT_MEMORY_BUDGET;
    this.stash = setup.null ? new NullStash({ samples: setup.samples, memoryBudget: budget }) : null;
    const o = options;
    this.grid = setup.grid
      ? new CrossLayerCka(setup.grid.teacher, setup.grid.student, {
          pool: o.pool,
          channelsLast: o.channelsLast,
          backend: o.backend,
          estimator: o.estimator,
          memoryBudget: o.memoryBudget,
          samples: setup.samples,
        })
      : null;
  }

  get student(): PreparedSide {
    return this.setup.student;
  }

  /** The options of this lane's metric (and of its null level's). */
  metricOptions(): KrsMetricOptions {
    const o = this.options;
    return {
      task: o.task,
      pairs: this.setup.pairs,
      alpha: o.alpha,
      beta: o.beta,
      similarity: o.similarity,
      pool: o.pool,
      channelsLast: o.channelsLast,
      backend: o.backend,
      estimator: o.estimator,
      memoryBudget: o.memoryBudget,
      samples: this.setup.samples,
      ...(o.similarityOptions ? { similarityOptions: o.similarityOptions } : {}),
      output: this.outputOptions,
    };
  }

  /**
   * The outputs as the metric reads them. On the first batch, when the task's agreement reads
   * output kinds, each side's kind is the one set (--teacher-outputs…) or told from this batch's
   * values (src/agreement/output-kind.ts); inferred sigmoid scores are turned into logits like
   * declared ones.
   */
  readOutputs(tRaw: Tensor, sRaw: Tensor): [Tensor, Tensor] {
    if (!this.metric) {
      if (taskSpec(this.options.task).agreement.readsOutputKinds) this.resolveKinds(tRaw, sRaw);
      this.metric = new KrsMetric({ ...this.metricOptions(), firstSample: this.setup.firstSample });
    }
    const read = (p: PreparedSide, raw: Tensor) =>
      this.inferredSigmoid[p.side as 'teacher' | 'student']
        ? sigmoidToLogits(raw, `${p.side} output '${p.outputTensor}' of ${p.model.file}`, kindOption(p))
        : readOutput(p, raw);
    return [read(this.setup.teacher, tRaw), read(this.student, sRaw)];
  }

  private resolveKinds(tRaw: Tensor, sRaw: Tensor): void {
    const { teacher, student } = this.setup;
    const side = (p: PreparedSide, raw: Tensor) => {
      const what = `${p.side} output '${p.outputTensor}' of ${p.model.file}`;
      return p.declaredKind ? { what, declared: p.declaredKind } : { what, inferred: inferOutputKind(raw, what) };
    };
    const t = side(teacher, tRaw);
    const s = side(student, sRaw);
    const kinds = resolveOutputKinds(t, s, [kindOption(teacher), kindOption(student)]);
    this.kinds = kinds;
    for (const [p, k, w] of [
      [teacher, kinds.teacher, t.what],
      [student, kinds.student, s.what],
    ] as const) {
      const kind = scoreKind(k, w, kindOption(p));
      const key = p.side === 'teacher' ? 'teacherInputs' : 'studentInputs';
      // Declared sigmoid outputs arrive as logits (tapped before the Sigmoid, or turned by readOutput).
      this.outputOptions[key] = kind === 'probs' ? 'probs' : 'logits';
      if (kind === 'sigmoid' && k.source === 'values') this.inferredSigmoid[p.side as 'teacher' | 'student'] = true;
    }
  }

  /** A batch before the shard's own (not folded in): tells the output kinds and fixes the feature shifts. */
  prime(tOut: Record<string, Tensor>, sOut: Record<string, Tensor>): void {
    this.readOutputs(tOut[this.setup.teacher.outputTensor]!, sOut[this.student.outputTensor]!);
    this.metric!.fixShifts({ teacher: tOut, student: sOut });
  }

  /** Fold one batch of both models' arrays into the metric, the null stash, the matrix and the counts. */
  async fold(tOut: Record<string, Tensor>, sOut: Record<string, Tensor>, targets: Tensor | undefined): Promise<void> {
    const s0 = performance.now();
    const [teacherOutput, studentOutput] = this.readOutputs(tOut[this.setup.teacher.outputTensor]!, sOut[this.student.outputTensor]!);
    await this.metric!.update({ teacher: tOut, student: sOut, teacherOutput, studentOutput });
    const pairs = this.setup.pairs;
    this.stash?.add({
      teacher: Object.fromEntries(pairs.map((p) => [p.teacher, tOut[p.teacher]!])),
      student: Object.fromEntries(pairs.map((p) => [p.student, sOut[p.student]!])),
      teacherOutput,
      studentOutput,
    });
    const c0 = performance.now();
    // Handed over: the batch's arrays are this run's fresh session outputs, which nothing writes
    // to (the null stash keeps them as they are too), so the matrix keeps its rows without a copy.
    if (this.grid) await this.grid.update(tOut, sOut, {}, { handOver: true });
    this.ms.cross += performance.now() - c0;
    if (targets) {
      this.count(this.counts.teacher, teacherOutput, targets);
      this.count(this.counts.student, studentOutput, targets);
    }
    this.ms.scoring += performance.now() - s0;
  }

  private count(a: Counts, output: Tensor, targets: Tensor): void {
    if (taskSpec(this.options.task).targetMetric === 'regression-error') {
      const e = regressionErrors(output, targets);
      if (e) {
        a.se += e[0];
        a.ae += e[1];
        a.m += e[2];
      }
    } else {
      const [c, m] = countCorrect(output, targets);
      a.correct += c;
      a.counted += m;
    }
  }

  /** The cross-layer matrix and the null level, once every batch is in. */
  async finish(batchSize: number): Promise<{ crossLayer: CrossLayerResult | null; nullLevel: ReferenceLevels['null'] }> {
    const f0 = performance.now();
    const crossLayer = this.grid ? await this.grid.compute() : null;
    const nullLevel = this.stash ? await this.stash.compute(this.metricOptions(), this.options.reference?.seed ?? 1, batchSize) : null;
    this.ms.compute += performance.now() - f0;
    return { crossLayer, nullLevel };
  }

  /** This lane's additive counts: the shared milliseconds, its models' inference, its scoring and its accuracy counts. */
  sums(shared: Record<string, number>, inference: Record<string, number>): Record<string, number> {
    const sums: Record<string, number> = {
      ...shared,
      'ms.scoring': this.ms.scoring,
      'ms.cross': this.ms.cross,
      'ms.compute': (shared['ms.compute'] ?? 0) + this.ms.compute,
      'ms.inference.teacher': inference.teacher ?? 0,
      'ms.inference.student': inference[this.setup.key] ?? 0,
    };
    for (const who of ['teacher', 'student'] as const) for (const [key, v] of Object.entries(this.counts[who])) sums[`${who}.${key}`] = v;
    return sums;
  }
}
