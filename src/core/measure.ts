/**
 * The streaming contract every component follows (torchmetrics style, DESIGN.md §5).
 *
 * A measure is a set of pure functions over an explicit state:
 * - `init()` makes an empty state;
 * - `update(state, batch)` folds one batch into the state in place (it never modifies
 *   the batch) and may be async when it calls a matrix backend;
 * - `compute(state)` gives the result without changing the state;
 * - `merge(a, b)` gives a new state equal to having seen a's and b's batches, leaving
 *   both untouched, so sharded runs combine exactly;
 * - `toJSON(state)` / `fromJSON(json)` serialise a state to plain JSON and back.
 *
 * One-shot functions are `compute(update(init(), wholeBatch))`.
 */
export interface Measure<State, Batch, Result> {
  readonly name: string;
  init(): State;
  update(state: State, batch: Batch): void | Promise<void>;
  compute(state: State): Result;
  merge(a: State, b: State): State;
  toJSON(state: State): unknown;
  fromJSON(json: unknown): State;
}
