/**
 * Groups of samples for the jackknife intervals of {@link KrsMetric} (docs/formulas.md
 * §"Intervals"): which group each streamed sample belongs to, cutting a batch into its
 * groups' pieces, and the memory a per-group state takes.
 *
 * A sample's group comes from its running index i (0, 1, … in the order samples are fed):
 *
 *     contiguous blocks (the total N known):  g(i) = ⌊i·G/N⌋   (block g = rows [⌈g·N/G⌉, ⌈(g+1)·N/G⌉))
 *     interleaved (N unknown):                g(i) = i mod G
 *
 * so k batches, or one, put every sample in the same group.
 */
import type { OutputBatch } from '../agreement/spec.js';
import { errors, opt } from '../core/errors.js';
import { gatherRows, sliceRows, type Tensor } from '../core/tensor.js';

/** Default number of groups. */
export const DEFAULT_GROUPS = 20;
/** The memory budget never lowers the groups of a layer pair below this many. */
const MIN_GROUPS = 5;
/** Default bytes allowed for the per-group states of one layer pair. */
export const DEFAULT_GROUP_MEMORY = 512 * 2 ** 20;

/**
 * Default multiply-adds the leave-one-group-out scores of one layer pair may need (about 20 s
 * of Gram products on the TypeScript backend of a 2-core machine; docs/formulas.md §"Intervals").
 */
export const DEFAULT_WORK_BUDGET = 1e11;

/** Rows of one batch that belong to one group: a contiguous range or a list of rows. */
export interface Piece {
  group: number;
  /** Rows [start, end) of the batch, or the listed rows. */
  start: number;
  end: number;
  rows?: Int32Array;
  count: number;
}

/** The first row of each contiguous block and the end: ⌈g·N/G⌉ for g = 0…G. */
export function blockBounds(samples: number, groups: number): number[] {
  const out: number[] = [];
  for (let g = 0; g <= groups; g++) out.push(Math.ceil((g * samples) / groups));
  return out;
}

/**
 * The pieces of a batch of `count` rows whose first row has running index `first`.
 * `explicit` puts the whole batch in one group.
 * @throws BAD_VALUE when more samples arrive than `samples` announced.
 */
export function piecesOf(first: number, count: number, groups: number, samples: number | undefined, explicit?: number): Piece[] {
  if (count === 0) return [];
  if (explicit !== undefined) {
    if (!Number.isInteger(explicit) || explicit < 0 || explicit >= groups) throw errors.badOption('group', explicit, `an integer in [0, ${groups - 1}]`);
    return [{ group: explicit, start: 0, end: count, count }];
  }
  if (samples !== undefined) {
    if (first + count > samples) throw errors.badValue('samples fed to the metric', first + count, `at most ${samples} (${opt('intervals')}.samples)`);
    const out: Piece[] = [];
    let start = 0;
    while (start < count) {
      const g = Math.floor(((first + start) * groups) / samples);
      const end = Math.min(count, Math.ceil(((g + 1) * samples) / groups) - first);
      out.push({ group: g, start, end, count: end - start });
      start = end;
    }
    return out;
  }
  if (groups === 1) return [{ group: 0, start: 0, end: count, count }];
  const lists: number[][] = Array.from({ length: Math.min(groups, count) }, () => []);
  for (let r = 0; r < count; r++) lists[r % lists.length]!.push(r);
  return lists.map((rows) => {
    const group = (first + rows[0]!) % groups;
    return { group, start: 0, end: rows.length, rows: Int32Array.from(rows), count: rows.length };
  });
}

/** The rows of a tensor that a piece selects (a view for a contiguous range). */
export function takeRows(t: Tensor, piece: Piece): Tensor {
  return piece.rows ? gatherRows(t, piece.rows, 0, piece.rows.length) : sliceRows(t, piece.start, piece.end);
}

/** Rows of an output batch: the output tensors' first axis, or the number of images (detection). */
export function outputRows(b: OutputBatch): number {
  return b.teacherOutput?.shape[0] ?? b.studentOutput?.shape[0] ?? b.images?.length ?? 0;
}

/** The part of an output batch a piece selects. */
export function takeOutputRows(b: OutputBatch, piece: Piece): OutputBatch {
  const pick = <T>(xs: readonly T[]) => (piece.rows ? Array.from(piece.rows, (r) => xs[r]!) : xs.slice(piece.start, piece.end));
  return {
    ...(b.teacherOutput ? { teacherOutput: takeRows(b.teacherOutput, piece) } : {}),
    ...(b.studentOutput ? { studentOutput: takeRows(b.studentOutput, piece) } : {}),
    ...(b.outputMask ? { outputMask: takeRows(b.outputMask, piece) } : {}),
    ...(b.images ? { images: pick(b.images) } : {}),
  };
}

/**
 * Approximate bytes of a measure state: typed arrays by their length, numbers as 8 bytes,
 * strings by length, arrays and objects walked. Used only to size per-group states against
 * the memory budget, so it works for any registered measure.
 */
export function stateBytes(state: unknown, seen = new Set<object>()): number {
  if (state === null || state === undefined) return 0;
  if (typeof state === 'number' || typeof state === 'boolean') return 8;
  if (typeof state === 'string') return 2 * state.length;
  if (typeof state !== 'object') return 0;
  if (seen.has(state)) return 0;
  seen.add(state);
  if (ArrayBuffer.isView(state)) return state.byteLength;
  if (state instanceof ArrayBuffer) return state.byteLength;
  let bytes = 0;
  if (Array.isArray(state)) for (const v of state) bytes += stateBytes(v, seen);
  else if (state instanceof Map) for (const [k, v] of state) bytes += stateBytes(k, seen) + stateBytes(v, seen);
  else for (const v of Object.values(state)) bytes += stateBytes(v, seen);
  return bytes;
}

/**
 * How many adjacent groups a layer pair's states are coarsened by (1, 2, 4, …) so that its
 * ⌈G/k⌉ states fit in `budget` bytes, or 0 (one state, no interval) when even
 * {@link MIN_GROUPS} do not fit. Powers of two nest, so pairs of different k share the
 * coarsest grouping for FSS and KRS.
 */
export function coarsening(groups: number, bytesPerState: number, budget: number): number {
  if (groups <= 1) return 1;
  let k = 1;
  while (Math.ceil(groups / k) * bytesPerState > budget) {
    k *= 2;
    if (Math.ceil(groups / k) < Math.min(MIN_GROUPS, groups)) return 0;
  }
  return k;
}

/** `n` bytes as MB for messages. */
export function megabytes(n: number): string {
  return `${(n / 2 ** 20).toFixed(n < 2 ** 20 ? 2 : 0)} MB`;
}
