/**
 * A CSV time series cut into sliding windows, for forecasting models.
 *
 * The file is read by `csv-table.ts` (header row, RFC 4180 quotes, missing cells as missing,
 * a time column of dates found and made regular: gaps in time become missing rows). The feature
 * columns are `columns`, else every numeric column; the target column is `targetColumn`, else
 * the only feature column — with several candidates and none named, it is BAD_OPTION listing
 * them (a silent choice once made a forecast look 60× worse).
 *
 * Candidate windows start at rows 0, stride, 2·stride, … and span `window + horizon` rows:
 * rows [s, s + window) of the feature columns, shaped [window, features], and the next
 * `horizon` values of the target column, shaped [horizon]; there are
 * ⌊(rows − window − horizon) / stride⌋ + 1 of them. A missing value is never read as a number:
 * with `fill: 'skip'` (the default) every window whose span touches a row with a missing value
 * in a used column (features or target) is skipped; `previous` and `linear` fill the missing
 * values first (`csv-fill.ts`) and skip only the windows that still touch one. Samples are
 * the windows kept, in order; ids are 0, 1, … as for every data set. What was skipped, filled
 * and inserted is in `preparation` and said in `notes`.
 *
 * With `standardise` (or `standardiseFrom`), every used column — the target included, so
 * targets are in the model's units — is standardised with statistics fitted on the
 * chronological training split (`csv-standardise.ts`). The channel axis is the last one.
 *
 * Values stay float64 until they are written into the float32 windows; a used column holding
 * a number beyond float64, or a value (after filling and standardising) beyond float32, is
 * BAD_VALUE naming the column, line and value — windows never hold ±Infinity.
 */
import { errors, opt } from '../../core/errors.js';
import { type LimitOptions, resolveLimits } from '../../io/limits.js';
import { readWholeText } from '../../io/node-read.js';
import { type FillMethod, fillColumn } from './csv-fill.js';
import { fitStandardisation, type Standardisation } from './csv-standardise.js';
import { type CsvTable, type CsvTime, readCsvTable } from './csv-table.js';
import { type Dataset, limited, rowIds } from './dataset.js';

export interface CsvWindowOptions {
  window: number;
  horizon?: number;
  stride?: number;
  /** Feature columns (default: every numeric column). */
  columns?: readonly string[];
  /** Target column (default: the only feature column; BAD_OPTION when there are several). */
  targetColumn?: string;
  /** The time column; `'none'` for none; default: the first column that looks like dates (`csv-dates.ts`). */
  timeColumn?: string;
  /** Resource limits (`maxCsvRows`); default: the environment's, else the defaults (`src/io/limits.ts`). */
  limits?: LimitOptions;
  /** Missing values: skip the windows touching them (default), or fill them first. */
  fill?: 'skip' | FillMethod;
  /** Standardise every used column with statistics fitted on the training split. */
  standardise?: boolean;
  /** The training split: the first ⌊trainFraction · rows⌋ rows (default 0.7). */
  trainFraction?: number;
  /** Standardise with these statistics (read from a capture) instead of fitting them. */
  standardiseFrom?: Standardisation;
  limit?: number;
}

/** What the reader did to the file, recorded in results and in the capture's `krs.json` (`data`). */
export interface CsvPreparation {
  /** Rows of the series (file rows + rows inserted for time gaps), and data rows in the file. */
  rows: number;
  fileRows: number;
  time: CsvTime | null;
  columns: string[];
  target: string;
  window: number;
  horizon: number;
  stride: number;
  /** Rows with a missing value in a used column, before and after filling. */
  missingRows: number;
  fill: 'skip' | FillMethod;
  /** Values filled, and the rows holding them. */
  filledValues: number;
  filledRows: number;
  /** Candidate windows, windows skipped for touching a missing row, samples kept (before any limit). */
  windows: number;
  skippedWindows: number;
  samples: number;
  standardise: Standardisation | null;
}

/** A CSV window data set: also says what was done to the file. */
export interface CsvWindowDataset extends Dataset {
  readonly preparation: CsvPreparation & Record<string, unknown>;
  /**
   * One line per thing done that the user should know (gaps inserted, windows skipped, values
   * filled, standardised). Plain text printed as warnings: settings are named in words
   * (`fill: linear`), not as options, since no front end rewords them.
   */
  readonly notes: readonly string[];
  /** The series row (0-based, inserted gap rows counted) of each kept window's first row, by sample. */
  readonly starts: Int32Array;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Largest magnitude a float32 holds; anything from 2¹²⁸ − 2¹⁰³ on rounds to ±Infinity. */
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Refuse a used column holding a number beyond float64 (`1e400`, read as ±Infinity).
 * @throws KrsError BAD_VALUE naming the file, column, line and the cell's text.
 */
function checkWithinFloat64(table: CsvTable, used: readonly number[]): void {
  for (const j of used) {
    const o = table.overflow[j];
    if (o)
      throw errors.badValue(
        `${table.file}: column '${table.header[j]}', line ${o.line}`,
        o.value,
        'a number within float64 (magnitude at most 1.7976931348623157e+308)',
      );
  }
}

/**
 * Refuse a value that would be ±Infinity in the float32 windows: every value fed (after
 * filling and standardising) must round to a finite float32, |v| < 2¹²⁸ − 2¹⁰³. Values are
 * kept in float64 until then, so a huge column that standardises to moderate values passes.
 * @throws KrsError BAD_VALUE naming the file, column, line (the series row for an inserted row)
 *   and the value, and the value it standardised to.
 */
function checkWithinFloat32(table: CsvTable, series: ReadonlyMap<number, Float64Array>, standardise: Standardisation | null): void {
  for (const [j, v] of series) {
    const i = v.findIndex((x) => !Number.isFinite(Math.fround(x)) && !Number.isNaN(x));
    if (i < 0) continue;
    const name = table.header[j]!;
    const raw = table.values[j]![i]!;
    const where = table.lines[i] ? `line ${table.lines[i]}` : `series row ${i + 1} (inserted for a gap in time)`;
    const from = Number.isNaN(raw) ? 'the value filled in' : raw;
    const how = standardise
      ? ` standardised ((${from} − ${standardise.columns[name]!.mean})/${standardise.columns[name]!.std})`
      : Number.isNaN(raw)
        ? ', filled,'
        : '';
    throw errors.badValue(
      `${table.file}: column '${name}', ${where}${how}`,
      v[i],
      `a value within float32 (magnitude below ${FLOAT32_MAX}), the type of the windows; rescale the column${standardise ? '' : ` or set ${opt('standardise')}`}`,
    );
  }
}

/**
 * @throws KrsError FILE_NOT_FOUND; BAD_FILE as `readCsvTable`, for a named column that is not
 *   numeric (naming its line and value), for no numeric column, or for a window that every
 *   missing value rules out; UNKNOWN_KEY for a column that is not there; BAD_OPTION for a
 *   window, horizon, stride or fill that is not valid, a window + horizon longer than the
 *   series, no target column where several could be it, or a standardisation lacking a used
 *   column; UNDEFINED for a column constant in the training split.
 */
export function csvWindowDataset(file: string, options: CsvWindowOptions): CsvWindowDataset {
  const { window, horizon, stride, fill } = windowOptions(options);
  // A regular file within maxTextBytes: never a device read without end.
  const text = readWholeText(file, resolveLimits(options.limits), 'CSV file');
  const table = readCsvTable(text, file, { timeColumn: options.timeColumn, limits: options.limits });
  const { header, values } = table;
  const { features, target } = featureColumns(file, table, options);
  const used = [...new Set([...features, target])];
  checkWithinFloat64(table, used);
  const T = table.rows;
  const span = window + horizon;
  if (T < span) throw errors.badOption('window', window, `a window + horizon (${window} + ${horizon}) within the ${T} rows of ${file}`);

  // Missing rows (before filling), standardisation fitted on observed values, then filling.
  const missingRow = (i: number) => used.some((j) => Number.isNaN(values[j]![i]!));
  let missingBefore = 0;
  for (let i = 0; i < T; i++) if (missingRow(i)) missingBefore++;
  const series = new Map(used.map((j) => [j, Float64Array.from(values[j]!)]));
  const standardise = resolveStandardisation(file, options, used, header, series, T);
  const { filledAt, filledValues } = fillAndStandardise(series, fill, standardise, header, T);

  checkWithinFloat32(table, series, standardise);

  // Windows: keep those whose span holds no missing row (prefix sums of missing rows).
  const { starts, candidates, missingAfter } = windowStarts([...series.values()], T, span, stride);
  const skipped = candidates - starts.length;
  let filledRows = 0;
  for (let i = 0; i < T; i++) filledRows += filledAt[i]!;
  if (starts.length === 0)
    throw errors.badFile(
      file,
      `every one of the ${candidates} windows of ${window} + ${horizon} rows touches one of its ${missingAfter} missing rows${fill === 'skip' ? `; fill them with ${opt('fill')} previous or linear` : ''}`,
    );

  const time = table.time;
  const preparation: CsvPreparation & Record<string, unknown> = {
    rows: T,
    fileRows: table.fileRows,
    time,
    columns: features.map((j) => header[j]!),
    target: header[target]!,
    window,
    horizon,
    stride,
    missingRows: missingBefore,
    fill,
    filledValues,
    filledRows,
    windows: candidates,
    skippedWindows: skipped,
    samples: starts.length,
    standardise,
  };
  const notes = windowNotes(file, preparation, missingAfter, used.length);

  const size = limited(starts.length, options.limit);
  const F = features.length;
  const x = features.map((j) => series.get(j)!);
  const y = series.get(target)!;
  return {
    name: file,
    kind: 'csv-windows',
    size,
    primary: 'x',
    arrays: { x: { dtype: 'float32', shape: [size, window, F] } },
    channelAxis: 1,
    targets: { dtype: 'float32', shape: [size, horizon] },
    preparation,
    notes,
    starts: Int32Array.from(starts.slice(0, size)),
    read: windowReader(starts, x, y, window, horizon),
  };
}

/** The window, horizon and stride (positive integers; horizon and stride default to 1) and the fill method (default skip), checked. */
function windowOptions(options: CsvWindowOptions) {
  const window = options.window;
  const horizon = options.horizon ?? 1;
  const stride = options.stride ?? 1;
  for (const [name, v] of [
    ['window', window],
    ['horizon', horizon],
    ['stride', stride],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw errors.badOption(name, v, 'a positive integer');
  }
  const fill = options.fill ?? 'skip';
  if (!['skip', 'previous', 'linear'].includes(fill)) throw errors.badOption('fill', fill, 'skip, previous or linear');
  return { window, horizon, stride, fill };
}

/** The preparation's notes: time steps inserted, values filled, windows skipped, columns standardised. */
function windowNotes(file: string, p: CsvPreparation, missingAfter: number, columns: number): string[] {
  const { time, filledValues, filledRows, fill, window, horizon, standardise } = p;
  const T = p.rows;
  const candidates = p.windows;
  const skipped = p.skippedWindows;
  const notes: string[] = [];
  if (time && time.insertedRows > 0)
    notes.push(
      `${file}: ${plural(time.insertedRows, 'time step')} of ${time.step} with no row in '${time.column}' were inserted as missing rows, so no window straddles a gap in time`,
    );
  if (filledValues > 0)
    notes.push(
      `${file}: filled ${plural(filledValues, 'missing value')} in ${plural(filledRows, 'row')} ${fill === 'linear' ? 'by linear interpolation between the neighbouring values' : 'with the previous value'} (fill: ${fill})`,
    );
  if (skipped > 0)
    notes.push(
      `${file}: skipped ${plural(skipped, 'window')} of ${candidates} (${window} + ${horizon} rows) touching ${plural(missingAfter, 'missing row')}${fill === 'skip' ? '; filling them (fill: previous or linear) keeps those windows' : ' that could not be filled'}`,
    );
  if (standardise)
    notes.push(
      standardise.from
        ? `${file}: standardised ${plural(columns, 'column')} with the means and standard deviations recorded in ${standardise.from}`
        : `${file}: standardised ${plural(columns, 'column')} with means and standard deviations fitted on the training split, the first ${standardise.fittedOn.trainRows} of ${T} rows (train fraction ${standardise.fittedOn.trainFraction})`,
    );
  return notes;
}

/** The feature columns (the numeric ones unless named) and the target column (named, or the only feature), as indices into the header. */
function featureColumns(file: string, table: CsvTable, options: CsvWindowOptions): { features: number[]; target: number } {
  const { header, values } = table;
  const col = (name: string): number => {
    const j = header.indexOf(name);
    if (j < 0) throw errors.unknownKey('CSV column', name, file, header);
    const t = table.firstText[j];
    if (t) {
      const what = t.value === '' ? 'has no value' : `line ${t.line} holds ${JSON.stringify(t.value)}`;
      throw errors.badFile(file, `column '${name}' is not numeric (${what})`);
    }
    return j;
  };
  const numeric = header.map((_, j) => j).filter((j) => values[j] !== null);
  const features = options.columns ? options.columns.map(col) : numeric;
  if (features.length === 0) throw errors.badFile(file, `has no numeric column (columns: ${header.join(', ')})`);
  let target: number;
  if (options.targetColumn !== undefined) target = col(options.targetColumn);
  else if (features.length === 1) target = features[0]!;
  else
    throw errors.badOption(
      'targetColumn',
      null,
      `the column to forecast: ${file} has ${features.length} candidate columns (${features.map((j) => header[j]).join(', ')})`,
    );
  return { features, target };
}

/** The standardisation to apply: the one given (restricted to the used columns), one fitted on the training split, or none. */
function resolveStandardisation(
  file: string,
  options: CsvWindowOptions,
  used: readonly number[],
  header: readonly string[],
  series: Map<number, Float64Array>,
  T: number,
): Standardisation | null {
  let standardise: Standardisation | null = null;
  if (options.standardiseFrom && options.trainFraction !== undefined)
    throw errors.badOption(
      'trainFraction',
      options.trainFraction,
      `no training split with ${opt('standardiseFrom')} (its statistics were fitted when that capture was written)`,
    );
  if (options.standardiseFrom) {
    standardise = options.standardiseFrom;
    const lacking = used.map((j) => header[j]!).filter((name) => !standardise!.columns[name]);
    if (lacking.length)
      throw errors.badOption(
        'standardiseFrom',
        standardise.from ?? null,
        `a standardisation of every used column; it lacks ${lacking.map((c) => `'${c}'`).join(', ')} (it has ${Object.keys(standardise.columns).join(', ')})`,
      );
    standardise = { ...standardise, columns: Object.fromEntries(used.map((j) => [header[j]!, standardise!.columns[header[j]!]!])) };
  } else if (options.standardise) {
    standardise = fitStandardisation(file, Object.fromEntries(used.map((j) => [header[j]!, series.get(j)!])), T, options.trainFraction ?? 0.7);
  } else if (options.trainFraction !== undefined) {
    throw errors.badOption(
      'trainFraction',
      options.trainFraction,
      `${opt('standardise')} with it (the training split is only used to fit the standardisation)`,
    );
  }
  return standardise;
}

/** Fills the missing values in place (unless `skip`), then standardises each series in place; returns the filled rows and the count of filled values. */
function fillAndStandardise(
  series: Map<number, Float64Array>,
  fill: FillMethod | 'skip',
  standardise: Standardisation | null,
  header: readonly string[],
  T: number,
): { filledAt: Uint8Array; filledValues: number } {
  const filledAt = new Uint8Array(T);
  let filledValues = 0;
  if (fill !== 'skip') {
    for (const v of series.values()) {
      for (const i of fillColumn(v, fill)) {
        filledAt[i] = 1;
        filledValues++;
      }
    }
  }
  if (standardise) {
    for (const [j, v] of series) {
      const { mean, std } = standardise.columns[header[j]!]!;
      for (let i = 0; i < T; i++) v[i] = (v[i]! - mean) / std;
    }
  }
  return { filledAt, filledValues };
}

/** The windows' first rows: every `stride`-th start whose span holds no missing row (prefix sums of missing rows). */
function windowStarts(cols: readonly Float64Array[], T: number, span: number, stride: number): { starts: number[]; candidates: number; missingAfter: number } {
  const missingPrefix = new Int32Array(T + 1);
  for (let i = 0; i < T; i++) missingPrefix[i + 1] = missingPrefix[i]! + (cols.some((v) => Number.isNaN(v[i]!)) ? 1 : 0);
  const missingAfter = missingPrefix[T]!;
  const candidates = Math.floor((T - span) / stride) + 1;
  const starts: number[] = [];
  for (let k = 0; k < candidates; k++) {
    const s = k * stride;
    if (missingPrefix[s + span] === missingPrefix[s]) starts.push(s);
  }
  return { starts, candidates, missingAfter };
}

/** Reads samples [start, end): each window's `window` rows of the features and the `horizon` target values after it. */
function windowReader(starts: readonly number[], x: readonly Float64Array[], y: Float64Array, window: number, horizon: number): CsvWindowDataset['read'] {
  const F = x.length;
  return (start, end) => {
    const b = end - start;
    const out = new Float32Array(b * window * F);
    const tg = new Float32Array(b * horizon);
    for (let i = 0; i < b; i++) {
      const t0 = starts[start + i]!;
      for (let t = 0; t < window; t++) for (let f = 0; f < F; f++) out[(i * window + t) * F + f] = x[f]![t0 + t]!;
      for (let h = 0; h < horizon; h++) tg[i * horizon + h] = y[t0 + window + h]!;
    }
    return {
      arrays: { x: { dtype: 'float32', shape: [b, window, F], data: out } },
      targets: { dtype: 'float32', shape: [b, horizon], data: tg },
      ids: rowIds(start, end),
      owned: true, // fresh buffers (DataBatch.owned)
    };
  };
}
