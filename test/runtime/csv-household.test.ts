/**
 * CSV windows on the shipped real series, data/household_power_daily.csv (UCI household
 * power, daily means: 1442 days, 9 with every reading empty), and `krs capture` on it end
 * to end. The expected counts are computed here independently of the reader — the raw lines
 * split on commas, the missing days found by their empty cells, every window start checked
 * by brute force — and by hand in the comments.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openCapture } from '../../src/io/node-capture.js';
import { readStandardisation } from '../../src/runtime/data/csv-standardise.js';
import { csvWindowDataset } from '../../src/runtime/data/csv-windows.js';
import { krs } from '../helpers/cli.js';
import { expectClose, fixturePath } from '../helpers/fixtures.js';

const FILE = fileURLToPath(new URL('../../data/household_power_daily.csv', import.meta.url));
const TARGET = 'Global_active_power';
const raw = readFileSync(FILE, 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => l.split(','));
const missing = raw.flatMap((r, i) => (r.slice(1).some((c) => c === '') ? [i] : []));
/** Window starts 0…rows − span whose span holds no missing row (brute force). */
const cleanStarts = (span: number) => Array.from({ length: raw.length - span + 1 }, (_, s) => s).filter((s) => !missing.some((m) => m >= s && m < s + span));

describe('the shipped household power series', () => {
  it('the raw file: 1442 days in a row, 9 of them empty', () => {
    expect(raw.length).toBe(1442);
    // File lines 136, 913, 1126, 1343–1346, 1382–1383 (data rows = line − 2).
    expect(missing).toEqual([134, 911, 1124, 1341, 1342, 1343, 1344, 1380, 1381]);
    expect(missing.every((m) => raw[m]!.slice(1).every((c) => c === ''))).toBe(true);
  });

  it('24 + 1 windows: 1418 candidates, 129 touching the 9 missing days skipped, 1289 kept', () => {
    // By hand: a missing row m is touched by the starts m − 24 … m. Single days 134, 911, 1124:
    // 25 each; 1341–1344: 1317…1344 = 28; 1380–1381: 1356…1381 = 26; disjoint: 129.
    const kept = cleanStarts(25);
    expect(raw.length - 25 + 1).toBe(1418);
    expect(kept.length).toBe(1418 - 129);
    const d = csvWindowDataset(FILE, { window: 24, targetColumn: TARGET });
    expect(d.preparation).toMatchObject({
      rows: 1442,
      fileRows: 1442,
      time: { column: 'datetime', step: '1 day', insertedRows: 0, first: '2006-12-16', last: '2010-11-26' },
      columns: [
        'Global_active_power',
        'Global_reactive_power',
        'Voltage',
        'Global_intensity',
        'Sub_metering_1',
        'Sub_metering_2',
        'Sub_metering_3',
        'sub_metering_4',
      ],
      target: TARGET,
      missingRows: 9,
      windows: 1418,
      skippedWindows: 129,
      samples: 1289,
    });
    expect(d.size).toBe(1289);
    expect(d.notes).toEqual([expect.stringMatching(/skipped 129 windows of 1418 \(24 \+ 1 rows\) touching 9 missing rows/)]);
    // Sample 110 is the first after the first gap: it starts at row 135 (starts 0…109 kept, 110…134 skipped).
    expect(kept[110]).toBe(135);
    const b = d.read(110, 111);
    const x = b.arrays.x!.data as Float32Array;
    expect(b.arrays.x!.shape).toEqual([1, 24, 8]);
    for (let t = 0; t < 24; t++) for (let f = 0; f < 8; f++) expect(x[t * 8 + f]).toBe(Math.fround(Number(raw[135 + t]![f + 1])));
    expect(b.targets!.data[0]).toBe(Math.fround(Number(raw[159]![1])));
    // No window holds a NaN or a zero read from an empty cell.
    const all = d.read(0, d.size).arrays.x!.data as Float32Array;
    expect(all.every(Number.isFinite)).toBe(true);
  });

  it('fill linear: all 1418 windows, the missing day halfway between its neighbours', () => {
    const d = csvWindowDataset(FILE, { window: 24, targetColumn: TARGET, fill: 'linear' });
    expect(d.preparation).toMatchObject({ missingRows: 9, filledValues: 72, filledRows: 9, skippedWindows: 0, samples: 1418 });
    const x = d.read(134, 135).arrays.x!.data as Float32Array; // starts at row 134, the missing 2007-04-29
    for (let f = 0; f < 8; f++) expectClose(x[f]!, Math.fround((Number(raw[133]![f + 1]) + Number(raw[135]![f + 1])) / 2), 1e-5);
  });
});

describe('krs capture on the shipped series', () => {
  const dir = mkdtempSync(join(tmpdir(), 'krs-csv-household-'));
  const MODEL = fixturePath('models/mlp-teacher.onnx');
  // 98 days × 8 columns = 784 = the MLP's 1 × 28 × 28 input: a real model run on real windows.
  const capture = (out: string, ...more: string[]) =>
    krs(
      'capture',
      '--model',
      MODEL,
      '--input',
      FILE,
      '--window',
      '98',
      '--shape',
      '1,28,28',
      '--limit',
      '200',
      '--out',
      join(dir, out),
      '--no-progress',
      '--no-worker',
      ...more,
    );

  it('without --target-column: exit 2 listing the 8 candidate columns', async () => {
    const r = await capture('none.npz');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/missing --target-column: .*has 8 candidate columns \(Global_active_power, .*, sub_metering_4\)/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--standardise is recorded in krs.json and --standardise-from feeds a second run identical inputs', async () => {
    const a = await capture('a.npz', '--target-column', TARGET, '--standardise', '--json');
    expect(a.status, a.stderr).toBe(0);
    const ra = JSON.parse(a.stdout);
    // 98 + 1 windows: 1344 candidates; the starts touching a missing day, counted by brute force.
    const kept = cleanStarts(99);
    expect(ra.data.preparation).toMatchObject({ windows: 1344, skippedWindows: 1344 - kept.length, samples: kept.length, missingRows: 9 });
    expect(ra.data.preparation.standardise.fittedOn).toEqual({ rows: 1442, trainRows: 1009, trainFraction: 0.7 });
    expect(a.stderr).not.toMatch(/[\u{E000}\u{E001}]/u);
    expect(a.stderr).toMatch(
      /warning: .*skipped \d+ windows of 1344 \(98 \+ 1 rows\) touching 9 missing rows; filling them \(fill: previous or linear\) keeps those windows/,
    );
    expect(a.stderr).toMatch(/warning: .*standardised 8 columns .* the first 1009 of 1442 rows \(train fraction 0.7\)/);
    // The mean of Global_active_power over the first 1009 rows, missing days left out, computed here.
    const train = raw
      .slice(0, 1009)
      .filter((r) => r[1] !== '')
      .map((r) => Number(r[1]));
    const recorded = readStandardisation(join(dir, 'a.npz'));
    expectClose(recorded.columns[TARGET]!.mean, train.reduce((s, v) => s + v, 0) / train.length, 1e-12);
    expect(recorded.columns).toEqual(ra.data.preparation.standardise.columns);

    const b = await capture('b.npz', '--target-column', TARGET, '--standardise-from', join(dir, 'a.npz'), '--json');
    expect(b.status, b.stderr).toBe(0);
    expect(JSON.parse(b.stdout).data.preparation.standardise).toMatchObject({ from: join(dir, 'a.npz'), columns: recorded.columns });
    const c = await capture('c.npz', '--target-column', TARGET, '--standardise', '--train-fraction', '0.3');
    expect(c.status, c.stderr).toBe(0);
    const [ca, cb, cc] = ['a', 'b', 'c'].map((k) => openCapture(join(dir, `${k}.npz`)));
    expect(cb!.read('logits')).toEqual(ca!.read('logits'));
    expect(cb!.read('targets')).toEqual(ca!.read('targets'));
    expect(cc!.read('logits')).not.toEqual(ca!.read('logits'));
  }, 60_000);

  it('krs eval: both models on the same filled windows; the preparation in the result, the fill said', async () => {
    const r = await krs(
      'eval',
      '--teacher',
      MODEL,
      '--student',
      fixturePath('models/mlp-student.onnx'),
      '--input',
      FILE,
      '--window',
      '98',
      '--teacher-shape',
      '1,28,28',
      '--student-shape',
      '1,28,28',
      '--target-column',
      TARGET,
      '--fill',
      'previous',
      '--task',
      'classification',
      '--limit',
      '100',
      '--no-progress',
      '--json',
    );
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.data).toMatchObject({ n: 100, preparation: { fill: 'previous', filledValues: 72, filledRows: 9, skippedWindows: 0, samples: 1344 } });
    expect(out.warnings).toContainEqual(expect.stringMatching(/filled 72 missing values in 9 rows with the previous value \(fill: previous\)/));
  }, 60_000);

  it('bad values are one-line usage errors naming the flag', async () => {
    for (const [args, pattern] of [
      [['--fill', 'zero'], /--fill/],
      [['--train-fraction', '1.5', '--standardise'], /invalid --train-fraction "1.5"/],
      [['--standardise', '--standardise-from', join(dir, 'a.npz')], /either --standardise .* or --standardise-from/],
      [['--standardise-from', FILE], /not a zip archive|records no standardisation/],
    ] as const) {
      const r = await capture('bad.npz', '--target-column', TARGET, ...args);
      expect(r.status, r.stderr).toBeGreaterThan(1);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
