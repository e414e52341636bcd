/**
 * CSV time-series windows on small synthetic files, one per edge case of real data: empty
 * cells and missing markers, a date column, a missing day, irregular steps, quoted fields,
 * the target-column ambiguity, --fill previous|linear against hand-computed values, and the
 * standardisation fitted on the training split only and reused.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CsvWindowOptions, csvWindowDataset } from '../../src/runtime/data/csv-windows.js';
import { openDataset } from '../../src/runtime/data/open.js';
import { expectClose, expectKrsError } from '../helpers/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'krs-csv-'));
let k = 0;
function csv(text: string): string {
  const f = join(dir, `s${k++}.csv`);
  writeFileSync(f, text);
  return f;
}
const open = (f: string, o: Partial<CsvWindowOptions>) => csvWindowDataset(f, { window: 1, ...o });
const all = (f: string, o: Partial<CsvWindowOptions>) => {
  const d = open(f, o);
  const b = d.read(0, d.size);
  return { d, x: [...(b.arrays.x!.data as Float32Array)], y: [...(b.targets!.data as Float32Array)] };
};

// Column a misses row 1, column b misses row 3 ("NA"); `note` is text; `date` is a regular daily time column.
const GAPPY = 'date,a,b,note\n2024-01-01,1,10,x\n2024-01-02,,11,y\n2024-01-03,3,12,z\n2024-01-04,4,NA,w\n2024-01-05,5,14,v\n2024-01-06,6,15,u\n';

describe('CSV columns', () => {
  it('a window batch is owned: fresh buffers, shared with neither the targets nor the ids nor another batch', () => {
    const d = open(csv(GAPPY), { targetColumn: 'a' });
    const b1 = d.read(0, 2);
    const b2 = d.read(0, 2);
    const x = b1.arrays.x!.data;
    expect(b1.owned).toBe(true);
    expect(x.buffer).not.toBe(b2.arrays.x!.data.buffer);
    expect(x.buffer).not.toBe(b1.targets!.data.buffer);
    expect(x.buffer).not.toBe(b1.ids.data.buffer);
    expect(x.byteLength).toBe(x.buffer.byteLength);
  });

  it('a date column, text and empty cells do not make the numeric columns non-numeric', () => {
    const d = open(csv(GAPPY), { targetColumn: 'a' });
    expect(d.preparation.columns).toEqual(['a', 'b']);
    expect(d.preparation.time).toMatchObject({ column: 'date', step: '1 day', stepMs: 86_400_000, insertedRows: 0 });
  });

  it('names the line and value of a named column that is not numeric, and a column with no value', async () => {
    const f = csv(GAPPY);
    await expectKrsError(() => open(f, { columns: ['a', 'note'], targetColumn: 'a' }), 'BAD_FILE', /column 'note' is not numeric \(line 2 holds "x"\)/);
    await expectKrsError(() => open(csv('t,v,e\n1,2,\n2,3,\n'), { columns: ['e'] }), 'BAD_FILE', /column 'e' is not numeric \(has no value\)/);
    await expectKrsError(() => open(csv('name,kind\nx,y\nz,w\n'), {}), 'BAD_FILE', /has no numeric column \(columns: name, kind\)/);
  });

  it('without a target column, several candidates are an error that lists them; one candidate is the target', async () => {
    await expectKrsError(
      () => open(csv(GAPPY), {}),
      'BAD_OPTION',
      /missing targetColumn: expected the column to forecast: .* has 2 candidate columns \(a, b\)/,
    );
    expect(open(csv(GAPPY), { columns: ['b'] }).preparation.target).toBe('b');
  });

  it('reads quoted fields: commas, doubled quotes and line breaks inside quotes, a BOM, CRLF', () => {
    const f = csv(
      '\uFEFF"date","load, kW","name"\r\n"2024-01-01","1.5","a ""quoted"", name"\r\n"2024-01-02","2.5","multi\nline"\r\n"2024-01-03","3.5","c"\r\n',
    );
    const { d, x, y } = all(f, {});
    expect(d.preparation).toMatchObject({ columns: ['load, kW'], target: 'load, kW', rows: 3, samples: 2 });
    expect(d.preparation.time?.column).toBe('date');
    expect(x).toEqual([1.5, 2.5]);
    expect(y).toEqual([2.5, 3.5]);
  });

  it('names the line of a record of the wrong width and of a quote never closed', async () => {
    await expectKrsError(() => open(csv('t,v\n1,2\n2,3,4\n'), {}), 'BAD_FILE', /line 3 has 3 fields, the header has 2/);
    await expectKrsError(() => open(csv('t,v\n1,2\n2,"3\n'), {}), 'BAD_FILE', /line 3: a quoted field is never closed/);
  });
});

describe('CSV missing values', () => {
  it('skips (by default) every window touching a missing value, counts and says it', () => {
    // Windows of 1 + 1 rows start at rows 0…4; row 1 (a) and row 3 (b) are missing: starts 0, 1, 2, 3 touch one.
    const { d, x, y } = all(csv(GAPPY), { targetColumn: 'a' });
    expect(d.preparation).toMatchObject({ rows: 6, missingRows: 2, fill: 'skip', windows: 5, skippedWindows: 4, samples: 1, filledValues: 0 });
    expect(d.size).toBe(1);
    expect(x).toEqual([5, 14]);
    expect(y).toEqual([6]);
    expect(d.notes).toEqual([
      expect.stringMatching(/skipped 4 windows of 5 \(1 \+ 1 rows\) touching 2 missing rows; filling them \(fill: previous or linear\) keeps those windows/),
    ]);
    // 'NA', '?', 'nan' and the empty cell are missing, never zeros.
    const m = open(csv('v\n1\n?\n3\nnan\n5\n6\n'), {});
    expect(m.preparation).toMatchObject({ missingRows: 2, samples: 1 });
  });

  it('--fill previous carries the last value forward (hand-computed)', () => {
    const { d, x, y } = all(csv(GAPPY), { targetColumn: 'a', fill: 'previous' });
    expect(d.preparation).toMatchObject({ filledValues: 2, filledRows: 2, skippedWindows: 0, samples: 5 });
    expect(x).toEqual([1, 10, 1, 11, 3, 12, 4, 12, 5, 14]);
    expect(y).toEqual([1, 3, 4, 5, 6]);
    expect(d.notes).toEqual([expect.stringMatching(/filled 2 missing values in 2 rows with the previous value/)]);
  });

  it('--fill linear interpolates between the neighbours (hand-computed)', () => {
    const { d, x, y } = all(csv(GAPPY), { targetColumn: 'a', fill: 'linear' });
    expect(d.preparation).toMatchObject({ filledValues: 2, samples: 5 });
    expect(x).toEqual([1, 10, 2, 11, 3, 12, 4, 13, 5, 14]);
    expect(y).toEqual([2, 3, 4, 5, 6]);
    // A run of two: 1, _, _, 7 → 3, 5. A leading gap has nothing to fill from: its windows are skipped.
    const r = all(csv('v\n\n1\n\n\n7\n8\n'), { fill: 'linear' });
    expect(r.x).toEqual([1, 3, 5, 7]);
    expect(r.d.preparation).toMatchObject({ missingRows: 3, filledValues: 2, windows: 5, skippedWindows: 1, samples: 4 });
    expect(r.d.notes.join('\n')).toMatch(/skipped 1 window of 5 .* touching 1 missing row that could not be filled/);
  });

  it('every window touching a missing value is an error, not an empty data set', async () => {
    await expectKrsError(
      () => open(csv('v\n1\n\n3\n'), {}),
      'BAD_FILE',
      /every one of the 2 windows of 1 \+ 1 rows touches one of its 1 missing rows; fill them with .*fill/,
    );
  });
});

describe('CSV time column', () => {
  const MISSING_DAY = 'time,v\n2024-01-01,1\n2024-01-02,2\n2024-01-04,4\n2024-01-05,5\n2024-01-06,6\n';

  it('a missing day is a missing row: windows do not straddle it', () => {
    // 2024-01-03 is inserted: 6 rows; windows of 2 + 1 start at 0…3, and starts 0, 1, 2 touch row 2.
    const { d, x, y } = all(csv(MISSING_DAY), { window: 2 });
    expect(d.preparation).toMatchObject({ rows: 6, fileRows: 5, missingRows: 1, windows: 4, skippedWindows: 3, samples: 1 });
    expect(d.preparation.time).toMatchObject({ column: 'time', step: '1 day', insertedRows: 1, first: '2024-01-01', last: '2024-01-06' });
    expect(x).toEqual([4, 5]);
    expect(y).toEqual([6]);
    expect(d.notes[0]).toMatch(/1 time step of 1 day with no row in 'time' were inserted as missing rows/);
    expect(all(csv(MISSING_DAY), { window: 2, fill: 'linear' }).y).toEqual([3, 4, 5, 6]);
    // timeColumn 'none': the rows are taken as they are (the user's choice).
    expect(open(csv(MISSING_DAY), { window: 2, timeColumn: 'none' }).preparation).toMatchObject({ rows: 5, time: null, samples: 3 });
  });

  it('date-times: the step is the median difference; hours and zones', () => {
    const f = csv('t,v\n2024-03-31T00:00Z,1\n2024-03-31 01:00:00Z,2\n2024-03-31T04:00+02:00,3\n2024-03-31T03:00,4\n');
    expect(open(f, {}).preparation.time).toMatchObject({ step: '1 hour', insertedRows: 0 });
  });

  it('refuses irregular steps naming the rows, and time that repeats or goes backwards', async () => {
    const f = csv('t,v\n2024-01-01T00:00,1\n2024-01-01T01:00,2\n2024-01-01T02:00,3\n2024-01-01T03:30,4\n2024-01-01T04:00,5\n');
    await expectKrsError(
      () => open(f, {}),
      'BAD_FILE',
      /the time column 't' has irregular steps: line 5 \(2024-01-01T03:30\) is 1\.5 steps of 1 hour after line 4 \(2024-01-01T02:00\); 2 such rows \(lines 5, 6\)/,
    );
    expect(open(f, { timeColumn: 'none' }).size).toBe(4);
    await expectKrsError(
      () => open(csv('d,v\n2024-01-01,1\n2024-01-02,2\n2024-01-02,3\n'), {}),
      'BAD_FILE',
      /'d' repeats: line 4 \(2024-01-02\) follows line 3/,
    );
    await expectKrsError(() => open(csv('d,v\n2024-01-02,1\n2024-01-01,2\n'), {}), 'BAD_FILE', /'d' goes backwards: line 3/);
    await expectKrsError(
      () => open(csv('d,v\n1,1\n2,2\n'), { timeColumn: 'd' }),
      'BAD_OPTION',
      /a column of dates or date-times \(ISO 8601, YYYY\/MM\/DD, MM\/DD\/YYYY or DD\/MM\/YYYY; line 2 .* holds "1"\)/,
    );
    await expectKrsError(() => open(csv('d,v\n1,1\n2,2\n'), { timeColumn: 'when' }), 'UNKNOWN_KEY', /when/);
  });

  it('an empty cell in the time column is an error naming its line', async () => {
    await expectKrsError(() => open(csv('d,v\n2024-01-01,1\n,2\n2024-01-03,3\n'), {}), 'BAD_FILE', /line 3: the time column 'd' is empty/);
  });

  it('a date that does not exist is refused naming its line, not taken as a column of text (which would disable gap detection)', async () => {
    await expectKrsError(
      () => open(csv('d,v\n2023-02-28,1\n2023-02-30,2\n2023-03-01,3\n'), {}),
      'BAD_FILE',
      /the time column 'd' has a cell that is not a date: line 3 holds "2023-02-30"/,
    );
  });
});

describe('CSV standardisation', () => {
  // v = 0…9 then much larger values after the training split; w = 2·v + 1.
  const rows = [0, 1, 2, 3, 4, 100, 200, 300, 400, 500];
  const SERIES = `v,w\n${rows.map((v) => `${v},${2 * v + 1}`).join('\n')}\n`;

  it('is fitted on the first trainFraction of the rows only (population std), targets included', () => {
    const { d, x, y } = all(csv(SERIES), { targetColumn: 'v', standardise: true, trainFraction: 0.5 });
    const s = d.preparation.standardise!;
    expect(s.fittedOn).toEqual({ rows: 10, trainRows: 5, trainFraction: 0.5 });
    // First 5 rows: v = 0…4, mean 2, std √2; w = 1, 3, …, 9, mean 5, std 2√2.
    expectClose(s.columns.v!.mean, 2);
    expectClose(s.columns.v!.std, Math.SQRT2);
    expectClose(s.columns.w!.mean, 5);
    expectClose(s.columns.w!.std, 2 * Math.SQRT2);
    expectClose(x[0]!, Math.fround(-2 / Math.SQRT2), 1e-6);
    expectClose(x[1]!, Math.fround(-4 / (2 * Math.SQRT2)), 1e-6);
    expectClose(y[8]!, Math.fround((500 - 2) / Math.SQRT2), 1e-4);
    expect(d.notes).toEqual([
      expect.stringMatching(/standardised 2 columns with means and standard deviations fitted on the training split, the first 5 of 10 rows/),
    ]);
    // The default split is the first 70 %.
    expect(open(csv(SERIES), { targetColumn: 'v', standardise: true }).preparation.standardise!.fittedOn.trainRows).toBe(7);
  });

  it('reused with standardiseFrom: identical inputs on another file, refused when it lacks a column', async () => {
    const fitted = open(csv(SERIES), { targetColumn: 'v', standardise: true, trainFraction: 0.5 }).preparation.standardise!;
    const other = csv(`v,w\n${rows.map((v) => `${v + 1000},${v}`).join('\n')}\n`);
    const r = all(other, { targetColumn: 'v', standardiseFrom: { ...fitted, from: 'a.npz' } });
    expectClose(r.x[0]!, Math.fround(998 / Math.SQRT2), 1e-4);
    expect(r.d.preparation.standardise).toMatchObject({ from: 'a.npz', columns: fitted.columns });
    expect(r.d.notes).toEqual([expect.stringMatching(/with the means and standard deviations recorded in a\.npz/)]);
    await expectKrsError(() => open(other, { targetColumn: 'v', standardiseFrom: fitted, trainFraction: 0.5 }), 'BAD_OPTION', /no training split with/);
    const onlyV = { ...fitted, columns: { v: fitted.columns.v! } };
    await expectKrsError(() => open(other, { targetColumn: 'v', standardiseFrom: onlyV }), 'BAD_OPTION', /lacks 'w' \(it has v\)/);
  });

  it('refuses a column constant in the training split, a bad split, and a split without standardise', async () => {
    await expectKrsError(
      () => open(csv('v,c\n1,5\n2,5\n3,5\n4,6\n'), { targetColumn: 'v', standardise: true, trainFraction: 0.75 }),
      'UNDEFINED',
      /column 'c' .* constant \(5\) in the first 3 rows/,
    );
    await expectKrsError(() => open(csv(SERIES), { targetColumn: 'v', standardise: true, trainFraction: 0.1 }), 'BAD_OPTION', /at least 2 of the 10 rows/);
    await expectKrsError(() => open(csv(SERIES), { targetColumn: 'v', trainFraction: 0.5 }), 'BAD_OPTION', /trainFraction.*standardise/);
    await expectKrsError(
      () => openDataset(csv(SERIES), { window: 1, targetColumn: 'v', standardise: true, standardiseFrom: 'x.npz' }),
      'BAD_OPTION',
      /not both/,
    );
  });
});
