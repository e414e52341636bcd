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
 *   missing is a decimal number (`-1.5`, `2e-3`; not `0x10`, `inf` or `1,5`).
 * * A **time column** is found (or named with `timeColumn`, or disabled with `'none'`) as the
 *   first column whose every cell that is not missing is an ISO 8601 date or date-time (an
 *   empty time cell is then BAD_FILE naming its line) (`2024-01-31`,
 *   `2024-01-31T13:00`, `2024-01-31 13:00:00Z`, `…+02:00`). A date-time without a zone is
 *   read on the UTC clock, so local stamps keep their nominal spacing. The step is the median
 *   difference between consecutive rows; every difference must be a whole number of steps:
 *   time that goes backwards or repeats, and differences that are not whole steps (irregular
 *   steps), are BAD_FILE naming the lines. A difference of k > 1 steps inserts k − 1 rows with
 *   every value missing, so windows never straddle a gap in time.
 */
import { errors, opt } from '../../core/errors.js';

/** Cells read as missing values (besides the empty cell). */
export const MISSING_MARKERS: readonly string[] = ['NA', 'N/A', '#N/A', 'NaN', 'nan', 'null', 'NULL', '?'];

/** The time column of a series and how its rows were made regular. */
export interface CsvTime {
  column: string;
  /** The step between rows, in milliseconds and in words (`1 day`, `15 minutes`). */
  stepMs: number;
  step: string;
  first: string;
  last: string;
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
  /** 1-based file line of each row of the series, 0 for an inserted row. */
  lines: Int32Array;
  time: CsvTime | null;
}

export interface CsvTableOptions {
  /** The time column; `'none'` for none; default: the first ISO date/date-time column. */
  timeColumn?: string;
}

/** Most rows a series may have once time gaps are filled with rows (refuses a gap of years of seconds). */
const MAX_ROWS = 50_000_000;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

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

/** Milliseconds since the epoch of an ISO date/date-time cell (UTC clock without a zone), or NaN. */
export function parseIsoTime(cell: string): number {
  const m = ISO.exec(cell);
  if (!m) return Number.NaN;
  const [, y, mo, d, h = '00', mi = '00', sec = '00', frac = '', zone] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31 || Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59) return Number.NaN;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${sec}${frac}${zone ?? 'Z'}`);
  // Date.parse rolls 2023-02-30 over to March: refuse dates that do not exist.
  if (Number.isNaN(ms) || new Date(Date.UTC(Number(y), month - 1, day)).getUTCDate() !== day) return Number.NaN;
  return ms;
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

/**
 * Read a CSV time series (see the module comment).
 * @throws KrsError BAD_FILE for a file without a header and a data row, a record of the wrong
 *   width, a time column that is missing a value, goes backwards, repeats or has irregular
 *   steps (naming the lines), or gaps that would make more than 50 million rows;
 *   UNKNOWN_KEY for a `timeColumn` that is not a column; BAD_OPTION for a named time column
 *   that holds something other than ISO dates.
 */
export function readCsvTable(text: string, file: string, options: CsvTableOptions = {}): CsvTable {
  const parsed = parseCsv(text, file);
  // Blank lines are skipped, except in a one-column file, where a blank line between data rows is an empty cell.
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
  const n = data.length;
  const column = (j: number) => data.map((r) => r[j]!);

  // The time column.
  let timeJ = -1;
  if (options.timeColumn !== undefined && options.timeColumn !== 'none') {
    timeJ = header.indexOf(options.timeColumn);
    if (timeJ < 0) throw errors.unknownKey('CSV column', options.timeColumn, file, header);
    const bad = data.findIndex((r) => !isMissing(r[timeJ]!) && Number.isNaN(parseIsoTime(r[timeJ]!)));
    if (bad >= 0)
      throw errors.badOption(
        'timeColumn',
        options.timeColumn,
        `a column of ISO dates or date-times (line ${dataLines[bad]} of ${file} holds ${JSON.stringify(data[bad]![timeJ])})`,
      );
  } else if (options.timeColumn === undefined) {
    timeJ = header.findIndex((_, j) => data.some((r) => !isMissing(r[j]!)) && data.every((r) => isMissing(r[j]!) || !Number.isNaN(parseIsoTime(r[j]!))));
  }
  let time: CsvTime | null = null;
  let rowOf = Int32Array.from({ length: n }, (_, i) => i);
  let rows = n;
  if (timeJ >= 0) {
    const name = header[timeJ]!;
    const t = column(timeJ).map((c, i) => {
      if (isMissing(c)) throw errors.badFile(file, `line ${dataLines[i]}: the time column '${name}' is empty`);
      return parseIsoTime(c);
    });
    const diffs: number[] = [];
    for (let i = 1; i < n; i++) {
      const d = t[i]! - t[i - 1]!;
      if (d <= 0)
        throw errors.badFile(
          file,
          `the time column '${name}' ${d === 0 ? 'repeats' : 'goes backwards'}: line ${dataLines[i]} (${data[i]![timeJ]}) follows line ${dataLines[i - 1]} (${data[i - 1]![timeJ]}); sort the rows and drop duplicates`,
        );
      diffs.push(d);
    }
    if (diffs.length > 0) {
      const step = [...diffs].sort((a, b) => a - b)[(diffs.length - 1) >> 1]!;
      const irregular = diffs.map((d, i) => (d % step === 0 ? -1 : i + 1)).filter((i) => i >= 0);
      if (irregular.length > 0) {
        const i = irregular[0]!;
        const list = irregular.slice(0, 5).map((k) => dataLines[k]);
        throw errors.badFile(
          file,
          `the time column '${name}' has irregular steps: line ${dataLines[i]} (${data[i]![timeJ]}) is ${+(diffs[i - 1]! / step).toFixed(3)} steps of ${describeStep(step)} after line ${dataLines[i - 1]} (${data[i - 1]![timeJ]}); ${irregular.length} such row${irregular.length === 1 ? '' : 's'} (line${list.length === 1 ? '' : 's'} ${list.join(', ')}${irregular.length > 5 ? ', …' : ''}); resample to a regular step, or set ${opt('timeColumn')} none`,
        );
      }
      rowOf = Int32Array.from({ length: n }, (_, i) => Math.round((t[i]! - t[0]!) / step));
      rows = rowOf[n - 1]! + 1;
      if (rows > MAX_ROWS)
        throw errors.badFile(file, `the gaps in the time column '${name}' (step ${describeStep(step)}) would make ${rows} rows, more than ${MAX_ROWS}`);
      time = { column: name, stepMs: step, step: describeStep(step), first: data[0]![timeJ]!, last: data[n - 1]![timeJ]!, insertedRows: rows - n };
    } else {
      time = { column: name, stepMs: 0, step: 'none (one row)', first: data[0]![timeJ]!, last: data[0]![timeJ]!, insertedRows: 0 };
    }
  }

  const lines = new Int32Array(rows);
  for (let i = 0; i < n; i++) lines[rowOf[i]!] = dataLines[i]!;
  const values: (Float64Array | null)[] = [];
  const firstText: ({ line: number; value: string } | null)[] = [];
  header.forEach((_, j) => {
    const v = new Float64Array(rows).fill(Number.NaN);
    let text: { line: number; value: string } | null = j === timeJ ? { line: dataLines[0]!, value: data[0]![j]! } : null;
    let any = false;
    for (let i = 0; i < n && text === null; i++) {
      const c = data[i]![j]!;
      if (isMissing(c)) continue;
      if (!NUMBER.test(c)) text = { line: dataLines[i]!, value: c };
      else {
        v[rowOf[i]!] = Number(c);
        any = true;
      }
    }
    if (text === null && !any) text = { line: dataLines[0]!, value: data[0]![j]! };
    values.push(text === null ? v : null);
    firstText.push(text);
  });
  return { file, header, rows, fileRows: n, values, firstText, lines, time };
}
