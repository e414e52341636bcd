/**
 * Node-only: read an experiments table (docs/data-model.md §"Experiments table") from a file — JSON (`.json`) or CSV
 * (anything else; `.tsv` is tab-separated), parsed with csv-parse. Lines starting with `#`
 * are comments; blank lines are skipped; cells are trimmed; a UTF-8 byte-order mark is
 * dropped. Validation is {@link experimentsFromRows}'s.
 */
import { parse } from 'csv-parse/sync';
import { errors } from '../core/errors.js';
import { type LimitOptions, resolveLimits } from '../io/limits.js';
import { readWholeText } from '../io/node-read.js';
import { type ExperimentsTable, experimentsFromRows, parseExperimentsJson, type RawRow } from './experiments.js';

/**
 * Read and validate an experiments table.
 * @param options `format` (default by extension); `limits` (`maxTextBytes`, checked before reading)
 * @throws FILE_NOT_FOUND for a missing file; BAD_FILE for malformed CSV/JSON (naming the
 *   line) or missing columns; BAD_VALUE / ID_MISMATCH for bad cells (see experimentsFromRows),
 *   or a file above `maxTextBytes`.
 * @example readExperimentsTable('examples/paper/experiments.csv').experiments.length
 */
export function readExperimentsTable(path: string, options: { format?: 'csv' | 'tsv' | 'json'; limits?: LimitOptions } = {}): ExperimentsTable {
  const text = readWholeText(path, resolveLimits(options.limits), 'experiments table');
  const lower = path.toLowerCase();
  const format = options.format ?? (lower.endsWith('.json') ? 'json' : lower.endsWith('.tsv') ? 'tsv' : 'csv');
  if (format === 'json') return parseExperimentsJson(text.replace(/^\uFEFF/, ''), path);
  return parseExperimentsCsv(text, path, format === 'tsv' ? '\t' : ',');
}

/** Split CSV text into a header and rows with line numbers, then validate them. */
export function parseExperimentsCsv(text: string, source: string, delimiter = ','): ExperimentsTable {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      delimiter,
      bom: true,
      trim: true,
      skip_empty_lines: true,
      comment: '#',
      comment_no_infix: true,
      info: true,
      relax_column_count: false,
    }) as unknown as {
      record: string[];
      info: { lines: number };
    }[];
  } catch (e) {
    const err = e as { message?: string; lines?: number };
    throw errors.badFile(source, `is not valid CSV: ${(err.message ?? String(e)).replace(/\s+/g, ' ')}`);
  }
  if (records.length === 0) throw errors.badFile(source, 'is empty (no header row)');
  const header = records[0]!.record;
  const rows: RawRow[] = records.slice(1).map(({ record, info }) => ({
    cells: Object.fromEntries(header.map((h, i) => [h, record[i] ?? ''])),
    line: info.lines,
  }));
  return experimentsFromRows(header, rows, source);
}
