/**
 * Declarative measure state (torchmetrics' `add_state`, for the whole state): a measure
 * declares each field of its state once — what it holds when empty, how two shards' values
 * merge, its JSON form and how a stored value is validated — and {@link declareState} derives
 * `init`, `reset`, `merge`, `copy`, `toJSON`, `fromJSON` and the field-by-field checks
 * (docs/architecture.md §"The Measure contract").
 *
 * The rules:
 *
 * | rule | merge | JSON |
 * |---|---|---|
 * | {@link sum} | a + b | the number |
 * | {@link sumFloat64} | a + b element by element (lengths from the widths) | exact float64 ({@link encodeFloat64}) |
 * | {@link padSum} | a + b element by element, the shorter padded with 0 | number array |
 * | {@link minEach} / {@link maxEach} | element-wise min / max | number array |
 * | {@link pooledMean} / {@link pooledM2} | Chan et al.'s pairwise mean and Σ(x − mean)² | number array |
 * | {@link fixed} | must be equal (else an error); a's kept | the value |
 * | {@link sameOptions} | the measure's options: must be equal, key by key | a copy of the object |
 * | {@link knownOnce} | null until known; must be equal once both are known; a ?? b | the value or null |
 * | {@link first} | a's kept (after {@link StateDeclaration.align} made b like a) | the value |
 * | {@link concat} | a's chunks then b's (sample order) | an array of exact float64 chunks |
 * | {@link rowChunks} | a's rows then b's, float32 kept float32 | `float32` and `data` (all rows, exact float64) |
 * | {@link disjointIds} | union; an id in both is an ID_MISMATCH | an array of the ids |
 * | {@link sparseCounts} | padded sums of several count columns | `[index, …counts]` rows for indices with a count |
 * | {@link nested} | another declaration's merge | its JSON |
 *
 * {@link declareVariants} declares a state that is one of several declared shapes told apart
 * by a tag field (a CKA state's route).
 *
 * Edge cases, the same for every measure:
 * - **merge** leaves both states untouched and shares no array it may later change with
 *   them (row chunks, never changed once stored, are shared). Every `fixed`,
 *   `sameOptions` and `knownOnce` field is compared first (in declaration order), so a mismatch
 *   throws before anything is computed: `sameOptions` as BAD_OPTION "cannot merge <measure> state:
 *   it was made with other options: option k differs (a vs b)", `knownOnce` as BAD_OPTION
 *   "cannot merge <measure> state: <what> differ (a vs b)", `fixed` with the rule's own error
 *   (widths: SHAPE_MISMATCH) or BAD_OPTION "<key> differs". Then, when the declaration has
 *   `isEmpty` and one state is empty, the result is a copy of the other (an empty state is
 *   the identity, whatever its shift or chunks); else `align` (if declared) brings b to a's
 *   frame and every field merges by its rule — so the bits are those of the hand-written
 *   merges (a + b, in that order).
 * - **toJSON** writes the tag `{measure, version}` first when the declaration has a version,
 *   then every field in declaration order (a field may write several keys: {@link rowChunks}).
 *   Float64 arrays are exact (base64 of their bytes); plain numbers are JSON numbers.
 * - **fromJSON** checks the tag (a state of another measure, or of an unknown version, is a
 *   BAD_VALUE naming both; an older version is first brought up to date by
 *   {@link StateDeclaration.upgrades}), then reads every field in order, each validated
 *   (BAD_VALUE "cannot restore <measure> state: <key> must be …", or, for float64 arrays,
 *   "serialised <measure> state field <key> [i] is …"); a field whose length depends on
 *   earlier fields (widths) is checked against them, so nothing is allocated from a declared
 *   size. `expected` values (the measure's options, the layer pair's widths) must equal the
 *   stored ones (BAD_VALUE naming the field). Then `check` runs the cross-field checks.
 * - **init(given)** builds every field's empty value; fields without one (`fixed`, `sameOptions`)
 *   must be given. **reset(state)** is init with the state's own fixed fields.
 */
import { errors, type KrsError } from './errors.js';
import { decodeFiniteFloat64, encodeFloat64, float64Encoding } from './serialize.js';
import { asRecord, assertSameConfig, checkTag } from './state-json.js';

/** Why states are compared: merging two, folding a batch into one, or restoring one against the measure's own settings. */
export type Verb = 'merge' | 'update' | 'restore';

/** What a field's reader sees: the measure's name, the field's key, the fields read so far, the whole JSON object and the measure's own value of the field, if any. */
export interface ReadContext<S> {
  readonly measure: string;
  readonly key: string;
  readonly state: Partial<S>;
  readonly json: Record<string, unknown>;
  readonly expected?: unknown;
}

/** How two values of a field are being compared: merging states a and b, or a state (b) against the measure's own values (a). */
export interface Comparison<S> {
  readonly verb: Verb;
  readonly measure: string;
  readonly key: string;
  readonly a: S;
  readonly b: S;
}

/** One field of a state: its empty value, merge rule, JSON form and validation. */
export interface Field<V, S = unknown> {
  /** The value of an empty state (may read earlier fields, e.g. a width); absent: the value must be given to `init`. */
  empty?(s: Partial<S>): V;
  /** Throw when a and b cannot go together; run before anything merges. */
  assertSame?(a: V, b: V, how: Comparison<S>): void;
  /** The merged value (a's samples first); reads but never modifies a and b. `sa`, `sb` are the whole states. */
  merge(a: V, b: V, sa: S, sb: S): V;
  /** A copy sharing no mutable part with v (`s`: the whole state). */
  copy(v: V, s: S): V;
  /** The JSON value; with `jsonKeys`, an object of those keys (`s`: the whole state). */
  toJSON(v: V, s: S): unknown;
  /** The value from its JSON (or, with `jsonKeys`, from the whole object). @throws BAD_VALUE naming the measure and key. */
  fromJSON(json: unknown, ctx: ReadContext<S>): V;
  /** The JSON keys the field is stored under when not its own (one field, several keys). */
  readonly jsonKeys?: readonly string[];
}

/** A state declaration: the measure's name, the optional version tag and the fields in JSON order. */
export interface StateDeclaration<S> {
  /** The measure's name in messages (and in the tag). */
  readonly measure: string;
  /** When set, the JSON starts with `{measure, version}` and fromJSON checks it. */
  readonly version?: number;
  /** Readers of older versions: `upgrades[v]` turns a version-v JSON object into version v + 1. */
  readonly upgrades?: Readonly<Record<number, (json: Record<string, unknown>) => Record<string, unknown>>>;
  readonly fields: { readonly [K in keyof S]-?: Field<S[K], S> };
  /** An empty state merges as the identity (the other state is copied). */
  readonly isEmpty?: (s: S) => boolean;
  /** Before the fields merge: b re-expressed in a's frame (e.g. about a's shift). Returns the b to merge. */
  readonly align?: (a: S, b: S) => S;
  /** Cross-field checks of a restored state: the reason it is inconsistent, or null. */
  readonly check?: (s: S) => string | null;
}

/** What {@link declareState} derives. */
export interface DeclaredState<S> {
  readonly measure: string;
  /** An empty state; fields without an empty value (fixed, options) come from `given`. */
  init(given?: Partial<S>): S;
  /** An empty state with s's fixed fields. */
  reset(s: S): S;
  /**
   * Throw unless b fits a: two states to merge, or (verb `update`, `restore`) a state against
   * the measure's own values `a` (its options, its widths).
   */
  assertSame(a: Partial<S>, b: S, verb: Verb): void;
  /** A new state equal to having seen a's samples then b's; a and b untouched. */
  merge(a: S, b: S): S;
  /** A copy sharing no mutable part. */
  copy(s: S): S;
  toJSON(s: S): Record<string, unknown>;
  /** @throws BAD_VALUE for a malformed or foreign state, or one unlike `expected`. */
  fromJSON(json: unknown, expected?: Partial<S>): S;
  /** `init`, `merge`, `toJSON` and `fromJSON` bound to the measure's own fixed values. */
  bind(expected: Partial<S>): { init(): S; merge(a: S, b: S): S; toJSON(s: S): Record<string, unknown>; fromJSON(json: unknown): S };
}

/** Derive a state's operations from its declaration (see the module comment for the rules). */
export function declareState<S>(decl: StateDeclaration<S>): DeclaredState<S> {
  const { measure } = decl;
  const entries = Object.entries(decl.fields) as [keyof S & string, Field<unknown, S>][];

  /** Compare the fields `a` has with b's (a: a state or the measure's own values). */
  const assertSame = (a: Partial<S>, b: S, verb: Verb) => {
    for (const [k, f] of entries) {
      if (f.assertSame && k in a) f.assertSame(a[k] as S[typeof k], b[k], { verb, measure, key: k, a: a as S, b });
    }
  };
  const copy = (s: S): S => {
    const out = {} as S;
    for (const [k, f] of entries) out[k] = f.copy(s[k], s) as S[typeof k];
    return out;
  };
  const init = (given: Partial<S> = {}): S => {
    const out: Partial<S> = {};
    for (const [k, f] of entries) {
      if (k in given) out[k] = given[k];
      else if (f.empty) out[k] = f.empty(out) as S[typeof k];
      else throw errors.internal(`${measure} state: field ${k} has no empty value and was not given`);
    }
    return out as S;
  };
  const fixedOf = (s: S): Partial<S> => {
    const out: Partial<S> = {};
    for (const [k, f] of entries) if (!f.empty) out[k] = s[k];
    return out;
  };
  const merge = (a: S, b: S): S => {
    assertSame(a, b, 'merge');
    if (decl.isEmpty?.(b)) return copy(a);
    if (decl.isEmpty?.(a)) return copy(b);
    const bb = decl.align ? decl.align(a, b) : b;
    const out = {} as S;
    for (const [k, f] of entries) out[k] = f.merge(a[k], bb[k], a, bb) as S[typeof k];
    return out;
  };
  const toJSON = (s: S): Record<string, unknown> => {
    const out: Record<string, unknown> = decl.version === undefined ? {} : { measure, version: decl.version };
    for (const [k, f] of entries) {
      if (f.jsonKeys) Object.assign(out, f.toJSON(s[k], s));
      else out[k] = f.toJSON(s[k], s);
    }
    return out;
  };
  const fromJSON = (json: unknown, expected: Partial<S> = {}): S => {
    let o = asRecord(json, measure);
    if (decl.version !== undefined) o = upgrade(o, decl);
    const out: Partial<S> = {};
    for (const [k, f] of entries) {
      out[k] = f.fromJSON(f.jsonKeys ? o : o[k], { measure, key: k, state: out, json: o, expected: expected[k] }) as S[typeof k];
    }
    assertSame(expected, out as S, 'restore');
    const reason = decl.check?.(out as S);
    if (reason) throw errors.badState(measure, reason);
    return out as S;
  };
  return {
    measure,
    init,
    reset: (s) => init(fixedOf(s)),
    assertSame,
    merge,
    copy,
    toJSON,
    fromJSON,
    bind: (expected) => ({ init: () => init(expected), merge, toJSON, fromJSON: (json) => fromJSON(json, expected) }),
  };
}

/** Check the tag, bringing an older version up to date through the declared upgrades. */
function upgrade<S>(o: Record<string, unknown>, decl: StateDeclaration<S>): Record<string, unknown> {
  const version = decl.version!;
  let v = o.version;
  while (o.measure === decl.measure && typeof v === 'number' && v < version && decl.upgrades?.[v]) {
    o = { ...decl.upgrades[v]!(o), measure: decl.measure, version: v + 1 };
    v = v + 1;
  }
  checkTag(o, decl.measure, version);
  return o;
}

// --- scalar kinds: what a stored number (or flag) must be ---

/** A kind of stored value: a test and the words for it in messages. */
export interface Kind<V> {
  readonly is: (v: unknown) => v is V;
  /** "a finite number ≥ 0", "an integer ≥ 1"… */
  readonly describe: string;
}

/** A finite number ≥ 0 (counts and sums of non-negative terms). */
export const nonNegative: Kind<number> = {
  is: (v): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0,
  describe: 'a finite number ≥ 0',
};

/** A finite number of any sign. */
export const finite: Kind<number> = { is: (v): v is number => typeof v === 'number' && Number.isFinite(v), describe: 'a finite number' };

/** A safe integer ≥ min. */
export function integer(min = 0): Kind<number> {
  return { is: (v): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= min, describe: `an integer ≥ ${min}` };
}

/** true or false. */
export const flag: Kind<boolean> = { is: (v): v is boolean => typeof v === 'boolean', describe: 'true or false' };

/** null or a value of `kind`. */
export function nullable<V>(kind: Kind<V>): Kind<V | null> {
  return { is: (v): v is V | null => v === null || kind.is(v), describe: `null or ${kind.describe}` };
}

function readKind<V>(kind: Kind<V>, v: unknown, ctx: { measure: string; key: string }): V {
  if (!kind.is(v)) throw errors.badState(ctx.measure, `${ctx.key} must be ${kind.describe}, got ${JSON.stringify(v)}`);
  return v;
}

/** An array length a field must have, from the fields read before it (a width); absent: any length. */
export type Length<S> = (s: Partial<S>) => number;

function checkLength<S>(actual: number, length: Length<S> | undefined, ctx: ReadContext<S>): void {
  if (length === undefined) return;
  const want = length(ctx.state);
  if (actual !== want) throw errors.badState(ctx.measure, `${ctx.key} must have ${want} entries, got ${actual}`);
}

function readFloat64<S>(j: unknown, length: Length<S> | undefined, ctx: ReadContext<S>): Float64Array {
  const a = decodeFiniteFloat64(j, `serialised ${ctx.measure} state field ${ctx.key}`);
  checkLength(a.length, length, ctx);
  return a;
}

/** A plain number array (JSON numbers) of `length`, each of `kind`, merged by `merge`; empty: [] or zeros of `length`. */
function numberArray<S>(merge: Field<number[], S>['merge'], o: { length?: Length<S>; kind?: Kind<number>; zeros?: boolean } = {}): Field<number[], S> {
  const kind = o.kind ?? finite;
  return {
    empty: (s) => (o.zeros && o.length ? new Array<number>(o.length(s)).fill(0) : []),
    merge,
    copy: (v) => [...v],
    toJSON: (v) => [...v],
    fromJSON(j, ctx) {
      if (!Array.isArray(j) || !j.every((x) => kind.is(x))) {
        throw errors.badState(ctx.measure, `${ctx.key} must be an array of ${kind === finite ? 'finite numbers' : `numbers, each ${kind.describe}`}`);
      }
      checkLength(j.length, o.length, ctx);
      return [...(j as number[])];
    },
  };
}

// --- the rules ---

/** A running sum: empty 0, merged a + b, stored as a JSON number of `kind` (default: finite ≥ 0). */
export function sum<S>(kind: Kind<number> = nonNegative): Field<number, S> {
  return { empty: () => 0, merge: (a, b) => a + b, copy: (v) => v, toJSON: (v) => v, fromJSON: (j, ctx) => readKind(kind, j, ctx) };
}

/** Sums per entry in a number array that grows with the labels seen: the shorter side is padded with 0. */
export function padSum<S>(kind: Kind<number> = nonNegative): Field<number[], S> {
  return numberArray((a, b) => Array.from({ length: Math.max(a.length, b.length) }, (_, i) => (a[i] ?? 0) + (b[i] ?? 0)), { kind });
}

/** Per-entry min or max; an empty array (no samples yet) is the identity. */
function eachBy<S>(pick: (a: number, b: number) => number, length?: Length<S>): Field<number[], S> {
  return numberArray((a, b) => (a.length === 0 ? [...b] : b.length === 0 ? [...a] : a.map((v, i) => pick(v, b[i]!))), { length });
}

/** Per-entry minimum (e.g. of each output over the samples), as a number array of `length`. */
export function minEach<S>(length?: Length<S>): Field<number[], S> {
  return eachBy(Math.min, length);
}

/** Per-entry maximum, as a number array of `length`. */
export function maxEach<S>(length?: Length<S>): Field<number[], S> {
  return eachBy(Math.max, length);
}

/**
 * Per-entry means over the field `count` of samples, merged by Chan et al. (1979):
 * mean = mean_a + δ·n_b/n, δ = mean_b − mean_a; a side with n = 0 contributes nothing.
 */
export function pooledMean<S>(count: keyof S & string, length?: Length<S>): Field<number[], S> {
  return numberArray(
    (a, b, sa, sb) => {
      const [na, nb] = [sa[count] as number, sb[count] as number];
      return a.map((ma, j) => (nb === 0 ? ma : na === 0 ? b[j]! : ma + (b[j]! - ma) * (nb / (na + nb))));
    },
    { length },
  );
}

/**
 * Per-entry Σ(x − mean)² over `count` samples about the field `mean`, merged by Chan et al.:
 * M2 = M2_a + M2_b + δ²·n_a·n_b/n, δ = mean_b − mean_a; a side with n = 0 contributes nothing.
 */
export function pooledM2<S>(count: keyof S & string, mean: keyof S & string, length?: Length<S>): Field<number[], S> {
  return numberArray(
    (a, b, sa, sb) => {
      const [na, nb] = [sa[count] as number, sb[count] as number];
      const [ma, mb] = [sa[mean] as number[], sb[mean] as number[]];
      return a.map((m2a, j) => {
        if (nb === 0) return m2a;
        if (na === 0) return b[j]!;
        const delta = mb[j]! - ma[j]!;
        return m2a + b[j]! + delta * delta * ((na * nb) / (na + nb));
      });
    },
    { length },
  );
}

/** Float64 sums per entry (moments, packed triangles, cross products), stored exactly; empty: zeros of `length`. */
export function sumFloat64<S>(length: Length<S>): Field<Float64Array, S> {
  return {
    empty: (s) => new Float64Array(length(s)),
    merge: addFloat64,
    copy: (v) => v.slice(),
    toJSON: encodeFloat64,
    fromJSON: (j, ctx) => readFloat64(j, length, ctx),
  };
}

/** A float64 array kept from the first state (after {@link StateDeclaration.align} b's equals it); empty: zeros of `length`. */
export function first<S>(length: Length<S>): Field<Float64Array, S> {
  return { ...sumFloat64(length), merge: (a) => a.slice() };
}

/**
 * a + b element by element into a new array, in a plain loop: these sums are the jackknife's
 * inner loop (O(G log G) merges of p² entries), where `TypedArray.map` with a closure is several
 * times slower.
 */
function addFloat64(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! + b[i]!;
  return out;
}

/** How a fixed field's mismatch is reported, when not as BAD_OPTION "<key> differs (a vs b)". */
export interface MismatchErrors<V, S> {
  /** The error for merging (or updating) states whose values differ. */
  readonly merge?: (a: S, b: S) => KrsError;
  /** Why a stored state (`stored`, whole) does not fit the measure's own values (`expected`): BAD_VALUE "cannot restore …: <reason>". */
  readonly restore?: (stored: S, expected: Partial<S>, value: V) => string;
}

/** A value fixed when the state is made (a width, a flag): must be equal to merge; a's kept. */
export function fixed<V extends number | boolean | string, S = unknown>(kind: Kind<V>, onMismatch: MismatchErrors<V, S> = {}): Field<V, S> {
  return {
    assertSame(a, b, how) {
      if (Object.is(a, b)) return;
      if (how.verb === 'restore') {
        throw errors.badState(how.measure, onMismatch.restore?.(how.b, how.a, b) ?? `${how.key} ${JSON.stringify(b)} differs from ${JSON.stringify(a)}`);
      }
      throw (
        onMismatch.merge?.(how.a, how.b) ??
        errors.incompatibleStates(how.measure, how.verb === 'merge' ? 'merge' : 'update a', `${how.key} differs (${JSON.stringify(a)} vs ${JSON.stringify(b)})`)
      );
    },
    merge: (a) => a,
    copy: (v) => v,
    toJSON: (v) => v,
    fromJSON: (j, ctx) => readKind(kind, j, ctx),
  };
}

/**
 * The measure's options after defaults, stored in every state so that only like states merge:
 * compared key by key ({@link assertSameConfig}: BAD_OPTION to merge or update, BAD_VALUE to
 * restore). Restored as the measure's own object once equal, or, when the measure gives none,
 * through `resolve` (which validates them).
 */
export function sameOptions<C extends object, S = unknown>(resolve: (stored: C) => C): Field<C, S> {
  return {
    assertSame: (a, b, how) => assertSameConfig(a, b, how.measure, how.verb),
    merge: (a) => a,
    copy: (v) => v,
    toJSON: (v) => ({ ...v }),
    fromJSON(j, ctx) {
      const stored = asRecord(j, ctx.measure, 'config') as C;
      if (ctx.expected === undefined) return resolve(stored);
      assertSameConfig(ctx.expected as C, stored, ctx.measure, 'restore');
      return ctx.expected as C;
    },
  };
}

/**
 * A size fixed by the first non-empty batch (a class count, an output count): null until
 * known; two known values must be equal (BAD_OPTION "cannot merge <measure> state: <what>
 * differ (a vs b)"); the merge keeps whichever is known.
 */
export function knownOnce<S>(kind: Kind<number>, what: string): Field<number | null, S> {
  return {
    empty: () => null,
    assertSame(a, b, how) {
      if (how.verb === 'merge' && a !== null && b !== null && a !== b) throw errors.incompatibleStates(how.measure, 'merge', `${what} differ (${a} vs ${b})`);
    },
    merge: (a, b) => a ?? b,
    copy: (v) => v,
    toJSON: (v) => v,
    fromJSON: (j, ctx) => readKind(nullable(kind), j, ctx),
  };
}

/** Chunks of float64 rows in sample order (kernels needing every sample): merged by concatenation, stored as exact chunks. */
export function concat<S>(): Field<Float64Array[], S> {
  return {
    empty: () => [],
    merge: (a, b) => [...a, ...b],
    copy: (v) => v.map((c) => c.slice()),
    toJSON: (v) => v.map((c) => encodeFloat64(c)),
    fromJSON(j, ctx) {
      if (!Array.isArray(j)) throw errors.badState(ctx.measure, `${ctx.key} must be an array of float64 chunks`);
      return j.map((e) => readFloat64(e, undefined, ctx));
    },
  };
}

/**
 * Stored feature rows in sample order, chunk by chunk, float32 rows kept float32: merged by
 * concatenation (a's rows then b's); stored as `float32` (every chunk float32) and `data` (all
 * rows, exact float64), which must hold `rows × cols` values of the fields named.
 */
export function rowChunks<S>(rows: keyof S & string, cols: keyof S & string): Field<(Float32Array | Float64Array)[], S> {
  return {
    empty: () => [],
    merge: (a, b) => [...a, ...b],
    copy: (v) => v.map((c) => c.slice()),
    jsonKeys: ['float32', 'data'],
    toJSON(v) {
      const data = new Float64Array(v.reduce((n, c) => n + c.length, 0));
      let o = 0;
      for (const c of v) {
        data.set(c, o);
        o += c.length;
      }
      return { float32: v.every((c) => c instanceof Float32Array), data: float64Encoding(data) };
    },
    fromJSON(_j, ctx) {
      const data = readFloat64(ctx.json.data, undefined, { ...ctx, key: 'data' });
      const [n, width] = [ctx.state[rows] as number, ctx.state[cols] as number];
      if (data.length !== n * width) throw errors.badState(ctx.measure, `the stored rows hold ${data.length} values, not ${rows} × ${cols} = ${n * width}`);
      const chunk = ctx.json.float32 === true ? Float32Array.from(data) : data;
      return n ? [chunk] : [];
    },
  };
}

/** Ids seen once each (detection image ids): merged as a union; an id in both states is ID_MISMATCH naming it. */
export function disjointIds<S>(what: string): Field<Set<string>, S> {
  return {
    empty: () => new Set<string>(),
    merge(a, b) {
      const [small, large] = a.size <= b.size ? [a, b] : [b, a];
      for (const id of small) if (large.has(id)) throw errors.duplicateId(what, id, 'it is in both shards being merged');
      return new Set([...a, ...b]);
    },
    copy: (v) => new Set(v),
    toJSON: (v) => [...v],
    fromJSON(j, ctx) {
      if (!Array.isArray(j) || !j.every((x) => typeof x === 'string')) throw errors.badState(ctx.measure, `${ctx.key} must be an array of strings`);
      const ids = new Set<string>(j as string[]);
      if (ids.size !== j.length) throw errors.badState(ctx.measure, `${ctx.key} holds a repeated id`);
      return ids;
    },
  };
}

/**
 * Several count columns indexed by a label (per-class pixel counts), growing with the labels
 * seen: merged as padded sums; stored sparsely as `[label, …one count per column]` rows for the
 * labels with a count, each an integer ≥ 0, the label ≤ `maxLabel` and `consistent(counts)`.
 * `entry` names a row's parts in messages ("class, intersection, teacher, student").
 */
export function sparseCounts<K extends string, S = unknown>(
  columns: readonly K[],
  o: { maxLabel: number; entry: string; consistent: (counts: readonly number[]) => boolean },
): Field<Record<K, number[]>, S> {
  const pad = padSum<S>();
  const map = (f: (c: K) => number[]) => Object.fromEntries(columns.map((c) => [c, f(c)])) as Record<K, number[]>;
  const entryOk = (e: unknown): e is number[] => Array.isArray(e) && e.length === columns.length + 1 && e.every((v) => integer(0).is(v));
  return {
    empty: () => map(() => []),
    merge: (a, b, sa, sb) => map((c) => pad.merge(a[c], b[c], sa, sb)),
    copy: (v) => map((c) => [...v[c]]),
    toJSON(v) {
      const rows: number[][] = [];
      const length = Math.max(0, ...columns.map((c) => v[c].length));
      for (let i = 0; i < length; i++) {
        const counts = columns.map((c) => v[c][i] ?? 0);
        if (counts.some((x) => x > 0)) rows.push([i, ...counts]);
      }
      return rows;
    },
    fromJSON(j, ctx) {
      if (!Array.isArray(j)) throw errors.badState(ctx.measure, `${ctx.key} must be an array`);
      const out = map(() => []);
      for (const e of j) {
        if (!entryOk(e)) throw errors.badState(ctx.measure, `${ctx.key} entry ${JSON.stringify(e)} is not [${o.entry}] of integers ≥ 0`);
        const [label, ...counts] = e as [number, ...number[]];
        if (label > o.maxLabel || !o.consistent(counts)) throw errors.badState(ctx.measure, `${ctx.key} entry ${JSON.stringify(e)} is inconsistent`);
        columns.forEach((c, k) => {
          const col = out[c];
          while (col.length <= label) col.push(0);
          col[label] = counts[k]!;
        });
      }
      return out;
    },
  };
}

/** A part of the state declared on its own (the row store of each side of a CKA state): its merge, JSON and checks. */
export function nested<V, S = unknown>(decl: DeclaredState<V>): Field<V, S> {
  return {
    merge: (a, b) => decl.merge(a, b),
    copy: (v) => decl.copy(v),
    toJSON: (v) => decl.toJSON(v),
    fromJSON: (j) => decl.fromJSON(j),
  };
}

/**
 * A state that is one of several declared shapes, told apart by the string field `tag` (a
 * CKA state's route): each variant is a declaration of the other fields. Two states of the
 * same variant merge by its rules; of different variants, an empty one (`isEmpty`) is the
 * identity, otherwise BAD_OPTION "cannot merge <measure> state: one state is <x>, the other
 * <y>". Stored as `{[tag]: variant, …the variant's fields}`; an unknown variant is BAD_VALUE.
 */
export function declareVariants<S extends Record<T, string>, T extends string>(o: {
  measure: string;
  tag: T;
  variants: { readonly [V in S[T]]: DeclaredState<Omit<Extract<S, Record<T, V>>, T>> };
  isEmpty?: (s: S) => boolean;
}): DeclaredState<S> {
  const { measure, tag } = o;
  type Rest = Omit<S, T>;
  const variant = (v: S[T]) => o.variants[v] as unknown as DeclaredState<Rest>;
  const split = (s: S): [S[T], Rest] => {
    const { [tag]: v, ...rest } = s;
    return [v, rest as Rest];
  };
  const join = (v: S[T], rest: Rest) => ({ [tag]: v, ...rest }) as unknown as S;
  const copy = (s: S) => join(s[tag], variant(s[tag]).copy(split(s)[1]));
  const decl: DeclaredState<S> = {
    measure,
    init: (given = {}) => join(given[tag] as S[T], variant(given[tag] as S[T]).init(split(given as S)[1])),
    reset: (s) => join(s[tag], variant(s[tag]).reset(split(s)[1])),
    assertSame(a, b, verb) {
      if (a[tag] === undefined || a[tag] === b[tag]) variant(b[tag]).assertSame(split(a as S)[1], split(b)[1], verb);
      else if (verb !== 'merge') throw errors.badState(measure, `${tag} must be ${a[tag]}, got ${JSON.stringify(b[tag])}`);
      else throw errors.incompatibleStates(measure, 'merge', `one state is ${a[tag]}, the other ${b[tag]}`);
    },
    merge(a, b) {
      if (a[tag] === b[tag]) return join(a[tag], variant(a[tag]).merge(split(a)[1], split(b)[1]));
      if (o.isEmpty?.(b)) return copy(a);
      if (o.isEmpty?.(a)) return copy(b);
      throw errors.incompatibleStates(measure, 'merge', `one state is ${a[tag]}, the other ${b[tag]}`);
    },
    copy,
    toJSON: (s) => ({ [tag]: s[tag], ...variant(s[tag]).toJSON(split(s)[1]) }),
    fromJSON(json, expected = {}) {
      const obj = asRecord(json, measure);
      const v = obj[tag];
      if (typeof v !== 'string' || !Object.hasOwn(o.variants, v)) {
        throw errors.badState(measure, `${tag} must be one of ${Object.keys(o.variants).join(', ')}, got ${JSON.stringify(v)}`);
      }
      const s = join(v as S[T], variant(v as S[T]).fromJSON(obj));
      decl.assertSame(expected, s, 'restore');
      return s;
    },
    bind: (expected) => ({ init: () => decl.init(expected), merge: decl.merge, toJSON: decl.toJSON, fromJSON: (json) => decl.fromJSON(json, expected) }),
  };
  return decl;
}
