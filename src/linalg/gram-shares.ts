/**
 * The Gram-pass sums of one layer pair, as a shard's share of the work (docs/formulas.md
 * §"Shards"): shard i of N visits the rounds r ≡ i (mod N) of the pass over all n samples
 * ({@link gramPass}'s `share`), keeps the sums of each sample-space pair, and the merge adds
 * the N shares. Every sum is additive over rounds (a diagonal entry is written by one round
 * only), so the added shares are the whole pass's sums, up to the order of float64 additions.
 */
import { errors } from '../core/errors.js';
import { decodeFiniteFloat64, encodeFloat64 } from '../core/serialize.js';
import { asRecord, getInteger } from '../core/state-json.js';
import type { GramLayerSums, GramSums } from './gram-pass.js';

/** The sums one layer pair's exact CKA (and its leave-one-group-out values) is computed from. */
export interface PairGramSums {
  n: number;
  teacher: GramLayerSums;
  student: GramLayerSums;
  /** Σ K∘L. */
  cross: number;
  /** With groups: per-row and per-group sums, teacher then student (see GroupedSums). */
  grouped: {
    count: number;
    rowSquares: [Float64Array, Float64Array];
    withinSquares: [Float64Array, Float64Array];
    byGroup: [Float64Array, Float64Array];
    rowCross: Float64Array;
    withinCross: Float64Array;
  } | null;
}

/** Pair (t, s) of a pass's sums (views, not copies). */
export function pairSums(sums: GramSums, t: number, s: number): PairGramSums {
  const T = sums.teacher.length;
  const g = sums.grouped;
  return {
    n: sums.n,
    teacher: sums.teacher[t]!,
    student: sums.student[s]!,
    cross: sums.cross[t]![s]!,
    grouped: g
      ? {
          count: g.groups.count,
          rowSquares: [g.rowSquares[t]!, g.rowSquares[T + s]!],
          withinSquares: [g.withinSquares[t]!, g.withinSquares[T + s]!],
          byGroup: [g.byGroup[t]!, g.byGroup[T + s]!],
          rowCross: g.rowCross[t]![s]!,
          withinCross: g.withinCross[t]![s]!,
        }
      : null,
  };
}

const added = (a: Float64Array, b: Float64Array, what: string): Float64Array => {
  if (a.length !== b.length) throw errors.incompatibleStates('gram-share', 'merge', `${what} hold ${a.length} and ${b.length} values`);
  const out = Float64Array.from(a);
  for (let i = 0; i < out.length; i++) out[i] += b[i]!;
  return out;
};

const addLayer = (a: GramLayerSums, b: GramLayerSums, what: string): GramLayerSums => ({
  frob: a.frob + b.frob,
  rowSums: added(a.rowSums, b.rowSums, `${what} row sums`),
  diag: added(a.diag, b.diag, `${what} diagonals`),
});

/** The sums of two shares of the same pass (a new object; both untouched). @throws BAD_VALUE when they are not of the same pass. */
export function addPairSums(a: PairGramSums, b: PairGramSums): PairGramSums {
  if (a.n !== b.n) throw errors.incompatibleStates('gram-share', 'merge', `the shares cover ${a.n} and ${b.n} samples`);
  if ((a.grouped?.count ?? 0) !== (b.grouped?.count ?? 0)) throw errors.incompatibleStates('gram-share', 'merge', 'the shares have different groups');
  const ga = a.grouped;
  const gb = b.grouped;
  return {
    n: a.n,
    teacher: addLayer(a.teacher, b.teacher, 'teacher'),
    student: addLayer(a.student, b.student, 'student'),
    cross: a.cross + b.cross,
    grouped:
      ga && gb
        ? {
            count: ga.count,
            rowSquares: [added(ga.rowSquares[0], gb.rowSquares[0], 'row squares'), added(ga.rowSquares[1], gb.rowSquares[1], 'row squares')],
            withinSquares: [added(ga.withinSquares[0], gb.withinSquares[0], 'group squares'), added(ga.withinSquares[1], gb.withinSquares[1], 'group squares')],
            byGroup: [added(ga.byGroup[0], gb.byGroup[0], 'group row sums'), added(ga.byGroup[1], gb.byGroup[1], 'group row sums')],
            rowCross: added(ga.rowCross, gb.rowCross, 'row cross sums'),
            withinCross: added(ga.withinCross, gb.withinCross, 'group cross sums'),
          }
        : null,
  };
}

/** Plain JSON, float64 arrays exact. */
export function pairSumsToJSON(p: PairGramSums): Record<string, unknown> {
  const layer = (l: GramLayerSums) => ({ frob: l.frob, rowSums: encodeFloat64(l.rowSums), diag: encodeFloat64(l.diag) });
  const g = p.grouped;
  return {
    n: p.n,
    teacher: layer(p.teacher),
    student: layer(p.student),
    cross: p.cross,
    grouped: g
      ? {
          count: g.count,
          rowSquares: g.rowSquares.map(encodeFloat64),
          withinSquares: g.withinSquares.map(encodeFloat64),
          byGroup: g.byGroup.map(encodeFloat64),
          rowCross: encodeFloat64(g.rowCross),
          withinCross: encodeFloat64(g.withinCross),
        }
      : null,
  };
}

/** Inverse of {@link pairSumsToJSON}, every length checked. @throws BAD_VALUE naming the field. */
export function pairSumsFromJSON(json: unknown): PairGramSums {
  const what = 'gram-share';
  const o = asRecord(json, what);
  const n = getInteger(o, 'n', what);
  const num = (v: unknown, field: string) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw errors.badState(what, `${field} must be a finite number`);
    return v;
  };
  const arr = (v: unknown, field: string, length: number) => {
    const a = decodeFiniteFloat64(v, `${what} ${field}`);
    if (a.length !== length) throw errors.badState(what, `${field} must hold ${length} values, got ${a.length}`);
    return a;
  };
  const layer = (v: unknown, side: string): GramLayerSums => {
    const l = asRecord(v, what, side);
    return { frob: num(l.frob, `${side}.frob`), rowSums: arr(l.rowSums, `${side}.rowSums`, n), diag: arr(l.diag, `${side}.diag`, n) };
  };
  let grouped: PairGramSums['grouped'] = null;
  if (o.grouped !== null && o.grouped !== undefined) {
    const g = asRecord(o.grouped, what, 'grouped');
    const G = getInteger(g, 'count', what, 1);
    const two = (v: unknown, field: string, length: number): [Float64Array, Float64Array] => {
      if (!Array.isArray(v) || v.length !== 2) throw errors.badState(what, `grouped.${field} must hold two arrays`);
      return [arr(v[0], `grouped.${field}[0]`, length), arr(v[1], `grouped.${field}[1]`, length)];
    };
    grouped = {
      count: G,
      rowSquares: two(g.rowSquares, 'rowSquares', n),
      withinSquares: two(g.withinSquares, 'withinSquares', G),
      byGroup: two(g.byGroup, 'byGroup', n * G),
      rowCross: arr(g.rowCross, 'grouped.rowCross', n),
      withinCross: arr(g.withinCross, 'grouped.withinCross', G),
    };
  }
  return { n, teacher: layer(o.teacher, 'teacher'), student: layer(o.student, 'student'), cross: num(o.cross, 'cross'), grouped };
}
