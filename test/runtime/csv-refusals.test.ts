/**
 * CSV input that used to be taken silently and wrongly (issue 22): dates in other formats
 * than ISO 8601, a date cell that does not parse, duplicated column names, values beyond
 * float32, gaps that expand to more rows than the limit, and standardising huge values.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type CsvWindowOptions, csvWindowDataset } from '../../src/runtime/data/csv-windows.js';
import { krs } from '../helpers/cli.js';
import { expectClose, expectKrsError, fixturePath } from '../helpers/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'krs-csv-refusals-'));
let k = 0;
function csv(text: string): string {
  const f = join(dir, `r${k++}.csv`);
  writeFileSync(f, text);
  return f;
}
const open = (f: string, o: Partial<CsvWindowOptions> = {}) => csvWindowDataset(f, { window: 1, ...o });
const fed = (f: string, o: Partial<CsvWindowOptions> = {}) => {
  const d = open(f, o);
  const b = d.read(0, d.size);
  return { d, x: [...(b.arrays.x!.data as Float32Array)], y: [...(b.targets!.data as Float32Array)] };
};
const regexEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

describe('CSV dates in other formats than ISO 8601', () => {
  it('MM/DD/YYYY: the order is decided over the whole column (a day > 12), and a missing day is a missing row', () => {
    // 01/01/2010 is missing: a row is inserted, and windows of 1 + 1 rows do not straddle it.
    const d = open(csv('date,v\n12/30/2009,1\n12/31/2009,2\n01/02/2010,4\n01/03/2010,5\n'));
    expect(d.preparation.time).toMatchObject({ column: 'date', format: 'MM/DD/YYYY', step: '1 day', insertedRows: 1 });
    expect(d.preparation).toMatchObject({ rows: 5, windows: 4, skippedWindows: 2, samples: 2 });
  });

  it('DD/MM/YYYY and YYYY/MM/DD, dates and date-times', () => {
    expect(open(csv('date,v\n30/12/2009,1\n31/12/2009,2\n02/01/2010,4\n')).preparation.time).toMatchObject({
      format: 'DD/MM/YYYY',
      stepMs: 86_400_000,
      insertedRows: 1,
      first: '30/12/2009',
      last: '02/01/2010',
    });
    expect(open(csv('t,v\n2009/12/31 22:00,1\n2009/12/31 23:00,2\n2010/01/01 01:00,4\n')).preparation.time).toMatchObject({
      format: 'YYYY/MM/DD',
      step: '1 hour',
      insertedRows: 1,
    });
    expect(open(csv('t,v\n13/01/2010 06:00:00,1\n13/01/2010 07:00:00,2\n')).preparation.time).toMatchObject({ format: 'DD/MM/YYYY', step: '1 hour' });
  });

  it('refuses a column whose day/month order no cell decides, and one whose cells contradict each other, naming the column', async () => {
    const ambiguous = csv('date,v\n01/02/2010,1\n01/03/2010,2\n01/04/2010,3\n');
    await expectKrsError(
      () => open(ambiguous),
      'BAD_FILE',
      ambiguous,
      /the time column 'date' holds dates that read as MM\/DD\/YYYY or as DD\/MM\/YYYY \(no day above 12 decides\)/,
    );
    expect(open(ambiguous, { timeColumn: 'none' }).preparation.time).toBeNull();
    await expectKrsError(
      () => open(csv('date,v\n12/01/2010,1\n13/01/2010,2\n01/14/2010,3\n')),
      'BAD_FILE',
      /the time column 'date' mixes DD\/MM\/YYYY \(line 3: 13\/01\/2010\) and MM\/DD\/YYYY \(line 4: 01\/14\/2010\)/,
    );
  });
});

describe('CSV refusals of input that was taken silently', () => {
  it('a date cell that does not parse is an error naming the file, column, line and value, not a column of text', async () => {
    const f = csv('date,v\n2024-01-01,1\n2024-01-02,2\n2024-01-0x,3\n2024-01-06,6\n');
    await expectKrsError(
      () => open(f),
      'BAD_FILE',
      new RegExp(`^${regexEscape(f)}: the time column 'date' has a cell that is not a date: line 4 holds "2024-01-0x"`),
    );
    // A date that does not exist is no date either.
    await expectKrsError(
      () => open(csv('d,v\n2023-02-28,1\n2023-02-30,2\n2023-03-01,3\n')),
      'BAD_FILE',
      /'d' has a cell that is not a date: line 3 holds "2023-02-30"/,
    );
    await expectKrsError(
      () => open(csv('d,v\n12/30/2009,1\n12/31/2009,2\n12/32/2009,3\n')),
      'BAD_FILE',
      /'d' has a cell that is not a date: line 4 holds "12\/32\/2009"/,
    );
    // --time-column none takes the rows as they are.
    expect(open(f, { timeColumn: 'none' }).preparation).toMatchObject({ time: null, rows: 4 });
  });

  it('refuses duplicated column names, naming both positions', async () => {
    const f = csv('a,b,a\n1,10,100\n2,20,200\n3,30,300\n4,40,400\n');
    await expectKrsError(() => open(f, { columns: ['a', 'b'], targetColumn: 'b', standardise: true }), 'BAD_FILE', f, /columns 1 and 3 are both named 'a'/);
    await expectKrsError(() => open(f, { columns: ['b'] }), 'BAD_FILE', /columns 1 and 3 are both named 'a'/);
  });

  it('refuses a value beyond float32 (the windows are float32), naming column, line and value', async () => {
    const f = csv('v\n1\n1e39\n3\n');
    await expectKrsError(() => open(f), 'BAD_VALUE', f, /column 'v', line 3 is 1e\+39: expected a value within float32/);
    // Beyond float64 too.
    await expectKrsError(
      () => open(csv('t,v\n1,2\n2,1e400\n3,4\n'), { columns: ['v'] }),
      'BAD_VALUE',
      /column 'v', line 3 is "1e400": expected a number within float64/,
    );
    // Huge raw values are kept in float64 until standardised: what is fed fits float32.
    const { x, y } = fed(csv('v\n1e39\n2e39\n3e39\n4e39\n'), { standardise: true, trainFraction: 1 });
    expect([...x, ...y].every(Number.isFinite)).toBe(true);
    expectClose(x[0]!, Math.fround(-1.5 / Math.sqrt(1.25)), 1e-6);
  });
});

describe('CSV rows that time gaps would insert', () => {
  const GAP = 'date,v\n2020-01-01,1\n2020-01-02,2\n2020-01-03,3\n2025-06-30,4\n';
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('is checked against maxCsvRows before anything is allocated, naming the gap, the rows and the limit', async () => {
    const f = csv(GAP);
    // 2020-01-03 → 2025-06-30 is 2005 days: rows 0…2007.
    await expectKrsError(
      () => open(f, { limits: { maxCsvRows: 1000 } }),
      'BAD_VALUE',
      f,
      /gap from 2020-01-03 \(line 4\) to 2025-06-30 \(line 5\)/,
      /is 2008, more than the limit maxCsvRows = 1000 \(set KRS_MAX_CSV_ROWS/,
    );
    vi.stubEnv('KRS_MAX_CSV_ROWS', '2000');
    await expectKrsError(() => open(f), 'BAD_VALUE', /is 2008, more than the limit maxCsvRows = 2000/);
    vi.stubEnv('KRS_MAX_CSV_ROWS', '2008');
    expect(open(f).preparation).toMatchObject({ rows: 2008, fileRows: 4 });
  });

  it('the default limit refuses a 4-line file whose seconds gap would make 60 million rows (exit 3 on the CLI)', async () => {
    const f = csv('t,v\n2020-01-01T00:00:00,1\n2020-01-01T00:00:01,2\n2020-01-01T00:00:02,3\n2021-11-25T10:40:02,4\n');
    await expectKrsError(() => open(f), 'BAD_VALUE', /is 60000003, more than the limit maxCsvRows = 10000000/);
    const r = await krs('capture', '--model', fixturePath('models/cnn.onnx'), '--input', f, '--window', '2', '--out', join(dir, 'x.npz'), '--no-progress');
    expect(r.status).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/gap from 2020-01-01T00:00:02 \(line 4\) to 2021-11-25T10:40:02 \(line 5\).*maxCsvRows = 10000000/);
  });
});

describe('CSV standardisation of huge values', () => {
  it('does not overflow: mean and std of values near the float64 maximum are finite and right', () => {
    const { d, x, y } = fed(csv('v\n1e300\n-1e300\n2e300\n-2e300\n'), { standardise: true, trainFraction: 1 });
    const s = d.preparation.standardise!.columns.v!;
    // mean 0, population variance (1 + 1 + 4 + 4)/4 · 1e600 = 2.5e600.
    expect(s.mean).toBe(0);
    expectClose(s.std, Math.sqrt(2.5) * 1e300, 1e-12);
    expectClose(x[0]!, Math.fround(1 / Math.sqrt(2.5)), 1e-6);
    expectClose(y[2]!, Math.fround(-2 / Math.sqrt(2.5)), 1e-6);
    const edge = open(csv('v\n1.7e308\n-1.7e308\n1.7e308\n-1.7e308\n'), { standardise: true, trainFraction: 1 }).preparation.standardise!.columns.v!;
    expectClose(edge.std, 1.7e308, 1e-12);
  });

  it('refuses standardised values beyond float32 (a tiny recorded std), naming column, line and value', async () => {
    const f = csv('v\n1\n2\n3\n');
    const tiny = { fittedOn: { rows: 3, trainRows: 3, trainFraction: 1 }, from: 'a.npz', columns: { v: { mean: 0, std: 1e-300 } } };
    await expectKrsError(
      () => open(f, { standardiseFrom: tiny }),
      'BAD_VALUE',
      /column 'v', line 2 standardised \(\(1 − 0\)\/1e-300\) is [0-9.]+e\+299: expected a value within float32/,
    );
  });
});

describe('a CSV path that is not a regular file', () => {
  it('a device is refused before anything is read (never read without end)', async () => {
    await expectKrsError(() => open('/dev/zero'), 'BAD_FILE', /\/dev\/zero: is not a regular file/);
  });
});
