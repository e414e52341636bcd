/**
 * The 95 % intervals of every score of a {@link KrsMetric} result (docs/formulas.md
 * §"Intervals"): delete-a-group jackknife over the metric's groups of samples.
 *
 * Each layer pair and the outputs keep one ordinary Measure state per group; the score on
 * all samples is the merge of all groups, and replicate g is the same score on the merge of
 * every group but g ({@link forEachLeaveOneOut}: O(G log G) merges and G + 1 computes per
 * component, no pass over the data). Then
 *
 *     FSS₋g = mean over pairs of score₋g,   KRS₋g = α·FSS₋g + β·AOA₋g
 *
 * and every score gets {@link jackknifeInterval} on the logit scale of its position in its
 * bounds (the similarity's or agreement's, in points; FSS's the mean of its pairs', KRS's
 * α·FSS's + β·AOA's), so no interval leaves its scale. Only `merge`, `init` and `compute` of the
 * Measure contract are used, so every registered similarity and agreement works.
 *
 * A layer pair whose per-group states were coarsened by the memory budget (k adjacent groups
 * per state) has its own interval over ⌈G/k⌉ groups; FSS and KRS use the coarsest grouping
 * of all pairs. A pair kept as one state (too wide for even 5 groups) has no interval, and
 * then neither have FSS and KRS: null with the reason, never something else silently.
 */
import { KrsError } from '../core/errors.js';
import { forEachLeaveOneOut, INTERVAL_LEVEL, type JackknifeInterval, jackknifeInterval } from '../stats/jackknife.js';

/** One score's interval as reported on a layer. */
export interface ScoreInterval {
  ci95: [number, number] | null;
  se: number | null;
  /** Groups the interval was computed from (0 when none). */
  groups: number;
  ciReason?: string;
}

type Triple<T> = { fss: T; aoa: T; krs: T };

/** What the intervals of a result were made from. */
export interface IntervalSummary {
  /** `grouped-jackknife`, or `none` when intervals were turned off. */
  method: 'grouped-jackknife' | 'none';
  level: number;
  /** How samples were put in groups: contiguous blocks of sample order, or i mod G. */
  blocks: 'contiguous' | 'interleaved';
  /** Groups of FSS and KRS (after any coarsening; empty groups left out). */
  groups: number;
  /** Samples per group of FSS and KRS (features; outputs where there are no features). */
  groupRows: number[];
  /** Standard errors (points); null when undefined. */
  se: Triple<number | null>;
  /** Leave-one-group-out values (points), for paired comparisons; null when undefined. */
  replicates: Triple<number[] | null>;
  /** Why an interval is undefined, by score. */
  reasons: Partial<Triple<string>>;
  /** What changed the grouping (memory budget). */
  notes: string[];
}

interface Component {
  score: number;
  /** The score's scale, in points (its interval stays inside: logit-scale jackknife). */
  bounds: readonly [number, number];
  slots: readonly unknown[];
  merge(a: unknown, b: unknown): unknown;
  init(): unknown;
  value(state: unknown): Promise<number>;
  /** Every state's leave-one-out value at once, when the component has a faster way than merging (null: merge). */
  leaveOneOut?(states: readonly unknown[]): Promise<number[] | null>;
}

export interface IntervalInput {
  groups: number;
  rows: { features: readonly number[]; outputs: readonly number[] };
  layers: (Component & { factor: number; reason?: string })[];
  output: Component;
  fss: number;
  krs: number;
  alpha: number;
  beta: number;
  blocks: 'contiguous' | 'interleaved';
}

export interface AssembledIntervals {
  layers: ScoreInterval[];
  ci95: Triple<[number, number] | null>;
  summary: IntervalSummary;
}

/** Compute every interval (see the module comment). Never throws for undefined intervals: they are null with a reason. */
export async function assembleIntervals(input: IntervalInput): Promise<AssembledIntervals> {
  const G = input.groups;
  if (G <= 1) {
    const reason = 'intervals are off (intervals: false, or 1 group)';
    return {
      layers: input.layers.map(() => ({ ci95: null, se: null, groups: 0, ciReason: reason })),
      ci95: { fss: null, aoa: null, krs: null },
      summary: {
        method: 'none',
        level: INTERVAL_LEVEL,
        blocks: input.blocks,
        groups: 0,
        groupRows: [],
        se: { fss: null, aoa: null, krs: null },
        replicates: { fss: null, aoa: null, krs: null },
        reasons: { fss: reason, aoa: reason, krs: reason },
        notes: [],
      },
    };
  }
  const rowsOf = (k: number, c: number) => {
    let f = 0;
    let o = 0;
    for (let g = c * k; g < Math.min(G, (c + 1) * k); g++) {
      f += input.rows.features[g]!;
      o += input.rows.outputs[g]!;
    }
    return { f, o };
  };
  /** Coarse groups (k fine groups each) holding any sample. */
  const coarse = (k: number): number[] => {
    const out: number[] = [];
    for (let c = 0; c < Math.ceil(G / k); c++) {
      const r = rowsOf(k, c);
      if (r.f + r.o > 0) out.push(c);
    }
    return out;
  };
  /** The component's state of each coarse group, from its stored slots (own factor `own`). */
  const statesAt = (comp: Component, own: number, k: number, cs: readonly number[]) =>
    cs.map((c) => {
      let acc: unknown;
      const seen = new Set<number>();
      for (let g = c * k; g < Math.min(G, (c + 1) * k); g++) {
        const j = Math.floor(g / own);
        if (seen.has(j)) continue;
        seen.add(j);
        const st = comp.slots[j];
        if (st === undefined) continue;
        acc = acc === undefined ? st : comp.merge(acc, st);
      }
      return acc ?? comp.init();
    });
  /** Leave-one-group-out values, or the reason they cannot be had. */
  const replicates = async (comp: Component, own: number, k: number, cs: readonly number[]): Promise<number[] | string> => {
    const states = statesAt(comp, own, k, cs);
    const out = new Array<number>(cs.length);
    try {
      const fast = await comp.leaveOneOut?.(states);
      if (fast) return fast;
      await forEachLeaveOneOut(states, comp.merge, async (g, st) => {
        out[g] = await comp.value(st);
      });
    } catch (e) {
      if (e instanceof KrsError && e.kind === 'data') return `without one group of samples it is undefined (${e.message})`;
      throw e;
    }
    return out;
  };
  const interval = (score: number, reps: number[] | string, what: string, bounds: readonly [number, number]): JackknifeInterval =>
    typeof reps === 'string' ? { ci95: null, se: null, reason: reps } : jackknifeInterval(score, reps, what, INTERVAL_LEVEL, bounds);
  const asScore = (iv: JackknifeInterval, groups: number): ScoreInterval => ({
    ci95: iv.ci95,
    se: iv.se,
    groups: iv.ci95 ? groups : 0,
    ...(iv.reason ? { ciReason: iv.reason } : {}),
  });

  const notes: string[] = [];
  const layerOut: ScoreInterval[] = [];
  const layerReps: (number[] | string)[] = [];
  for (const l of input.layers) {
    if (l.reason) notes.push(l.reason);
    if (l.factor === 0) {
      layerOut.push({ ci95: null, se: null, groups: 0, ciReason: l.reason ?? 'no per-group states' });
      layerReps.push(l.reason ?? 'no per-group states');
      continue;
    }
    const cs = coarse(l.factor);
    const reps = await replicates(l, l.factor, l.factor, cs);
    layerReps.push(reps);
    layerOut.push(asScore(interval(l.score, reps, 'the layer score', l.bounds), cs.length));
  }

  const cs1 = coarse(1);
  const aoaReps1 = await replicates(input.output, 1, 1, cs1);
  const aoaIv = interval(input.output.score, aoaReps1, 'AOA', input.output.bounds);
  // FSS is the mean of the layer scores, KRS α·FSS + β·AOA: their scales follow.
  const mean = (i: 0 | 1) => input.layers.reduce((a, l) => a + l.bounds[i], 0) / input.layers.length;
  const fssBounds: [number, number] = [mean(0), mean(1)];
  const krsBounds: [number, number] = [
    input.alpha * fssBounds[0] + input.beta * input.output.bounds[0],
    input.alpha * fssBounds[1] + input.beta * input.output.bounds[1],
  ];

  const reasons: Partial<Triple<string>> = {};
  if (aoaIv.reason) reasons.aoa = aoaIv.reason;
  const noGroups = input.layers.find((l) => l.factor === 0);
  const K = Math.max(...input.layers.map((l) => l.factor));
  let fssIv: JackknifeInterval;
  let krsIv: JackknifeInterval;
  let fssReps: number[] | null = null;
  let krsReps: number[] | null = null;
  let aoaReps: number[] | null = null;
  let csK: number[] = [];
  if (noGroups) {
    const why = `a layer pair has no interval: ${noGroups.reason}`;
    fssIv = krsIv = { ci95: null, se: null, reason: why };
  } else {
    csK = coarse(K);
    const perLayer: (number[] | string)[] = [];
    for (let i = 0; i < input.layers.length; i++) {
      const l = input.layers[i]!;
      perLayer.push(l.factor === K ? layerReps[i]! : await replicates(l, l.factor, K, csK));
    }
    const aoaK = K === 1 ? aoaReps1 : await replicates(input.output, 1, K, csK);
    const bad = perLayer.find((r): r is string => typeof r === 'string');
    if (bad) {
      fssIv = krsIv = { ci95: null, se: null, reason: `a layer score ${bad}` };
    } else {
      const fr = csK.map((_, g) => perLayer.reduce((a, r) => a + (r as number[])[g]!, 0) / perLayer.length);
      fssReps = fr;
      fssIv = jackknifeInterval(input.fss, fr, 'FSS', INTERVAL_LEVEL, fssBounds);
      if (typeof aoaK === 'string') {
        krsIv = { ci95: null, se: null, reason: `AOA ${aoaK}` };
      } else {
        aoaReps = aoaK;
        krsReps = fr.map((f, g) => input.alpha * f + input.beta * aoaK[g]!);
        krsIv = jackknifeInterval(input.krs, krsReps, 'KRS', INTERVAL_LEVEL, krsBounds);
      }
    }
  }
  if (fssIv.reason) reasons.fss = fssIv.reason;
  if (krsIv.reason) reasons.krs = krsIv.reason;
  return {
    layers: layerOut,
    ci95: { fss: fssIv.ci95, aoa: aoaIv.ci95, krs: krsIv.ci95 },
    summary: {
      method: 'grouped-jackknife',
      level: INTERVAL_LEVEL,
      blocks: input.blocks,
      groups: csK.length,
      groupRows: csK.map((c) => {
        const r = rowsOf(K, c);
        return r.f || r.o;
      }),
      se: { fss: fssIv.se, aoa: aoaIv.se, krs: krsIv.se },
      replicates: { fss: fssReps, aoa: aoaReps, krs: krsReps },
      reasons,
      notes,
    },
  };
}
