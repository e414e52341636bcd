/**
 * `krs heatmap` and the report options of `krs score` / `krs analyze`, through the built CLI.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { krs } from '../helpers/cli.js';
import { expectClose, fixturePath, loadJson } from '../helpers/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'krs-heatmap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const T = fixturePath('score/cls-teacher.npz');
const S = fixturePath('score/cls-student.npz');

function pngSize(file: string): { width: number; height: number } {
  const b = readFileSync(file);
  expect(b.subarray(1, 4).toString('latin1')).toBe('PNG');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

describe('krs heatmap', () => {
  it('writes a PNG and prints the matrix; --json gives the matrix, aligned by ids', async () => {
    const out = join(dir, 'h.png');
    const r = await krs('heatmap', '--teacher', T, '--student', S, '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/rows = teacher layers, columns = student layers/);
    expect(r.stdout).toMatch(/conv\s+0\.568\s+0\.420/);
    expect(r.stdout).toContain(`wrote ${out}`);
    expect(pngSize(out).width).toBeGreaterThan(300);

    const j = await krs('heatmap', '--teacher', T, '--student', S, '--json');
    expect(j.status, j.stderr).toBe(0);
    const m = JSON.parse(j.stdout);
    const expected = loadJson('score/expected.json').classification;
    expect(m.teacherLayers).toEqual(['conv', 'fc']);
    expectClose(m.cka[0][0], expected.layers.conv, 1e-6);
    expectClose(m.cka[1][1], expected.layers.fc, 1e-6);
    expect(m.idKey).toBe('ids');
    expect(m.out).toBeNull();
    expect(j.stderr).toMatch(/reordered by 'ids'/);
  });

  it('writes an SVG with the layers in the order asked', async () => {
    const out = join(dir, 'h.svg');
    const r = await krs('heatmap', '--teacher', T, '--student', S, '--teacher-layers', 'fc,conv', '--out', out, '--title', 'Mine', '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).teacherLayers).toEqual(['fc', 'conv']);
    const svg = readFileSync(out, 'utf8');
    expect(svg).toMatch(/^<svg /);
    expect(svg).toContain('>Mine<');
    expect(svg.indexOf('>fc<')).toBeLessThan(svg.lastIndexOf('>conv<'));
  });

  it('draws the matrix of a JSON result (--from), as from krs eval --all-pairs --json', async () => {
    const evalLike = join(dir, 'eval.json');
    writeFileSync(
      evalLike,
      JSON.stringify({
        krs: 50,
        crossLayer: {
          teacherLayers: ['a', 'b'],
          studentLayers: ['x'],
          cka: [[0.25], [null]],
          estimator: 'exact',
          n: 10,
          batches: 1,
          teacherWidths: [3, 3],
          studentWidths: [2],
          warnings: [],
        },
      }),
    );
    const out = join(dir, 'from.svg');
    const r = await krs('heatmap', '--from', evalLike, '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/a\s+0\.250/);
    expect(readFileSync(out, 'utf8')).toContain('>0.25<');
  });

  it('rejects bad usage with one line and exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['--teacher', T, '--student', S], /--out/],
      [['--teacher', T, '--student', S, '--out', join(dir, 'h.jpg')], /must end in \.svg or \.png/],
      [['--teacher', T, '--out', join(dir, 'x.svg')], /--student/],
      [['--teacher', T, '--student', S, '--teacher-layers', 'nope', '--out', join(dir, 'x.svg')], /teacher layer 'nope'/],
    ];
    for (const [args, msg] of cases) {
      const r = await krs('heatmap', ...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"x":1}');
    const r = await krs('heatmap', '--from', bad, '--out', join(dir, 'x.svg'));
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/holds no cross-layer matrix/);
  });
});

describe('--report and --charts', () => {
  it('krs score writes the HTML report and every chart as SVG and PNG; --json stays clean', async () => {
    const report = join(dir, 'score.html');
    const charts = join(dir, 'score-charts');
    const r = await krs('score', '--task', 'classification', '--teacher', T, '--student', S, '--report', report, '--charts', charts, '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).krs).toBeCloseTo(87.35, 1);
    expect(r.stderr).toContain(`report: ${report}`);
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('<h1>KRS: classification student against its teacher</h1>');
    expect(html).toContain('data-chart="cross-layer-cka"');
    expect(html).toMatch(/krs score --task classification --teacher \S+cls-teacher\.npz/);
    expect(readdirSync(charts).sort()).toEqual([
      'cross-layer-cka.png',
      'cross-layer-cka.svg',
      'krs-composition.png',
      'krs-composition.svg',
      'layer-similarity.png',
      'layer-similarity.svg',
    ]);
  });

  it('krs analyze --report draws the analysis', async () => {
    const report = join(dir, 'analysis.html');
    const r = await krs('analyze', fixturePath('report/experiments.csv'), '--report', report, '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).experiments).toHaveLength(12);
    const html = readFileSync(report, 'utf8');
    for (const id of ['krs-pre-post', 'krs-box', 'delta-heatmap', 'krs-vs-metric', 'method-rankings', 'alpha-sensitivity'])
      expect(html).toContain(`data-chart="${id}"`);
  });

  it('refuses a report file that is not .html', async () => {
    const r = await krs('score', '--task', 'classification', '--teacher', T, '--student', S, '--report', join(dir, 'r.pdf'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--report .*r\.pdf: unknown format/);
    expect(existsSync(join(dir, 'r.pdf'))).toBe(false);
  });
});
