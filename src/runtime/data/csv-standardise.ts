/**
 * Per-column standardisation of a CSV time series: z = (x − mean) / std, with the mean and
 * the population standard deviation (ddof 0, as scikit-learn's StandardScaler) of each column
 * fitted on a chronological training split only — the first ⌊trainFraction · rows⌋ rows of
 * the series (inserted time-gap rows included in the count; missing values left out of the
 * fit) — so nothing from the later rows leaks into the inputs.
 *
 * The statistics are recorded with the capture (`krs.json`, `data.standardise`) and read back
 * with {@link readStandardisation}, so a second model is fed identical inputs.
 */
import { errors, opt } from '../../core/errors.js';
import { fileSource } from '../../io/node-source.js';
import { verifySource } from '../../io/source.js';
import { openZipEntry, readZipDirectory } from '../../io/zip.js';

/** The recorded standardisation: per column its mean and standard deviation. */
export interface Standardisation {
  /** Where the statistics came from: fitted on the first `trainRows` of `rows` rows, or read from a capture. */
  fittedOn: { rows: number; trainRows: number; trainFraction: number };
  /** Read back from this capture (absent when fitted in this run). */
  from?: string;
  columns: Record<string, { mean: number; std: number }>;
}

/**
 * Mean and population standard deviation (ddof 0) of the first `rows` values of `v`, NaN
 * (missing) left out, computed on the values divided by their largest magnitude s:
 * mean = s · Σ(x/s)/n, std = s · √(Σ(x/s − mean/s)²/n). Every scaled term is in [−2, 2], so
 * nothing overflows for finite float64 input (a plain Σ(x − mean)² is Infinity from about
 * 1e154 on); std ≤ s mathematically. With no value, n = 0 and mean = std = NaN; with only
 * zeros, mean = std = 0.
 */
export function meanAndStd(v: Float64Array, rows: number): { n: number; mean: number; std: number } {
  let n = 0;
  let scale = 0;
  for (let i = 0; i < rows; i++) if (!Number.isNaN(v[i]!)) n++, (scale = Math.max(scale, Math.abs(v[i]!)));
  if (n === 0) return { n, mean: Number.NaN, std: Number.NaN };
  if (scale === 0) return { n, mean: 0, std: 0 };
  let sum = 0;
  for (let i = 0; i < rows; i++) if (!Number.isNaN(v[i]!)) sum += v[i]! / scale;
  const scaledMean = sum / n;
  let ss = 0;
  for (let i = 0; i < rows; i++) if (!Number.isNaN(v[i]!)) ss += (v[i]! / scale - scaledMean) ** 2;
  return { n, mean: scaledMean * scale, std: Math.sqrt(ss / n) * scale };
}

/**
 * Fit mean and standard deviation of each column on its first `trainRows` values (NaN =
 * missing, left out), with {@link meanAndStd}.
 * @throws KrsError BAD_OPTION for a `trainFraction` outside (0, 1] or a split of under 2 rows;
 *   UNDEFINED for a column with fewer than 2 values or a standard deviation of 0 in the split
 *   (a constant column: z would divide by 0); BAD_VALUE for a mean or standard deviation that
 *   is not finite (only float64 rounding at the very top of its range can make one).
 */
export function fitStandardisation(file: string, columns: Record<string, Float64Array>, rows: number, trainFraction: number): Standardisation {
  if (!(trainFraction > 0 && trainFraction <= 1)) throw errors.badOption('trainFraction', trainFraction, 'a fraction in (0, 1]');
  const trainRows = Math.floor(trainFraction * rows);
  if (trainRows < 2)
    throw errors.badOption('trainFraction', trainFraction, `a training split of at least 2 of the ${rows} rows of ${file} to fit ${opt('standardise')} on`);
  const out: Standardisation['columns'] = {};
  for (const [name, v] of Object.entries(columns)) {
    const what = `the standardisation of column '${name}' of ${file}`;
    const { n, mean, std } = meanAndStd(v, trainRows);
    if (n < 2) throw errors.undefinedResult(what, `only ${n} value(s) in the first ${trainRows} rows (the training split)`);
    if (!Number.isFinite(mean) || !Number.isFinite(std))
      throw errors.badValue(`the mean and standard deviation in ${what}`, `${mean}, ${std}`, 'finite numbers');
    if (std === 0) throw errors.undefinedResult(what, `it is constant (${mean}) in the first ${trainRows} rows (the training split)`);
    out[name] = { mean, std };
  }
  return { fittedOn: { rows, trainRows, trainFraction }, columns: out };
}

/**
 * The standardisation recorded in a capture written from a CSV with `standardise`
 * (its `krs.json` member, `data.standardise`).
 * @throws KrsError FILE_NOT_FOUND; BAD_FILE for a file that is not a zip archive, has no
 *   `krs.json`, or whose `krs.json` records no standardisation or a mean/std that is not a
 *   finite number (std > 0).
 */
export function readStandardisation(file: string): Standardisation {
  const archive = fileSource(file);
  const entry = readZipDirectory(archive).find((e) => e.name === 'krs.json');
  const none = `records no standardisation (no krs.json with data.standardise): write it with krs capture ${opt('standardise')} from a CSV`;
  if (!entry) throw errors.badFile(file, none);
  const source = openZipEntry(archive, entry);
  verifySource(source);
  let meta: unknown;
  try {
    meta = JSON.parse(new TextDecoder().decode(source.read(0, source.size)));
  } catch {
    throw errors.badFile(file, 'krs.json is not valid JSON');
  }
  const s = (meta as { data?: { standardise?: unknown } } | null)?.data?.standardise as Standardisation | null | undefined;
  if (!s || typeof s !== 'object' || !s.columns || typeof s.columns !== 'object') throw errors.badFile(file, none);
  for (const [name, c] of Object.entries(s.columns)) {
    if (!Number.isFinite(c?.mean) || !Number.isFinite(c?.std) || !(c.std > 0))
      throw errors.badFile(file, `krs.json: the standardisation of column '${name}' is ${JSON.stringify(c)}, expected a finite mean and std > 0`);
  }
  return { fittedOn: s.fittedOn, from: file, columns: s.columns };
}
