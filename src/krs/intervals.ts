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

const nullTriple = { fss: null, aoa: null, krs: null };

/** The result when intervals are off: every score null with the reason. */
function intervalsOff(input: IntervalInput): AssembledIntervals {
  const reason = 'intervals are off (intervals: false, or 1 group)';
  return {
    layers: input.layers.map(() => ({ ci95: null, se: null, groups: 0, ciReason: reason })),
    ci95: { ...nullTriple },
    summary: {
      method: 'none',
      level: INTERVAL_LEVEL,
      blocks: input.blocks,
      groups: 0,
      groupRows: [],
      se: { ...nullTriple },
      replicates: { ...nullTriple },
      reasons: { fss: reason, aoa: reason, krs: reason },
      notes: [],
    },
  };
}

/** Feature and output samples in coarse group c (k fine groups each). */
function rowsOf(input: IntervalInput, k: number, c: number): { f: number; o: number } {
  let f = 0;
  let o = 0;
  for (let g = c * k; g < Math.min(input.groups, (c + 1) * k); g++) {
    f += input.rows.features[g]!;
    o += input.rows.outputs[g]!;
  }
  return { f, o };
}

/** Coarse groups (k fine groups each) holding any sample. */
function coarse(input: IntervalInput, k: number): number[] {
  const out: number[] = [];
  for (let c = 0; c < Math.ceil(input.groups / k); c++) {
    const r = rowsOf(input, k, c);
    if (r.f + r.o > 0) out.push(c);
  }
  return out;
}

/** The component's state of each coarse group (k fine groups), from its stored slots (own factor `own`). */
function statesAt(G: number, comp: Component, own: number, k: number, cs: readonly number[]): unknown[] {
  return cs.map((c) => {
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
}

/** Leave-one-group-out values, or the reason they cannot be had. */
async function replicates(G: number, comp: Component, own: number, k: number, cs: readonly number[]): Promise<number[] | string> {
  const states = statesAt(G, comp, own, k, cs);
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
}

const interval = (score: number, reps: number[] | string, what: string, bounds: readonly [number, number]): JackknifeInterval =>
  typeof reps === 'string' ? { ci95: null, se: null, reason: reps } : jackknifeInterval(score, reps, what, INTERVAL_LEVEL, bounds);

const asScore = (iv: JackknifeInterval, groups: number): ScoreInterval => ({
  ci95: iv.ci95,
  se: iv.se,
  groups: iv.ci95 ? groups : 0,
  ...(iv.reason ? { ciReason: iv.reason } : {}),
});

/** Each layer pair's interval over its own grouping, with its replicates (or why it has none). */
async function layerIntervals(input: IntervalInput) {
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
    const cs = coarse(input, l.factor);
    const reps = await replicates(input.groups, l, l.factor, l.factor, cs);
    layerReps.push(reps);
    layerOut.push(asScore(interval(l.score, reps, 'the layer score', l.bounds), cs.length));
  }
  return { notes, layerOut, layerReps };
}

/** FSS is the mean of the layer scores, KRS α·FSS + β·AOA: their scales follow. */
function compositeBounds(input: IntervalInput): { fss: [number, number]; krs: [number, number] } {
  const mean = (i: 0 | 1) => input.layers.reduce((a, l) => a + l.bounds[i], 0) / input.layers.length;
  const fss: [number, number] = [mean(0), mean(1)];
  const krs: [number, number] = [input.alpha * fss[0] + input.beta * input.output.bounds[0], input.alpha * fss[1] + input.beta * input.output.bounds[1]];
  return { fss, krs };
}

interface Composite {
  fssIv: JackknifeInterval;
  krsIv: JackknifeInterval;
  fssReps: number[] | null;
  aoaReps: number[] | null;
  krsReps: number[] | null;
  /** The coarsest grouping K of all pairs and its non-empty coarse groups. */
  K: number;
  csK: number[];
}

const undefinedComposite = (reason: string, K: number, csK: number[]): Composite => ({
  fssIv: { ci95: null, se: null, reason },
  krsIv: { ci95: null, se: null, reason },
  fssReps: null,
  aoaReps: null,
  krsReps: null,
  K,
  csK,
});

/** FSS's and KRS's intervals over the coarsest grouping of all pairs (their replicates built from the pairs' and AOA's). */
async function compositeIntervals(input: IntervalInput, layerReps: readonly (number[] | string)[], aoaReps1: number[] | string): Promise<Composite> {
  const G = input.groups;
  const noGroups = input.layers.find((l) => l.factor === 0);
  const K = Math.max(...input.layers.map((l) => l.factor));
  if (noGroups) return undefinedComposite(`a layer pair has no interval: ${noGroups.reason}`, K, []);
  const csK = coarse(input, K);
  const perLayer: (number[] | string)[] = [];
  for (let i = 0; i < input.layers.length; i++) {
    const l = input.layers[i]!;
    perLayer.push(l.factor === K ? layerReps[i]! : await replicates(G, l, l.factor, K, csK));
  }
  const aoaK = K === 1 ? aoaReps1 : await replicates(G, input.output, 1, K, csK);
  const bad = perLayer.find((r): r is string => typeof r === 'string');
  if (bad) return undefinedComposite(`a layer score ${bad}`, K, csK);
  const bounds = compositeBounds(input);
  const fssReps = csK.map((_, g) => perLayer.reduce((a, r) => a + (r as number[])[g]!, 0) / perLayer.length);
  const fssIv = jackknifeInterval(input.fss, fssReps, 'FSS', INTERVAL_LEVEL, bounds.fss);
  if (typeof aoaK === 'string') {
    return { fssIv, krsIv: { ci95: null, se: null, reason: `AOA ${aoaK}` }, fssReps, aoaReps: null, krsReps: null, K, csK };
  }
  const krsReps = fssReps.map((f, g) => input.alpha * f + input.beta * aoaK[g]!);
  const krsIv = jackknifeInterval(input.krs, krsReps, 'KRS', INTERVAL_LEVEL, bounds.krs);
  return { fssIv, krsIv, fssReps, aoaReps: aoaK, krsReps, K, csK };
}

/** Compute every interval (see the module comment). Never throws for undefined intervals: they are null with a reason. */
export async function assembleIntervals(input: IntervalInput): Promise<AssembledIntervals> {
  if (input.groups <= 1) return intervalsOff(input);
  const { notes, layerOut, layerReps } = await layerIntervals(input);
  const aoaReps1 = await replicates(input.groups, input.output, 1, 1, coarse(input, 1));
  const aoaIv = interval(input.output.score, aoaReps1, 'AOA', input.output.bounds);
  const c = await compositeIntervals(input, layerReps, aoaReps1);
  const reasons: Partial<Triple<string>> = {};
  if (aoaIv.reason) reasons.aoa = aoaIv.reason;
  if (c.fssIv.reason) reasons.fss = c.fssIv.reason;
  if (c.krsIv.reason) reasons.krs = c.krsIv.reason;
  return {
    layers: layerOut,
    ci95: { fss: c.fssIv.ci95, aoa: aoaIv.ci95, krs: c.krsIv.ci95 },
    summary: {
      method: 'grouped-jackknife',
      level: INTERVAL_LEVEL,
      blocks: input.blocks,
      groups: c.csK.length,
      groupRows: c.csK.map((g) => {
        const r = rowsOf(input, c.K, g);
        return r.f || r.o;
      }),
      se: { fss: c.fssIv.se, aoa: aoaIv.se, krs: c.krsIv.se },
      replicates: { fss: c.fssReps, aoa: c.aoaReps, krs: c.krsReps },
      reasons,
      notes,
    },
  };
}
