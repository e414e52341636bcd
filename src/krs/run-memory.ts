/**
 * The memory a scoring run will commit, priced from the declared shapes before any array is
 * read (docs/formulas.md §"Memory budget of a run"), and the check of its total against the
 * memory budget (`memoryBudget`, `--memory-budget`).
 *
 * What is counted, in bytes:
 *
 * - **held** for the whole run, per layer pair and per metric (the student's, and the null
 *   level's when it is on):
 *   - feature-space statistics: one state of the bytes its similarity plans (linear CKA
 *     8·(p(p+1)/2 + q(q+1)/2 + pq + …), `featureSpaceBytes`; Procrustes 8·(pq + p + q + 3))
 *     per stored interval group (⌈G/k⌉ of them after the interval
 *     memory budget's coarsening, one when intervals are off or for the null level);
 *   - sample-space CKA and RBF CKA: every row, n·(p·b_x + q·b_y) (b the rows' bytes per value);
 *   - the minibatch estimator and cosine (`scalars`): a few numbers (not counted);
 * - **whole arrays**: the student's arrays read whole (the null level, or ids that reorder the
 *   student's samples) at their decoded size, and the null level's permutation (4n bytes);
 * - **the largest transient**: one batch (batch rows × 8 bytes × every per-sample value read),
 *   the sample ids while they are aligned (n·(item size + 40) per side), or one pair's
 *   computation — a Gram pass (the centred copy 8·n·(p + q), row sums and diagonals 32n, the
 *   jackknife's per-group sums 8·n·(2G + 3), two Gram blocks 16·b·min(n, 4096)), the three
 *   n × n kernels of RBF CKA (24n²), or a minibatch's two b × b Gram matrices and shifted rows.
 *
 * total = held + whole arrays + largest transient; above the budget the run is refused before
 * anything is read, with one line naming the largest parts.
 */
import { errors } from '../core/errors.js';
import { sampleSpaceBytes } from '../similarity/linear-cka.js';
import type { PairRoute } from '../similarity/spec.js';
import { coarsening } from './groups.js';

export type { PairRoute };

/** One layer pair, from the declared shapes (its route and state size as its similarity plans them, {@link SimilaritySpec.plan}). */
export interface PairMemoryInput {
  readonly teacher: string;
  readonly student: string;
  readonly p: number;
  readonly q: number;
  readonly route: PairRoute;
  /** Bytes of one state on the `feature-space` route. */
  readonly stateBytes?: number;
  /** Bytes per value of the stored rows, each side (4 float32, 8 float64). */
  readonly valueBytes: { readonly teacher: number; readonly student: number };
}

/** Everything {@link runMemory} prices. */
export interface RunMemoryInput {
  /** Samples of the run. */
  readonly n: number;
  readonly batchSize: number;
  /** Bytes of one batch's row of every array read (8 per value: the float64 features). */
  readonly rowBytes: number;
  /** Interval groups of the student's metric (1 when intervals are off). */
  readonly groups: number;
  /** Bytes the per-group states of one layer pair may take (`intervals.memoryBudget`). */
  readonly intervalBudget: number;
  /** Rows per block of the Gram pass. */
  readonly gramBlock: number;
  readonly pairs: readonly PairMemoryInput[];
  /** The null level is computed (a second metric, the student's arrays read whole). */
  readonly nullLevel: boolean;
  /** Decoded bytes of each student array read whole (empty when none is). */
  readonly wholeArrays: readonly { readonly key: string; readonly bytes: number }[];
  /** Bytes per id of the id arrays read to align the samples (0 without ids). */
  readonly idItemBytes: number;
}

/** One priced part of a run. */
export interface MemoryPart {
  readonly what: string;
  readonly bytes: number;
}

/** A run's memory: the parts held, read whole, and the largest transient, and their total. */
export interface RunMemory {
  readonly parts: readonly MemoryPart[];
  readonly transient: MemoryPart;
  readonly total: number;
}

/** Rough bytes of one id string held by JavaScript while samples are aligned. */
const ID_STRING_BYTES = 40;
/** Columns of one Gram block product at most (as the Gram pass cuts its panels). */
const PANEL_COLUMNS = 4096;

/** Price a run (see the module comment). Pure arithmetic on the declared sizes; reads nothing. */
export function runMemory(input: RunMemoryInput): RunMemory {
  const metrics = input.nullLevel ? 2 : 1;
  const parts: MemoryPart[] = [];
  for (const pair of input.pairs) {
    const held = heldBytes(pair, input, false) + (metrics === 2 ? heldBytes(pair, input, true) : 0);
    if (held > 0) parts.push({ what: `${pairName(pair)} ${heldWhat(pair)}`, bytes: held });
  }
  for (const a of input.wholeArrays) parts.push({ what: `student array '${a.key}' read whole`, bytes: a.bytes });
  if (input.nullLevel) parts.push({ what: "the null level's permutation", bytes: 4 * input.n });
  const transient = largestTransient(input);
  const total = parts.reduce((a, p) => a + p.bytes, 0) + transient.bytes;
  return { parts, transient, total };
}

/**
 * Refuse a run whose memory exceeds the budget, before anything is read.
 * @throws BAD_VALUE naming the run, the bytes needed, its largest parts and the budget.
 */
export function assertRunFits(memory: RunMemory, budget: number, what: string): void {
  if (memory.total <= budget) return;
  const largest = [...memory.parts, memory.transient]
    .filter((p) => p.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 3);
  throw errors.overMemoryBudget(what, memory.total, budget, largest);
}

/** Bytes a pair's states hold in one metric (the null level's has one state per pair). */
function heldBytes(pair: PairMemoryInput, input: RunMemoryInput, nullLevel: boolean): number {
  const { n, p, q } = { n: input.n, p: pair.p, q: pair.q };
  if (pair.route === 'sample-space' || pair.route === 'rbf') return n * (p * pair.valueBytes.teacher + q * pair.valueBytes.student);
  if (pair.route !== 'feature-space') return 0;
  const state = pair.stateBytes ?? 0;
  if (nullLevel || input.groups <= 1) return state;
  const k = coarsening(input.groups, state, input.intervalBudget);
  return (k === 0 ? 1 : Math.ceil(input.groups / k)) * state;
}

function heldWhat(pair: PairMemoryInput): string {
  return pair.route === 'feature-space' ? 'feature-space statistics' : 'stored rows';
}

function pairName(pair: PairMemoryInput): string {
  return `layer pair '${pair.teacher}':'${pair.student}' (widths ${pair.p} and ${pair.q})`;
}

/** The largest of the parts that exist only for a while (see the module comment). */
function largestTransient(input: RunMemoryInput): MemoryPart {
  const { n, groups } = input;
  const batch = Math.min(n, input.batchSize);
  const candidates: MemoryPart[] = [{ what: `one batch of ${batch} rows`, bytes: batch * input.rowBytes }];
  if (input.idItemBytes > 0) candidates.push({ what: 'the sample ids while aligning', bytes: 2 * n * (input.idItemBytes + ID_STRING_BYTES) });
  for (const pair of input.pairs) {
    const { p, q } = pair;
    if (pair.route === 'sample-space') {
      const grouped = groups > 1 ? 8 * n * (2 * groups + 3) : 0;
      const blocks = 16 * Math.min(n, input.gramBlock) * Math.min(n, PANEL_COLUMNS);
      // The centred copy: sampleSpaceBytes less the stored rows.
      const centred = sampleSpaceBytes(n, p, q, { teacher: 0, student: 0 });
      candidates.push({ what: `the Gram pass of ${pairName(pair)}`, bytes: centred + 32 * n + grouped + blocks });
    } else if (pair.route === 'rbf') {
      candidates.push({ what: `the n × n kernels of ${pairName(pair)}`, bytes: 24 * n * n });
    } else if (pair.route === 'minibatch') {
      candidates.push({ what: `one minibatch of ${pairName(pair)}`, bytes: batch * input.rowBytes + 16 * batch * batch + 8 * batch * (p + q) });
    }
  }
  return candidates.reduce((a, b) => (b.bytes > a.bytes ? b : a));
}
