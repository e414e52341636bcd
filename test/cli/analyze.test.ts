/**
 * `krs analyze` end to end (the built CLI): JSON schema of docs/cli.md §"analyze --json", CSV and Markdown
 * files, the paper example, and bad input → one line on stderr with exit status 3 (data) or
 * 2 (usage).
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { krs } from '../helpers/cli.js';
import { expectClose, fixturePath, loadJson } from '../helpers/fixtures.js';

const TABLE = fixturePath('stats/analysis-table.csv');
const PAPER = fileURLToPath(new URL('../../examples/paper/experiments.csv', import.meta.url));
const ex = loadJson('stats/stats.json').analysis;
const HEADER = 'id,task,dataset,teacher,student,method,fss_pre,aoa_pre,fss_post,aoa_post,metric_pre,metric_post';

async function json(...args: string[]): Promise<any> {
  const r = await krs('analyze', ...args, '--json');
  if (r.status !== 0) throw new Error(`krs analyze exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'krs-analyze-'));
}

describe('krs analyze', () => {
  it('--json has the docs/cli.md §"analyze --json" schema, with SciPy-exact statistics', async () => {
    const out = await json(TABLE);
    for (const e of out.experiments)
      for (const k of ['id', 'task', 'method', 'krsPre', 'krsPost', 'deltaKrs', 'deltaFss', 'deltaAoa']) expect(e).toHaveProperty(k);
    const cls = out.tasks.classification;
    for (const k of ['n', 'pearson', 'pairedT', 'pre', 'post']) expect(cls).toHaveProperty(k);
    expect(Object.keys(cls.pearson)).toEqual(expect.arrayContaining(['r', 'p']));
    expect(Object.keys(cls.pairedT)).toEqual(expect.arrayContaining(['t', 'df', 'p']));
    expect(Object.keys(cls.pre)).toEqual(expect.arrayContaining(['mean', 'ci95']));
    expectClose(cls.pearson.r, ex.tasks.classification.pearson.r, 1e-6);
    expectClose(cls.pairedT.p, ex.tasks.classification.pairedT.p, 1e-6);
    expectClose(cls.post.ci95[1], ex.tasks.classification.post.ci95[1], 1e-6);
    expect(Array.isArray(out.methods.byMetric) && Array.isArray(out.methods.byKrs)).toBe(true);
    expectClose(out.methods.kendall.tau, ex.kendall.tau, 1e-6);
    expectClose(out.methods.kendall.p, ex.kendall.p, 1e-6);
    expect(out.tasks.nlp.pearson).toMatchObject({ r: null, p: null, reason: expect.any(String) });
    expect(out.sensitivity.experiments[0].points).toHaveLength(101);
    expect(out.diagnostics.thresholds).toEqual({ low: 40, high: 60, gap: 25 });
  });

  it('the readable summary by default; --csv DIR and --markdown FILE write the tables', async () => {
    const dir = tmp();
    const r = await krs('analyze', TABLE, '--csv', join(dir, 'csv'), '--markdown', join(dir, 'report.md'));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^krs analyze — .*analysis-table\.csv: 21 experiments, 5 tasks, 10 KD methods/);
    expect(r.stdout).toMatch(/Per task: correlation with the task metric/);
    expect(r.stdout).toMatch(/Kendall's τ-b between the rankings: τ = 0\.270/);
    expect(r.stderr).toMatch(/wrote 9 CSV files/);
    expect(readdirSync(join(dir, 'csv')).sort()).toEqual(
      ['diagnostics', 'experiments', 'kendall', 'methods', 'points', 'sensitivity', 'sensitivity-curves', 'tasks', 'tradeoff'].map((n) => `${n}.csv`).sort(),
    );
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toMatch(/^# KRS analysis of /);
    expect(md).toMatch(/## Diagnostics \(low < 40, high ≥ 60, gap ≥ 25\)/);
  });

  it('the summary fits 100 columns: wide tables folded with the id repeated, notes wrapped; --wide keeps one line per row', async () => {
    // Relative: the first line names the file, and an absolute path's length is the checkout's, not krs's.
    const paper = relative(process.cwd(), fileURLToPath(new URL('../../examples/paper/experiments.csv', import.meta.url)));
    const folded = await krs('analyze', paper);
    expect(folded.status).toBe(0);
    const lines = folded.stdout.split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(100);
    // Every folded part of the experiments table names its rows.
    expect(lines.filter((l) => /^id {2,}/.test(l)).length).toBeGreaterThanOrEqual(4);
    expect(lines.filter((l) => l.startsWith('power-lstm-fitnet ')).length).toBeGreaterThanOrEqual(3);
    const wide = await krs('analyze', paper, '--wide');
    expect(Math.max(...wide.stdout.split('\n').map((l) => l.length))).toBeGreaterThan(200);
    // The same cells either way.
    const cells = (s: string) =>
      s
        .split(/\s+/)
        .filter((w) => /^-?\d+\.\d+$/.test(w))
        .sort();
    expect(cells(folded.stdout)).toEqual(cells(wide.stdout));
  });

  it('--out FILE.html (docs/cli.md §"krs analyze") writes the same report as --report', async () => {
    const dir = tmp();
    const r = await krs('analyze', PAPER, '--out', join(dir, 'a.html'));
    expect(r.status).toBe(0);
    expect(readFileSync(join(dir, 'a.html'), 'utf8')).toMatch(/^<!DOCTYPE html>/);
    const clash = await krs('analyze', PAPER, '--out', join(dir, 'a.html'), '--report', join(dir, 'b.html'));
    expect(clash.status).toBe(2);
    expect(clash.stderr).toMatch(/--out/);
  });

  it('options: --alpha, --sweep, --alpha-step, thresholds', async () => {
    const out = await json(TABLE, '--alpha', '0.5', '--sweep', 'cla-skd-1,det-uet-gains', '--alpha-step', '0.05', '--low', '30', '--high', '50', '--gap', '40');
    expect(out.alphaOverride).toBe(0.5);
    expect(out.sensitivity.experiments.map((s: any) => [s.id, s.points.length])).toEqual([
      ['cla-skd-1', 21],
      ['det-uet-gains', 21],
    ]);
    expect(out.diagnostics.thresholds).toEqual({ low: 30, high: 50, gap: 40 });
  });

  it('examples/paper reproduces the published KRS values', async () => {
    const out = await json(PAPER);
    const e = Object.fromEntries(out.experiments.map((x: any) => [x.id, x]));
    const r1 = (v: number) => Number(v.toFixed(1));
    expect([r1(e['cifar100-resnet18-vanilla'].krsPre), r1(e['cifar100-resnet18-vanilla'].krsPost), r1(e['cifar100-resnet18-skd'].krsPost)]).toEqual([
      42.5, 57.7, 69.8,
    ]);
    expect(r1(e['cifar100-resnet18-skd'].deltaKrs)).toBe(27.3);
    expect([r1(e['cifar100-deits-vanilla'].krsPre), r1(e['cifar100-deits-vanilla'].krsPost)]).toEqual([45.9, 62.3]);
    expect(r1(e['coco-uet-exp18'].deltaKrs)).toBe(36.2);
    expect(r1(e['cifar100-alexnet-skd'].deltaKrs)).toBe(17.1);
    expect([r1(e['power-lstm-fitnet'].krsPre), r1(e['power-lstm-fitnet'].krsPost)]).toEqual([39, 69]);
  });

  describe('bad input: one line on stderr naming row and column, non-zero exit', () => {
    const bad = (name: string, text: string) => {
      const p = join(tmp(), name);
      writeFileSync(p, text);
      return p;
    };
    const row = 'e1,classification,d,t,s,KD,32,47,39,83,70,75';
    const cases: [string, string, RegExp][] = [
      ['missing columns', 'id,task,method\ne1,classification,KD\n', /missing columns 'dataset', 'teacher', 'student', 'fss_pre'/],
      [
        'a non-numeric cell',
        `${HEADER}\n${row}\ne2,detection,d,t,s,KD,1,x,3,4,5,6\n`,
        /row 2 \(line 3\), column 'aoa_pre': "x"; expected a number in \[0, 100\]/,
      ],
      ['a duplicate id', `${HEADER}\n${row}\n${row}\n`, /experiment id 'e1' appears more than once \(rows 1 and 2/],
      ['an unknown task', `${HEADER}\n${row.replace('classification', 'asr')}\n`, /row 1 \(line 2\), column 'task': "asr"; expected one of classification/],
      ['alpha outside [0, 1]', `${HEADER},alpha\n${row},-0.1\n`, /row 1 \(line 2\), column 'alpha': "-0\.1"; expected a number in \[0, 1\]/],
    ];
    for (const [what, text, pattern] of cases) {
      it(what, async () => {
        const r = await krs('analyze', bad('t.csv', text));
        expect(r.status).toBe(3);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(pattern);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
      });
    }
    it('--json prints the error payload on stdout too', async () => {
      const r = await krs('analyze', bad('t.csv', `${HEADER}\n${row}\n${row}\n`), '--json');
      expect(r.status).toBe(3);
      expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'ID_MISMATCH', kind: 'data' });
    });
    it('a missing file, a bad option, an unknown --sweep id', async () => {
      expect(await krs('analyze', '/nonexistent.csv')).toMatchObject({ status: 3, stderr: expect.stringMatching(/no such file/) });
      expect(await krs('analyze', TABLE, '--alpha', '1.5')).toMatchObject({ status: 2, stderr: expect.stringMatching(/alpha must be in \[0, 1\], got 1\.5/) });
      expect(await krs('analyze', TABLE, '--sweep', 'nope')).toMatchObject({ status: 2, stderr: expect.stringMatching(/experiment 'nope' not found/) });
      expect(await krs('analyze', TABLE, '--low', 'abc')).toMatchObject({ status: 2, stderr: expect.stringMatching(/invalid --low "abc"/) });
    });
  });
});
