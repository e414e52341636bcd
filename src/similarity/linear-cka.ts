/**
 * The linear CKA family (`cka`, `cka-debiased`) as one streaming measure. Exact at every
 * width, by one of two exact routes, unless the minibatch estimator is asked for:
 *
 * - `feature-space`: float64 sufficient statistics over the whole data set
 *   ({@link LinearStats}: Σx, Σy, XᵀX and YᵀY packed, XᵀY); memory
 *   8·(p(p+1)/2 + q(q+1)/2 + p·q) bytes, cost ≈ n·(p²/2 + q²/2 + p·q);
 * - `sample-space`: the feature rows are kept ({@link RowStore}) and {@link compute} visits
 *   the n × n Gram matrices block by block ({@link gramPass}), centred from exact column
 *   means; memory n·(p·b_x + q·b_y) + 8·n·(p + q) bytes ({@link sampleSpaceBytes}: the rows at
 *   their precision b — the caller's own arrays, not a copy, when handed over
 *   (`FeatureRows.kept`) — and their centred copy), cost ≈ n²/2·(p + q);
 * - `minibatch` (only on request, `estimator: 'minibatch'`): Nguyen, Raghu & Kornblith's
 *   minibatch unbiased-HSIC estimator ({@link MinibatchHsicState}), a different quantity that
 *   depends on the batch size; every result that used it says so.
 *
 * The exact route is chosen when the first batch arrives ({@link chooseLinearRoute}): the
 * cheaper of the two by the cost above when the sample count is known in advance (`samples`),
 * else feature space while its statistics fit the memory budget; either way a route whose
 * memory would exceed the budget is not taken, and when neither fits the error says so.
 *
 * Biased linear CKA = ‖XᶜᵀYᶜ‖²_F / (‖XᶜᵀXᶜ‖_F‖YᶜᵀYᶜ‖_F) = tr(KcLc)/√(tr(KcKc)·tr(LcLc)) ∈ [0, 1];
 * debiased CKA replaces the three HSIC terms by Song et al.'s unbiased estimator
 * (docs/formulas.md §"Debiased CKA"), which may fall slightly below 0 for unrelated layers.
 */
import { errors, opt } from '../core/errors.js';
import { type DeclaredState, declareState, declareVariants, nested } from '../core/state.js';
import {
  DEFAULT_GRAM_BLOCK,
  type GramLayerSums,
  gramPass,
  hsicFromSums,
  hsicLeaveOneGroupOut,
  type RowSource,
  type SampleGroups,
} from '../linalg/gram-pass.js';
import { type PairGramSums, pairSums } from '../linalg/gram-shares.js';
import { assertNotConstant, debiasedCkaFromCentred, linearCkaFromCentred } from './centred-cka.js';
import { centre, initLinearStats, LINEAR_STATS, type LinearStats, updateLinearStats } from './linear-stats.js';
import { initMinibatchHsic, MIN_MINIBATCH, MINIBATCH_HSIC_STATE, type MinibatchHsicState, minibatchCka, updateMinibatchHsic } from './minibatch-hsic.js';
import { appendRows, columnMeansOf, initRowStore, mergeRowStores, ROW_STORE, type RowStore, readRowBlock } from './row-store.js';
import type { GramShareReducer, PairRoutePlan, SimilarityEstimate, SimilarityMeasure, SimilaritySettings } from './spec.js';

/** The fewest samples biased linear CKA is defined on (debiased CKA needs 4). */
const MIN_LINEAR_SAMPLES = 3;

export { DEFAULT_MEMORY_BUDGET } from './spec.js';

export type LinearRoute = 'feature-space' | 'sample-space' | 'minibatch';

export type LinearCkaState =
  | { route: 'feature-space'; stats: LinearStats }
  | { route: 'sample-space'; x: RowStore; y: RowStore }
  | { route: 'minibatch'; stats: MinibatchHsicState };

/** Bytes of the feature-space statistics for widths p and q. */
export function featureSpaceBytes(p: number, q: number, debiased = false): number {
  return 8 * ((p * (p + 1)) / 2 + (q * (q + 1)) / 2 + p * q + (debiased ? 3 * (p + q) : 0) + 3 * (p + q));
}

/** Bytes per value the Gram pass's centred copy is priced at: 8 (float64; a float32 backend needs 4, but the price must not depend on the backend, so every run picks the same route). */
export const CENTRED_VALUE_BYTES = 8;

/**
 * Bytes of the sample-space route for n rows of widths p and q: the stored rows at their own
 * precision (`valueBytes`: 4 for float32 features, 8 for float64; default 8) plus the centred
 * copy {@link gramPass} makes of them, priced at {@link CENTRED_VALUE_BYTES}:
 *
 *     n·(p·b_x + q·b_y) + 8·n·(p + q)
 */
export function sampleSpaceBytes(n: number, p: number, q: number, valueBytes: { teacher: number; student: number } = { teacher: 8, student: 8 }): number {
  return n * (p * valueBytes.teacher + q * valueBytes.student) + CENTRED_VALUE_BYTES * n * (p + q);
}

/**
 * The route for widths p, q (see the module comment).
 * @throws BAD_VALUE when no exact route fits the memory budget, naming both sizes and the way out.
 */
export function chooseLinearRoute(p: number, q: number, settings: SimilaritySettings, debiased = false): LinearRoute {
  if (settings.estimator === 'minibatch') return 'minibatch';
  const budget = settings.memoryBudget;
  const featureBytes = featureSpaceBytes(p, q, debiased);
  const n = settings.samples;
  const featureFits = featureBytes <= budget;
  if (settings.exactRoute === 'feature-space' || settings.exactRoute === 'sample-space') return settings.exactRoute;
  if (n === undefined) return featureFits ? 'feature-space' : 'sample-space';
  const sampleBytes = sampleSpaceBytes(n, p, q, settings.valueBytes);
  const sampleFits = sampleBytes <= budget;
  const featureCost = n * ((p * p) / 2 + (q * q) / 2 + p * q);
  const sampleCost = ((n * n) / 2) * (p + q);
  if (featureFits && (featureCost <= sampleCost || !sampleFits)) return 'feature-space';
  if (sampleFits) return 'sample-space';
  throw errors.badValue(
    `exact CKA of layer pair '${settings.teacherName}':'${settings.studentName}' (widths ${p} and ${q}, ${n} samples)`,
    `${mib(featureBytes)} of feature-space statistics or ${mib(sampleBytes)} of stored rows`,
    `at most the memory budget ${mib(budget)}: raise ${opt('memoryBudget')}, pool the layers (e.g. gap), or ask for the minibatch ${opt('estimator')}`,
  );
}

/** The plan of a pair of the family (see {@link SimilaritySpec.plan}): its route for all the run's samples, and the size of a feature-space state. */
export function linearPlan(debiased: boolean): (p: number, q: number, settings: SimilaritySettings) => PairRoutePlan {
  return (p, q, settings) => ({ route: chooseLinearRoute(p, q, settings, debiased), stateBytes: featureSpaceBytes(p, q, debiased) });
}

/** The family's reducer of sample-space Gram shares (src/krs/gram-shards.ts). */
export function linearGramShares(debiased: boolean): GramShareReducer {
  return {
    estimate: (sums, p, q, t, s) => sampleSpaceEstimate(sums, p, q, debiased, t, s),
    leaveOut: (sums, groups, t, s) => leaveOutsOfPairSums(sums, groups, debiased, t, s),
  };
}

/** Samples a state holds. */
function samplesOf(state: LinearCkaState): number {
  return state.route === 'sample-space' ? state.x.rows : state.stats.n;
}

const declared = new Map<string, DeclaredState<LinearCkaState>>();

/**
 * The state of `cka` or `cka-debiased` (`name`, for messages), declared once
 * (src/core/state.ts): one of the three routes, each merging by its own statistics' rules
 * (feature-space sums about a's shift, sample-space rows concatenated in sample order,
 * minibatch sums); an empty state of another route is the identity. Stored as
 * `{route, stats}` or `{route, x, y}`.
 */
function linearCkaState(name: string): DeclaredState<LinearCkaState> {
  let d = declared.get(name);
  if (d) return d;
  d = declareVariants<LinearCkaState, 'route'>({
    measure: name,
    tag: 'route',
    variants: {
      'feature-space': declareState({ measure: name, fields: { stats: nested(LINEAR_STATS) } }),
      'sample-space': declareState<{ x: RowStore; y: RowStore }>({
        measure: name,
        fields: { x: nested(ROW_STORE), y: nested(ROW_STORE) },
        check: (st) => (st.x.rows !== st.y.rows ? `teacher and student hold ${st.x.rows} and ${st.y.rows} rows` : null),
      }),
      minibatch: declareState({ measure: name, fields: { stats: nested(MINIBATCH_HSIC_STATE) } }),
    },
    isEmpty: (st) => samplesOf(st) === 0,
  });
  declared.set(name, d);
  return d;
}

/** A byte count for people: MiB from 1 MiB up, KiB below. */
function mib(bytes: number): string {
  return bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(0)} MiB` : `${(bytes / 2 ** 10).toFixed(1)} KiB`;
}

/**
 * The measure of biased (`debiased = false`) or debiased linear CKA for widths p and q.
 */
export function linearCkaMeasure(debiased: boolean, p: number, q: number, settings: SimilaritySettings): SimilarityMeasure<LinearCkaState> {
  const { backend, teacherName: t, studentName: s, memoryBudget } = settings;
  const route = chooseLinearRoute(p, q, settings, debiased);
  const name = debiased ? 'cka-debiased' : 'cka';
  const block = settings.gramBlock ?? DEFAULT_GRAM_BLOCK;
  const state = linearCkaState(name);
  return {
    name,
    keepsRows: (state) => state.route === 'sample-space',
    init(): LinearCkaState {
      if (route === 'feature-space') return { route, stats: initLinearStats(p, q, debiased) };
      if (route === 'sample-space') return { route, x: initRowStore(p), y: initRowStore(q) };
      return { route, stats: initMinibatchHsic(p, q) };
    },

    async update(state, { x, y, rows, kept, locateNonFinite }) {
      if (state.route === 'feature-space') return updateLinearStats(state.stats, x, y, rows, backend, locateNonFinite, settings.shift);
      if (state.route === 'minibatch') return updateMinibatchHsic(state.stats, x, y, rows, backend);
      // Every row the pair holds (all its states) plus the centred copy the Gram pass makes of them.
      const held = (settings.heldRows?.() ?? state.x.rows) + rows;
      const bytes = sampleSpaceBytes(held, p, q, { teacher: x.BYTES_PER_ELEMENT, student: y.BYTES_PER_ELEMENT });
      if (bytes > memoryBudget) {
        throw errors.badValue(
          `stored rows of layer pair '${t}':'${s}' for exact sample-space CKA (${held} rows of widths ${p} and ${q}, with the Gram pass's centred copy)`,
          mib(bytes),
          `at most the memory budget ${mib(memoryBudget)}: raise ${opt('memoryBudget')}, pool the layers, or ask for the minibatch ${opt('estimator')}`,
        );
      }
      appendRows(state.x, x, rows, kept?.x);
      appendRows(state.y, y, rows, kept?.y);
      if (!allFinite(state.x.colSums) || !allFinite(state.y.colSums)) locateNonFinite();
    },

    async compute(state) {
      const warnings: string[] = [];
      if (state.route === 'minibatch') return minibatchResult(state.stats, t, s);
      const n = state.route === 'feature-space' ? state.stats.n : state.x.rows;
      warnings.push(...exactChecks(n, p, q, debiased, t, s));
      if (state.route === 'feature-space') {
        const c = centre(state.stats);
        assertNotConstant(c, t, s);
        const value = debiased ? debiasedCkaFromCentred(c, t, s) : linearCkaFromCentred(c);
        if (debiased && value < 0) warnings.push(belowZero(t, s, value, n));
        return { value, estimator: 'exact', route: 'feature-space', warnings };
      }
      const sums = await gramPass([rowSource(state.x)], [rowSource(state.y)], n, backend, block);
      return sampleSpaceEstimate(pairSums(sums, 0, 0), p, q, debiased, t, s);
    },

    /**
     * Sample space: every group's value-without-it from one Gram pass over all groups' rows
     * ({@link hsicLeaveOneGroupOut}), instead of one pass per group. Null on other routes.
     */
    async leaveOneOut(states) {
      if (states.length < 2 || !states.every((st) => st.route === 'sample-space')) return null;
      const parts = states as Extract<LinearCkaState, { route: 'sample-space' }>[];
      return sampleSpaceLeaveOneOut(parts, { backend, block, debiased, t, s });
    },

    merge: (a, b) => state.merge(a, b),
    toJSON: (st) => state.toJSON(st),

    fromJSON(json) {
      const restored = state.fromJSON(json);
      // Either exact route is restored as stored: the route was priced from the features'
      // precision when the state was made, which this measure may not know.
      const exact = route !== 'minibatch' && restored.route !== 'minibatch';
      if (restored.route !== route && !exact)
        throw errors.badState(name, `route must be ${route} for widths ${p} and ${q}, got ${JSON.stringify(restored.route)}`);
      const [rp, rq] = restored.route === 'sample-space' ? [restored.x.cols, restored.y.cols] : [restored.stats.p, restored.stats.q];
      if (rp !== p || rq !== q) throw errors.badState(name, `widths ${rp} and ${rq} differ from the layer pair's ${p} and ${q}`);
      if (restored.route === 'feature-space' && restored.stats.moments !== debiased) {
        throw errors.badState(name, `it was made for ${restored.stats.moments ? 'cka-debiased' : 'cka'}`);
      }
      return restored;
    },
  };
}

/** The minibatch estimate with its warnings (a different quantity than exact CKA; it may dip below 0). */
function minibatchResult(stats: Parameters<typeof minibatchCka>[0], t: string, s: string) {
  const warnings = [
    `layer pair '${t}':'${s}': the minibatch unbiased-HSIC estimator was asked for (${stats.batches} batches); it estimates a different quantity than exact CKA and moves with the batch size`,
  ];
  const value = minibatchCka(stats, t, s);
  if (value < 0) {
    warnings.push(
      `layer pair '${t}':'${s}': the minibatch estimate is ${value.toFixed(4)}, below 0 — reported as computed: averaged unbiased HSIC terms can be negative for unrelated layers or small batches`,
    );
  }
  return { value, estimator: 'minibatch-unbiased-hsic', batches: stats.batches, warnings };
}

/** Every group's value without it, from one Gram pass over all groups' stored rows ({@link hsicLeaveOneGroupOut}). */
async function sampleSpaceLeaveOneOut(
  parts: readonly Extract<LinearCkaState, { route: 'sample-space' }>[],
  c: { backend: SimilaritySettings['backend']; block: number; debiased: boolean; t: string; s: string },
): Promise<number[] | null> {
  const x = parts.map((st) => st.x).reduce(mergeRowStores);
  const y = parts.map((st) => st.y).reduce(mergeRowStores);
  const n = x.rows;
  const of = new Int32Array(n);
  let o = 0;
  parts.forEach((st, g) => {
    of.fill(g, o, o + st.x.rows);
    o += st.x.rows;
  });
  const groups = { of, count: parts.length };
  const sums = await gramPass([rowSource(x)], [rowSource(y)], n, c.backend, c.block, undefined, groups);
  return leaveOutsOfPairSums(pairSums(sums, 0, 0), groups, c.debiased, c.t, c.s);
}

/**
 * What exact CKA of n samples of widths p, q needs: enough samples (an error otherwise); and
 * the warning when biased CKA is inflated by layers wider than the samples.
 */
function exactChecks(n: number, p: number, q: number, debiased: boolean, t: string, s: string): string[] {
  // Two centred samples are collinear: biased CKA would be 1 for any data.
  if (!debiased && n < MIN_LINEAR_SAMPLES) {
    throw errors.undefinedResult(
      `linear CKA of '${t}':'${s}'`,
      `it needs at least ${MIN_LINEAR_SAMPLES} samples (with 2, the centred features are collinear and CKA is 1 for any data), got ${n}`,
    );
  }
  if (debiased && n < MIN_MINIBATCH) {
    throw errors.undefinedResult(`debiased CKA of '${t}':'${s}'`, `it needs at least ${MIN_MINIBATCH} samples (the unbiased HSIC divides by n(n−3)), got ${n}`);
  }
  return !debiased && Math.max(p, q) > n
    ? [`layer pair '${t}':'${s}' is wider (${Math.max(p, q)}) than the sample count (${n}): biased CKA is inflated; consider the cka-debiased similarity`]
    : [];
}

/** The sample-space route's estimate from a pair's Gram sums (a pass, or the added shares of a sharded one), with its warnings. */
function sampleSpaceEstimate(sums: PairGramSums, p: number, q: number, debiased: boolean, t: string, s: string): SimilarityEstimate {
  const warnings = exactChecks(sums.n, p, q, debiased, t, s);
  const value = ckaOfPairSums(sums, debiased, t, s);
  if (debiased && value < 0) warnings.push(belowZero(t, s, value, sums.n));
  return { value, estimator: 'exact', route: 'sample-space', warnings };
}

/**
 * Exact CKA of a layer pair from its Gram-pass sums (one pass, or the added shares of a
 * sharded one). Biased CKA is clamped to [0, 1] (only rounding steps outside).
 * @throws UNDEFINED when a side is constant.
 */
export function ckaOfPairSums(p: PairGramSums, debiased: boolean, t: string, s: string): number {
  const raw = ckaFromGramSums(p.cross, p.teacher, p.student, p.n, debiased, t, s);
  return debiased ? raw : Math.min(1, Math.max(0, raw));
}

/**
 * The CKA of a pair with each group of samples deleted in turn, from grouped sums
 * ({@link hsicLeaveOneGroupOut}: O(n·G), no second pass).
 * @throws UNDEFINED when a side is constant on the remaining samples.
 */
export function leaveOutsOfPairSums(p: PairGramSums, groups: SampleGroups, debiased: boolean, t: string, s: string): number[] {
  const gs = p.grouped;
  if (!gs || gs.count !== groups.count) throw errors.badState('gram-share', `the sums were not kept by ${groups.count} groups`);
  const [k, l] = [p.teacher, p.student];
  const kl = hsicLeaveOneGroupOut(p.cross, gs.rowCross, gs.withinCross, k, gs.byGroup[0], l, gs.byGroup[1], groups, debiased);
  const kk = hsicLeaveOneGroupOut(k.frob, gs.rowSquares[0], gs.withinSquares[0], k, gs.byGroup[0], k, gs.byGroup[0], groups, debiased);
  const ll = hsicLeaveOneGroupOut(l.frob, gs.rowSquares[1], gs.withinSquares[1], l, gs.byGroup[1], l, gs.byGroup[1], groups, debiased);
  return Array.from(kl, (v, g) => {
    const value = v / Math.sqrt(kk[g]! * ll[g]!);
    if (!(kk[g]! > 0) || !(ll[g]! > 0) || !Number.isFinite(value)) {
      throw errors.undefinedResult(`CKA of '${t}':'${s}' without group ${g} of samples`, 'a side is constant on the remaining samples');
    }
    return debiased ? value : Math.min(1, Math.max(0, value));
  });
}

/** A stored layer as a row source for {@link gramPass}. */
export function rowSource(store: RowStore): RowSource {
  const blockEnds: number[] = [];
  let end = 0;
  for (const chunk of store.chunks) blockEnds.push((end += chunk.length / store.cols));
  return { cols: store.cols, mean: columnMeansOf(store), readRows: (start, end) => readRowBlock(store, start, end), blockEnds };
}

/**
 * CKA from the Gram-pass sums of one pair (biased or debiased; see {@link hsicFromSums}).
 * @throws UNDEFINED when a side is constant (its HSIC with itself is 0).
 */
export function ckaFromGramSums(kl: number, k: GramLayerSums, l: GramLayerSums, n: number, debiased: boolean, t: string, s: string): number {
  const kk = hsicFromSums(k.frob, k, k, n, debiased);
  const ll = hsicFromSums(l.frob, l, l, n, debiased);
  if (!(kk > CONSTANT_TOLERANCE * k.frob)) throw errors.undefinedResult(`CKA of teacher layer '${t}'`, `its features are constant across all ${n} samples`);
  if (!(ll > CONSTANT_TOLERANCE * l.frob)) throw errors.undefinedResult(`CKA of student layer '${s}'`, `its features are constant across all ${n} samples`);
  return hsicFromSums(kl, k, l, n, debiased) / Math.sqrt(kk * ll);
}

/** Below this a debiased value is "far" below 0: −5 points, beyond what unrelated layers give at a few hundred samples. */
const FAR_BELOW_ZERO = -0.05;

/**
 * Why a debiased value below 0 is reported as it is. Slightly below 0: no detectable
 * similarity. Far below ({@link FAR_BELOW_ZERO}): the estimator's spread at this n (at n = 5,
 * unrelated random layers give −0.69 … 0.87), so the value measures nothing — said outright.
 */
function belowZero(t: string, s: string, value: number, n: number): string {
  const pair = `layer pair '${t}':'${s}': debiased CKA is ${value.toFixed(4)}`;
  if (value < FAR_BELOW_ZERO)
    return `${pair}, far below 0 at n = ${n}: the unbiased estimator spreads this widely over so few samples (unrelated layers average 0), so this score does not measure similarity; score more samples`;
  return `${pair}, below 0 — reported as computed: the unbiased estimator has expectation 0 for unrelated layers, so small negative values mean no detectable similarity`;
}

/** Relative size below which a Gram matrix counts as zero (float32 products round at ~1e-7). */
const CONSTANT_TOLERANCE = 1e-12;

function allFinite(a: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return false;
  return true;
}
