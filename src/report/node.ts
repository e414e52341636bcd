/**
 * krs/report/node — writing reports and charts to files: HTML, SVG and PNG (resvg, with the
 * DejaVu Sans font of the npm package dejavu-fonts-ttf). Everything of `krs/report` too.
 */
export * from './index.js';
export { type ChartFont, findChartFont, type PngOptions, svgToPng } from './node-png.js';
export {
  CHART_FORMATS,
  type ChartFile,
  type ChartFormat,
  type WriteChartsOptions,
  type WriteReportOptions,
  type WrittenReport,
  writeChartFile,
  writeCharts,
  writeReport,
} from './node-report.js';
