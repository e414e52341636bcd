/**
 * Sharding the sample-space route of exact CKA (docs/formulas.md §"Shards"). A pair whose
 * exact CKA runs in sample space needs the n × n Gram matrices of all samples, which no slice
 * of the samples has. So each shard of `krs score` reads the pair's rows of *all* samples
 * from the captures (shared storage), visits its share of the Gram pass's rounds (round r goes
 * to shard r mod N: pairs of sample blocks, O(n²(p+q)/N) work each), and keeps the pair's
 * additive sums instead of its rows; the merge adds the N shares and computes CKA and every
 * leave-one-group-out value from them — the single run's numbers, only float64 additions in
 * another order.
 *
 * The rows are centred by the same column means as the single run's (per-group sums added in
 * group order, as its merged row stores are) and the blocks are the same, so every block
 * product is the same bits on either backend.
 */
import { errors } from '../core/errors.js';
import { gatherRows, type Tensor } from '../core/tensor.js';
import { DEFAULT_GRAM_BLOCK, gramPass, type RowSource, type SampleGroups } from '../linalg/gram-pass.js';
import { addPairSums, type PairGramSums, pairSums, pairSumsFromJSON, pairSumsToJSON } from '../linalg/gram-shares.js';
import { addColumnSumsInOrder } from '../linalg/vector.js';
import { featureMatrix } from '../similarity/features.js';
import { isSimilarity, type Similarity, similaritySpec } from '../similarity/registry.js';
import type { GramShareReducer } from '../similarity/spec.js';
import { blockBounds } from './groups.js';
import type { KrsMetric, ReducedPair } from './metric.js';
import type { ScorePlan } from './score-captures.js';
import type { ShardSpec } from './shards.js';

/** One pair's share (or added shares) in a state file. */
export interface GramShareJSON {
  /** A similarity whose spec reduces Gram shares ({@link SimilaritySpec.gramShares}: the linear CKA family). */
  similarity: Similarity;
  teacher: string;
  student: string;
  p: number;
  q: number;
  /** Interval groups the sums are kept by (1: none). */
  groups: number;
  sums: Record<string, unknown>;
}

/**
 * The pairs of a plan that take the sample-space route in the whole run (the plan's `routes`,
 * from `pairRoutes`: the route chosen for all n samples) with a similarity that reduces Gram
 * shares (the linear CKA family, exact).
 */
export function sampleSpacePairs(plan: ScorePlan): SampleSpacePair[] {
  const out: SampleSpacePair[] = [];
  plan.routes.forEach(({ p, q, similarity, route }, index) => {
    if (route === 'sample-space' && similaritySpec(similarity).gramShares) out.push({ index, p, q, similarity });
  });
  return out;
}

/** The reducer of a share's similarity. @throws BAD_VALUE for a similarity that has none (a foreign or corrupt state). */
function reducerOf(share: GramShareJSON, index: string): GramShareReducer {
  const reducer = isSimilarity(share.similarity) ? similaritySpec(share.similarity).gramShares : undefined;
  if (!reducer) throw errors.badState('gram-share', `pair ${index} names ${JSON.stringify(share.similarity)}, which has no Gram shares`);
  return reducer;
}

/** A pair on the sample-space route: its index in the plan, pooled widths and similarity. */
export interface SampleSpacePair {
  index: number;
  p: number;
  q: number;
  similarity: Similarity;
}

/**
 * Shard `spec`'s share of the Gram pass of the given pairs over all n samples (the student's
 * rows in `rowOf` order: ids alignment, or the null level's permutation), by `groups` interval
 * groups; the pairs' rows are released from `metric` (the shares replace them).
 */
export async function gramShare(
  plan: ScorePlan,
  metric: KrsMetric,
  pairs: readonly SampleSpacePair[],
  rowOf: Int32Array | null,
  spec: ShardSpec,
): Promise<Record<string, GramShareJSON>> {
  if (pairs.length === 0) return {};
  const o = plan.options;
  const n = plan.n;
  const G = metric.groups;
  const feature = { pool: metric.pool, channelsLast: o.channelsLast, checkFinite: false };
  const bounds = blockBounds(n, G);
  const wholeStudent = new Map<string, Tensor>();
  const source = (side: 'teacher' | 'student', key: string): RowSource => {
    const capture = side === 'teacher' ? o.teacher : o.student;
    const maskKey = plan.masks[side];
    const rows = (start: number, end: number): Float32Array | Float64Array => {
      const read = (k: string): Tensor => {
        if (side === 'teacher' || !rowOf) return capture.readRows(k, start, end);
        let whole = wholeStudent.get(k);
        if (!whole) wholeStudent.set(k, (whole = capture.read(k)));
        return gatherRows(whole, rowOf, start, end);
      };
      const what = `${side} layer '${key}'`;
      return featureMatrix(read(key), what, { ...feature, checkFinite: true, mask: maskKey ? read(maskKey) : undefined }).data;
    };
    // Column means as the single run's merged row stores have them: each group's rows summed in
    // order, the groups' sums added in group order.
    let cols = 0;
    let total: Float64Array | null = null;
    for (let g = 0; g < G; g++) {
      let sums: Float64Array | null = null;
      const step = 4096;
      for (let a = bounds[g]!; a < bounds[g + 1]!; a += step) {
        const b = Math.min(bounds[g + 1]!, a + step);
        const x = rows(a, b);
        cols = x.length / (b - a);
        sums ??= new Float64Array(cols);
        addColumnSumsInOrder(sums, x, b - a, cols);
      }
      if (!sums) continue;
      if (!total) total = sums;
      else for (let j = 0; j < cols; j++) total[j] += sums[j]!;
    }
    if (!total) throw errors.badValue(`${side} layer '${key}'`, 0, 'at least one sample');
    return { cols, mean: total.map((v) => v / n), readRows: rows };
  };
  const teacherKeys = [...new Set(pairs.map((x) => plan.pairs[x.index]!.teacher))];
  const studentKeys = [...new Set(pairs.map((x) => plan.pairs[x.index]!.student))];
  const groups = contiguousGroups(n, G) ?? undefined;
  const sums = await gramPass(
    teacherKeys.map((k) => source('teacher', k)),
    studentKeys.map((k) => source('student', k)),
    n,
    o.backend ?? (await import('../linalg/typescript-backend.js')).typescriptBackend,
    o.gramBlock ?? DEFAULT_GRAM_BLOCK,
    undefined,
    groups,
    spec,
  );
  const out: Record<string, GramShareJSON> = {};
  for (const x of pairs) {
    const pair = plan.pairs[x.index]!;
    const t = teacherKeys.indexOf(pair.teacher);
    const s = studentKeys.indexOf(pair.student);
    out[String(x.index)] = {
      similarity: x.similarity,
      teacher: pair.teacher,
      student: pair.student,
      p: x.p,
      q: x.q,
      groups: G,
      sums: pairSumsToJSON(pairSums(sums, t, s)),
    };
    metric.releaseRows(x.index);
  }
  return out;
}

/** The interval groups of n samples as the whole run has them (contiguous blocks, src/krs/groups.ts), or null for one group. */
function contiguousGroups(n: number, G: number): SampleGroups | null {
  if (G <= 1) return null;
  const bounds = blockBounds(n, G);
  const of = new Int32Array(n);
  for (let g = 0; g < G; g++) of.fill(g, bounds[g], bounds[g + 1]);
  return { of, count: G };
}

/** Two sets of shares of the same pairs added (a new object). */
export function addGramShares(a: Record<string, GramShareJSON>, b: Record<string, GramShareJSON>): Record<string, GramShareJSON> {
  const out: Record<string, GramShareJSON> = {};
  for (const [i, x] of Object.entries(a)) {
    const y = b[i];
    if (!y || y.teacher !== x.teacher || y.student !== x.student || y.groups !== x.groups) {
      throw errors.badState('gram-share', `pair ${i} ('${x.teacher}':'${x.student}') is not in both sets of shares alike`);
    }
    out[i] = { ...x, sums: pairSumsToJSON(addPairSums(pairSumsFromJSON(x.sums), pairSumsFromJSON(y.sums))) };
  }
  return out;
}

/** The reduced pairs (for {@link KrsMetric.compute}) of complete shares. */
export function reducedPairs(shares: Record<string, GramShareJSON>): Map<number, ReducedPair> {
  const out = new Map<number, ReducedPair>();
  for (const [i, share] of Object.entries(shares)) {
    const reducer = reducerOf(share, i);
    const sums: PairGramSums = pairSumsFromJSON(share.sums);
    const estimate = reducer.estimate(sums, share.p, share.q, share.teacher, share.student);
    const groups = contiguousGroups(sums.n, share.groups);
    out.set(Number(i), {
      result: {
        similarity: share.similarity,
        estimator: estimate.estimator,
        route: 'sample-space',
        value: estimate.value,
        n: sums.n,
        teacherWidth: share.p,
        studentWidth: share.q,
        warnings: estimate.warnings,
      },
      leaveOut: groups ? () => reducer.leaveOut(sums, groups, share.teacher, share.student) : null,
    });
  }
  return out;
}
