/**
 * A CSV time series cut into sliding windows, for forecasting models.
 *
 * The file has a header row; columns whose every value parses as a number are series
 * (others, such as a date column, are skipped unless named). Sample i is the window of
 * rows [i·stride, i·stride + window) of the feature columns, shaped [window, features];
 * its target is the next `horizon` values of the target column, shaped [horizon]. There
 * are ⌊(rows − window − horizon) / stride⌋ + 1 samples. The channel axis (per-feature
 * mean/std) is the last one.
 */
import * as fs from 'node:fs';
import { errors } from '../../core/errors.js';
import { fsError } from '../../io/node-source.js';
import { limited, rowIds, type Dataset } from './dataset.js';

export interface CsvWindowOptions {
  window: number;
  horizon?: number;
  stride?: number;
  /** Feature columns (default: every numeric column). */
  columns?: readonly string[];
  /** Target column (default: the last feature column). */
  target?: string;
  limit?: number;
}

/** Split one CSV line (RFC 4180 quotes). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((s) => s.trim());
}

/**
 * @throws KrsError FILE_NOT_FOUND; BAD_FILE for a file without a header and rows, a named
 *   column that is absent or not numeric (naming the row); BAD_OPTION for a window or
 *   horizon that leaves no sample.
 */
export function csvWindowDataset(file: string, options: CsvWindowOptions): Dataset {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw fsError(file, e);
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 2) throw errors.badFile(file, 'needs a header row and at least one data row');
  const header = splitCsvLine(lines[0]!);
  const rows = lines.slice(1).map(splitCsvLine);
  const numeric = header.map((_, j) => rows.every((r) => r[j] !== undefined && r[j] !== '' && Number.isFinite(Number(r[j]))));
  const col = (name: string): number => {
    const j = header.indexOf(name);
    if (j < 0) throw errors.unknownKey('CSV column', name, file, header);
    if (!numeric[j]) {
      const bad = rows.findIndex((r) => !Number.isFinite(Number(r[j])) || r[j] === '');
      throw errors.badFile(file, `column '${name}' is not numeric (row ${bad + 2} holds ${JSON.stringify(rows[bad]?.[j] ?? '')})`);
    }
    return j;
  };
  const features = options.columns ? options.columns.map(col) : header.map((_, j) => j).filter((j) => numeric[j]);
  if (features.length === 0) throw errors.badFile(file, 'has no numeric column');
  const target = options.target !== undefined ? col(options.target) : features[features.length - 1]!;
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
  const T = rows.length;
  if (T < window + horizon) throw errors.badOption('window', window, `a window + horizon (${window} + ${horizon}) within the ${T} rows of ${file}`);
  const total = Math.floor((T - window - horizon) / stride) + 1;
  const size = limited(total, options.limit);
  const F = features.length;
  const series = new Float64Array(T * F);
  const y = new Float64Array(T);
  rows.forEach((r, t) => {
    features.forEach((j, f) => (series[t * F + f] = Number(r[j])));
    y[t] = Number(r[target]);
  });
  return {
    name: file,
    kind: 'csv-windows',
    size,
    primary: 'x',
    arrays: { x: { dtype: 'float32', shape: [size, window, F] } },
    channelAxis: 1,
    targets: { dtype: 'float32', shape: [size, horizon] },
    read(start, end) {
      const b = end - start;
      const x = new Float32Array(b * window * F);
      const tg = new Float32Array(b * horizon);
      for (let i = 0; i < b; i++) {
        const t0 = (start + i) * stride;
        x.set(series.subarray(t0 * F, (t0 + window) * F), i * window * F);
        for (let h = 0; h < horizon; h++) tg[i * horizon + h] = y[t0 + window + h]!;
      }
      return {
        arrays: { x: { dtype: 'float32', shape: [b, window, F], data: x } },
        targets: { dtype: 'float32', shape: [b, horizon], data: tg },
        ids: rowIds(start, end),
      };
    },
  };
}
