/**
 * `krs analyze --csv` and `--markdown` neutralise payloads carried by the experiments table:
 * CSV formula cells get OWASP's leading quote (and RFC 4180 quoting), Markdown cells have
 * HTML special characters and table/inline syntax escaped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { csvField, mdCell } from '../../src/analysis/render.js';
import { krs } from '../helpers/cli.js';
import { tempDir } from '../io/helpers.js';

const tmp = tempDir();
afterAll(tmp.cleanup);

const PAYLOADS = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  "=cmd|' /C calc'!A0",
  '+SUM(1+1)',
  '@evil',
  '-2+3',
  '-1',
  'a|b\\|c',
  '[link](javascript:alert(1))',
];

describe('csvField', () => {
  it('prefixes text starting with = + - @ tab or CR with a quote, and quotes it', () => {
    expect(csvField("=cmd|' /C calc'!A0")).toBe(`"'=cmd|' /C calc'!A0"`);
    expect(csvField('+SUM(1+1)')).toBe(`"'+SUM(1+1)"`);
    expect(csvField('@evil')).toBe(`"'@evil"`);
    expect(csvField('-1')).toBe(`"'-1"`);
    expect(csvField('\tx')).toBe(`"'\tx"`);
    expect(csvField('\rx')).toBe(`"'\rx"`);
    expect(csvField('=a"b')).toBe(`"'=a""b"`);
  });

  it('leaves numbers (negative ones too), booleans and plain text as they are; quotes per RFC 4180', () => {
    expect(csvField(-1.5)).toBe('-1.5');
    expect(csvField(true)).toBe('true');
    expect(csvField(null)).toBe('');
    expect(csvField('Vanilla KD')).toBe('Vanilla KD');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('a=b')).toBe('a=b');
  });
});

describe('mdCell', () => {
  it('escapes HTML special characters, table and inline syntax; joins lines', () => {
    expect(mdCell('<script>alert(1)</script>')).toBe('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(mdCell('<img src=x onerror=alert(1)>')).toBe('&lt;img src=x onerror=alert(1)&gt;');
    expect(mdCell('a|b')).toBe('a\\|b');
    expect(mdCell('a\\|b')).toBe('a\\\\\\|b');
    expect(mdCell('[x](javascript:y) `c` *e* _f_ &amp;')).toBe('\\[x\\](javascript:y) \\`c\\` \\*e\\* \\_f\\_ &amp;amp;');
    expect(mdCell('one\r\ntwo\nthree')).toBe('one two three');
    expect(mdCell('Vanilla KD, T = 4')).toBe('Vanilla KD, T = 4');
  });
});

describe('krs analyze exports', () => {
  it('writes every payload id neutralised in the CSV files and the Markdown document', async () => {
    const header = 'id,task,dataset,teacher,student,method,fss_pre,aoa_pre,fss_post,aoa_post,metric_pre,metric_post';
    const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
    const rows = PAYLOADS.map((id, i) =>
      [quote(id), 'classification', 'd', 't', 's', quote(i % 2 ? '=HYPERLINK("http://x")' : 'Vanilla KD'), 20 + i, 30, 40 + i, 50 + i, 60, 61 + i].join(','),
    );
    const table = path.join(tmp.dir, 'payloads.csv');
    fs.writeFileSync(table, `${header}\n${rows.join('\n')}\n`);
    const csvDir = path.join(tmp.dir, 'csv');
    const md = path.join(tmp.dir, 'report.md');
    const r = await krs('analyze', table, '--csv', csvDir, '--markdown', md);
    expect(r.status, r.stderr).toBe(0);

    for (const name of fs.readdirSync(csvDir)) {
      const text = fs.readFileSync(path.join(csvDir, name), 'utf8');
      const records = parse(text, { relax_column_count: false }) as string[][];
      for (const cell of records.flat()) {
        // No cell a spreadsheet would evaluate: formula starters only behind the quote, or a number.
        if (/^[=+\-@\t\r]/.test(cell)) expect(Number.isFinite(Number(cell)), `${name}: ${JSON.stringify(cell)}`).toBe(true);
      }
    }
    const experiments = parse(fs.readFileSync(path.join(csvDir, 'experiments.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(experiments.map((e) => e.id)).toEqual(PAYLOADS.map((p) => (/^[=+\-@\t\r]/.test(p) ? `'${p}` : p)));
    expect(experiments[1]!.method).toBe(`'=HYPERLINK("http://x")`);

    const doc = fs.readFileSync(md, 'utf8');
    expect(doc).not.toMatch(/<script|<img|<\/script/i);
    expect(doc).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(doc).toContain('a\\|b\\\\\\|c');
    expect(doc).toContain('\\[link\\](javascript:alert(1))');
    // Every table row keeps its column count: no payload adds or removes a cell.
    for (const block of doc.split(/\n## /).slice(1)) {
      const lines = block.split('\n').filter((l) => l.startsWith('| '));
      const cells = (l: string) => l.replace(/\\\\/g, '').replace(/\\\|/g, '').split('|').length;
      for (const l of lines) expect(cells(l), l).toBe(cells(lines[0]!));
    }
  });
});
