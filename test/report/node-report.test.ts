/**
 * Node-side output: PNG rendering (font lookup, sizes), chart and report files, the font
 * metrics table, and the timings the README quotes.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { crossLayerHeatmap } from '../../src/report/charts/heatmap.js';
import { DEJAVU_SANS } from '../../src/report/font-metrics.js';
import { findChartFont, svgToPng } from '../../src/report/node-png.js';
import { writeChartFile, writeCharts, writeReport } from '../../src/report/node-report.js';
import { renderSvg, svgSize } from '../../src/report/render.js';
import { reportCharts } from '../../src/report/report.js';
import { textWidth } from '../../src/report/text-width.js';
import { expectKrsError } from '../helpers/fixtures.js';
import { paperAnalysis, sampleMatrix, sampleScore } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'krs-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Width and height from a PNG's IHDR chunk. */
function pngSize(b: Buffer): { width: number; height: number } {
  expect(b.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

describe('PNG charts', () => {
  it('uses DejaVu Sans from the npm package dejavu-fonts-ttf', () => {
    const f = findChartFont({});
    expect(f.source).toBe('dejavu-fonts-ttf');
    expect(f.files[0]).toMatch(/dejavu-fonts-ttf[\\/]ttf[\\/]DejaVuSans\.ttf$/);
    expect(f.files[1]).toMatch(/DejaVuSans-Bold\.ttf$/);
  });

  it('fails clearly when KRS_FONT names no file', async () => {
    await expectKrsError(
      () => findChartFont({ KRS_FONT: '/nonexistent/font.ttf' }),
      'FILE_NOT_FOUND',
      /cannot write PNG charts/,
      /KRS_FONT/,
      /fonts-dejavu-core/,
    );
  });

  it('rasterises at twice the SVG size, with text drawn', async () => {
    const svg = await renderSvg(crossLayerHeatmap(sampleMatrix()));
    const { width, height } = svgSize(svg);
    const png = svgToPng(svg);
    expect(pngSize(png)).toEqual({ width: 2 * width, height: 2 * height });
    // The same SVG without its text is a smaller file: the glyphs were drawn.
    const noText = svgToPng(svg.replace(/<text[^>]*>[^<]*<\/text>/g, ''));
    expect(png.length).toBeGreaterThan(noText.length + 2000);
  });

  it('writes every chart as SVG and PNG, each within the time budget', async () => {
    const charts = reportCharts({ kind: 'analysis', analysis: paperAnalysis() });
    const files = await writeCharts(join(dir, 'charts'), charts);
    expect(files.map((f) => f.id)).toEqual(charts.map((c) => c.id));
    for (const f of files) {
      expect(readFileSync(f.svg!, 'utf8')).toMatch(/^<svg /);
      expect(pngSize(readFileSync(f.png!)).width).toBeGreaterThan(200);
      // Timings are reported, not bounded here (tests assert no wall-clock bounds: bench/ measures speed).
      expect(f.svgMs + f.pngMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('writes one chart by extension, and refuses other extensions', async () => {
    const chart = crossLayerHeatmap(sampleMatrix());
    const svg = await writeChartFile(join(dir, 'h.svg'), chart);
    expect(svg.format).toBe('svg');
    expect(readFileSync(join(dir, 'h.svg'), 'utf8')).toMatch(/^<svg/);
    await writeChartFile(join(dir, 'h.png'), chart);
    expect(pngSize(readFileSync(join(dir, 'h.png'))).width).toBeGreaterThan(100);
    await expectKrsError(() => writeChartFile(join(dir, 'h.jpg'), chart), 'BAD_OPTION', /must end in \.svg or \.png/);
  });

  it('writes the report and the charts in one call, rendering each chart once', async () => {
    const w = await writeReport(
      { kind: 'score', result: sampleScore(), crossLayer: sampleMatrix(), command: 'krs score …' },
      { report: join(dir, 'out', 'r.html'), charts: join(dir, 'out', 'charts') },
    );
    expect(readFileSync(w.report!, 'utf8')).toMatch(/^<!DOCTYPE html>/);
    expect(w.charts.map((c) => c.id)).toEqual(['krs-composition', 'layer-similarity', 'cross-layer-cka']);
    expect(w.charts.every((c) => c.svgMs === 0 || c.svgMs < 1)).toBe(true); // reused from the report
    for (const c of w.charts) expect(existsSync(c.png!)).toBe(true);
    await expectKrsError(() => writeReport({ kind: 'score', result: sampleScore() }, { report: join(dir, 'r.pdf') }), 'BAD_OPTION', /\.html/);
  });
});

describe('font metrics', () => {
  it('the committed table is what the shipped font says', async () => {
    const gen = await import('../../scripts/make-font-metrics.mjs');
    const committed = readFileSync(new URL('../../src/report/font-metrics.ts', import.meta.url), 'utf8');
    expect(gen.tableSource()).toBe(committed);
  });

  it('measures text in DejaVu Sans', () => {
    expect(DEJAVU_SANS[0]![0]).toBe(0x20);
    // 'KRS' = K 1343 + R 1423 + S 1300 units of 2048 per em.
    expect(textWidth('KRS', 11)).toBeCloseTo(((1343 + 1423 + 1300) * 11) / 2048, 9);
    expect(textWidth('KRS', 11, true)).toBeGreaterThan(textWidth('KRS', 11));
    expect(textWidth('α = 0.3', 10)).toBeGreaterThan(textWidth('a = 0.3', 10) * 0.9);
    expect(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf')).toBeTruthy();
  });
});
