/**
 * Writing reports and charts to files (Node): the HTML report, and every chart alone as SVG
 * and PNG. Each chart is rendered to SVG once and reused for the HTML, the .svg file and the
 * PNG.
 *
 * Every file is written atomically (`src/io/node-atomic-write.ts`): a full disk, a read-only
 * folder or an interrupt leaves no half-written report or chart, and an existing one as it
 * was; a charts folder is written as one (`writeDirAtomic`: a temporary folder beside it,
 * renamed into place when every chart is in it), so it holds the old charts or the new ones,
 * never a mix; such failures are KrsErrors of kind `environment` naming the path (`--charts` naming
 * a file is BAD_TARGET, before anything is rendered).
 *
 * @example
 *   await writeReport({ kind: 'score', result, command }, { report: 'krs.html', charts: 'charts/' });
 *   await writeCharts('charts/', reportCharts(input));
 */
import { extname, join } from 'node:path';
import { errors } from '../core/errors.js';
import { checkInterrupt, pauseAtSync } from '../io/interrupt.js';
import { checkDirTarget, checkFileTarget, writeDirAtomic, writeFileAtomic, writeFileAtomicAsync } from '../io/node-atomic-write.js';
import type { Chart } from './chart.js';
import { documentCharts } from './document.js';
import { assembleHtml } from './html.js';
import { type ChartFont, findChartFont, svgToPng } from './node-png.js';
import { renderSvg } from './render.js';
import { buildReport, type ReportInput } from './report.js';

export type ChartFormat = 'svg' | 'png';
export const CHART_FORMATS: readonly ChartFormat[] = ['svg', 'png'];

export interface ChartFile {
  id: string;
  svg: string | null;
  png: string | null;
  /** Milliseconds to render the SVG (vega-lite compile + vega) and the PNG (resvg). */
  svgMs: number;
  pngMs: number;
}

export interface WriteChartsOptions {
  /** Default both. */
  formats?: readonly ChartFormat[];
  /** PNG pixels per SVG pixel (default 2). */
  scale?: number;
  /** SVGs already rendered, by chart id. */
  svgs?: ReadonlyMap<string, string>;
}

/**
 * Write each chart as `<dir>/<id>.svg` and `<dir>/<id>.png`, the folder as one
 * (`writeDirAtomic`): created, or replaced with the new charts (other files in it kept) only
 * once every chart is written; a failure or an interrupt before leaves it as it was.
 * @throws FILE_NOT_FOUND (before writing anything) when PNGs are asked for and no font is
 *   found; BAD_TARGET when `dir` is a file or holds subfolders, NOT_WRITABLE / NO_SPACE as
 *   the writes fail, INTERRUPTED.
 */
export async function writeCharts(dir: string, charts: readonly Chart[], options: WriteChartsOptions = {}): Promise<ChartFile[]> {
  const formats = options.formats ?? CHART_FORMATS;
  const font: ChartFont | undefined = formats.includes('png') ? findChartFont() : undefined;
  // The folder is written as one (a temporary folder beside it, renamed into place when complete).
  return writeDirAtomic(dir, 'the charts into', async (tmp) => {
    const out: ChartFile[] = [];
    for (const c of charts) {
      await checkInterrupt();
      const t0 = performance.now();
      const svg = options.svgs?.get(c.id) ?? (await renderSvg(c));
      const t1 = performance.now();
      const file: ChartFile = { id: c.id, svg: null, png: null, svgMs: t1 - t0, pngMs: 0 };
      if (formats.includes('svg')) {
        writeFileAtomic(join(tmp, `${c.id}.svg`), svg, 'the chart');
        file.svg = join(dir, `${c.id}.svg`);
      }
      if (font) {
        const png = svgToPng(svg, { scale: options.scale, font });
        file.pngMs = performance.now() - t1;
        writeFileAtomic(join(tmp, `${c.id}.png`), png, 'the chart');
        file.png = join(dir, `${c.id}.png`);
      }
      out.push(file);
      pauseAtSync('chart-written');
    }
    return out;
  });
}

/**
 * Write one chart to a file whose extension says the format (.svg or .png), atomically.
 * @throws BAD_OPTION for another extension; FILE_NOT_FOUND for a PNG without a font;
 *   BAD_TARGET when `file` is a folder (before rendering), NOT_WRITABLE / NO_SPACE.
 */
export async function writeChartFile(file: string, chart: Chart, option = '--out'): Promise<{ file: string; format: ChartFormat; ms: number }> {
  const ext = extname(file).toLowerCase();
  if (ext !== '.svg' && ext !== '.png') throw errors.badOutputFormat(option, file, ['.svg', '.png']);
  const font = ext === '.png' ? findChartFont() : undefined;
  checkFileTarget(file, 'the chart');
  const t0 = performance.now();
  const svg = await renderSvg(chart);
  writeFileAtomic(file, font ? svgToPng(svg, { font }) : svg, 'the chart');
  return { file, format: ext === '.png' ? 'png' : 'svg', ms: performance.now() - t0 };
}

export interface WriteReportOptions extends WriteChartsOptions {
  /** The HTML file to write. */
  report?: string;
  /** A folder for every chart as SVG and PNG. */
  charts?: string;
}

export interface WrittenReport {
  report: string | null;
  charts: ChartFile[];
  /** Milliseconds: rendering all SVGs, and the whole call. */
  svgMs: number;
  totalMs: number;
}

/**
 * Write the HTML report and/or the chart files of a report input. The targets are checked
 * before anything is rendered (a folder as the report, a file as the charts folder: BAD_TARGET).
 */
export async function writeReport(input: ReportInput, options: WriteReportOptions): Promise<WrittenReport> {
  const t0 = performance.now();
  const doc = buildReport(input);
  const charts = documentCharts(doc);
  if (options.report && extname(options.report).toLowerCase() !== '.html' && extname(options.report).toLowerCase() !== '.htm') {
    throw errors.badOutputFormat('--report', options.report, ['.html']);
  }
  if (options.charts && (options.formats ?? CHART_FORMATS).includes('png')) findChartFont(); // fail before any work
  if (options.report) checkFileTarget(options.report, 'the report');
  if (options.charts) checkDirTarget(options.charts, 'the charts into');
  const svgs = new Map<string, string>();
  for (const c of charts) {
    await checkInterrupt();
    svgs.set(c.id, await renderSvg(c));
  }
  const svgMs = performance.now() - t0;
  if (options.report) await writeFileAtomicAsync(options.report, assembleHtml(doc, svgs), 'the report');
  const files = options.charts ? await writeCharts(options.charts, charts, { ...options, svgs }) : [];
  return { report: options.report ?? null, charts: files, svgMs, totalMs: performance.now() - t0 };
}
