/**
 * Dates and date-times of a CSV time column.
 *
 * Formats read (each with an optional time `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fff` after a
 * space or `T`):
 *
 * * ISO 8601: `2024-01-31`, `2024-01-31T13:00`, `2024-01-31 13:00:00Z`, `…+02:00` (the only
 *   format with a zone);
 * * `YYYY/MM/DD`: `2024/01/31 13:00`;
 * * `MM/DD/YYYY` and `DD/MM/YYYY` (day and month of one or two digits): which of the two is
 *   decided over the whole column, never per cell — a cell whose first number is above 12
 *   makes it day first, one whose second number is above 12 month first. A column with both
 *   kinds of cell, or with neither (and a cell whose two numbers differ), is refused naming
 *   the column: the dates cannot be read without guessing.
 *
 * A stamp without a zone is read on the UTC clock, so local stamps keep their nominal spacing.
 * A date that does not exist (`2023-02-30`, `12/32/2009`) is not a date.
 *
 * A column **looks like dates** when at least half of its cells that are not missing have
 * the shape of one of these formats (digits and separators, before any check of the values).
 * Such a column is read as dates throughout: a cell that does not parse is an error naming
 * its line and value, never a reason to take the column for text.
 */
import { errors, opt } from '../../core/errors.js';

const TIME = String.raw`(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?`;
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const YEAR_FIRST = new RegExp(`^(\\d{4})/(\\d{1,2})/(\\d{1,2})${TIME}$`);
const YEAR_LAST = new RegExp(`^(\\d{1,2})/(\\d{1,2})/(\\d{4})${TIME}$`);
/** Shapes only: digits where a format has numbers, whatever their values. */
const SHAPES = [/^\d{4}-\d{1,2}-\d{1,2}(?:[T ].*)?$/, /^\d{4}\/\d{1,2}\/\d{1,2}(?:[T ].*)?$/, /^\d{1,2}\/\d{1,2}\/\d{4}(?:[T ].*)?$/];

/** The formats read, in words, for messages and docs. */
export const DATE_FORMATS = 'ISO 8601, YYYY/MM/DD, MM/DD/YYYY or DD/MM/YYYY, each with an optional time';

/** Whether a cell has the shape of a date in one of the formats read (values not checked). */
export function hasDateShape(cell: string): boolean {
  return SHAPES.some((s) => s.test(cell));
}

/**
 * Milliseconds since the epoch of a date and time on the UTC clock, or NaN when a field is
 * out of range or the date does not exist (Date.UTC would roll 2023-02-30 over to March).
 */
function utcMs(y: number, mo: number, d: number, h: number, mi: number, s: number, frac: string): number {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return Number.NaN;
  const ms = Date.UTC(y, mo - 1, d, h, mi, s) + (frac ? Math.round(Number(frac) * 1000) : 0);
  return new Date(Date.UTC(y, mo - 1, d)).getUTCDate() === d ? ms : Number.NaN;
}

/** Milliseconds since the epoch of an ISO date/date-time cell (UTC clock without a zone), or NaN. */
export function parseIsoTime(cell: string): number {
  const m = ISO.exec(cell);
  if (!m) return Number.NaN;
  const [, y, mo, d, h = '00', mi = '00', sec = '00', frac = '', zone] = m;
  const local = utcMs(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(sec), frac);
  if (Number.isNaN(local) || !zone || zone === 'Z') return local;
  const [, sign, zh, zm] = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
  return local - (sign === '-' ? -1 : 1) * (Number(zh) * 60 + Number(zm)) * 60_000;
}

/** A cell in the MM/DD/YYYY or DD/MM/YYYY shape: its first two numbers and the rest. */
interface YearLast {
  a: number;
  b: number;
  m: RegExpExecArray;
}

/** Milliseconds of a `YYYY/MM/DD` cell, or NaN. */
function parseYearFirst(m: RegExpExecArray): number {
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = ''] = m;
  return utcMs(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s), frac);
}

/** Milliseconds of a `MM/DD/YYYY` (monthFirst) or `DD/MM/YYYY` cell, or NaN. */
function parseYearLast({ a, b, m }: YearLast, monthFirst: boolean): number {
  const [, , , y, h = '0', mi = '0', s = '0', frac = ''] = m;
  return utcMs(Number(y), monthFirst ? a : b, monthFirst ? b : a, Number(h), Number(mi), Number(s), frac);
}

/**
 * Whether the MM/DD/YYYY-or-DD/MM/YYYY cells of a column are month first: true when some
 * cell's second number is above 12 (and none's first), false when some cell's first number
 * is, and — when every cell has both numbers equal — true (both readings agree).
 * @throws KrsError BAD_FILE for a column with both kinds of cell (naming one of each), or with
 *   neither where a cell's two numbers differ (the order cannot be known).
 */
function monthFirstOrder(cells: readonly (YearLast | null)[], raw: readonly string[], lines: readonly number[], name: string, file: string): boolean {
  const dayFirstAt = cells.findIndex((c) => c !== null && c.a > 12 && c.b <= 12);
  const monthFirstAt = cells.findIndex((c) => c !== null && c.b > 12 && c.a <= 12);
  if (dayFirstAt >= 0 && monthFirstAt >= 0)
    throw errors.badFile(
      file,
      `the time column '${name}' mixes DD/MM/YYYY (line ${lines[dayFirstAt]}: ${raw[dayFirstAt]}) and MM/DD/YYYY (line ${lines[monthFirstAt]}: ${raw[monthFirstAt]}); write the dates in one order`,
    );
  if (dayFirstAt >= 0) return false;
  if (monthFirstAt < 0 && cells.some((c) => c !== null && c.a !== c.b))
    throw errors.badFile(
      file,
      `the time column '${name}' holds dates that read as MM/DD/YYYY or as DD/MM/YYYY (no day above 12 decides); write them as YYYY-MM-DD, or set ${opt('timeColumn')} none`,
    );
  return true;
}

/** The time column read: milliseconds of each cell and the formats it holds, in words. */
export interface ParsedTimeColumn {
  ms: number[];
  format: string;
}

/**
 * Read a time column (see the module comment); `cells` must hold no missing cell.
 * @throws KrsError BAD_FILE for a day/month order that cannot be decided (see
 *   {@link monthFirstOrder}) or a cell that is not a date in any format read, naming the file,
 *   the column, the cell's 1-based line and its value.
 */
export function parseTimeColumn(cells: readonly string[], lines: readonly number[], name: string, file: string): ParsedTimeColumn {
  const yearLast = cells.map((c): YearLast | null => {
    const m = YEAR_LAST.exec(c);
    return m ? { a: Number(m[1]), b: Number(m[2]), m } : null;
  });
  const monthFirst = monthFirstOrder(yearLast, cells, lines, name, file);
  const formats = new Set<string>();
  const ms = cells.map((c, i) => {
    const last = yearLast[i];
    const first = last ? null : YEAR_FIRST.exec(c);
    const format = last ? (monthFirst ? 'MM/DD/YYYY' : 'DD/MM/YYYY') : first ? 'YYYY/MM/DD' : 'ISO 8601';
    const t = last ? parseYearLast(last, monthFirst) : first ? parseYearFirst(first) : parseIsoTime(c);
    if (Number.isNaN(t)) throw notADate(cells, lines, i, name, file);
    formats.add(format);
    return t;
  });
  return { ms, format: [...formats].join(' and ') };
}

/** BAD_FILE for the cell `i` of a time column, which is not a date. */
function notADate(cells: readonly string[], lines: readonly number[], i: number, name: string, file: string) {
  return errors.badFile(
    file,
    `the time column '${name}' has a cell that is not a date: line ${lines[i]} holds ${JSON.stringify(cells[i])} (dates are read as ${DATE_FORMATS}); correct it, or set ${opt('timeColumn')} none`,
  );
}
