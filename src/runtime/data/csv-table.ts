/**
 * Reading a CSV time series into columns, as a user expects of real data.
 *
 * * The file has a header row; records follow RFC 4180 (quoted fields may hold commas,
 *   doubled quotes and line breaks); a UTF-8 byte-order mark is dropped; blank lines are
 *   skipped — except between the data rows of a one-column file, where a blank line is an
 *   empty cell. A record with another number of fields than the header is BAD_FILE naming its line.
 * * A cell is **missing** when it is empty or one of `NA`, `N/A`, `#N/A`, `NaN`, `nan`,
 *   `null`, `NULL`, `?` (the UCI marker). Missing cells never become numbers: they are NaN
 *   here and the window reader skips or fills them.
 * * A column is **numeric** when it has at least one number and every cell that is not
 *   missing is a decimal number (`-1.5`, `2e-3`; not `0x10`, `inf` or `1,5`). A number beyond
 *   float64 (`1e400`) is kept as ±Infinity and its line recorded (`overflow`), for the window reader to refuse if the column is used.
 * * Two columns of one name are BAD_FILE naming both positions (columns are chosen by name).
 * * A **time column** is found (or named with `timeColumn`, or disabled with `'none'`) as the
 *   first column that looks like dates: at least half of its cells that are not missing have
 *   the shape of ISO 8601, `YYYY/MM/DD`, `MM/DD/YYYY` or `DD/MM/YYYY` (`csv-dates.ts`: the
 *   day/month order decided over the whole column or refused). Every cell of it must then be
 *   a date: an empty cell, or one that does not parse, is BAD_FILE naming the line and value
 *   (never a reason to take the column for text and lose the gap detection). A date-time
 *   without a zone is read on the UTC clock, so local stamps keep their nominal spacing. The
 *   step is the median difference between consecutive rows; every difference must be a whole
 *   number of steps: time that goes backwards or repeats, and differences that are not whole
 *   steps (irregular steps), are BAD_FILE naming the lines. A difference of k > 1 steps
 *   inserts k − 1 rows with every value missing, so windows never straddle a gap in time.
 * * The rows of the series (file rows + inserted rows) are computed from the first and last
 *   stamps and checked against the limit `maxCsvRows` (`KRS_MAX_CSV_ROWS`, src/io/limits.ts)
 *   before any array of that length is allocated: above it, BAD_VALUE naming the largest gap.
 */
import { errors, opt } from '../../core/errors.js';
import { checkLimit, type LimitOptions, type Limits, resolveLimits } from '../../io/limits.js';
import { hasDateShape, parseTimeColumn } from './csv-dates.js';

export { parseIsoTime } from './csv-dates.js';

/** Cells read as missing values (besides the empty cell). */
export const MISSING_MARKERS: readonly string[] = ['NA', 'N/A', '#N/A', 'NaN', 'nan', 'null', 'NULL', '?'];

/** The time column of a series and how its rows were made regular. */
export interface CsvTime {
  column: string;
  /** The formats of its cells (`ISO 8601`, `YYYY/MM/DD`, `MM/DD/YYYY`, `DD/MM/YYYY`; several joined with `and`). */
  format: string;
  /** The step between rows, in milliseconds and in words (`1 day`, `15 minutes`). */
  stepMs: number;
  step: string;
  /** The first and last stamps as written, and the first in milliseconds since the epoch (UTC clock when no zone is written). */
  first: string;
  last: string;
  firstMs: number;
  /** Rows inserted for steps with no row in the file (every value missing). */
  insertedRows: number;
}

export interface CsvTable {
  file: string;
  header: string[];
  /** Rows of the series: the file's data rows plus the rows inserted for time gaps. */
  rows: number;
  /** Data rows in the file. */
  fileRows: number;
  /** Per column: its values (NaN where missing, inserted rows included), or null when it is not numeric. */
  values: (Float64Array | null)[];
  /** Per column, when it is not numeric: the 1-based file line and value of its first non-number. */
  firstText: ({ line: number; value: string } | null)[];
  /** Per numeric column: the 1-based file line and text of its first number beyond float64 (read as ±Infinity), or null. */
  overflow: ({ line: number; value: string } | null)[];
  /** 1-based file line of each row of the series, 0 for an inserted row. */
  lines: Int32Array;
  time: CsvTime | null;
}

export interface CsvTableOptions {
  /** The time column; `'none'` for none; default: the first column that looks like dates (`csv-dates.ts`). */
  timeColumn?: string;
  /** Resource limits (`maxCsvRows`: rows of the series, gap rows included); default: the environment's, else the defaults. */
  limits?: LimitOptions;
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Whether a cell is a missing value. */
export function isMissing(cell: string): boolean {
  return cell === '' || MISSING_MARKERS.includes(cell);
}

/**
 * Records of a CSV text (RFC 4180), each with the 1-based line it starts on (a blank line is
 * the record `['']`). Fields are trimmed.
 * @throws KrsError BAD_FILE for a quote left open, naming the line it opened on.
 */
export function parseCsv(text: string, file: string): { cells: string[][]; lines: number[] } {
  const cells: string[][] = [];
  const lines: number[] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let quoteLine = 0;
  let line = 1;
  let start = 1;
  const endRecord = () => {
    record.push(field.trim());
    cells.push(record);
    lines.push(start);
    record = [];
    field = '';
  };
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quoted) {
      if (ch === '"' && s[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else {
        if (ch === '\n') line++;
        field += ch;
      }
    } else if (ch === '"') {
      quoted = true;
      quoteLine = line;
    } else if (ch === ',') {
      record.push(field.trim());
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && s[i + 1] === '\n') i++;
      endRecord();
      line++;
      start = line;
    } else field += ch;
  }
  if (quoted) throw errors.badFile(file, `line ${quoteLine}: a quoted field is never closed`);
  if (field !== '' || record.length > 0) endRecord();
  return { cells, lines };
}

/** A step in words: `1 day`, `6 hours`, `15 minutes`, `30 seconds`, `250 ms`. */
export function describeStep(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1000, 'second'],
  ];
  for (const [size, name] of units) if (ms % size === 0) return `${ms / size} ${name}${ms === size ? '' : 's'}`;
  return `${ms} ms`;
}

/** The data rows of a CSV file under its header, with the 1-based line each starts on. */
interface CsvBody {
  header: string[];
  data: string[][];
  dataLines: number[];
}

/**
 * The header and data rows of a CSV text: blank lines skipped, except between the data rows
 * of a one-column file, where a blank line is an empty cell.
 * @throws KrsError BAD_FILE for no header and data row, a record of another width than the
 *   header (naming its line), or two columns of one name (naming both positions).
 */
function csvBody(text: string, file: string): CsvBody {
  const parsed = parseCsv(text, file);
  const blank = (r: string[]) => r.length === 1 && r[0] === '';
  const head = parsed.cells.findIndex((r) => !blank(r));
  let end = parsed.cells.length;
  while (end > head + 1 && blank(parsed.cells[end - 1]!)) end--;
  const oneColumn = head >= 0 && parsed.cells[head]!.length === 1;
  const keep = head < 0 ? [] : parsed.cells.map((r, i) => i >= head && i < end && (oneColumn || !blank(r)));
  const cells = parsed.cells.filter((_, i) => keep[i]);
  const fileLines = parsed.lines.filter((_, i) => keep[i]);
  if (cells.length < 2) throw errors.badFile(file, 'needs a header row and at least one data row');
  const header = cells[0]!;
  const data = cells.slice(1);
  const dataLines = fileLines.slice(1);
  data.forEach((r, i) => {
    if (r.length !== header.length) throw errors.badFile(file, `line ${dataLines[i]} has ${r.length} fields, the header has ${header.length}`);
  });
  checkUniqueNames(header, file);
  return { header, data, dataLines };
}

/**
 * Refuse a header naming two columns alike: a column is chosen by its name (features, target,
 * time, standardisation statistics), so the second would be read as the first.
 * @throws KrsError BAD_FILE naming the two 1-based positions and the name.
 */
function checkUniqueNames(header: readonly string[], file: string): void {
  const first = new Map<string, number>();
  header.forEach((name, j) => {
    const i = first.get(name);
    if (i !== undefined) throw errors.badFile(file, `columns ${i + 1} and ${j + 1} are both named '${name}'; rename one`);
    first.set(name, j);
  });
}

/**
 * The index of the time column: the named one, none (-1) for `'none'`, or by default the
 * first column that looks like dates (at least half of its cells that are not missing have a
 * date's shape, `csv-dates.ts`), or -1.
 * @throws KrsError UNKNOWN_KEY for a named column that is not there; BAD_OPTION for a named
 *   column that does not look like dates (naming the line and value of its first other cell).
 */
function timeColumnIndex({ header, data, dataLines }: CsvBody, file: string, timeColumn: string | undefined): number {
  const looksLikeDates = (j: number) => {
    const present = data.filter((r) => !isMissing(r[j]!));
    return present.length > 0 && 2 * present.filter((r) => hasDateShape(r[j]!)).length >= present.length;
  };
  if (timeColumn === 'none') return -1;
  if (timeColumn === undefined) return header.findIndex((_, j) => looksLikeDates(j));
  const j = header.indexOf(timeColumn);
  if (j < 0) throw errors.unknownKey('CSV column', timeColumn, file, header);
  if (!looksLikeDates(j)) {
    const bad = data.findIndex((r) => !isMissing(r[j]!) && !hasDateShape(r[j]!));
    const holds = bad >= 0 ? `line ${dataLines[bad]} of ${file} holds ${JSON.stringify(data[bad]![j])}` : `${file} has no value in it`;
    throw errors.badOption('timeColumn', timeColumn, `a column of dates or date-times (ISO 8601, YYYY/MM/DD, MM/DD/YYYY or DD/MM/YYYY; ${holds})`);
  }
  return j;
}

/** Where each data row goes in the regular series, how many rows that makes, and the time column. */
interface RowLayout {
  /** The series row of each data row. */
  rowOf: Int32Array;
  rows: number;
  time: CsvTime | null;
}

/**
 * Lay the data rows out on a regular time grid (see the module comment): step = the median
 * difference d between consecutive stamps, row of stamp t = (t − t₀)/step; rows = that of the
 * last stamp + 1. The row count is checked against `maxCsvRows` before anything of that size
 * is allocated.
 * @throws KrsError BAD_FILE for an empty time cell, a cell that is not a date, time that
 *   repeats or goes backwards, or irregular steps (naming the lines); BAD_VALUE for more rows
 *   than `maxCsvRows`, naming the largest gap.
 */
function regularRows({ header, data, dataLines }: CsvBody, timeJ: number, file: string, limits: Limits): RowLayout {
  const n = data.length;
  const name = header[timeJ]!;
  const cells = data.map((r, i) => {
    if (isMissing(r[timeJ]!)) throw errors.badFile(file, `line ${dataLines[i]}: the time column '${name}' is empty`);
    return r[timeJ]!;
  });
  const { ms: t, format } = parseTimeColumn(cells, dataLines, name, file);
  const diffs = t.slice(1).map((ti, i) => ti - t[i]!);
  diffs.forEach((d, i) => {
    if (d <= 0)
      throw errors.badFile(
        file,
        `the time column '${name}' ${d === 0 ? 'repeats' : 'goes backwards'}: line ${dataLines[i + 1]} (${cells[i + 1]}) follows line ${dataLines[i]} (${cells[i]}); sort the rows and drop duplicates`,
      );
  });
  if (n === 1)
    return {
      rowOf: new Int32Array(1),
      rows: 1,
      time: { column: name, format, stepMs: 0, step: 'none (one row)', first: cells[0]!, last: cells[0]!, firstMs: t[0]!, insertedRows: 0 },
    };
  const step = [...diffs].sort((a, b) => a - b)[(diffs.length - 1) >> 1]!;
  checkWholeSteps(diffs, step, cells, dataLines, name, file);
  const rows = Math.round((t[n - 1]! - t[0]!) / step) + 1;
  if (rows > limits.maxCsvRows) {
    const g = diffs.reduce((best, d, i) => (d > diffs[best]! ? i : best), 0);
    const gap = `the gap from ${cells[g]} (line ${dataLines[g]}) to ${cells[g + 1]} (line ${dataLines[g + 1]}) alone adds ${Math.round(diffs[g]! / step) - 1} rows`;
    checkLimit(
      limits,
      'maxCsvRows',
      file,
      `the row count of the series once the gaps in the time column '${name}' are filled with rows of step ${describeStep(step)} (${gap})`,
      rows,
    );
  }
  const rowOf = Int32Array.from(t, (ti) => Math.round((ti - t[0]!) / step));
  return {
    rowOf,
    rows,
    time: { column: name, format, stepMs: step, step: describeStep(step), first: cells[0]!, last: cells[n - 1]!, firstMs: t[0]!, insertedRows: rows - n },
  };
}

/**
 * Refuse differences between stamps that are not whole numbers of the step.
 * @throws KrsError BAD_FILE naming the first such row, the step and up to 5 lines.
 */
function checkWholeSteps(diffs: readonly number[], step: number, cells: readonly string[], dataLines: readonly number[], name: string, file: string): void {
  const irregular = diffs.map((d, i) => (d % step === 0 ? -1 : i + 1)).filter((i) => i >= 0);
  if (irregular.length === 0) return;
  const i = irregular[0]!;
  const list = irregular.slice(0, 5).map((k) => dataLines[k]);
  throw errors.badFile(
    file,
    `the time column '${name}' has irregular steps: line ${dataLines[i]} (${cells[i]}) is ${+(diffs[i - 1]! / step).toFixed(3)} steps of ${describeStep(step)} after line ${dataLines[i - 1]} (${cells[i - 1]}); ${irregular.length} such row${irregular.length === 1 ? '' : 's'} (line${list.length === 1 ? '' : 's'} ${list.join(', ')}${irregular.length > 5 ? ', …' : ''}); resample to a regular step, or set ${opt('timeColumn')} none`,
  );
}

/** One column read: its values on the series rows (NaN where missing), or why it is not numeric. */
interface ColumnRead {
  values: Float64Array | null;
  firstText: { line: number; value: string } | null;
  overflow: { line: number; value: string } | null;
}

/**
 * Read column `j` onto the series rows. A number beyond float64 (`1e400`) is kept as ±Infinity
 * and its line and text recorded in `overflow`, for the window reader to refuse if the column
 * is used. The time column is never numeric.
 */
function readColumn({ data, dataLines }: CsvBody, j: number, layout: RowLayout, isTime: boolean): ColumnRead {
  const v = new Float64Array(layout.rows).fill(Number.NaN);
  let firstText: ColumnRead['firstText'] = isTime ? { line: dataLines[0]!, value: data[0]![j]! } : null;
  let overflow: ColumnRead['overflow'] = null;
  let any = false;
  for (let i = 0; i < data.length && firstText === null; i++) {
    const c = data[i]![j]!;
    if (isMissing(c)) continue;
    if (!NUMBER.test(c)) firstText = { line: dataLines[i]!, value: c };
    else {
      const x = Number(c);
      if (!Number.isFinite(x) && overflow === null) overflow = { line: dataLines[i]!, value: c };
      v[layout.rowOf[i]!] = x;
      any = true;
    }
  }
  if (firstText === null && !any) firstText = { line: dataLines[0]!, value: data[0]![j]! };
  return firstText === null ? { values: v, firstText, overflow } : { values: null, firstText, overflow: null };
}

/**
 * Read a CSV time series (see the module comment).
 * @throws KrsError BAD_FILE for a file without a header and a data row, a record of the wrong
 *   width, two columns of one name, a time column that is missing a value, holds a cell that
 *   is not a date, has a day/month order that cannot be decided, goes backwards, repeats or
 *   has irregular steps (naming the lines); BAD_VALUE for more rows (gap rows included) than
 *   the limit `maxCsvRows`; UNKNOWN_KEY for a `timeColumn` that is not a column; BAD_OPTION
 *   for a named time column that does not look like dates, or a bad limit.
 */
export function readCsvTable(text: string, file: string, options: CsvTableOptions = {}): CsvTable {
  const limits = resolveLimits(options.limits);
  const body = csvBody(text, file);
  const n = body.data.length;
  const timeJ = timeColumnIndex(body, file, options.timeColumn);
  const layout: RowLayout = timeJ >= 0 ? regularRows(body, timeJ, file, limits) : { rowOf: Int32Array.from({ length: n }, (_, i) => i), rows: n, time: null };
  checkLimit(limits, 'maxCsvRows', file, 'the row count of the series', layout.rows);
  const lines = new Int32Array(layout.rows);
  for (let i = 0; i < n; i++) lines[layout.rowOf[i]!] = body.dataLines[i]!;
  const columns = body.header.map((_, j) => readColumn(body, j, layout, j === timeJ));
  return {
    file,
    header: body.header,
    rows: layout.rows,
    fileRows: n,
    values: columns.map((c) => c.values),
    firstText: columns.map((c) => c.firstText),
    overflow: columns.map((c) => c.overflow),
    lines,
    time: layout.time,
  };
}
