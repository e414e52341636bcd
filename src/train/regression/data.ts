/**
 * Node-only: the regression demo's data — "past `window` days → next day" windows of one
 * column of a CSV series, read by the library's CSV window reader (`csv-windows.ts`: gaps in
 * time inserted as missing rows, windows touching a missing value skipped and counted, the
 * column standardised with statistics fitted on the first `trainFraction` of the rows), then
 * split chronologically by the row of the forecast day:
 *
 *     train:      day < ⌊trainFraction · rows⌋
 *     validation: ⌊trainFraction · rows⌋ ≤ day < ⌊(trainFraction + validationFraction) · rows⌋
 *     test:       the rest
 *
 * so no training target lies after a validation or test day, and the standardisation never
 * sees the validation or test values.
 */
import { type CsvPreparation, csvWindowDataset } from '../../runtime/data/csv-windows.js';
import type { RegressionDemoConfig } from './config.js';

/** One chronological part: windows [n, window, 1] and their next-day targets [n], standardised. */
export interface SeriesPart {
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly n: number;
  /** The forecast day of each window (ISO date or series row), and its row in the series. */
  readonly days: string[];
  readonly rows: Int32Array;
  /** Sample ids: the window's index among all windows kept. */
  readonly ids: Int32Array;
}

export interface SeriesSplit {
  readonly train: SeriesPart;
  readonly validation: SeriesPart;
  readonly test: SeriesPart;
  readonly window: number;
  /** The target's training mean and standard deviation: value = z · std + mean. */
  readonly mean: number;
  readonly std: number;
  readonly preparation: CsvPreparation & Record<string, unknown>;
  readonly notes: readonly string[];
}

/** Read and split the series. @throws what `csvWindowDataset` throws for the file and options. */
export function seriesSplit(c: Pick<RegressionDemoConfig, 'data' | 'target' | 'window' | 'trainFraction' | 'validationFraction'>): SeriesSplit {
  const ds = csvWindowDataset(c.data, {
    window: c.window,
    horizon: 1,
    columns: [c.target],
    targetColumn: c.target,
    standardise: true,
    trainFraction: c.trainFraction,
  });
  const all = ds.read(0, ds.size);
  const x = all.arrays.x!.data as Float32Array;
  const y = all.targets!.data as Float32Array;
  const rows = ds.preparation.rows;
  const time = ds.preparation.time;
  const dayOf = (row: number) => (time ? new Date(time.firstMs + row * time.stepMs).toISOString().slice(0, 10) : String(row));
  const trainEnd = Math.floor(c.trainFraction * rows);
  const valEnd = Math.floor((c.trainFraction + c.validationFraction) * rows);
  const parts: number[][] = [[], [], []];
  for (let i = 0; i < ds.size; i++) {
    const day = ds.starts[i]! + c.window;
    parts[day < trainEnd ? 0 : day < valEnd ? 1 : 2]!.push(i);
  }
  const take = (idx: number[]): SeriesPart => {
    const px = new Float32Array(idx.length * c.window);
    const py = new Float32Array(idx.length);
    const pr = new Int32Array(idx.length);
    idx.forEach((i, k) => {
      px.set(x.subarray(i * c.window, (i + 1) * c.window), k * c.window);
      py[k] = y[i]!;
      pr[k] = ds.starts[i]! + c.window;
    });
    return { x: px, y: py, n: idx.length, rows: pr, days: [...pr].map(dayOf), ids: Int32Array.from(idx) };
  };
  const st = ds.preparation.standardise!.columns[c.target]!;
  return {
    train: take(parts[0]!),
    validation: take(parts[1]!),
    test: take(parts[2]!),
    window: c.window,
    mean: st.mean,
    std: st.std,
    preparation: ds.preparation,
    notes: ds.notes,
  };
}
