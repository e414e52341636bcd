/**
 * The streaming contract every component follows (torchmetrics style; docs/architecture.md).
 *
 * A measure is a set of pure functions over an explicit state:
 * - `init()` makes an empty state;
 * - `update(state, batch)` folds one batch into the state in place (it never modifies
 *   the batch) and may be async when it calls a matrix backend;
 * - `compute(state)` gives the result without changing the state;
 * - `merge(a, b)` gives a new state equal to having seen a's and b's batches, leaving
 *   both untouched, so sharded runs combine exactly;
 * - `toJSON(state)` / `fromJSON(json)` serialise a state to plain JSON and back;
 *   `fromJSON` validates what it restores (a foreign or corrupt state is a BAD_VALUE
 *   error naming the measure and the field, never a state that fails later).
 *
 * One-shot functions are `compute(update(init(), wholeBatch))`.
 */
import type { DeclaredState } from './state.js';
export interface Measure<State, Batch, Result> {
  readonly name: string;
  init(): State;
  update(state: State, batch: Batch): void | Promise<void>;
  compute(state: State): Result;
  merge(a: State, b: State): State;
  toJSON(state: State): unknown;
  fromJSON(json: unknown): State;
}

/**
 * What every plug-in (a similarity, an output agreement) says about itself, for the CLI's
 * choices, the JSON and the reports. Values follow docs/conventions.md: a measure's own
 * value is a fraction within `bounds`; scores built from it are points (0–100).
 */
export interface MeasureInfo {
  /** The registry key, also the CLI value (`cka`, `kl-agreement`). */
  readonly name: string;
  /** A short human label (`linear CKA`). */
  readonly title: string;
  /** One sentence saying what the value measures, for reports and `--help`. */
  readonly description: string;
  /** The range of the measure's value (a fraction); e.g. [0, 1]. */
  readonly bounds: readonly [number, number];
}

/**
 * A measure whose options live in its state as the fixed field `config` (declared once with
 * the rest of the state, core/state.ts): `init`, `merge`, `toJSON` and `fromJSON` derived from
 * the declaration and bound to this `config`, and `update` refusing a state made under other
 * options (BAD_VALUE naming the field) before it folds the batch in.
 */
export function configuredMeasure<S extends { config: C }, C, B, R>(
  name: string,
  state: DeclaredState<S>,
  config: C,
  fold: (state: S, batch: B) => void,
  compute: (state: S) => R,
): Measure<S, B, R> {
  const own = { config } as Partial<S>;
  return {
    name,
    ...state.bind(own),
    update: (s, batch) => {
      state.assertSame(own, s, 'update');
      fold(s, batch);
    },
    compute,
  };
}

/** A one-shot value: `compute(update(init(), batch))` of a measure whose update is synchronous. */
export function computeOnce<S, B, R>(measure: Measure<S, B, R> & { update(state: S, batch: B): void }, batch: B): R {
  const s = measure.init();
  measure.update(s, batch);
  return measure.compute(s);
}
